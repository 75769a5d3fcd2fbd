/**
 * Threaded wasm in Chromium (the harness page is cross-origin isolated: Vite serves COOP/COEP): in
 * the backend-host worker, a two-thread WasmBackend gives bit-identical matvec / matmul results and
 * the same greedy tokens as the one-thread backend (cases/threads.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';
import type { ThreadsCaseResult } from './cases/threads.ts';

let h: BrowserHarness;
beforeAll(async () => {
  h = await openBrowser();
}, 120_000);
afterAll(() => h?.close());

describe('wasm threads in the browser', () => {
  it('2 threads == 1 thread, bit for bit (kernels and a fixture llama)', async () => {
    const r = (await h.host.runCase('/test/browser/cases/threads.ts', 'threadsVsOne', {})) as ThreadsCaseResult;
    expect(r.isolated).toBe(true);
    expect(r.threads).toBe(2);
    expect(r.jobs).toBeGreaterThan(6);
    expect(r.kernels.length).toBe(6);
    for (const c of r.kernels) {
      expect(c.differing, c.name).toBe(0);
      expect(c.nans, c.name).toBe(0);
    }
    expect(r.logitsDiffering).toBe(0);
    expect(r.tokens2).toEqual(r.tokens1);
  }, 120_000);
});
