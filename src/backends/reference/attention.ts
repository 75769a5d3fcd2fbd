/**
 * Reference (oracle) attention: plain loops, float64 scores / softmax / accumulation, two-pass
 * softmax over an explicit candidate list built with sets (attention-candidates.ts). Landmark means
 * of `sparseAttention` are exact float64 block means; the KV cache keeps the crate's f32 Welford means.
 */
import type { Tensor } from '../backend.ts';
import type { DenseAttentionOptions, FastGrnnGate, KvCache, SparseAttentionConfig } from '../ops/attention.ts';
import * as va from '../ops/attention-validate.ts';
import { blockCandidates, tokenCandidates } from '../ops/attention-candidates.ts';
import { fromF16Bits, toF16Bits } from '../../util/f16.ts';
import type { RefTensor } from './backend.ts';

const NAME = 'reference';

function f32(t: Tensor): Float32Array {
  return (t as RefTensor).data as Float32Array;
}

/** Element reader for an f32 or f16 (binary16 bits) tensor. */
function reader(t: Tensor): (i: number) => number {
  const d = (t as RefTensor).data;
  if (t.dtype === 'f16') {
    const u = d as Uint16Array;
    return (i) => fromF16Bits(u[i]);
  }
  const f = d as Float32Array;
  return (i) => f[i];
}

/**
 * out[h·D …] = softmax(scores) · values over one query's candidates. `key(c)` / `val(c)` return the
 * element reader offset for candidate c of kv head kvh.
 */
function attendRow(
  o: Float32Array,
  oOff: number,
  qs: Float32Array,
  qOff: number,
  d: number,
  scale: number,
  n: number,
  keyAt: (c: number, x: number) => number,
  valAt: (c: number, x: number) => number,
  softcap = 0,
): void {
  if (n === 0) {
    o.fill(0, oOff, oOff + d);
    return;
  }
  const sc = new Float64Array(n);
  let m = -Infinity;
  for (let c = 0; c < n; c++) {
    let dot = 0;
    for (let x = 0; x < d; x++) dot += qs[qOff + x] * keyAt(c, x);
    sc[c] = softcap > 0 ? softcap * Math.tanh((dot * scale) / softcap) : dot * scale;
    if (sc[c] > m) m = sc[c];
  }
  let den = 0;
  const acc = new Float64Array(d);
  for (let c = 0; c < n; c++) {
    const w = Math.exp(sc[c] - m);
    den += w;
    for (let x = 0; x < d; x++) acc[x] += w * valAt(c, x);
  }
  for (let x = 0; x < d; x++) o[oOff + x] = den > 0 ? acc[x] / den : 0;
}

/** Exact block means [nb][hkv][d] of rows 0 … s−1 (partial last block over its real count). */
function blockMeans(src: Float32Array, s: number, hkv: number, d: number, b: number): Float64Array {
  const nb = Math.ceil(s / b);
  const m = new Float64Array(nb * hkv * d);
  const row = hkv * d;
  for (let blk = 0; blk < nb; blk++) {
    const end = Math.min((blk + 1) * b, s);
    for (let t = blk * b; t < end; t++) for (let x = 0; x < row; x++) m[blk * row + x] += src[t * row + x];
    for (let x = 0; x < row; x++) m[blk * row + x] /= end - blk * b;
  }
  return m;
}

function sparseCore(out: Tensor, q: Tensor, k: Tensor, v: Tensor, cfg: SparseAttentionConfig, sh: va.AttnShape, keep?: Float32Array): void {
  const { s, hq, hkv, d, group } = sh;
  const qs = f32(q);
  const ks = f32(k);
  const vs = f32(v);
  const o = f32(out);
  const scale = 1 / Math.sqrt(d);
  const km = cfg.useLandmarks ? blockMeans(ks, s, hkv, d, cfg.blockSize) : new Float64Array(0);
  const vm = cfg.useLandmarks ? blockMeans(vs, s, hkv, d, cfg.blockSize) : new Float64Array(0);
  for (let i = 0; i < s; i++) {
    const toks = tokenCandidates(i, s, cfg, keep ? (j) => keep[j] !== 0 : undefined);
    const blks = blockCandidates(i, s, cfg);
    const nt = toks.length;
    for (let h = 0; h < hq; h++) {
      const kvh = Math.floor(h / group);
      const rowOf = (c: number) => (c < nt ? (toks[c] * hkv + kvh) * d : (blks[c - nt] * hkv + kvh) * d);
      attendRow(
        o,
        (i * hq + h) * d,
        qs,
        (i * hq + h) * d,
        d,
        scale,
        nt + blks.length,
        (c, x) => (c < nt ? ks[rowOf(c) + x] : km[rowOf(c) + x]),
        (c, x) => (c < nt ? vs[rowOf(c) + x] : vm[rowOf(c) + x]),
      );
    }
  }
}

export function sparseAttention(out: Tensor, q: Tensor, k: Tensor, v: Tensor, cfg: SparseAttentionConfig): void {
  sparseCore(out, q, k, v, cfg, va.sparse('sparseAttention', NAME, out, q, k, v, cfg));
}

export function sparseAttentionGated(out: Tensor, q: Tensor, k: Tensor, v: Tensor, keep: Tensor, cfg: SparseAttentionConfig): void {
  const sh = va.gated('sparseAttentionGated', NAME, out, q, k, v, keep, cfg);
  sparseCore(out, q, k, v, cfg, sh, f32(keep));
}

export function denseAttention(out: Tensor, q: Tensor, k: Tensor, v: Tensor, opts?: DenseAttentionOptions): void {
  const { s, hq, hkv, d, group, causal, pos, kvLen, scale, window, softcap } = va.dense('denseAttention', NAME, out, q, k, v, opts);
  const qs = f32(q);
  const kr = reader(k);
  const vr = reader(v);
  const o = f32(out);
  for (let i = 0; i < s; i++) {
    // keys j0 … end − 1: all of them, or (window w) the last w positions up to the query's own
    const end = causal ? pos + i + 1 : kvLen;
    const j0 = window > 0 ? Math.max(0, end - window) : 0;
    const n = end - j0;
    for (let h = 0; h < hq; h++) {
      const kvh = Math.floor(h / group);
      const off = (j: number, x: number) => ((j0 + j) * hkv + kvh) * d + x;
      attendRow(o, (i * hq + h) * d, qs, (i * hq + h) * d, d, scale, n, (j, x) => kr(off(j, x)), (j, x) => vr(off(j, x)), softcap);
    }
  }
}

export function kvAppend(c: KvCache, k: Tensor, v: Tensor): void {
  const n = va.kvAppend('kvAppend', NAME, c, k, v);
  const row = c.kvHeads * c.dim;
  const src = [f32(k), f32(v)];
  const dst = [(c.k as RefTensor).data as Float32Array | Uint16Array, (c.v as RefTensor).data as Float32Array | Uint16Array];
  const means = [f32(c.kMean), f32(c.vMean)];
  for (let r = 0; r < n; r++) {
    const p = c.length + r;
    const blk = Math.floor(p / c.blockSize);
    const cnt = (p % c.blockSize) + 1;
    for (let which = 0; which < 2; which++) {
      for (let x = 0; x < row; x++) {
        const val = src[which][r * row + x];
        dst[which][p * row + x] = c.dtype === 'f16' ? toF16Bits(val) : val;
        // f32 Welford as the crate: m += (x − m) / n, each step rounded to f32 (n = 1 → m = x).
        const mi = blk * row + x;
        const m = means[which];
        m[mi] = cnt === 1 ? val : Math.fround(m[mi] + Math.fround(Math.fround(val - m[mi]) / cnt));
      }
    }
  }
  c.length += n;
}

export function sparseDecode(out: Tensor, q: Tensor, c: KvCache, cfg: SparseAttentionConfig): void {
  const { hq, hkv, d, group } = va.decode('sparseDecode', NAME, out, q, c, cfg);
  const o = f32(out);
  const len = c.length;
  if (len === 0) {
    o.fill(0);
    return;
  }
  // The f16 cache never sorts (crate decode_step_f16); sorting only changes rounding anyway.
  const eff = c.dtype === 'f16' ? { ...cfg, sortCandidates: false } : cfg;
  const i = len - 1;
  const toks = tokenCandidates(i, len, eff);
  const blks = blockCandidates(i, len, eff);
  const nt = toks.length;
  const kr = reader(c.k);
  const vr = reader(c.v);
  const km = f32(c.kMean);
  const vm = f32(c.vMean);
  const qs = f32(q);
  const scale = 1 / Math.sqrt(d);
  for (let h = 0; h < hq; h++) {
    const kvh = Math.floor(h / group);
    const rowOf = (cand: number) => ((cand < nt ? toks[cand] : blks[cand - nt]) * hkv + kvh) * d;
    attendRow(
      o,
      h * d,
      qs,
      h * d,
      d,
      scale,
      nt + blks.length,
      (cand, x) => (cand < nt ? kr(rowOf(cand) + x) : km[rowOf(cand) + x]),
      (cand, x) => (cand < nt ? vr(rowOf(cand) + x) : vm[rowOf(cand) + x]),
    );
  }
}

export function fastgrnnSalience(out: Tensor, k: Tensor, g: FastGrnnGate): void {
  const { s, h, din, hd } = va.fastgrnn('fastgrnnSalience', NAME, out, k, g);
  const ks = f32(k);
  const [wg, ug, wu, uu, bg, bu] = [g.wGate, g.uGate, g.wUpdate, g.uUpdate, g.bGate, g.bUpdate].map(f32);
  const o = f32(out);
  let st = new Float64Array(hd);
  const xt = new Float64Array(din);
  for (let t = 0; t < s; t++) {
    xt.fill(0);
    for (let hh = 0; hh < h; hh++) for (let x = 0; x < din; x++) xt[x] += ks[(t * h + hh) * din + x] / h;
    const next = new Float64Array(hd);
    let norm = 0;
    for (let r = 0; r < hd; r++) {
      let pg = 0;
      let pu = 0;
      for (let j = 0; j < din; j++) {
        pg += wg[r * din + j] * xt[j];
        pu += wu[r * din + j] * xt[j];
      }
      for (let j = 0; j < hd; j++) {
        pg += ug[r * hd + j] * st[j];
        pu += uu[r * hd + j] * st[j];
      }
      const gate = 1 / (1 + Math.exp(-(pg + bg[r])));
      const cand = Math.tanh(pu + bu[r]);
      const gf = Math.min(1, Math.max(0, g.zeta * gate + g.nu));
      next[r] = gf * st[r] + (1 - gf) * cand;
      norm += next[r] * next[r];
    }
    st = next;
    o[t] = Math.sqrt(norm);
  }
}

export function topkMask(out: Tensor, salience: Tensor, k: number): void {
  const n = va.topk('topkMask', NAME, out, salience, k);
  const sal = f32(salience);
  const o = f32(out);
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => sal[b] - sal[a] || a - b);
  o.fill(0);
  for (let r = 0; r < Math.min(k, n); r++) o[idx[r]] = 1;
}
