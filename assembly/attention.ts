// Attention kernels (spec: /work/shared/specs/sparse-attention.md; JS side: src/backends/wasm/attention.ts).
// Layout [seq][heads][dim] f32 (or binary16 bits for an f16 KV cache). Pointers are byte offsets into
// linear memory handed out by the JS allocator; `scratch` is a caller-provided work area.
//
// The sparse kernels build each query's candidate list once (shared by all heads) with range checks
// instead of sets, then run the one-pass online softmax of the spec per head with f32x4 dots/axpys.

import { vexp } from './core-vexp';
import { fmadd } from './relaxed';
import { CAUSAL, LOG_STRIDE, LANDMARKS, SORT, GATED, KV_F16, hsum, dot, candidates, nTok, nBlk, maxTokens, MAX_BLOCKS } from './attention-lists';

// ---- f16 helpers -------------------------------------------------------------------------------

/** binary16 bits → f32 (exact). */
// @ts-ignore: decorator
@inline
function h2f(h: u32): f32 {
  const sign = (h & 0x8000) << 16;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e == 0) {
    const v = <f32>m * 5.9604644775390625e-8; // 2^-24
    return sign ? -v : v;
  }
  if (e == 31) return reinterpret<f32>(sign | 0x7f800000 | (m << 13));
  return reinterpret<f32>(sign | ((e + 112) << 23) | (m << 13));
}

/** f32 → binary16 bits, round to nearest even, overflow → ±inf, NaN stays NaN. */
function f2h(v: f32): u32 {
  const x = reinterpret<u32>(v);
  const sign = (x >> 16) & 0x8000;
  const exp = <i32>((x >> 23) & 0xff);
  let mant = x & 0x7fffff;
  if (exp == 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = <u32>(14 - e);
    let half = mant >> shift;
    const rem = mant & ((<u32>1 << shift) - 1);
    const mid = <u32>1 << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (<u32>e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;
  return sign | half;
}

/** Widen n binary16 values at src into f32 at dst. */
function widen(dst: usize, src: usize, n: i32): void {
  for (let x = 0; x < n; x++) store<f32>(dst + (<usize>x << 2), h2f(<u32>load<u16>(src + (<usize>x << 1))));
}

// ---- vector helpers ----------------------------------------------------------------------------

/** acc = acc·corr + w·v (corr = 1 skips the scaling). */
function axpy(acc: usize, v: usize, w: f32, corr: f32, d: i32): void {
  const wv = f32x4.splat(w);
  let x = 0;
  if (corr != 1) {
    const cv = f32x4.splat(corr);
    for (; x + 4 <= d; x += 4) {
      const o = <usize>x << 2;
      v128.store(acc + o, f32x4.add(f32x4.mul(v128.load(acc + o), cv), f32x4.mul(wv, v128.load(v + o))));
    }
    for (; x < d; x++) {
      const o = <usize>x << 2;
      store<f32>(acc + o, load<f32>(acc + o) * corr + w * load<f32>(v + o));
    }
    return;
  }
  for (; x + 4 <= d; x += 4) {
    const o = <usize>x << 2;
    v128.store(acc + o, f32x4.add(v128.load(acc + o), f32x4.mul(wv, v128.load(v + o))));
  }
  for (; x < d; x++) {
    const o = <usize>x << 2;
    store<f32>(acc + o, load<f32>(acc + o) + w * load<f32>(v + o));
  }
}

// ---- landmark block means ----------------------------------------------------------------------

/** dst[b][row] = (Σ_t src[t][row] for t in block b) / count, summed in token order (as the crate). */
export function attn_block_means(dst: usize, src: usize, s: i32, row: i32, bsize: i32): void {
  const nb = (s + bsize - 1) / bsize;
  const rowBytes = <usize>row << 2;
  for (let b = 0; b < nb; b++) {
    const d0 = dst + <usize>b * rowBytes;
    memory.fill(d0, 0, rowBytes);
    const t0 = b * bsize;
    const t1 = min(t0 + bsize, s);
    for (let t = t0; t < t1; t++) {
      const s0 = src + <usize>t * rowBytes;
      let x = 0;
      for (; x + 4 <= row; x += 4) {
        const o = <usize>x << 2;
        v128.store(d0 + o, f32x4.add(v128.load(d0 + o), v128.load(s0 + o)));
      }
      for (; x < row; x++) store<f32>(d0 + (<usize>x << 2), load<f32>(d0 + (<usize>x << 2)) + load<f32>(s0 + (<usize>x << 2)));
    }
    const cnt = <f32>(t1 - t0);
    for (let x = 0; x < row; x++) store<f32>(d0 + (<usize>x << 2), load<f32>(d0 + (<usize>x << 2)) / cnt);
  }
}

// ---- one query row, all heads: scores, softmax, weighted values ----------------------------------

/**
 * Attention of one query row (all hq heads) over the current candidate lists. Three passes:
 * (1) candidates outer, heads inner: scores[h][c] = q_h · K_c · scale, each candidate's K row of all
 * kv heads (hkv·d contiguous values) read once, sequentially; (2) per head: max, w = e^(s − max)
 * four at a time (vexp), den = Σ w; (3) out_h = Σ_c w[h][c] · V_c / den. In exact arithmetic this is
 * the spec's one-pass online softmax; only the rounding differs (the fixtures pass at 2e-6).
 * Tokens come from kTok/vTok (row stride hkv·d elements, f32 or f16), blocks from km/vm (f32).
 */
function attendQuery(out: usize, q: usize, hq: i32, hkv: i32, d: i32, scale: f32, toks: usize, blks: usize, kTok: usize, vTok: usize, f16: bool, km: usize, vm: usize, scores: usize, acc: usize, tmp: usize): void {
  const total = nTok + nBlk;
  const row = hkv * d;
  const elt: usize = f16 ? 2 : 4;
  const group = hq / hkv;
  const stride = <usize>(total + 4) << 2; // bytes per head's score row (room for a vector tail)
  for (let c = 0; c < total; c++) {
    let kr: usize;
    if (c < nTok) {
      kr = kTok + <usize>load<i32>(toks + (<usize>c << 2)) * <usize>row * elt;
      if (f16) {
        widen(tmp, kr, row);
        kr = tmp;
      }
    } else {
      kr = km + ((<usize>load<i32>(blks + (<usize>(c - nTok) << 2)) * <usize>row) << 2);
    }
    for (let h = 0; h < hq; h++) {
      store<f32>(scores + <usize>h * stride + (<usize>c << 2), dot(q + (<usize>(h * d) << 2), kr + (<usize>((h / group) * d) << 2), d) * scale);
    }
  }
  memory.fill(acc, 0, <usize>(hq * d) << 2);
  for (let h = 0; h < hq; h++) {
    const sh = scores + <usize>h * stride;
    let m: f32 = -Infinity;
    for (let c = 0; c < total; c++) m = max(m, load<f32>(sh + (<usize>c << 2)));
    const mv = f32x4.splat(m);
    let dv = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= total; c += 4) {
      const o = <usize>c << 2;
      const w = vexp(f32x4.sub(v128.load(sh + o), mv));
      v128.store(sh + o, w);
      dv = f32x4.add(dv, w);
    }
    let den = hsum(dv);
    for (; c < total; c++) {
      const o = <usize>c << 2;
      const w = Mathf.exp(load<f32>(sh + o) - m);
      store<f32>(sh + o, w);
      den += w;
    }
    // den ≥ 1 (the max term is e^0); kept as 1/den for pass 3
    store<f32>(sh + (<usize>total << 2), den > 0 ? 1 / den : 0);
  }
  if (!f16) {
    weightedValues(out, hq, d, group, total, vTok, vm, row, toks, blks, scores, stride, tmp);
    return;
  }
  // f16 cache: widen each candidate's V row once, then axpy into acc for every head
  for (let c = 0; c < total; c++) {
    let vr: usize;
    if (c < nTok) {
      widen(tmp, vTok + <usize>load<i32>(toks + (<usize>c << 2)) * <usize>row * elt, row);
      vr = tmp;
    } else {
      vr = vm + ((<usize>load<i32>(blks + (<usize>(c - nTok) << 2)) * <usize>row) << 2);
    }
    for (let h = 0; h < hq; h++) {
      axpy(acc + (<usize>(h * d) << 2), vr + (<usize>((h / group) * d) << 2), load<f32>(scores + <usize>h * stride + (<usize>c << 2)), 1, d);
    }
  }
  for (let h = 0; h < hq; h++) {
    const inv = load<f32>(scores + <usize>h * stride + (<usize>total << 2));
    const ah = acc + (<usize>(h * d) << 2);
    const oh = out + (<usize>(h * d) << 2);
    for (let x = 0; x < d; x++) store<f32>(oh + (<usize>x << 2), load<f32>(ah + (<usize>x << 2)) * inv);
  }
}

/**
 * f32 values: out_h[x] = Σ_c w[h][c] · V_c[x] / den_h, 16 output floats at a time held in four
 * registers across all candidates (only V is loaded in the inner loop; no accumulator traffic).
 * vptr (in tmp): each candidate's V row base, computed once.
 */
function weightedValues(out: usize, hq: i32, d: i32, group: i32, total: i32, vTok: usize, vm: usize, row: i32, toks: usize, blks: usize, scores: usize, stride: usize, vptr: usize): void {
  for (let c = 0; c < total; c++) {
    const p = c < nTok ? vTok + ((<usize>load<i32>(toks + (<usize>c << 2)) * <usize>row) << 2) : vm + ((<usize>load<i32>(blks + (<usize>(c - nTok) << 2)) * <usize>row) << 2);
    store<usize>(vptr + (<usize>c << 2), p);
  }
  for (let h = 0; h < hq; h++) {
    const sh = scores + <usize>h * stride;
    const inv = f32x4.splat(load<f32>(sh + (<usize>total << 2)));
    const ho = <usize>((h / group) * d) << 2;
    const oh = out + (<usize>(h * d) << 2);
    let x = 0;
    for (; x + 16 <= d; x += 16) {
      const xo = ho + (<usize>x << 2);
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      for (let c = 0; c < total; c++) {
        const w = f32x4.splat(load<f32>(sh + (<usize>c << 2)));
        const p = load<usize>(vptr + (<usize>c << 2)) + xo;
        a0 = fmadd(w, v128.load(p), a0);
        a1 = fmadd(w, v128.load(p, 16), a1);
        a2 = fmadd(w, v128.load(p, 32), a2);
        a3 = fmadd(w, v128.load(p, 48), a3);
      }
      const o = oh + (<usize>x << 2);
      v128.store(o, f32x4.mul(a0, inv));
      v128.store(o, f32x4.mul(a1, inv), 16);
      v128.store(o, f32x4.mul(a2, inv), 32);
      v128.store(o, f32x4.mul(a3, inv), 48);
    }
    for (; x + 4 <= d; x += 4) {
      const xo = ho + (<usize>x << 2);
      let a0 = f32x4.splat(0);
      for (let c = 0; c < total; c++) {
        a0 = fmadd(f32x4.splat(load<f32>(sh + (<usize>c << 2))), v128.load(load<usize>(vptr + (<usize>c << 2)) + xo), a0);
      }
      v128.store(oh + (<usize>x << 2), f32x4.mul(a0, inv));
    }
    const invs = f32x4.extract_lane(inv, 0);
    for (; x < d; x++) {
      const xo = ho + (<usize>x << 2);
      let a: f32 = 0;
      for (let c = 0; c < total; c++) a += load<f32>(sh + (<usize>c << 2)) * load<f32>(load<usize>(vptr + (<usize>c << 2)) + xo);
      store<f32>(oh + (<usize>x << 2), a * invs);
    }
  }
}

/** Scratch bytes of attn_sparse_forward / attn_sparse_decode: lists, scores, acc, one widened row. */
export function attn_sparse_scratch_bytes(w: i32, ng: i32, hq: i32, hkv: i32, d: i32): i32 {
  const lists = (maxTokens(w, ng) + MAX_BLOCKS) * 4;
  const scores = hq * (maxTokens(w, ng) + MAX_BLOCKS + 4) * 4;
  // tmp: one widened f16 row, or one V-row pointer per candidate (f32 path)
  return lists + 16 + scores + 16 + hq * d * 4 + 16 + max(hkv * d, maxTokens(w, ng) + MAX_BLOCKS) * 4 + 64;
}

/** Carve the scratch area: [toks | blks | scores | acc | tmp], 16-byte aligned where vectors go. */
let sToks: usize = 0, sBlks: usize = 0, sScores: usize = 0, sAcc: usize = 0, sTmp: usize = 0;
function carve(scratch: usize, w: i32, ng: i32, hq: i32, hkv: i32, d: i32): void {
  sToks = scratch;
  sBlks = sToks + (<usize>maxTokens(w, ng) << 2);
  sScores = (sBlks + (<usize>MAX_BLOCKS << 2) + 15) & ~(<usize>15);
  sAcc = (sScores + (<usize>(hq * (maxTokens(w, ng) + MAX_BLOCKS + 4)) << 2) + 15) & ~(<usize>15);
  sTmp = (sAcc + (<usize>(hq * d) << 2) + 15) & ~(<usize>15);
}

/**
 * Sparse forward over all S query rows (crate forward / forward_gqa / forward_gated).
 * km/vm: landmark means [nb][hkv][d] (attn_block_means); keep: f32 [S] when GATED.
 */
export function attn_sparse_forward(out: usize, q: usize, k: usize, v: usize, km: usize, vm: usize, keep: usize, s: i32, hq: i32, hkv: i32, d: i32, w: i32, bsize: i32, g: usize, ng: i32, flags: i32, scratch: usize): void {
  carve(scratch, w, ng, hq, hkv, d);
  const scale: f32 = 1 / Mathf.sqrt(<f32>d);
  const qRow = <usize>(hq * d) << 2;
  for (let i = 0; i < s; i++) {
    candidates(i, s, w, bsize, g, ng, flags, keep, sToks, sBlks);
    attendQuery(out + <usize>i * qRow, q + <usize>i * qRow, hq, hkv, d, scale, sToks, sBlks, k, v, false, km, vm, sScores, sAcc, sTmp);
  }
}

/**
 * Sparse decode for position i = len − 1 against a cache (k/v f32 or f16 [cap][hkv][d]) and its
 * running means. q/out: [hq][d]. O(W + log len): no per-step arrays of size len.
 */
export function attn_sparse_decode(out: usize, q: usize, kc: usize, vc: usize, km: usize, vm: usize, len: i32, hq: i32, hkv: i32, d: i32, w: i32, bsize: i32, g: usize, ng: i32, flags: i32, scratch: usize): void {
  if (len == 0) {
    memory.fill(out, 0, <usize>(hq * d) << 2);
    return;
  }
  carve(scratch, w, ng, hq, hkv, d);
  const scale: f32 = 1 / Mathf.sqrt(<f32>d);
  candidates(len - 1, len, w, bsize, g, ng, flags & ~GATED, 0, sToks, sBlks);
  attendQuery(out, q, hq, hkv, d, scale, sToks, sBlks, kc, vc, (flags & KV_F16) != 0, km, vm, sScores, sAcc, sTmp);
}

// ---- KV cache append ---------------------------------------------------------------------------

/**
 * Copy n rows (f32 [n][row]) to rows len … len+n−1 of the caches (f32 or binary16 RNE) and update
 * the f32 Welford means of their blocks from the unrounded inputs: m += (x − m) / cnt (cnt = 1 → m = x).
 */
export function attn_kv_append(kc: usize, vc: usize, km: usize, vm: usize, ks: usize, vs: usize, n: i32, len: i32, row: i32, bsize: i32, f16: i32): void {
  for (let r = 0; r < n; r++) {
    const p = len + r;
    const blk = <usize>(p / bsize);
    const cnt = p % bsize + 1;
    for (let which = 0; which < 2; which++) {
      const src = (which == 0 ? ks : vs) + (<usize>(r * row) << 2);
      const dst = which == 0 ? kc : vc;
      const mean = (which == 0 ? km : vm) + ((blk * <usize>row) << 2);
      if (f16) {
        for (let x = 0; x < row; x++) store<u16>(dst + (<usize>(p * row + x) << 1), <u16>f2h(load<f32>(src + (<usize>x << 2))));
      } else {
        memory.copy(dst + (<usize>(p * row) << 2), src, <usize>row << 2);
      }
      if (cnt == 1) {
        memory.copy(mean, src, <usize>row << 2);
      } else {
        const fc = <f32>cnt;
        for (let x = 0; x < row; x++) {
          const o = <usize>x << 2;
          const mv = load<f32>(mean + o);
          store<f32>(mean + o, mv + (load<f32>(src + o) - mv) / fc);
        }
      }
    }
  }
}

// ---- dense attention ---------------------------------------------------------------------------

/**
 * Dense softmax attention, online (one pass) per (row, head). q/out [s][hq][d], k/v [T][hkv][d]
 * (f32 or f16). Causal row r sees keys 0 … pos + r (window > 0: only the last `window` of them,
 * max(0, pos + r − window + 1) … pos + r), else 0 … kvLen − 1. softcap > 0: each scaled score sc
 * becomes softcap · tanh(sc · (1/softcap)) (Gemma 2; llama.cpp's scale, tanh, scale).
 */
export function attn_dense(out: usize, q: usize, k: usize, v: usize, s: i32, hq: i32, hkv: i32, d: i32, causal: i32, pos: i32, kvLen: i32, scale: f32, f16: i32, scratch: usize, window: i32, softcap: f32): void {
  densePairs(out, q, k, v, hq, hkv, d, causal, pos, kvLen, scale, f16, scratch, 0, s * hq, window, softcap);
}

/**
 * attn_dense for the (row, head) pairs [p0, p1) only (pair = row·hq + head), the thread pool's
 * split (src/backends/wasm/threads-ops.ts): each pair runs the same instructions as in attn_dense,
 * so any split is bit-identical. `flags`: 1 causal, 2 f16 K/V (the pool passes at most 16
 * arguments); `scaleBits` / `softcapBits` are the f32 bit patterns of scale and softcap (pool
 * arguments are integers); each part needs its own scratch.
 */
export function attn_dense_pairs(out: usize, q: usize, k: usize, v: usize, hq: i32, hkv: i32, d: i32, flags: i32, pos: i32, kvLen: i32, scaleBits: i32, scratch: usize, p0: i32, p1: i32, window: i32, softcapBits: i32): void {
  densePairs(out, q, k, v, hq, hkv, d, flags & 1, pos, kvLen, reinterpret<f32>(scaleBits), (flags >> 1) & 1, scratch, p0, p1, window, reinterpret<f32>(softcapBits));
}

// @ts-ignore: decorator
@inline
function densePairs(out: usize, q: usize, k: usize, v: usize, hq: i32, hkv: i32, d: i32, causal: i32, pos: i32, kvLen: i32, scale: f32, f16: i32, scratch: usize, p0: i32, p1: i32, window: i32, softcap: f32): void {
  const acc = (scratch + 15) & ~(<usize>15);
  const capInv: f32 = softcap > 0 ? 1 / softcap : 0;
  const tmp = acc + (<usize>d << 2);
  const elt: usize = f16 ? 2 : 4;
  const group = hq / hkv;
  const rowStride = <usize>(hkv * d) * elt;
  for (let p = p0; p < p1; p++) {
    const i = p / hq;
    const h = p % hq;
    const n = causal ? pos + i + 1 : kvLen;
    const j0 = window > 0 && n > window ? n - window : 0;
    const kvh = <usize>(h / group);
    const qo = <usize>p * <usize>d << 2;
    const qp = q + qo;
    const kb = k + kvh * <usize>d * elt;
    const vb = v + kvh * <usize>d * elt;
    memory.fill(acc, 0, <usize>d << 2);
    let m: f32 = -Infinity;
    let den: f32 = 0;
    for (let j = j0; j < n; j++) {
      let kp = kb + <usize>j * rowStride;
      let vp = vb + <usize>j * rowStride;
      if (f16) {
        widen(tmp, kp, d);
        widen(tmp + (<usize>d << 2), vp, d);
        kp = tmp;
        vp = tmp + (<usize>d << 2);
      }
      let sc = dot(qp, kp, d) * scale;
      if (softcap > 0) sc = softcap * Mathf.tanh(sc * capInv);
      let corr: f32 = 1;
      if (sc > m) {
        corr = Mathf.exp(m - sc);
        den *= corr;
        m = sc;
      }
      const wt = Mathf.exp(sc - m);
      den += wt;
      axpy(acc, vp, wt, corr, d);
    }
    const inv: f32 = den > 0 ? 1 / den : 0;
    for (let x = 0; x < d; x++) store<f32>(out + qo + (<usize>x << 2), load<f32>(acc + (<usize>x << 2)) * inv);
  }
}

// ---- FastGRNN salience and top-k ---------------------------------------------------------------

/**
 * score_kv: x_t = Σ_h k[t,h,:]·(1/H); pre = W·x + U·h (one f32 accumulator, x terms first);
 * g = σ(pre_g + bg), c = tanh(pre_u + bu), gf = clamp(ζg + ν, 0, 1), h' = gf·h + (1 − gf)·c,
 * out[t] = ||h'||. scratch: (din + 2·hd) f32.
 */
export function attn_fastgrnn(out: usize, k: usize, s: i32, nh: i32, din: i32, hd: i32, wg: usize, ug: usize, wu: usize, uu: usize, bg: usize, bu: usize, zeta: f32, nu: f32, scratch: usize): void {
  const xt = scratch;
  const hs = xt + (<usize>din << 2);
  const hn = hs + (<usize>hd << 2);
  memory.fill(hs, 0, <usize>hd << 2);
  const invH: f32 = 1 / <f32>nh;
  for (let t = 0; t < s; t++) {
    for (let x = 0; x < din; x++) {
      let a: f32 = 0;
      for (let h = 0; h < nh; h++) a += load<f32>(k + (<usize>((t * nh + h) * din + x) << 2)) * invH;
      store<f32>(xt + (<usize>x << 2), a);
    }
    let norm: f32 = 0;
    for (let r = 0; r < hd; r++) {
      let pg: f32 = 0;
      let pu: f32 = 0;
      for (let j = 0; j < din; j++) {
        const xj = load<f32>(xt + (<usize>j << 2));
        pg += load<f32>(wg + (<usize>(r * din + j) << 2)) * xj;
        pu += load<f32>(wu + (<usize>(r * din + j) << 2)) * xj;
      }
      for (let j = 0; j < hd; j++) {
        const hj = load<f32>(hs + (<usize>j << 2));
        pg += load<f32>(ug + (<usize>(r * hd + j) << 2)) * hj;
        pu += load<f32>(uu + (<usize>(r * hd + j) << 2)) * hj;
      }
      const gate: f32 = 1 / (1 + Mathf.exp(-(pg + load<f32>(bg + (<usize>r << 2)))));
      const cand = Mathf.tanh(pu + load<f32>(bu + (<usize>r << 2)));
      const gf = min<f32>(1, max<f32>(0, zeta * gate + nu));
      const hr = gf * load<f32>(hs + (<usize>r << 2)) + (1 - gf) * cand;
      store<f32>(hn + (<usize>r << 2), hr);
      norm += hr * hr;
    }
    memory.copy(hs, hn, <usize>hd << 2);
    store<f32>(out + (<usize>t << 2), Mathf.sqrt(norm));
  }
}

/** Does index a rank before b (higher salience first, ties → lower index)? */
// @ts-ignore: decorator
@inline
function before(sal: usize, a: i32, b: i32): bool {
  const sa = load<f32>(sal + (<usize>a << 2));
  const sb = load<f32>(sal + (<usize>b << 2));
  return sa > sb || (sa == sb && a < b);
}

/** keep_mask_top_k: bottom-up merge sort of the indices (scratch: 2n i32), then mark the first k. */
export function attn_topk_mask(out: usize, sal: usize, n: i32, k: i32, scratch: usize): void {
  let src = scratch;
  let dst = scratch + (<usize>n << 2);
  for (let i = 0; i < n; i++) store<i32>(src + (<usize>i << 2), i);
  for (let width = 1; width < n; width <<= 1) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = min(lo + width, n);
      const hi = min(lo + 2 * width, n);
      let a = lo, b = mid, o = lo;
      while (a < mid && b < hi) {
        const ia = load<i32>(src + (<usize>a << 2));
        const ib = load<i32>(src + (<usize>b << 2));
        if (before(sal, ib, ia)) {
          store<i32>(dst + (<usize>(o++) << 2), ib);
          b++;
        } else {
          store<i32>(dst + (<usize>(o++) << 2), ia);
          a++;
        }
      }
      while (a < mid) store<i32>(dst + (<usize>(o++) << 2), load<i32>(src + (<usize>(a++) << 2)));
      while (b < hi) store<i32>(dst + (<usize>(o++) << 2), load<i32>(src + (<usize>(b++) << 2)));
    }
    const t = src;
    src = dst;
    dst = t;
  }
  memory.fill(out, 0, <usize>n << 2);
  const kk = min(k, n);
  for (let r = 0; r < kk; r++) store<f32>(out + (<usize>load<i32>(src + (<usize>r << 2)) << 2), 1);
}
