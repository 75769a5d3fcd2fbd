/**
 * How the wasm backend's linear layers split across the thread pool (./threads.ts). Every split is
 * by output rows or by tokens, never inside a dot product, and row ranges start at multiples of 4
 * (the kernels' row-group size), so each output element is computed by the same instructions as in
 * the one-thread call: results are bit-identical for any thread count (test/kernels/threads-wasm.test.ts).
 *
 *  - matvec (N = 1), every weight dtype: rows [r0, r1) = the same kernel on out + r0, W + r0 rows.
 *  - matmul f32 / Q8_0 / BF16 (N > 1): the *_rows entry points of assembly/threads.ts and
 *    assembly/bf16.ts (W rows, stride M).
 *  - f16 weights: ./f16.ts prepares them (subnormal side list) and splits its own kernels through
 *    `rowRunner` (matvec) and `scratchRowRunner` (matmul) below.
 *  - matmul Q4_0 / Q4_1 / Q5_0 / Q5_1 / IQ4_NL / IQ4_XS / Q2_K…Q6_K (N > 1): W rows [r0, r1) of assembly/quant.ts
 *    matmul_quant_tiled (four-row groups dequantized into a private scratch, stride M), like Q8_0.
 *  - spmv (sparse matvec), every layout: rows [r0, r1), balanced by stored entries rather than rows
 *    (threadedSpmv below). Each row is one independent dot, so any cut is bit-identical.
 *  - dense attention: (row, head) pairs [p0, p1) (threadedDenseAttention): each pair's online
 *    softmax runs whole on one thread, with its own scratch.
 * Ops whose work is below `minSplitWork` multiply-adds run on the calling thread alone: waking helpers
 * costs a few µs, more than a small matvec takes.
 */
import type { Tensor } from '../backend.ts';
import * as v from '../validate.ts';
import type { WasmBackend, WasmTensor } from './backend.ts';
import type { ThreadPool } from './threads.ts';
import { splitRange } from './threads.ts';
import { matmulTokenTile } from './matmul-tile.ts';
import { KERNELS, SLICE_SUMS, TILED, int8Kernel, withInt8Activations } from './quant.ts';
import { csr16nRowLengths } from './sparse.ts';

type Fn = (...args: number[]) => void;

/** Row-split a matvec / matmul over the pool. False when it is too small (caller runs it alone). */
export function threadedLinear(b: WasmBackend, pool: ThreadPool, op: string, out: Tensor, x: Tensor, w: Tensor, n: number, m: number, k: number): boolean {
  const dt = w.dtype;
  // f16 weights are "prepared" (subnormals moved to a side list, ./f16.ts) and go through
  // matvecF16's row runner instead (f16RowRunner below); own(op) here would undo the preparation.
  if (dt === 'f16' || n * m * k < b.minSplitWork || m === 0 || n === 0) return false;
  const o = b.ptr(op, out), xp = b.ptr(op, x), wp = b.ptr(op, w);
  const fn = (name: string) => b.k[name] as Fn;
  if (n === 1) {
    const ranges = splitRange(m, pool.parts, 4);
    if (ranges.length < 2) return false;
    const rowBytes = v.storageBytes(dt, [1, k]);
    if (dt === 'f32') {
      run(pool, 'matvec_f32', fn('matvec_f32'), ranges.map(([r0, r1]) => [o + 4 * r0, wp + rowBytes * r0, xp, r1 - r0, k]));
      return true;
    }
    const int8 = b.int8Activations ? int8Kernel(w) : undefined;
    if (int8) {
      // x quantized once on the calling thread, its blocks shared (read-only) by every part
      withInt8Activations(b, dt, xp, k, (y) => run(pool, int8, fn(int8), ranges.map(([r0, r1]) => [o + 4 * r0, y, wp + rowBytes * r0, r1 - r0, k])));
      return true;
    }
    const name = KERNELS[dt];
    if (!name) return false;
    const width = SLICE_SUMS[dt];
    if (width) {
      // Q4_K / Q5_K / Q2_K: per-slice sums of x (K/width floats), private per part
      return withScratches(b, 4 * (k / width), ranges.length, (s) => {
        run(pool, name, fn(name), ranges.map(([r0, r1], i) => [o + 4 * r0, xp, wp + rowBytes * r0, 1, r1 - r0, k, s[i], 0]));
        return true;
      });
    }
    run(pool, name, fn(name), ranges.map(([r0, r1]) => [o + 4 * r0, xp, wp + rowBytes * r0, 1, r1 - r0, k, 0, 0]));
    return true;
  }
  const tile = matmulTokenTile(n, k);
  const code = TILED[dt];
  if (dt !== 'f32' && dt !== 'q8_0' && dt !== 'bf16' && !code) return false;
  const ranges = splitRange(m, pool.parts, 4);
  if (ranges.length < 2) return false;
  if (dt === 'f32') {
    run(pool, 'matmul_f32_rows', fn('matmul_f32_rows'), ranges.map(([r0, r1]) => [o, xp, wp, n, m, k, tile, r0, r1]));
    return true;
  }
  // the block types widen four weight rows at a time into a private 4·K f32 block: Q8_0 / BF16 with
  // their own row kernels, the other block types with matmul_quant_tiled (the type a leading code)
  const name = code ? 'matmul_quant_tiled' : dt === 'bf16' ? 'matmul_bf16_rows' : 'matmul_q8_0_rows';
  return withScratches(b, 16 * k, ranges.length, (s) => {
    run(pool, name, fn(name), ranges.map(([r0, r1], i) => [...(code ? [code] : []), o, xp, wp, n, m, k, s[i], tile, r0, r1]));
    return true;
  });
}

/**
 * A row runner for ./f16.ts (its RowRunner type): splits [0, m) at multiples of 4 over the pool,
 * or runs on the calling thread when the op is small or there is no pool.
 */
export function rowRunner(b: WasmBackend, work: number): (name: string, m: number, args: (r0: number, r1: number) => number[]) => void {
  return (name, m, args) => {
    const fn = b.k[name] as Fn;
    const ranges = b.pool && work >= b.minSplitWork ? splitRange(m, b.pool.parts, 4) : [];
    if (ranges.length < 2) return fn(...args(0, m));
    run(b.pool!, name, fn, ranges.map(([r0, r1]) => args(r0, r1)));
  };
}

/**
 * A row runner with a private scratch block per part, for ./f16.ts's ScratchRowRunner
 * (matmulF16: each part widens its own four-row groups into `scratchBytes`).
 */
export function scratchRowRunner(b: WasmBackend, work: number): (name: string, m: number, args: (r0: number, r1: number, scratch: number) => number[], scratchBytes: number) => void {
  return (name, m, args, bytes) => {
    const fn = b.k[name] as Fn;
    const ranges = b.pool && work >= b.minSplitWork ? splitRange(m, b.pool.parts, 4) : [];
    if (ranges.length < 2) return b.withScratch(bytes, (s) => fn(...args(0, m, s)));
    withScratches(b, bytes, ranges.length, (s) => run(b.pool!, name, fn, ranges.map(([r0, r1], i) => args(r0, r1, s[i]))));
  };
}

type SparseInfo = NonNullable<WasmTensor['sparse']>;

/** Per sparse matrix and part count: its row ranges (a matrix's arrays never change once built). */
const spmvRanges = new WeakMap<SparseInfo, { parts: number; ranges: Array<[number, number]>; starts?: number[]; excStarts?: number[] }>();

/**
 * Fixed cost of one row in units of one stored entry (loop set-up, the horizontal sum, the store),
 * so that runs of empty or very short rows still count when balancing.
 */
const ROW_COST = 4;

/**
 * Row ranges of a sparse matrix with about equal work each: work(r) = entries before row r
 * (csr: rowPtr[r]; win16: 16 per chunk + 4 per tail group, padding included since it is computed)
 * + ROW_COST·r, cut by binary search at i/parts of the total. Rows vary a lot in a pruned matrix
 * (magnitude pruning keeps whole rows or almost nothing), so equal row counts would not balance.
 */
export function sparseRowRanges(m: number, parts: number, work: (r: number) => number): Array<[number, number]> {
  const total = work(m);
  const out: Array<[number, number]> = [];
  let r0 = 0;
  for (let i = 1; i <= parts && r0 < m; i++) {
    let r1 = m;
    if (i < parts) {
      // smallest r with work(r) ≥ i·total/parts
      const target = (total * i) / parts;
      let lo = r0, hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (work(mid) < target) lo = mid + 1;
        else hi = mid;
      }
      r1 = lo;
    }
    if (r1 > r0) out.push([r0, r1]);
    r0 = r1;
  }
  return out;
}

/**
 * The row ranges of a sparse matrix for the pool's part count (cached per matrix), with csr16n's
 * entry offset of each range's first row; null when it does not split into two or more parts.
 */
function sparseSplit(b: WasmBackend, pool: ThreadPool, l: SparseInfo, m: number): { ranges: Array<[number, number]>; starts?: number[]; excStarts?: number[] } | null {
  const parts = pool.parts;
  let cached = spmvRanges.get(l);
  if (!cached || cached.parts !== parts) {
    const u32 = (name: string) => new Uint32Array(b.heap.memory.buffer, l.ptrs[name], m + 1);
    let work: (r: number) => number;
    let starts: Uint32Array | undefined;
    if (l.kind === 'win16') {
      const [cp, tp] = [u32('chunkPtr'), u32('tailPtr')];
      work = (r) => 16 * cp[r] + 4 * tp[r] + ROW_COST * r;
    } else if (l.kind === 'word8') {
      // Groups per row (u16) → each range's first group; exceptions are sorted by row.
      const groups = new Uint16Array(b.heap.memory.buffer, l.ptrs.groups, m);
      const gp = new Uint32Array(m + 1);
      for (let r = 0; r < m; r++) gp[r + 1] = gp[r] + groups[r];
      starts = gp;
      work = (r) => 8 * gp[r] + ROW_COST * r;
    } else if (l.kind === 'csr16n') {
      // No row pointers are stored: decode the lengths once (cached with the ranges).
      const len = csr16nRowLengths(new Uint16Array(b.heap.memory.buffer, l.ptrs.off, l.nnz), m);
      const rp = new Uint32Array(m + 1);
      for (let r = 0; r < m; r++) rp[r + 1] = rp[r] + len[r];
      starts = rp;
      work = (r) => rp[r] + ROW_COST * r;
    } else {
      const rp = u32('rowPtr');
      work = (r) => rp[r] + ROW_COST * r;
    }
    const ranges = sparseRowRanges(m, parts, work);
    cached = { parts, ranges, starts: starts && ranges.map(([r0]) => starts![r0]) };
    if (l.kind === 'word8') {
      const exc = new Uint32Array(b.heap.memory.buffer, l.ptrs.exc, l.lengths.exc);
      cached.excStarts = [...ranges.map(([r0]) => lowerBoundRow(exc, r0)), exc.length / 3];
    }
    spmvRanges.set(l, cached);
  }
  return cached.ranges.length < 2 ? null : cached;
}

/**
 * Split a sparse matvec by rows over the pool. `xs` is win16's staged x (csr16's and csr16n's are at fixed addresses; all already written by the
 * caller, shared read-only by every part). False when too small (caller runs it alone).
 */
export function threadedSpmv(b: WasmBackend, pool: ThreadPool, l: SparseInfo, o: number, xp: number, xs: number, m: number): boolean {
  if (l.nnz + ROW_COST * m < b.minSplitWork || m < 2) return false;
  const split = sparseSplit(b, pool, l, m);
  if (!split) return false;
  const { ranges, starts } = split;
  const p = l.ptrs;
  switch (l.kind) {
    case 'csr16':
      run(pool, 'spmv_csr16', b.k.spmv_csr16 as Fn, ranges.map(([r0, r1]) => [o + 4 * r0, p.rowPtr + 4 * r0, p.off, p.val, r1 - r0]));
      return true;
    case 'csr16n':
      // Each part starts at its first row's entry (csr16n walks rows one after another).
      run(pool, 'spmv_csr16n', b.k.spmv_csr16n as Fn, ranges.map(([r0, r1], i) => [o + 4 * r0, p.off + 2 * starts![i], p.val + 4 * starts![i], r1 - r0]));
      return true;
    case 'csr32':
      run(pool, 'spmv_csr32', b.k.spmv_csr32 as Fn, ranges.map(([r0, r1]) => [o + 4 * r0, p.rowPtr + 4 * r0, p.col, p.val, xp, r1 - r0]));
      return true;
    case 'win16':
      // chunkPtr / tailPtr hold absolute chunk / group numbers, so only the per-row arrays move.
      run(pool, 'spmv_win16', b.k.spmv_win16 as Fn, ranges.map(([r0, r1]) => [o + 4 * r0, p.chunkPtr + 4 * r0, p.rec, p.base, p.tailPtr + 4 * r0, p.tail, p.tailBase + 2 * r0, xs, r1 - r0]));
      return true;
    case 'word8': {
      // Each part starts at its first row's group and adds its rows' exceptions after them.
      const ex = split.excStarts!;
      run(pool, 'spmv_word8', b.k.spmv_word8 as Fn, ranges.map(([r0, r1], i) => [o + 4 * r0, p.groups + 2 * r0, p.base + 2 * starts![i], p.words + 32 * starts![i], p.words + 4 * l.lengths.words, xs, l.ebase, r1 - r0, p.exc + 12 * ex[i], ex[i + 1] - ex[i], xp, r0]));
      return true;
    }
  }
}

/**
 * Split one spmm tile (n ≤ 4 tokens staged by stage_xt4 for csr16 / csr16n, by stage_xt_word8 at xs for word8; xt: the tile's rows of X, K wide, for word8's exceptions) by rows over the pool.
 * False when too small (caller runs it alone).
 */
export function threadedSpmm(b: WasmBackend, pool: ThreadPool, l: SparseInfo, o: number, n: number, m: number, xs: number, xt: number, k: number): boolean {
  if (n * l.nnz + ROW_COST * m < b.minSplitWork || m < 2) return false;
  const split = sparseSplit(b, pool, l, m);
  if (!split) return false;
  const { ranges, starts } = split;
  const p = l.ptrs;
  if (l.kind === 'csr16') run(pool, 'spmm_csr16', b.k.spmm_csr16 as Fn, ranges.map(([r0, r1]) => [o + 4 * r0, p.rowPtr + 4 * r0, p.off, p.val, r1 - r0, n, m]));
  else if (l.kind === 'word8') {
    const ex = split.excStarts!;
    run(pool, 'spmm_word8', b.k.spmm_word8 as Fn, ranges.map(([r0, r1], i) => [o + 4 * r0, p.groups + 2 * r0, p.base + 2 * starts![i], p.words + 32 * starts![i], xs, l.ebase, r1 - r0, n, m, p.exc + 12 * ex[i], ex[i + 1] - ex[i], xt, k, r0]));
  } else run(pool, 'spmm_csr16n', b.k.spmm_csr16n as Fn, ranges.map(([r0, r1], i) => [o + 4 * r0, p.off + 2 * starts![i], p.val + 4 * starts![i], r1 - r0, n, m]));
  return true;
}

/** First record of word8's exceptions (row, column, value: three u32 each, sorted by row) whose row is ≥ r. */
function lowerBoundRow(exc: Uint32Array, r: number): number {
  let lo = 0, hi = exc.length / 3;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (exc[3 * mid] < r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Split dense attention (assembly/attention.ts attn_dense_pairs) over its (row, head) pairs: a
 * decode row's heads, or a prefill's rows × heads. `args(p0, p1, scratch)` are the kernel's
 * arguments for pairs [p0, p1). `work` counts multiply-adds (keys × head dim × 2 per pair). False
 * when too small (caller runs it alone).
 */
export function threadedDenseAttention(b: WasmBackend, pool: ThreadPool, pairs: number, work: number, scratchBytes: number, args: (p0: number, p1: number, scratch: number) => number[]): boolean {
  if (work < b.minSplitWork) return false;
  const ranges = splitRange(pairs, pool.parts, 1);
  if (ranges.length < 2) return false;
  return withScratches(b, scratchBytes, ranges.length, (s) => {
    run(pool, 'attn_dense_pairs', b.k.attn_dense_pairs as Fn, ranges.map(([p0, p1], i) => args(p0, p1, s[i])));
    return true;
  });
}

function run(pool: ThreadPool, name: string, self: Fn, parts: number[][]): void {
  pool.run(name, self, parts);
}

/** `count` private scratch blocks of `bytes` each (none when bytes is 0), released afterwards. */
function withScratches<T>(b: WasmBackend, bytes: number, count: number, f: (s: number[]) => T): T {
  if (bytes === 0) return f([]);
  // 16-byte aligned blocks, one spare vector apart so no two threads write the same cache line pair.
  const stride = Math.ceil(bytes / 16) * 16 + 64;
  return b.withScratch(stride * count, (base) => f(Array.from({ length: count }, (_, i) => base + i * stride)));
}
