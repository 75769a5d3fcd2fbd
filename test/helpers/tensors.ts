/** Tensor lifetimes in kernel tests: everything a check makes is freed, even when it throws. */
import type { Backend, Tensor } from '../../src/backends/backend.ts';

/** f32 tensor maker handed to `withTensors` callbacks. */
export type MakeTensor = (shape: number[], data: Float32Array) => Tensor;

/** Run `f` with a maker of f32 tensors on `b`; every tensor it made is freed afterwards. Returns what `f` returns. */
export async function withTensors<T>(b: Backend, f: (t: MakeTensor) => Promise<T>): Promise<T> {
  const live: Tensor[] = [];
  try {
    return await f((shape, data) => {
      const x = b.tensor(shape, 'f32', data);
      live.push(x);
      return x;
    });
  } finally {
    for (const x of live) b.free(x);
  }
}
