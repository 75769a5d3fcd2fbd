// Helpers whose relaxed-SIMD build (build/sparrow-relaxed.wasm, ASC_FEATURE_RELAXED_SIMD; see
// src/backends/wasm/module.ts) takes a relaxed instruction and whose plain build takes the standard
// sequence. Not exported from the module (index.ts).

/**
 * c + a·b per f32 lane: fused (one rounding) in the relaxed build where the CPU has FMA
 * (f32x4.relaxed_madd), a multiply then an add in the plain one. Results differ in the last bits
 * between the builds, never between threads of one build.
 */
// @ts-ignore: decorator
@inline export function fmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * table[idx] per byte for indices in 0..15 (nibbles, small selectors): the relaxed build takes
 * relaxed_swizzle — one pshufb on x86, where i8x16.swizzle adds a saturating add that maps indices
 * ≥ 16 to 0 — and the two agree on such indices. Used by every 16-entry lookup of the block decoders
 * and of the ternary T-MAC kernel (sequence.ts).
 */
// @ts-ignore: decorator
@inline export function lut16(table: v128, idx: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i8x16.relaxed_swizzle(table, idx);
  return i8x16.swizzle(table, idx);
}
