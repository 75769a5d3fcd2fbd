/**
 * Operand checks shared by all backends, so a bad call fails the same way (same code, same
 * message) whether it runs on the reference, wasm or webgpu backend.
 */
import { SparrowError, fmtShape } from '../errors.ts';
import type { BackendName, DType, Tensor } from './backend.ts';
import { ternaryBytes } from './ops/ternary-layout.ts';

/** Largest element count we will ever allocate for one tensor (2^31 − 1: JS/WASM/GPU indexing). */
export const MAX_ELEMENTS = 2 ** 31 - 1;

export function shapeSize(op: string, shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new SparrowError('INVALID_ARGUMENT', `${op}: shape ${fmtShape(shape)} has a non-integer or negative dimension`, { op, shape: [...shape] });
    }
    n *= d;
  }
  if (n > MAX_ELEMENTS) {
    throw new SparrowError('SIZE_LIMIT', `${op}: shape ${fmtShape(shape)} has ${n} elements, above the limit ${MAX_ELEMENTS}`, { op, shape: [...shape] });
  }
  return n;
}

/** Bytes a tensor of this dtype/shape occupies in the canonical upload layout. */
export function storageBytes(dtype: DType, shape: readonly number[]): number {
  const n = shapeSize('tensor', shape);
  const rows = shape.length >= 2 ? n / shape[shape.length - 1] : 1;
  const cols = shape.length ? shape[shape.length - 1] : 1;
  switch (dtype) {
    case 'f32':
    case 'i32':
      return n * 4;
    case 'f16':
    case 'bf16':
      return n * 2;
    case 'q8_0':
      return blocks(dtype, cols, 32) * rows * 34;
    case 'q4_0':
      return blocks(dtype, cols, 32) * rows * 18;
    case 'iq4_nl':
      return blocks(dtype, cols, 32) * rows * 18;
    case 'q4_1':
      return blocks(dtype, cols, 32) * rows * 20;
    case 'q5_0':
      return blocks(dtype, cols, 32) * rows * 22;
    case 'q5_1':
      return blocks(dtype, cols, 32) * rows * 24;
    case 'iq4_xs':
      return blocks(dtype, cols, 256) * rows * 136;
    case 'iq3_xxs':
      return blocks(dtype, cols, 256) * rows * 98;
    case 'iq3_s':
      return blocks(dtype, cols, 256) * rows * 110;
    case 'iq2_s':
      return blocks(dtype, cols, 256) * rows * 82;
    case 'iq2_xxs':
      return blocks(dtype, cols, 256) * rows * 66;
    case 'iq2_xs':
      return blocks(dtype, cols, 256) * rows * 74;
    case 'iq1_s':
      return blocks(dtype, cols, 256) * rows * 50;
    case 'iq1_m':
      return blocks(dtype, cols, 256) * rows * 56;
    case 'q2_k':
      return blocks(dtype, cols, 256) * rows * 84;
    case 'q3_k':
      return blocks(dtype, cols, 256) * rows * 110;
    case 'q4_k':
      return blocks(dtype, cols, 256) * rows * 144;
    case 'q5_k':
      return blocks(dtype, cols, 256) * rows * 176;
    case 'q6_k':
      return blocks(dtype, cols, 256) * rows * 210;
    case 'ternary':
      if (shape.length !== 2) throw new SparrowError('SHAPE_MISMATCH', `tensor: ternary weights must be 2-D [M, K], got ${JSON.stringify(shape)}`, { dtype });
      return ternaryBytes(shape[0], shape[1]);
    default:
      throw new SparrowError('UNSUPPORTED', `tensor: dtype ${dtype} has no canonical dense layout`, { dtype });
  }
}

function blocks(dtype: DType, cols: number, block: number): number {
  if (cols % block !== 0) {
    throw new SparrowError('SHAPE_MISMATCH', `tensor: ${dtype} rows must be a multiple of ${block} columns, got ${cols}`, { dtype, cols });
  }
  return cols / block;
}

export function checkBackend(op: string, name: BackendName, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.backend !== name) {
      throw new SparrowError('INVALID_ARGUMENT', `${op}: tensor ${fmtShape(t.shape)} belongs to the ${t.backend} backend, not ${name}`, { op, shape: [...t.shape] });
    }
  }
}

/** A tensor used after `free` (same message on every backend). */
export function freed(op: string, t: Tensor): never {
  throw new SparrowError('INVALID_ARGUMENT', `${op}: tensor ${fmtShape(t.shape)} (${t.dtype}) was freed`, { op, shape: [...t.shape] });
}

export function checkDtype(op: string, what: string, t: Tensor, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) {
    throw new SparrowError('UNSUPPORTED', `${op}: ${what} has dtype ${t.dtype}, expected ${allowed.join(' | ')}`, { op, dtype: t.dtype });
  }
}

function mismatch(op: string, detail: string, ts: Record<string, Tensor>): never {
  const shapes = Object.entries(ts)
    .map(([k, t]) => `${k} ${fmtShape(t.shape)}`)
    .join(', ');
  throw new SparrowError('SHAPE_MISMATCH', `${op}: ${detail} (${shapes})`, {
    op,
    shapes: Object.fromEntries(Object.entries(ts).map(([k, t]) => [k, [...t.shape]])),
  });
}

export function checkFinite(op: string, name: string, v: number): void {
  if (!Number.isFinite(v)) throw new SparrowError('INVALID_ARGUMENT', `${op}: ${name} must be finite, got ${v}`, { op, [name]: v });
}

const lastDim = (t: Tensor) => (t.shape.length ? t.shape[t.shape.length - 1] : 1);
const rowsOf = (t: Tensor) => (lastDim(t) === 0 ? 0 : t.size / lastDim(t));

export function matvec(op: string, out: Tensor, w: Tensor, x: Tensor): { m: number; k: number } {
  if (w.shape.length !== 2) mismatch(op, 'weight must be 2-D', { w });
  const [m, k] = w.shape;
  if (x.size !== k) mismatch(op, `x must have ${k} elements`, { w, x });
  if (out.size !== m) mismatch(op, `out must have ${m} elements`, { w, out });
  checkDtype(op, 'x', x, ['f32']);
  checkDtype(op, 'out', out, ['f32']);
  return { m, k };
}

export function matmul(op: string, out: Tensor, x: Tensor, w: Tensor): { n: number; m: number; k: number } {
  if (w.shape.length !== 2) mismatch(op, 'weight must be 2-D', { w });
  const [m, k] = w.shape;
  if (lastDim(x) !== k) mismatch(op, `x rows must have ${k} elements`, { x, w });
  const n = rowsOf(x);
  if (out.size !== n * m || lastDim(out) !== m) mismatch(op, `out must be [${n}, ${m}]`, { x, w, out });
  checkDtype(op, 'x', x, ['f32']);
  checkDtype(op, 'out', out, ['f32']);
  return { n, m, k };
}

export function binary(op: string, out: Tensor, a: Tensor, b: Tensor): void {
  for (const [n, t] of [['out', out], ['a', a], ['b', b]] as const) checkDtype(op, n, t, ['f32']);
  if (out.size !== a.size) mismatch(op, 'out must have the size of a', { out, a });
  if (b.size === 0 ? a.size !== 0 : a.size % b.size !== 0) mismatch(op, "b's size must divide a's size", { a, b });
}

/** lerp: out, a and b of one size, t's size dividing it (all f32). */
export function lerp(op: string, out: Tensor, a: Tensor, b: Tensor, t: Tensor): void {
  for (const [n, x] of [['out', out], ['a', a], ['b', b], ['t', t]] as const) checkDtype(op, n, x, ['f32']);
  if (out.size !== a.size) mismatch(op, 'out must have the size of a', { out, a });
  if (b.size !== a.size) mismatch(op, 'b must have the size of a', { a, b });
  if (t.size === 0 ? a.size !== 0 : a.size % t.size !== 0) mismatch(op, "t's size must divide a's size", { a, t });
}

export function unary(op: string, out: Tensor, a: Tensor): void {
  checkDtype(op, 'out', out, ['f32']);
  checkDtype(op, 'a', a, ['f32']);
  if (out.size !== a.size) mismatch(op, 'out must have the size of a', { out, a });
}

export function rowwise(op: string, out: Tensor, x: Tensor, ...params: Tensor[]): { rows: number; d: number } {
  unary(op, out, x);
  const d = lastDim(x);
  for (const p of params) {
    checkDtype(op, 'weight', p, ['f32']);
    if (p.size !== d) mismatch(op, `weight must have ${d} elements`, { x, weight: p });
  }
  return { rows: rowsOf(x), d };
}

/** addRmsnorm: sum, out, a, b all of a's size (no broadcast), w of its last dim; sum ≠ out. */
export function addRmsnorm(op: string, sum: Tensor, out: Tensor, a: Tensor, b: Tensor, w: Tensor): { rows: number; d: number } {
  const rd = rowwise(op, out, a, w);
  binary(op, sum, a, b);
  if (b.size !== a.size) mismatch(op, 'b must have the size of a', { a, b });
  if (sum === out) throw new SparrowError('INVALID_ARGUMENT', `${op}: sum and out must be different tensors`, { op });
  return rd;
}

/** siluMul: out, g, u of one size. */
export function siluMul(op: string, out: Tensor, g: Tensor, u: Tensor): void {
  binary(op, out, g, u);
  if (u.size !== g.size) mismatch(op, 'u must have the size of g', { g, u });
}

/** swiglu: out [rows, I], gu [rows, 2·I], both f32. */
export function swiglu(op: string, out: Tensor, gu: Tensor): { rows: number; width: number } {
  checkDtype(op, 'out', out, ['f32']);
  checkDtype(op, 'gu', gu, ['f32']);
  const width = lastDim(out);
  if (lastDim(gu) !== 2 * width || gu.size !== 2 * out.size) mismatch(op, 'gu must be [rows, 2·I] for out [rows, I]', { out, gu });
  return { rows: rowsOf(out), width };
}

export function rope(op: string, out: Tensor, x: Tensor, headDim: number, pos: number, theta: number, factors?: ArrayLike<number>): { rows: number; heads: number } {
  unary(op, out, x);
  if (factors !== undefined) {
    if (factors.length !== headDim / 2) throw new SparrowError('SHAPE_MISMATCH', `${op}: freqFactors has ${factors.length} values, headDim ${headDim} needs ${headDim / 2}`, { op, headDim });
    for (let i = 0; i < factors.length; i++) {
      if (!(factors[i] > 0) || !Number.isFinite(factors[i])) throw new SparrowError('INVALID_ARGUMENT', `${op}: freqFactors[${i}] = ${factors[i]} must be positive and finite`, { op, index: i });
    }
  }
  if (!Number.isInteger(headDim) || headDim <= 0 || headDim % 2 !== 0) {
    throw new SparrowError('INVALID_ARGUMENT', `${op}: headDim must be a positive even integer, got ${headDim}`, { op, headDim });
  }
  if (!Number.isInteger(pos) || pos < 0) throw new SparrowError('INVALID_ARGUMENT', `${op}: pos must be a non-negative integer, got ${pos}`, { op, pos });
  if (!(theta > 0) || !Number.isFinite(theta)) throw new SparrowError('INVALID_ARGUMENT', `${op}: theta must be positive and finite, got ${theta}`, { op, theta });
  if (lastDim(x) % headDim !== 0) mismatch(op, `row length must be a multiple of headDim ${headDim}`, { x });
  return { rows: rowsOf(x), heads: lastDim(x) / headDim };
}

/** ropeQkv: q [n, qW], k [n, kW], v [n, vW], qkv [n, qW + kW + vW]; qW and kW multiples of headDim. */
export function ropeQkv(op: string, q: Tensor, k: Tensor, v: Tensor, qkv: Tensor, headDim: number, pos: number, theta: number, factors?: ArrayLike<number>): { rows: number; qW: number; kW: number; vW: number } {
  for (const [n, t] of [['q', q], ['k', k], ['v', v], ['qkv', qkv]] as const) checkDtype(op, n, t, ['f32']);
  const [qW, kW, vW] = [lastDim(q), lastDim(k), lastDim(v)];
  // the rope checks (headDim, pos, theta, widths) on the q and k parts
  rope(op, q, q, headDim, pos, theta, factors);
  rope(op, k, k, headDim, pos, theta, factors);
  const rows = rowsOf(q);
  if (lastDim(qkv) !== qW + kW + vW || rowsOf(qkv) !== rows || rowsOf(k) !== rows || rowsOf(v) !== rows) {
    mismatch(op, `qkv must be [${rows}, ${qW + kW + vW}] for q, k, v of ${rows} rows`, { q, k, v, qkv });
  }
  if (q === k || q === v || k === v) throw new SparrowError('INVALID_ARGUMENT', `${op}: q, k and v must be different tensors`, { op });
  return { rows, qW, kW, vW };
}

export function embedding(op: string, out: Tensor, table: Tensor, ids: Tensor): { n: number; d: number; vocab: number } {
  if (table.shape.length !== 2) mismatch(op, 'table must be 2-D', { table });
  checkDtype(op, 'table', table, ['f32', 'f16', 'bf16']);
  checkDtype(op, 'ids', ids, ['i32']);
  checkDtype(op, 'out', out, ['f32']);
  const [vocab, d] = table.shape;
  if (out.size !== ids.size * d) mismatch(op, `out must be [${ids.size}, ${d}]`, { out, table, ids });
  return { n: ids.size, d, vocab };
}

export function embeddingIds(op: string, ids: Int32Array, vocab: number): void {
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < 0 || ids[i] >= vocab) {
      throw new SparrowError('INDEX_OUT_OF_RANGE', `${op}: id ${ids[i]} at ${i} is outside the vocabulary [0, ${vocab})`, { op, index: i, id: ids[i], vocab });
    }
  }
}

export function argmax(op: string, out: Tensor, x: Tensor): { rows: number; v: number } {
  checkDtype(op, 'x', x, ['f32']);
  checkDtype(op, 'out', out, ['i32']);
  const v = lastDim(x);
  if (v === 0) mismatch(op, 'x rows must be non-empty', { x });
  if (out.size !== rowsOf(x)) mismatch(op, `out must have ${rowsOf(x)} elements`, { out, x });
  return { rows: rowsOf(x), v };
}

export function copy(op: string, dst: Tensor, dstOffset: number, src: Tensor, srcOffset: number, count: number): void {
  if (dst.dtype !== src.dtype) mismatch(op, `dtypes differ (${dst.dtype} vs ${src.dtype})`, { dst, src });
  for (const [k, v] of [['dstOffset', dstOffset], ['srcOffset', srcOffset], ['count', count]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new SparrowError('INVALID_ARGUMENT', `${op}: ${k} must be a non-negative integer, got ${v}`, { op, [k]: v });
  }
  if (dstOffset + count > dst.size || srcOffset + count > src.size) {
    throw new SparrowError('INDEX_OUT_OF_RANGE', `${op}: range out of bounds (dst ${fmtShape(dst.shape)} @${dstOffset}, src ${fmtShape(src.shape)} @${srcOffset}, count ${count})`, { op });
  }
}

/** Check a CSR matrix's structure: monotone row pointers, in-range column indices, matching lengths. */
export function csr(op: string, m: { rows: number; cols: number; rowPtr: Uint32Array; colIdx: Uint32Array; values: Float32Array }): void {
  shapeSize(op, [m.rows, m.cols]);
  if (m.rowPtr.length !== m.rows + 1) {
    throw new SparrowError('SHAPE_MISMATCH', `${op}: rowPtr has ${m.rowPtr.length} entries, expected rows + 1 = ${m.rows + 1}`, { op });
  }
  const nnz = m.rowPtr[m.rows];
  if (m.rowPtr[0] !== 0 || m.colIdx.length !== nnz || m.values.length !== nnz) {
    throw new SparrowError('SHAPE_MISMATCH', `${op}: rowPtr[0] must be 0 and colIdx/values must have rowPtr[rows] = ${nnz} entries (got ${m.colIdx.length}/${m.values.length})`, { op });
  }
  for (let r = 0; r < m.rows; r++) {
    if (m.rowPtr[r + 1] < m.rowPtr[r]) throw new SparrowError('FORMAT_INVALID', `${op}: rowPtr decreases at row ${r}`, { op, row: r });
  }
  for (let i = 0; i < nnz; i++) {
    if (m.colIdx[i] >= m.cols) {
      throw new SparrowError('INDEX_OUT_OF_RANGE', `${op}: column index ${m.colIdx[i]} at entry ${i} is outside [0, ${m.cols}) of a [${m.rows}, ${m.cols}] matrix`, { op, entry: i, col: m.colIdx[i] });
    }
  }
}

export function spmv(op: string, out: Tensor, s: Tensor, x: Tensor): { m: number; k: number } {
  checkDtype(op, 'matrix', s, ['sparse']);
  return matvec(op, out, s, x);
}

export function spmm(op: string, out: Tensor, s: Tensor, x: Tensor): { n: number; m: number; k: number } {
  checkDtype(op, 'matrix', s, ['sparse']);
  return matmul(op, out, x, s);
}
