// Quantized linear layers: W[M, K] stays in raw GGML blocks (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL,
// IQ4_XS, IQ3_XXS, IQ3_S, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_S, IQ1_M, Q2_K…Q6_K, exactly the bytes of a GGUF tensor) and is dequantized in registers: signed bytes are
// widened i8 → i16 → i32 → f32 and multiplied with f32 activations, the block scale applied once per
// 16/32 values. Activations stay f32 (no activation quantization), so results match the
// dequantize-then-dot reference to float32 rounding. Block layouts: src/formats/ggml-quants.ts.
//
// One entry per type, out[N, M] = X[N, K] · Wᵀ; matvec is N = 1 (decode: Q8_0 and the 32-value types
// Q4_0 / Q4_1 / Q5_0 / Q5_1 / IQ4_NL take four rows per pass sharing the x loads, IQ4_XS per
// 32-value sub-block). Prefill (N > 1) dequantizes four weight rows per token tile and
// runs the dense f32 register tile on them (matmul_q8_0, matmul_quant_tiled).

import { matmulRows } from './core-matvec';
import { halfBits, ihsum, iq4Table, mul16x2, q5High, qhalf, touchAhead, udot16 } from './quant-blocks';
import { fmadd, lut16 } from './relaxed';
import { IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID } from './iq-grids';

// @ts-ignore: decorator
@inline function qhsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Σ q[i]·x[i] over 16 signed bytes q and 16 f32 at x, as four partial sums (f32x4). */
// @ts-ignore: decorator
@inline function dot16(q: v128, x: usize): v128 {
  const lo = i16x8.extend_low_i8x16_s(q);
  const hi = i16x8.extend_high_i8x16_s(q);
  let acc = f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(lo)), v128.load(x));
  acc = fmadd(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(lo)), v128.load(x, 16), acc);
  acc = fmadd(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(hi)), v128.load(x, 32), acc);
  return fmadd(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(hi)), v128.load(x, 48), acc);
}

// ---- per-row dots ------------------------------------------------------------------------------

/** Q8_0 block (34 bytes): f16 d, 32 × i8. y = d·q. */
function dot_q8_0(w: usize, x: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 34;
    const xb = x + (<usize>b << 7);
    const s = f32x4.add(dot16(v128.load(blk + 2), xb), dot16(v128.load(blk + 18), xb + 64));
    acc = f32x4.add(acc, f32x4.mul(f32x4.splat(qhalf(blk)), s));
  }
  return qhsum(acc);
}

/** Q4_0 block (18 bytes): f16 d, 16 bytes; element j = low nibble − 8, element j+16 = high nibble − 8. */
function dot_q4_0(w: usize, x: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  const mask = i8x16.splat(0x0f);
  const eight = i8x16.splat(8);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 18;
    const xb = x + (<usize>b << 7);
    const q = v128.load(blk + 2);
    const lo = i8x16.sub(v128.and(q, mask), eight);
    const hi = i8x16.sub(i8x16.shr_u(q, 4), eight);
    acc = f32x4.add(acc, f32x4.mul(f32x4.splat(qhalf(blk)), f32x4.add(dot16(lo, xb), dot16(hi, xb + 64))));
  }
  return qhsum(acc);
}

/**
 * Q5_0 block (22 bytes): f16 d, u32 qh (the 5th bit of each of the 32 values), 16 bytes of nibbles.
 * Element j = (low nibble | bit j of qh << 4) − 16, element j+16 = (high nibble | bit j+16 << 4) − 16.
 * The 32 high bits are spread to bytes with a swizzle (byte b/8 of qh into lane b) and a bit mask.
 */
function dot_q5_0(w: usize, x: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  const mask = i8x16.splat(0x0f);
  const sixteen = i8x16.splat(16);
  const bits = i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  const selLo = i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const selHi = i8x16(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 22;
    const xb = x + (<usize>b << 7);
    const qh = i32x4.splat(load<u32>(blk + 2));
    const hLo = v128.and(i8x16.ne(v128.and(lut16(qh, selLo), bits), i8x16.splat(0)), sixteen);
    const hHi = v128.and(i8x16.ne(v128.and(lut16(qh, selHi), bits), i8x16.splat(0)), sixteen);
    const q = v128.load(blk + 6);
    const lo = i8x16.sub(v128.or(v128.and(q, mask), hLo), sixteen);
    const hi = i8x16.sub(v128.or(i8x16.shr_u(q, 4), hHi), sixteen);
    acc = f32x4.add(acc, f32x4.mul(f32x4.splat(qhalf(blk)), f32x4.add(dot16(lo, xb), dot16(hi, xb + 64))));
  }
  return qhsum(acc);
}

/** get_scale_min_k4 of llama.cpp: 6-bit scale (low 8 bits of the result) and min (bits 8..15). */
// @ts-ignore: decorator
@inline function scaleMin(s: usize, j: i32): u32 {
  if (j < 4) return (<u32>load<u8>(s + j) & 63) | ((<u32>load<u8>(s + j + 4) & 63) << 8);
  const sc = (<u32>load<u8>(s + j + 4) & 0xf) | ((<u32>load<u8>(s + j - 4) >> 6) << 4);
  const m = (<u32>load<u8>(s + j + 4) >> 4) | ((<u32>load<u8>(s + j) >> 6) << 4);
  return sc | (m << 8);
}

/**
 * Q4_K super-block (144 bytes): f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of
 * nibbles. Element = d·sc·q − dmin·m, so Σ w·x = d·sc·Σ q·x − dmin·m·Σ x; the Σ x of each 32-wide
 * sub-block comes precomputed in xs (shared by every row).
 */
function dot_q4_k(w: usize, x: usize, xs: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  let mins: f32 = 0;
  const mask = i8x16.splat(0x0f);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 144;
    const d = qhalf(blk);
    const dmin = qhalf(blk + 2);
    for (let j = 0; j < 4; j++) {
      const q = blk + 16 + (<usize>j << 5);
      const xb = x + ((<usize>b << 10) + (<usize>j << 8));
      const sm1 = scaleMin(blk + 4, 2 * j);
      const sm2 = scaleMin(blk + 4, 2 * j + 1);
      const q0 = v128.load(q);
      const q1 = v128.load(q, 16);
      const s1 = f32x4.add(dot16(v128.and(q0, mask), xb), dot16(v128.and(q1, mask), xb + 64));
      const s2 = f32x4.add(dot16(i8x16.shr_u(q0, 4), xb + 128), dot16(i8x16.shr_u(q1, 4), xb + 192));
      acc = f32x4.add(acc, f32x4.mul(f32x4.splat(d * <f32>(sm1 & 0xff)), s1));
      acc = f32x4.add(acc, f32x4.mul(f32x4.splat(d * <f32>(sm2 & 0xff)), s2));
      const xsi = xs + ((<usize>(b * 8 + 2 * j)) << 2);
      mins += dmin * <f32>(sm1 >> 8) * load<f32>(xsi) + dmin * <f32>(sm2 >> 8) * load<f32>(xsi, 4);
    }
  }
  return qhsum(acc) - mins;
}

/**
 * Q6_K super-block (210 bytes): ql[128] low nibbles, qh[64] high 2-bit pairs, 16 × i8 scales,
 * f16 d. Per 128-element half: q = (nibble | 2 bits << 4) − 32, one scale per 16 elements.
 */
function dot_q6_k(w: usize, x: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  const m4 = i8x16.splat(0x0f);
  const m2 = i8x16.splat(3);
  const c32 = i8x16.splat(32);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 210;
    const d = qhalf(blk + 208);
    for (let n = 0; n < 2; n++) {
      const ql = blk + (<usize>n << 6);
      const qh = blk + 128 + (<usize>n << 5);
      const sc = blk + 192 + (<usize>n << 3);
      const xb = x + ((<usize>b << 10) + (<usize>n << 9));
      for (let l0 = 0; l0 < 32; l0 += 16) {
        const is = l0 >> 4;
        const a = v128.load(ql + l0);
        const c = v128.load(ql + 32 + l0);
        const h = v128.load(qh + l0);
        const q1 = i8x16.sub(v128.or(v128.and(a, m4), i8x16.shl(v128.and(h, m2), 4)), c32);
        const q2 = i8x16.sub(v128.or(v128.and(c, m4), i8x16.shl(v128.and(i8x16.shr_u(h, 2), m2), 4)), c32);
        const q3 = i8x16.sub(v128.or(i8x16.shr_u(a, 4), i8x16.shl(v128.and(i8x16.shr_u(h, 4), m2), 4)), c32);
        const q4 = i8x16.sub(v128.or(i8x16.shr_u(c, 4), i8x16.shl(i8x16.shr_u(h, 6), 4)), c32);
        const xo = xb + (<usize>l0 << 2);
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(d * <f32>load<i8>(sc + is)), dot16(q1, xo)));
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(d * <f32>load<i8>(sc + is + 2)), dot16(q2, xo + 128)));
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(d * <f32>load<i8>(sc + is + 4)), dot16(q3, xo + 256)));
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(d * <f32>load<i8>(sc + is + 6)), dot16(q4, xo + 384)));
      }
    }
  }
  return qhsum(acc);
}

/**
 * Q5_K super-block (176 bytes): Q4_K's d, dmin and scales, then qh[32] (the 5th bits) and 128 bytes
 * of nibbles. Element l of sub-block j (32 values) = d·sc·(nibble | bit j of qh[l] << 4) − dmin·m,
 * so as in dot_q4_k, Σ w·x = d·sc·Σ q·x − dmin·m·Σ x with the 32-wide Σ x precomputed in xs.
 * The 5th bits: qh shifted right by 2 per 64 values, bit 0 (low nibbles) and bit 1 (high) moved
 * to bit 4. (16-bit lane shifts: the bits crossing between bytes land outside the masks.)
 */
function dot_q5_k(w: usize, x: usize, xs: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  let mins: f32 = 0;
  const mask = i8x16.splat(0x0f);
  const bit4 = i8x16.splat(0x10);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 176;
    const d = qhalf(blk);
    const dmin = qhalf(blk + 2);
    let h0 = v128.load(blk + 16);
    let h1 = v128.load(blk + 32);
    for (let j = 0; j < 4; j++) {
      const q = blk + 48 + (<usize>j << 5);
      const xb = x + ((<usize>b << 10) + (<usize>j << 8));
      const sm1 = scaleMin(blk + 4, 2 * j);
      const sm2 = scaleMin(blk + 4, 2 * j + 1);
      const q0 = v128.load(q);
      const q1 = v128.load(q, 16);
      const l0 = v128.or(v128.and(q0, mask), v128.and(i16x8.shl(h0, 4), bit4));
      const l1 = v128.or(v128.and(q1, mask), v128.and(i16x8.shl(h1, 4), bit4));
      const u0 = v128.or(i8x16.shr_u(q0, 4), v128.and(i16x8.shl(h0, 3), bit4));
      const u1 = v128.or(i8x16.shr_u(q1, 4), v128.and(i16x8.shl(h1, 3), bit4));
      const s1 = f32x4.add(dot16(l0, xb), dot16(l1, xb + 64));
      const s2 = f32x4.add(dot16(u0, xb + 128), dot16(u1, xb + 192));
      acc = f32x4.add(acc, f32x4.mul(f32x4.splat(d * <f32>(sm1 & 0xff)), s1));
      acc = f32x4.add(acc, f32x4.mul(f32x4.splat(d * <f32>(sm2 & 0xff)), s2));
      const xsi = xs + ((<usize>(b * 8 + 2 * j)) << 2);
      mins += dmin * <f32>(sm1 >> 8) * load<f32>(xsi) + dmin * <f32>(sm2 >> 8) * load<f32>(xsi, 4);
      h0 = i16x8.shr_u(h0, 2);
      h1 = i16x8.shr_u(h1, 2);
    }
  }
  return qhsum(acc) - mins;
}

/**
 * Q3_K's 16 signed 6-bit scales as four u32 of biased bytes (scale + 32): llama.cpp's aux[]
 * unpacking of the 12 scale bytes at s. Word i holds scales 4i … 4i+3, lowest byte first.
 */
// @ts-ignore: decorator
@inline function q3Scales(s: usize, i: i32): u32 {
  const t = load<u32>(s + 8);
  if (i == 0) return (load<u32>(s) & 0x0f0f0f0f) | ((t & 0x03030303) << 4);
  if (i == 1) return (load<u32>(s + 4) & 0x0f0f0f0f) | (((t >> 2) & 0x03030303) << 4);
  if (i == 2) return ((load<u32>(s) >> 4) & 0x0f0f0f0f) | (((t >> 4) & 0x03030303) << 4);
  return ((load<u32>(s + 4) >> 4) & 0x0f0f0f0f) | (((t >> 6) & 0x03030303) << 4);
}

/**
 * Q3_K super-block (110 bytes): hmask[32], qs[64] (2-bit values), 12 bytes of 6-bit scales, f16 d.
 * Per 128-element half n and shift j (32 values): q = ((qs[32n + l] >> 2j) & 3) + 4·(bit 4n+j of
 * hmask[l]) − 4, one scale per 16 values (scale 8n + 2j for l < 16, 8n + 2j + 1 above), times d.
 * qs and hmask are loaded once per half and shifted in place (16-bit lane shifts, bits crossing
 * between bytes are masked off).
 */
function dot_q3_k(w: usize, x: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  const m3 = i8x16.splat(3);
  const bit2 = i8x16.splat(4);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 110;
    const d = qhalf(blk + 108);
    let hm0 = v128.load(blk);
    let hm1 = v128.load(blk, 16);
    for (let n = 0; n < 2; n++) {
      let a0 = v128.load(blk + 32 + (<usize>n << 5));
      let a1 = v128.load(blk + 48 + (<usize>n << 5));
      const sw0 = q3Scales(blk + 96, 2 * n);
      const sw1 = q3Scales(blk + 96, 2 * n + 1);
      for (let j = 0; j < 4; j++) {
        const xb = x + ((<usize>b << 10) + (<usize>n << 9) + (<usize>j << 7));
        const sw = j < 2 ? sw0 : sw1;
        const sh = <u32>(j & 1) << 4;
        const sc1 = d * <f32>(<i32>((sw >> sh) & 0xff) - 32);
        const sc2 = d * <f32>(<i32>((sw >> (sh + 8)) & 0xff) - 32);
        const q0 = i8x16.sub(v128.or(v128.and(a0, m3), v128.and(i16x8.shl(hm0, 2), bit2)), bit2);
        const q1 = i8x16.sub(v128.or(v128.and(a1, m3), v128.and(i16x8.shl(hm1, 2), bit2)), bit2);
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(sc1), dot16(q0, xb)));
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(sc2), dot16(q1, xb + 64)));
        a0 = i16x8.shr_u(a0, 2);
        a1 = i16x8.shr_u(a1, 2);
        hm0 = i16x8.shr_u(hm0, 1);
        hm1 = i16x8.shr_u(hm1, 1);
      }
    }
  }
  return qhsum(acc);
}

/**
 * Q2_K super-block (84 bytes): 16 scale bytes (scale low nibble, min high nibble), qs[64] (2-bit
 * values), f16 d, f16 dmin. Per 128-element half n and shift j: q = (qs[32n + l] >> 2j) & 3, value
 * d·sc·q − dmin·m with one (sc, m) per 16 values (byte 8n + 2j, + 1 above l = 16). Σ w·x =
 * Σ d·sc·Σ q·x − dmin·Σ m·Σ x: the 16-wide Σ x come precomputed in xs, and the 16 mins of a block
 * are multiplied with them as four f32x4.
 */
function dot_q2_k(w: usize, x: usize, xs: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  let macc = f32x4.splat(0);
  const m3 = i8x16.splat(3);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 84;
    const d = qhalf(blk + 80);
    const sc = v128.load(blk);
    const mlo = i16x8.extend_low_i8x16_u(i8x16.shr_u(sc, 4));
    const mhi = i16x8.extend_high_i8x16_u(i8x16.shr_u(sc, 4));
    const xsb = xs + (<usize>b << 6);
    let ms = f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(mlo)), v128.load(xsb));
    ms = f32x4.add(ms, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(mlo)), v128.load(xsb, 16)));
    ms = f32x4.add(ms, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(mhi)), v128.load(xsb, 32)));
    ms = f32x4.add(ms, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(mhi)), v128.load(xsb, 48)));
    macc = f32x4.add(macc, f32x4.mul(f32x4.splat(qhalf(blk + 82)), ms));
    for (let n = 0; n < 2; n++) {
      let a0 = v128.load(blk + 16 + (<usize>n << 5));
      let a1 = v128.load(blk + 32 + (<usize>n << 5));
      for (let j = 0; j < 4; j++) {
        const xb = x + ((<usize>b << 10) + (<usize>n << 9) + (<usize>j << 7));
        const si = blk + (<usize>n << 3) + (<usize>j << 1);
        const sc1 = d * <f32>(load<u8>(si) & 0xf);
        const sc2 = d * <f32>(load<u8>(si, 1) & 0xf);
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(sc1), dot16(v128.and(a0, m3), xb)));
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(sc2), dot16(v128.and(a1, m3), xb + 64)));
        a0 = i16x8.shr_u(a0, 2);
        a1 = i16x8.shr_u(a1, 2);
      }
    }
  }
  return qhsum(acc) - qhsum(macc);
}

/** Widen 16 signed bytes to four f32x4 (lanes 0-3, 4-7, 8-11, 12-15). */
// @ts-ignore: decorator
@inline function widen0(q: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(q))); }
// @ts-ignore: decorator
@inline function widen1(q: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(i16x8.extend_low_i8x16_s(q))); }
// @ts-ignore: decorator
@inline function widen2(q: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(i16x8.extend_high_i8x16_s(q))); }
// @ts-ignore: decorator
@inline function widen3(q: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(i16x8.extend_high_i8x16_s(q))); }

/**
 * Four Q8_0 rows against one x: each x vector is loaded once for four rows (load-port pressure
 * is what bounds these loops once the weights are in cache). Writes out[0..3] at stride `os` bytes.
 */
function dot4_q8_0(w: usize, rowBytes: usize, x: usize, nb: i32, out: usize, os: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 34;
    const xb = x + (<usize>b << 7);
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let h = 0; h < 2; h++) {
      const xo = xb + (<usize>h << 6);
      const x0 = v128.load(xo), x1 = v128.load(xo, 16), x2 = v128.load(xo, 32), x3 = v128.load(xo, 48);
      const qo = blk + 2 + (<usize>h << 4);
      let q = v128.load(qo);
      s0 = f32x4.add(s0, f32x4.add(f32x4.add(f32x4.mul(widen0(q), x0), f32x4.mul(widen1(q), x1)), f32x4.add(f32x4.mul(widen2(q), x2), f32x4.mul(widen3(q), x3))));
      q = v128.load(qo + rowBytes);
      s1 = f32x4.add(s1, f32x4.add(f32x4.add(f32x4.mul(widen0(q), x0), f32x4.mul(widen1(q), x1)), f32x4.add(f32x4.mul(widen2(q), x2), f32x4.mul(widen3(q), x3))));
      q = v128.load(qo + 2 * rowBytes);
      s2 = f32x4.add(s2, f32x4.add(f32x4.add(f32x4.mul(widen0(q), x0), f32x4.mul(widen1(q), x1)), f32x4.add(f32x4.mul(widen2(q), x2), f32x4.mul(widen3(q), x3))));
      q = v128.load(qo + 3 * rowBytes);
      s3 = f32x4.add(s3, f32x4.add(f32x4.add(f32x4.mul(widen0(q), x0), f32x4.mul(widen1(q), x1)), f32x4.add(f32x4.mul(widen2(q), x2), f32x4.mul(widen3(q), x3))));
    }
    a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(qhalf(blk)), s0));
    a1 = f32x4.add(a1, f32x4.mul(f32x4.splat(qhalf(blk + rowBytes)), s1));
    a2 = f32x4.add(a2, f32x4.mul(f32x4.splat(qhalf(blk + 2 * rowBytes)), s2));
    a3 = f32x4.add(a3, f32x4.mul(f32x4.splat(qhalf(blk + 3 * rowBytes)), s3));
  }
  store<f32>(out, qhsum(a0));
  store<f32>(out + os, qhsum(a1));
  store<f32>(out + 2 * os, qhsum(a2));
  store<f32>(out + 3 * os, qhsum(a3));
}


// ---- entry points: out[N, M] = X[N, K] · Wᵀ ------------------------------------------------------

/**
 * Q8_0: N = 1 (decode) streams the blocks once, four rows per pass (dot4_q8_0). N > 1 (prefill)
 * dequantizes each group of four weight rows once per token tile into `scratch` (4·K f32) and runs
 * the dense 4-rows × 2-tokens register tile on it, so the i8 → f32 widening is paid once per tile
 * instead of once per token. `tile` tokens of X are reused while the rows stay in L1.
 */
export function matmul_q8_0(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32, scratch: usize, tile: i32): void {
  const nb = k >> 5;
  const rowBytes = <usize>nb * 34;
  if (n > 1 && scratch != 0) {
    for (let t0 = 0; t0 < n; t0 += tile) {
      const t1 = min(n, t0 + tile);
      for (let r = 0; r < m; r += 4) {
        const rows = min(4, m - r);
        dequant_q8_0(scratch, w + <usize>r * rowBytes, rows * nb);
        matmulRows(out, x, scratch, t0, t1, r, rows, m, k);
      }
    }
    return;
  }
  let r = 0;
  const end = w + <usize>m * rowBytes;
  for (; r + 4 <= m; r += 4) {
    const wr = w + <usize>r * rowBytes;
    touchAhead(wr + 4 * rowBytes, 4 * rowBytes, end);
    for (let i = 0; i < n; i++) dot4_q8_0(wr, rowBytes, x + ((<usize>i * k) << 2), nb, out + ((<usize>i * m + r) << 2), 4);
  }
  for (; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot_q8_0(wr, x + ((<usize>i * k) << 2), nb));
  }
}

/** dst[32·b + j] = d_b · q_b[j] for `blocks` consecutive Q8_0 blocks (rows are whole blocks). */
export function dequant_q8_0(dst: usize, w: usize, blocks: i32): void {
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 34;
    const o = dst + (<usize>b << 7);
    const d = f32x4.splat(qhalf(blk));
    const q0 = v128.load(blk + 2);
    const q1 = v128.load(blk + 18);
    v128.store(o, f32x4.mul(widen0(q0), d));
    v128.store(o, f32x4.mul(widen1(q0), d), 16);
    v128.store(o, f32x4.mul(widen2(q0), d), 32);
    v128.store(o, f32x4.mul(widen3(q0), d), 48);
    v128.store(o, f32x4.mul(widen0(q1), d), 64);
    v128.store(o, f32x4.mul(widen1(q1), d), 80);
    v128.store(o, f32x4.mul(widen2(q1), d), 96);
    v128.store(o, f32x4.mul(widen3(q1), d), 112);
  }
}

/** dot16 with the four x vectors already loaded (same operations in the same order: same result). */
// @ts-ignore: decorator
@inline function dot16v(q: v128, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const lo = i16x8.extend_low_i8x16_s(q);
  const hi = i16x8.extend_high_i8x16_s(q);
  let acc = f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(lo)), x0);
  acc = fmadd(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(lo)), x1, acc);
  acc = fmadd(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(hi)), x2, acc);
  return fmadd(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(hi)), x3, acc);
}

/** One Q4_0 block of one row against x (loaded): d · (Σ lo·x[0..16) + Σ hi·x[16..32)), dot_q4_0's order. */
// @ts-ignore: decorator
@inline function block4_0(blk: usize, x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128, x6: v128, x7: v128): v128 {
  const q = v128.load(blk + 2);
  const lo = i8x16.sub(v128.and(q, i8x16.splat(0x0f)), i8x16.splat(8));
  const hi = i8x16.sub(i8x16.shr_u(q, 4), i8x16.splat(8));
  return f32x4.mul(f32x4.splat(qhalf(blk)), f32x4.add(dot16v(lo, x0, x1, x2, x3), dot16v(hi, x4, x5, x6, x7)));
}

/** Block types of the 32-value formats sharing the decode scheme below (compile-time constants). */
const S_Q4_0 = 0, S_Q5_0 = 1, S_Q4_1 = 2, S_Q5_1 = 3, S_IQ4_NL = 4;

/**
 * One Q4_1 / Q5_1 / IQ4_NL block of one row against x (loaded; sx = the block's x vectors summed):
 * Q4_1 / Q5_1 value q·d + m, so Σ w·x = d·Σ q·x + m·Σ x — the m·Σx term is added lane-wise (its
 * lanes sum to m·Σx with the accumulator's); IQ4_NL value d·kvalues[nibble], the nibble looked up
 * with a swizzle. (Q4_0 / Q5_0 keep block4_0 / block5_0.)
 */
// @ts-ignore: decorator
@inline function blockMin(t: i32, blk: usize, x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128, x6: v128, x7: v128, sx: v128): v128 {
  const mask = i8x16.splat(0x0f);
  if (t == S_IQ4_NL) {
    const q = v128.load(blk + 2);
    const lo = lut16(iq4Table(), v128.and(q, mask));
    const hi = lut16(iq4Table(), i8x16.shr_u(q, 4));
    return f32x4.mul(f32x4.splat(qhalf(blk)), f32x4.add(dot16v(lo, x0, x1, x2, x3), dot16v(hi, x4, x5, x6, x7)));
  }
  let lo: v128, hi: v128;
  if (t == S_Q4_1) {
    const q = v128.load(blk + 4);
    lo = v128.and(q, mask);
    hi = i8x16.shr_u(q, 4);
  } else {
    const qh = load<u32>(blk + 4);
    const q = v128.load(blk + 8);
    lo = v128.or(v128.and(q, mask), q5High(qh, false));
    hi = v128.or(i8x16.shr_u(q, 4), q5High(qh, true));
  }
  const s = f32x4.mul(f32x4.splat(qhalf(blk)), f32x4.add(dot16v(lo, x0, x1, x2, x3), dot16v(hi, x4, x5, x6, x7)));
  return f32x4.add(s, f32x4.mul(f32x4.splat(qhalf(blk + 2)), sx));
}

// @ts-ignore: decorator
@inline function smallBlockBytes(t: i32): usize {
  return t == S_Q4_0 || t == S_IQ4_NL ? 18 : t == S_Q5_0 ? 22 : t == S_Q4_1 ? 20 : 24;
}

/** One block of type t against x (loaded): the per-type block function. */
// @ts-ignore: decorator
@inline function blockSmall(t: i32, blk: usize, x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128, x6: v128, x7: v128, sx: v128): v128 {
  if (t == S_Q4_0) return block4_0(blk, x0, x1, x2, x3, x4, x5, x6, x7);
  if (t == S_Q5_0) return block5_0(blk, x0, x1, x2, x3, x4, x5, x6, x7);
  return blockMin(t, blk, x0, x1, x2, x3, x4, x5, x6, x7, sx);
}

/** Σ of a block's eight x vectors (lane-wise), for the m·Σx term of Q4_1 / Q5_1. */
// @ts-ignore: decorator
@inline function xsum8(x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128, x6: v128, x7: v128): v128 {
  return f32x4.add(f32x4.add(f32x4.add(x0, x1), f32x4.add(x2, x3)), f32x4.add(f32x4.add(x4, x5), f32x4.add(x6, x7)));
}

/**
 * Four rows of a 32-value block type t against one x (decode): each block's eight x vectors (and
 * for Q4_1 / Q5_1 their sum) are loaded once for the four rows. Per row the same operations in the
 * same order as the one-row dot (dot_q4_0 / dot_q5_0 / dot_small), so the result is bit-identical.
 * Inlined with t constant.
 */
// @ts-ignore: decorator
@inline function dot4_small(t: i32, w: usize, rowBytes: usize, x: usize, nb: i32, out: usize): void {
  const blockBytes = smallBlockBytes(t);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * blockBytes;
    const xb = x + (<usize>b << 7);
    const x0 = v128.load(xb), x1 = v128.load(xb, 16), x2 = v128.load(xb, 32), x3 = v128.load(xb, 48);
    const x4 = v128.load(xb, 64), x5 = v128.load(xb, 80), x6 = v128.load(xb, 96), x7 = v128.load(xb, 112);
    const sx = t == S_Q4_1 || t == S_Q5_1 ? xsum8(x0, x1, x2, x3, x4, x5, x6, x7) : f32x4.splat(0);
    a0 = f32x4.add(a0, blockSmall(t, blk, x0, x1, x2, x3, x4, x5, x6, x7, sx));
    a1 = f32x4.add(a1, blockSmall(t, blk + rowBytes, x0, x1, x2, x3, x4, x5, x6, x7, sx));
    a2 = f32x4.add(a2, blockSmall(t, blk + 2 * rowBytes, x0, x1, x2, x3, x4, x5, x6, x7, sx));
    a3 = f32x4.add(a3, blockSmall(t, blk + 3 * rowBytes, x0, x1, x2, x3, x4, x5, x6, x7, sx));
  }
  store<f32>(out, qhsum(a0));
  store<f32>(out, qhsum(a1), 4);
  store<f32>(out, qhsum(a2), 8);
  store<f32>(out, qhsum(a3), 12);
}

/** One row of a 32-value block type t (Q4_1 / Q5_1 / IQ4_NL): dot4_small's operations for one row. */
// @ts-ignore: decorator
@inline function dot_small(t: i32, w: usize, x: usize, nb: i32): f32 {
  const blockBytes = smallBlockBytes(t);
  let a = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const xb = x + (<usize>b << 7);
    const x0 = v128.load(xb), x1 = v128.load(xb, 16), x2 = v128.load(xb, 32), x3 = v128.load(xb, 48);
    const x4 = v128.load(xb, 64), x5 = v128.load(xb, 80), x6 = v128.load(xb, 96), x7 = v128.load(xb, 112);
    const sx = t == S_Q4_1 || t == S_Q5_1 ? xsum8(x0, x1, x2, x3, x4, x5, x6, x7) : f32x4.splat(0);
    a = f32x4.add(a, blockSmall(t, w + <usize>b * blockBytes, x0, x1, x2, x3, x4, x5, x6, x7, sx));
  }
  return qhsum(a);
}

/**
 * out[N, M] = X[N, K] · Wᵀ for a 32-value block type t without its own one-row kernel (Q4_1, Q5_1,
 * IQ4_NL): N = 1 four rows per pass (dot4_small), the rest one row at a time (dot_small), same result.
 */
// @ts-ignore: decorator
@inline function matmul_small(t: i32, out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  const nb = k >> 5;
  const rowBytes = <usize>nb * smallBlockBytes(t);
  let r = 0;
  if (n == 1) for (; r + 4 <= m; r += 4) dot4_small(t, w + <usize>r * rowBytes, rowBytes, x, nb, out + (<usize>r << 2));
  for (; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot_small(t, wr, x + ((<usize>i * k) << 2), nb));
  }
}

/** Q4_1 block (20 bytes): f16 d, f16 m, 16 bytes; element j = low nibble·d + m, element j+16 = high nibble·d + m. */
export function matmul_q4_1(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  matmul_small(S_Q4_1, out, x, w, n, m, k);
}

/** Q5_1 block (24 bytes): f16 d, f16 m, u32 qh, 16 bytes; Q5_0's 5-bit values (not offset), times d, plus m. */
export function matmul_q5_1(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  matmul_small(S_Q5_1, out, x, w, n, m, k);
}

/** IQ4_NL block (18 bytes): f16 d, 16 bytes of nibbles in Q4_0's layout; value d·kvalues_iq4nl[nibble]. */
export function matmul_iq4_nl(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  matmul_small(S_IQ4_NL, out, x, w, n, m, k);
}

/**
 * IQ4_XS sub-block ib's scale dl = d·(ls − 32) (exact in f32): ls = the 4 bits of scales_l[ib/2]
 * (nibble ib%2) | the 2 bits 2·ib of the u16 scales_h, << 4.
 */
// @ts-ignore: decorator
@inline function iq4xsScale(blk: usize, d: f32, ib: i32): f32 {
  const sh = <u32>load<u16>(blk + 2);
  const sl = <u32>load<u8>(blk + 4 + (<usize>ib >> 1));
  const ls = ((sl >> (<u32>(ib & 1) << 2)) & 0xf) | (((sh >> (<u32>ib << 1)) & 3) << 4);
  return d * <f32>(<i32>ls - 32);
}

/** One 32-value IQ4_XS sub-block (16 nibble bytes at q, scale dl) against x (loaded): IQ4_NL's block with dl for d. */
// @ts-ignore: decorator
@inline function blockIQ4XS(q: usize, dl: f32, x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128, x6: v128, x7: v128): v128 {
  const v = v128.load(q);
  const lo = lut16(iq4Table(), v128.and(v, i8x16.splat(0x0f)));
  const hi = lut16(iq4Table(), i8x16.shr_u(v, 4));
  return f32x4.mul(f32x4.splat(dl), f32x4.add(dot16v(lo, x0, x1, x2, x3), dot16v(hi, x4, x5, x6, x7)));
}

/**
 * Four IQ4_XS rows against one x (decode): each sub-block's eight x vectors are loaded once for the
 * four rows; per row the operations and order of dot_iq4_xs, so the result is bit-identical.
 */
function dot4_iq4_xs(w: usize, rowBytes: usize, x: usize, nb: i32, out: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const b0 = w + <usize>b * 136, b1 = b0 + rowBytes, b2 = b0 + 2 * rowBytes, b3 = b0 + 3 * rowBytes;
    const d0 = qhalf(b0), d1 = qhalf(b1), d2 = qhalf(b2), d3 = qhalf(b3);
    for (let ib = 0; ib < 8; ib++) {
      const xb = x + ((<usize>b << 10) + (<usize>ib << 7));
      const x0 = v128.load(xb), x1 = v128.load(xb, 16), x2 = v128.load(xb, 32), x3 = v128.load(xb, 48);
      const x4 = v128.load(xb, 64), x5 = v128.load(xb, 80), x6 = v128.load(xb, 96), x7 = v128.load(xb, 112);
      const q: usize = 8 + (<usize>ib << 4);
      a0 = f32x4.add(a0, blockIQ4XS(b0 + q, iq4xsScale(b0, d0, ib), x0, x1, x2, x3, x4, x5, x6, x7));
      a1 = f32x4.add(a1, blockIQ4XS(b1 + q, iq4xsScale(b1, d1, ib), x0, x1, x2, x3, x4, x5, x6, x7));
      a2 = f32x4.add(a2, blockIQ4XS(b2 + q, iq4xsScale(b2, d2, ib), x0, x1, x2, x3, x4, x5, x6, x7));
      a3 = f32x4.add(a3, blockIQ4XS(b3 + q, iq4xsScale(b3, d3, ib), x0, x1, x2, x3, x4, x5, x6, x7));
    }
  }
  store<f32>(out, qhsum(a0));
  store<f32>(out, qhsum(a1), 4);
  store<f32>(out, qhsum(a2), 8);
  store<f32>(out, qhsum(a3), 12);
}

/** One IQ4_XS row against x: dot4_iq4_xs's operations for one row. */
function dot_iq4_xs(w: usize, x: usize, nb: i32): f32 {
  let a = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 136;
    const d = qhalf(blk);
    for (let ib = 0; ib < 8; ib++) {
      const xb = x + ((<usize>b << 10) + (<usize>ib << 7));
      const x0 = v128.load(xb), x1 = v128.load(xb, 16), x2 = v128.load(xb, 32), x3 = v128.load(xb, 48);
      const x4 = v128.load(xb, 64), x5 = v128.load(xb, 80), x6 = v128.load(xb, 96), x7 = v128.load(xb, 112);
      a = f32x4.add(a, blockIQ4XS(blk + 8 + (<usize>ib << 4), iq4xsScale(blk, d, ib), x0, x1, x2, x3, x4, x5, x6, x7));
    }
  }
  return qhsum(a);
}

/**
 * IQ4_XS super-block (136 bytes): f16 d, u16 scales_h, 4 bytes scales_l, 128 bytes of nibbles; 8
 * sub-blocks of 32 values in IQ4_NL's layout, value d·(ls − 32)·kvalues_iq4nl[nibble]. N = 1 four
 * rows per pass (dot4_iq4_xs), the rest one row at a time (dot_iq4_xs), same result.
 */
export function matmul_iq4_xs(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  const nb = k >> 8;
  const rowBytes = <usize>nb * 136;
  let r = 0;
  if (n == 1) for (; r + 4 <= m; r += 4) dot4_iq4_xs(w + <usize>r * rowBytes, rowBytes, x, nb, out + (<usize>r << 2));
  for (; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot_iq4_xs(wr, x + ((<usize>i * k) << 2), nb));
  }
}

// ---- IQ3_XXS / IQ3_S: grid-coded 3-bit super-blocks (256 values) ------------------------------
// Each 4 consecutive values are one word of a grid table (assembly/iq-grids.ts, value j in byte j,
// all positive and below 64) times a sign; a 32-value sub-block has one scale db. The kernels build
// 16 signed bytes at a time (four grid words, then (v ^ m) − m with m = −1 where the sign bit is
// set) and take IQ4_XS's f32 dot with x; the prefill dequantizes them into the tiled scratch.

/** 16 sign bits s (bit t: value t) as a byte mask: lane t = −1 where bit t is set, else 0. */
// @ts-ignore: decorator
@inline function signMask16(s: u32): v128 {
  const spread = i8x16.swizzle(i16x8.splat(<i16>s), i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
  const bits = i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  return i8x16.eq(v128.and(spread, bits), bits);
}

/** Four grid words (16 unsigned bytes) with the signs of mask m applied. */
// @ts-ignore: decorator
@inline function gridSigned(g0: u32, g1: u32, g2: u32, g3: u32, m: v128): v128 {
  const v = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(g0), 1, g1), 2, g2), 3, g3);
  return i8x16.sub(v128.xor(v, m), m);
}

/** ksigns_iq2xs[s7]: the 7 stored sign bits plus an 8th making the number of minus signs even. */
// @ts-ignore: decorator
@inline function ksign(s7: u32): u32 { return s7 | ((popcnt<u32>(s7) & 1) << 7); }

/**
 * Values 16h … 16h + 15 (h = 0, 1) of IQ3_XXS sub-block ib as signed bytes: grid words
 * iq3xxs_grid[qs[8ib + 4h + j]], signs ksigns(aux >> 7·(2h)) and ksigns(aux >> 7·(2h + 1)).
 */
// @ts-ignore: decorator
@inline function iq3xxsHalf(blk: usize, ib: i32, h: i32, aux: u32): v128 {
  const q = blk + 2 + (<usize>ib << 3) + (<usize>h << 2);
  const l = <u32>(h << 1);
  const s = ksign((aux >> (7 * l)) & 127) | (ksign((aux >> (7 * l + 7)) & 127) << 8);
  return gridSigned(load<u32>(IQ3XXS_GRID + (<usize>load<u8>(q) << 2)), load<u32>(IQ3XXS_GRID + (<usize>load<u8>(q, 1) << 2)),
    load<u32>(IQ3XXS_GRID + (<usize>load<u8>(q, 2) << 2)), load<u32>(IQ3XXS_GRID + (<usize>load<u8>(q, 3) << 2)), signMask16(s));
}

/** IQ3_XXS sub-block ib's scale db = d·(0.5 + aux >> 28)·0.5 (exact in f32). */
// @ts-ignore: decorator
@inline function iq3xxsScale(d: f32, aux: u32): f32 { return d * (<f32>(aux >> 28) + 0.5) * 0.5; }

/**
 * Values 16h … 16h + 15 of IQ3_S sub-block ib as signed bytes: grid words iq3s_grid[qs[8ib + 4h + j]
 * | (bit 4h + j of qh[ib]) << 8], sign bits from signs[4ib + 2h], signs[4ib + 2h + 1].
 */
// @ts-ignore: decorator
@inline function iq3sHalf(blk: usize, ib: i32, h: i32): v128 {
  const q = blk + 2 + (<usize>ib << 3) + (<usize>h << 2);
  const qh = <usize>(load<u8>(blk + 66 + <usize>ib) >> <u8>(h << 2));
  const s = <u32>load<u16>(blk + 74 + (<usize>ib << 2) + (<usize>h << 1));
  return gridSigned(load<u32>(IQ3S_GRID + (((<usize>load<u8>(q)) | ((qh & 1) << 8)) << 2)),
    load<u32>(IQ3S_GRID + (((<usize>load<u8>(q, 1)) | ((qh & 2) << 7)) << 2)),
    load<u32>(IQ3S_GRID + (((<usize>load<u8>(q, 2)) | ((qh & 4) << 6)) << 2)),
    load<u32>(IQ3S_GRID + (((<usize>load<u8>(q, 3)) | ((qh & 8) << 5)) << 2)), signMask16(s));
}

/**
 * The five grid tables as f32 (grid byte j of word t at base + 16·t + 4·j: an IQ3 entry is 16 bytes, an
 * IQ2 entry of 8 values 32), filled from the byte tables on an instance's first grid decode (threads
 * write the same bytes), so that the decode loads four grid values as an f32x4 and skips the
 * byte → f32 widening; SIGN4 + 16·n: the f32 sign-bit mask of the four sign bits n. 68 KiB in all.
 * Why a flag per instance and not one in memory: each instance reads only tables it has filled itself
 * (its own stores), so no cross-thread ordering is needed. The cost: in the shared-memory build these
 * regions are active zero data segments, which every instantiation writes again. That is safe only
 * because all instances on one memory are instantiated before any kernel runs (WasmBackend
 * .createThreaded awaits ThreadPool.start); a helper started later would zero the tables under
 * instances that have already set their flag.
 */
const IQ3XXS_F32: usize = memory.data(256 * 16, 16);
const IQ3S_F32: usize = memory.data(512 * 16, 16);
const IQ2XXS_F32: usize = memory.data(512 * 16, 16);
const IQ2XS_F32: usize = memory.data(1024 * 16, 16);
const IQ2S_F32: usize = memory.data(2048 * 16, 16);
const SIGN4: usize = memory.data(16 * 16, 16);
let gridF32Ready = false;
function widenGrid(dst: usize, src: usize, words: usize): void {
  for (let t: usize = 0; t < words; t++) {
    const g = load<u32>(src + (t << 2));
    for (let j: usize = 0; j < 4; j++) store<f32>(dst + (t << 4) + (j << 2), <f32>((g >> (<u32>j << 3)) & 0xff));
  }
}
function fillGridF32(): void {
  widenGrid(IQ3XXS_F32, IQ3XXS_GRID, 256);
  widenGrid(IQ3S_F32, IQ3S_GRID, 512);
  widenGrid(IQ2XXS_F32, IQ2XXS_GRID, 512);
  widenGrid(IQ2XS_F32, IQ2XS_GRID, 1024);
  widenGrid(IQ2S_F32, IQ2S_GRID, 2048);
  for (let n: usize = 0; n < 16; n++) for (let j: usize = 0; j < 4; j++) store<u32>(SIGN4 + (n << 4) + (j << 2), ((<u32>n >> <u32>j) & 1) << 31);
  gridF32Ready = true;
}

/**
 * Σ of 16 grid values times x0 … x3: four f32x4 of grid values at e0 … e3 with the sign bits s (bit t:
 * value t) xor-ed in, then dot16v's products in dot16v's order — the same f32 values and operations as
 * dot16v of the signed bytes, so the same result.
 */
// @ts-ignore: decorator
@inline function gridDot16(e0: usize, e1: usize, e2: usize, e3: usize, s: usize, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  let acc = f32x4.mul(v128.xor(v128.load(e0), v128.load(SIGN4 + ((s & 15) << 4))), x0);
  acc = fmadd(v128.xor(v128.load(e1), v128.load(SIGN4 + (((s >> 4) & 15) << 4))), x1, acc);
  acc = fmadd(v128.xor(v128.load(e2), v128.load(SIGN4 + (((s >> 8) & 15) << 4))), x2, acc);
  return fmadd(v128.xor(v128.load(e3), v128.load(SIGN4 + (((s >> 12) & 15) << 4))), x3, acc);
}

/** dot16v(iq3sHalf(blk, ib, h), x0 … x3) from the f32 grid (gridDot16). */
// @ts-ignore: decorator
@inline function iq3sHalfDot(blk: usize, ib: i32, h: i32, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const q = blk + 2 + (<usize>ib << 3) + (<usize>h << 2);
  const qh = <usize>(load<u8>(blk + 66 + <usize>ib) >> <u8>(h << 2));
  const s = <usize>load<u16>(blk + 74 + (<usize>ib << 2) + (<usize>h << 1));
  return gridDot16(IQ3S_F32 + (((<usize>load<u8>(q)) | ((qh & 1) << 8)) << 4), IQ3S_F32 + (((<usize>load<u8>(q, 1)) | ((qh & 2) << 7)) << 4),
    IQ3S_F32 + (((<usize>load<u8>(q, 2)) | ((qh & 4) << 6)) << 4), IQ3S_F32 + (((<usize>load<u8>(q, 3)) | ((qh & 8) << 5)) << 4), s, x0, x1, x2, x3);
}

/** dot16v(iq3xxsHalf(blk, ib, h, aux), x0 … x3) from the f32 grid (gridDot16). */
// @ts-ignore: decorator
@inline function iq3xxsHalfDot(blk: usize, ib: i32, h: i32, aux: u32, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const q = blk + 2 + (<usize>ib << 3) + (<usize>h << 2);
  const l = <u32>(h << 1);
  const s = <usize>(ksign((aux >> (7 * l)) & 127) | (ksign((aux >> (7 * l + 7)) & 127) << 8));
  return gridDot16(IQ3XXS_F32 + (<usize>load<u8>(q) << 4), IQ3XXS_F32 + (<usize>load<u8>(q, 1) << 4),
    IQ3XXS_F32 + (<usize>load<u8>(q, 2) << 4), IQ3XXS_F32 + (<usize>load<u8>(q, 3) << 4), s, x0, x1, x2, x3);
}

/** IQ3_S sub-block ib's scale db = d·(1 + 2·s), s = nibble ib%2 of scales[ib/2] (exact in f32). */
// @ts-ignore: decorator
@inline function iq3sScale(blk: usize, d: f32, ib: i32): f32 {
  const s = (<u32>load<u8>(blk + 106 + (<usize>ib >> 1)) >> (<u32>(ib & 1) << 2)) & 0xf;
  const m = <i32>(2 * s + 1);
  return d * <f32>m;
}

/** One IQ3_XXS row (98-byte super-blocks) against x: per sub-block db·(Σ lo·x + Σ hi·x). */
function dot_iq3_xxs(w: usize, x: usize, nb: i32): f32 {
  let a = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 98;
    const d = qhalf(blk);
    for (let ib = 0; ib < 8; ib++) {
      const xb = x + ((<usize>b << 10) + (<usize>ib << 7));
      const aux = load<u32>(blk + 66 + (<usize>ib << 2));
      const s = f32x4.add(iq3xxsHalfDot(blk, ib, 0, aux, v128.load(xb), v128.load(xb, 16), v128.load(xb, 32), v128.load(xb, 48)),
        iq3xxsHalfDot(blk, ib, 1, aux, v128.load(xb, 64), v128.load(xb, 80), v128.load(xb, 96), v128.load(xb, 112)));
      a = f32x4.add(a, f32x4.mul(f32x4.splat(iq3xxsScale(d, aux)), s));
    }
  }
  return qhsum(a);
}

/** One IQ3_S row (110-byte super-blocks) against x: per sub-block db·(Σ lo·x + Σ hi·x). */
function dot_iq3_s(w: usize, x: usize, nb: i32): f32 {
  let a = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 110;
    const d = qhalf(blk);
    for (let ib = 0; ib < 8; ib++) {
      const xb = x + ((<usize>b << 10) + (<usize>ib << 7));
      const s = f32x4.add(iq3sHalfDot(blk, ib, 0, v128.load(xb), v128.load(xb, 16), v128.load(xb, 32), v128.load(xb, 48)),
        iq3sHalfDot(blk, ib, 1, v128.load(xb, 64), v128.load(xb, 80), v128.load(xb, 96), v128.load(xb, 112)));
      a = f32x4.add(a, f32x4.mul(f32x4.splat(iq3sScale(blk, d, ib)), s));
    }
  }
  return qhsum(a);
}

/**
 * Values 16h … 16h + 15 of IQ2_S sub-block ib as signed bytes: groups g = 4ib + 2h, g + 1, each the
 * 8 bytes of iq2s_grid[qs[g] | (2 bits of qh[ib]) << 8], sign bits signs[g], signs[g + 1].
 */
// @ts-ignore: decorator
@inline function iq2sHalf(blk: usize, ib: i32, h: i32): v128 {
  const g = (<usize>ib << 2) + (<usize>h << 1);
  const qh = <usize>(load<u8>(blk + 66 + <usize>ib) >> <u8>(h << 2));
  const i0 = <usize>load<u8>(blk + 2 + g) | ((qh & 3) << 8);
  const i1 = <usize>load<u8>(blk + 3 + g) | ((qh & 12) << 6);
  const v = i64x2.replace_lane(i64x2.splat(load<u64>(IQ2S_GRID + (i0 << 3))), 1, load<u64>(IQ2S_GRID + (i1 << 3)));
  const m = signMask16(<u32>load<u16>(blk + 34 + g));
  return i8x16.sub(v128.xor(v, m), m);
}

/** dot16v(iq2sHalf(blk, ib, h), x0 … x3) from the f32 grid (gridDot16: an entry is two f32x4). */
// @ts-ignore: decorator
@inline function iq2sHalfDot(blk: usize, ib: i32, h: i32, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const g = (<usize>ib << 2) + (<usize>h << 1);
  const qh = <usize>(load<u8>(blk + 66 + <usize>ib) >> <u8>(h << 2));
  const e0 = IQ2S_F32 + ((<usize>load<u8>(blk + 2 + g) | ((qh & 3) << 8)) << 5);
  const e1 = IQ2S_F32 + ((<usize>load<u8>(blk + 3 + g) | ((qh & 12) << 6)) << 5);
  return gridDot16(e0, e0 + 16, e1, e1 + 16, <usize>load<u16>(blk + 34 + g), x0, x1, x2, x3);
}

/** IQ2_S's scale of half h of sub-block ib: d·(0.5 + s)·0.25, s = nibble h of scales[ib] (exact in f32). */
// @ts-ignore: decorator
@inline function iq2sScale(blk: usize, d: f32, ib: i32, h: i32): f32 {
  const s = (<u32>load<u8>(blk + 74 + <usize>ib) >> (<u32>h << 2)) & 0xf;
  return d * (<f32>s + 0.5) * 0.25;
}

/** One IQ2_S row (82-byte super-blocks) against x: per 16 values db·Σ. */
function dot_iq2_s(w: usize, x: usize, nb: i32): f32 {
  let a = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 82;
    const d = qhalf(blk);
    for (let ib = 0; ib < 8; ib++) {
      const xb = x + ((<usize>b << 10) + (<usize>ib << 7));
      const lo = iq2sHalfDot(blk, ib, 0, v128.load(xb), v128.load(xb, 16), v128.load(xb, 32), v128.load(xb, 48));
      const hi = iq2sHalfDot(blk, ib, 1, v128.load(xb, 64), v128.load(xb, 80), v128.load(xb, 96), v128.load(xb, 112));
      a = f32x4.add(a, f32x4.add(f32x4.mul(f32x4.splat(iq2sScale(blk, d, ib, 0)), lo), f32x4.mul(f32x4.splat(iq2sScale(blk, d, ib, 1)), hi)));
    }
  }
  return qhsum(a);
}

/** Two 8-value grid entries i0, i1 (u64 each at grid + 8·i) as 16 bytes with the signs of the 16 bits s. */
// @ts-ignore: decorator
@inline function grid8x2Signed(grid: usize, i0: usize, i1: usize, s: u32): v128 {
  const v = i64x2.replace_lane(i64x2.splat(load<u64>(grid + (i0 << 3))), 1, load<u64>(grid + (i1 << 3)));
  const m = signMask16(s);
  return i8x16.sub(v128.xor(v, m), m);
}

/** Values 16h … 16h + 15 of IQ2_XXS sub-block ib (8 bytes at o = blk + 2 + 8ib: 4 grid indices, u32 aux). */
// @ts-ignore: decorator
@inline function iq2xxsHalf(o: usize, h: i32, aux: u32): v128 {
  const l = <u32>(h << 1);
  const s = ksign((aux >> (7 * l)) & 127) | (ksign((aux >> (7 * l + 7)) & 127) << 8);
  return grid8x2Signed(IQ2XXS_GRID, <usize>load<u8>(o + (<usize>h << 1)), <usize>load<u8>(o + (<usize>h << 1) + 1), s);
}

/** Values 16h … 16h + 15 of IQ2_XS sub-block ib: u16 q0, q1 at blk + 2 + 8ib + 4h: grid q & 511, signs ksigns[q >> 9]. */
// @ts-ignore: decorator
@inline function iq2xsHalf(blk: usize, ib: i32, h: i32): v128 {
  const o = blk + 2 + (<usize>ib << 3) + (<usize>h << 2);
  const q0 = <u32>load<u16>(o), q1 = <u32>load<u16>(o, 2);
  return grid8x2Signed(IQ2XS_GRID, <usize>(q0 & 511), <usize>(q1 & 511), ksign(q0 >> 9) | (ksign(q1 >> 9) << 8));
}

/** dot16v(iq2xxsHalf(o, h, aux), x0 … x3) from the f32 grid. */
// @ts-ignore: decorator
@inline function iq2xxsHalfDot(o: usize, h: i32, aux: u32, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const l = <u32>(h << 1);
  const s = <usize>(ksign((aux >> (7 * l)) & 127) | (ksign((aux >> (7 * l + 7)) & 127) << 8));
  const e0 = IQ2XXS_F32 + (<usize>load<u8>(o + (<usize>h << 1)) << 5), e1 = IQ2XXS_F32 + (<usize>load<u8>(o + (<usize>h << 1) + 1) << 5);
  return gridDot16(e0, e0 + 16, e1, e1 + 16, s, x0, x1, x2, x3);
}

/** dot16v(iq2xsHalf(blk, ib, h), x0 … x3) from the f32 grid. */
// @ts-ignore: decorator
@inline function iq2xsHalfDot(blk: usize, ib: i32, h: i32, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const o = blk + 2 + (<usize>ib << 3) + (<usize>h << 2);
  const q0 = <u32>load<u16>(o), q1 = <u32>load<u16>(o, 2);
  const e0 = IQ2XS_F32 + (<usize>(q0 & 511) << 5), e1 = IQ2XS_F32 + (<usize>(q1 & 511) << 5);
  return gridDot16(e0, e0 + 16, e1, e1 + 16, <usize>(ksign(q0 >> 9) | (ksign(q1 >> 9) << 8)), x0, x1, x2, x3);
}

/** IQ2_XS's scale of half h of sub-block ib: d·(0.5 + nibble h of scales[ib])·0.25 (exact in f32). */
// @ts-ignore: decorator
@inline function iq2xsScale(blk: usize, d: f32, ib: i32, h: i32): f32 {
  const s = (<u32>load<u8>(blk + 66 + <usize>ib) >> (<u32>h << 2)) & 0xf;
  return d * (<f32>s + 0.5) * 0.25;
}

/** One IQ2_XXS row (66-byte super-blocks) against x: per sub-block db·(Σ lo·x + Σ hi·x). */
function dot_iq2_xxs(w: usize, x: usize, nb: i32): f32 {
  let a = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 66;
    const d = qhalf(blk);
    for (let ib = 0; ib < 8; ib++) {
      const xb = x + ((<usize>b << 10) + (<usize>ib << 7));
      const o = blk + 2 + (<usize>ib << 3);
      const aux = load<u32>(o, 4);
      const s = f32x4.add(iq2xxsHalfDot(o, 0, aux, v128.load(xb), v128.load(xb, 16), v128.load(xb, 32), v128.load(xb, 48)),
        iq2xxsHalfDot(o, 1, aux, v128.load(xb, 64), v128.load(xb, 80), v128.load(xb, 96), v128.load(xb, 112)));
      a = f32x4.add(a, f32x4.mul(f32x4.splat(d * (<f32>(aux >> 28) + 0.5) * 0.25), s));
    }
  }
  return qhsum(a);
}

/** One IQ2_XS row (74-byte super-blocks) against x: per 16 values db·Σ. */
function dot_iq2_xs(w: usize, x: usize, nb: i32): f32 {
  let a = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 74;
    const d = qhalf(blk);
    for (let ib = 0; ib < 8; ib++) {
      const xb = x + ((<usize>b << 10) + (<usize>ib << 7));
      const lo = iq2xsHalfDot(blk, ib, 0, v128.load(xb), v128.load(xb, 16), v128.load(xb, 32), v128.load(xb, 48));
      const hi = iq2xsHalfDot(blk, ib, 1, v128.load(xb, 64), v128.load(xb, 80), v128.load(xb, 96), v128.load(xb, 112));
      a = f32x4.add(a, f32x4.add(f32x4.mul(f32x4.splat(iq2xsScale(blk, d, ib, 0)), lo), f32x4.mul(f32x4.splat(iq2xsScale(blk, d, ib, 1)), hi)));
    }
  }
  return qhsum(a);
}

/** IQ2_XXS super-block (66 bytes): f16 d, 8 × (4 grid indices, u32 of 4 × 7 sign bits and a 4-bit scale); one row at a time. */
export function matmul_iq2_xxs(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  if (!gridF32Ready) fillGridF32();
  const nb = k >> 8;
  const rowBytes = <usize>nb * 66;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot_iq2_xxs(wr, x + ((<usize>i * k) << 2), nb));
  }
}

/** IQ2_XS super-block (74 bytes): f16 d, 32 × u16 (9-bit grid index, 7 sign bits), scales[8]; one row at a time. */
export function matmul_iq2_xs(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  if (!gridF32Ready) fillGridF32();
  const nb = k >> 8;
  const rowBytes = <usize>nb * 74;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot_iq2_xs(wr, x + ((<usize>i * k) << 2), nb));
  }
}

// IQ1_S / IQ1_M: a value is dl·(g + delta), g ∈ {-1, 0, 1} from iq1s_grid (int8 bytes), delta ±0.125
// per group of 8 (IQ1_M) or 32 (IQ1_S). Written as (dl/8)·(8g ± 1): 16 values at a time are the
// bytes 8g ± 1 (two grid u64, shifted left by 3, plus ±1 bytes) under dot16v, and the scale dl·0.125.
// Every step is exact in f32 (dl·0.125 by a power of two; (8g ± 1) ∈ {-9, -7, -1, 1, 7, 9}), so the
// dequantized values are llama.cpp's bit for bit. No f32 table: the grid is read as bytes.
// The ±1 delta bytes are formed without branches (a select per group mispredicts on random sign
// bits: IQ1_M's matvec took 2.0 ms at 2048² with one per group, 1.26 without; IQ1_S 1.00 → 0.96).

/** Grid entries i0, i1 (u64 at IQ1S_GRID + 8·i) as the 16 bytes 8·g + e, e the ±1 delta bytes. */
// @ts-ignore: decorator
@inline function iq1x16(i0: usize, i1: usize, e: v128): v128 {
  const v = i64x2.replace_lane(i64x2.splat(load<u64>(IQ1S_GRID + (i0 << 3))), 1, load<u64>(IQ1S_GRID + (i1 << 3)));
  return i8x16.add(i8x16.shl(v, 3), e);
}

/** Values 16h … 16h + 15 of IQ1_S sub-block ib (qs at blk + 2 + 4ib, qh word at blk + 34 + 2ib) as 8g ± 1 bytes. */
// @ts-ignore: decorator
@inline function iq1sHalf(blk: usize, ib: i32, h: i32): v128 {
  const qh = <u32>load<u16>(blk + 34 + (<usize>ib << 1));
  const o = blk + 2 + (<usize>ib << 2) + (<usize>h << 1);
  const l = <u32>(h << 1);
  const e = i8x16.splat(<i8>(1 - 2 * <i32>(qh >> 15))); // bit 15 set: −1
  return iq1x16(<usize>load<u8>(o) | <usize>(((qh >> (3 * l)) & 7) << 8), <usize>load<u8>(o, 1) | <usize>(((qh >> (3 * l + 3)) & 7) << 8), e);
}

/** IQ1_S's dl/8 of sub-block ib: d·(2s + 1)·0.125, s = bits 12..14 of its qh word (exact). */
// @ts-ignore: decorator
@inline function iq1sScale(blk: usize, d: f32, ib: i32): f32 {
  return d * <f32>(((<u32>load<u16>(blk + 34 + (<usize>ib << 1)) >> 12) & 7) * 2 + 1) * 0.125;
}

/** Values 16h … 16h + 15 of IQ1_M sub-block ib (qs at blk + 4ib, qh byte blk + 32 + 2ib + h: two nibbles). */
// @ts-ignore: decorator
@inline function iq1mHalf(blk: usize, ib: i32, h: i32): v128 {
  const o = blk + (<usize>ib << 2) + (<usize>h << 1);
  const q = <u32>load<u8>(blk + 32 + (<usize>ib << 1) + <usize>h);
  // bytes 0..7 −1 where bit 3 of q is set, 8..15 where bit 7 is, else +1
  const set = i8x16.ne(v128.and(i8x16.splat(<i8>q), i8x16(8, 8, 8, 8, 8, 8, 8, 8, -128, -128, -128, -128, -128, -128, -128, -128)), i8x16.splat(0));
  return iq1x16(<usize>load<u8>(o) | <usize>((q & 7) << 8), <usize>load<u8>(o, 1) | <usize>(((q >> 4) & 7) << 8), v128.or(set, i8x16.splat(1)));
}

/** IQ1_M's f16 d: the top nibbles of the four u16 scale words at blk + 48 (word k: bits 4k..4k+3). */
// @ts-ignore: decorator
@inline function iq1mD(blk: usize): f32 {
  const s = load<u64>(blk + 48);
  return halfBits(<u32>(((s >> 12) & 0xf) | ((s >> 24) & 0xf0) | ((s >> 36) & 0xf00) | ((s >> 48) & 0xf000)));
}

/** IQ1_M's dl/8 of half h of sub-block ib: d·(2s + 1)·0.125, s = bits 6(ib & 1) + 3h of scale word ib >> 1. */
// @ts-ignore: decorator
@inline function iq1mScale(blk: usize, d: f32, ib: i32, h: i32): f32 {
  const s = (<u32>load<u16>(blk + 48 + (<usize>(ib >> 1) << 1)) >> <u32>(6 * (ib & 1) + 3 * h)) & 7;
  return d * <f32>(s * 2 + 1) * 0.125;
}

/** One IQ1_S row (50-byte super-blocks) against x: per sub-block (dl/8)·Σ (8g ± 1)·x. */
function dot_iq1_s(w: usize, x: usize, nb: i32): f32 {
  let a = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 50;
    const d = qhalf(blk);
    for (let ib = 0; ib < 8; ib++) {
      const xb = x + ((<usize>b << 10) + (<usize>ib << 7));
      const s = f32x4.add(dot16v(iq1sHalf(blk, ib, 0), v128.load(xb), v128.load(xb, 16), v128.load(xb, 32), v128.load(xb, 48)),
        dot16v(iq1sHalf(blk, ib, 1), v128.load(xb, 64), v128.load(xb, 80), v128.load(xb, 96), v128.load(xb, 112)));
      a = f32x4.add(a, f32x4.mul(f32x4.splat(iq1sScale(blk, d, ib)), s));
    }
  }
  return qhsum(a);
}

/** One IQ1_M row (56-byte super-blocks) against x: per 16 values (dl/8)·Σ (8g ± 1)·x. */
function dot_iq1_m(w: usize, x: usize, nb: i32): f32 {
  let a = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 56;
    const d = iq1mD(blk);
    for (let ib = 0; ib < 8; ib++) {
      const xb = x + ((<usize>b << 10) + (<usize>ib << 7));
      const lo = dot16v(iq1mHalf(blk, ib, 0), v128.load(xb), v128.load(xb, 16), v128.load(xb, 32), v128.load(xb, 48));
      const hi = dot16v(iq1mHalf(blk, ib, 1), v128.load(xb, 64), v128.load(xb, 80), v128.load(xb, 96), v128.load(xb, 112));
      a = f32x4.add(a, f32x4.add(f32x4.mul(f32x4.splat(iq1mScale(blk, d, ib, 0)), lo), f32x4.mul(f32x4.splat(iq1mScale(blk, d, ib, 1)), hi)));
    }
  }
  return qhsum(a);
}

/** IQ1_S super-block (50 bytes): f16 d, qs[32], qh u16[8] (4 × 3 high index bits, 3-bit scale, delta sign); one row at a time. */
export function matmul_iq1_s(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  const nb = k >> 8;
  const rowBytes = <usize>nb * 50;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot_iq1_s(wr, x + ((<usize>i * k) << 2), nb));
  }
}

/** IQ1_M super-block (56 bytes): qs[32], qh[16] (per group 3 high index bits, delta sign), scales u16[4] (3-bit scales, d in the top nibbles); one row at a time. */
export function matmul_iq1_m(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  const nb = k >> 8;
  const rowBytes = <usize>nb * 56;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot_iq1_m(wr, x + ((<usize>i * k) << 2), nb));
  }
}

/** IQ2_S super-block (82 bytes): f16 d, qs[32], signs[32], qh[8], scales[8]; one row at a time (prefill: matmul_quant_tiled). */
export function matmul_iq2_s(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  if (!gridF32Ready) fillGridF32();
  const nb = k >> 8;
  const rowBytes = <usize>nb * 82;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot_iq2_s(wr, x + ((<usize>i * k) << 2), nb));
  }
}

/**
 * IQ3_XXS super-block (98 bytes): f16 d, 64 grid indices, 8 u32 of (4 × 7 sign bits, 4-bit scale);
 * one row at a time (prefill goes through matmul_quant_tiled).
 */
export function matmul_iq3_xxs(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  if (!gridF32Ready) fillGridF32();
  const nb = k >> 8;
  const rowBytes = <usize>nb * 98;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot_iq3_xxs(wr, x + ((<usize>i * k) << 2), nb));
  }
}

/**
 * IQ3_S super-block (110 bytes): f16 d, qs[64], qh[8], signs[32], scales[4]; one row at a time
 * (prefill goes through matmul_quant_tiled).
 */
export function matmul_iq3_s(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  if (!gridF32Ready) fillGridF32();
  const nb = k >> 8;
  const rowBytes = <usize>nb * 110;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot_iq3_s(wr, x + ((<usize>i * k) << 2), nb));
  }
}

function dot4_q4_0(w: usize, rowBytes: usize, x: usize, nb: i32, out: usize): void {
  dot4_small(S_Q4_0, w, rowBytes, x, nb, out);
}

export function matmul_q4_0(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  const nb = k >> 5;
  const rowBytes = <usize>nb * 18;
  let r = 0;
  if (n == 1) for (; r + 4 <= m; r += 4) dot4_q4_0(w + <usize>r * rowBytes, rowBytes, x, nb, out + (<usize>r << 2));
  for (; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot_q4_0(wr, x + ((<usize>i * k) << 2), nb));
  }
}

/**
 * scratch[i · K/width + s] = Σ of the s-th `width`-wide slice (width 16 or 32) of token i's x: the
 * sums the k-quant mins multiply (Q4_K / Q5_K: 32, Q2_K: 16), shared by every row.
 */
function sliceSums(x: usize, n: i32, k: i32, width: i32, scratch: usize): void {
  const slices = k / width;
  const vecs = width >> 2;
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < slices; s++) {
      const p = x + ((<usize>i * k + s * width) << 2);
      let v = f32x4.splat(0);
      for (let t = 0; t < vecs; t++) v = f32x4.add(v, v128.load(p + (<usize>t << 4)));
      store<f32>(scratch + ((<usize>i * slices + s) << 2), qhsum(v));
    }
  }
}

/** scratch: n · K/32 floats (per-token sums of each 32-wide slice of x). */
export function matmul_q4_k(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32, scratch: usize): void {
  const nb = k >> 8;
  const slices = k >> 5;
  sliceSums(x, n, k, 32, scratch);
  const rowBytes = <usize>nb * 144;
  const end = w + <usize>m * rowBytes;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    if (n == 1 && (r & 3) == 0) touchAhead(wr + 4 * rowBytes, 4 * rowBytes, end);
    for (let i = 0; i < n; i++) {
      const v = dot_q4_k(wr, x + ((<usize>i * k) << 2), scratch + ((<usize>i * slices) << 2), nb);
      store<f32>(out + ((<usize>i * m + r) << 2), v);
    }
  }
}

export function matmul_q6_k(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  const nb = k >> 8;
  const rowBytes = <usize>nb * 210;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot_q6_k(wr, x + ((<usize>i * k) << 2), nb));
  }
}

/** scratch: n · K/32 floats (per-token sums of each 32-wide slice of x), as matmul_q4_k. */
export function matmul_q5_k(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32, scratch: usize): void {
  const nb = k >> 8;
  const slices = k >> 5;
  sliceSums(x, n, k, 32, scratch);
  const rowBytes = <usize>nb * 176;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) {
      const v = dot_q5_k(wr, x + ((<usize>i * k) << 2), scratch + ((<usize>i * slices) << 2), nb);
      store<f32>(out + ((<usize>i * m + r) << 2), v);
    }
  }
}

export function matmul_q3_k(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  const nb = k >> 8;
  const rowBytes = <usize>nb * 110;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot_q3_k(wr, x + ((<usize>i * k) << 2), nb));
  }
}

/** scratch: n · K/16 floats (per-token sums of each 16-wide slice of x). */
export function matmul_q2_k(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32, scratch: usize): void {
  const nb = k >> 8;
  const slices = k >> 4;
  sliceSums(x, n, k, 16, scratch);
  const rowBytes = <usize>nb * 84;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) {
      const v = dot_q2_k(wr, x + ((<usize>i * k) << 2), scratch + ((<usize>i * slices) << 2), nb);
      store<f32>(out + ((<usize>i * m + r) << 2), v);
    }
  }
}

/** One Q5_0 block of one row against x (loaded), dot_q5_0's operations and order. */
// @ts-ignore: decorator
@inline function block5_0(blk: usize, x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128, x6: v128, x7: v128): v128 {
  const bits = i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  const sixteen = i8x16.splat(16);
  const qh = i32x4.splat(load<u32>(blk + 2));
  const hLo = v128.and(i8x16.ne(v128.and(lut16(qh, i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)), bits), i8x16.splat(0)), sixteen);
  const hHi = v128.and(i8x16.ne(v128.and(lut16(qh, i8x16(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3)), bits), i8x16.splat(0)), sixteen);
  const q = v128.load(blk + 6);
  const lo = i8x16.sub(v128.or(v128.and(q, i8x16.splat(0x0f)), hLo), sixteen);
  const hi = i8x16.sub(v128.or(i8x16.shr_u(q, 4), hHi), sixteen);
  return f32x4.mul(f32x4.splat(qhalf(blk)), f32x4.add(dot16v(lo, x0, x1, x2, x3), dot16v(hi, x4, x5, x6, x7)));
}

/** Four Q5_0 rows against one x, sharing the x loads (bit-identical to dot_q5_0 per row). */
function dot4_q5_0(w: usize, rowBytes: usize, x: usize, nb: i32, out: usize): void {
  dot4_small(S_Q5_0, w, rowBytes, x, nb, out);
}

export function matmul_q5_0(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32): void {
  const nb = k >> 5;
  const rowBytes = <usize>nb * 22;
  let r = 0;
  if (n == 1) for (; r + 4 <= m; r += 4) dot4_q5_0(w + <usize>r * rowBytes, rowBytes, x, nb, out + (<usize>r << 2));
  for (; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot_q5_0(wr, x + ((<usize>i * k) << 2), nb));
  }
}

// ---- prefill for the other block types: dequantize four rows, then the f32 register tile --------
// Q4_0 / Q5_0 / Q4_K / Q6_K prefill used to run one direct dot per (token, row): the 4- to 6-bit
// unpacking was paid once per token, and the SmolLM2-shape Q4_0 prefill ran at 47 tok/s against
// Q8_0's 164. Like Q8_0, each group of four weight rows is now dequantized once per token tile into
// `scratch` (4·K f32) and multiplied by the dense tile (Q5_K / Q3_K / Q2_K, added later, too).
// Dequantized values are exact in f32 (a scale times a small integer) except the k-quants with mins
// (Q2_K, Q4_K, Q5_K): d·sc·q − dmin·m rounds once, as llama.cpp's own dequantization does.

/** Store the 16 signed bytes q, times `scale` minus `sub`, as 16 f32 at o. */
// @ts-ignore: decorator
@inline function store16(o: usize, q: v128, scale: v128, sub: v128): void {
  v128.store(o, f32x4.sub(f32x4.mul(widen0(q), scale), sub));
  v128.store(o, f32x4.sub(f32x4.mul(widen1(q), scale), sub), 16);
  v128.store(o, f32x4.sub(f32x4.mul(widen2(q), scale), sub), 32);
  v128.store(o, f32x4.sub(f32x4.mul(widen3(q), scale), sub), 48);
}

function dequant_q4_0(dst: usize, w: usize, blocks: i32): void {
  const mask = i8x16.splat(0x0f);
  const eight = i8x16.splat(8);
  const zero = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 18;
    const o = dst + (<usize>b << 7);
    const d = f32x4.splat(qhalf(blk));
    const q = v128.load(blk + 2);
    store16(o, i8x16.sub(v128.and(q, mask), eight), d, zero);
    store16(o + 64, i8x16.sub(i8x16.shr_u(q, 4), eight), d, zero);
  }
}

function dequant_q5_0(dst: usize, w: usize, blocks: i32): void {
  const mask = i8x16.splat(0x0f);
  const sixteen = i8x16.splat(16);
  const bits = i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  const selLo = i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const selHi = i8x16(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const zero = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 22;
    const o = dst + (<usize>b << 7);
    const d = f32x4.splat(qhalf(blk));
    const qh = i32x4.splat(load<u32>(blk + 2));
    const hLo = v128.and(i8x16.ne(v128.and(lut16(qh, selLo), bits), i8x16.splat(0)), sixteen);
    const hHi = v128.and(i8x16.ne(v128.and(lut16(qh, selHi), bits), i8x16.splat(0)), sixteen);
    const q = v128.load(blk + 6);
    store16(o, i8x16.sub(v128.or(v128.and(q, mask), hLo), sixteen), d, zero);
    store16(o + 64, i8x16.sub(v128.or(i8x16.shr_u(q, 4), hHi), sixteen), d, zero);
  }
}

/** `blocks` Q4_1 / Q5_1 / IQ4_NL blocks: q·d + m (one rounding, as dequantize_row_q4_1 / _q5_1: q·d is exact), d·kvalues[q]. */
// @ts-ignore: decorator
@inline function dequant_small(t: i32, dst: usize, w: usize, blocks: i32): void {
  const mask = i8x16.splat(0x0f);
  const zero = f32x4.splat(0);
  const blockBytes = smallBlockBytes(t);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * blockBytes;
    const o = dst + (<usize>b << 7);
    const d = f32x4.splat(qhalf(blk));
    if (t == S_IQ4_NL) {
      const q = v128.load(blk + 2);
      store16(o, lut16(iq4Table(), v128.and(q, mask)), d, zero);
      store16(o + 64, lut16(iq4Table(), i8x16.shr_u(q, 4)), d, zero);
      continue;
    }
    const negM = f32x4.splat(-qhalf(blk + 2)); // q·d − (−m) = q·d + m exactly
    if (t == S_Q4_1) {
      const q = v128.load(blk + 4);
      store16(o, v128.and(q, mask), d, negM);
      store16(o + 64, i8x16.shr_u(q, 4), d, negM);
    } else {
      const qh = load<u32>(blk + 4);
      const q = v128.load(blk + 8);
      store16(o, v128.or(v128.and(q, mask), q5High(qh, false)), d, negM);
      store16(o + 64, v128.or(i8x16.shr_u(q, 4), q5High(qh, true)), d, negM);
    }
  }
}

/** `blocks` IQ4_XS super-blocks: value dl·kvalues[nibble] per 32-value sub-block, dl = d·(ls − 32) exact (one rounding, as dequantize_row_iq4_xs). */
function dequant_iq4_xs(dst: usize, w: usize, blocks: i32): void {
  const mask = i8x16.splat(0x0f);
  const zero = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 136;
    const d = qhalf(blk);
    for (let ib = 0; ib < 8; ib++) {
      const o = dst + (<usize>b << 10) + (<usize>ib << 7);
      const dl = f32x4.splat(iq4xsScale(blk, d, ib));
      const q = v128.load(blk + 8 + (<usize>ib << 4));
      store16(o, lut16(iq4Table(), v128.and(q, mask)), dl, zero);
      store16(o + 64, lut16(iq4Table(), i8x16.shr_u(q, 4)), dl, zero);
    }
  }
}

/** `blocks` IQ3_XXS super-blocks: value db·(±grid byte) per 32-value sub-block (exact, as dequantize_row_iq3_xxs). */
function dequant_iq3_xxs(dst: usize, w: usize, blocks: i32): void {
  const zero = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 98;
    const d = qhalf(blk);
    for (let ib = 0; ib < 8; ib++) {
      const o = dst + (<usize>b << 10) + (<usize>ib << 7);
      const aux = load<u32>(blk + 66 + (<usize>ib << 2));
      const db = f32x4.splat(iq3xxsScale(d, aux));
      store16(o, iq3xxsHalf(blk, ib, 0, aux), db, zero);
      store16(o + 64, iq3xxsHalf(blk, ib, 1, aux), db, zero);
    }
  }
}

/** `blocks` IQ2_S super-blocks: value dl·(±grid byte) per 16 values (exact, as dequantize_row_iq2_s). */
function dequant_iq2_s(dst: usize, w: usize, blocks: i32): void {
  const zero = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 82;
    const d = qhalf(blk);
    for (let ib = 0; ib < 8; ib++) {
      const o = dst + (<usize>b << 10) + (<usize>ib << 7);
      store16(o, iq2sHalf(blk, ib, 0), f32x4.splat(iq2sScale(blk, d, ib, 0)), zero);
      store16(o + 64, iq2sHalf(blk, ib, 1), f32x4.splat(iq2sScale(blk, d, ib, 1)), zero);
    }
  }
}

/** `blocks` IQ2_XXS super-blocks (exact, as dequantize_row_iq2_xxs). */
function dequant_iq2_xxs(dst: usize, w: usize, blocks: i32): void {
  const zero = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 66;
    const d = qhalf(blk);
    for (let ib = 0; ib < 8; ib++) {
      const o = blk + 2 + (<usize>ib << 3);
      const aux = load<u32>(o, 4);
      const db = f32x4.splat(d * (<f32>(aux >> 28) + 0.5) * 0.25);
      const p = dst + (<usize>b << 10) + (<usize>ib << 7);
      store16(p, iq2xxsHalf(o, 0, aux), db, zero);
      store16(p + 64, iq2xxsHalf(o, 1, aux), db, zero);
    }
  }
}

/** `blocks` IQ2_XS super-blocks (exact, as dequantize_row_iq2_xs). */
function dequant_iq2_xs(dst: usize, w: usize, blocks: i32): void {
  const zero = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 74;
    const d = qhalf(blk);
    for (let ib = 0; ib < 8; ib++) {
      const p = dst + (<usize>b << 10) + (<usize>ib << 7);
      store16(p, iq2xsHalf(blk, ib, 0), f32x4.splat(iq2xsScale(blk, d, ib, 0)), zero);
      store16(p + 64, iq2xsHalf(blk, ib, 1), f32x4.splat(iq2xsScale(blk, d, ib, 1)), zero);
    }
  }
}

/** `blocks` IQ1_S super-blocks (exact, as dequantize_row_iq1_s): (dl/8)·(8g ± 1). */
function dequant_iq1_s(dst: usize, w: usize, blocks: i32): void {
  const zero = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 50;
    const d = qhalf(blk);
    for (let ib = 0; ib < 8; ib++) {
      const p = dst + (<usize>b << 10) + (<usize>ib << 7);
      const dl = f32x4.splat(iq1sScale(blk, d, ib));
      store16(p, iq1sHalf(blk, ib, 0), dl, zero);
      store16(p + 64, iq1sHalf(blk, ib, 1), dl, zero);
    }
  }
}

/** `blocks` IQ1_M super-blocks (exact, as dequantize_row_iq1_m). */
function dequant_iq1_m(dst: usize, w: usize, blocks: i32): void {
  const zero = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 56;
    const d = iq1mD(blk);
    for (let ib = 0; ib < 8; ib++) {
      const p = dst + (<usize>b << 10) + (<usize>ib << 7);
      store16(p, iq1mHalf(blk, ib, 0), f32x4.splat(iq1mScale(blk, d, ib, 0)), zero);
      store16(p + 64, iq1mHalf(blk, ib, 1), f32x4.splat(iq1mScale(blk, d, ib, 1)), zero);
    }
  }
}

/** `blocks` IQ3_S super-blocks: value db·(±grid byte) per 32-value sub-block (exact, as dequantize_row_iq3_s). */
function dequant_iq3_s(dst: usize, w: usize, blocks: i32): void {
  const zero = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 110;
    const d = qhalf(blk);
    for (let ib = 0; ib < 8; ib++) {
      const o = dst + (<usize>b << 10) + (<usize>ib << 7);
      const db = f32x4.splat(iq3sScale(blk, d, ib));
      store16(o, iq3sHalf(blk, ib, 0), db, zero);
      store16(o + 64, iq3sHalf(blk, ib, 1), db, zero);
    }
  }
}

/** `blocks` Q4_K super-blocks (256 values each): value = d·sc·q − dmin·m per 32-value sub-block (dot_q4_k's layout). */
function dequant_q4_k(dst: usize, w: usize, blocks: i32): void {
  const mask = i8x16.splat(0x0f);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 144;
    const d = qhalf(blk);
    const dmin = qhalf(blk + 2);
    for (let j = 0; j < 4; j++) {
      const q = blk + 16 + (<usize>j << 5);
      const o = dst + ((<usize>b << 10) + (<usize>j << 8));
      const sm1 = scaleMin(blk + 4, 2 * j);
      const sm2 = scaleMin(blk + 4, 2 * j + 1);
      const s1 = f32x4.splat(d * <f32>(sm1 & 0xff)), m1 = f32x4.splat(dmin * <f32>(sm1 >> 8));
      const s2 = f32x4.splat(d * <f32>(sm2 & 0xff)), m2 = f32x4.splat(dmin * <f32>(sm2 >> 8));
      const q0 = v128.load(q);
      const q1 = v128.load(q, 16);
      store16(o, v128.and(q0, mask), s1, m1);
      store16(o + 64, v128.and(q1, mask), s1, m1);
      store16(o + 128, i8x16.shr_u(q0, 4), s2, m2);
      store16(o + 192, i8x16.shr_u(q1, 4), s2, m2);
    }
  }
}

/** `blocks` Q6_K super-blocks: value = (d·sc)·q with q = (nibble | 2 bits << 4) − 32 (dot_q6_k's layout). */
function dequant_q6_k(dst: usize, w: usize, blocks: i32): void {
  const m4 = i8x16.splat(0x0f);
  const m2 = i8x16.splat(3);
  const c32 = i8x16.splat(32);
  const zero = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 210;
    const d = qhalf(blk + 208);
    for (let n = 0; n < 2; n++) {
      const ql = blk + (<usize>n << 6);
      const qh = blk + 128 + (<usize>n << 5);
      const sc = blk + 192 + (<usize>n << 3);
      const ob = dst + ((<usize>b << 10) + (<usize>n << 9));
      for (let l0 = 0; l0 < 32; l0 += 16) {
        const is = l0 >> 4;
        const a = v128.load(ql + l0);
        const c = v128.load(ql + 32 + l0);
        const h = v128.load(qh + l0);
        const o = ob + (<usize>l0 << 2);
        store16(o, i8x16.sub(v128.or(v128.and(a, m4), i8x16.shl(v128.and(h, m2), 4)), c32), f32x4.splat(d * <f32>load<i8>(sc + is)), zero);
        store16(o + 128, i8x16.sub(v128.or(v128.and(c, m4), i8x16.shl(v128.and(i8x16.shr_u(h, 2), m2), 4)), c32), f32x4.splat(d * <f32>load<i8>(sc + is + 2)), zero);
        store16(o + 256, i8x16.sub(v128.or(i8x16.shr_u(a, 4), i8x16.shl(v128.and(i8x16.shr_u(h, 4), m2), 4)), c32), f32x4.splat(d * <f32>load<i8>(sc + is + 4)), zero);
        store16(o + 384, i8x16.sub(v128.or(i8x16.shr_u(c, 4), i8x16.shl(i8x16.shr_u(h, 6), 4)), c32), f32x4.splat(d * <f32>load<i8>(sc + is + 6)), zero);
      }
    }
  }
}

/** `blocks` Q5_K super-blocks: dequant_q4_k with the 5th bit of each value from qh (dot_q5_k's layout). */
function dequant_q5_k(dst: usize, w: usize, blocks: i32): void {
  const mask = i8x16.splat(0x0f);
  const bit4 = i8x16.splat(0x10);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 176;
    const d = qhalf(blk);
    const dmin = qhalf(blk + 2);
    let h0 = v128.load(blk + 16);
    let h1 = v128.load(blk + 32);
    for (let j = 0; j < 4; j++) {
      const q = blk + 48 + (<usize>j << 5);
      const o = dst + ((<usize>b << 10) + (<usize>j << 8));
      const sm1 = scaleMin(blk + 4, 2 * j);
      const sm2 = scaleMin(blk + 4, 2 * j + 1);
      const s1 = f32x4.splat(d * <f32>(sm1 & 0xff)), m1 = f32x4.splat(dmin * <f32>(sm1 >> 8));
      const s2 = f32x4.splat(d * <f32>(sm2 & 0xff)), m2 = f32x4.splat(dmin * <f32>(sm2 >> 8));
      const q0 = v128.load(q);
      const q1 = v128.load(q, 16);
      store16(o, v128.or(v128.and(q0, mask), v128.and(i16x8.shl(h0, 4), bit4)), s1, m1);
      store16(o + 64, v128.or(v128.and(q1, mask), v128.and(i16x8.shl(h1, 4), bit4)), s1, m1);
      store16(o + 128, v128.or(i8x16.shr_u(q0, 4), v128.and(i16x8.shl(h0, 3), bit4)), s2, m2);
      store16(o + 192, v128.or(i8x16.shr_u(q1, 4), v128.and(i16x8.shl(h1, 3), bit4)), s2, m2);
      h0 = i16x8.shr_u(h0, 2);
      h1 = i16x8.shr_u(h1, 2);
    }
  }
}

/** `blocks` Q3_K super-blocks: value = (d·sc)·q, q = 2 bits + 4·hmask bit − 4 (dot_q3_k's layout). */
function dequant_q3_k(dst: usize, w: usize, blocks: i32): void {
  const m3 = i8x16.splat(3);
  const bit2 = i8x16.splat(4);
  const zero = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 110;
    const d = qhalf(blk + 108);
    let hm0 = v128.load(blk);
    let hm1 = v128.load(blk, 16);
    for (let n = 0; n < 2; n++) {
      let a0 = v128.load(blk + 32 + (<usize>n << 5));
      let a1 = v128.load(blk + 48 + (<usize>n << 5));
      const sw0 = q3Scales(blk + 96, 2 * n);
      const sw1 = q3Scales(blk + 96, 2 * n + 1);
      for (let j = 0; j < 4; j++) {
        const o = dst + ((<usize>b << 10) + (<usize>n << 9) + (<usize>j << 7));
        const sw = j < 2 ? sw0 : sw1;
        const sh = <u32>(j & 1) << 4;
        const sc1 = f32x4.splat(d * <f32>(<i32>((sw >> sh) & 0xff) - 32));
        const sc2 = f32x4.splat(d * <f32>(<i32>((sw >> (sh + 8)) & 0xff) - 32));
        store16(o, i8x16.sub(v128.or(v128.and(a0, m3), v128.and(i16x8.shl(hm0, 2), bit2)), bit2), sc1, zero);
        store16(o + 64, i8x16.sub(v128.or(v128.and(a1, m3), v128.and(i16x8.shl(hm1, 2), bit2)), bit2), sc2, zero);
        a0 = i16x8.shr_u(a0, 2);
        a1 = i16x8.shr_u(a1, 2);
        hm0 = i16x8.shr_u(hm0, 1);
        hm1 = i16x8.shr_u(hm1, 1);
      }
    }
  }
}

/** `blocks` Q2_K super-blocks: value = (d·sc)·q − dmin·m per 16 values (dot_q2_k's layout). */
function dequant_q2_k(dst: usize, w: usize, blocks: i32): void {
  const m3 = i8x16.splat(3);
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * 84;
    const d = qhalf(blk + 80);
    const dmin = qhalf(blk + 82);
    for (let n = 0; n < 2; n++) {
      let a0 = v128.load(blk + 16 + (<usize>n << 5));
      let a1 = v128.load(blk + 32 + (<usize>n << 5));
      for (let j = 0; j < 4; j++) {
        const o = dst + ((<usize>b << 10) + (<usize>n << 9) + (<usize>j << 7));
        const si = blk + (<usize>n << 3) + (<usize>j << 1);
        const c1 = <u32>load<u8>(si), c2 = <u32>load<u8>(si, 1);
        store16(o, v128.and(a0, m3), f32x4.splat(d * <f32>(c1 & 0xf)), f32x4.splat(dmin * <f32>(c1 >> 4)));
        store16(o + 64, v128.and(a1, m3), f32x4.splat(d * <f32>(c2 & 0xf)), f32x4.splat(dmin * <f32>(c2 >> 4)));
        a0 = i16x8.shr_u(a0, 2);
        a1 = i16x8.shr_u(a1, 2);
      }
    }
  }
}

/** Block types of matmul_quant_tiled (src/backends/wasm/quant.ts passes the same codes). */
const T_Q4_0 = 1, T_Q5_0 = 2, T_Q4_K = 3, T_Q6_K = 4, T_Q5_K = 5, T_Q3_K = 6, T_Q2_K = 7, T_Q4_1 = 8, T_Q5_1 = 9, T_IQ4_NL = 10, T_IQ4_XS = 11, T_IQ3_XXS = 12, T_IQ3_S = 13, T_IQ2_S = 14, T_IQ2_XXS = 15, T_IQ2_XS = 16, T_IQ1_S = 17, T_IQ1_M = 18;

/**
 * Rows [r0, r1) of out[N, M] = X[N, K] · Wᵀ for N > 1 and W of block type `t` (1 Q4_0, 2 Q5_0,
 * 3 Q4_K, 4 Q6_K, 5 Q5_K, 6 Q3_K, 7 Q2_K, 8 Q4_1, 9 Q5_1, 10 IQ4_NL, 11 IQ4_XS, 12 IQ3_XXS, 13 IQ3_S, 14 IQ2_S, 15 IQ2_XXS, 16 IQ2_XS, 17 IQ1_S, 18 IQ1_M): per token tile, each group of four rows dequantized into `scratch` (4·K f32),
 * then the f32 register tile. r0 is a multiple of 4 so a thread's part runs the same groups (and
 * the same instructions per output) as the one-thread call with [0, M).
 */
export function matmul_quant_tiled(t: i32, out: usize, x: usize, w: usize, n: i32, m: i32, k: i32, scratch: usize, tile: i32, r0: i32, r1: i32): void {
  const blockBytes: usize = t == T_Q4_0 || t == T_IQ4_NL ? 18 : t == T_Q5_0 ? 22 : t == T_Q4_1 ? 20 : t == T_Q5_1 ? 24
    : t == T_Q4_K ? 144 : t == T_Q6_K ? 210 : t == T_Q5_K ? 176 : t == T_Q3_K || t == T_IQ3_S ? 110 : t == T_IQ4_XS ? 136 : t == T_IQ3_XXS ? 98 : t == T_IQ2_S ? 82 : t == T_IQ2_XXS ? 66 : t == T_IQ2_XS ? 74 : t == T_IQ1_S ? 50 : t == T_IQ1_M ? 56 : 84;
  const perBlock = t == T_Q4_0 || t == T_Q5_0 || t == T_Q4_1 || t == T_Q5_1 || t == T_IQ4_NL ? 32 : 256;
  const nb = k / perBlock;
  const rowBytes = <usize>nb * blockBytes;
  for (let t0 = 0; t0 < n; t0 += tile) {
    const t1 = min(n, t0 + tile);
    for (let r = r0; r < r1; r += 4) {
      const rows = min(4, r1 - r);
      const wr = w + <usize>r * rowBytes;
      if (t == T_Q4_0) dequant_q4_0(scratch, wr, rows * nb);
      else if (t == T_Q5_0) dequant_q5_0(scratch, wr, rows * nb);
      else if (t == T_Q4_K) dequant_q4_k(scratch, wr, rows * nb);
      else if (t == T_Q6_K) dequant_q6_k(scratch, wr, rows * nb);
      else if (t == T_Q5_K) dequant_q5_k(scratch, wr, rows * nb);
      else if (t == T_Q3_K) dequant_q3_k(scratch, wr, rows * nb);
      else if (t == T_Q2_K) dequant_q2_k(scratch, wr, rows * nb);
      else if (t == T_Q4_1) dequant_small(S_Q4_1, scratch, wr, rows * nb);
      else if (t == T_Q5_1) dequant_small(S_Q5_1, scratch, wr, rows * nb);
      else if (t == T_IQ4_XS) dequant_iq4_xs(scratch, wr, rows * nb);
      else if (t == T_IQ3_XXS) dequant_iq3_xxs(scratch, wr, rows * nb);
      else if (t == T_IQ3_S) dequant_iq3_s(scratch, wr, rows * nb);
      else if (t == T_IQ2_S) dequant_iq2_s(scratch, wr, rows * nb);
      else if (t == T_IQ2_XXS) dequant_iq2_xxs(scratch, wr, rows * nb);
      else if (t == T_IQ2_XS) dequant_iq2_xs(scratch, wr, rows * nb);
      else if (t == T_IQ1_S) dequant_iq1_s(scratch, wr, rows * nb);
      else if (t == T_IQ1_M) dequant_iq1_m(scratch, wr, rows * nb);
      else dequant_small(S_IQ4_NL, scratch, wr, rows * nb);
      matmulRows(out, x, scratch, t0, t1, r, rows, m, k);
    }
  }
}

// ---- int8 activations: Q2_K…Q6_K × Q8_K decode (opt-in) -----------------------------------------
// Integer decode path of llama.cpp (src/backends/wasm/quant.ts INT8_DOTS; semantics and the
// TypeScript oracle in src/backends/reference/q8k.ts). x is quantized once per matvec to Q8_K
// blocks, llama.cpp's block_q8_K layout (292 bytes per 256 values: f32 d at 0, 256 × i8 qs at 4,
// 16 × i16 bsums at 260), then each row's block dot is taken in integers (i8 × i8 → i16 → i32,
// exact) and scaled once per super-block in f32, in the order of llama.cpp's per-block SIMD paths:
//   Q4_K: sumf -= (y.d·dmin) · f32(Σ_j mins[j]·Σ_{32-slice j} q8);  sumf += (y.d·d) · f32(Σ_j sc[j]·Σ q4·q8)
//   Q6_K: sumf += (y.d·d) · f32(Σ_j sc[j]·Σ_{16-slice j} (q6 − 32)·q8)
//   Q5_K: as Q4_K (q5 = q4 | qh bit << 4);  Q3_K: sumf += (y.d·d) · f32(Σ_j (sc[j] − 32)·Σ q3·q8)
//   Q2_K: sumf += (y.d·d) · f32(Σ_j sc[j]·Σ q2·q8) − (y.d·dmin) · f32(Σ_j m[j]·bsums[j])
// Bit fields are cut with i16x8 shifts and byte masks: V8 has no x86 byte shift, so an i8x16 shift
// costs several instructions (a variable one more); the i16 shift is one, and the mask drops the
// bits that cross between the two bytes of a lane.
// The integer sums are exact, so any SIMD grouping gives the same bits as the reference.

/** Bytes of one Q8_K block (f32 d, 256 × i8, 16 × i16). */
const Q8K_BYTES: usize = 292;

/**
 * x[k] (k a multiple of 256) → k/256 Q8_K blocks at y, quantize_row_q8_K_ref of llama.cpp: per
 * block, max = the first value of largest |x|, iscale = −127/max (f32), q = min(127,
 * round-half-even(iscale·x)), d = 1/iscale, bsums = sums of 16 q. An all-zero block gets d = 0,
 * q = 0 and bsums = 0. (Finite x assumed, as in llama.cpp.)
 */
export function quantize_q8_k(y: usize, x: usize, k: i32): void {
  const nb = k >> 8;
  const top = i32x4.splat(127);
  for (let i = 0; i < nb; i++) {
    const xb = x + (<usize>i << 10);
    const yb = y + <usize>i * Q8K_BYTES;
    let am = f32x4.splat(0);
    for (let j = 0; j < 64; j++) am = f32x4.max(am, f32x4.abs(v128.load(xb + (<usize>j << 4))));
    const amax = max(max(f32x4.extract_lane(am, 0), f32x4.extract_lane(am, 1)), max(f32x4.extract_lane(am, 2), f32x4.extract_lane(am, 3)));
    if (amax == 0) {
      memory.fill(yb, 0, Q8K_BYTES);
      continue;
    }
    let j = 0;
    while (j < 255 && abs<f32>(load<f32>(xb + (<usize>j << 2))) != amax) j++;
    const iscale: f32 = <f32>-127 / load<f32>(xb + (<usize>j << 2));
    const s = f32x4.splat(iscale);
    for (let g = 0; g < 16; g++) {
      const p = xb + (<usize>g << 6);
      const a = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p), s))), top);
      const b = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 16), s))), top);
      const c = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 32), s))), top);
      const e = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 48), s))), top);
      const q = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, e));
      v128.store(yb + 4 + (<usize>g << 4), q);
      store<i16>(yb + 260 + (<usize>g << 1), <i16>ihsum(i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(q))));
    }
    store<f32>(yb, <f32>1 / iscale);
  }
}

/** One Q4_K row (nb super-blocks at w) · Q8_K blocks at y. */
function dot_q4_k_q8k(w: usize, y: usize, nb: i32): f32 {
  let sumf: f32 = 0;
  const mask = i8x16.splat(0x0f);
  const zero = i32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 144;
    const yb = y + <usize>b * Q8K_BYTES;
    const dy = load<f32>(yb);
    const d = dy * qhalf(blk);
    const dmin = dy * qhalf(blk + 2);
    // llama.cpp's utmp unpacking: 8 six-bit scales and 8 six-bit mins, one byte each
    const u0 = load<u32>(blk + 4), u1 = load<u32>(blk + 8), u2 = load<u32>(blk + 12);
    const sc0 = u0 & 0x3f3f3f3f;
    const sc1 = (u2 & 0x0f0f0f0f) | (((u0 >> 6) & 0x03030303) << 4);
    const mn = i32x4.replace_lane(i32x4.splat(u1 & 0x3f3f3f3f), 1, ((u2 >> 4) & 0x0f0f0f0f) | (((u1 >> 6) & 0x03030303) << 4));
    // Σ_j mins[j]·(bsums[2j] + bsums[2j+1]): each min as an i16 pair against the bsums pairs
    const mLo = i8x16.shuffle(mn, zero, 0, 16, 0, 16, 1, 16, 1, 16, 2, 16, 2, 16, 3, 16, 3, 16);
    const mHi = i8x16.shuffle(mn, zero, 4, 16, 4, 16, 5, 16, 5, 16, 6, 16, 6, 16, 7, 16, 7, 16);
    const smin = ihsum(i32x4.add(i32x4.dot_i16x8_s(v128.load(yb + 260), mLo), i32x4.dot_i16x8_s(v128.load(yb + 276), mHi)));
    let acc = i32x4.splat(0);
    for (let j = 0; j < 4; j++) {
      const q = blk + 16 + (<usize>j << 5);
      const yq = yb + 4 + (<usize>j << 6);
      const q0 = v128.load(q);
      const q1 = v128.load(q, 16);
      const s1 = i16x8.add(udot16(v128.and(q0, mask), v128.load(yq)), udot16(v128.and(q1, mask), v128.load(yq, 16)));
      const s2 = i16x8.add(udot16(i8x16.shr_u(q0, 4), v128.load(yq, 32)), udot16(i8x16.shr_u(q1, 4), v128.load(yq, 48)));
      const sw = j < 2 ? sc0 : sc1;
      const sh = <u32>(j & 1) << 4;
      acc = i32x4.add(acc, i32x4.dot_i16x8_s(s1, i16x8.splat(<i16>((sw >> sh) & 0xff))));
      acc = i32x4.add(acc, i32x4.dot_i16x8_s(s2, i16x8.splat(<i16>((sw >> (sh + 8)) & 0xff))));
    }
    sumf -= dmin * <f32>smin;
    sumf += d * <f32>ihsum(acc);
  }
  return sumf;
}

/** One Q6_K row (nb super-blocks at w) · Q8_K blocks at y. */
function dot_q6_k_q8k(w: usize, y: usize, nb: i32): f32 {
  let sumf: f32 = 0;
  const m4 = i8x16.splat(0x0f);
  const m2 = i8x16.splat(3);
  const c32 = i8x16.splat(32);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 210;
    const yb = y + <usize>b * Q8K_BYTES;
    const d = load<f32>(yb) * qhalf(blk + 208);
    let acc = i32x4.splat(0);
    for (let n = 0; n < 2; n++) {
      const ql = blk + (<usize>n << 6);
      const qh = blk + 128 + (<usize>n << 5);
      const sc = blk + 192 + (<usize>n << 3);
      const yq = yb + 4 + (<usize>n << 7);
      for (let l0 = 0; l0 < 32; l0 += 16) {
        const is = l0 >> 4;
        const a = v128.load(ql + l0);
        const c = v128.load(ql + 32 + l0);
        const h = v128.load(qh + l0);
        let q1 = v128.or(v128.and(a, m4), i8x16.shl(v128.and(h, m2), 4));
        let q2 = v128.or(v128.and(c, m4), i8x16.shl(v128.and(i8x16.shr_u(h, 2), m2), 4));
        let q3 = v128.or(i8x16.shr_u(a, 4), i8x16.shl(v128.and(i8x16.shr_u(h, 4), m2), 4));
        let q4 = v128.or(i8x16.shr_u(c, 4), i8x16.shl(i8x16.shr_u(h, 6), 4));
        const yo = yq + <usize>l0;
        if (ASC_FEATURE_RELAXED_SIMD) {
          // unsigned 0..63 through the relaxed dot; the −32 comes back once per block (below)
          acc = i32x4.add(acc, i32x4.dot_i16x8_s(udot16(q1, v128.load(yo)), i16x8.splat(<i16>load<i8>(sc + is))));
          acc = i32x4.add(acc, i32x4.dot_i16x8_s(udot16(q2, v128.load(yo, 32)), i16x8.splat(<i16>load<i8>(sc + is + 2))));
          acc = i32x4.add(acc, i32x4.dot_i16x8_s(udot16(q3, v128.load(yo, 64)), i16x8.splat(<i16>load<i8>(sc + is + 4))));
          acc = i32x4.add(acc, i32x4.dot_i16x8_s(udot16(q4, v128.load(yo, 96)), i16x8.splat(<i16>load<i8>(sc + is + 6))));
        } else {
          q1 = i8x16.sub(q1, c32);
          q2 = i8x16.sub(q2, c32);
          q3 = i8x16.sub(q3, c32);
          q4 = i8x16.sub(q4, c32);
          acc = i32x4.add(acc, i32x4.dot_i16x8_s(mul16x2(q1, v128.load(yo)), i16x8.splat(<i16>load<i8>(sc + is))));
          acc = i32x4.add(acc, i32x4.dot_i16x8_s(mul16x2(q2, v128.load(yo, 32)), i16x8.splat(<i16>load<i8>(sc + is + 2))));
          acc = i32x4.add(acc, i32x4.dot_i16x8_s(mul16x2(q3, v128.load(yo, 64)), i16x8.splat(<i16>load<i8>(sc + is + 4))));
          acc = i32x4.add(acc, i32x4.dot_i16x8_s(mul16x2(q4, v128.load(yo, 96)), i16x8.splat(<i16>load<i8>(sc + is + 6))));
        }
      }
    }
    if (ASC_FEATURE_RELAXED_SIMD) {
      // Σ_g sc[g]·32·bsums[g]: the 16 scales are indexed like the 16-value groups the bsums sum
      const scv = v128.load(blk + 192);
      const corr = i32x4.add(i32x4.dot_i16x8_s(v128.load(yb + 260), i16x8.extend_low_i8x16_s(scv)), i32x4.dot_i16x8_s(v128.load(yb + 276), i16x8.extend_high_i8x16_s(scv)));
      acc = i32x4.sub(acc, i32x4.shl(corr, 5));
    }
    sumf += d * <f32>ihsum(acc);
  }
  return sumf;
}

/** out[m] = W[m, k] (Q4_K) · x, x given as Q8_K blocks at y (quantize_q8_k). */
export function matvec_q4_k_q8k(out: usize, y: usize, w: usize, m: i32, k: i32): void {
  const nb = k >> 8;
  const rowBytes = <usize>nb * 144;
  const end = w + <usize>m * rowBytes;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    if ((r & 3) == 0) touchAhead(wr + 4 * rowBytes, 4 * rowBytes, end);
    store<f32>(out + (<usize>r << 2), dot_q4_k_q8k(wr, y, nb));
  }
}

/** out[m] = W[m, k] (Q6_K) · x, x given as Q8_K blocks at y (quantize_q8_k). */
export function matvec_q6_k_q8k(out: usize, y: usize, w: usize, m: i32, k: i32): void {
  const nb = k >> 8;
  const rowBytes = <usize>nb * 210;
  for (let r = 0; r < m; r++) store<f32>(out + (<usize>r << 2), dot_q6_k_q8k(w + <usize>r * rowBytes, y, nb));
}

/** One Q5_K row (nb super-blocks at w) · Q8_K blocks at y: Q4_K's dot with the fifth bit from qh. */
function dot_q5_k_q8k(w: usize, y: usize, nb: i32): f32 {
  let sumf: f32 = 0;
  const mask = i8x16.splat(0x0f);
  const one = i8x16.splat(1);
  const two = i8x16.splat(2);
  const zero = i32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 176;
    const yb = y + <usize>b * Q8K_BYTES;
    const dy = load<f32>(yb);
    const d = dy * qhalf(blk);
    const dmin = dy * qhalf(blk + 2);
    const u0 = load<u32>(blk + 4), u1 = load<u32>(blk + 8), u2 = load<u32>(blk + 12);
    const sc0 = u0 & 0x3f3f3f3f;
    const sc1 = (u2 & 0x0f0f0f0f) | (((u0 >> 6) & 0x03030303) << 4);
    const mn = i32x4.replace_lane(i32x4.splat(u1 & 0x3f3f3f3f), 1, ((u2 >> 4) & 0x0f0f0f0f) | (((u1 >> 6) & 0x03030303) << 4));
    const mLo = i8x16.shuffle(mn, zero, 0, 16, 0, 16, 1, 16, 1, 16, 2, 16, 2, 16, 3, 16, 3, 16);
    const mHi = i8x16.shuffle(mn, zero, 4, 16, 4, 16, 5, 16, 5, 16, 6, 16, 6, 16, 7, 16, 7, 16);
    const smin = ihsum(i32x4.add(i32x4.dot_i16x8_s(v128.load(yb + 260), mLo), i32x4.dot_i16x8_s(v128.load(yb + 276), mHi)));
    // qh bits 2j (low nibbles) and 2j + 1 (high nibbles) of chunk j, shifted down by 2 per chunk
    let h0 = v128.load(blk + 16);
    let h1 = v128.load(blk + 32);
    let acc = i32x4.splat(0);
    for (let j = 0; j < 4; j++) {
      const q = blk + 48 + (<usize>j << 5);
      const yq = yb + 4 + (<usize>j << 6);
      const q0 = v128.load(q);
      const q1 = v128.load(q, 16);
      // i16 lane shifts (one instruction, unlike i8x16's): the masks drop what crosses a byte
      const l0 = v128.or(v128.and(q0, mask), i16x8.shl(v128.and(h0, one), 4));
      const l1 = v128.or(v128.and(q1, mask), i16x8.shl(v128.and(h1, one), 4));
      const g0 = v128.or(v128.and(i16x8.shr_u(q0, 4), mask), i16x8.shl(v128.and(h0, two), 3));
      const g1 = v128.or(v128.and(i16x8.shr_u(q1, 4), mask), i16x8.shl(v128.and(h1, two), 3));
      // four products of |q5| ≤ 31 and |q8| ≤ 128 per i16 lane: ≤ 15872
      const s1 = i16x8.add(udot16(l0, v128.load(yq)), udot16(l1, v128.load(yq, 16)));
      const s2 = i16x8.add(udot16(g0, v128.load(yq, 32)), udot16(g1, v128.load(yq, 48)));
      const sw = j < 2 ? sc0 : sc1;
      const sh = <u32>(j & 1) << 4;
      acc = i32x4.add(acc, i32x4.dot_i16x8_s(s1, i16x8.splat(<i16>((sw >> sh) & 0xff))));
      acc = i32x4.add(acc, i32x4.dot_i16x8_s(s2, i16x8.splat(<i16>((sw >> (sh + 8)) & 0xff))));
      h0 = i16x8.shr_u(h0, 2);
      h1 = i16x8.shr_u(h1, 2);
    }
    sumf -= dmin * <f32>smin;
    sumf += d * <f32>ihsum(acc);
  }
  return sumf;
}

/**
 * One Q3_K row (nb super-blocks at w) · Q8_K blocks at y. The values are taken unsigned, v = 2 bits |
 * hmask bit << 2 (0..7) = q3 + 4, and the −4 comes back once per block through the bsums:
 * Σ sc·q3·q8 = Σ sc·v·q8 − 4·Σ_j sc[j]·bsums[j] (all exact in i32, so the same integer as the oracle).
 */
function dot_q3_k_q8k(w: usize, y: usize, nb: i32): f32 {
  let sumf: f32 = 0;
  const m3 = i8x16.splat(3);
  const m4 = i8x16.splat(4);
  const c32 = i16x8.splat(32);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 110;
    const yb = y + <usize>b * Q8K_BYTES;
    const d = load<f32>(yb) * qhalf(blk + 108);
    // llama.cpp's auxs[] unpacking: 16 six-bit scales, one byte each (minus 32 where used)
    const a0 = load<u32>(blk + 96), a1 = load<u32>(blk + 100), t = load<u32>(blk + 104);
    const s0 = (a0 & 0x0f0f0f0f) | ((t & 0x03030303) << 4);
    const s1 = (a1 & 0x0f0f0f0f) | (((t >> 2) & 0x03030303) << 4);
    const s2 = ((a0 >> 4) & 0x0f0f0f0f) | (((t >> 4) & 0x03030303) << 4);
    const s3 = ((a1 >> 4) & 0x0f0f0f0f) | (((t >> 6) & 0x03030303) << 4);
    const scv = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(s0), 1, s1), 2, s2), 3, s3);
    const corr = ihsum(i32x4.add(
      i32x4.dot_i16x8_s(v128.load(yb + 260), i16x8.sub(i16x8.extend_low_i8x16_u(scv), c32)),
      i32x4.dot_i16x8_s(v128.load(yb + 276), i16x8.sub(i16x8.extend_high_i8x16_u(scv), c32)),
    ));
    // hmask bit 4n + j of each byte walked down to bit 0 (i16 shifts: only bit 0 of each byte is used)
    let h0 = v128.load(blk);
    let h1 = v128.load(blk + 16);
    let acc = i32x4.splat(0);
    for (let n = 0; n < 2; n++) {
      let q0 = v128.load(blk + 32 + (<usize>n << 5));
      let q1 = v128.load(blk + 48 + (<usize>n << 5));
      const sa = n == 0 ? s0 : s2;
      const sb = n == 0 ? s1 : s3;
      for (let j = 0; j < 4; j++) {
        const v0 = v128.or(v128.and(q0, m3), v128.and(i16x8.shl(h0, 2), m4));
        const v1 = v128.or(v128.and(q1, m3), v128.and(i16x8.shl(h1, 2), m4));
        const yq = yb + 4 + (<usize>n << 7) + (<usize>j << 5);
        const sw = j < 2 ? sa : sb;
        const ss = <u32>(j & 1) << 4;
        // two products of v ≤ 7 and |q8| ≤ 128 per i16 lane
        acc = i32x4.add(acc, i32x4.dot_i16x8_s(udot16(v0, v128.load(yq)), i16x8.splat(<i16>(((sw >> ss) & 0xff) - 32))));
        acc = i32x4.add(acc, i32x4.dot_i16x8_s(udot16(v1, v128.load(yq, 16)), i16x8.splat(<i16>(((sw >> (ss + 8)) & 0xff) - 32))));
        q0 = i16x8.shr_u(q0, 2);
        q1 = i16x8.shr_u(q1, 2);
        h0 = i16x8.shr_u(h0, 1);
        h1 = i16x8.shr_u(h1, 1);
      }
    }
    sumf += d * <f32>(ihsum(acc) - 4 * corr);
  }
  return sumf;
}

/** One Q2_K row (nb super-blocks at w) · Q8_K blocks at y. */
function dot_q2_k_q8k(w: usize, y: usize, nb: i32): f32 {
  let sumf: f32 = 0;
  const m3 = i8x16.splat(3);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 84;
    const yb = y + <usize>b * Q8K_BYTES;
    const dy = load<f32>(yb);
    const dall = dy * qhalf(blk + 80);
    const dmin = dy * qhalf(blk + 82);
    // Σ_j (scales[j] >> 4)·bsums[j]
    const mins = i8x16.shr_u(v128.load(blk), 4);
    const summs = ihsum(i32x4.add(i32x4.dot_i16x8_s(v128.load(yb + 260), i16x8.extend_low_i8x16_u(mins)), i32x4.dot_i16x8_s(v128.load(yb + 276), i16x8.extend_high_i8x16_u(mins))));
    let acc = i32x4.splat(0);
    for (let n = 0; n < 2; n++) {
      let q0 = v128.load(blk + 16 + (<usize>n << 5));
      let q1 = v128.load(blk + 32 + (<usize>n << 5));
      for (let j = 0; j < 4; j++) {
        const yq = yb + 4 + (<usize>n << 7) + (<usize>j << 5);
        const sc = blk + (<usize>n << 3) + (<usize>j << 1);
        acc = i32x4.add(acc, i32x4.dot_i16x8_s(udot16(v128.and(q0, m3), v128.load(yq)), i16x8.splat(<i16>(load<u8>(sc) & 0xf))));
        acc = i32x4.add(acc, i32x4.dot_i16x8_s(udot16(v128.and(q1, m3), v128.load(yq, 16)), i16x8.splat(<i16>(load<u8>(sc + 1) & 0xf))));
        // i16 shifts: the mask 3 drops the bits that cross from the high byte
        q0 = i16x8.shr_u(q0, 2);
        q1 = i16x8.shr_u(q1, 2);
      }
    }
    sumf += dall * <f32>ihsum(acc) - dmin * <f32>summs;
  }
  return sumf;
}

/** out[m] = W[m, k] (Q5_K) · x, x given as Q8_K blocks at y (quantize_q8_k). */
export function matvec_q5_k_q8k(out: usize, y: usize, w: usize, m: i32, k: i32): void {
  const nb = k >> 8;
  const rowBytes = <usize>nb * 176;
  const end = w + <usize>m * rowBytes;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    if ((r & 3) == 0) touchAhead(wr + 4 * rowBytes, 4 * rowBytes, end);
    store<f32>(out + (<usize>r << 2), dot_q5_k_q8k(wr, y, nb));
  }
}

/** out[m] = W[m, k] (Q3_K) · x, x given as Q8_K blocks at y (quantize_q8_k). */
export function matvec_q3_k_q8k(out: usize, y: usize, w: usize, m: i32, k: i32): void {
  const nb = k >> 8;
  const rowBytes = <usize>nb * 110;
  for (let r = 0; r < m; r++) store<f32>(out + (<usize>r << 2), dot_q3_k_q8k(w + <usize>r * rowBytes, y, nb));
}

/** out[m] = W[m, k] (Q2_K) · x, x given as Q8_K blocks at y (quantize_q8_k). */
export function matvec_q2_k_q8k(out: usize, y: usize, w: usize, m: i32, k: i32): void {
  const nb = k >> 8;
  const rowBytes = <usize>nb * 84;
  for (let r = 0; r < m; r++) store<f32>(out + (<usize>r << 2), dot_q2_k_q8k(w + <usize>r * rowBytes, y, nb));
}

/**
 * One IQ4_XS row (nb super-blocks at w) · Q8_K blocks at y: per super-block the integer sum of
 * (ls − 32) · Σ kvalues[nibble]·q8 over its eight sub-blocks, scaled once by f16(d)·y.d.
 */
function dot_iq4_xs_q8k(w: usize, y: usize, nb: i32): f32 {
  let sumf: f32 = 0;
  const mask = i8x16.splat(0x0f);
  for (let b = 0; b < nb; b++) {
    const blk = w + <usize>b * 136;
    const yb = y + <usize>b * Q8K_BYTES;
    const d = qhalf(blk) * load<f32>(yb);
    const sh = <u32>load<u16>(blk + 2);
    const sl = load<u32>(blk + 4);
    let acc = i32x4.splat(0);
    for (let ib = 0; ib < 8; ib++) {
      const ls = <i32>(((sl >> (<u32>ib << 2)) & 0xf) | (((sh >> (<u32>ib << 1)) & 3) << 4)) - 32;
      const q = v128.load(blk + 8 + (<usize>ib << 4));
      const yq = yb + 4 + (<usize>ib << 5);
      const lo = lut16(iq4Table(), v128.and(q, mask));
      const hi = lut16(iq4Table(), i8x16.shr_u(q, 4));
      const s = i32x4.add(i32x4.extadd_pairwise_i16x8_s(mul16x2(lo, v128.load(yq))), i32x4.extadd_pairwise_i16x8_s(mul16x2(hi, v128.load(yq, 16))));
      acc = i32x4.add(acc, i32x4.mul(s, i32x4.splat(ls)));
    }
    sumf += d * <f32>ihsum(acc);
  }
  return sumf;
}

/** out[m] = W[m, k] (IQ4_XS) · x, x given as Q8_K blocks at y (quantize_q8_k). */
export function matvec_iq4_xs_q8k(out: usize, y: usize, w: usize, m: i32, k: i32): void {
  const nb = k >> 8;
  const rowBytes = <usize>nb * 136;
  const end = w + <usize>m * rowBytes;
  for (let r = 0; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    if ((r & 3) == 0) touchAhead(wr + 4 * rowBytes, 4 * rowBytes, end);
    store<f32>(out + (<usize>r << 2), dot_iq4_xs_q8k(wr, y, nb));
  }
}
