/**
 * Reference (float64, one plain loop per formula) implementations of the sequence ops in
 * ops/sequence.ts, plus `quantizeTernary`, the host-side builder of 'ternary' weight tensors.
 * States are kept in float64 within a call and stored back as f32 at its end.
 */
import { SparrowError } from '../../errors.ts';
import type { Tensor } from '../backend.ts';
import * as v from '../validate.ts';
import * as s from '../ops/sequence-checks.ts';
import { TERNARY_HEADER_BYTES, ternaryBytes, ternaryRowStride } from '../ops/ternary-layout.ts';
import type { RefTensor } from './backend.ts';
import { silu, softplus } from './math.ts';

const NAME = 'reference' as const;

function f32(t: Tensor): Float32Array {
  return (t as RefTensor).data as Float32Array;
}
function opt(t: Tensor | null): Float32Array | null {
  return t ? f32(t) : null;
}
function own(op: string, ...ts: Array<Tensor | null>): void {
  v.checkBackend(op, NAME, ...ts.filter((t): t is Tensor => t !== null));
  for (const t of ts) if (t) void (t as RefTensor).data; // throws if freed
}

export function causalConv1d(out: Tensor, x: Tensor, w: Tensor, bias: Tensor | null, state: Tensor, act: boolean): void {
  const op = 'causalConv1d';
  own(op, out, x, w, bias, state);
  const { t: T, c: C, k: K } = s.causalConv1d(op, out, x, w, bias, state);
  const xs = f32(x), ws = f32(w), bs = opt(bias), st = f32(state), o = f32(out);
  for (let c = 0; c < C; c++) {
    // xin = [state[c, :], x[:, c]] along time; output t uses xin[t+1 .. t+K]
    const xin = new Float64Array(K + T);
    for (let j = 0; j < K; j++) xin[j] = st[c * K + j];
    for (let t = 0; t < T; t++) xin[K + t] = xs[t * C + c];
    for (let t = 0; t < T; t++) {
      let acc = bs ? bs[c] : 0;
      for (let j = 0; j < K; j++) acc += ws[c * K + j] * xin[t + 1 + j];
      o[t * C + c] = act ? silu(acc) : acc;
    }
    for (let j = 0; j < K; j++) st[c * K + j] = xin[T + j];
  }
}

export function selectiveScan(
  out: Tensor,
  x: Tensor,
  dt: Tensor,
  a: Tensor,
  b: Tensor,
  c: Tensor,
  d: Tensor | null,
  z: Tensor | null,
  dtBias: Tensor | null,
  state: Tensor,
  deltaSoftplus: boolean,
): void {
  const op = 'selectiveScan';
  own(op, out, x, dt, a, b, c, d, z, dtBias, state);
  const { t: T, i: I, n: N } = s.selectiveScan(op, out, x, dt, a, b, c, d, z, dtBias, state);
  const xs = f32(x), dts = f32(dt), as = f32(a), bs = f32(b), cs = f32(c);
  const ds = opt(d), zs = opt(z), dbs = opt(dtBias), st = f32(state), o = f32(out);
  const h = new Float64Array(N);
  for (let ch = 0; ch < I; ch++) {
    for (let n = 0; n < N; n++) h[n] = st[ch * N + n];
    for (let t = 0; t < T; t++) {
      const pre = dts[t * I + ch] + (dbs ? dbs[ch] : 0);
      const delta = deltaSoftplus ? softplus(pre) : pre;
      const xv = xs[t * I + ch];
      let y = 0;
      for (let n = 0; n < N; n++) {
        h[n] = Math.exp(as[ch * N + n] * delta) * h[n] + delta * bs[t * N + n] * xv;
        y += h[n] * cs[t * N + n];
      }
      if (ds) y += ds[ch] * xv;
      if (zs) y *= silu(zs[t * I + ch]);
      o[t * I + ch] = y;
    }
    for (let n = 0; n < N; n++) st[ch * N + n] = h[n];
  }
}

export function wkv4(out: Tensor, k: Tensor, v_: Tensor, timeDecay: Tensor, timeFirst: Tensor, state: Tensor): void {
  const op = 'wkv4';
  own(op, out, k, v_, timeDecay, timeFirst, state);
  const { t: T, c: C } = s.wkv4(op, out, k, v_, timeDecay, timeFirst, state);
  const ks = f32(k), vs = f32(v_), td = f32(timeDecay), tf = f32(timeFirst), st = f32(state), o = f32(out);
  for (let ch = 0; ch < C; ch++) {
    const w = -Math.exp(td[ch]);
    const u = tf[ch];
    let num = st[ch], den = st[C + ch], mx = st[2 * C + ch];
    for (let t = 0; t < T; t++) {
      const kt = ks[t * C + ch], vt = vs[t * C + ch];
      let q = Math.max(mx, kt + u);
      let e1 = Math.exp(mx - q), e2 = Math.exp(kt + u - q);
      o[t * C + ch] = (e1 * num + e2 * vt) / (e1 * den + e2);
      q = Math.max(mx + w, kt);
      e1 = Math.exp(mx + w - q);
      e2 = Math.exp(kt - q);
      num = e1 * num + e2 * vt;
      den = e1 * den + e2;
      mx = q;
    }
    st[ch] = num;
    st[C + ch] = den;
    st[2 * C + ch] = mx;
  }
}

export function deltaRule(out: Tensor, q: Tensor, k: Tensor, v_: Tensor, beta: Tensor, state: Tensor): void {
  const op = 'deltaRule';
  own(op, out, q, k, v_, beta, state);
  const { t: T, h: H, dk: DK, dv: DV } = s.deltaRule(op, out, q, k, v_, beta, state);
  const qs = f32(q), ks = f32(k), vs = f32(v_), bs = f32(beta), st = f32(state), o = f32(out);
  for (let h = 0; h < H; h++) {
    const M = Float64Array.from(st.subarray(h * DV * DK, (h + 1) * DV * DK));
    for (let t = 0; t < T; t++) {
      const kb = (t * H + h) * DK, vb = (t * H + h) * DV, b = bs[t * H + h];
      for (let i = 0; i < DV; i++) {
        let mk = 0;
        for (let j = 0; j < DK; j++) mk += M[i * DK + j] * ks[kb + j];
        const e = b * (mk - vs[vb + i]);
        let y = 0;
        for (let j = 0; j < DK; j++) {
          M[i * DK + j] -= e * ks[kb + j];
          y += M[i * DK + j] * qs[kb + j];
        }
        o[vb + i] = y;
      }
    }
    st.set(M, h * DV * DK);
  }
}

/** RWKV-7 WKV (ops/sequence.ts): S kept in float64 within the call. */
export function wkv7(out: Tensor, r: Tensor, w: Tensor, k: Tensor, v_: Tensor, a: Tensor, b: Tensor, state: Tensor): void {
  const op = 'wkv7';
  own(op, out, r, w, k, v_, a, b, state);
  const { t: T, h: H, n: N } = s.wkv7(op, out, r, w, k, v_, a, b, state);
  const C = H * N;
  const rs = f32(r), ws = f32(w), ks = f32(k), vs = f32(v_), as = f32(a), bs = f32(b), st = f32(state), o = f32(out);
  for (let h = 0; h < H; h++) {
    const S = Float64Array.from(st.subarray(h * N * N, (h + 1) * N * N));
    for (let t = 0; t < T; t++) {
      const base = t * C + h * N;
      for (let i = 0; i < N; i++) {
        let sa = 0;
        for (let j = 0; j < N; j++) sa += as[base + j] * S[i * N + j];
        let y = 0;
        for (let j = 0; j < N; j++) {
          const x = S[i * N + j] * ws[base + j] + vs[base + i] * ks[base + j] + sa * bs[base + j];
          S[i * N + j] = x;
          y += x * rs[base + j];
        }
        o[base + i] = y;
      }
    }
    st.set(S, h * N * N);
  }
}

/** RWKV-7 bonus (ops/sequence.ts): out += v · per-head Σ r·k·u. */
export function wkv7Bonus(out: Tensor, r: Tensor, k: Tensor, v_: Tensor, u: Tensor, headSize: number): void {
  const op = 'wkv7Bonus';
  own(op, out, r, k, v_, u);
  const { t: T, c: C, n: N } = s.wkv7Bonus(op, out, r, k, v_, u, headSize);
  const rs = f32(r), ks = f32(k), vs = f32(v_), us = f32(u), o = f32(out);
  for (let t = 0; t < T; t++) {
    for (let h0 = 0; h0 < C; h0 += N) {
      let dot = 0;
      for (let j = h0; j < h0 + N; j++) dot += rs[t * C + j] * ks[t * C + j] * us[j];
      for (let i = h0; i < h0 + N; i++) o[t * C + i] += vs[t * C + i] * dot;
    }
  }
}

// ---- BitNet b1.58 ternary ------------------------------------------------------------------------

/** torch.round: nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Quantize an f32 weight W[M, K] (row-major, HF [out, in]) to the packed ternary layout of
 * ops/ternary-layout.ts: γ = max(mean|W|, 1e-5), W_q = clamp(rne(W · (1/γ)), −1, 1) in f32.
 */
export function quantizeTernary(w: Float32Array, m: number, k: number): Uint8Array {
  if (!Number.isInteger(m) || !Number.isInteger(k) || m < 0 || k < 0 || w.length !== m * k) {
    throw new SparrowError('SHAPE_MISMATCH', `quantizeTernary: weight has ${w.length} values, expected [${m}, ${k}]`, { m, k });
  }
  let sum = 0;
  for (let i = 0; i < w.length; i++) sum += Math.abs(w[i]);
  const gamma = Math.fround(Math.max(m * k ? sum / (m * k) : 0, 1e-5));
  const sw = Math.fround(1 / gamma);
  const bytes = new Uint8Array(ternaryBytes(m, k));
  const view = new DataView(bytes.buffer);
  view.setFloat32(0, gamma, true);
  view.setUint32(4, m, true);
  view.setUint32(8, k, true);
  const stride = ternaryRowStride(k);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < k; j++) {
      const q = Math.max(-1, Math.min(1, roundHalfEven(Math.fround(w[r * k + j] * sw))));
      if (q === 0) continue;
      bytes[TERNARY_HEADER_BYTES + r * stride + (j >> 2)] |= 1 << ((j & 3) + (q < 0 ? 4 : 0));
    }
  }
  return bytes;
}

/**
 * Re-pack a Hugging Face BitNet weight (transformers integrations/bitnet.py) into our layout.
 * HF stores `weight` as uint8 [R, in] with R = ceil(out/4): bits 2i..2i+1 of packed row r hold
 * W_q[i·R + r, :] + 1. Its forward is y = (x_q · W_qᵀ) / (s_x · weight_scale), so γ = 1/weight_scale.
 */
export function ternaryFromHfPacked(packed: Uint8Array, outFeatures: number, inFeatures: number, weightScale: number): Uint8Array {
  const op = 'ternaryFromHfPacked';
  const R = Math.ceil(outFeatures / 4);
  if (!Number.isInteger(outFeatures) || !Number.isInteger(inFeatures) || outFeatures < 0 || inFeatures < 0 || packed.length !== R * inFeatures) {
    throw new SparrowError('SHAPE_MISMATCH', `${op}: packed weight has ${packed.length} bytes, expected [${R}, ${inFeatures}] for a [${outFeatures}, ${inFeatures}] layer`, { op });
  }
  if (!(weightScale > 0) || !Number.isFinite(weightScale)) {
    throw new SparrowError('INVALID_ARGUMENT', `${op}: weight_scale must be positive and finite, got ${weightScale}`, { op });
  }
  const bytes = new Uint8Array(ternaryBytes(outFeatures, inFeatures));
  const view = new DataView(bytes.buffer);
  view.setFloat32(0, Math.fround(1 / weightScale), true);
  view.setUint32(4, outFeatures, true);
  view.setUint32(8, inFeatures, true);
  const stride = ternaryRowStride(inFeatures);
  for (let r = 0; r < R; r++) {
    for (let j = 0; j < inFeatures; j++) {
      const b = packed[r * inFeatures + j];
      for (let i = 0; i < 4; i++) {
        const m = i * R + r;
        const field = (b >> (2 * i)) & 3;
        if (field === 3) throw new SparrowError('FORMAT_INVALID', `${op}: 2-bit field 3 at packed [${r}, ${j}] bits ${2 * i}..${2 * i + 1} is not a ternary value`, { op, row: r, col: j });
        if (m >= outFeatures || field === 1) continue;
        bytes[TERNARY_HEADER_BYTES + m * stride + (j >> 2)] |= 1 << ((j & 3) + (field === 0 ? 4 : 0));
      }
    }
  }
  return bytes;
}

/** Decode weight (m, j) of a packed ternary tensor: −1, 0 or +1. */
export function ternaryAt(bytes: Uint8Array, k: number, m: number, j: number): number {
  const b = bytes[TERNARY_HEADER_BYTES + m * ternaryRowStride(k) + (j >> 2)];
  return ((b >> (j & 3)) & 1) - ((b >> ((j & 3) + 4)) & 1);
}

export function ternaryGamma(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getFloat32(0, true);
}

/** Per-row int8 absmax quantization in f32 arithmetic; returns x_q and 1/s_x per row. */
export function quantizeActivations(x: Float32Array, rows: number, k: number): { q: Int32Array; invScale: Float64Array } {
  const q = new Int32Array(rows * k);
  const invScale = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let mx = 0;
    for (let j = 0; j < k; j++) mx = Math.max(mx, Math.abs(x[r * k + j]));
    const sx = Math.fround(127 / Math.max(mx, 1e-5));
    for (let j = 0; j < k; j++) q[r * k + j] = Math.max(-128, Math.min(127, roundHalfEven(Math.fround(x[r * k + j] * sx))));
    invScale[r] = 1 / sx;
  }
  return { q, invScale };
}

function ternary(op: string, out: Tensor, w: Tensor, x: Tensor, lut: boolean): void {
  own(op, out, w, x);
  const { r: R, m: M, k: K } = s.ternaryMatvec(op, out, w, x);
  const bytes = (w as RefTensor).data as Uint8Array;
  const gamma = ternaryGamma(bytes);
  const { q, invScale } = quantizeActivations(f32(x), R, K);
  const o = f32(out);
  const stride = ternaryRowStride(K);
  const G = Math.ceil(K / 4);
  for (let r = 0; r < R; r++) {
    // T-MAC tables: table[g·16 + mask] = Σ_{i ∈ mask} x_q[4g + i]
    const table = new Int32Array(lut ? G * 16 : 0);
    if (lut) {
      for (let g = 0; g < G; g++) {
        for (let mask = 0; mask < 16; mask++) {
          let sum = 0;
          for (let i = 0; i < 4; i++) if (mask & (1 << i) && 4 * g + i < K) sum += q[r * K + 4 * g + i];
          table[g * 16 + mask] = sum;
        }
      }
    }
    for (let m = 0; m < M; m++) {
      let acc = 0;
      const base = TERNARY_HEADER_BYTES + m * stride;
      if (lut) {
        for (let g = 0; g < G; g++) acc += table[g * 16 + (bytes[base + g] & 15)] - table[g * 16 + (bytes[base + g] >> 4)];
      } else {
        for (let j = 0; j < K; j++) acc += ternaryAt(bytes, K, m, j) * q[r * K + j];
      }
      o[r * M + m] = acc * gamma * invScale[r];
    }
  }
}

export function ternaryMatvec(out: Tensor, w: Tensor, x: Tensor): void {
  ternary('ternaryMatvec', out, w, x, false);
}

export function ternaryMatvecLut(out: Tensor, w: Tensor, x: Tensor): void {
  ternary('ternaryMatvecLut', out, w, x, true);
}
