/**
 * Learned-state persistence through the real engine worker and IndexedDB in Chromium: stream part
 * of a series on an open stream, save, reload the page (a new worker, nothing in memory), open the
 * same stream (auto-restore) and continue → the same scores as one uninterrupted run; forget →
 * fresh; a damaged stored record → typed error, fresh state, the record left as it was; a save
 * that hits the quota → QUOTA_EXCEEDED with the previous state intact.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';
import type { EngineApi } from '../../src/worker/api.ts';

let h: BrowserHarness;
let page: Page;
beforeAll(async () => {
  h = await openBrowser();
  page = await (await h.page.context().browser()!.newContext()).newPage();
}, 180_000);
afterAll(() => h?.close());

const N = 1200, HALF = 700, STREAM = 'test:two-sines';

/** Open the app, wait for its worker, load the sensor model with auto-save off. */
async function boot(p: Page = page): Promise<void> {
  await p.waitForFunction(() => '__sparrowEngine' in globalThis, undefined, { timeout: 60_000 });
  await p.evaluate(async () => {
    const e = (globalThis as unknown as { __sparrowEngine: EngineApi }).__sparrowEngine;
    await e.anomalyLoad();
    await e.anomalyPersistOptions({ everyValues: 0, everyMs: 0 });
  });
}

/** Run `f(engine, series)` in the page (series: the seeded synthetic stream, as number[]). */
function inPage<T, A>(f: (e: EngineApi, series: Float64Array, arg: A) => Promise<T>, arg: A, p: Page = page): Promise<T> {
  return p.evaluate(
    async ([src, n, a]) => {
      const e = (globalThis as unknown as { __sparrowEngine: EngineApi }).__sparrowEngine;
      const series = await e.anomalySynthetic('two-sines', n, 7);
      return (new Function(`return (${src})`)() as (e: EngineApi, s: Float64Array, a: unknown) => Promise<T>)(e, series, a);
    },
    [f.toString(), N, arg] as const,
  ) as Promise<T>;
}

describe('learned state survives a page reload (worker + IndexedDB)', () => {
  let whole: number[];
  it('save half a stream, reload, auto-restore, continue → identical scores', async () => {
    await page.goto(`${h.url}/`);
    await boot();
    const first = await inPage(async (e, s, [id, half]) => {
      await e.resetLearnedState(id);
      const open = await e.anomalyOpenStream(id, true);
      if (open.restored !== null) throw new Error('expected a fresh stream');
      const a = await e.anomalyPush(s.slice(0, half));
      const saved = await e.saveLearnedState();
      await e.anomalyReset(true); // uninterrupted reference run (not persisted)
      const w = await e.anomalyPush(s);
      return { a: Array.from(a.scores), whole: Array.from(w.scores), saved };
    }, [STREAM, HALF] as [string, number]);
    whole = first.whole;
    expect(first.a).toEqual(whole.slice(0, HALF));
    expect(first.saved.bytes).toBeGreaterThan(1000);

    await page.reload();
    await boot();
    const second = await inPage(async (e, s, [id, half]) => {
      const open = await e.anomalyOpenStream(id, true);
      const b = await e.anomalyPush(s.slice(half));
      return { open, b: Array.from(b.scores), list: await e.listLearnedState() };
    }, [STREAM, HALF] as [string, number]);
    expect(second.open.error).toBeUndefined();
    expect(second.open.restored).toMatchObject({ streamId: STREAM, values: HALF, points: HALF, savedAt: first.saved.savedAt });
    expect(second.b).toEqual(whole.slice(HALF)); // bit-for-bit (same numbers through structured clone)
    expect(second.b.some((x) => x > 0)).toBe(true);
    expect(second.list.find((x) => x.streamId === STREAM)).toMatchObject({ sameModel: true, bytes: first.saved.bytes, savedAt: first.saved.savedAt });
  }, 120_000);

  it('forget → the record is gone and the stream starts fresh', async () => {
    const r = await inPage(async (e, s, id) => {
      await e.resetLearnedState(id);
      const list = await e.listLearnedState();
      const open = await e.anomalyOpenStream(id, true);
      const a = await e.anomalyPush(s.slice(0, 300));
      return { listed: list.some((x) => x.streamId === id), open, a: Array.from(a.scores) };
    }, STREAM);
    expect(r.listed).toBe(false);
    expect(r.open).toEqual({ restored: null });
    expect(r.a).toEqual(whole.slice(0, 300));
  }, 60_000);

  it('delete by (stream, model hash): another hash deletes nothing of this model; this hash deletes the record', async () => {
    const r = await inPage(async (e, s, id) => {
      await e.anomalyOpenStream(id, true);
      await e.anomalyPush(s.slice(0, 300));
      const saved = await e.saveLearnedState(id);
      await e.resetLearnedState(id, 'not-this-model'); // another model version's record (none stored): no-op
      const kept = (await e.listLearnedState()).some((x) => x.streamId === id && x.modelHash === saved.modelHash);
      await e.resetLearnedState(id, saved.modelHash);
      const gone = !(await e.listLearnedState()).some((x) => x.streamId === id);
      return { kept, gone };
    }, STREAM);
    expect(r).toEqual({ kept: true, gone: true });
  }, 60_000);

  it('a damaged record → FORMAT_INVALID note, fresh state, record untouched; quota → QUOTA_EXCEEDED, old state kept', async () => {
    const saved = await inPage(async (e, s, id) => {
      await e.anomalyOpenStream(id, true);
      await e.anomalyPush(s.slice(0, 400));
      const saved = await e.saveLearnedState();
      await e.anomalyDamageLearnedState(id, new Uint8Array(100).fill(7));
      return saved;
    }, STREAM);
    await page.reload();
    await boot();
    const r = await inPage(async (e, s, id) => {
      const open = await e.anomalyOpenStream(id, true);
      const a = await e.anomalyPush(s.slice(0, 300));
      let explicit = '';
      await e.loadLearnedState(id).catch((err: { code?: string }) => (explicit = err.code ?? String(err)));
      const list = await e.listLearnedState();
      return { open, a: Array.from(a.scores), explicit, entry: list.find((x) => x.streamId === id) };
    }, STREAM);
    expect(r.open.restored).toBeNull();
    expect(r.open.error?.code).toBe('FORMAT_INVALID');
    expect(r.open.error?.message).toMatch(/damaged/);
    expect(r.a).toEqual(whole.slice(0, 300)); // fresh
    expect(r.explicit).toBe('FORMAT_INVALID');
    expect(r.entry).toMatchObject({ bytes: saved.bytes, savedAt: saved.savedAt }); // left as it was

    // quota: a good state is saved, then a save that fails mid-write keeps it
    const q = await inPage(async (e, s, id) => {
      await e.resetLearnedState(id);
      await e.anomalyOpenStream(id, true);
      await e.anomalyPush(s.slice(0, 500));
      const good = await e.saveLearnedState();
      await e.anomalyPush(s.slice(500, 600));
      await e.anomalyPersistOptions({ limits: { failWriteAfterBytes: 10 } });
      let code = '';
      await e.saveLearnedState().catch((err: { code?: string }) => (code = err.code ?? String(err)));
      await e.anomalyPersistOptions({ limits: {} });
      const back = await e.loadLearnedState(id);
      return { good, code, back };
    }, STREAM);
    expect(q.code).toBe('QUOTA_EXCEEDED');
    expect(q.back).toMatchObject({ values: 500, savedAt: q.good.savedAt });
  }, 120_000);

  it('two tabs on one stream: a save over a record the other tab saved since is refused (CONFLICT), overwrites nothing, and reopening continues from it', async () => {
    const other = await page.context().newPage(); // same origin storage, its own worker
    try {
      await other.goto(`${h.url}/`);
      await boot(other);
      // tab A: 300 values, saved
      const a1 = await inPage(async (e, s, id) => {
        await e.resetLearnedState(id);
        await e.anomalyOpenStream(id, true);
        await e.anomalyPush(s.slice(0, 300));
        return e.saveLearnedState();
      }, STREAM);
      // tab B opens the same stream (restores A's 300), streams 200 more and saves
      const b = await inPage(async (e, s, id) => {
        const open = await e.anomalyOpenStream(id, true);
        await e.anomalyPush(s.slice(300, 500));
        return { open, saved: await e.saveLearnedState() };
      }, STREAM, other);
      expect(b.open.restored).toMatchObject({ values: 300, savedAt: a1.savedAt });
      // tab A goes on from its own 300: its auto-save and its explicit save are both refused
      const a2 = await inPage(async (e, s) => {
        await e.anomalyPersistOptions({ everyValues: 100, everyMs: 0 });
        await e.anomalyPush(s.slice(300, 450)); // an auto-save falls due
        await e.listLearnedState(); // waits for it
        const after = (await e.anomalyPush(s.slice(450, 451))).persist;
        let code = '';
        await e.saveLearnedState().catch((err: { code?: string }) => (code = err.code ?? String(err)));
        await e.anomalyPersistOptions({ everyValues: 0, everyMs: 0 });
        return { after, code, list: await e.listLearnedState() };
      }, STREAM);
      expect(a2.after?.error?.code).toBe('CONFLICT');
      expect(a2.after?.error?.message).toMatch(/saved by another tab/);
      expect(a2.code).toBe('CONFLICT');
      expect(a2.list.find((x) => x.streamId === STREAM)).toMatchObject({ savedAt: b.saved.savedAt, bytes: b.saved.bytes }); // B's record, untouched
      // tab A opens the stream again: B's 500 values, and saving works again
      const a3 = await inPage(async (e, s, id) => {
        const open = await e.anomalyOpenStream(id, true);
        await e.anomalyPush(s.slice(500, 600));
        return { open, saved: await e.saveLearnedState() };
      }, STREAM);
      expect(a3.open.restored).toMatchObject({ values: 500, savedAt: b.saved.savedAt });
      expect(a3.saved.savedAt).toBeGreaterThanOrEqual(b.saved.savedAt);
      // and now B, still on its old base, is the one refused
      const b2 = await inPage(async (e, s) => {
        await e.anomalyPush(s.slice(500, 520));
        let code = '';
        await e.saveLearnedState().catch((err: { code?: string }) => (code = err.code ?? String(err)));
        return code;
      }, STREAM, other);
      expect(b2).toBe('CONFLICT');
    } finally {
      await other.close();
    }
  }, 120_000);

  it('auto-saves every N values while streaming; the next page restores from there', async () => {
    const last = await inPage(async (e, s, id) => {
      await e.resetLearnedState(id);
      await e.anomalyPersistOptions({ everyValues: 250, everyMs: 0 });
      await e.anomalyOpenStream(id, true);
      const seen = [];
      for (let i = 0; i < 650; i += 100) seen.push((await e.anomalyPush(s.slice(i, Math.min(650, i + 100)))).persist);
      await e.listLearnedState(); // waits for pending writes
      return { seen, after: (await e.anomalyPush(s.slice(650, 651))).persist };
    }, 'test:auto');
    // saves began after 300 and 600 values (a batch reports the last completed one)
    expect(last.seen.every((p) => p && [0, 300, 600].includes(p.lastSavedValues))).toBe(true);
    expect(last.after).toMatchObject({ lastSavedValues: 600 });
    expect(last.after?.lastSavedAt).toBeGreaterThan(0);
    await page.reload();
    await boot();
    const r = await inPage(async (e, _s, id) => e.anomalyOpenStream(id, true), 'test:auto');
    expect(r.restored).toMatchObject({ values: 600, points: 600 });
  }, 60_000);

  it('the demo shows fresh / restored state and forgets on request', async () => {
    const ui = await (await h.page.context().browser()!.newContext()).newPage();
    const errors: string[] = [];
    ui.on('pageerror', (e) => errors.push(e.message));
    const note = ui.getByTestId('persist-note');
    const stats = ui.getByTestId('anomaly-stats');
    await ui.goto(`${h.url}/#anomaly`);
    await ui.getByTestId('start').click();
    await expect.poll(async () => (await note.textContent()) ?? '', { timeout: 60_000 }).toBe('fresh state');
    await expect.poll(async () => (await stats.textContent()) ?? '', { timeout: 60_000 }).toMatch(/points\/s/);
    await ui.evaluate(() => dispatchEvent(new Event('pagehide'))); // the page-hide hook saves (as Stop does)
    await expect.poll(async () => (await stats.textContent()) ?? '', { timeout: 30_000 }).toMatch(/saved \d/);
    await ui.reload();
    await ui.getByTestId('start').click();
    await expect.poll(async () => (await note.textContent()) ?? '', { timeout: 60_000 }).toMatch(/^restored learned state from .+ \([\d,]+ points\)$/);
    await expect.poll(async () => (await ui.getByTestId('saved-states').textContent()) ?? '', { timeout: 30_000 }).toMatch(/synthetic:two-sines:7 — \d+ KB, saved/);
    await ui.getByTestId('saved-states').locator('summary').click();
    await ui.screenshot({ path: 'test-results/anomaly-persist.png' });
    // the list's own delete button removes the record (and, for the open stream, starts fresh)
    await ui.getByTestId('delete-saved').click();
    await expect.poll(async () => ui.getByTestId('saved-states').count(), { timeout: 30_000 }).toBe(0);
    await expect.poll(async () => (await note.textContent()) ?? '', { timeout: 30_000 }).toBe('fresh state (learned state forgotten)');
    await ui.getByTestId('forget').click();
    await expect.poll(async () => (await note.textContent()) ?? '', { timeout: 30_000 }).toBe('fresh state (learned state forgotten)');
    await ui.getByTestId('anomaly-stop').click();
    expect(errors).toEqual([]);
    await ui.context().close();
  }, 120_000);

  it('micro model on WebGPU: state in the shared layout, save/load continues exactly', async () => {
    await h.host.init('webgpu');
    const r = (await h.host.runCase('/test/browser/cases/micro-state.ts', 'microStateRoundTrip', { backend: 'webgpu', cut: 9, tokens: 16 })) as { stateErr: number; continueErr: number; continued: number };
    expect(r.continued).toBe(7);
    expect(r.stateErr).toBeLessThan(1e-5);
    expect(r.continueErr).toBe(0);
  }, 120_000);
});
