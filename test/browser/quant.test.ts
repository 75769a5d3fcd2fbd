/** Quantized matvec/matmul (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, IQ4_XS, IQ3_XXS, IQ3_S, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_S, IQ1_M, Q2_K…Q6_K blocks) on WebGPU in Chromium vs the f64 oracle. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';
import { QUANT_CASES, QUANT_TOL, type QuantCaseResult } from './cases/quant.ts';

let h: BrowserHarness;
beforeAll(async () => {
  h = await openBrowser();
  await h.host.init('webgpu');
}, 120_000);
afterAll(() => h?.close());

describe('quantized kernels in Chromium (webgpu, and wasm)', () => {
  it('random blocks at every alignment and real llama.cpp k-quant tensors match the oracle', async () => {
    const results = (await h.host.runCase('/test/browser/cases/quant.ts', 'quantSuite', { backend: 'webgpu' })) as QuantCaseResult[];
    expect(results.length).toBe(QUANT_CASES);
    for (const r of results) {
      expect(r.reference, `reference ${r.name}`).toBeLessThan(QUANT_TOL.reference);
      expect(r.tested, `webgpu ${r.name}`).toBeLessThan(QUANT_TOL.webgpu);
    }
    console.log(`quant webgpu worst rel err: ${Math.max(...results.map((r) => r.tested)).toExponential(2)}`);
  }, 180_000);

  it('wasm in the browser (the relaxed-SIMD build: relaxed table lookups, fused prefill tile) matches the oracle too', async () => {
    const results = (await h.host.runCase('/test/browser/cases/quant.ts', 'quantSuite', { backend: 'wasm' })) as QuantCaseResult[];
    expect(results.length).toBe(QUANT_CASES);
    for (const r of results) expect(r.tested, `wasm ${r.name}`).toBeLessThan(QUANT_TOL.webgpu);
    console.log(`quant wasm (browser) worst rel err: ${Math.max(...results.map((r) => r.tested)).toExponential(2)}`);
  }, 180_000);

  it('a shape error arrives as a typed error from the worker', async () => {
    const w = await h.host.tensor('webgpu', [2, 32], 'q5_0', new Uint8Array(2 * 22));
    const x = await h.host.tensor('webgpu', [33], 'f32');
    const o = await h.host.tensor('webgpu', [2], 'f32');
    await expect(h.host.op('webgpu', 'matvec', [{ t: o }, { t: w }, { t: x }])).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
  });
});
