/** One linear layer through a backend, as kernel tests drive it (Node and browser-worker cases alike). */
import type { Backend, DType, TensorData } from '../../src/backends/backend.ts';
import { fromF16Bits } from '../../src/util/f16.ts';

/**
 * Y = X · Wᵀ for W [m, k] of `dtype` and X [n, k] f32: matvec when n = 1 (shapes [k] → [m]), else
 * matmul ([n, k] → [n, m]). The output is NaN-poisoned first, so rows a kernel leaves unwritten show
 * up as NaN; all tensors are freed before returning the read-back.
 */
export async function runLinear(b: Backend, dtype: DType, w: TensorData, m: number, k: number, x: Float32Array, n: number): Promise<Float32Array> {
  const wt = b.tensor([m, k], dtype, w);
  const xt = b.tensor(n === 1 ? [k] : [n, k], 'f32', x);
  const o = b.tensor(n === 1 ? [m] : [n, m], 'f32', new Float32Array(n * m).fill(NaN));
  if (n === 1) b.matvec(o, wt, xt);
  else b.matmul(o, xt, wt);
  const r = (await b.read(o)) as Float32Array;
  for (const t of [wt, xt, o]) b.free(t);
  return r;
}

/** Float64 oracle of X[n, k] · W[m, k]ᵀ for f16 W (raw halves), and Σ|w·x| per output for relative errors. */
export function f16LinearOracle(w: Uint16Array, m: number, k: number, x: Float32Array, n: number): { out: Float64Array; mag: Float64Array } {
  const out = new Float64Array(n * m);
  const mag = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < m; r++) {
      let s = 0;
      let a = 0;
      for (let j = 0; j < k; j++) {
        const p = fromF16Bits(w[r * k + j]) * x[i * k + j];
        s += p;
        a += Math.abs(p);
      }
      out[i * m + r] = s;
      mag[i * m + r] = a;
    }
  return { out, mag };
}
