/**
 * A linear layer over N rows, whatever the weight's storage: dense (f32/f16/quantized) goes
 * through matvec (N = 1) or matmul (N > 1, the batched prefill path); a pruned weight made by
 * `backend.sparse` through spmv (N = 1) or spmm (N > 1).
 */
import type { Backend, Tensor } from '../backends/backend.ts';

/** out[N, M] = x[N, K] · W[M, K]ᵀ. */
export function linear(b: Backend, out: Tensor, x: Tensor, w: Tensor, rows: number): void {
  if (w.dtype === 'sparse') {
    if (rows === 1) b.spmv(out, w, x);
    else b.spmm(out, w, x);
    return;
  }
  if (rows === 1) b.matvec(out, w, x);
  else b.matmul(out, x, w);
}
