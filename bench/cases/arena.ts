/** Tensors of one bench case's setup, remembered so its dispose frees exactly what setup made. */
import type { Backend, Tensor } from '../../src/backends/backend.ts';

export interface Arena {
  /** A new f32 tensor (zero-filled unless `data` is given). */
  t(shape: number[], data?: Float32Array): Tensor;
  /** Adopt a tensor made elsewhere (e.g. by an op that returns one). */
  keep(t: Tensor): Tensor;
  dispose(): void;
}

export function arena(b: Backend): Arena {
  const made: Tensor[] = [];
  return {
    t(shape, data) {
      const t = b.tensor(shape, 'f32', data);
      made.push(t);
      return t;
    },
    keep(t) {
      made.push(t);
      return t;
    },
    dispose() {
      for (const t of made.splice(0)) b.free(t);
    },
  };
}
