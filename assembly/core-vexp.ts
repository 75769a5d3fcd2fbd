// Vector e^x (f32x4), shared by the activation and softmax kernels. Lives in its own module that
// assembly/index.ts does not re-export, since a v128 signature cannot be a wasm export for JS.

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269504088896341;
// ln 2 split in a part exact in f32 and a correction (Cody–Waite), so x − n·ln2 is exact.
// @ts-ignore: decorator
@inline export const LN2_HI: f32 = 0.693359375;
// @ts-ignore: decorator
@inline export const LN2_LO: f32 = -2.12194440e-4;

/** 2^n for integer lanes n in [-150, 128], as two factors so results may be subnormal or Inf. */
// @ts-ignore: decorator
@inline function scale2n(y: v128, n: v128): v128 {
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const bias = i32x4.splat(127);
  const p1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const p2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(y, p1), p2);
}

/** Cephes expf polynomial, highest power first (splatted v128s: loads beat v128.const in V8). */
const EXP_P: usize = memory.data<f32>([1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, 1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, 8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, 4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, 1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, 5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1], 16);

/** e^x per lane; overflows to Inf above ~88.72, underflows through subnormals to 0; NaN stays NaN. */
// Speed notes (V8 x64): pmin/pmax are single instructions where wasm min/max are ~8, and rounding via
// the 1.5·2^23 "magic" add replaces nearest + trunc_sat (another ~8 instructions).
// @ts-ignore: decorator
@inline export function vexp(x0: v128): v128 {
  // pmax/pmin keep NaN lanes as NaN (the comparison is false), clamping everything else
  const x = f32x4.pmin(f32x4.pmax(x0, f32x4.splat(-104.0)), f32x4.splat(89.0));
  const magic = f32x4.splat(12582912.0); // 1.5 · 2^23: adding it rounds to an integer in the low bits
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), magic);
  const fn = f32x4.sub(t, magic);
  const n = i32x4.sub(t, magic);
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(fn, f32x4.splat(LN2_HI))), f32x4.mul(fn, f32x4.splat(LN2_LO)));
  let p = v128.load(EXP_P);
  p = f32x4.add(f32x4.mul(p, r), v128.load(EXP_P, 16));
  p = f32x4.add(f32x4.mul(p, r), v128.load(EXP_P, 32));
  p = f32x4.add(f32x4.mul(p, r), v128.load(EXP_P, 48));
  p = f32x4.add(f32x4.mul(p, r), v128.load(EXP_P, 64));
  p = f32x4.add(f32x4.mul(p, r), v128.load(EXP_P, 80));
  const y = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  return scale2n(y, n);
}
