// BF16 weights (bfloat16: the high 16 bits of an f32, so widening is exact: bits << 16). A BF16
// matrix stays 2 bytes per element in memory. The dots widen 8 weights (one v128: four 32-bit lanes,
// each holding an even element in its low half and the next odd one in its high half) with two
// single-instruction ops: i32x4.shl(v, 16) gives the even elements as f32, v128.and(v, 0xffff0000)
// the odd ones; x is split to match with two f32 shuffles (shared by the four rows of dot4). A
// general i8x16.shuffle per half (the embedding's widening, which keeps element order) measured
// about 2× slower in the matvec loop (576×1536: 0.157 vs 0.074 ms; V8 lowers a two-operand byte
// shuffle to several instructions).
// Decode (N = 1, or no scratch): every output element (token i, row r) is computed by the same
// instructions whatever N, M or the row/token range a thread gets: rows in groups of four (dot4)
// then one at a time (dot1), so a split of rows at multiples of 4, or of tokens, is bit-identical.
// Prefill (N > 1 with scratch): like Q8_0, each group of four rows is widened once per token tile
// into 4·K f32 of scratch and run through the dense f32 register tile (matmulRows), so the widening
// is paid once per tile instead of once per token; threads split rows at multiples of 4
// (matmul_bf16_rows) with the same tile, which keeps it bit-identical too.
import { matmulRows } from './core-matvec';
import { fmadd } from './relaxed';

// @ts-ignore: decorator
@inline function lo8(v: v128): v128 {
  // (embedding) elements 0..3 of eight bf16 → f32 lanes (little endian: bytes 2,3 of each lane = the bf16)
  return v128.shuffle<u8>(i32x4.splat(0), v, 0, 0, 16, 17, 0, 0, 18, 19, 0, 0, 20, 21, 0, 0, 22, 23);
}

// @ts-ignore: decorator
@inline function hi8(v: v128): v128 {
  return v128.shuffle<u8>(i32x4.splat(0), v, 0, 0, 24, 25, 0, 0, 26, 27, 0, 0, 28, 29, 0, 0, 30, 31);
}

// @ts-ignore: decorator
@inline function even(v: v128): v128 {
  return i32x4.shl(v, 16);
}

// @ts-ignore: decorator
@inline function odd(v: v128): v128 {
  return v128.and(v, i32x4.splat(0xffff0000));
}

// @ts-ignore: decorator
@inline function bf(w: usize, j: i32): f32 {
  return reinterpret<f32>(<u32>load<u16>(w + (<usize>j << 1)) << 16);
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Σ_j W[row, j] · x[j] for one bf16 row. */
function dot1(w: usize, x: usize, k: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let j = 0;
  for (; j + 8 <= k; j += 8) {
    const v = v128.load(w + (<usize>j << 1));
    const xp = x + (<usize>j << 2);
    const x0 = v128.load(xp), x1 = v128.load(xp, 16);
    a0 = fmadd(even(v), v128.shuffle<f32>(x0, x1, 0, 2, 4, 6), a0);
    a1 = fmadd(odd(v), v128.shuffle<f32>(x0, x1, 1, 3, 5, 7), a1);
  }
  let s = hsum(f32x4.add(a0, a1));
  for (; j < k; j++) s += bf(w, j) * load<f32>(x + (<usize>j << 2));
  return s;
}

/** Four consecutive rows (stride rowBytes) against one x; x is loaded once per 8 columns. */
function dot4(w: usize, rowBytes: usize, x: usize, k: i32, out: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  const w1 = w + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
  let j = 0;
  for (; j + 8 <= k; j += 8) {
    const o = <usize>j << 1;
    const xp = x + (<usize>j << 2);
    const y0 = v128.load(xp), y1 = v128.load(xp, 16);
    const xe = v128.shuffle<f32>(y0, y1, 0, 2, 4, 6), xo = v128.shuffle<f32>(y0, y1, 1, 3, 5, 7);
    const va = v128.load(w + o), vb = v128.load(w1 + o), vc = v128.load(w2 + o), vd = v128.load(w3 + o);
    a0 = fmadd(even(va), xe, a0);
    a1 = fmadd(odd(va), xo, a1);
    b0 = fmadd(even(vb), xe, b0);
    b1 = fmadd(odd(vb), xo, b1);
    c0 = fmadd(even(vc), xe, c0);
    c1 = fmadd(odd(vc), xo, c1);
    d0 = fmadd(even(vd), xe, d0);
    d1 = fmadd(odd(vd), xo, d1);
  }
  // same reduction order as dot1, so a row's value does not depend on its group
  let sa = hsum(f32x4.add(a0, a1)), sb = hsum(f32x4.add(b0, b1));
  let sc = hsum(f32x4.add(c0, c1)), sd = hsum(f32x4.add(d0, d1));
  for (; j < k; j++) {
    const xv = load<f32>(x + (<usize>j << 2));
    sa += bf(w, j) * xv;
    sb += bf(w1, j) * xv;
    sc += bf(w2, j) * xv;
    sd += bf(w3, j) * xv;
  }
  store<f32>(out, sa);
  store<f32>(out, sb, 4);
  store<f32>(out, sc, 8);
  store<f32>(out, sd, 12);
}

/**
 * out[N, M] = X[N, K] · W[M, K]ᵀ for a bf16 W (N = 1 is the decode matvec). The unused scratch/tile
 * arguments keep the signature of the other quantized kernels (assembly/quant.ts), so the JS side
 * and the thread split treat bf16 like them.
 */
export function matmul_bf16(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32, scratch: usize, tile: i32): void {
  if (n > 1 && scratch != 0) {
    matmul_bf16_rows(out, x, w, n, m, k, scratch, tile, 0, m);
    return;
  }
  const rowBytes = <usize>k << 1;
  let r = 0;
  for (; r + 4 <= m; r += 4) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) dot4(wr, rowBytes, x + ((<usize>i * k) << 2), k, out + ((<usize>i * m + r) << 2));
  }
  for (; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i * m + r) << 2), dot1(wr, x + ((<usize>i * k) << 2), k));
  }
}

/** Rows [r0, r1) of the prefill path (r0 a multiple of 4); scratch: 4·K f32 private to the caller. */
export function matmul_bf16_rows(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32, scratch: usize, tile: i32, r0: i32, r1: i32): void {
  const rowBytes = <usize>k << 1;
  for (let t0 = 0; t0 < n; t0 += tile) {
    const t1 = min(n, t0 + tile);
    for (let r = r0; r < r1; r += 4) {
      const rows = min(4, r1 - r);
      widen(scratch, w + <usize>r * rowBytes, rows * k);
      matmulRows(out, x, scratch, t0, t1, r, rows, m, k);
    }
  }
}

/** dst[j] = f32(src[j]) for n bf16 values (exact, order kept). */
function widen(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const v = v128.load(src + (<usize>j << 1));
    v128.store(dst + (<usize>j << 2), lo8(v));
    v128.store(dst + (<usize>j << 2), hi8(v), 16);
  }
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), bf(src, j));
}

/** out[i, :] = f32(table[ids[i], :]) for a bf16 table (exact). */
export function embedding_bf16(out: usize, table: usize, ids: usize, n: i32, d: i32): void {
  for (let i = 0; i < n; i++) {
    const src = table + ((<usize>load<i32>(ids + (<usize>i << 2)) * <usize>d) << 1);
    const dst = out + ((<usize>i * <usize>d) << 2);
    let j = 0;
    for (; j + 8 <= d; j += 8) {
      const v = v128.load(src + (<usize>j << 1));
      v128.store(dst + (<usize>j << 2), lo8(v));
      v128.store(dst + (<usize>j << 2), hi8(v), 16);
    }
    for (; j < d; j++) store<f32>(dst + (<usize>j << 2), bf(src, j));
  }
}
