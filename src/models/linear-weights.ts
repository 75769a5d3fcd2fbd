/**
 * Loading linear-layer weights: as stored (dense f32 / f16 / quantized), or — for pruned models —
 * compressed into the backend's sparse layout so the linear runs through spmv. Also row slices of a
 * weight (Mamba splits in_proj into x/z and x_proj into dt/B/C so each part lands contiguous).
 */
import type { Backend, SparsePreference, Tensor } from '../backends/backend.ts';
import { csrFromDense } from '../backends/sparse.ts';
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

/**
 * Upload rows [r0, r1) of `name` (full shape [rows, cols]) as a separate linear weight: an F16
 * tensor stays f16 and a BF16 one bf16 (their 16-bit words sliced), anything else goes through float32 on the host (dense f32
 * result, or sparse when asked).
 */
export async function loadLinearRows(file: WeightFile, name: string, shape: [number, number], r0: number, r1: number, b: Backend, o: LinearLoadOptions): Promise<Tensor> {
  expectShape(file, name, shape);
  const cols = shape[1];
  if (!o.sparse && file.dtype(name) === 'f16' && file.f16Bits) return b.tensor([r1 - r0, cols], 'f16', (await file.f16Bits(name)).slice(r0 * cols, r1 * cols));
  if (!o.sparse && file.dtype(name) === 'bf16' && file.bf16Bytes) return b.tensor([r1 - r0, cols], 'bf16', (await file.bf16Bytes(name)).slice(2 * r0 * cols, 2 * r1 * cols));
  const data = (await file.f32(name)).slice(r0 * cols, r1 * cols);
  if (o.sparse) return b.sparse(csrFromDense(data, r1 - r0, cols), prefer(o));
  return b.tensor([r1 - r0, cols], 'f32', data);
}
