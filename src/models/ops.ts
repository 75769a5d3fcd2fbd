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

