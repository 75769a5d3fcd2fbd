/**
 * The op families models need beyond CoreOps (attention, sequence kernels), as one Backend type.
 * Backends gain these through `extends` on the Backend interface as the families land; until a
 * backend has one, `need` turns the gap into a typed UNSUPPORTED error naming the op.
 */
import { SparrowError } from '../errors.ts';
import type { Backend, Tensor } from '../backends/backend.ts';
import type { AttentionOps } from '../backends/ops/attention.ts';
import type { SequenceOps } from '../backends/ops/sequence.ts';

export type ModelBackend = Backend & AttentionOps & SequenceOps;

export function need(b: Backend, ...ops: (keyof AttentionOps | keyof SequenceOps)[]): ModelBackend {
  for (const op of ops) {
    if (typeof (b as unknown as Record<string, unknown>)[op] !== 'function') {
      throw new SparrowError('UNSUPPORTED', `${b.name} backend has no ${op} op (needed by this model)`, { backend: b.name, op });
    }
  }
  return b as ModelBackend;
}

/**
 * relu(x)² for RWKV-4's channel mix, from core ops only (CoreOps has no relu):
 * sign(x) = rmsnorm over rows of length 1 with a tiny eps (x / sqrt(x² + 1e-30)), then
 * relu(x) = x · (sign(x) + 1) / 2 and the square. Exact to f32 rounding for |x| ≫ 1e-15.
 * No output aliases an input (WebGPU forbids a buffer bound both writable and read-only).
 * t1, t2 have x's shape; c1, c2 are [x.size, 1]; `one` is an f32 [1] tensor holding 1.
 */
export function reluSquared(b: Backend, out: Tensor, x: Tensor, t1: Tensor, t2: Tensor, c1: Tensor, c2: Tensor, one: Tensor): void {
  b.copy(c1, 0, x, 0, x.size);
  b.rmsnorm(c2, c1, one, 1e-30); // sign(x)
  b.copy(t1, 0, c2, 0, x.size);
  b.add(t2, t1, one); // sign + 1 ∈ {0, 1, 2}
  b.mul(t1, t2, x); // 2·relu(x)
  b.scale(t2, t1, 0.5);
  b.mul(out, t2, t2);
}
