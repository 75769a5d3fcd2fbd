// Vector transcendental functions (f32x4) and the activation kernels built on them.
// Accuracy: exp and log are Cephes-style range reduction + minimax polynomials (≈1–2 ulp);
// erf is a Taylor series for |u| < 1 and the Numerical Recipes erfc fit (relative error
// < 1.2e-7) above, so GELU is within ~1e-7 of the exact erf form.
import { LN2_HI, LN2_LO, vexp } from './core-vexp';

// Polynomial coefficients live in static memory as splatted v128s and are loaded per use: V8
// materialises each v128.const with several scalar instructions, a load is one (often folded).
/** Taylor coefficients of erf(u)/u in u², highest first (n = 10 … 0). */
const ERF_P: usize = memory.data<f32>([1.4807192815879218e-8, 1.4807192815879218e-8, 1.4807192815879218e-8, 1.4807192815879218e-8, -1.6365844691234924e-7, -1.6365844691234924e-7, -1.6365844691234924e-7, -1.6365844691234924e-7, 1.6462114365889246e-6, 1.6462114365889246e-6, 1.6462114365889246e-6, 1.6462114365889246e-6, -1.4925650358406250e-5, -1.4925650358406250e-5, -1.4925650358406250e-5, -1.4925650358406250e-5, 1.2055332981789664e-4, 1.2055332981789664e-4, 1.2055332981789664e-4, 1.2055332981789664e-4, -8.5483270234508522e-4, -8.5483270234508522e-4, -8.5483270234508522e-4, -8.5483270234508522e-4, 5.2239776254421879e-3, 5.2239776254421879e-3, 5.2239776254421879e-3, 5.2239776254421879e-3, -2.6866170645131252e-2, -2.6866170645131252e-2, -2.6866170645131252e-2, -2.6866170645131252e-2, 1.1283791670955126e-1, 1.1283791670955126e-1, 1.1283791670955126e-1, 1.1283791670955126e-1, -3.7612638903183754e-1, -3.7612638903183754e-1, -3.7612638903183754e-1, -3.7612638903183754e-1, 1.1283791670955126, 1.1283791670955126, 1.1283791670955126, 1.1283791670955126], 16);
/** Numerical Recipes erfc fit, highest power of t first. */
const ERFC_Q: usize = memory.data<f32>([0.17087277, 0.17087277, 0.17087277, 0.17087277, -0.82215223, -0.82215223, -0.82215223, -0.82215223, 1.48851587, 1.48851587, 1.48851587, 1.48851587, -1.13520398, -1.13520398, -1.13520398, -1.13520398, 0.27886807, 0.27886807, 0.27886807, 0.27886807, -0.18628806, -0.18628806, -0.18628806, -0.18628806, 0.09678418, 0.09678418, 0.09678418, 0.09678418, 0.37409196, 0.37409196, 0.37409196, 0.37409196, 1.00002368, 1.00002368, 1.00002368, 1.00002368, -1.26551223, -1.26551223, -1.26551223, -1.26551223], 16);

/** Cephes logf polynomial, highest power first. */
const LOG_P: usize = memory.data<f32>([7.0376836292e-2, 7.0376836292e-2, 7.0376836292e-2, 7.0376836292e-2, -1.1514610310e-1, -1.1514610310e-1, -1.1514610310e-1, -1.1514610310e-1, 1.1676998740e-1, 1.1676998740e-1, 1.1676998740e-1, 1.1676998740e-1, -1.2420140846e-1, -1.2420140846e-1, -1.2420140846e-1, -1.2420140846e-1, 1.4249322787e-1, 1.4249322787e-1, 1.4249322787e-1, 1.4249322787e-1, -1.6668057665e-1, -1.6668057665e-1, -1.6668057665e-1, -1.6668057665e-1, 2.0000714765e-1, 2.0000714765e-1, 2.0000714765e-1, 2.0000714765e-1, -2.4999993993e-1, -2.4999993993e-1, -2.4999993993e-1, -2.4999993993e-1, 3.3333331174e-1, 3.3333331174e-1, 3.3333331174e-1, 3.3333331174e-1], 16);

/** log(w) for lanes w in [1, 2] (all that softplus needs): reduce to [√½, √2), Cephes logf polynomial. */
// @ts-ignore: decorator
@inline function vlog_1to2(w: v128): v128 {
  const big = f32x4.gt(w, f32x4.splat(1.41421356));
  const e = v128.and(big, f32x4.splat(1.0));
  const f = f32x4.sub(f32x4.mul(w, v128.bitselect(f32x4.splat(0.5), f32x4.splat(1.0), big)), f32x4.splat(1.0));
  const z = f32x4.mul(f, f);
  let y = v128.load(LOG_P);
  y = f32x4.add(f32x4.mul(y, f), v128.load(LOG_P, 16));
  y = f32x4.add(f32x4.mul(y, f), v128.load(LOG_P, 32));
  y = f32x4.add(f32x4.mul(y, f), v128.load(LOG_P, 48));
  y = f32x4.add(f32x4.mul(y, f), v128.load(LOG_P, 64));
  y = f32x4.add(f32x4.mul(y, f), v128.load(LOG_P, 80));
  y = f32x4.add(f32x4.mul(y, f), v128.load(LOG_P, 96));
  y = f32x4.add(f32x4.mul(y, f), v128.load(LOG_P, 112));
  y = f32x4.add(f32x4.mul(y, f), v128.load(LOG_P, 128));
  y = f32x4.mul(f32x4.mul(y, f), z);
  y = f32x4.add(y, f32x4.mul(e, f32x4.splat(LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  return f32x4.add(f32x4.add(f, y), f32x4.mul(e, f32x4.splat(LN2_HI)));
}

/** log(1 + u) for u in [0, 1], with the classic correction for the rounding of 1 + u. */
// @ts-ignore: decorator
@inline function vlog1p_01(u: v128): v128 {
  const one = f32x4.splat(1.0);
  const w = f32x4.add(one, u);
  const corr = f32x4.div(f32x4.sub(u, f32x4.sub(w, one)), w);
  return f32x4.add(vlog_1to2(w), corr);
}

/** 1 + erf(u) per lane, computed without cancellation for negative u (1 + erf = erfc(|u|)). */
// @ts-ignore: decorator
@inline function v1p_erf(u: v128): v128 {
  const a = f32x4.abs(u);
  // |u| < 1: erf(u) = 2/√π Σ (−1)^n u^(2n+1) / (n!(2n+1)), n ≤ 10 (truncation < 1.1e-9).
  const z = f32x4.mul(u, u);
  let p = v128.load(ERF_P);
  p = f32x4.add(f32x4.mul(p, z), v128.load(ERF_P, 16));
  p = f32x4.add(f32x4.mul(p, z), v128.load(ERF_P, 32));
  p = f32x4.add(f32x4.mul(p, z), v128.load(ERF_P, 48));
  p = f32x4.add(f32x4.mul(p, z), v128.load(ERF_P, 64));
  p = f32x4.add(f32x4.mul(p, z), v128.load(ERF_P, 80));
  p = f32x4.add(f32x4.mul(p, z), v128.load(ERF_P, 96));
  p = f32x4.add(f32x4.mul(p, z), v128.load(ERF_P, 112));
  p = f32x4.add(f32x4.mul(p, z), v128.load(ERF_P, 128));
  p = f32x4.add(f32x4.mul(p, z), v128.load(ERF_P, 144));
  p = f32x4.add(f32x4.mul(p, z), v128.load(ERF_P, 160));
  const small = f32x4.add(f32x4.splat(1.0), f32x4.mul(p, u));
  // |u| ≥ 1: erfc(|u|) = t·exp(−u² − 1.26551223 + t·P(t)), t = 1/(1 + |u|/2) (Numerical Recipes).
  const t = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), f32x4.mul(a, f32x4.splat(0.5))));
  let q = v128.load(ERFC_Q);
  q = f32x4.add(f32x4.mul(q, t), v128.load(ERFC_Q, 16));
  q = f32x4.add(f32x4.mul(q, t), v128.load(ERFC_Q, 32));
  q = f32x4.add(f32x4.mul(q, t), v128.load(ERFC_Q, 48));
  q = f32x4.add(f32x4.mul(q, t), v128.load(ERFC_Q, 64));
  q = f32x4.add(f32x4.mul(q, t), v128.load(ERFC_Q, 80));
  q = f32x4.add(f32x4.mul(q, t), v128.load(ERFC_Q, 96));
  q = f32x4.add(f32x4.mul(q, t), v128.load(ERFC_Q, 112));
  q = f32x4.add(f32x4.mul(q, t), v128.load(ERFC_Q, 128));
  q = f32x4.add(f32x4.mul(q, t), v128.load(ERFC_Q, 144));
  const erfc = f32x4.mul(t, vexp(f32x4.sub(q, z)));
  const neg = f32x4.lt(u, f32x4.splat(0));
  const large = v128.bitselect(erfc, f32x4.sub(f32x4.splat(2.0), erfc), neg);
  return v128.bitselect(small, large, f32x4.lt(a, f32x4.splat(1.0)));
}

// ---- activation kernels: one vector function each, applied with a shared loop shape ----------

// @ts-ignore: decorator
@inline function vsigmoid(x: v128): v128 {
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), vexp(f32x4.neg(x))));
}

// @ts-ignore: decorator
@inline function vsilu(x: v128): v128 {
  return f32x4.div(x, f32x4.add(f32x4.splat(1.0), vexp(f32x4.neg(x))));
}

// @ts-ignore: decorator
@inline function vgelu(x: v128): v128 {
  const u = f32x4.mul(x, f32x4.splat(0.70710678118654752));
  return f32x4.mul(f32x4.mul(x, f32x4.splat(0.5)), v1p_erf(u));
}

/**
 * GELU's tanh approximation ½x(1 + tanh(y)), y = √(2/π)(x + 0.044715x³), written as x / (1 + e^(−2y))
 * (the same function: 1 + tanh y = 2 / (1 + e^(−2y))), which has no cancellation for negative x.
 * |x| so large that x² overflows: e^(∓∞) gives x or −0, the limits.
 */
// @ts-ignore: decorator
@inline function vgeluTanh(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  const z = f32x4.mul(f32x4.mul(x, f32x4.splat(1.5957691216057308)), f32x4.add(f32x4.splat(1.0), f32x4.mul(x2, f32x4.splat(0.044715))));
  return f32x4.div(x, f32x4.add(f32x4.splat(1.0), vexp(f32x4.neg(z))));
}

/** softplus(x) = max(x, 0) + log1p(e^−|x|), and exactly x above 20 (torch's threshold). */
// @ts-ignore: decorator
@inline function vsoftplus(x: v128): v128 {
  const y = f32x4.add(f32x4.pmax(x, f32x4.splat(0)), vlog1p_01(vexp(f32x4.neg(f32x4.abs(x)))));
  return v128.bitselect(x, y, f32x4.gt(x, f32x4.splat(20.0)));
}

/**
 * tanh as Cephes tanhf (≈ 1 ulp): an odd polynomial for |x| ≤ 0.625, else 1 − 2 / (e^(2|x|) + 1)
 * with the sign of x; 1 beyond 9 (tanh 9 rounds to 1 in f32; e^(2|x|) would overflow past 44).
 * NaN takes the polynomial branch (its compare is false), which keeps it NaN.
 */
// @ts-ignore: decorator
@inline function vtanh(x: v128): v128 {
  const a = f32x4.abs(x);
  const s = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, s), x), x);
  const e = vexp(f32x4.min(f32x4.add(a, a), f32x4.splat(18.0)));
  const t = f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(e, f32x4.splat(1.0))));
  const big = v128.bitselect(f32x4.splat(1.0), t, f32x4.gt(a, f32x4.splat(9.0)));
  // the sign of x on the large branch
  const signed = v128.or(big, v128.and(x, f32x4.splat(-0.0)));
  return v128.bitselect(signed, small, f32x4.gt(a, f32x4.splat(0.625)));
}

/** Apply a vector function to n elements; the tail goes through a zero-padded v128. */
// @ts-ignore: decorator
@inline function mapUnary(out: usize, a: usize, n: i32, op: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, apply(op, v128.load(a + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, f32x4.extract_lane(apply(op, f32x4.splat(load<f32>(a + o))), 0));
  }
}

// @ts-ignore: decorator
@inline function apply(op: i32, v: v128): v128 {
  switch (op) {
    case 0: return vsilu(v);
    case 1: return vgelu(v);
    case 2: return vsigmoid(v);
    case 3: return vexp(v);
    case 5: return vgeluTanh(v);
    case 6: return vtanh(v);
    default: return vsoftplus(v);
  }
}

export function silu_f32(out: usize, a: usize, n: i32): void {
  mapUnary(out, a, n, 0);
}
export function gelu_f32(out: usize, a: usize, n: i32): void {
  mapUnary(out, a, n, 1);
}
export function sigmoid_f32(out: usize, a: usize, n: i32): void {
  mapUnary(out, a, n, 2);
}
export function exp_f32(out: usize, a: usize, n: i32): void {
  mapUnary(out, a, n, 3);
}
export function softplus_f32(out: usize, a: usize, n: i32): void {
  mapUnary(out, a, n, 4);
}
export function gelu_tanh_f32(out: usize, a: usize, n: i32): void {
  mapUnary(out, a, n, 5);
}
export function tanh_f32(out: usize, a: usize, n: i32): void {
  mapUnary(out, a, n, 6);
}
