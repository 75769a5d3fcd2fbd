/**
 * Gemma 3's sliding-window layers keep only slidingCacheRows rows of KV cache (src/models/gemma.ts,
 * localSteps): a tiny Gemma 3 with a window of 5 (layers 0–4 local, 5 global) runs 60 tokens, 12
 * windows, and every way of running them — one prefill, token by token, prefill blocks of awkward
 * sizes, rewinds to every position and on — gives the logits of the same run with full-length caches
 * (slidingCacheRows ≥ the context: no row ever moves), for several cache sizes from the window itself
 * (a shift every token) up, f32 and f16 caches, on the reference and wasm backends. The arithmetic is
 * the same (the same keys in the same order, only at other rows), so the logits are equal bit for bit.
 * The local caches hold their rows, not the context's; a rewind past what they hold goes back to 0.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { openModel } from '../../src/engine/open-model.ts';
import { localSteps, type GemmaState } from '../../src/models/gemma.ts';
import type { LoadOptions } from '../../src/models/load.ts';
import type { CausalLM, ModelState } from '../../src/models/types.ts';
import { tinyGguf, tinyShape } from '../helpers/tiny-llamas.ts';

const WINDOW = 5;
const SHAPE = tinyShape('gemma3', 'smollm', { slidingWindow: WINDOW, contextLength: 128 });
const FILE = new Map([['m.gguf', tinyGguf(SHAPE)]]);
const SEQ = Array.from({ length: 60 }, (_, i) => (i * 37 + 11) % 600);
const OTHER = [9, 8, 7, 6, 5, 4, 3, 2, 1, 400, 17];
/** Block sizes of a chunked prefill (sum 60): shorter and longer than the window and the caches. */
const CHUNKS = [1, 7, 3, 13, 2, 11, 23];
/** slidingCacheRows under test: the window (every token shifts), odd sizes, the default (2 · window). */
const ROWS = [WINDOW, 6, 7, 13, undefined];

async function rows(b: Backend, m: CausalLM, s: ModelState, tokens: number[]): Promise<Float32Array> {
  const t = m.prefill(tokens, s, { allLogits: true });
  try {
    return ((await b.read(t)) as Float32Array).slice();
  } finally {
    b.free(t);
  }
}

async function decode(b: Backend, m: CausalLM, s: ModelState, tokens: number[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const id of tokens) out.push(((await b.read(m.step(id, s))) as Float32Array).slice());
  return out;
}

const concat = (parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
};

/** Every way of running SEQ that the test compares, as one array of logits each. */
async function runs(b: Backend, m: CausalLM): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  let s = m.newState();
  out.prefill = await rows(b, m, s, SEQ);
  s.free();
  s = m.newState();
  out.decode = concat(await decode(b, m, s, SEQ));
  s.free();
  s = m.newState();
  const parts: Float32Array[] = [];
  let at = 0;
  for (const n of CHUNKS) {
    parts.push(await rows(b, m, s, SEQ.slice(at, at + n)));
    at += n;
  }
  out.chunks = concat(parts);
  // decode after a prefill, then a prefill after decoding
  parts.length = 0;
  s.free();
  s = m.newState();
  parts.push(await rows(b, m, s, SEQ.slice(0, 17)), ...(await decode(b, m, s, SEQ.slice(17, 40))), await rows(b, m, s, SEQ.slice(40)));
  out.mixed = concat(parts);
  s.free();
  return out;
}

const load = (b: Backend, opts: LoadOptions) => openModel(b, FILE, opts).then((o) => o.model);

describe('Gemma 2 sliding-window caches (layers 0 and 2 local, soft-capped scores)', () => {
  const file = new Map([['m.gguf', tinyGguf(tinyShape('gemma2', 'smollm', { slidingWindow: WINDOW, contextLength: 128 }))]]);
  it("wasm, f32 and f16 caches: prefill, decode, awkward blocks and mixed runs = the full-length caches' logits, bit for bit", async () => {
    const b = await WasmBackend.create();
    for (const kvDtype of ['f32', 'f16'] as const) {
      const full = (await openModel(b, file, { kvDtype, slidingCacheRows: 128 })).model;
      expect(full.family).toBe('gemma2');
      const want = await runs(b, full);
      for (const r of [WINDOW, 7, undefined]) {
        const m = (await openModel(b, file, { kvDtype, slidingCacheRows: r })).model;
        const got = await runs(b, m);
        for (const k of Object.keys(want)) expect(got[k], `${kvDtype} slidingCacheRows ${r}: ${k}`).toEqual(want[k]);
        m.dispose();
      }
      full.dispose();
    }
  });
});

describe('Gemma 3 sliding-window caches', () => {
  for (const [name, make] of [['reference', async () => new ReferenceBackend()], ['wasm', () => WasmBackend.create()]] as const) {
    for (const kvDtype of ['f32', 'f16'] as const) {
      it(`${name}, ${kvDtype} caches: prefill, decode, awkward blocks and mixed runs of 12 windows = the full-length caches' logits, bit for bit`, async () => {
        const b = await make();
        const full = await load(b, { kvDtype, slidingCacheRows: 128 });
        expect((full.newState() as GemmaState).shiftTmp).toBeNull();
        const want = await runs(b, full);
        let scale = 0;
        for (const v of want.prefill) scale = Math.max(scale, Math.abs(v));
        expect(scale).toBeGreaterThan(1);
        for (const r of ROWS) {
          const m = await load(b, { kvDtype, slidingCacheRows: r });
          const got = await runs(b, m);
          for (const k of Object.keys(want)) expect(got[k], `slidingCacheRows ${r}: ${k}`).toEqual(want[k]);
          m.dispose();
        }
        full.dispose();
      });
    }
  }

  it('rewinding to any position and going on = the full-length caches rewound there, bit for bit, where the rewind keeps the position; else it says 0', async () => {
    const b = await WasmBackend.create();
    const full = await load(b, { slidingCacheRows: 128 });
    // the first positions, some in between, and the last window's worth and more (where the answer flips)
    const ps = [...new Set([0, 1, 2, 3, 4, 5, 6, 13, 22, 31, 40, ...Array.from({ length: 16 }, (_, i) => SEQ.length - i)])];
    for (const r of ROWS) {
      const m = await load(b, { slidingCacheRows: r });
      const C = r ?? 2 * WINDOW;
      let kept = 0;
      for (const p of ps) {
        // the state of 60 tokens (one prefill, then a rewind), or of 60 decoded (another shift pattern)
        // (decoded states only where rewinds flip: decoding 60 tokens twice per position is slow)
        for (const how of p === 0 || p > SEQ.length - 12 ? ['prefill', 'decode'] : ['prefill']) {
          const s = m.newState() as GemmaState;
          if (how === 'prefill') b.free(m.prefill(SEQ, s));
          else await decode(b, m, s, SEQ);
          const start = s.localStart;
          const got = m.rewind!(s, p);
          // kept exactly when the local caches hold the window − 1 positions before p
          expect(got, `rows ${C}, ${how}, p ${p}, local caches from ${start}`).toBe(start === 0 || p - (WINDOW - 1) >= start ? p : 0);
          if (got === p) kept++;
          expect(s.position).toBe(got);
          // the full-length caches run the same: the same state, rewound to the same position
          const fs = full.newState();
          if (how === 'prefill') b.free(full.prefill(SEQ, fs));
          else await decode(b, full, fs, SEQ);
          expect(full.rewind!(fs, got)).toBe(got);
          const rest = [...SEQ.slice(got, p), ...OTHER];
          expect(await rows(b, m, s, rest), `rows ${C}, ${how}, p ${p}`).toEqual(await rows(b, full, fs, rest));
          // and decoding on from there
          expect(await decode(b, m, s, [42, 43]), `rows ${C}, ${how}, p ${p}: decode`).toEqual(await decode(b, full, fs, [42, 43]));
          s.free();
          fs.free();
        }
      }
      // the last positions can always be rewound to (what a chat's next turn needs)
      expect(kept).toBeGreaterThan(4);
      m.dispose();
    }
    full.dispose();
  });

  it('the local caches hold slidingCacheRows rows however long the run; the global one the context', async () => {
    const b = new ReferenceBackend();
    const m = await load(b, {});
    const full = await load(b, { slidingCacheRows: 1000 });
    const s = m.newState() as GemmaState;
    const fs = full.newState() as GemmaState;
    for (const [model, st] of [[m, s], [full, fs]] as const) {
      b.free(model.prefill(SEQ, st));
      await decode(b, model, st, SEQ.slice(0, 40)); // 100 tokens: 20 windows
    }
    expect(s.position).toBe(100);
    expect(s.caches.map((c) => c.capacity)).toEqual([10, 10, 10, 10, 10, 128]);
    expect(s.caches.map((c) => c.k.shape[0])).toEqual([10, 10, 10, 10, 10, 128]);
    expect(s.localStart).toBeGreaterThan(80);
    expect(s.caches[0].length).toBe(100 - s.localStart);
    expect(fs.caches.map((c) => c.capacity)).toEqual(new Array(6).fill(128));
    // f32 rows of 2 kv heads × 32: 256 bytes each for k and for v; the shift buffer holds 9 rows
    const row = 2 * 32 * 4;
    expect(fs.bytes() - s.bytes()).toBe(5 * (128 - 10) * 2 * row - 9 * row + 5 * (Math.ceil(128 / 64) - 1) * 2 * row);
    s.free();
    fs.free();
    m.dispose();
    full.dispose();
  });

  it('localSteps: every step fits the cache, keeps the window − 1 rows before it, and covers the batch in order', () => {
    for (const rows of [5, 6, 9, 10, 17]) {
      for (let length = 0; length <= rows; length++) {
        for (const n of [1, 2, 3, 5, 9, 10, 11, 40]) {
          const start = length >= WINDOW - 1 ? 100 : 0;
          const steps = localSteps(start, length, n, rows, WINDOW);
          let len = length;
          let from = start;
          let r = 0;
          for (const st of steps) {
            expect(st.r0).toBe(r);
            expect(st.r1).toBeGreaterThan(st.r0);
            expect(st.drop).toBeGreaterThanOrEqual(0);
            len -= st.drop;
            from += st.drop;
            expect(st.start).toBe(from);
            // the step's first query sits at from + len and needs keys from there − (window − 1)
            expect(from === 0 || len >= WINDOW - 1).toBe(true);
            len += st.r1 - st.r0;
            expect(len).toBeLessThanOrEqual(rows);
            r = st.r1;
          }
          expect(r).toBe(n);
        }
      }
    }
    // decoding with Gemma 3 1B's window: rows move once every 257 tokens, 767 of them
    const oneB = localSteps(0, 1024, 1, 1024, 512);
    expect(oneB).toEqual([{ r0: 0, r1: 1, drop: 257, start: 257 }]);
  });
});
