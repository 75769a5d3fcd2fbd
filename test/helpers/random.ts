/** Seeded random inputs for kernel tests (xorshift32, so failures reproduce from the seed). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Uniform values in [lo, hi). */
export function randomF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/**
 * The sparse-attention fixture generator (test/fixtures/sparse-attention/manifest.json,
 * "generator_js_hint"): xorshift32 from `seed`, top 24 bits mapped to [−amp, amp). Kept bit-exact so
 * random attention cases draw from the same distribution as the golden fixtures.
 */
export function fixtureRandomF32(n: number, seed: number, amp: number): Float32Array {
  let x = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = amp * ((x >>> 8) / 8388608 - 1);
  }
  return out;
}

/** Largest |a−b| / (atol + rtol·|b|) over all elements; NaN anywhere counts as a failure (Infinity). */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, atol = 1e-6): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity;
    if (Number.isNaN(a[i])) continue;
    const e = Math.abs(a[i] - b[i]) / (atol + Math.abs(b[i]));
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

/**
 * max |a − b| / max |b|: the error relative to the tensor's scale. Sums of many terms that nearly
 * cancel (RWKV-7's WKV outputs) blow up an element-wise relative error on elements near 0 while the
 * absolute error stays at f32 rounding of the scale. A NaN difference is Infinity.
 */
export function maxScaledErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0, e = 0;
  for (let i = 0; i < b.length; i++) {
    m = Math.max(m, Math.abs(b[i]));
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= e)) e = Number.isNaN(d) ? Infinity : d;
  }
  return m === 0 ? e : e / m;
}

/** Largest absolute difference; NaN mismatch is Infinity. */
export function maxAbsErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}
