/**
 * The browser suite's WebGPU precondition: this test FAILS (never skips) when the test browser
 * exposes no WebGPU adapter, so the WebGPU kernel suites can never pass vacuously in CI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';

let h: BrowserHarness;
beforeAll(async () => {
  h = await openBrowser();
});
afterAll(() => h?.close());

describe('browser harness', () => {
  it('has a WebGPU adapter in the test browser', async () => {
    const info = await h.host.init('webgpu');
    console.log(`WebGPU adapter: ${JSON.stringify(info.adapter)}\nuser agent: ${info.userAgent}`);
    expect(info.name).toBe('webgpu');
    expect(info.adapter).toBeDefined();
    expect(info.adapter!.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
  });

  it('round-trips a tensor and runs a kernel in the worker (add on webgpu)', async () => {
    const a = await h.host.tensor('webgpu', [5], 'f32', new Float32Array([1, 2, 3, 4, 5]));
    const b = await h.host.tensor('webgpu', [1], 'f32', new Float32Array([0.5]));
    const o = await h.host.tensor('webgpu', [5], 'f32', new Float32Array(5).fill(NaN));
    await h.host.op('webgpu', 'add', [{ t: o }, { t: a }, { t: b }]);
    expect(Array.from((await h.host.read('webgpu', o)) as Float32Array)).toEqual([1.5, 2.5, 3.5, 4.5, 5.5]);
  });

  it('delivers SparrowError with its code from the worker', async () => {
    const a = await h.host.tensor('webgpu', [4], 'f32');
    const o = await h.host.tensor('webgpu', [3], 'f32');
    await expect(h.host.op('webgpu', 'add', [{ t: o }, { t: a }, { t: a }])).rejects.toMatchObject({ name: 'SparrowError', code: 'SHAPE_MISMATCH' });
  });
});

describe('runCase', () => {
  it('imports a case module in the worker and runs it on a real backend', async () => {
    const r = await h.host.runCase('/test/browser/cases/harness-smoke.ts', 'addOnBackend', { backend: 'webgpu', x: [1, 2, 3], y: [10, 20, 30] });
    expect(r).toEqual([11, 22, 33]);
  });
});
