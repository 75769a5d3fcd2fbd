/** Fixture models (Mamba, RWKV-4, Llama-GQA) on WebGPU (SwiftShader in headless Chromium) vs HF goldens. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';
import { MODEL_DIRS, webgpuAtol, type ModelCaseResult } from './cases/models.ts';

let h: BrowserHarness;
beforeAll(async () => {
  h = await openBrowser();
  await h.host.init('webgpu');
}, 120_000);
afterAll(() => h?.close());

const atolWebgpu = (dir: string): number => webgpuAtol(JSON.parse(readFileSync(`test/fixtures/models/${dir}/manifest.json`, 'utf8')).tolerance);

describe('fixture models on webgpu', () => {
  it('prefill logits and cached decode match the Hugging Face goldens (dense and pruned/sparse)', async () => {
    // The pruned80 folders load with sparse linears (spmv on WebGPU); they have no forced-decode file.
    const dirs = MODEL_DIRS;
    const r = (await h.host.runCase('/test/browser/cases/models.ts', 'modelsVsGolden', { dirs, steps: 4 })) as Record<string, ModelCaseResult>;
    if (process.env.SPARROW_VERBOSE) console.log(r);
    for (const d of dirs) {
      expect(r[d].steps, d).toBe(d.endsWith('pruned80') ? 0 : 4);
      expect(r[d].logits, `${d} logits`).toBeLessThanOrEqual(atolWebgpu(d));
      expect(r[d].forced, `${d} forced decode`).toBeLessThanOrEqual(atolWebgpu(d));
    }
  }, 300_000);
});
