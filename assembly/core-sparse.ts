// Unstructured-sparse matvec out[M] = S[M, K] · x[K] on the layouts built by
// src/backends/wasm/sparse.ts. Values are always exact f32 (no quantisation), so results match the
// reference CSR product up to summation order. Layout choice and measurements: docs/sparse-matvec.md.

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * x for csr16 is staged at the fixed address 0 (the build keeps [0, 262144) free below the data
 * segments with --memoryBase, for this and the other stagings below), so a u16 byte offset read from
 * memory is the whole address: each gathered load is one `[mem + offset]` access with no add
 * (docs/sparse-matvec.md).
 */
export function stage_x0(x: usize, k: i32): void {
  memory.copy(0, x, <usize>k << 2);
}

/** [a0[0], a1[1], a2[2], a3[3]] as three 32-bit-lane blends (each one vpblendw on x64). */
// @ts-ignore: decorator
@inline function blend4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const lo = i8x16.shuffle(a0, a1, 0, 1, 2, 3, 20, 21, 22, 23, 8, 9, 10, 11, 12, 13, 14, 15);
  const hi = i8x16.shuffle(a2, a3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 28, 29, 30, 31);
  return i8x16.shuffle(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 24, 25, 26, 27, 28, 29, 30, 31);
}

/**
 * x at the four u16 byte offsets packed in w0, w1 (low half first), x staged at a fixed address so
 * an offset is the whole address. Offsets come two per u32 load (low half by a zero-extending move,
 * high half by a shift): the loop is bound by load µops (index, x, value), and the split costs ALU
 * µops instead. Lane 0 by a zeroing load, lanes 1–3 by broadcast loads merged with blends (blend4):
 * a broadcast is a pure load µop and a 32-bit blend runs on two ports, where a lane-insert load also
 * needs the one shuffle port.
 */
// @ts-ignore: decorator
@inline function gather4w(w0: u32, w1: u32): v128 {
  return blend4(
    v128.load32_zero(<usize>(w0 & 0xffff)), v128.load32_splat(<usize>(w0 >>> 16)),
    v128.load32_splat(<usize>(w1 & 0xffff)), v128.load32_splat(<usize>(w1 >>> 16)));
}

/**
 * CSR with u16 *byte* offsets into x (col · 4; needs K ≤ 16384): rowPtr u32[M + 1], off u16[nnz],
 * val f32[nnz]; x must be staged first (stage_x0). Eight non-zeros per step, two accumulators.
 */
export function spmv_csr16(out: usize, rowPtr: usize, off: usize, val: usize, m: i32): void {
  for (let r = 0; r < m; r++) {
    let p = load<u32>(rowPtr + (<usize>r << 2));
    const end = load<u32>(rowPtr + (<usize>r << 2), 4);
    let acc = f32x4.splat(0), acc2 = f32x4.splat(0);
    let ip = off + (<usize>p << 1);
    let vp = val + (<usize>p << 2);
    for (; p + 8 <= end; p += 8, ip += 16, vp += 32) {
      // Offsets two per u32 load at literal immediates (folded into the address), see gather4w.
      const g = gather4w(load<u32>(ip), load<u32>(ip, 4));
      const h = gather4w(load<u32>(ip, 8), load<u32>(ip, 12));
      acc = f32x4.add(acc, f32x4.mul(v128.load(vp), g));
      acc2 = f32x4.add(acc2, f32x4.mul(v128.load(vp, 16), h));
    }
    let s = hsum(f32x4.add(acc, acc2));
    for (; p < end; p++, ip += 2, vp += 4) s += load<f32>(vp) * load<f32>(<usize>load<u16>(ip));
    store<f32>(out + (<usize>r << 2), s);
  }
}

/**
 * csr16n stages x four times, at 0, 16384, 32768 and 49152 (K ≤ 4096, so one copy is ≤ 16 KB): an
 * offset's two spare top bits then select a copy holding the same value, and the kernel uses every
 * offset as the address without masking those bits (they carry the row lengths, spmv_csr16n).
 */
export function stage_x4(x: usize, k: i32): void {
  const n = <usize>k << 2;
  memory.copy(0, x, n);
  memory.copy(16384, x, n);
  memory.copy(32768, x, n);
  memory.copy(49152, x, n);
}

/** A csr16n row's length: Σ_j (off[j] >> 14) · 4^j over its first eight offsets, one i16x8 dot product. */
// @ts-ignore: decorator
@inline function csr16nRowLength(ip: usize): i32 {
  const d = i32x4.dot_i16x8_s(i16x8.shr_u(v128.load(ip), 14), i16x8(1, 4, 16, 64, 256, 1024, 4096, 16384));
  return i32x4.extract_lane(d, 0) + i32x4.extract_lane(d, 1) + i32x4.extract_lane(d, 2) + i32x4.extract_lane(d, 3);
}

/**
 * csr16 with no row pointers ("n"): off u16[nnz] holds byte offsets 4·col (K ≤ 4096, so bits 0–13)
 * and val f32[nnz] the values, rows one after another; every row has ≥ 8 entries and its length is
 * spread over the top two bits of its first eight offsets (bits 2j, 2j+1 of the length in entry j).
 * 6 bytes per entry and nothing else. x must be staged with stage_x4. Rows r0.. of a split run
 * alone with off + 2·p0, val + 4·p0 (p0 = entries before row r0) and out + 4·r0.
 */
export function spmv_csr16n(out: usize, off: usize, val: usize, m: i32): void {
  let ip = off, vp = val;
  for (let r = 0; r < m; r++) {
    const end = ip + (<usize>csr16nRowLength(ip) << 1);
    let acc = f32x4.splat(0), acc2 = f32x4.splat(0);
    for (; ip + 16 <= end; ip += 16, vp += 32) {
      const g = gather4w(load<u32>(ip), load<u32>(ip, 4));
      const h = gather4w(load<u32>(ip, 8), load<u32>(ip, 12));
      acc = f32x4.add(acc, f32x4.mul(v128.load(vp), g));
      acc2 = f32x4.add(acc2, f32x4.mul(v128.load(vp, 16), h));
    }
    let s = hsum(f32x4.add(acc, acc2));
    for (; ip < end; ip += 2, vp += 4) s += load<f32>(vp) * load<f32>(<usize>load<u16>(ip));
    store<f32>(out + (<usize>r << 2), s);
  }
}

/**
 * Rows of X[N, K] for spmm, up to four at a time, staged transposed: column c's four values
 * (tokens t0..t0+3, zeros past N) as one 16-byte vector at 16·c, in four copies at 0, 65536,
 * 131072 and 196608 (K ≤ 4096; the build reserves [0, 262144)). A csr16 / csr16n byte offset
 * 4·c shifted left by two is then the address of column c's vector, and csr16n's row-length bits
 * in the top of an offset only pick a copy.
 */
export function stage_xt4(x: usize, k: i32, n: i32): void {
  for (let c = 0; c < k; c++) {
    const col = x + (<usize>c << 2);
    const rowBytes = <usize>k << 2;
    const a = load<f32>(col); // n ≥ 1
    const b = n > 1 ? load<f32>(col + rowBytes) : 0;
    const d = n > 2 ? load<f32>(col + 2 * rowBytes) : 0;
    const e = n > 3 ? load<f32>(col + 3 * rowBytes) : 0;
    v128.store(<usize>c << 4, f32x4(a, b, d, e));
  }
  const bytes = <usize>k << 4;
  memory.copy(65536, 0, bytes);
  memory.copy(131072, 0, bytes);
  memory.copy(196608, 0, bytes);
}

/** out[t · ldo + r] = lane t of acc for t < n (the tile's valid tokens). */
// @ts-ignore: decorator
@inline function storeTokens(out: usize, r: i32, ldo: i32, n: i32, acc: v128): void {
  const o = out + (<usize>r << 2);
  const step = <usize>ldo << 2;
  store<f32>(o, f32x4.extract_lane(acc, 0));
  if (n > 1) store<f32>(o + step, f32x4.extract_lane(acc, 1));
  if (n > 2) store<f32>(o + 2 * step, f32x4.extract_lane(acc, 2));
  if (n > 3) store<f32>(o + 3 * step, f32x4.extract_lane(acc, 3));
}

/**
 * Σ_p val[p] · xT[off[p]] over entries [ip, end) of a csr16 / csr16n row, four tokens per lane
 * vector (x staged by stage_xt4): a broadcast value times one 16-byte load per entry, offsets two
 * per u32 load. Four entries per step, two accumulators.
 */
// @ts-ignore: decorator
@inline function rowTokens4(ip: usize, vp: usize, end: usize): v128 {
  let acc = f32x4.splat(0), acc2 = f32x4.splat(0);
  for (; ip + 8 <= end; ip += 8, vp += 16) {
    const w0 = load<u32>(ip), w1 = load<u32>(ip, 4);
    acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(vp), v128.load(<usize>(w0 & 0xffff) << 2)));
    acc2 = f32x4.add(acc2, f32x4.mul(v128.load32_splat(vp, 4), v128.load(<usize>(w0 >>> 16) << 2)));
    acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(vp, 8), v128.load(<usize>(w1 & 0xffff) << 2)));
    acc2 = f32x4.add(acc2, f32x4.mul(v128.load32_splat(vp, 12), v128.load(<usize>(w1 >>> 16) << 2)));
  }
  for (; ip < end; ip += 2, vp += 4) acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(vp), v128.load(<usize>load<u16>(ip) << 2)));
  return f32x4.add(acc, acc2);
}

/**
 * spmm tile on csr16: out[t · ldo + r] = Σ_p val[p] · X[t, col p] for the n ≤ 4 tokens staged by
 * stage_xt4, rows 0..m-1 of (rowPtr, off, val). Rows r0.. of a split run alone with out + 4·r0 and
 * rowPtr + 4·r0.
 */
export function spmm_csr16(out: usize, rowPtr: usize, off: usize, val: usize, m: i32, n: i32, ldo: i32): void {
  for (let r = 0; r < m; r++) {
    const p = <usize>load<u32>(rowPtr + (<usize>r << 2));
    const end = <usize>load<u32>(rowPtr + (<usize>r << 2), 4);
    storeTokens(out, r, ldo, n, rowTokens4(off + (p << 1), val + (p << 2), off + (end << 1)));
  }
}

/** The same on csr16n (row lengths decoded as in spmv_csr16n); a split passes off + 2·p0, val + 4·p0. */
export function spmm_csr16n(out: usize, off: usize, val: usize, m: i32, n: i32, ldo: i32): void {
  let ip = off, vp = val;
  for (let r = 0; r < m; r++) {
    const len = <usize>csr16nRowLength(ip);
    storeTokens(out, r, ldo, n, rowTokens4(ip, vp, ip + (len << 1)));
    ip += len << 1;
    vp += len << 2;
  }
}

/** General CSR with u32 column indices (any K): rowPtr u32[M + 1], col u32[nnz], val f32[nnz]. */
export function spmv_csr32(out: usize, rowPtr: usize, col: usize, val: usize, x: usize, m: i32): void {
  for (let r = 0; r < m; r++) {
    let p = load<u32>(rowPtr + (<usize>r << 2));
    const end = load<u32>(rowPtr + (<usize>r << 2), 4);
    let acc = f32x4.splat(0);
    for (; p + 4 <= end; p += 4) {
      const ip = col + (<usize>p << 2);
      let g = v128.load32_zero(x + (<usize>load<u32>(ip) << 2));
      g = v128.load32_lane(x + (<usize>load<u32>(ip, 4) << 2), g, 1);
      g = v128.load32_lane(x + (<usize>load<u32>(ip, 8) << 2), g, 2);
      g = v128.load32_lane(x + (<usize>load<u32>(ip, 12) << 2), g, 3);
      acc = f32x4.add(acc, f32x4.mul(v128.load(val + (<usize>p << 2)), g));
    }
    let s = hsum(acc);
    for (; p < end; p++) s += load<f32>(val + (<usize>p << 2)) * load<f32>(x + (<usize>load<u32>(col + (<usize>p << 2)) << 2));
    store<f32>(out + (<usize>r << 2), s);
  }
}

/**
 * Stage x[K] for win16: block b's 255 columns at xs + 1024·b (slot c + ⌊c/255⌋ for column c), and
 * slot 255 of every block = 0, so every run of 256 consecutive slots holds exactly one zero.
 */
export function stage_x_blk(xs: usize, x: usize, k: i32): void {
  const nb = (k + 254) / 255;
  for (let b = 0; b < nb; b++) {
    const c0 = b * 255;
    const n = min(255, k - c0);
    memory.copy(xs + (<usize>b << 10), x + (<usize>c0 << 2), <usize>n << 2);
    memory.fill(xs + (<usize>b << 10) + (<usize>n << 2), 0, <usize>(256 - n) << 2);
  }
}

/** x at slot xb + 4·off for a u8 offset (win16's window address; one scaled lea + the load). */
// @ts-ignore: decorator
@inline function slot(xb: usize, off: u8): usize {
  return xb + (<usize>off << 2);
}

/**
 * Windowed chunks ("win16"): each row is a flat run of chunks of sixteen entries, then a tail of up
 * to four groups of four. A chunk's (or tail's) entries lie in one window of 256 consecutive slots of
 * the staged x (stage_x_blk), named by a u16 base slot; each entry is a u8 offset into the window plus
 * its exact f32 value. Padding entries (a chunk cut short because the next entry falls outside the
 * window; the last group of the tail) point at the window's one zero slot with value +0, so they add
 * exactly +0 whatever x holds (0·Inf never happens). 5.125 bytes per entry + padding.
 * - chunk c: an 80-byte record at rec + 80·c (16 f32 values, then 16 u8 offsets: 16-byte aligned
 *   value loads) and base u16[c]; chunkPtr u32[M + 1] (absolute chunk numbers);
 * - tail group g: a 20-byte record at tail + 20·g (4 f32 values, 4 u8 offsets); tailPtr u32[M + 1];
 *   the tail of row r uses window base tailBase u16[r].
 * Rows r0..r0+m-1 run alone with out + 4·r0, chunkPtr + 4·r0, tailPtr + 4·r0, tailBase + 2·r0.
 */
export function spmv_win16(out: usize, chunkPtr: usize, rec: usize, base: usize, tailPtr: usize, tail: usize, tailBase: usize, xs: usize, m: i32): void {
  for (let r = 0; r < m; r++) {
    const c0 = <usize>load<u32>(chunkPtr + (<usize>r << 2));
    let p = rec + c0 * 80;
    let q = base + (c0 << 1);
    const end = rec + <usize>load<u32>(chunkPtr + (<usize>r << 2), 4) * 80;
    let acc = f32x4.splat(0), acc2 = f32x4.splat(0);
    for (; p < end; p += 80, q += 2) {
      const xb = xs + (<usize>load<u16>(q) << 2);
      // Gathers as in spmv_csr16 (zeroing load + broadcasts + blend4), offsets as literal immediates.
      const g0 = blend4(
        v128.load32_zero(slot(xb, load<u8>(p, 64))), v128.load32_splat(slot(xb, load<u8>(p, 65))),
        v128.load32_splat(slot(xb, load<u8>(p, 66))), v128.load32_splat(slot(xb, load<u8>(p, 67))));
      const g1 = blend4(
        v128.load32_zero(slot(xb, load<u8>(p, 68))), v128.load32_splat(slot(xb, load<u8>(p, 69))),
        v128.load32_splat(slot(xb, load<u8>(p, 70))), v128.load32_splat(slot(xb, load<u8>(p, 71))));
      const g2 = blend4(
        v128.load32_zero(slot(xb, load<u8>(p, 72))), v128.load32_splat(slot(xb, load<u8>(p, 73))),
        v128.load32_splat(slot(xb, load<u8>(p, 74))), v128.load32_splat(slot(xb, load<u8>(p, 75))));
      const g3 = blend4(
        v128.load32_zero(slot(xb, load<u8>(p, 76))), v128.load32_splat(slot(xb, load<u8>(p, 77))),
        v128.load32_splat(slot(xb, load<u8>(p, 78))), v128.load32_splat(slot(xb, load<u8>(p, 79))));
      acc = f32x4.add(acc, f32x4.mul(v128.load(p), g0));
      acc2 = f32x4.add(acc2, f32x4.mul(v128.load(p, 16), g1));
      acc = f32x4.add(acc, f32x4.mul(v128.load(p, 32), g2));
      acc2 = f32x4.add(acc2, f32x4.mul(v128.load(p, 48), g3));
    }
    let g = tail + <usize>load<u32>(tailPtr + (<usize>r << 2)) * 20;
    const gend = tail + <usize>load<u32>(tailPtr + (<usize>r << 2), 4) * 20;
    const xt = xs + (<usize>load<u16>(tailBase + (<usize>r << 1)) << 2);
    for (; g < gend; g += 20) {
      const t = blend4(
        v128.load32_zero(slot(xt, load<u8>(g, 16))), v128.load32_splat(slot(xt, load<u8>(g, 17))),
        v128.load32_splat(slot(xt, load<u8>(g, 18))), v128.load32_splat(slot(xt, load<u8>(g, 19))));
      acc = f32x4.add(acc, f32x4.mul(v128.load(g), t));
    }
    store<f32>(out + (<usize>r << 2), hsum(f32x4.add(acc, acc2)));
  }
}

/**
 * Stage x[K] for word8: blocks of 127 columns, each followed by one zero column, and every column as
 * the pair (x, −x) — column c's pair at xs + 8·(c + ⌊c/127⌋) — so a word's low byte (2·offset +
 * sign) scaled by 4 is the address of its signed x, and every 128 consecutive columns hold a zero.
 */
export function stage_x_word8(xs: usize, x: usize, k: i32): void {
  let p = xs;
  for (let c = 0; c < k; c++) {
    const v = load<f32>(x + (<usize>c << 2));
    store<f32>(p, v);
    store<f32>(p, -v, 4);
    p += 8;
    if (c % 127 == 126) {
      store<u64>(p, 0);
      p += 8;
    }
  }
  store<u64>(p, 0); // the last block's zero column (and a spare when k is a multiple of 127)
}

/**
 * How far ahead spmv_word8 touches its words: one 4 KiB page. The hardware prefetchers stop at page
 * boundaries, and each new page of the word stream then stalled the gathers that wait on it (the
 * words carry the gather addresses); touching a page early starts its walk and its prefetch. Cold
 * (out-of-cache) time of the SmolLM2-shaped linears: 18.3 → 13.1 ms, Node (docs/sparse-matvec.md).
 */
const WORD8_TOUCH: usize = 4096;

/**
 * word8: every entry is one 32-bit word. Its low byte is 2·offset + sign, where offset (0–127) is the
 * entry's column in a 128-column window of x staged as (x, −x) pairs (stage_x_word8), so the byte ·4
 * addresses the signed x with one scaled add; bits 8–30 are the value's mantissa and bit 31 its
 * exponent's offset (0/1) from the matrix's exponent base `ebase`: |value| = decoded word. Values
 * outside the base's two binades (and zeros, subnormals, Inf/NaN) are exceptions, exact
 * (row, column, value) records added after the rows (word8Exceptions). A row is a run of groups of
 * eight words sharing one window, which starts at staged column base u16[g] (an absolute column,
 * not a delta from the previous group: a running sum would chain every group's gathers to the
 * previous group's base load); padding words point at the window's nearest zero column. groups u16[M] = groups per row. ~4.25 B per entry. Rows r0..
 * of a split run alone with out + 4·r0, groups + 2·r0, base + 2·g0, words + 32·g0 (g0 = groups
 * before row r0) and the exception records of its rows (exc + 12·e0, their count, r0); wend is the
 * end of the whole words array (a page-ahead touch stays below it).
 */
export function spmv_word8(out: usize, groups: usize, base: usize, words: usize, wend: usize, xs: usize, ebase: i32, m: i32, exc: usize, nexc: i32, x: usize, r0: i32): void {
  const exp = i32x4.splat(ebase << 23);
  let wp = words, bp = base;
  for (let r = 0; r < m; r++) {
    const end = bp + (<usize>load<u16>(groups + (<usize>r << 1)) << 1);
    let acc = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0), acc4 = f32x4.splat(0);
    // Two groups per step (less loop overhead, four accumulators), then the odd one.
    for (; bp + 4 <= end; bp += 4, wp += 64) {
      load<u8>(min(wp + WORD8_TOUCH, wend - 1)); // see WORD8_TOUCH
      const xb = xs + (<usize>load<u16>(bp) << 3), xb2 = xs + (<usize>load<u16>(bp, 2) << 3);
      acc = f32x4.add(acc, f32x4.mul(word8Values(v128.load(wp), exp), word8Gather(xb, wp)));
      acc2 = f32x4.add(acc2, f32x4.mul(word8Values(v128.load(wp, 16), exp), word8Gather(xb, wp + 16)));
      acc3 = f32x4.add(acc3, f32x4.mul(word8Values(v128.load(wp, 32), exp), word8Gather(xb2, wp + 32)));
      acc4 = f32x4.add(acc4, f32x4.mul(word8Values(v128.load(wp, 48), exp), word8Gather(xb2, wp + 48)));
    }
    if (bp < end) {
      const xb = xs + (<usize>load<u16>(bp) << 3);
      acc = f32x4.add(acc, f32x4.mul(word8Values(v128.load(wp), exp), word8Gather(xb, wp)));
      acc2 = f32x4.add(acc2, f32x4.mul(word8Values(v128.load(wp, 16), exp), word8Gather(xb, wp + 16)));
      bp += 2;
      wp += 32;
    }
    store<f32>(out + (<usize>r << 2), hsum(f32x4.add(f32x4.add(acc, acc2), f32x4.add(acc3, acc4))));
  }
  word8Exceptions(out, exc, nexc, x, r0);
}

/** |value| of four word8 words: mantissa (bits 8–30) and exponent offset (bit 31) shifted into place, plus the exponent base. */
// @ts-ignore: decorator
@inline function word8Values(v: v128, exp: v128): v128 {
  return i32x4.add(i32x4.shr_u(v, 8), exp);
}

/** Signed x of the four words at wp: each low byte (2·offset + sign) · 4 is its pair's address from the window start xb. */
// @ts-ignore: decorator
@inline function word8Gather(xb: usize, wp: usize): v128 {
  return blend4(
    v128.load32_zero(xb + (<usize>load<u8>(wp) << 2)), v128.load32_splat(xb + (<usize>load<u8>(wp, 4) << 2)),
    v128.load32_splat(xb + (<usize>load<u8>(wp, 8) << 2)), v128.load32_splat(xb + (<usize>load<u8>(wp, 12) << 2)));
}

/**
 * word8's exceptions, added after the rows are written: records of (row u32, column u32, value f32)
 * at exc, sorted by row; out[row − r0] += value · x[column] for each of the n records.
 */
// @ts-ignore: decorator
@inline function word8Exceptions(out: usize, exc: usize, n: i32, x: usize, r0: i32): void {
  for (let i = 0; i < n; i++) {
    const e = exc + <usize>i * 12;
    const o = out + (<usize>(load<u32>(e) - r0) << 2);
    store<f32>(o, load<f32>(o) + load<f32>(e, 8) * load<f32>(x + (<usize>load<u32>(e, 4) << 2)));
  }
}

/**
 * Rows of X[N, K] for spmm on word8, up to four at a time: column c's four values (tokens t0..t0+3,
 * zeros past N) as one 16-byte vector, followed by its negation, at xs + 32·(c + ⌊c/127⌋) — the
 * (x, −x) pairs of stage_x_word8 with a vector per token tile — and a zero pair after every 127
 * columns and after the last, so a word's low byte · 16 addresses its signed column vector.
 */
export function stage_xt_word8(xs: usize, x: usize, k: i32, n: i32): void {
  const rowBytes = <usize>k << 2;
  let p = xs;
  for (let c = 0; c < k; c++) {
    const col = x + (<usize>c << 2);
    const a = load<f32>(col); // n ≥ 1
    const b = n > 1 ? load<f32>(col + rowBytes) : 0;
    const d = n > 2 ? load<f32>(col + 2 * rowBytes) : 0;
    const e = n > 3 ? load<f32>(col + 3 * rowBytes) : 0;
    const v = f32x4(a, b, d, e);
    v128.store(p, v);
    v128.store(p, f32x4.neg(v), 16);
    p += 32;
    if (c % 127 == 126) {
      v128.store(p, i32x4.splat(0));
      v128.store(p, i32x4.splat(0), 16);
      p += 32;
    }
  }
  v128.store(p, i32x4.splat(0));
  v128.store(p, i32x4.splat(0), 16);
}

/** Σ over word8 group entries of |value| (lane j of vals) times the signed column vector its low byte addresses. */
// @ts-ignore: decorator
@inline function word8Tokens4(acc: v128, xb: usize, wp: usize, vals: v128): v128 {
  acc = f32x4.add(acc, f32x4.mul(i32x4.shuffle(vals, vals, 0, 0, 0, 0), v128.load(xb + (<usize>load<u8>(wp) << 4))));
  acc = f32x4.add(acc, f32x4.mul(i32x4.shuffle(vals, vals, 1, 1, 1, 1), v128.load(xb + (<usize>load<u8>(wp, 4) << 4))));
  acc = f32x4.add(acc, f32x4.mul(i32x4.shuffle(vals, vals, 2, 2, 2, 2), v128.load(xb + (<usize>load<u8>(wp, 8) << 4))));
  return f32x4.add(acc, f32x4.mul(i32x4.shuffle(vals, vals, 3, 3, 3, 3), v128.load(xb + (<usize>load<u8>(wp, 12) << 4))));
}

/**
 * spmm tile on word8: out[t · ldo + r] = Σ_p val[p] · X[t, col p] for the n ≤ 4 tokens staged by
 * stage_xt_word8, rows 0..m-1, then the exceptions. A split passes out + 4·r0, groups + 2·r0,
 * base + 2·g0, words + 32·g0 and its rows' exception records like spmv_word8.
 */
export function spmm_word8(out: usize, groups: usize, base: usize, words: usize, xs: usize, ebase: i32, m: i32, n: i32, ldo: i32, exc: usize, nexc: i32, x: usize, k: i32, r0: i32): void {
  const exp = i32x4.splat(ebase << 23);
  let wp = words, bp = base;
  for (let r = 0; r < m; r++) {
    const end = bp + (<usize>load<u16>(groups + (<usize>r << 1)) << 1);
    let acc = f32x4.splat(0), acc2 = f32x4.splat(0);
    for (; bp < end; bp += 2, wp += 32) {
      const xb = xs + (<usize>load<u16>(bp) << 5);
      acc = word8Tokens4(acc, xb, wp, word8Values(v128.load(wp), exp));
      acc2 = word8Tokens4(acc2, xb, wp + 16, word8Values(v128.load(wp, 16), exp));
    }
    storeTokens(out, r, ldo, n, f32x4.add(acc, acc2));
  }
  // the exceptions for each of the n tokens (x: the tile's rows of X, K wide)
  for (let t = 0; t < n; t++) word8Exceptions(out + (<usize>(t * ldo) << 2), exc, nexc, x + (<usize>(t * k) << 2), r0);
}
