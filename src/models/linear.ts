/**
 * A linear layer over N rows, whatever the weight's storage: dense (f32/f16/quantized) goes
 * through matvec (N = 1) or matmul (N > 1, the batched prefill path); a pruned weight made by
 * `backend.sparse` goes through spmv, one row at a time (sparse weights are a decode-speed
 * feature; prefill rows are few).
 */
import type { Backend, Tensor } from '../backends/backend.ts';

/** out[N, M] = x[N, K] · W[M, K]ᵀ. */
export function linear(b: Backend, out: Tensor, x: Tensor, w: Tensor, rows: number): void {
  if (w.dtype === 'sparse') {
    if (rows === 1) return b.spmv(out, w, x);
    const [m, k] = w.shape;
    const xr = b.tensor([k], 'f32');
    const or = b.tensor([m], 'f32');
    try {
      for (let i = 0; i < rows; i++) {
        b.copy(xr, 0, x, i * k, k);
        b.spmv(or, w, xr);
        b.copy(out, i * m, or, 0, m);
      }
    } finally {
      b.free(xr);
      b.free(or);
    }
    return;
  }
  if (rows === 1) b.matvec(out, w, x);
  else b.matmul(out, x, w);
}
