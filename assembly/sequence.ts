// Sequence kernels (see src/backends/ops/sequence.ts for semantics and shapes). f32 unless named
// otherwise; a pointer of 0 means "absent" (the JS allocator never hands out address 0).

import { fmadd, lut16 } from './relaxed';

// ---- vector exp --------------------------------------------------------------------------------
// Cephes expf: e^x = 2^k · e^r with k = round(x·log2 e), |r| ≤ ln2/2, degree-5 polynomial for
// e^r (relative error ~2e-7). Below −87.3 the result is flushed to 0 (e^x underflows there).

// @ts-ignore: decorator
@inline
function exp4(x: v128): v128 {
  // pmin/pmax are one x86 instruction each (min/max are a NaN-exact sequence); NaN still passes.
  const xc = f32x4.pmax(f32x4.pmin(x, f32x4.splat(88.7)), f32x4.splat(-87.3));
  // k = round-half-even(xc·log2 e) by the 1.5·2^23 trick: t's low mantissa bits hold k, so 2^k
  // is (bits(t) + 127) << 23 (the magic's own bits shift out) — same k as f32x4.nearest, without
  // nearest + trunc_sat (the latter a long sequence on x86).
  const t = f32x4.add(f32x4.mul(xc, f32x4.splat(1.44269504)), f32x4.splat(12582912.0));
  const k = f32x4.sub(t, f32x4.splat(12582912.0));
  let r = f32x4.sub(xc, f32x4.mul(k, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(k, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const r2 = f32x4.mul(r, r);
  const e = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), f32x4.splat(1.0));
  const pow2 = i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23);
  const res = f32x4.mul(e, pow2);
  return v128.andnot(res, f32x4.lt(x, f32x4.splat(-87.3)));
}

// @ts-ignore: decorator
@inline
function sigmoidf(x: f32): f32 {
  return <f32>1.0 / (<f32>1.0 + Mathf.exp(-x));
}

/** torch softplus (beta 1, threshold 20). */
// @ts-ignore: decorator
@inline
function softplusf(x: f32): f32 {
  return x > <f32>20.0 ? x : <f32>Math.log1p(Math.exp(<f64>x));
}

// @ts-ignore: decorator
@inline
function ld(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline
function st(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}

// ---- causal depthwise conv1d ---------------------------------------------------------------------

/**
 * out[t,c] = Σ_j w[c,j]·xin[c,t+1+j] + bias[c] (SiLU if act), xin = [state[c,:], x[:,c]];
 * state ← last K of xin. Tokens whose window reaches into the state (t < K−1) go channel by
 * channel; the rest token-outer, four channels at a time, with w transposed to wt [K, C] (scratch)
 * so every load is contiguous.
 */
export function causal_conv1d_f32(out: usize, x: usize, w: usize, bias: usize, state: usize, wt: usize, T: i32, C: i32, K: i32, act: i32): void {
  if (T == 1 && K == 4) {
    conv_step_k4(out, x, w, bias, state, C, act);
    return;
  }
  const head = min(T, K - 1);
  for (let c = 0; c < C; c++) {
    const b: f32 = bias ? ld(bias, c) : 0;
    for (let t = 0; t < head; t++) {
      let acc = b;
      for (let j = 0; j < K; j++) {
        const s = t + 1 + j;
        acc += ld(w, c * K + j) * (s < K ? ld(state, c * K + s) : ld(x, (s - K) * C + c));
      }
      st(out, t * C + c, act ? acc * sigmoidf(acc) : acc);
    }
    for (let j = 0; j < K; j++) st(wt, j * C + c, ld(w, c * K + j));
  }
  const c4 = C & ~3;
  for (let t = head; t < T; t++) {
    // window rows t+1−K+1+j−1 … : x row (t + 1 + j − K) for j = 0..K−1, all ≥ 0 here
    const base = t + 1 - K;
    let c = 0;
    for (; c < c4; c += 4) {
      const o = <usize>c << 2;
      let acc = bias ? v128.load(bias + o) : f32x4.splat(0);
      for (let j = 0; j < K; j++) {
        acc = f32x4.add(acc, f32x4.mul(v128.load(wt + (<usize>(j * C) << 2) + o), v128.load(x + (<usize>((base + j) * C) << 2) + o)));
      }
      v128.store(out + (<usize>(t * C) << 2) + o, act ? silu4(acc) : acc);
    }
    for (; c < C; c++) {
      let acc: f32 = bias ? ld(bias, c) : 0;
      for (let j = 0; j < K; j++) acc += ld(wt, j * C + c) * ld(x, (base + j) * C + c);
      st(out, t * C + c, act ? acc * sigmoidf(acc) : acc);
    }
  }
  // new state = xin[T .. T+K-1]; ascending j reads state[c, T+j] before anything overwrites it
  for (let c = 0; c < C; c++) {
    for (let j = 0; j < K; j++) {
      const s = T + j;
      st(state, c * K + j, s < K ? ld(state, c * K + s) : ld(x, (s - K) * C + c));
    }
  }
}

/** [Σ p0, Σ p1, Σ p2, Σ p3]: the four lane sums of four vectors in one vector. */
// @ts-ignore: decorator
@inline
function hsum4x4(p0: v128, p1: v128, p2: v128, p3: v128): v128 {
  const u01 = f32x4.add(v128.shuffle<f32>(p0, p1, 0, 4, 1, 5), v128.shuffle<f32>(p0, p1, 2, 6, 3, 7));
  const u23 = f32x4.add(v128.shuffle<f32>(p2, p3, 0, 4, 1, 5), v128.shuffle<f32>(p2, p3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(u01, u23, 0, 1, 4, 5), v128.shuffle<f32>(u01, u23, 2, 3, 6, 7));
}

/**
 * The decode step (T = 1) of the Mamba conv (K = 4): each channel's window [state, x] is one
 * vector, so the step is shift-in-x, store as the new state, multiply by the weight row. Four
 * channels at a time; the products are transposed to tap-major so the sum runs bias + tap 0 + … +
 * tap 3, the order of the general path (a step then gives bit-identical results to a prefill).
 * No weight transpose (the general path's scratch) is needed.
 */
function conv_step_k4(out: usize, x: usize, w: usize, bias: usize, state: usize, C: i32, act: i32): void {
  const c4 = C & ~3;
  let c = 0;
  for (; c < c4; c += 4) {
    const xv = v128.load(x + (<usize>c << 2));
    const sp = state + (<usize>c << 4);
    const wp = w + (<usize>c << 4);
    const s0 = v128.shuffle<f32>(v128.load(sp), xv, 1, 2, 3, 4);
    const s1 = v128.shuffle<f32>(v128.load(sp, 16), xv, 1, 2, 3, 5);
    const s2 = v128.shuffle<f32>(v128.load(sp, 32), xv, 1, 2, 3, 6);
    const s3 = v128.shuffle<f32>(v128.load(sp, 48), xv, 1, 2, 3, 7);
    v128.store(sp, s0);
    v128.store(sp, s1, 16);
    v128.store(sp, s2, 32);
    v128.store(sp, s3, 48);
    const p0 = f32x4.mul(v128.load(wp), s0), p1 = f32x4.mul(v128.load(wp, 16), s1);
    const p2 = f32x4.mul(v128.load(wp, 32), s2), p3 = f32x4.mul(v128.load(wp, 48), s3);
    const t0 = v128.shuffle<f32>(p0, p1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(p0, p1, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(p2, p3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(p2, p3, 2, 6, 3, 7);
    let acc = bias ? v128.load(bias + (<usize>c << 2)) : f32x4.splat(0);
    acc = f32x4.add(acc, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
    acc = f32x4.add(acc, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
    acc = f32x4.add(acc, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
    acc = f32x4.add(acc, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
    v128.store(out + (<usize>c << 2), act ? silu4(acc) : acc);
  }
  for (; c < C; c++) {
    const sp = state + (<usize>c << 4);
    const s0 = v128.shuffle<f32>(v128.load(sp), f32x4.splat(ld(x, c)), 1, 2, 3, 4);
    v128.store(sp, s0);
    let acc: f32 = bias ? ld(bias, c) : 0;
    for (let j = 0; j < 4; j++) acc += ld(w, c * 4 + j) * ld(sp, j);
    st(out, c, act ? acc * sigmoidf(acc) : acc);
  }
}

// ---- Mamba selective scan ------------------------------------------------------------------------

/** log(1 + u) for u ≥ 0, 4 lanes: Cephes logf on w = 1 + u, corrected by u / (w − 1) for tiny u. */
// @ts-ignore: decorator
@inline
function log1p4(u: v128): v128 {
  const w = f32x4.add(u, f32x4.splat(1.0));
  // w = m · 2^e with m in [√½, √2)
  const bits = i32x4.sub(w, i32x4.splat(0x3f3504f3)); // 0x3f3504f3 = √½
  const e = i32x4.shr_s(bits, 23);
  const m = f32x4.sub(i32x4.add(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f3504f3)), f32x4.splat(1.0));
  const z = f32x4.mul(m, m);
  let p = f32x4.splat(7.0376836292e-2);
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.1514610310e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(1.1676998740e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.2420140846e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(1.4249322787e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.6668057665e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(2.0000714765e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-2.4999993993e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(3.3333331174e-1));
  let r = f32x4.mul(f32x4.mul(p, m), z);
  r = f32x4.sub(r, f32x4.mul(z, f32x4.splat(0.5)));
  r = f32x4.add(r, m);
  r = f32x4.add(r, f32x4.mul(f32x4.convert_i32x4_s(e), f32x4.splat(0.693147180559945)));
  // log1p(u) = log(w) · u / (w − 1) recovers the bits of u lost in 1 + u; w == 1 means log1p(u) = u
  const wm1 = f32x4.sub(w, f32x4.splat(1.0));
  const exact = f32x4.div(f32x4.mul(r, u), wm1);
  return v128.bitselect(u, exact, f32x4.eq(wm1, f32x4.splat(0)));
}

/** torch softplus (threshold 20), 4 lanes: max(x, 0) + log1p(e^−|x|). */
// @ts-ignore: decorator
@inline
function softplus4(x: v128): v128 {
  const sp = f32x4.add(f32x4.max(x, f32x4.splat(0)), log1p4(exp4(f32x4.neg(f32x4.abs(x)))));
  return v128.bitselect(x, sp, f32x4.gt(x, f32x4.splat(20.0)));
}

// @ts-ignore: decorator
@inline
function silu4(x: v128): v128 {
  return f32x4.div(x, f32x4.add(f32x4.splat(1.0), exp4(f32x4.neg(x))));
}

/** Whether a channel's A row holds one value (N a multiple of 4): Mamba-2's scalar decay per head. */
// @ts-ignore: decorator
@inline
function rowUniform(ar: usize, N: i32): bool {
  const a0 = v128.load32_splat(ar);
  let same = i32x4.splat(-1);
  for (let n = 0; n < N; n += 4) same = v128.and(same, i32x4.eq(v128.load(ar + (<usize>n << 2)), a0));
  return i32x4.all_true(same);
}

/**
 * One channel's state row (N a multiple of 4): h ← exp(A·Δ)·h + Δx·B, returns the lanes of h·C.
 * A row of one value (Mamba-2) takes its exp once: the same lanes give the same bits, so the result
 * is the general loop's.
 */
// @ts-ignore: decorator
@inline
function scanRow(h: usize, ar: usize, bt: usize, ct: usize, N: i32, dv: v128, dxv: v128): v128 {
  let yv = f32x4.splat(0);
  if (rowUniform(ar, N)) {
    const dA = exp4(f32x4.mul(v128.load32_splat(ar), dv));
    for (let n = 0; n < N; n += 4) {
      const o = <usize>n << 2;
      const hn = f32x4.add(f32x4.mul(dA, v128.load(h + o)), f32x4.mul(dxv, v128.load(bt + o)));
      v128.store(h + o, hn);
      yv = f32x4.add(yv, f32x4.mul(hn, v128.load(ct + o)));
    }
    return yv;
  }
  for (let n = 0; n < N; n += 4) {
    const o = <usize>n << 2;
    const dA = exp4(f32x4.mul(v128.load(ar + o), dv));
    const hn = f32x4.add(f32x4.mul(dA, v128.load(h + o)), f32x4.mul(dxv, v128.load(bt + o)));
    v128.store(h + o, hn);
    yv = f32x4.add(yv, f32x4.mul(hn, v128.load(ct + o)));
  }
  return yv;
}

/**
 * Channels in blocks of 64 (their state rows and A rows, 8 KB, stay in L1 across the whole token
 * loop), tokens inside. Per token, a vector pass over the block computes Δ (softplus) and the gate
 * SiLU(z) into `scratch` [2·I]; then each channel's state row h[ch, :] (N floats) is updated in
 * place, four states at a time with the vector exp.
 */
export function selective_scan_f32(
  out: usize, x: usize, dt: usize, a: usize, b: usize, c: usize, d: usize, z: usize, dtBias: usize, state: usize,
  scratch: usize, T: i32, I: i32, N: i32, sp: i32,
): void {
  selective_scan_rows(out, x, dt, a, b, c, d, z, dtBias, state, scratch, T, I, N, sp, 0, I);
}

/**
 * Channels [c0, c1) of selective_scan_f32 (rows are still I wide): the thread pool's split
 * (src/backends/wasm/threads-ops.ts). Each channel runs the same instructions as in the whole call
 * when c0 is a multiple of 4 (the four-channel groups line up), so any split is bit-identical.
 */
export function selective_scan_rows(
  out: usize, x: usize, dt: usize, a: usize, b: usize, c: usize, d: usize, z: usize, dtBias: usize, state: usize,
  scratch: usize, T: i32, I: i32, N: i32, sp: i32, c0: i32, c1: i32,
): void {
  const n4 = N & ~3;
  const gate = scratch + (<usize>I << 2);
  for (let cb = c0; cb < c1; cb += 64) {
    const ce = min(cb + 64, c1);
    for (let t = 0; t < T; t++) {
      const bt = b + (<usize>(t * N) << 2);
      const ct = c + (<usize>(t * N) << 2);
      const row = <usize>(t * I) << 2;
      let ch = cb;
      for (; ch + 4 <= ce; ch += 4) {
        const o = <usize>ch << 2;
        let pre = v128.load(dt + row + o);
        if (dtBias) pre = f32x4.add(pre, v128.load(dtBias + o));
        v128.store(scratch + o, sp ? softplus4(pre) : pre);
        if (z) v128.store(gate + o, silu4(v128.load(z + row + o)));
      }
      for (; ch < ce; ch++) {
        let pre = ld(dt, t * I + ch);
        if (dtBias) pre += ld(dtBias, ch);
        st(scratch, ch, sp ? softplusf(pre) : pre);
        if (z) {
          const zv = ld(z, t * I + ch);
          st(gate, ch, zv * sigmoidf(zv));
        }
      }
      ch = cb;
      if (n4 == N) {
        // Four channels at a time: their four y vectors are summed in one transpose-add, and the
        // D skip and gate are vector ops (no per-channel lane extraction).
        for (; ch + 4 <= ce; ch += 4) {
          const o = <usize>ch << 2;
          const dl = v128.load(scratch + o);
          const xv4 = v128.load(x + row + o);
          const dx4 = f32x4.mul(dl, xv4);
          const h = state + (<usize>(ch * N) << 2);
          const ar = a + (<usize>(ch * N) << 2);
          const rb = <usize>N << 2; // bytes per state row
          let y4 = hsum4x4(
            scanRow(h, ar, bt, ct, N, v128.shuffle<f32>(dl, dl, 0, 0, 0, 0), v128.shuffle<f32>(dx4, dx4, 0, 0, 0, 0)),
            scanRow(h + rb, ar + rb, bt, ct, N, v128.shuffle<f32>(dl, dl, 1, 1, 1, 1), v128.shuffle<f32>(dx4, dx4, 1, 1, 1, 1)),
            scanRow(h + 2 * rb, ar + 2 * rb, bt, ct, N, v128.shuffle<f32>(dl, dl, 2, 2, 2, 2), v128.shuffle<f32>(dx4, dx4, 2, 2, 2, 2)),
            scanRow(h + 3 * rb, ar + 3 * rb, bt, ct, N, v128.shuffle<f32>(dl, dl, 3, 3, 3, 3), v128.shuffle<f32>(dx4, dx4, 3, 3, 3, 3)),
          );
          if (d) y4 = f32x4.add(y4, f32x4.mul(v128.load(d + o), xv4));
          if (z) y4 = f32x4.mul(y4, v128.load(gate + o));
          v128.store(out + row + o, y4);
        }
      }
      for (; ch < ce; ch++) {
        const idx = t * I + ch;
        const delta = ld(scratch, ch);
        const xv = ld(x, idx);
        const dx = delta * xv;
        const h = state + (<usize>(ch * N) << 2);
        const ar = a + (<usize>(ch * N) << 2);
        const dv = f32x4.splat(delta);
        const dxv = f32x4.splat(dx);
        let yv = f32x4.splat(0);
        let n = 0;
        for (; n < n4; n += 4) {
          const o = <usize>n << 2;
          const dA = exp4(f32x4.mul(v128.load(ar + o), dv));
          const hn = f32x4.add(f32x4.mul(dA, v128.load(h + o)), f32x4.mul(dxv, v128.load(bt + o)));
          v128.store(h + o, hn);
          yv = f32x4.add(yv, f32x4.mul(hn, v128.load(ct + o)));
        }
        let y = f32x4.extract_lane(yv, 0) + f32x4.extract_lane(yv, 1) + f32x4.extract_lane(yv, 2) + f32x4.extract_lane(yv, 3);
        for (; n < N; n++) {
          const hn = Mathf.exp(ld(ar, n) * delta) * ld(h, n) + dx * ld(bt, n);
          st(h, n, hn);
          y += hn * ld(ct, n);
        }
        if (d) y += ld(d, ch) * xv;
        if (z) y *= ld(gate, ch);
        st(out, idx, y);
      }
    }
  }
}

// ---- RWKV-4 WKV ----------------------------------------------------------------------------------

/** Four channels at a time with (num, den, max) in registers across the token loop. */
export function wkv4_f32(out: usize, k: usize, v: usize, td: usize, tf: usize, state: usize, T: i32, C: i32): void {
  const c4 = C & ~3;
  const numP = state, denP = state + (<usize>C << 2), maxP = state + (<usize>(2 * C) << 2);
  let c = 0;
  for (; c < c4; c += 4) {
    const co = <usize>c << 2;
    const w = f32x4.neg(exp4(v128.load(td + co)));
    const u = v128.load(tf + co);
    let num = v128.load(numP + co), den = v128.load(denP + co), mx = v128.load(maxP + co);
    for (let t = 0; t < T; t++) {
      const o = (<usize>(t * C) << 2) + co;
      const kt = v128.load(k + o), vt = v128.load(v + o);
      const ku = f32x4.add(kt, u);
      let q = f32x4.max(mx, ku);
      let e1 = exp4(f32x4.sub(mx, q)), e2 = exp4(f32x4.sub(ku, q));
      v128.store(out + o, f32x4.div(f32x4.add(f32x4.mul(e1, num), f32x4.mul(e2, vt)), f32x4.add(f32x4.mul(e1, den), e2)));
      const mw = f32x4.add(mx, w);
      q = f32x4.max(mw, kt);
      e1 = exp4(f32x4.sub(mw, q));
      e2 = exp4(f32x4.sub(kt, q));
      num = f32x4.add(f32x4.mul(e1, num), f32x4.mul(e2, vt));
      den = f32x4.add(f32x4.mul(e1, den), e2);
      mx = q;
    }
    v128.store(numP + co, num);
    v128.store(denP + co, den);
    v128.store(maxP + co, mx);
  }
  for (; c < C; c++) {
    const w = -Mathf.exp(ld(td, c));
    const u = ld(tf, c);
    let num = ld(numP, c), den = ld(denP, c), mx = ld(maxP, c);
    for (let t = 0; t < T; t++) {
      const kt = ld(k, t * C + c), vt = ld(v, t * C + c);
      let q = max(mx, kt + u);
      let e1 = Mathf.exp(mx - q), e2 = Mathf.exp(kt + u - q);
      st(out, t * C + c, (e1 * num + e2 * vt) / (e1 * den + e2));
      q = max(mx + w, kt);
      e1 = Mathf.exp(mx + w - q);
      e2 = Mathf.exp(kt - q);
      num = e1 * num + e2 * vt;
      den = e1 * den + e2;
      mx = q;
    }
    st(numP, c, num);
    st(denP, c, den);
    st(maxP, c, mx);
  }
}

// ---- delta-rule memory ---------------------------------------------------------------------------

/** Per head and token, row by row: e = β(M_i·k − v_i); M_i −= e·k; y_i = M_i·q (one pass over M_i). */
export function delta_rule_f32(out: usize, q: usize, k: usize, v: usize, beta: usize, state: usize, T: i32, H: i32, DK: i32, DV: i32): void {
  const dk4 = DK & ~3;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < H; h++) {
      const kb = k + (<usize>((t * H + h) * DK) << 2);
      const qb = q + (<usize>((t * H + h) * DK) << 2);
      const vb = (t * H + h) * DV;
      const bt = ld(beta, t * H + h);
      const Mh = state + (<usize>(h * DV * DK) << 2);
      for (let i = 0; i < DV; i++) {
        const row = Mh + (<usize>(i * DK) << 2);
        let acc = f32x4.splat(0);
        let j = 0;
        for (; j < dk4; j += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(row + (<usize>j << 2)), v128.load(kb + (<usize>j << 2))));
        let mk = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
        for (; j < DK; j++) mk += ld(row, j) * ld(kb, j);
        const e = bt * (mk - ld(v, vb + i));
        const ev = f32x4.splat(e);
        let yv = f32x4.splat(0);
        j = 0;
        for (; j < dk4; j += 4) {
          const o = <usize>j << 2;
          const m = f32x4.sub(v128.load(row + o), f32x4.mul(ev, v128.load(kb + o)));
          v128.store(row + o, m);
          yv = f32x4.add(yv, f32x4.mul(m, v128.load(qb + o)));
        }
        let y = f32x4.extract_lane(yv, 0) + f32x4.extract_lane(yv, 1) + f32x4.extract_lane(yv, 2) + f32x4.extract_lane(yv, 3);
        for (; j < DK; j++) {
          const m = ld(row, j) - e * ld(kb, j);
          st(row, j, m);
          y += m * ld(qb, j);
        }
        st(out, vb + i, y);
      }
    }
  }
}

// ---- RWKV-7 WKV -----------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline
function hsum(x: v128): f32 {
  return f32x4.extract_lane(x, 0) + f32x4.extract_lane(x, 1) + f32x4.extract_lane(x, 2) + f32x4.extract_lane(x, 3);
}

/**
 * Head outer (its N×N state stays in cache across the tokens), then token, then value row i:
 * sa = a·S_i (S before the update); S_i ← S_i ⊙ w + v_i·k + sa·b and y_i = S_i·r in one pass
 * over the row, four columns j at a time plus a scalar tail.
 */
export function wkv7_f32(out: usize, r: usize, w: usize, k: usize, v: usize, a: usize, b: usize, state: usize, T: i32, H: i32, N: i32): void {
  const n4 = N & ~3;
  const C = H * N;
  for (let h = 0; h < H; h++) {
    const Sh = state + (<usize>(h * N * N) << 2);
    for (let t = 0; t < T; t++) {
      const base = t * C + h * N;
      const bo = <usize>base << 2;
      const rb = r + bo, wb = w + bo, kb = k + bo, ab = a + bo, bb = b + bo;
      for (let i = 0; i < N; i++) {
        const row = Sh + (<usize>(i * N) << 2);
        let acc = f32x4.splat(0);
        let j = 0;
        for (; j < n4; j += 4) {
          const o = <usize>j << 2;
          acc = fmadd(v128.load(ab + o), v128.load(row + o), acc);
        }
        let sa = hsum(acc);
        for (; j < N; j++) sa += ld(ab, j) * ld(row, j);
        const vi = ld(v, base + i);
        const vv = f32x4.splat(vi), sv = f32x4.splat(sa);
        let yv = f32x4.splat(0);
        j = 0;
        for (; j < n4; j += 4) {
          const o = <usize>j << 2;
          const s = fmadd(v128.load(row + o), v128.load(wb + o), fmadd(vv, v128.load(kb + o), f32x4.mul(sv, v128.load(bb + o))));
          v128.store(row + o, s);
          yv = fmadd(s, v128.load(rb + o), yv);
        }
        let y = hsum(yv);
        for (; j < N; j++) {
          const s = ld(row, j) * ld(wb, j) + vi * ld(kb, j) + sa * ld(bb, j);
          st(row, j, s);
          y += s * ld(rb, j);
        }
        st(out, base + i, y);
      }
    }
  }
}

/** out[t, i] += v[t, i] · Σ_{j in i's head} r[t, j]·k[t, j]·u[j]; heads of N channels, C = heads·N. */
export function wkv7_bonus_f32(out: usize, r: usize, k: usize, v: usize, u: usize, T: i32, C: i32, N: i32): void {
  const n4 = N & ~3;
  for (let t = 0; t < T; t++) {
    for (let h0 = 0; h0 < C; h0 += N) {
      const base = t * C + h0;
      const bo = <usize>base << 2;
      const rb = r + bo, kb = k + bo, vb = v + bo, ob = out + bo, ub = u + (<usize>h0 << 2);
      let acc = f32x4.splat(0);
      let j = 0;
      for (; j < n4; j += 4) {
        const o = <usize>j << 2;
        acc = fmadd(f32x4.mul(v128.load(rb + o), v128.load(kb + o)), v128.load(ub + o), acc);
      }
      let dot = hsum(acc);
      for (; j < N; j++) dot += ld(rb, j) * ld(kb, j) * ld(ub, j);
      const dv = f32x4.splat(dot);
      j = 0;
      for (; j < n4; j += 4) {
        const o = <usize>j << 2;
        v128.store(ob + o, fmadd(v128.load(vb + o), dv, v128.load(ob + o)));
      }
      for (; j < N; j++) st(ob, j, ld(ob, j) + ld(vb, j) * dot);
    }
  }
}

// ---- BitNet b1.58 ternary matvec -----------------------------------------------------------------
// Weight layout: src/backends/ops/ternary-layout.ts (16-byte header with f32 γ, then rows of
// `stride` bytes; byte g = plus-mask nibble | minus-mask nibble << 4 for columns 4g..4g+3).

/**
 * int8 absmax quantization of one row x[K] into the 64-column-blocked, position-transposed buffer
 * xt: for block b, position i (0..3) and group g (0..15), xt[b·64 + i·16 + g] = x_q[b·64 + 4g + i],
 * so one v128 load gives the i-th activation of 16 consecutive groups. Returns 1/s_x.
 * Also writes the plain x_q (i8) to xq when xq != 0.
 */
function quantize_row(x: usize, K: i32, xt: usize, stride: i32, xq: usize): f32 {
  let mx: f32 = 0;
  for (let j = 0; j < K; j++) mx = max(mx, abs(ld(x, j)));
  const sx: f32 = <f32>127.0 / max(mx, <f32>1e-5);
  memory.fill(xt, 0, <usize>(stride * 4));
  for (let j = 0; j < K; j++) {
    let qv = nearest<f32>(ld(x, j) * sx);
    qv = min(max(qv, <f32>-128.0), <f32>127.0);
    const qi = <i32>qv;
    const blk = j >> 6, within = j & 63;
    store<i8>(xt + <usize>(blk * 64 + (within & 3) * 16 + (within >> 2)), <i8>qi);
    if (xq) store<i8>(xq + <usize>j, <i8>qi);
  }
  return <f32>1.0 / sx;
}

/** out[r, m] = (Σ_k x_q[r,k]·W_q[m,k]) · γ / s_x; 64 weights per 16-byte load, integer accumulation. */
export function ternary_matvec(out: usize, w: usize, x: usize, xt: usize, R: i32, M: i32, K: i32, stride: i32): void {
  const gamma = load<f32>(w);
  const rows = w + 16;
  const blocks = stride >> 4;
  for (let r = 0; r < R; r++) {
    const inv = quantize_row(x + (<usize>(r * K) << 2), K, xt, stride, 0) * gamma;
    for (let m = 0; m < M; m++) {
      const wr = rows + <usize>(m * stride);
      let acc = i32x4.splat(0);
      for (let bl = 0; bl < blocks; bl++) {
        const wv = v128.load(wr + (<usize>bl << 4));
        const xb = xt + (<usize>bl << 6);
        let s16 = i16x8.splat(0);
        for (let i = 0; i < 4; i++) {
          const xi = v128.load(xb + (<usize>i << 4));
          // sign masks: shift bit i (plus) / 4+i (minus) into the lane's sign bit, then spread it
          const pm = i8x16.shr_s(i8x16.shl(wv, 7 - i), 7);
          const nm = i8x16.shr_s(i8x16.shl(wv, 3 - i), 7);
          const contrib = i8x16.sub(v128.and(xi, pm), v128.and(xi, nm)); // |x_q| ≤ 127: no overflow
          s16 = i16x8.add(s16, i16x8.extadd_pairwise_i8x16_s(contrib));
        }
        acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(s16));
      }
      const sum = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
      st(out, r * M + m, <f32>sum * inv);
    }
  }
}

// T-MAC proper: 16 output rows at a time. A 16×16 byte transpose turns 16 rows × 16 groups into
// one vector per group holding that group's weight byte of each row; the group's 16-entry subset-sum
// table (i16, split into low/high byte vectors) is then looked up for all 16 rows at once with
// lut16 (i8x16.swizzle), for the plus nibble and the minus nibble. The sums are exact integers.

/**
 * Same result as ternary_matvec (bit for bit). Per row of x, tables[g·16 + mask] (i16) =
 * Σ_{i∈mask} x_q[4g+i] for every group of 4 activations. Scratch layout from `xt`: xt (stride·4 bytes), xq
 * (stride·4 groups × 4 bytes), i16 tables (groups × 32 bytes), then low-byte and high-byte
 * tables (groups × 16 bytes each). Rows beyond the last multiple of 16 take the scalar lookups.
 */
export function ternary_matvec_tmac(out: usize, w: usize, x: usize, xt: usize, R: i32, M: i32, K: i32, stride: i32): void {
  const gamma = load<f32>(w);
  const rows = w + 16;
  const blocks = stride >> 4;
  const G = stride << 2; // padded groups: 16 per 16-byte block
  const xq = xt + <usize>(stride * 4);
  const tables = xq + <usize>(G * 4);
  const tlo = tables + <usize>(G * 32);
  const thi = tlo + <usize>(G * 16);
  const m16 = M & ~15;
  const nib = i8x16.splat(15);
  for (let r = 0; r < R; r++) {
    memory.fill(xq, 0, <usize>(G * 4));
    const inv = quantize_row(x + (<usize>(r * K) << 2), K, xt, stride, xq) * gamma;
    for (let g = 0; g < G; g++) {
      const tb = tables + (<usize>(g * 16) << 1);
      const xg = xq + <usize>(g * 4);
      store<i16>(tb, 0);
      store<u8>(tlo + <usize>(g * 16), 0);
      store<u8>(thi + <usize>(g * 16), 0);
      for (let mask = 1; mask < 16; mask++) {
        const v = load<i16>(tb + (<usize>(mask & (mask - 1)) << 1)) + <i16>load<i8>(xg + <usize>ctz(mask));
        store<i16>(tb + (<usize>mask << 1), v);
        store<u8>(tlo + <usize>(g * 16 + mask), <u8>(v & 0xff));
        store<u8>(thi + <usize>(g * 16 + mask), <u8>((v >> 8) & 0xff));
      }
    }
    for (let rb = 0; rb < m16; rb += 16) {
      let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
      for (let bl = 0; bl < blocks; bl++) {
        const wb = rows + <usize>(rb * stride) + (<usize>bl << 4);
        let acc0 = i16x8.splat(0); // rows rb..rb+7
        let acc1 = i16x8.splat(0); // rows rb+8..rb+15
      // 16×16 byte transpose (four perfect-shuffle rounds): c_g holds group g of the 16 rows
      let v0 = v128.load(wb + <usize>(0 * stride));
      let v1 = v128.load(wb + <usize>(1 * stride));
      let v2 = v128.load(wb + <usize>(2 * stride));
      let v3 = v128.load(wb + <usize>(3 * stride));
      let v4 = v128.load(wb + <usize>(4 * stride));
      let v5 = v128.load(wb + <usize>(5 * stride));
      let v6 = v128.load(wb + <usize>(6 * stride));
      let v7 = v128.load(wb + <usize>(7 * stride));
      let v8 = v128.load(wb + <usize>(8 * stride));
      let v9 = v128.load(wb + <usize>(9 * stride));
      let v10 = v128.load(wb + <usize>(10 * stride));
      let v11 = v128.load(wb + <usize>(11 * stride));
      let v12 = v128.load(wb + <usize>(12 * stride));
      let v13 = v128.load(wb + <usize>(13 * stride));
      let v14 = v128.load(wb + <usize>(14 * stride));
      let v15 = v128.load(wb + <usize>(15 * stride));
      const u0_0 = i8x16.shuffle(v0, v8, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u1_0 = i8x16.shuffle(v0, v8, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u2_0 = i8x16.shuffle(v1, v9, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u3_0 = i8x16.shuffle(v1, v9, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u4_0 = i8x16.shuffle(v2, v10, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u5_0 = i8x16.shuffle(v2, v10, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u6_0 = i8x16.shuffle(v3, v11, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u7_0 = i8x16.shuffle(v3, v11, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u8_0 = i8x16.shuffle(v4, v12, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u9_0 = i8x16.shuffle(v4, v12, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u10_0 = i8x16.shuffle(v5, v13, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u11_0 = i8x16.shuffle(v5, v13, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u12_0 = i8x16.shuffle(v6, v14, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u13_0 = i8x16.shuffle(v6, v14, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u14_0 = i8x16.shuffle(v7, v15, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u15_0 = i8x16.shuffle(v7, v15, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      v0 = u0_0;
      v1 = u1_0;
      v2 = u2_0;
      v3 = u3_0;
      v4 = u4_0;
      v5 = u5_0;
      v6 = u6_0;
      v7 = u7_0;
      v8 = u8_0;
      v9 = u9_0;
      v10 = u10_0;
      v11 = u11_0;
      v12 = u12_0;
      v13 = u13_0;
      v14 = u14_0;
      v15 = u15_0;
      const u0_1 = i8x16.shuffle(v0, v8, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u1_1 = i8x16.shuffle(v0, v8, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u2_1 = i8x16.shuffle(v1, v9, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u3_1 = i8x16.shuffle(v1, v9, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u4_1 = i8x16.shuffle(v2, v10, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u5_1 = i8x16.shuffle(v2, v10, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u6_1 = i8x16.shuffle(v3, v11, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u7_1 = i8x16.shuffle(v3, v11, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u8_1 = i8x16.shuffle(v4, v12, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u9_1 = i8x16.shuffle(v4, v12, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u10_1 = i8x16.shuffle(v5, v13, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u11_1 = i8x16.shuffle(v5, v13, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u12_1 = i8x16.shuffle(v6, v14, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u13_1 = i8x16.shuffle(v6, v14, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u14_1 = i8x16.shuffle(v7, v15, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u15_1 = i8x16.shuffle(v7, v15, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      v0 = u0_1;
      v1 = u1_1;
      v2 = u2_1;
      v3 = u3_1;
      v4 = u4_1;
      v5 = u5_1;
      v6 = u6_1;
      v7 = u7_1;
      v8 = u8_1;
      v9 = u9_1;
      v10 = u10_1;
      v11 = u11_1;
      v12 = u12_1;
      v13 = u13_1;
      v14 = u14_1;
      v15 = u15_1;
      const u0_2 = i8x16.shuffle(v0, v8, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u1_2 = i8x16.shuffle(v0, v8, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u2_2 = i8x16.shuffle(v1, v9, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u3_2 = i8x16.shuffle(v1, v9, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u4_2 = i8x16.shuffle(v2, v10, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u5_2 = i8x16.shuffle(v2, v10, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u6_2 = i8x16.shuffle(v3, v11, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u7_2 = i8x16.shuffle(v3, v11, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u8_2 = i8x16.shuffle(v4, v12, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u9_2 = i8x16.shuffle(v4, v12, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u10_2 = i8x16.shuffle(v5, v13, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u11_2 = i8x16.shuffle(v5, v13, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u12_2 = i8x16.shuffle(v6, v14, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u13_2 = i8x16.shuffle(v6, v14, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u14_2 = i8x16.shuffle(v7, v15, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u15_2 = i8x16.shuffle(v7, v15, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      v0 = u0_2;
      v1 = u1_2;
      v2 = u2_2;
      v3 = u3_2;
      v4 = u4_2;
      v5 = u5_2;
      v6 = u6_2;
      v7 = u7_2;
      v8 = u8_2;
      v9 = u9_2;
      v10 = u10_2;
      v11 = u11_2;
      v12 = u12_2;
      v13 = u13_2;
      v14 = u14_2;
      v15 = u15_2;
      const u0_3 = i8x16.shuffle(v0, v8, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u1_3 = i8x16.shuffle(v0, v8, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u2_3 = i8x16.shuffle(v1, v9, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u3_3 = i8x16.shuffle(v1, v9, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u4_3 = i8x16.shuffle(v2, v10, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u5_3 = i8x16.shuffle(v2, v10, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u6_3 = i8x16.shuffle(v3, v11, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u7_3 = i8x16.shuffle(v3, v11, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u8_3 = i8x16.shuffle(v4, v12, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u9_3 = i8x16.shuffle(v4, v12, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u10_3 = i8x16.shuffle(v5, v13, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u11_3 = i8x16.shuffle(v5, v13, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u12_3 = i8x16.shuffle(v6, v14, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u13_3 = i8x16.shuffle(v6, v14, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const u14_3 = i8x16.shuffle(v7, v15, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u15_3 = i8x16.shuffle(v7, v15, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      v0 = u0_3;
      v1 = u1_3;
      v2 = u2_3;
      v3 = u3_3;
      v4 = u4_3;
      v5 = u5_3;
      v6 = u6_3;
      v7 = u7_3;
      v8 = u8_3;
      v9 = u9_3;
      v10 = u10_3;
      v11 = u11_3;
      v12 = u12_3;
      v13 = u13_3;
      v14 = u14_3;
      v15 = u15_3;
        {
          const tb = <usize>((bl * 16 + 0) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v0, nib), im = i8x16.shr_u(v0, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 1) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v1, nib), im = i8x16.shr_u(v1, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 2) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v2, nib), im = i8x16.shr_u(v2, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 3) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v3, nib), im = i8x16.shr_u(v3, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 4) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v4, nib), im = i8x16.shr_u(v4, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 5) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v5, nib), im = i8x16.shr_u(v5, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 6) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v6, nib), im = i8x16.shr_u(v6, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 7) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v7, nib), im = i8x16.shr_u(v7, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 8) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v8, nib), im = i8x16.shr_u(v8, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 9) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v9, nib), im = i8x16.shr_u(v9, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 10) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v10, nib), im = i8x16.shr_u(v10, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 11) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v11, nib), im = i8x16.shr_u(v11, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 12) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v12, nib), im = i8x16.shr_u(v12, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 13) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v13, nib), im = i8x16.shr_u(v13, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 14) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v14, nib), im = i8x16.shr_u(v14, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        {
          const tb = <usize>((bl * 16 + 15) << 4);
          const lo = v128.load(tlo + tb), hi = v128.load(thi + tb);
          const ip = v128.and(v15, nib), im = i8x16.shr_u(v15, 4);
          const plo = lut16(lo, ip), phi = lut16(hi, ip);
          const mlo = lut16(lo, im), mhi = lut16(hi, im);
          acc0 = i16x8.add(acc0, i16x8.sub(i8x16.shuffle(plo, phi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), i8x16.shuffle(mlo, mhi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)));
          acc1 = i16x8.add(acc1, i16x8.sub(i8x16.shuffle(plo, phi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), i8x16.shuffle(mlo, mhi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)));
        }
        // |Σ over 16 groups| ≤ 16·508 fits i16; widen to i32 once per block
        s0 = i32x4.add(s0, i32x4.extend_low_i16x8_s(acc0));
        s1 = i32x4.add(s1, i32x4.extend_high_i16x8_s(acc0));
        s2 = i32x4.add(s2, i32x4.extend_low_i16x8_s(acc1));
        s3 = i32x4.add(s3, i32x4.extend_high_i16x8_s(acc1));
      }
      const o = out + (<usize>(r * M + rb) << 2);
      v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(s0), f32x4.splat(inv)));
      v128.store(o + 16, f32x4.mul(f32x4.convert_i32x4_s(s1), f32x4.splat(inv)));
      v128.store(o + 32, f32x4.mul(f32x4.convert_i32x4_s(s2), f32x4.splat(inv)));
      v128.store(o + 48, f32x4.mul(f32x4.convert_i32x4_s(s3), f32x4.splat(inv)));
    }
    for (let m = m16; m < M; m++) {
      const wr = rows + <usize>(m * stride);
      let acc: i32 = 0;
      for (let g = 0; g < G; g++) {
        const bb = <i32>load<u8>(wr + <usize>g);
        const t0 = tables + (<usize>(g * 16) << 1);
        acc += <i32>load<i16>(t0 + (<usize>(bb & 15) << 1)) - <i32>load<i16>(t0 + (<usize>(bb >> 4) << 1));
      }
      st(out, r * M + m, <f32>acc * inv);
    }
  }
}
