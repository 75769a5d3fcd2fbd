/**
 * F16 linear weights on the wasm backend, "prepared" on first use as a linear weight (matvec or
 * matmul): the matrix is scanned once; if it holds no Inf/NaN half, its nonzero subnormal halves
 * move into a small side list (CSR by row: rowPtr, col, f32 value) and +0 is stored in their place,
 * so the matvec hot loop (assembly/f16-matvec.ts) needs no per-step checks; the side list is added
 * per row afterwards. Any other use of the tensor's bytes (read, write, copy, attention, …: every
 * WasmBackend.own() with another op name) first restores the original halves (`restoreF16`), so
 * the storage is the tensor's data again; the next matvec prepares it anew. Embedding lookups of a
 * prepared table (tied heads) patch the side list's values into the rows they copy; the prefill
 * matmul writes them into its widened f32 rows (bit-identical to the unprepared matmul).
 * Matvec exactness: a stored zero times a finite x is 0, so results equal the exact product up to
 * summation order; huge or non-finite x takes the checked kernel of core-matvec.ts plus the side
 * list (rows where a stored zero met an Inf are recomputed from the original values).
 * Timings and the variants tried: docs/wasm-llm-speed.md ("F16 decode, second pass").
 */
import type { WasmBackend, WasmTensor } from './backend.ts';

/** The side list of a prepared f16 weight (pointers into linear memory; 0 when it is empty). */
export interface F16Plan {
  /** The backend whose memory holds the tensor and the side list. */
  b: WasmBackend;
  m: number;
  k: number;
  /** Number of side-list entries (nonzero subnormal halves moved out). */
  count: number;
  rowPtr: number;
  col: number;
  val: number;
}

/** The kernels this file calls (exports of assembly/f16-matvec.ts and core-matvec.ts). */
interface F16Kernels {
  f16_scan(w: number, n: number): number;
  f16_extract(w: number, m: number, k: number, rowPtr: number, col: number, val: number): void;
  f16_restore(w: number, m: number, k: number, rowPtr: number, col: number, val: number): void;
  f16_prescale(xs: number, x: number, k: number): number;
  matvec_f16_prep_rows(out: number, w: number, xs: number, x: number, k: number, rowPtr: number, col: number, val: number, r0: number, r1: number): number;
  f16_fixup(out: number, rowPtr: number, col: number, val: number, x: number, r0: number, r1: number): void;
  f16_fix_nonfinite(out: number, w: number, x: number, k: number, rowPtr: number, col: number, val: number, r0: number, r1: number): void;
  matmul_f16_side_rows(out: number, x: number, w: number, n: number, m: number, k: number, tile: number, scratch: number, rowPtr: number, col: number, val: number, r0: number, r1: number): void;
  f16_embed_fix(out: number, ids: number, n: number, d: number, rowPtr: number, col: number, val: number): void;
  matvec_f16(out: number, w: number, x: number, m: number, k: number, xs: number): void;
}

const kern = (b: WasmBackend) => b.k as unknown as F16Kernels;

let preparing = true;
/**
 * Benchmarks only (bench/node-f16.ts): false sends f16 weights to the per-step-checked kernel of
 * core-matvec.ts on their original halves (the path before side lists), for old-vs-new runs in one process.
 */
export function setF16Preparation(on: boolean): void {
  preparing = on;
}

/**
 * The plan of a 2-D f16 weight, preparing it on first use; null when the matrix holds an Inf/NaN
 * half or too many subnormal ones (it then always takes the checked kernel of core-matvec.ts;
 * `f16plan` remembers that until the data changes).
 */
function prepare(b: WasmBackend, w: WasmTensor, m: number, k: number): F16Plan | null {
  if (!preparing) {
    if (w.f16plan) restoreF16(w);
    return null;
  }
  if (w.f16plan !== undefined) return w.f16plan;
  const kk = kern(b);
  const count = kk.f16_scan(w.ptr, m * k);
  // Inf/NaN halves, or so many subnormal ones (> 1/32 of the matrix) that the side list would cost
  // more than an eighth of the matrix's bytes and its fix-up real time: keep the checked kernel.
  if (count < 0 || count * 32 > m * k) return (w.f16plan = null);
  const plan: F16Plan = { b, m, k, count, rowPtr: 0, col: 0, val: 0 };
  if (count > 0) {
    plan.rowPtr = b.heap.alloc(4 * (m + 1));
    plan.col = b.heap.alloc(4 * count);
    plan.val = b.heap.alloc(4 * count);
    kk.f16_extract(w.ptr, m, k, plan.rowPtr, plan.col, plan.val);
  }
  return (w.f16plan = plan);
}

/** Linear-memory bytes of a prepared weight's side list (row pointers, columns, values); 0 without one. */
export function f16SideBytes(plan: F16Plan | null | undefined): number {
  return plan && plan.count > 0 ? 4 * (plan.m + 1) + 8 * plan.count : 0;
}

/** Puts the original halves back and forgets the plan (before any other use of the bytes). */
export function restoreF16(w: WasmTensor): void {
  const plan = w.f16plan;
  w.f16plan = undefined;
  if (!plan || plan.count === 0) return;
  kern(plan.b).f16_restore(w.ptr, plan.m, plan.k, plan.rowPtr, plan.col, plan.val);
  for (const p of [plan.rowPtr, plan.col, plan.val]) plan.b.heap.release(p);
}

/**
 * Runs kernel `name` over the rows [0, m): `args(r0, r1)` gives its arguments for a row range. The
 * default runs it once on the calling thread; a thread pool may split [0, m) at multiples of 4.
 */
export type RowRunner = (name: string, m: number, args: (r0: number, r1: number) => number[]) => void;

const oneThread =
  (b: WasmBackend): RowRunner =>
  (name, m, args) =>
    (b.k[name] as (...a: number[]) => void)(...args(0, m));

/**
 * out[M] = W · x for an f16 W[M, K] (operands already validated by the caller). The hot kernel
 * (`matvec_f16_prep_rows`) goes through `runRows`; the rare paths run on the calling thread.
 */
export function matvecF16(b: WasmBackend, o: number, w: WasmTensor, xp: number, m: number, k: number, runRows: RowRunner = oneThread(b)): void {
  const kk = kern(b);
  const plan = prepare(b, w, m, k);
  const wp = w.ptr;
  if (!plan) return b.withScratch(4 * k, (xs) => kk.matvec_f16(o, wp, xp, m, k, xs));
  b.withScratch(4 * k, (xs) => {
    const status = kk.f16_prescale(xs, xp, k);
    if (status === 0) return runRows('matvec_f16_prep_rows', m, (r0, r1) => [o, wp, xs, xp, k, plan.rowPtr, plan.col, plan.val, r0, r1]);
    // |x| ≥ 2^15 (status 1: x · 2^112 could overflow) or Inf/NaN in x (2): the checked kernel, whose
    // widening is exact for any x, then the side list; with Inf/NaN the rows where a stored zero met
    // an Inf (0 · Inf = NaN, the subnormal gives ±Inf) are recomputed from the original values.
    kk.matvec_f16(o, wp, xp, m, k, 0);
    if (plan.count === 0) return;
    kk.f16_fixup(o, plan.rowPtr, plan.col, plan.val, xp, 0, m);
    if (status === 2) kk.f16_fix_nonfinite(o, wp, xp, k, plan.rowPtr, plan.col, plan.val, 0, m);
  });
}

/**
 * Like RowRunner, for kernels that need private scratch: `args(r0, r1, scratch)` with `scratch` a
 * block of `scratchBytes` bytes that no other part of the same call uses.
 */
export type ScratchRowRunner = (name: string, m: number, args: (r0: number, r1: number, scratch: number) => number[], scratchBytes: number) => void;

const oneThreadScratch =
  (b: WasmBackend): ScratchRowRunner =>
  (name, m, args, bytes) =>
    b.withScratch(bytes, (s) => (b.k[name] as (...a: number[]) => void)(...args(0, m, s)));

/**
 * out[N, M] = X · Wᵀ for an f16 W (prefill): matmul_f16_side_rows puts the side list back into the
 * widened f32 rows, so results are bit-identical to matmul_f16 on the original halves (any X).
 */
export function matmulF16(b: WasmBackend, o: number, xp: number, w: WasmTensor, n: number, m: number, k: number, tile: number, runRows: ScratchRowRunner = oneThreadScratch(b)): void {
  const plan = prepare(b, w, m, k);
  const wp = w.ptr;
  const [rowPtr, col, val] = plan && plan.count > 0 ? [plan.rowPtr, plan.col, plan.val] : [0, 0, 0];
  runRows('matmul_f16_side_rows', m, (r0, r1, s) => [o, xp, wp, n, m, k, tile, s, rowPtr, col, val, r0, r1], 16 * k);
}

/** After embedding_f16 copied rows of a prepared table: write back the moved subnormal values. */
export function embeddingF16Fix(b: WasmBackend, o: number, table: WasmTensor, ip: number, n: number, d: number): void {
  const plan = table.f16plan;
  if (plan && plan.count > 0) kern(b).f16_embed_fix(o, ip, n, d, plan.rowPtr, plan.col, plan.val);
}
