/**
 * Attention beyond the golden fixtures: wasm vs reference on random awkward shapes and
 * self-consistency (decode == forward rows, cached dense prefill == dense), and config/operand
 * validation: identical typed SparrowErrors naming the parameter on reference and wasm.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { createKvCache, sparseConfig, resetKvCache } from '../../src/backends/ops/attention.ts';
import { SparrowError } from '../../src/errors.ts';
import { runAttentionRandom, type RandomResult } from './attention-random-cases.ts';
import { denseSplit } from '../../src/backends/webgpu/attention.ts';
import { fixtureRandomF32, maxAbsErr } from '../helpers/random.ts';
import { withTensors } from '../helpers/tensors.ts';

describe('attention: wasm vs reference on random inputs', () => {
  let results: RandomResult[] = [];
  beforeAll(async () => {
    results = await runAttentionRandom(await WasmBackend.create(), new ReferenceBackend(), 2e-6);
  }, 60_000);
  it('ran the checks', () => expect(results.length).toBeGreaterThan(40));
  it('every check within tolerance', () => {
    const bad = results.filter((r) => !(r.maxAbs <= r.tol));
    expect(bad).toEqual([]);
  });
});

describe('denseAttention with a sliding window (reference, by definition)', () => {
  it('row i = plain attention of q_i over keys max(0, i − w + 1) … i only; w ≥ rows and w = 0 = no window', async () => {
    const ref = new ReferenceBackend();
    const [s, hq, hkv, d] = [12, 4, 2, 5];
    const q = fixtureRandomF32(s * hq * d, 3, 3);
    const k = fixtureRandomF32(s * hkv * d, 4, 1);
    const v = fixtureRandomF32(s * hkv * d, 5, 1);
    const run = async (opts: { window?: number; causal?: boolean }, qs = q, ks = k, vs = v, rows = s, keys = s) =>
      withTensors(ref, async (t) => {
        const out = t([rows, hq, d], new Float32Array(rows * hq * d));
        ref.denseAttention(out, t([rows, hq, d], qs), t([keys, hkv, d], ks), t([keys, hkv, d], vs), opts);
        return (await ref.read(out)) as Float32Array;
      });
    for (const w of [1, 4]) {
      const got = await run({ window: w });
      for (let i = 0; i < s; i++) {
        const lo = Math.max(0, i - w + 1);
        const n = i + 1 - lo;
        // the same query against only its window's keys, non-causal: every one of them counts
        const want = await run({ causal: false }, q.slice(i * hq * d, (i + 1) * hq * d), k.slice(lo * hkv * d, (i + 1) * hkv * d), v.slice(lo * hkv * d, (i + 1) * hkv * d), 1, n);
        expect(maxAbsErr(got.slice(i * hq * d, (i + 1) * hq * d), want), `w ${w} row ${i}`).toBe(0);
      }
    }
    const all = await run({});
    expect(maxAbsErr(await run({ window: s }), all)).toBe(0);
    expect(maxAbsErr(await run({ window: 0 }), all)).toBe(0);
    expect(maxAbsErr(await run({ window: 4 }), all)).toBeGreaterThan(1e-3); // the window changes rows ≥ 4
  });
});

describe('denseAttention with logit soft-capping (reference, by definition)', () => {
  it('scores cap · tanh(q·k · scale / cap) before the softmax, with a window; a cap of 0 = none; bad caps refused', async () => {
    const ref = new ReferenceBackend();
    const [s, hq, hkv, d, w, cap, scale] = [9, 4, 2, 6, 4, 1.5, 0.37];
    const q = fixtureRandomF32(s * hq * d, 6, 4);
    const k = fixtureRandomF32(s * hkv * d, 7, 1);
    const v = fixtureRandomF32(s * hkv * d, 8, 1);
    const run = (opts: object) =>
      withTensors(ref, async (t) => {
        const out = t([s, hq, d], new Float32Array(s * hq * d));
        ref.denseAttention(out, t([s, hq, d], q), t([s, hkv, d], k), t([s, hkv, d], v), { scale, window: w, ...opts });
        return (await ref.read(out)) as Float32Array;
      });
    const got = await run({ softcap: cap });
    const want = new Float32Array(s * hq * d);
    for (let i = 0; i < s; i++) {
      for (let h = 0; h < hq; h++) {
        const kvh = Math.floor(h / (hq / hkv));
        const js = Array.from({ length: i + 1 - Math.max(0, i - w + 1) }, (_, c) => Math.max(0, i - w + 1) + c);
        const sc = js.map((j) => {
          let dot = 0;
          for (let x = 0; x < d; x++) dot += q[(i * hq + h) * d + x] * k[(j * hkv + kvh) * d + x];
          return cap * Math.tanh((dot * scale) / cap);
        });
        const m = Math.max(...sc);
        const e = sc.map((x) => Math.exp(x - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let x = 0; x < d; x++) want[(i * hq + h) * d + x] = js.reduce((a, j, c) => a + (e[c] / z) * v[(j * hkv + kvh) * d + x], 0);
      }
    }
    expect(maxAbsErr(got, want)).toBeLessThan(1e-6);
    const none = await run({});
    expect(maxAbsErr(await run({ softcap: 0 }), none)).toBe(0);
    expect(maxAbsErr(got, none)).toBeGreaterThan(1e-2); // the cap bends these scores
    for (const bad of [-1, NaN, Infinity]) await expect(run({ softcap: bad })).rejects.toThrow(/softcap/);
  });
});

describe('sparseConfig', () => {
  it('fills the defaults; a field given as undefined keeps its default', () => {
    expect(sparseConfig({ window: undefined, blockSize: 32, useLandmarks: false })).toEqual({ window: 128, blockSize: 32, globalTokens: [0], causal: true, useLogStride: true, useLandmarks: false, sortCandidates: false });
  });
});

describe('denseSplit: the webgpu split-K plan for dense attention', () => {
  it('splits few pairs with many keys into parts of ≤ 256 keys (multiples of 32) that cover every key', () => {
    // [pairs, keys]: a decode row of 9 heads at 1,024 / 16,384 keys, and the random cases' split-K shapes
    for (const [pairs, keys] of [[9, 1024], [9, 16384], [3, 300], [60, 300], [100, 100], [90, 90], [1, 65]]) {
      const p = denseSplit(pairs, keys);
      expect(p, `${pairs} pairs, ${keys} keys`).not.toBeNull();
      const { parts, partKeys } = p!;
      expect(parts).toBeGreaterThan(1);
      expect(partKeys % 32).toBe(0);
      expect(partKeys).toBeLessThanOrEqual(256);
      expect(parts * partKeys).toBeGreaterThanOrEqual(keys);
      expect((parts - 1) * partKeys).toBeLessThan(keys); // no part starts past the last key
    }
    expect(denseSplit(9, 1024)!.parts * 9).toBeGreaterThanOrEqual(128); // the decode row now fills the GPU
    expect(denseSplit(9, 16384)).toEqual({ parts: 64, partKeys: 256 });
  });
  it('keeps one workgroup per pair for many pairs (prefill) or ≤ 64 keys', () => {
    for (const [pairs, keys] of [[900, 300], [128, 5000], [3, 64], [9, 1]]) expect(denseSplit(pairs, keys), `${pairs} pairs, ${keys} keys`).toBeNull();
  });
});

function thrown(f: () => void): SparrowError {
  try {
    f();
  } catch (e) {
    if (e instanceof SparrowError) return e;
    throw e;
  }
  throw new Error('expected a SparrowError, nothing was thrown');
}

for (const make of [async () => new ReferenceBackend() as Backend, async () => (await WasmBackend.create()) as Backend]) {
  describe('attention: typed errors', () => {
    let b: Backend;
    beforeAll(async () => {
      b = await make();
    });
    const mk = (s: number, hq: number, hkv: number, d: number) => ({
      out: b.tensor([s, hq, d]),
      q: b.tensor([s, hq, d]),
      k: b.tensor([s, hkv, d]),
      v: b.tensor([s, hkv, d]),
    });
    it(`block size 0, negative window, bad globals → INVALID_ARGUMENT naming the parameter`, () => {
      const { out, q, k, v } = mk(4, 2, 2, 4);
      let e = thrown(() => b.sparseAttention(out, q, k, v, sparseConfig({ blockSize: 0 })));
      expect([e.code, e.message]).toEqual(['INVALID_ARGUMENT', expect.stringContaining('blockSize')]);
      e = thrown(() => b.sparseAttention(out, q, k, v, sparseConfig({ window: -1 })));
      expect([e.code, e.message]).toEqual(['INVALID_ARGUMENT', expect.stringContaining('window')]);
      e = thrown(() => b.sparseAttention(out, q, k, v, sparseConfig({ globalTokens: [1.5] })));
      expect([e.code, e.message]).toEqual(['INVALID_ARGUMENT', expect.stringContaining('globalTokens')]);
    });
    it('heads not divisible (GQA) and mismatched shapes → SHAPE_MISMATCH with shapes', () => {
      const { out, q, k, v } = mk(4, 3, 2, 4);
      let e = thrown(() => b.sparseAttention(out, q, k, v, sparseConfig()));
      expect(e.code).toBe('SHAPE_MISMATCH');
      expect(e.message).toContain('q heads 3 must be a multiple of kv heads 2');
      const m = mk(4, 2, 2, 4);
      e = thrown(() => b.sparseAttention(m.out, m.q, b.tensor([5, 2, 4]), b.tensor([5, 2, 4]), sparseConfig()));
      expect([e.code, e.message]).toEqual(['SHAPE_MISMATCH', expect.stringContaining('k [5, 2, 4]')]);
      e = thrown(() => b.denseAttention(b.tensor([4, 2, 3]), m.q, m.k, m.v));
      expect([e.code, e.message]).toEqual(['SHAPE_MISMATCH', expect.stringContaining('out must have the shape of q')]);
      e = thrown(() => b.denseAttention(m.q, m.q, m.k, m.v));
      expect([e.code, e.message]).toEqual(['INVALID_ARGUMENT', expect.stringContaining('out must be a separate tensor')]);
      e = thrown(() => b.sparseAttentionGated(m.out, m.q, m.k, m.v, b.tensor([3]), sparseConfig()));
      expect([e.code, e.message]).toEqual(['SHAPE_MISMATCH', expect.stringContaining('keep mask')]);
    });
    it('denseAttention window: negative, fractional or non-causal → INVALID_ARGUMENT naming window', () => {
      const { out, q, k, v } = mk(4, 2, 2, 4);
      for (const [window, causal] of [[-1, true], [1.5, true], [2, false]] as const) {
        const e = thrown(() => b.denseAttention(out, q, k, v, { window, causal }));
        expect([e.code, e.message], `window ${window} causal ${causal}`).toEqual(['INVALID_ARGUMENT', expect.stringContaining('window')]);
      }
    });
    it('cache overflow → INDEX_OUT_OF_RANGE; decode block size must match the cache', () => {
      const c = createKvCache(b, { capacity: 3, kvHeads: 2, dim: 4, blockSize: 2 });
      b.kvAppend(c, b.tensor([2, 2, 4]), b.tensor([2, 2, 4]));
      const e = thrown(() => b.kvAppend(c, b.tensor([2, 2, 4]), b.tensor([2, 2, 4])));
      expect([e.code, e.message]).toEqual(['INDEX_OUT_OF_RANGE', expect.stringContaining('cache overflow')]);
      expect(c.length).toBe(2);
      const e2 = thrown(() => b.sparseDecode(b.tensor([1, 2, 4]), b.tensor([1, 2, 4]), c, sparseConfig({ blockSize: 4 })));
      expect([e2.code, e2.message]).toEqual(['INVALID_ARGUMENT', expect.stringContaining('blockSize')]);
      const e3 = thrown(() => b.kvAppend(c, b.tensor([1, 3, 4]), b.tensor([1, 3, 4])));
      expect(e3.code).toBe('SHAPE_MISMATCH');
      const e4 = thrown(() => b.denseAttention(b.tensor([2, 2, 4]), b.tensor([2, 2, 4]), c.k, c.v, { pos: 1, kvLen: c.length }));
      expect([e4.code, e4.message]).toEqual(['INDEX_OUT_OF_RANGE', expect.stringContaining('kvLen')]);
      resetKvCache(c);
      expect(c.length).toBe(0);
      expect(() => createKvCache(b, { capacity: 4, kvHeads: 1, dim: 4, blockSize: 0 })).toThrow(/blockSize/);
    });
    it('empty cache decode gives zeros; S = 0 forward is a no-op', async () => {
      const c = createKvCache(b, { capacity: 2, kvHeads: 1, dim: 3, blockSize: 2 });
      const o = b.tensor([1, 2, 3], 'f32', new Float32Array(6).fill(NaN));
      b.sparseDecode(o, b.tensor([1, 2, 3], 'f32', new Float32Array(6).fill(1)), c, sparseConfig({ blockSize: 2 }));
      expect(Array.from(await b.read(o))).toEqual([0, 0, 0, 0, 0, 0]);
      const z = mk(0, 2, 1, 3);
      b.sparseAttention(z.out, z.q, z.k, z.v, sparseConfig());
      expect(z.out.size).toBe(0);
    });
    it('FastGRNN gate with a wrong input dim → SHAPE_MISMATCH; negative top-k → INVALID_ARGUMENT', () => {
      const t = (...s: number[]) => b.tensor(s);
      const gate = { wGate: t(4, 5), uGate: t(4, 4), wUpdate: t(4, 5), uUpdate: t(4, 4), bGate: t(4), bUpdate: t(4), zeta: 1, nu: 0 };
      const e = thrown(() => b.fastgrnnSalience(t(6), t(6, 2, 3), gate));
      expect([e.code, e.message]).toEqual(['SHAPE_MISMATCH', expect.stringContaining('gate input dim 5 must equal k dim 3')]);
      const e2 = thrown(() => b.topkMask(t(6), t(6), -1));
      expect(e2.code).toBe('INVALID_ARGUMENT');
    });
  });
}
