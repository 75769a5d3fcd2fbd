/**
 * Scratch tensors for a forward pass. A decode step asks for the same shapes in the same order every
 * time, so a state keeps one persistent Scratch and hands the same buffers back on every step (no
 * per-token allocation — on WebGPU that would be ~20 createBuffer calls per token). Prefill uses a
 * throwaway Scratch that is freed at the end of the call.
 */
import type { Backend, DType, Tensor } from '../backends/backend.ts';

export class Scratch {
  private list: Tensor[] = [];
  private cursor = 0;
  constructor(private readonly b: Backend) {}

  /** Start handing out tensors from the beginning again. */
  reset(): void {
    this.cursor = 0;
  }

  /** The next scratch tensor of this shape and dtype (reused when the slot already matches). */
  get(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    const cur = this.list[this.cursor];
    if (cur && cur.dtype === dtype && cur.shape.length === shape.length && cur.shape.every((d, i) => d === shape[i])) {
      this.cursor++;
      return cur;
    }
    if (cur) this.b.free(cur);
    const t = this.b.tensor(shape, dtype);
    this.list[this.cursor++] = t;
    return t;
  }

  bytes(): number {
    return this.list.reduce((a, t) => a + t.byteSize, 0);
  }

  free(): void {
    for (const t of this.list) this.b.free(t);
    this.list = [];
    this.cursor = 0;
  }
}
