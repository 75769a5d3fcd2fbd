/** The micro model's Backend-interface step on WebGPU (SwiftShader in headless Chromium) vs the fused TS step. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';
import { MICRO_TOL } from './cases/micro.ts';

let h: BrowserHarness;
beforeAll(async () => {
  h = await openBrowser();
  await h.host.init('webgpu');
}, 120_000);
afterAll(() => h?.close());

describe('micro model on webgpu', () => {
  it('matches the fused TS step token by token (2 layers, past the window, adapt on then off)', async () => {
    const r = (await h.host.runCase('/test/browser/cases/micro.ts', 'microVsTs', { backend: 'webgpu' })) as { maxErr: number; tokens: number };
    expect(r.tokens).toBe(16);
    expect(r.maxErr).toBeLessThan(MICRO_TOL);
  }, 300_000);
});
