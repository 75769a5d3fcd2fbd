/** Fixture models (Mamba, RWKV-4, Llama-GQA) on WebGPU (SwiftShader in headless Chromium) vs HF goldens. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';
import type { ModelCaseResult } from './cases/models.ts';

let h: BrowserHarness;
beforeAll(async () => {
  h = await openBrowser();
  await h.host.init('webgpu');
}, 120_000);
afterAll(() => h?.close());

const atolWebgpu = (dir: string): number => {
  // The pruned folders give no WebGPU tolerance: the manifest notes say it is 50× the f32 one.
  const tol = JSON.parse(readFileSync(`test/fixtures/models/${dir}/manifest.json`, 'utf8')).tolerance;
  const t = (tol.suggested_atol_webgpu as number | undefined) ?? 50 * tol.suggested_atol_float32_impl;
  return Math.min(Math.max(t, 2e-4), 4e-4);
};

describe('fixture models on webgpu', () => {
  it('prefill logits and cached decode match the Hugging Face goldens (dense and pruned/sparse)', async () => {
    // The pruned80 folders load with sparse linears (spmv on WebGPU); they have no forced-decode file.
    const dirs = ['mamba-tiny', 'rwkv4-tiny', 'llama-gqa-tiny', 'mamba-tiny-pruned80', 'llama-gqa-tiny-pruned80'];
    const r = (await h.host.runCase('/test/browser/cases/models.ts', 'modelsVsGolden', { dirs, steps: 4 })) as Record<string, ModelCaseResult>;
    if (process.env.SPARROW_VERBOSE) console.log(r);
    for (const d of dirs) {
      expect(r[d].steps, d).toBe(d.endsWith('pruned80') ? 0 : 4);
      expect(r[d].logits, `${d} logits`).toBeLessThanOrEqual(atolWebgpu(d));
      expect(r[d].forced, `${d} forced decode`).toBeLessThanOrEqual(atolWebgpu(d));
    }
  }, 300_000);
});
