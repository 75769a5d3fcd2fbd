/**
 * Loading linear-layer weights: as stored (dense f32 / f16 / quantized), or — for pruned models —
 * compressed into the backend's sparse layout so the linear runs through spmv. Also row slices of a
 * weight (Mamba splits in_proj into x/z and x_proj into dt/B/C so each part lands contiguous).
 */
import type { Backend, SparsePreference, Tensor } from '../backends/backend.ts';
import { csrFromDense } from '../backends/sparse.ts';
import { ggmlTypeByName, rowBytes } from '../formats/ggml-types.ts';
import { bytesOf, concatBytes } from '../util/bytes.ts';
import { expectShape, type WeightFile } from './weights.ts';

export interface LinearLoadOptions {
  /**
   * Store linear weights as sparse (CSR) matrices: zeros are dropped, spmv runs them. `true` = the
   * backend's smallest layout ('size'; wasm: word8, ~4.25 B per non-zero): a model's weights stream
   * from memory on every token, where word8 decodes as fast as the in-cache winner csr16n (6 B) —
   * measured on the pruned SmolLM2 shape, docs/pruning.md. 'speed' asks for the in-cache winner.
   */
  sparse?: boolean | SparsePreference;
}

const prefer = (o: LinearLoadOptions): SparsePreference => (o.sparse === 'speed' ? 'speed' : 'size');

/** Upload `name` ([rows, cols]) as a linear weight. */
export async function loadLinear(file: WeightFile, name: string, shape: [number, number], b: Backend, o: LinearLoadOptions): Promise<Tensor> {
  expectShape(file, name, shape);
  if (o.sparse) return b.sparse(csrFromDense(await file.f32(name), shape[0], shape[1]), prefer(o));
  return file.upload(name, b);
}

/** Dtypes a stacked weight may have: those every backend's matvec reads as stored. */
const STACKABLE = new Set(['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'q5_0', 'q5_1', 'iq4_nl', 'iq4_xs', 'iq3_xxs', 'iq3_s', 'iq2_s', 'iq2_xxs', 'iq2_xs', 'iq1_s', 'iq1_m', 'q2_k', 'q3_k', 'q4_k', 'q5_k', 'q6_k']);

/**
 * Several linear weights with the same input stacked by rows into one [Σ rows, cols] tensor (e.g.
 * gate and up), so one matvec replaces several: the output row is their outputs side by side.
 * Returns undefined (load them one by one) for sparse linears, for different dtypes or widths,
 * and when the file cannot give the stored bytes. The values are the stored ones, so each output
 * equals what the separate weight gives.
 */
export async function loadStackedLinear(file: WeightFile, names: string[], shapes: [number, number][], b: Backend, o: LinearLoadOptions): Promise<Tensor | undefined> {
  if (o.sparse || names.length < 2) return undefined;
  names.forEach((n, i) => expectShape(file, n, shapes[i]));
  const cols = shapes[0][1];
  const dtype = file.dtype(names[0]);
  if (!STACKABLE.has(dtype) || shapes.some((s) => s[1] !== cols) || names.some((n) => file.dtype(n) !== dtype)) return undefined;
  const rows = shapes.reduce((a, s) => a + s[0], 0);
  const cat = async (part: (n: string) => Promise<Uint8Array>): Promise<Uint8Array> => concatBytes(await Promise.all(names.map(part)));
  let bytes: Uint8Array;
  // GGML files: the stored bytes, when they are stored as `dtype` (a dequantizable type the backends
  // could not hold would have dtype f32 and be dequantized by f32() instead)
  const raw = file.raw?.bind(file);
  const asStored = raw && file.ggmlType && names.every((n) => file.ggmlType!(n).toLowerCase() === dtype);
  if (asStored) bytes = await cat(raw);
  else if (dtype === 'f32') bytes = await cat(async (n) => bytesOf(await file.f32(n)));
  else if (dtype === 'f16' && file.f16Bits) bytes = await cat(async (n) => bytesOf(await file.f16Bits!(n)));
  else if (dtype === 'bf16' && file.bf16Bytes) bytes = await cat((n) => file.bf16Bytes!(n));
  else return undefined;
  if (dtype === 'f32') return b.tensor([rows, cols], 'f32', new Float32Array(bytes.buffer));
  if (dtype === 'f16') return b.tensor([rows, cols], 'f16', new Uint16Array(bytes.buffer));
  return b.tensor([rows, cols], dtype, bytes);
}

/**
 * Upload rows [r0, r1) of `name` (full shape [rows, cols]) as a separate linear weight: an F16
 * tensor stays f16, a BF16 one bf16 (their 16-bit words sliced) and a GGML block tensor the backends
 * run as stored (Q8_0, Q4_K, …) keeps its blocks (whole rows of them sliced); anything else goes
 * through float32 on the host (dense f32 result, or sparse when asked).
 */
export async function loadLinearRows(file: WeightFile, name: string, shape: [number, number], r0: number, r1: number, b: Backend, o: LinearLoadOptions): Promise<Tensor> {
  return loadLinearRowRanges(file, name, shape, [[r0, r1]], b, o);
}

/**
 * Rows [r0, r1) of each range, end to end, as one linear (the rows of a quantized matrix keep their
 * blocks): Qwen3.5's q_proj, whose rows interleave each head's query and gate, split into the two.
 */
export async function loadLinearRowRanges(file: WeightFile, name: string, shape: [number, number], ranges: readonly (readonly [number, number])[], b: Backend, o: LinearLoadOptions): Promise<Tensor> {
  expectShape(file, name, shape);
  const cols = shape[1];
  const rows = ranges.reduce((a, [r0, r1]) => a + r1 - r0, 0);
  /** the ranges' elements (each row `per` values wide) end to end, in a fresh array of src's kind */
  const gather = <T extends Float32Array | Uint16Array | Uint8Array>(src: T, per: number): T => {
    const out = new (src.constructor as { new (n: number): T })(rows * per);
    let at = 0;
    for (const [r0, r1] of ranges) {
      out.set(src.subarray(r0 * per, r1 * per), at);
      at += (r1 - r0) * per;
    }
    return out;
  };
  if (!o.sparse && file.dtype(name) === 'f16' && file.f16Bits) return b.tensor([rows, cols], 'f16', gather(await file.f16Bits(name), cols));
  if (!o.sparse && file.dtype(name) === 'bf16' && file.bf16Bytes) return b.tensor([rows, cols], 'bf16', gather(await file.bf16Bytes(name), 2 * cols));
  const dtype = file.dtype(name);
  if (!o.sparse && dtype !== 'f32' && file.raw && file.ggmlType?.(name).toLowerCase() === dtype) {
    // a plain copy (gather makes one): a file read in Node gives a Buffer, which the backends refuse
    const raw = await file.raw(name);
    return b.tensor([rows, cols], dtype, gather(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), rowBytes(ggmlTypeByName(file.ggmlType(name)), cols)));
  }
  const data = gather(await file.f32(name), cols);
  if (o.sparse) return b.sparse(csrFromDense(data, rows, cols), prefer(o));
  return b.tensor([rows, cols], 'f32', data);
}
