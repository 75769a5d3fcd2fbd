// F16 matvec for "prepared" weights: the exactness work of matvec_f16 (core-matvec.ts) moved to
// load time. A weight matrix is scanned once (f16_scan): if it holds no Inf/NaN half, every nonzero
// subnormal half (|h| < 2^-14) is moved into a small CSR side list (row pointer, column, f32 value)
// and a zero is stored in its place (f16_extract). The hot loop then never meets a subnormal or a
// special half and widens with 2–3 integer ops per four halves, no checks, no branches; the side
// list is added afterwards per row (f16_fixup). Exact up to summation order while x is finite
// (0 · x = 0); the caller routes non-finite x to the original kernel after f16_restore.
// Every kernel here works on a row range given by pointer offsets (out, w) or [r0, r1), so a
// threaded caller can split it by rows.
import { f16_to_f32, h2f, matmulRows } from './core-matvec';
import { fmadd } from './relaxed';

// @ts-ignore: decorator
@inline const SCALE: f32 = 5.192296858534828e33; // 2^112

/**
 * Scans n halves: returns -1 if any is Inf/NaN (the matrix is then left to the exact kernel),
 * else the number of nonzero subnormal halves.
 */
export function f16_scan(w: usize, n: i32): i32 {
  const mag = i16x8.splat(0x7fff);
  const one = i16x8.splat(1);
  let amax = i16x8.splat(0);
  let count = 0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const m = v128.and(v128.load(w + (<usize>i << 1)), mag);
    amax = i16x8.max_u(amax, m);
    // |h| − 1 < 0x3ff (unsigned) ⇔ nonzero subnormal (zero wraps to 0xffff).
    count += popcnt<i32>(i16x8.bitmask(i16x8.lt_u(i16x8.sub(m, one), i16x8.splat(0x03ff))));
  }
  let s: i32 = 0;
  for (; i < n; i++) {
    const m = <i32>load<u16>(w + (<usize>i << 1)) & 0x7fff;
    if (m >= 0x7c00) return -1;
    if (m != 0 && m < 0x0400) s++;
  }
  if (v128.any_true(i16x8.ge_u(amax, i16x8.splat(0x7c00)))) return -1;
  return count + s;
}

/**
 * Moves the nonzero subnormal halves of W[M, K] into the side list (rowPtr[M + 1] i32, col i32,
 * val f32, sized by f16_scan's count) and stores +0 in their place.
 */
export function f16_extract(w: usize, m: i32, k: i32, rowPtr: usize, col: usize, val: usize): void {
  let e = 0;
  for (let r = 0; r < m; r++) {
    store<i32>(rowPtr + (<usize>r << 2), e);
    const row = w + ((<usize>r * <usize>k) << 1);
    let j = 0;
    for (; j + 8 <= k; j += 8) {
      // Skip blocks of eight halves with no nonzero subnormal (almost all of them).
      const m8 = v128.and(v128.load(row + (<usize>j << 1)), i16x8.splat(0x7fff));
      if (!v128.any_true(i16x8.lt_u(i16x8.sub(m8, i16x8.splat(1)), i16x8.splat(0x03ff)))) continue;
      for (let t = j; t < j + 8; t++) {
        const h = <u32>load<u16>(row + (<usize>t << 1));
        const a = h & 0x7fff;
        if (a == 0 || a >= 0x0400) continue;
        store<i32>(col + (<usize>e << 2), t);
        store<f32>(val + (<usize>e << 2), h2f(h));
        store<u16>(row + (<usize>t << 1), 0);
        e++;
      }
    }
    for (; j < k; j++) {
      const h = <u32>load<u16>(row + (<usize>j << 1));
      const a = h & 0x7fff;
      if (a == 0 || a >= 0x0400) continue;
      store<i32>(col + (<usize>e << 2), j);
      store<f32>(val + (<usize>e << 2), h2f(h));
      store<u16>(row + (<usize>j << 1), 0);
      e++;
    }
  }
  store<i32>(rowPtr + (<usize>m << 2), e);
}

/** Puts the side list's halves back (exact: a subnormal half is val · 2^24 as an integer). */
export function f16_restore(w: usize, m: i32, k: i32, rowPtr: usize, col: usize, val: usize): void {
  for (let r = 0; r < m; r++) {
    const row = w + ((<usize>r * <usize>k) << 1);
    const e1 = load<i32>(rowPtr + (<usize>(r + 1) << 2));
    for (let e = load<i32>(rowPtr + (<usize>r << 2)); e < e1; e++) {
      const v = load<f32>(val + (<usize>e << 2));
      const bits = (reinterpret<u32>(v) >>> 16) & 0x8000;
      store<u16>(row + (<usize>load<i32>(col + (<usize>e << 2)) << 1), <u16>(bits | <u32>(abs(v) * <f32>16777216.0)));
    }
  }
}

/**
 * Stages x for matvec_f16_fast: per block of eight columns, xs holds the even columns then the odd
 * ones, times 2^112 (the widening below yields half · 2^-112). Returns 0 when staged, 1 when some
 * |x| ≥ 2^15 (x · 2^112 could overflow: use the exact kernel), 2 when x holds Inf/NaN.
 */
export function f16_prescale(xs: usize, x: usize, k: i32): i32 {
  let mx = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= k; j += 4) mx = f32x4.max(mx, f32x4.abs(v128.load(x + (<usize>j << 2))));
  let big = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
  for (; j < k; j++) big = max(big, abs(load<f32>(x + (<usize>j << 2))));
  if (!(big <= 3.4028234663852886e38)) return 2; // Inf or NaN (f32x4.max propagates NaN)
  if (big >= 32768.0) return 1;
  const sc = f32x4.splat(SCALE);
  j = 0;
  for (; j + 8 <= k; j += 8) {
    const a = v128.load(x + (<usize>j << 2)), b = v128.load(x + (<usize>j << 2), 16);
    v128.store(xs + (<usize>j << 2), f32x4.mul(i32x4.shuffle(a, b, 0, 2, 4, 6), sc));
    v128.store(xs + (<usize>j << 2), f32x4.mul(i32x4.shuffle(a, b, 1, 3, 5, 7), sc), 16);
  }
  return 0;
}

// @ts-ignore: decorator
@inline const KEEP: i32 = <i32>0x8fffe000;
/** Even halves (low 16 bits of each i32 lane) → f32 · 2^-112: shift to the top, arithmetic shift down 3, mask. */
// @ts-ignore: decorator
@inline function wEven(h: v128): v128 {
  return v128.and(i32x4.shr_s(i32x4.shl(h, 16), 3), i32x4.splat(KEEP));
}
/** Odd halves (high 16 bits of each i32 lane) → f32 · 2^-112. */
// @ts-ignore: decorator
@inline function wOdd(h: v128): v128 {
  return v128.and(i32x4.shr_s(h, 3), i32x4.splat(KEEP));
}

/**
 * out[0..m) = W[0..m, :] · x for a prepared W (no subnormal, Inf or NaN half) with xs from
 * f16_prescale (status 0). Four rows × sixteen halves per step; columns past the last multiple of
 * eight use x directly. The side list is not applied here (f16_fixup).
 * Before each group of four rows, one byte of every 64-byte line of the NEXT group is loaded in a
 * burst ("touch-ahead"): the misses then overlap each other instead of arriving one widening loop
 * apart (a large matrix streams from DRAM ~1.3× faster, docs/wasm-llm-speed.md). The touched bytes
 * are OR-ed into the return value so no compiler can drop the loads; callers ignore it.
 */
export function matvec_f16_fast(out: usize, w: usize, xs: usize, x: usize, m: i32, k: i32): u32 {
  const rowBytes = <usize>k << 1;
  const k8 = k & ~7;
  const end = w + <usize>m * rowBytes;
  let sink: u32 = 0;
  let r = 0;
  for (; r + 4 <= m; r += 4) {
    const w0 = w + <usize>r * rowBytes;
    const w1 = w0 + rowBytes;
    const w2 = w1 + rowBytes;
    const w3 = w2 + rowBytes;
    const next = w3 + rowBytes;
    const nextEnd = min(end, next + (rowBytes << 2));
    for (let p = next; p < nextEnd; p += 64) sink |= load<u8>(p);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    let j = 0;
    for (; j + 16 <= k8; j += 16) {
      const o = <usize>j << 1;
      const q = <usize>j << 2;
      let xe = v128.load(xs + q), xo = v128.load(xs + q, 16);
      let h0 = v128.load(w0 + o), h1 = v128.load(w1 + o), h2 = v128.load(w2 + o), h3 = v128.load(w3 + o);
      a0 = fmadd(wEven(h0), xe, a0);
      b0 = fmadd(wOdd(h0), xo, b0);
      a1 = fmadd(wEven(h1), xe, a1);
      b1 = fmadd(wOdd(h1), xo, b1);
      a2 = fmadd(wEven(h2), xe, a2);
      b2 = fmadd(wOdd(h2), xo, b2);
      a3 = fmadd(wEven(h3), xe, a3);
      b3 = fmadd(wOdd(h3), xo, b3);
      xe = v128.load(xs + q, 32);
      xo = v128.load(xs + q, 48);
      h0 = v128.load(w0 + o, 16);
      h1 = v128.load(w1 + o, 16);
      h2 = v128.load(w2 + o, 16);
      h3 = v128.load(w3 + o, 16);
      a0 = fmadd(wEven(h0), xe, a0);
      b0 = fmadd(wOdd(h0), xo, b0);
      a1 = fmadd(wEven(h1), xe, a1);
      b1 = fmadd(wOdd(h1), xo, b1);
      a2 = fmadd(wEven(h2), xe, a2);
      b2 = fmadd(wOdd(h2), xo, b2);
      a3 = fmadd(wEven(h3), xe, a3);
      b3 = fmadd(wOdd(h3), xo, b3);
    }
    if (j < k8) {
      const o = <usize>j << 1;
      const q = <usize>j << 2;
      const xe = v128.load(xs + q), xo = v128.load(xs + q, 16);
      const h0 = v128.load(w0 + o), h1 = v128.load(w1 + o), h2 = v128.load(w2 + o), h3 = v128.load(w3 + o);
      a0 = fmadd(wEven(h0), xe, a0);
      b0 = fmadd(wOdd(h0), xo, b0);
      a1 = fmadd(wEven(h1), xe, a1);
      b1 = fmadd(wOdd(h1), xo, b1);
      a2 = fmadd(wEven(h2), xe, a2);
      b2 = fmadd(wOdd(h2), xo, b2);
      a3 = fmadd(wEven(h3), xe, a3);
      b3 = fmadd(wOdd(h3), xo, b3);
      j += 8;
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
    store<f32>(oo, s0);
    store<f32>(oo, s1, 4);
    store<f32>(oo, s2, 8);
    store<f32>(oo, s3, 12);
  }
  for (; r < m; r++) {
    const w0 = w + <usize>r * rowBytes;
    let a0 = f32x4.splat(0), b0 = f32x4.splat(0);
    let j = 0;
    for (; j < k8; j += 8) {
      const h0 = v128.load(w0 + (<usize>j << 1));
      a0 = fmadd(wEven(h0), v128.load(xs + (<usize>j << 2)), a0);
      b0 = fmadd(wOdd(h0), v128.load(xs + (<usize>j << 2), 16), b0);
    }
    let s0 = hsum(f32x4.add(a0, b0));
    for (; j < k; j++) s0 += h2f(load<u16>(w0 + (<usize>j << 1))) * load<f32>(x + (<usize>j << 2));
    store<f32>(out + (<usize>r << 2), s0);
  }
  return sink;
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** out[r] += Σ val[e] · x[col[e]] over the side list of rows [r0, r1) (out indexed by absolute row). */
export function f16_fixup(out: usize, rowPtr: usize, col: usize, val: usize, x: usize, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const e0 = load<i32>(rowPtr + (<usize>r << 2)), e1 = load<i32>(rowPtr + (<usize>(r + 1) << 2));
    if (e0 == e1) continue;
    let s: f32 = 0;
    for (let e = e0; e < e1; e++) s += load<f32>(val + (<usize>e << 2)) * load<f32>(x + (<usize>load<i32>(col + (<usize>e << 2)) << 2));
    store<f32>(out + (<usize>r << 2), load<f32>(out + (<usize>r << 2)) + s);
  }
}

/**
 * After a matvec + f16_fixup with non-finite x: rows whose side list meets an Inf/NaN x[col] got
 * 0 · Inf = NaN from the stored zero where the original subnormal gives ±Inf; recompute exactly
 * those rows with the original values (scalar, side-list values substituted; rare path).
 */
export function f16_fix_nonfinite(out: usize, w: usize, x: usize, k: i32, rowPtr: usize, col: usize, val: usize, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const e0 = load<i32>(rowPtr + (<usize>r << 2)), e1 = load<i32>(rowPtr + (<usize>(r + 1) << 2));
    let hit = false;
    for (let e = e0; e < e1; e++) {
      const xv = load<f32>(x + (<usize>load<i32>(col + (<usize>e << 2)) << 2));
      if (xv - xv != 0) hit = true;
    }
    if (!hit) continue;
    const row = w + ((<usize>r * <usize>k) << 1);
    let s: f32 = 0;
    let e = e0;
    for (let j = 0; j < k; j++) {
      let wv = h2f(load<u16>(row + (<usize>j << 1)));
      // Entries are in column order (f16_extract walks each row left to right).
      if (e < e1 && load<i32>(col + (<usize>e << 2)) == j) {
        wv = load<f32>(val + (<usize>e << 2));
        e++;
      }
      s += wv * load<f32>(x + (<usize>j << 2));
    }
    store<f32>(out + (<usize>r << 2), s);
  }
}

/**
 * Prefill matmul out[N, M] = X · Wᵀ over weight rows [r0, r1) of a prepared W, as matmul_f16
 * (core-matvec.ts): each group of four rows is widened once per token tile into `scratch` (16·K
 * bytes), and the side list's values are written over the zeros there, so the f32 rows are exactly
 * the original halves' and the results bit-identical to matmul_f16 on the original matrix (for any
 * X, Inf/NaN included). rowPtr = 0: no side list. r0 a multiple of 4 keeps the row grouping.
 */
export function matmul_f16_side_rows(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32, tile: i32, scratch: usize, rowPtr: usize, col: usize, val: usize, r0: i32, r1: i32): void {
  const rowBytes = <usize>k << 1;
  for (let t0 = 0; t0 < n; t0 += tile) {
    const t1 = min(n, t0 + tile);
    for (let r = r0; r < r1; r += 4) {
      const rows = min(4, r1 - r);
      f16_to_f32(scratch, w + <usize>r * rowBytes, rows * k);
      if (rowPtr != 0) {
        for (let i = 0; i < rows; i++) {
          const si = scratch + ((<usize>i * <usize>k) << 2);
          const e1 = load<i32>(rowPtr + (<usize>(r + i + 1) << 2));
          for (let e = load<i32>(rowPtr + (<usize>(r + i) << 2)); e < e1; e++) {
            store<f32>(si + (<usize>load<i32>(col + (<usize>e << 2)) << 2), load<f32>(val + (<usize>e << 2)));
          }
        }
      }
      matmulRows(out, x, scratch, t0, t1, r, rows, m, k);
    }
  }
}

/** Embedding rows of a prepared table: writes the side list's values into out[t, col] for each id. */
export function f16_embed_fix(out: usize, ids: usize, n: i32, d: i32, rowPtr: usize, col: usize, val: usize): void {
  for (let t = 0; t < n; t++) {
    const r = load<i32>(ids + (<usize>t << 2));
    const ot = out + ((<usize>t * <usize>d) << 2);
    const e1 = load<i32>(rowPtr + (<usize>(r + 1) << 2));
    for (let e = load<i32>(rowPtr + (<usize>r << 2)); e < e1; e++) {
      store<f32>(ot + (<usize>load<i32>(col + (<usize>e << 2)) << 2), load<f32>(val + (<usize>e << 2)));
    }
  }
}

/**
 * Rows [r0, r1) of a prepared matvec, fast kernel plus side list: out and w are the matrix's base
 * pointers (row r at out + 4r, w + 2kr); rowPtr = 0 when the side list is empty. The unit a
 * threaded caller splits (row ranges starting at multiples of 4 give bit-identical results).
 */
export function matvec_f16_prep_rows(out: usize, w: usize, xs: usize, x: usize, k: i32, rowPtr: usize, col: usize, val: usize, r0: i32, r1: i32): u32 {
  const touched = matvec_f16_fast(out + (<usize>r0 << 2), w + ((<usize>r0 * <usize>k) << 1), xs, x, r1 - r0, k);
  if (rowPtr != 0) f16_fixup(out, rowPtr, col, val, x, r0, r1);
  return touched;
}
