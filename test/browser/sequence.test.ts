/** Sequence ops on WebGPU (SwiftShader in headless Chromium) vs the reference backend. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';
import { sequenceTol } from './cases/sequence.ts';

let h: BrowserHarness;
beforeAll(async () => {
  h = await openBrowser();
  await h.host.init('webgpu');
}, 120_000);
afterAll(() => h?.close());

describe('sequence ops in Chromium (webgpu, and wasm)', () => {
  it('match the reference (conv, selective scan, WKV, delta rule, RWKV-7 WKV + bonus, ternary direct + LUT) and chain state', async () => {
    const errs = (await h.host.runCase('/test/browser/cases/sequence.ts', 'sequenceVsReference', {})) as Record<string, number>;
    if (process.env.SPARROW_VERBOSE) console.log(errs);
    const bad = Object.entries(errs).filter(([name, e]) => !(e < sequenceTol(name)));
    expect(bad).toEqual([]);
    expect(Object.keys(errs).length).toBeGreaterThan(30);
  }, 300_000);

  it('wasm in the browser (the relaxed-SIMD build) matches the reference too', async () => {
    const errs = (await h.host.runCase('/test/browser/cases/sequence.ts', 'sequenceVsReference', { backend: 'wasm' })) as Record<string, number>;
    const bad = Object.entries(errs).filter(([name, e]) => !(e < sequenceTol(name)));
    expect(bad).toEqual([]);
    expect(Object.keys(errs).length).toBeGreaterThan(30);
  }, 300_000);

  it('bad operands throw the same typed error as the reference', async () => {
    for (const op of ['scan', 'wkv7', 'wkv7Bonus']) {
      const [gpu, ref] = (await h.host.runCase('/test/browser/cases/sequence.ts', 'sequenceErrors', { op })) as Array<[string, string]>;
      expect(gpu[0]).toBe('SHAPE_MISMATCH');
      expect(gpu).toEqual(ref);
    }
  }, 60_000);
});
