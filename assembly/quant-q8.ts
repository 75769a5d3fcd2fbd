// The opt-in int8-activation decode path for the 32-value block types (Q8_0, Q4_0, Q5_0, Q4_1, Q5_1,
// IQ4_NL), as llama.cpp's CPU backend runs them: x is quantized once per call to 32-value blocks of
// signed bytes (Q8_0, with Q8_1's block sum for Q4_1 / Q5_1) and each weight block is an integer dot
// scaled once. Semantics and float order: src/backends/reference/q8-0.ts, which gives the same bits.
//
// Activation layout at y (K values, nb = K/32 blocks): f32 d[nb] (the f16-rounded scale), f32 s[nb]
// (f16(d·Σq), Q8_1's), then i8 q[K].

import { ihsum, iq4Table, isum4x4, mul16x2, q5High, qhalf, touchAhead } from './quant-blocks';
import { lut16 } from './relaxed';

// T_Q8_0S: Q8_0 whose weight bytes are known not to hold −128 (the caller scans; llama.cpp's quantizer
// writes |q| ≤ 127): the relaxed build then moves y's sign onto the weights (see blockDot).
const T_Q8_0 = 0, T_Q4_0 = 1, T_Q5_0 = 2, T_Q4_1 = 3, T_Q5_1 = 4, T_IQ4_NL = 5, T_Q8_0S = 6;

// @ts-ignore: decorator
@inline function blockBytes(t: i32): usize {
  return t == T_Q8_0 || t == T_Q8_0S ? 34 : t == T_Q5_0 ? 22 : t == T_Q4_1 ? 20 : t == T_Q5_1 ? 24 : 18;
}

/** f32 → the nearest binary16 (half to even; overflow → ±inf) → f32; f16 subnormals are exact f32 normals. */
// @ts-ignore: decorator
@inline function f16Round(f: f32): f32 {
  const bits = reinterpret<u32>(f);
  const sign = bits & 0x80000000;
  const a = bits & 0x7fffffff;
  if (a >= 0x7f800000) return f; // inf / NaN stay
  if (a >= 0x477ff000) return reinterpret<f32>(sign | 0x7f800000); // ≥ 65520 rounds past 65504
  if (a < 0x38800000) return nearest<f32>(f * <f32>16777216) * <f32>5.9604644775390625e-8; // 2^-24 steps
  return reinterpret<f32>(sign | ((a + 0x0fff + ((a >> 13) & 1)) & 0xffffe000));
}

/**
 * x[k] (k a multiple of 32) → the activation blocks at y (layout above): per 32 values amax =
 * max|x|, d = amax/127, id = d ? 1/d : 0, q = round-half-even(x·id), stored d = f16(d), s = f16(d·Σq).
 */
export function quantize_q8_32(y: usize, x: usize, k: i32): void {
  const nb = k >> 5;
  const qs = y + (<usize>nb << 3);
  for (let i = 0; i < nb; i++) {
    const xb = x + (<usize>i << 7);
    const v0 = v128.load(xb), v1 = v128.load(xb, 16), v2 = v128.load(xb, 32), v3 = v128.load(xb, 48);
    const v4 = v128.load(xb, 64), v5 = v128.load(xb, 80), v6 = v128.load(xb, 96), v7 = v128.load(xb, 112);
    const am = f32x4.max(
      f32x4.max(f32x4.max(f32x4.abs(v0), f32x4.abs(v1)), f32x4.max(f32x4.abs(v2), f32x4.abs(v3))),
      f32x4.max(f32x4.max(f32x4.abs(v4), f32x4.abs(v5)), f32x4.max(f32x4.abs(v6), f32x4.abs(v7))),
    );
    const amax = max(max(f32x4.extract_lane(am, 0), f32x4.extract_lane(am, 1)), max(f32x4.extract_lane(am, 2), f32x4.extract_lane(am, 3)));
    const d: f32 = amax / <f32>127;
    const s = f32x4.splat(d != 0 ? <f32>1 / d : 0);
    const q0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v0, s))), q1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v1, s)));
    const q2 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v2, s))), q3 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v3, s)));
    const q4 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v4, s))), q5 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v5, s)));
    const q6 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v6, s))), q7 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v7, s)));
    const qb = qs + (<usize>i << 5);
    v128.store(qb, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
    v128.store(qb, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q4, q5), i16x8.narrow_i32x4_s(q6, q7)), 16);
    const sum = ihsum(i32x4.add(i32x4.add(i32x4.add(q0, q1), i32x4.add(q2, q3)), i32x4.add(i32x4.add(q4, q5), i32x4.add(q6, q7))));
    store<f32>(y + (<usize>i << 2), f16Round(d));
    store<f32>(y + ((<usize>(nb + i)) << 2), f16Round(d * <f32>sum));
  }
}

/**
 * Σ q·y of one weight block against the activation block's 32 bytes (ya, yb), as four i32 lanes.
 * The 4 / 5-bit types are unpacked to their unsigned values first. The relaxed build takes those as
 * the 7-bit operand of one dot-add per 16 bytes, the offset of Q4_0 (−8) / Q5_0 (−16) coming in as
 * ybias = −offset·Σy (blockBias); the plain build subtracts the offset and widens to i16 products.
 */
// @ts-ignore: decorator
@inline function blockDot(t: i32, blk: usize, ya: v128, yb: v128, ybias: v128, ma: v128, mb: v128): v128 {
  const mask = i8x16.splat(0x0f);
  let lo: v128, hi: v128;
  if (ASC_FEATURE_RELAXED_SIMD && t == T_Q8_0S) {
    // ya / yb hold |y| (≤ 127: the 7-bit operand), ma / mb 0xff where y < 0: w·y = ((w ^ m) − m)·|y|,
    // exact while w ≠ −128 (whose negation would wrap)
    const w0 = v128.load(blk + 2), w1 = v128.load(blk + 18);
    return i32x4.relaxed_dot_i8x16_i7x16_add_s(i8x16.sub(v128.xor(w1, mb), mb), yb, i32x4.relaxed_dot_i8x16_i7x16_add_s(i8x16.sub(v128.xor(w0, ma), ma), ya, ybias));
  }
  if (t == T_Q8_0 || t == T_Q8_0S) {
    lo = v128.load(blk + 2);
    hi = v128.load(blk + 18);
  } else if (t == T_IQ4_NL) {
    const q = v128.load(blk + 2);
    lo = lut16(iq4Table(), v128.and(q, mask));
    hi = lut16(iq4Table(), i8x16.shr_u(q, 4));
  } else if (t == T_Q4_0 || t == T_Q4_1) {
    const q = v128.load(blk + (t == T_Q4_0 ? 2 : 4));
    lo = v128.and(q, mask);
    hi = i8x16.shr_u(q, 4);
  } else {
    // Q5_0 (qh at 2, qs at 6) / Q5_1 (qh at 4, qs at 8)
    const qh = load<u32>(blk + (t == T_Q5_0 ? 2 : 4));
    const q = v128.load(blk + (t == T_Q5_0 ? 6 : 8));
    lo = v128.or(v128.and(q, mask), q5High(qh, false));
    hi = v128.or(i8x16.shr_u(q, 4), q5High(qh, true));
  }
  if (ASC_FEATURE_RELAXED_SIMD && t != T_Q8_0 && t != T_Q8_0S && t != T_IQ4_NL) {
    return i32x4.relaxed_dot_i8x16_i7x16_add_s(yb, hi, i32x4.relaxed_dot_i8x16_i7x16_add_s(ya, lo, ybias));
  }
  if (t == T_Q4_0 || t == T_Q5_0) {
    const off = i8x16.splat(t == T_Q4_0 ? 8 : 16);
    lo = i8x16.sub(lo, off);
    hi = i8x16.sub(hi, off);
  }
  return i32x4.add(i32x4.extadd_pairwise_i16x8_s(mul16x2(lo, ya)), i32x4.extadd_pairwise_i16x8_s(mul16x2(hi, yb)));
}

/** −offset · Σy of an activation block as four i32 lanes (the relaxed blockDot's ybias; zero without an offset). */
// @ts-ignore: decorator
@inline function blockBias(t: i32, ya: v128, yb: v128): v128 {
  if (!ASC_FEATURE_RELAXED_SIMD || (t != T_Q4_0 && t != T_Q5_0)) return i32x4.splat(0);
  const off = i8x16.splat(t == T_Q4_0 ? 8 : 16);
  return i32x4.neg(i32x4.relaxed_dot_i8x16_i7x16_add_s(yb, off, i32x4.relaxed_dot_i8x16_i7x16_add_s(ya, off, i32x4.splat(0))));
}

/** 0xff bytes where y < 0, for the relaxed Q8_0 sign transfer (zero otherwise: unused). */
// @ts-ignore: decorator
@inline function signMask(t: i32, y: v128): v128 {
  if (!ASC_FEATURE_RELAXED_SIMD || t != T_Q8_0S) return i32x4.splat(0);
  return i8x16.lt_s(y, i8x16.splat(0));
}

/** The activation bytes blockDot takes: |y| for the relaxed Q8_0 sign transfer, else y itself. */
// @ts-ignore: decorator
@inline function yOperand(t: i32, y: v128): v128 {
  return ASC_FEATURE_RELAXED_SIMD && t == T_Q8_0S ? i8x16.abs(y) : y;
}

/**
 * out[m] = W[m, k] · x for W of block type t, x as activation blocks at y. Four rows per pass share
 * the activation loads; their four integer sums are reduced together (lane r = row r) and each lane
 * accumulates its row's blocks in order, as one row alone does.
 */
// @ts-ignore: decorator
@inline function matvecQ8(t: i32, out: usize, y: usize, w: usize, m: i32, k: i32): void {
  const nb = k >> 5;
  const bs = blockBytes(t);
  const rowBytes = <usize>nb * bs;
  const ss = y + (<usize>nb << 2);
  const qs = y + (<usize>nb << 3);
  const withMin = t == T_Q4_1 || t == T_Q5_1;
  const end = w + <usize>m * rowBytes;
  let r = 0;
  for (; r + 4 <= m; r += 4) {
    const w0 = w + <usize>r * rowBytes;
    touchAhead(w0 + 4 * rowBytes, 4 * rowBytes, end);
    let acc = f32x4.splat(0);
    for (let b = 0; b < nb; b++) {
      const ra = v128.load(qs + (<usize>b << 5)), rb = v128.load(qs + (<usize>b << 5), 16);
      const ma = signMask(t, ra), mb = signMask(t, rb), yo = blockBias(t, ra, rb);
      const ya = yOperand(t, ra), yb = yOperand(t, rb);
      const b0 = w0 + <usize>b * bs;
      const b1 = b0 + rowBytes, b2 = b1 + rowBytes, b3 = b2 + rowBytes;
      const p0 = blockDot(t, b0, ya, yb, yo, ma, mb), p1 = blockDot(t, b1, ya, yb, yo, ma, mb), p2 = blockDot(t, b2, ya, yb, yo, ma, mb), p3 = blockDot(t, b3, ya, yb, yo, ma, mb);
      const sumi = isum4x4(p0, p1, p2, p3);
      const dx = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(qhalf(b0)), 1, qhalf(b1)), 2, qhalf(b2)), 3, qhalf(b3));
      let p = f32x4.mul(f32x4.mul(dx, f32x4.splat(load<f32>(y + (<usize>b << 2)))), f32x4.convert_i32x4_s(sumi));
      if (withMin) {
        const mx = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(qhalf(b0 + 2)), 1, qhalf(b1 + 2)), 2, qhalf(b2 + 2)), 3, qhalf(b3 + 2));
        p = f32x4.add(p, f32x4.mul(mx, f32x4.splat(load<f32>(ss + (<usize>b << 2)))));
      }
      acc = f32x4.add(acc, p);
    }
    v128.store(out + (<usize>r << 2), acc);
  }
  for (; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    let sumf: f32 = 0;
    for (let b = 0; b < nb; b++) {
      const blk = wr + <usize>b * bs;
      const ra = v128.load(qs + (<usize>b << 5)), rb = v128.load(qs + (<usize>b << 5), 16);
      const ma = signMask(t, ra), mb = signMask(t, rb), yo = blockBias(t, ra, rb);
      const sumi = ihsum(blockDot(t, blk, yOperand(t, ra), yOperand(t, rb), yo, ma, mb));
      let p: f32 = qhalf(blk) * load<f32>(y + (<usize>b << 2)) * <f32>sumi;
      if (withMin) p += qhalf(blk + 2) * load<f32>(ss + (<usize>b << 2));
      sumf += p;
    }
    store<f32>(out + (<usize>r << 2), sumf);
  }
}

/** Q8_0 whose weight bytes hold no −128 (WasmBackend.write checks: WasmTensor.q8HasMin; int8Kernel picks). */
export function matvec_q8_0_q8(out: usize, y: usize, w: usize, m: i32, k: i32): void { matvecQ8(T_Q8_0S, out, y, w, m, k); }
/** Any Q8_0 (a −128 weight byte allowed). */
export function matvec_q8_0_any_q8(out: usize, y: usize, w: usize, m: i32, k: i32): void { matvecQ8(T_Q8_0, out, y, w, m, k); }
export function matvec_q4_0_q8(out: usize, y: usize, w: usize, m: i32, k: i32): void { matvecQ8(T_Q4_0, out, y, w, m, k); }
export function matvec_q5_0_q8(out: usize, y: usize, w: usize, m: i32, k: i32): void { matvecQ8(T_Q5_0, out, y, w, m, k); }
export function matvec_q4_1_q8(out: usize, y: usize, w: usize, m: i32, k: i32): void { matvecQ8(T_Q4_1, out, y, w, m, k); }
export function matvec_q5_1_q8(out: usize, y: usize, w: usize, m: i32, k: i32): void { matvecQ8(T_Q5_1, out, y, w, m, k); }
export function matvec_iq4_nl_q8(out: usize, y: usize, w: usize, m: i32, k: i32): void { matvecQ8(T_IQ4_NL, out, y, w, m, k); }
