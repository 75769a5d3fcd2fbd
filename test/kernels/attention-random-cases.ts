/**
 * Random-input checks of the attention family beyond the golden fixtures: a backend under test vs
 * the reference backend on awkward shapes (dims not multiples of 4, GQA/MQA, odd windows and block
 * sizes, repeated / out-of-range globals, every flag combination), plus self-consistency checks that
 * need no oracle: a decode sequence equals the causal forward's rows, a dense prefill + decode against
 * a KV cache equals one dense pass. Shared by Node (wasm) and the browser worker (webgpu).
 */
import type { Backend } from '../../src/backends/backend.ts';
import { createKvCache, freeKvCache, sparseConfig, type FastGrnnGate, type SparseAttentionConfig } from '../../src/backends/ops/attention.ts';
import { fixtureRandomF32, maxAbsErr } from '../helpers/random.ts';
import { withTensors, type MakeTensor } from '../helpers/tensors.ts';

export interface RandomResult {
  name: string;
  maxAbs: number;
  tol: number;
}

const nan = (n: number) => new Float32Array(n).fill(NaN);

interface Qkv {
  s: number;
  hq: number;
  hkv: number;
  d: number;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
}
function qkv(s: number, hq: number, hkv: number, d: number, seed: number): Qkv {
  return { s, hq, hkv, d, q: fixtureRandomF32(s * hq * d, seed, 4), k: fixtureRandomF32(s * hkv * d, seed + 1, 1), v: fixtureRandomF32(s * hkv * d, seed + 2, 1) };
}

async function sparseOut(b: Backend, x: Qkv, cfg: SparseAttentionConfig, keep?: Float32Array): Promise<Float32Array> {
  return withTensors(b, async (t) => {
    const out = t([x.s, x.hq, x.d], nan(x.s * x.hq * x.d));
    const args = [out, t([x.s, x.hq, x.d], x.q), t([x.s, x.hkv, x.d], x.k), t([x.s, x.hkv, x.d], x.v)] as const;
    if (keep) b.sparseAttentionGated(...args, t([x.s], keep), cfg);
    else b.sparseAttention(...args, cfg);
    return (await b.read(out)) as Float32Array;
  });
}

async function denseOut(b: Backend, x: Qkv, causal: boolean, window?: number, softcap?: number): Promise<Float32Array> {
  return withTensors(b, async (t) => {
    const out = t([x.s, x.hq, x.d], nan(x.s * x.hq * x.d));
    b.denseAttention(out, t([x.s, x.hq, x.d], x.q), t([x.s, x.hkv, x.d], x.k), t([x.s, x.hkv, x.d], x.v), { causal, window, softcap });
    return (await b.read(out)) as Float32Array;
  });
}

/** Decode every position ≥ pre after appending [0, pre) in uneven chunks; rows of all decoded positions. */
async function decodeRows(b: Backend, x: Qkv, cfg: SparseAttentionConfig, pre: number, dtype: 'f32' | 'f16', mode: 'sparse' | 'dense', window?: number, softcap?: number): Promise<Float32Array> {
  return withTensors(b, async (t) => {
    const cache = createKvCache(b, { capacity: x.s + 3, kvHeads: x.hkv, dim: x.d, blockSize: cfg.blockSize, dtype });
    const row = x.hkv * x.d;
    const qrow = x.hq * x.d;
    const got = new Float32Array((x.s - pre) * qrow);
    try {
      for (let p = 0, chunk = 1; p < pre; p += chunk, chunk = chunk * 2 + 1) {
        const n = Math.min(chunk, pre - p);
        b.kvAppend(cache, t([n, x.hkv, x.d], x.k.slice(p * row, (p + n) * row)), t([n, x.hkv, x.d], x.v.slice(p * row, (p + n) * row)));
      }
      const o = t([1, x.hq, x.d], nan(qrow));
      for (let p = pre; p < x.s; p++) {
        b.kvAppend(cache, t([1, x.hkv, x.d], x.k.slice(p * row, (p + 1) * row)), t([1, x.hkv, x.d], x.v.slice(p * row, (p + 1) * row)));
        const q1 = t([1, x.hq, x.d], x.q.slice(p * qrow, (p + 1) * qrow));
        if (mode === 'sparse') b.sparseDecode(o, q1, cache, cfg);
        else b.denseAttention(o, q1, cache.k, cache.v, { causal: true, pos: p, kvLen: cache.length, window, softcap });
        got.set((await b.read(o)) as Float32Array, (p - pre) * qrow);
      }
    } finally {
      freeKvCache(b, cache);
    }
    return got;
  });
}

/** Dense prefill of rows [0, n) against a cache holding them, then one multi-row query block [n, s). */
async function densePrefillBlocks(b: Backend, x: Qkv, n: number, dtype: 'f32' | 'f16', window?: number, softcap?: number): Promise<Float32Array> {
  return withTensors(b, async (t) => {
    const cache = createKvCache(b, { capacity: x.s, kvHeads: x.hkv, dim: x.d, dtype });
    const row = x.hkv * x.d;
    const qrow = x.hq * x.d;
    const got = new Float32Array(x.s * qrow);
    try {
      for (const [a, e] of [[0, n], [n, x.s]]) {
        b.kvAppend(cache, t([e - a, x.hkv, x.d], x.k.slice(a * row, e * row)), t([e - a, x.hkv, x.d], x.v.slice(a * row, e * row)));
        const o = t([e - a, x.hq, x.d], nan((e - a) * qrow));
        b.denseAttention(o, t([e - a, x.hq, x.d], x.q.slice(a * qrow, e * qrow)), cache.k, cache.v, { causal: true, pos: a, kvLen: cache.length, window, softcap });
        got.set((await b.read(o)) as Float32Array, a * qrow);
      }
    } finally {
      freeKvCache(b, cache);
    }
    return got;
  });
}

function gateWeights(b: Backend, din: number, hd: number, seed: number, t: MakeTensor): FastGrnnGate {
  return {
    wGate: t([hd, din], fixtureRandomF32(hd * din, seed, 0.25)),
    uGate: t([hd, hd], fixtureRandomF32(hd * hd, seed + 1, 0.25)),
    wUpdate: t([hd, din], fixtureRandomF32(hd * din, seed + 2, 0.25)),
    uUpdate: t([hd, hd], fixtureRandomF32(hd * hd, seed + 3, 0.25)),
    bGate: t([hd], fixtureRandomF32(hd, seed + 4, 0.5)),
    bUpdate: t([hd], fixtureRandomF32(hd, seed + 5, 0.5)),
    zeta: 0.75,
    nu: 0.125,
  };
}

async function salience(b: Backend, x: Qkv, din: number, hd: number, topk: number): Promise<[Float32Array, Float32Array]> {
  return withTensors(b, async (t) => {
    const gate = gateWeights(b, din, hd, 99, t);
    const sal = t([x.s], nan(x.s));
    b.fastgrnnSalience(sal, t([x.s, x.hkv, x.d], x.k), gate);
    const mask = t([x.s], nan(x.s));
    b.topkMask(mask, sal, topk);
    return [(await b.read(sal)) as Float32Array, (await b.read(mask)) as Float32Array];
  });
}

/** Every check, on backend `b` against `ref` (the reference backend), tolerance `tol`. */
export async function runAttentionRandom(b: Backend, ref: Backend, tol: number): Promise<RandomResult[]> {
  const res: RandomResult[] = [];
  const push = (name: string, a: Float32Array, w: Float32Array, t = tol) => res.push({ name, maxAbs: maxAbsErr(a, w), tol: t });

  // sparse forward: awkward shapes × flag combinations
  const shapes: [string, Qkv][] = [
    ['gqa S37 Hq6 Hkv3 D13', qkv(37, 6, 3, 13, 11)],
    ['mqa S29 Hq4 Hkv1 D1', qkv(29, 4, 1, 1, 12)],
    ['mha S1 H2 D5', qkv(1, 2, 2, 5, 13)],
    ['mha S70 H3 D36', qkv(70, 3, 3, 36, 14)],
  ];
  let combo = 0;
  for (const [label, x] of shapes) {
    for (const causal of [true, false]) {
      for (const [log, land] of [[true, true], [false, true], [true, false], [false, false]]) {
        const sort = combo++ % 3 === 0;
        const cfg = sparseConfig({ window: 5, blockSize: 4, globalTokens: [0, 7, 100, 7, 3], causal, useLogStride: log, useLandmarks: land, sortCandidates: sort });
        push(`sparse ${label} causal=${causal} log=${log} land=${land} sort=${sort}`, await sparseOut(b, x, cfg), await sparseOut(ref, x, cfg));
      }
    }
  }
  // window 0, block 1 and a block larger than the sequence
  const x0 = qkv(23, 2, 1, 7, 21);
  for (const [w, bs] of [[0, 1], [2, 64], [30, 5], [2 ** 30, 2 ** 30]]) {
    const cfg = sparseConfig({ window: w, blockSize: bs, globalTokens: [], causal: false });
    push(`sparse window=${w} block=${bs}`, await sparseOut(b, x0, cfg), await sparseOut(ref, x0, cfg));
  }
  // gated with a random keep mask
  const xg = qkv(61, 4, 2, 9, 31);
  const keep = Float32Array.from(fixtureRandomF32(61, 5, 1), (r) => (r > 0 ? 1 : 0));
  for (const causal of [true, false]) {
    const cfg = sparseConfig({ window: 3, blockSize: 5, globalTokens: [2], causal });
    push(`gated causal=${causal}`, await sparseOut(b, xg, cfg, keep), await sparseOut(ref, xg, cfg, keep));
  }
  // dense
  for (const [label, x] of shapes) {
    for (const causal of [true, false]) push(`dense ${label} causal=${causal}`, await denseOut(b, x, causal), await denseOut(ref, x, causal));
  }
  // decode == forward rows (f32 cache, causal): sparse and dense, and against the reference (f16 cache)
  const xd = qkv(45, 4, 2, 10, 41);
  const cfgD = sparseConfig({ window: 6, blockSize: 4, globalTokens: [0, 9], causal: true });
  const fwd = await sparseOut(b, xd, cfgD);
  const qrow = xd.hq * xd.d;
  const pre = 17;
  push('sparse decode rows == forward rows (f32 cache)', await decodeRows(b, xd, cfgD, pre, 'f32', 'sparse'), fwd.slice(pre * qrow));
  push('sparse decode f16 cache vs reference', await decodeRows(b, xd, cfgD, pre, 'f16', 'sparse'), await decodeRows(ref, xd, cfgD, pre, 'f16', 'sparse'));
  const dfwd = await denseOut(b, xd, true);
  push('dense decode rows == dense forward rows (f32 cache)', await decodeRows(b, xd, cfgD, pre, 'f32', 'dense'), dfwd.slice(pre * qrow));
  push('dense decode f16 cache vs reference', await decodeRows(b, xd, cfgD, pre, 'f16', 'dense'), await decodeRows(ref, xd, cfgD, pre, 'f16', 'dense'));
  push('dense prefill blocks (pos, kvLen) == dense forward', await densePrefillBlocks(b, xd, 19, 'f32'), dfwd);
  push('dense prefill blocks f16 cache vs reference', await densePrefillBlocks(b, xd, 19, 'f16'), await densePrefillBlocks(ref, xd, 19, 'f16'));
  // 2-D [S, H·D] operands (headDim / the cache's dim) give exactly the 3-D results
  const flat = await withTensors(b, async (t) => {
    const out = t([xd.s, xd.hq * xd.d], nan(xd.s * qrow));
    b.denseAttention(out, t([xd.s, xd.hq * xd.d], xd.q), t([xd.s, xd.hkv * xd.d], xd.k), t([xd.s, xd.hkv * xd.d], xd.v), { causal: true, headDim: xd.d });
    const dense2d = (await b.read(out)) as Float32Array;
    const cache = createKvCache(b, { capacity: xd.s, kvHeads: xd.hkv, dim: xd.d, blockSize: cfgD.blockSize });
    b.kvAppend(cache, t([xd.s, xd.hkv * xd.d], xd.k), t([xd.s, xd.hkv * xd.d], xd.v));
    const o1 = t([1, qrow], nan(qrow));
    b.sparseDecode(o1, t([1, qrow], xd.q.slice((xd.s - 1) * qrow)), cache, cfgD);
    const dec = (await b.read(o1)) as Float32Array;
    freeKvCache(b, cache);
    return [dense2d, dec];
  });
  push('dense with 2-D operands (headDim) == 3-D', flat[0], dfwd, 0);
  push('kvAppend + sparseDecode with 2-D rows == forward last row', flat[1], fwd.slice((xd.s - 1) * qrow), tol);
  // split-K dense attention (webgpu, denseSplit: few (row, head) pairs and more than 64 keys run as
  // key parts + a merge): decode rows at ~300 keys, a short query block late in a long cache, and
  // short forwards whose early causal rows leave parts empty; head dims below and above 64
  const xl = qkv(300, 3, 1, 16, 61);
  const lq = xl.hq * xl.d;
  const lfwd = await denseOut(b, xl, true); // 900 pairs: one workgroup per pair
  push('split-K: dense decode rows at 291–300 keys == dense forward rows', await decodeRows(b, xl, cfgD, 290, 'f32', 'dense'), lfwd.slice(290 * lq));
  push('split-K: dense decode f16 cache vs reference', await decodeRows(b, xl, cfgD, 290, 'f16', 'dense'), await decodeRows(ref, xl, cfgD, 290, 'f16', 'dense'));
  push('split-K: 20-row block after 280 cached rows == dense forward', await densePrefillBlocks(b, xl, 280, 'f32'), lfwd);
  for (const [label, x] of [['S100 H1 D8', qkv(100, 1, 1, 8, 71)], ['S90 H1 D80', qkv(90, 1, 1, 80, 72)]] as [string, Qkv][]) {
    for (const causal of [true, false]) push(`split-K: dense ${label} causal=${causal}`, await denseOut(b, x, causal), await denseOut(ref, x, causal));
  }
  // sliding window (causal): vs the reference on the awkward shapes, windows of 1 key, a few keys
  // and more keys than the sequence (= no window); decode rows and a cached prefill block equal the
  // windowed forward; split-K parts over a window (100 of 300 keys, and 270: two parts or more)
  for (const [label, x] of shapes) {
    for (const w of [1, 3, 16, 1000]) push(`dense window=${w} ${label}`, await denseOut(b, x, true, w), await denseOut(ref, x, true, w));
  }
  for (const w of [1, 7]) {
    const wfwd = await denseOut(b, xd, true, w);
    push(`dense window=${w} decode rows == windowed forward rows (f32 cache)`, await decodeRows(b, xd, cfgD, pre, 'f32', 'dense', w), wfwd.slice(pre * qrow));
    push(`dense window=${w} decode f16 cache vs reference`, await decodeRows(b, xd, cfgD, pre, 'f16', 'dense', w), await decodeRows(ref, xd, cfgD, pre, 'f16', 'dense', w));
    push(`dense window=${w} prefill blocks == windowed forward`, await densePrefillBlocks(b, xd, 19, 'f32', w), wfwd);
  }
  push('dense window=1000 == no window', await denseOut(b, xd, true, 1000), dfwd, 0);
  for (const w of [100, 270]) {
    const wl = await denseOut(b, xl, true, w);
    push(`split-K window=${w}: windowed forward vs reference`, wl, await denseOut(ref, xl, true, w));
    push(`split-K window=${w}: decode rows at 291–300 keys == windowed forward rows`, await decodeRows(b, xl, cfgD, 290, 'f32', 'dense', w), wl.slice(290 * lq));
    push(`split-K window=${w}: 20-row block after 280 cached rows == windowed forward`, await densePrefillBlocks(b, xl, 280, 'f32', w), wl);
  }
  // logit soft-capping (Gemma 2): caps that bend the scores (q's spread 4 gives scores of several
  // units), alone and with windows, causal or not, f32 and f16 caches, prefill blocks and decode
  // rows, split-K parts; softcap 0 is no soft-capping, bit for bit
  for (const [label, x] of shapes) {
    for (const [w, cap] of [[0, 0.7], [0, 3], [3, 2], [16, 0.5]]) {
      push(`dense softcap=${cap} window=${w} ${label}`, await denseOut(b, x, true, w, cap), await denseOut(ref, x, true, w, cap));
    }
    push(`dense softcap=2 non-causal ${label}`, await denseOut(b, x, false, 0, 2), await denseOut(ref, x, false, 0, 2));
    push(`dense softcap=0 == none ${label}`, await denseOut(b, x, true, 3, 0), await denseOut(b, x, true, 3), 0);
  }
  for (const [w, cap] of [[0, 2], [7, 1.5]]) {
    const cfwd = await denseOut(b, xd, true, w, cap);
    push(`dense softcap=${cap} window=${w} forward vs reference`, cfwd, await denseOut(ref, xd, true, w, cap));
    push(`dense softcap=${cap} window=${w} decode rows == forward rows (f32 cache)`, await decodeRows(b, xd, cfgD, pre, 'f32', 'dense', w, cap), cfwd.slice(pre * qrow));
    push(`dense softcap=${cap} window=${w} decode f16 cache vs reference`, await decodeRows(b, xd, cfgD, pre, 'f16', 'dense', w, cap), await decodeRows(ref, xd, cfgD, pre, 'f16', 'dense', w, cap));
    push(`dense softcap=${cap} window=${w} prefill blocks == forward`, await densePrefillBlocks(b, xd, 19, 'f32', w, cap), cfwd);
  }
  for (const w of [0, 100]) {
    const cl = await denseOut(b, xl, true, w, 2);
    push(`split-K softcap=2 window=${w}: forward vs reference`, cl, await denseOut(ref, xl, true, w, 2));
    push(`split-K softcap=2 window=${w}: decode rows at 291–300 keys == forward rows`, await decodeRows(b, xl, cfgD, 290, 'f32', 'dense', w, 2), cl.slice(290 * lq));
    push(`split-K softcap=2 window=${w}: decode f16 cache vs reference`, await decodeRows(b, xl, cfgD, 290, 'f16', 'dense', w, 2), await decodeRows(ref, xl, cfgD, 290, 'f16', 'dense', w, 2));
  }
  // FastGRNN salience and top-k (odd input / hidden dims)
  const xs = qkv(50, 3, 3, 11, 51);
  const [sb, mb] = await salience(b, xs, 11, 7, 9);
  const [sr, mr] = await salience(ref, xs, 11, 7, 9);
  push('fastgrnn salience', sb, sr, 1e-5);
  push('top-k mask (9 of 50)', mb, mr, 0);
  return res;
}
