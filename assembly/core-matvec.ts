// Dense linear algebra: matvec and small-batch matmul with f32 or f16 weights W[M, K] (row-major,
// Hugging Face [out, in] layout). matvec is memory-bound, so the kernels stream several weight rows
// at once with independent accumulators; f16 halves are widened in-register.

import { fmadd } from './relaxed';

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// ---- f16 → f32 -------------------------------------------------------------------------------
// No f32 subnormal may ever be an arithmetic operand: on x86 each one costs a ~100-cycle microcode
// assist, and real weights have many subnormal halves (|w| < 6.1e-5: ~1% of a SmolLM2 down
// projection), which made the old "shift into place, multiply by 2^112" conversion 10-20× slower
// on such layers. Vector path (Giesen's half_to_float_fast): shift the exponent+mantissa into f32
// position and add the exponent bias as an integer (exact for normal halves); zero/subnormal lanes
// get exponent 2^-14 instead and 2^-14 is subtracted in float (exact, both operands normal); the
// sign is OR-ed back. Wrong only for Inf/NaN halves (exponent 31), which callers detect and redo.

/** Four sign-extended halves (i32 lanes) → f32x4, exact for all finite halves. */
// @ts-ignore: decorator
@inline function h2fx(t: v128): v128 {
  const s = i32x4.shl(t, 13);
  const o = v128.and(s, i32x4.splat(0x0fffe000));
  const sub = i32x4.lt_s(o, i32x4.splat(0x00800000));
  const bits = i32x4.add(i32x4.add(o, i32x4.splat(0x38000000)), v128.and(sub, i32x4.splat(0x00800000)));
  const f = f32x4.sub(bits, v128.and(sub, i32x4.splat(0x38800000)));
  return v128.or(f, v128.and(s, i32x4.splat(<i32>0x80000000)));
}

/** Lanes 0..3 of eight halves → f32x4 (finite halves exact). */
// @ts-ignore: decorator
@inline function h2f_lo(h: v128): v128 {
  return h2fx(i32x4.extend_low_i16x8_s(h));
}
/** Lanes 4..7 of eight halves → f32x4 (finite halves exact). */
// @ts-ignore: decorator
@inline function h2f_hi(h: v128): v128 {
  return h2fx(i32x4.extend_high_i16x8_s(h));
}

/** Exact scalar binary16 → f32 (all classes), without subnormal f32 arithmetic. */
// @ts-ignore: decorator
@inline export function h2f(h: u32): f32 {
  const m = h & 0x7fff;
  const sign = (h & 0x8000) << 16;
  if (m >= 0x7c00) return reinterpret<f32>(sign | 0x7f800000 | ((h & 0x3ff) << 13));
  if (m < 0x0400) return reinterpret<f32>(reinterpret<u32>(<f32>m * <f32>5.9604644775390625e-8) | sign);
  return reinterpret<f32>(((m << 13) + 0x38000000) | sign);
}

/** Largest |half| bit pattern seen, doubled (so the sign drops out): ≥ 0xf800 means Inf/NaN. */
// @ts-ignore: decorator
@inline function trackSpecial(acc: v128, h: v128): v128 {
  return i16x8.max_u(acc, i16x8.shl(h, 1));
}
// @ts-ignore: decorator
@inline function hasSpecial(acc: v128): bool {
  return v128.any_true(i16x8.ge_u(acc, i16x8.splat(<i16>0xf800)));
}

/**
 * dst[i] = f32(src[i]) for n halves, exact for every class (used by embedding and matmul). Runs of
 * eight normal halves (almost all of a weight matrix) take a 4-op integer path; the rest h2fx.
 */
export function f16_to_f32(dst: usize, src: usize, n: i32): void {
  const mag = i16x8.splat(0x7fff);
  const bias = i32x4.splat(0x38000000);
  const keep = i32x4.splat(<i32>0x8fffe000);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const h = v128.load(src + (<usize>i << 1));
    // All eight halves normal (0x0400 ≤ |h| < 0x7c00): rebias the exponent with an integer add.
    if (i16x8.all_true(i16x8.lt_u(i16x8.sub(v128.and(h, mag), i16x8.splat(0x0400)), i16x8.splat(0x7800)))) {
      v128.store(dst + (<usize>i << 2), i32x4.add(v128.and(i32x4.shl(i32x4.extend_low_i16x8_s(h), 13), keep), bias));
      v128.store(dst + (<usize>i << 2), i32x4.add(v128.and(i32x4.shl(i32x4.extend_high_i16x8_s(h), 13), keep), bias), 16);
      continue;
    }
    if (hasSpecial(trackSpecial(i16x8.splat(0), h))) {
      for (let j = 0; j < 8; j++) store<f32>(dst + (<usize>(i + j) << 2), h2f(load<u16>(src + (<usize>(i + j) << 1))));
      continue;
    }
    v128.store(dst + (<usize>i << 2), h2f_lo(h));
    v128.store(dst + (<usize>i << 2), h2f_hi(h), 16);
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), h2f(load<u16>(src + (<usize>i << 1))));
}

// ---- matvec f32 --------------------------------------------------------------------------------

/** out[m] = W[m, :] · x for an f32 row-major W[M, K]: four rows at a time, two vectors per step. */
export function matvec_f32(out: usize, w: usize, x: usize, m: i32, k: i32): void {
  const rowBytes = <usize>k << 2;
  let r = 0;
  for (; r + 4 <= m; r += 4) {
    const w0 = w + <usize>r * rowBytes;
    const w1 = w0 + rowBytes;
    const w2 = w1 + rowBytes;
    const w3 = w2 + rowBytes;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    let j = 0;
    for (; j + 8 <= k; j += 8) {
      const o = <usize>j << 2;
      const xv = v128.load(x + o);
      const xu = v128.load(x + o, 16);
      a0 = fmadd(v128.load(w0 + o), xv, a0);
      a1 = fmadd(v128.load(w1 + o), xv, a1);
      a2 = fmadd(v128.load(w2 + o), xv, a2);
      a3 = fmadd(v128.load(w3 + o), xv, a3);
      b0 = fmadd(v128.load(w0 + o, 16), xu, b0);
      b1 = fmadd(v128.load(w1 + o, 16), xu, b1);
      b2 = fmadd(v128.load(w2 + o, 16), xu, b2);
      b3 = fmadd(v128.load(w3 + o, 16), xu, b3);
    }
    if (j + 4 <= k) {
      const o = <usize>j << 2;
      const xv = v128.load(x + o);
      a0 = fmadd(v128.load(w0 + o), xv, a0);
      a1 = fmadd(v128.load(w1 + o), xv, a1);
      a2 = fmadd(v128.load(w2 + o), xv, a2);
      a3 = fmadd(v128.load(w3 + o), xv, a3);
      j += 4;
    }
    let s0 = hsum(f32x4.add(a0, b0)), s1 = hsum(f32x4.add(a1, b1)), s2 = hsum(f32x4.add(a2, b2)), s3 = hsum(f32x4.add(a3, b3));
    for (; j < k; j++) {
      const o = <usize>j << 2;
      const xj = load<f32>(x + o);
      s0 += load<f32>(w0 + o) * xj;
      s1 += load<f32>(w1 + o) * xj;
      s2 += load<f32>(w2 + o) * xj;
      s3 += load<f32>(w3 + o) * xj;
    }
    const oo = out + (<usize>r << 2);
    store<f32>(oo, s0);
    store<f32>(oo, s1, 4);
    store<f32>(oo, s2, 8);
    store<f32>(oo, s3, 12);
  }
  for (; r < m; r++) store<f32>(out + (<usize>r << 2), dot_f32(w + <usize>r * rowBytes, x, k));
}

/** One f32 dot product of length k. */
// @ts-ignore: decorator
@inline function dot_f32(a: usize, b: usize, k: i32): f32 {
  let acc = f32x4.splat(0), acc2 = f32x4.splat(0);
  let j = 0;
  for (; j + 8 <= k; j += 8) {
    const o = <usize>j << 2;
    acc = fmadd(v128.load(a + o), v128.load(b + o), acc);
    acc2 = fmadd(v128.load(a + o, 16), v128.load(b + o, 16), acc2);
  }
  if (j + 4 <= k) {
    const o = <usize>j << 2;
    acc = fmadd(v128.load(a + o), v128.load(b + o), acc);
    j += 4;
  }
  let s = hsum(f32x4.add(acc, acc2));
  for (; j < k; j++) s += load<f32>(a + (<usize>j << 2)) * load<f32>(b + (<usize>j << 2));
  return s;
}

// ---- matvec f16 --------------------------------------------------------------------------------

/**
 * out[m] = W[m, :] · x with W as binary16 bits: four rows at a time, eight halves per row per step.
 * Fast path: the 2^112 rebias of "shift the half into f32 position" is folded into x once
 * (xs = x · 2^112, exact while |x| < 2^15), so widening a normal half costs three integer ops and
 * no multiply. Halves with a zero exponent would become f32 subnormals there (slow on x86), so a
 * step whose 4 × 8 halves hold a nonzero subnormal one takes the exact h2fx conversion with the
 * unscaled x instead (products are the same either way). Larger |x| (or NaN) uses h2fx throughout.
 * Row groups holding an Inf/NaN half are redone with exact scalar conversion.
 */
export function matvec_f16(out: usize, w: usize, x: usize, m: i32, k: i32, xs: usize): void {
  let mx = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= k; j += 4) mx = f32x4.max(mx, f32x4.abs(v128.load(x + (<usize>j << 2))));
  let big = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
  for (; j < k; j++) big = max(big, abs(load<f32>(x + (<usize>j << 2))));
  if (big < 32768.0 && xs != 0) {
    const sc = f32x4.splat(F16_SCALE);
    j = 0;
    for (; j + 4 <= k; j += 4) v128.store(xs + (<usize>j << 2), f32x4.mul(v128.load(x + (<usize>j << 2)), sc));
    for (; j < k; j++) store<f32>(xs + (<usize>j << 2), load<f32>(x + (<usize>j << 2)) * F16_SCALE);
    matvecF16Rows(out, w, x, xs, m, k, true);
  } else {
    matvecF16Rows(out, w, x, x, m, k, false);
  }
}

// @ts-ignore: decorator
@inline const F16_SCALE: f32 = 5.192296858534828e33; // 2^112
/** Lanes 0..3 of eight normal (or zero) halves → f32x4 · 2^-112 (three integer ops). */
// @ts-ignore: decorator
@inline function h2f_lo_raw(h: v128): v128 {
  return v128.and(i32x4.shl(i32x4.extend_low_i16x8_s(h), 13), i32x4.splat(<i32>0x8fffe000));
}
// @ts-ignore: decorator
@inline function h2f_hi_raw(h: v128): v128 {
  return v128.and(i32x4.shl(i32x4.extend_high_i16x8_s(h), 13), i32x4.splat(<i32>0x8fffe000));
}

/** The row loop of matvec_f16; `prescaled`: xv0 holds x · 2^112 and the fast widening may be used. */
// @ts-ignore: decorator
@inline function matvecF16Rows(out: usize, w: usize, x: usize, xv0: usize, m: i32, k: i32, prescaled: bool): void {
  const rowBytes = <usize>k << 1;
  const mag = i16x8.splat(0x7fff);
  const one = i16x8.splat(1);
  const minNormal = i16x8.splat(0x03ff);
  let r = 0;
  for (; r + 4 <= m; r += 4) {
    const w0 = w + <usize>r * rowBytes;
    const w1 = w0 + rowBytes;
    const w2 = w1 + rowBytes;
    const w3 = w2 + rowBytes;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    let amax = i16x8.splat(0);
    let j = 0;
    for (; j + 8 <= k; j += 8) {
      const o = <usize>j << 1;
      const h0 = v128.load(w0 + o), h1 = v128.load(w1 + o), h2 = v128.load(w2 + o), h3 = v128.load(w3 + o);
      const m0 = v128.and(h0, mag), m1 = v128.and(h1, mag), m2 = v128.and(h2, mag), m3 = v128.and(h3, mag);
      amax = i16x8.max_u(amax, i16x8.max_u(i16x8.max_u(m0, m1), i16x8.max_u(m2, m3)));
      // |h| − 1 < 0x3ff (unsigned) ⇔ nonzero subnormal half; zero wraps to 0xffff.
      let exact = !prescaled;
      if (prescaled) {
        const lo = i16x8.min_u(i16x8.min_u(i16x8.sub(m0, one), i16x8.sub(m1, one)), i16x8.min_u(i16x8.sub(m2, one), i16x8.sub(m3, one)));
        exact = v128.any_true(i16x8.lt_u(lo, minNormal));
      }
      if (exact) {
        const xv = v128.load(x + (<usize>j << 2));
        const xu = v128.load(x + (<usize>j << 2), 16);
        a0 = fmadd(h2f_lo(h0), xv, a0);
        b0 = fmadd(h2f_hi(h0), xu, b0);
        a1 = fmadd(h2f_lo(h1), xv, a1);
        b1 = fmadd(h2f_hi(h1), xu, b1);
        a2 = fmadd(h2f_lo(h2), xv, a2);
        b2 = fmadd(h2f_hi(h2), xu, b2);
        a3 = fmadd(h2f_lo(h3), xv, a3);
        b3 = fmadd(h2f_hi(h3), xu, b3);
      } else {
        const xv = v128.load(xv0 + (<usize>j << 2));
        const xu = v128.load(xv0 + (<usize>j << 2), 16);
        a0 = fmadd(h2f_lo_raw(h0), xv, a0);
        b0 = fmadd(h2f_hi_raw(h0), xu, b0);
        a1 = fmadd(h2f_lo_raw(h1), xv, a1);
        b1 = fmadd(h2f_hi_raw(h1), xu, b1);
        a2 = fmadd(h2f_lo_raw(h2), xv, a2);
        b2 = fmadd(h2f_hi_raw(h2), xu, b2);
        a3 = fmadd(h2f_lo_raw(h3), xv, a3);
        b3 = fmadd(h2f_hi_raw(h3), xu, b3);
      }
    }
    let s0 = hsum(f32x4.add(a0, b0)), s1 = hsum(f32x4.add(a1, b1)), s2 = hsum(f32x4.add(a2, b2)), s3 = hsum(f32x4.add(a3, b3));
    for (; j < k; j++) {
      const xj = load<f32>(x + (<usize>j << 2));
      const o = <usize>j << 1;
      s0 += h2f(load<u16>(w0 + o)) * xj;
      s1 += h2f(load<u16>(w1 + o)) * xj;
      s2 += h2f(load<u16>(w2 + o)) * xj;
      s3 += h2f(load<u16>(w3 + o)) * xj;
    }
    const oo = out + (<usize>r << 2);
    if (v128.any_true(i16x8.ge_u(amax, i16x8.splat(0x7c00)))) {
      s0 = dot_f16_exact(w0, x, k);
      s1 = dot_f16_exact(w1, x, k);
      s2 = dot_f16_exact(w2, x, k);
      s3 = dot_f16_exact(w3, x, k);
    }
    store<f32>(oo, s0);
    store<f32>(oo, s1, 4);
    store<f32>(oo, s2, 8);
    store<f32>(oo, s3, 12);
  }
  for (; r < m; r++) store<f32>(out + (<usize>r << 2), dot_f16_exact(w + <usize>r * rowBytes, x, k));
}

/** f16·f32 dot product of length k, exact conversion (vector fast path when no Inf/NaN). */
function dot_f16_exact(h: usize, x: usize, k: i32): f32 {
  let acc = f32x4.splat(0), acc2 = f32x4.splat(0);
  let j = 0;
  let s: f32 = 0;
  for (; j + 8 <= k; j += 8) {
    const hv = v128.load(h + (<usize>j << 1));
    if (hasSpecial(trackSpecial(i16x8.splat(0), hv))) {
      for (let t = 0; t < 8; t++) s += h2f(load<u16>(h + (<usize>(j + t) << 1))) * load<f32>(x + (<usize>(j + t) << 2));
      continue;
    }
    acc = fmadd(h2f_lo(hv), v128.load(x + (<usize>j << 2)), acc);
    acc2 = fmadd(h2f_hi(hv), v128.load(x + (<usize>j << 2), 16), acc2);
  }
  s += hsum(f32x4.add(acc, acc2));
  for (; j < k; j++) s += h2f(load<u16>(h + (<usize>j << 1))) * load<f32>(x + (<usize>j << 2));
  return s;
}

// ---- matmul --------------------------------------------------------------------------------------

/**
 * out[N, M] = X[N, K] · W[M, K]ᵀ for f32 W. Tokens are processed in tiles of `tile` rows of X
 * (sized by the caller so a tile stays in cache); within a tile each group of four weight rows is
 * streamed from memory once and reused for every token of the tile (4 rows × 2 tokens in registers).
 */
export function matmul_f32(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32, tile: i32): void {
  const rowBytes = <usize>k << 2;
  for (let t0 = 0; t0 < n; t0 += tile) {
    const t1 = min(n, t0 + tile);
    for (let r = 0; r < m; r += 4) {
      matmulRows(out, x, w + <usize>r * rowBytes, t0, t1, r, min(4, m - r), m, k);
    }
  }
}

/**
 * f16 W: each group of four weight rows is widened once per token tile into `scratch`
 * (4·K f32) and then multiplied like f32 rows, so conversion cost is shared by the tile's tokens.
 */
export function matmul_f16(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32, tile: i32, scratch: usize): void {
  const rowBytes = <usize>k << 1;
  for (let t0 = 0; t0 < n; t0 += tile) {
    const t1 = min(n, t0 + tile);
    for (let r = 0; r < m; r += 4) {
      const rows = min(4, m - r);
      f16_to_f32(scratch, w + <usize>r * rowBytes, rows * k);
      matmulRows(out, x, scratch, t0, t1, r, rows, m, k);
    }
  }
}

/** Rows [r, r + rows) of W (f32, at wr) times tokens [t0, t1) of X into out[t, r..] (also used by quant.ts). */
export function matmulRows(out: usize, x: usize, wr: usize, t0: i32, t1: i32, r: i32, rows: i32, m: i32, k: i32): void {
  const rowBytes = <usize>k << 2;
  const outRow = <usize>m << 2;
  let t = t0;
  if (rows == 4) {
    for (; t + 2 <= t1; t += 2) dot4x2(out + <usize>t * outRow + (<usize>r << 2), outRow, wr, x + <usize>t * rowBytes, k);
  }
  for (; t < t1; t++) {
    const xt = x + <usize>t * rowBytes;
    const ot = out + <usize>t * outRow + (<usize>r << 2);
    for (let i = 0; i < rows; i++) store<f32>(ot + (<usize>i << 2), dot_f32(wr + <usize>i * rowBytes, xt, k));
  }
}

/**
 * 4 weight rows × 2 tokens: 8 accumulators, each weight vector loaded once for both tokens. The
 * relaxed build fuses each multiply-add (relaxed_madd: FMA where the CPU has it; prefill of the
 * Qwen2.5-0.5B-shaped Q4_0 file in Chromium +11 %).
 */
// @ts-ignore: decorator
@inline function dot4x2(o: usize, outRow: usize, w0: usize, x0: usize, k: i32): void {
  const rowBytes = <usize>k << 2;
  const w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
  const x1 = x0 + rowBytes;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= k; j += 4) {
    const q = <usize>j << 2;
    const xa = v128.load(x0 + q), xb = v128.load(x1 + q);
    const v0 = v128.load(w0 + q), v1 = v128.load(w1 + q), v2 = v128.load(w2 + q), v3 = v128.load(w3 + q);
    a0 = fmadd(v0, xa, a0);
    c0 = fmadd(v0, xb, c0);
    a1 = fmadd(v1, xa, a1);
    c1 = fmadd(v1, xb, c1);
    a2 = fmadd(v2, xa, a2);
    c2 = fmadd(v2, xb, c2);
    a3 = fmadd(v3, xa, a3);
    c3 = fmadd(v3, xb, c3);
  }
  let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
  let u0 = hsum(c0), u1 = hsum(c1), u2 = hsum(c2), u3 = hsum(c3);
  for (; j < k; j++) {
    const q = <usize>j << 2;
    const xa = load<f32>(x0 + q), xb = load<f32>(x1 + q);
    const v0 = load<f32>(w0 + q), v1 = load<f32>(w1 + q), v2 = load<f32>(w2 + q), v3 = load<f32>(w3 + q);
    s0 += v0 * xa; u0 += v0 * xb;
    s1 += v1 * xa; u1 += v1 * xb;
    s2 += v2 * xa; u2 += v2 * xb;
    s3 += v3 * xa; u3 += v3 * xb;
  }
  store<f32>(o, s0);
  store<f32>(o, s1, 4);
  store<f32>(o, s2, 8);
  store<f32>(o, s3, 12);
  const o1 = o + outRow;
  store<f32>(o1, u0);
  store<f32>(o1, u1, 4);
  store<f32>(o1, u2, 8);
  store<f32>(o1, u3, 12);
}
