// Block-format helpers shared by the quantized kernels (quant.ts: f32 activations; quant-q8.ts: the
// int8-activation path for the 32-value block types). Not exported from the module (index.ts).

import { lut16 } from './relaxed';

/**
 * Exact scalar binary16 → f32 (all classes), for block scales. No f32 subnormal is ever formed:
 * small tensors (e.g. a down projection with |w| ~ 1e-3) have Q8_0 scales below 2^-14, i.e.
 * subnormal halves, and an arithmetic op on a subnormal f32 operand costs a ~100-cycle microcode
 * assist on x86 (that made such layers 10-20× slower). Subnormal halves are m · 2^-24 (int → f32).
 */
// @ts-ignore: decorator
@inline export function qhalf(p: usize): f32 {
  return halfBits(<u32>load<u16>(p));
}

/** qhalf of the binary16 bits h (IQ1_M assembles its d from four nibbles). */
// @ts-ignore: decorator
@inline export function halfBits(h: u32): f32 {
  const m = h & 0x7fff;
  const sign = (h & 0x8000) << 16;
  if (m >= 0x7c00) return reinterpret<f32>(sign | 0x7f800000 | ((h & 0x3ff) << 13));
  if (m < 0x0400) return reinterpret<f32>(reinterpret<u32>(<f32>m * <f32>5.9604644775390625e-8) | sign);
  return reinterpret<f32>(((m << 13) + 0x38000000) | sign);
}

/** IQ4_NL's 16 levels (kvalues_iq4nl) as the bytes of a swizzle table: nibble → signed level. */
// @ts-ignore: decorator
@inline export function iq4Table(): v128 { return i8x16(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113); }

/** The 5th bits of a Q5_0 / Q5_1 block's u32 qh as 0x10 bytes: values 0..15 (lo) and 16..31 (hi). */
// @ts-ignore: decorator
@inline export function q5High(qhWord: u32, hi: bool): v128 {
  const bits = i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  const qh = i32x4.splat(qhWord);
  const sel = hi ? i8x16(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3) : i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  return v128.and(i8x16.ne(v128.and(lut16(qh, sel), bits), i8x16.splat(0)), i8x16.splat(16));
}

/** Sum of the four i32 lanes (exact: the callers' bounds keep it below 2^31). */
// @ts-ignore: decorator
@inline export function ihsum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** Lane r = the sum of p_r's four i32 lanes (integer transpose-add: exact in any order). */
// @ts-ignore: decorator
@inline export function isum4x4(p0: v128, p1: v128, p2: v128, p3: v128): v128 {
  const a = i32x4.add(i32x4.shuffle(p0, p1, 0, 4, 1, 5), i32x4.shuffle(p0, p1, 2, 6, 3, 7));
  const c = i32x4.add(i32x4.shuffle(p2, p3, 0, 4, 1, 5), i32x4.shuffle(p2, p3, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(a, c, 0, 1, 4, 5), i32x4.shuffle(a, c, 2, 3, 6, 7));
}

/** Σ q·y over 16 + 16 signed bytes as eight i16 lanes, two products per lane (|q·y| ≤ 127·127 keeps each lane in range). */
// @ts-ignore: decorator
@inline export function mul16x2(q: v128, y: v128): v128 {
  return i16x8.add(i16x8.extmul_low_i8x16_s(q, y), i16x8.extmul_high_i8x16_s(q, y));
}

/**
 * Σ q·y as eight i16 lanes of two products each, for weight values q in 0..127 (y signed bytes):
 * the relaxed build takes one relaxed_dot_i8x16_i7x16 (q is its 7-bit operand), the plain one
 * mul16x2. The two pair the bytes differently (adjacent bytes, or j and j + 8), so callers must only
 * sum the lanes under one scale, which makes the integer the same either way.
 */
// @ts-ignore: decorator
@inline export function udot16(q: v128, y: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i16x8.relaxed_dot_i8x16_i7x16_s(y, q);
  return mul16x2(q, y);
}

/** Sink of touchAhead's loads (a global, so that no optimiser drops them). */
let touchSink: u32 = 0;

/**
 * Load one byte of every 64-byte line of [p, min(p + bytes, end)) in a burst, before the kernel
 * works on the previous rows: the cache misses of the next four rows then overlap each other and
 * the current rows' arithmetic instead of arriving one widening loop apart (there is no prefetch
 * instruction in WebAssembly). The F16 matvec does the same (f16-matvec.ts, docs/wasm-llm-speed.md).
 * Q8_0 decode gains 22 % with it and Q4_K's out-of-cache matvec 12 %; Q4_0's four-row kernel lost
 * 8–11 % and Q6_K 14 %, so those two do without.
 */
// @ts-ignore: decorator
@inline export function touchAhead(p: usize, bytes: usize, end: usize): void {
  const e = min(end, p + bytes);
  let sink: u32 = 0;
  for (let q = p; q < e; q += 64) sink |= load<u8>(q);
  touchSink |= sink;
}
