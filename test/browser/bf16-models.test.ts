/**
 * BF16 checkpoints on WebGPU (SwiftShader in headless Chromium): matrices stay bf16 on the GPU
 * (half the bytes), per-channel parameters f32, and the logits equal those of the same values
 * stored as F32 (bf16 → f32 is exact; only the summation order may differ).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';
import { BF16_REL_TOL, type Bf16ModelResult } from './cases/bf16-models.ts';

let h: BrowserHarness;
beforeAll(async () => {
  h = await openBrowser();
  await h.host.init('webgpu');
}, 120_000);
afterAll(() => h?.close());

describe('BF16 checkpoints on webgpu', () => {
  it('mamba, rwkv-4, llama-gqa: bf16 matrices, ≤ 0.6× the F32 twin bytes, logits == F32 twin within 2e-5', async () => {
    const dirs = ['mamba-tiny', 'rwkv4-tiny', 'llama-gqa-tiny'];
    const r = (await h.host.runCase('/test/browser/cases/bf16-models.ts', 'bf16Twins', { dirs })) as Record<string, Bf16ModelResult>;
    for (const d of dirs) {
      const { dtypes, bf16Bytes, f32Bytes, relDiff } = r[d];
      expect(dtypes.length, d).toBeGreaterThan(3);
      expect(dtypes.filter((x) => x.endsWith(' bf16')).length, `${d}: ${dtypes.join(', ')}`).toBeGreaterThan(2);
      expect(dtypes.every((x) => x.endsWith(' bf16') || x.endsWith(' f32')), d).toBe(true);
      expect(bf16Bytes / f32Bytes, `${d} memory`).toBeLessThan(0.6);
      expect(relDiff, `${d} bf16 vs f32 logits`).toBeLessThan(BF16_REL_TOL);
      console.log(`${d} webgpu: bf16/f32 bytes ${(bf16Bytes / f32Bytes).toFixed(3)}, max |Δlogit|/scale ${relDiff.toExponential(2)}`);
    }
  }, 180_000);
});

// Chromium runs the relaxed-SIMD wasm build, whose BF16 matvec fuses its multiply-adds (Node runs the plain one).
describe('BF16 checkpoints on wasm in Chromium (the relaxed-SIMD build)', () => {
  it('mamba, rwkv-4, llama-gqa: bf16 matrices, logits == F32 twin within 2e-5', async () => {
    const dirs = ['mamba-tiny', 'rwkv4-tiny', 'llama-gqa-tiny'];
    const r = (await h.host.runCase('/test/browser/cases/bf16-models.ts', 'bf16Twins', { dirs, backend: 'wasm' })) as Record<string, Bf16ModelResult>;
    for (const d of dirs) {
      const { dtypes, relDiff } = r[d];
      expect(dtypes.filter((x) => x.endsWith(' bf16')).length, `${d}: ${dtypes.join(', ')}`).toBeGreaterThan(2);
      expect(relDiff, `${d} bf16 vs f32 logits`).toBeLessThan(BF16_REL_TOL);
    }
  }, 180_000);
});
