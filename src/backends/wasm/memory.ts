/**
 * Explicit memory for the wasm backend: a first-fit free-list allocator over the module's linear
 * memory, above the module's own static data. Blocks are 16-byte aligned for v128 loads.
 * Memory grows on demand; typed-array views must be recreated after growth (use `view`).
 */
import { SparrowError } from '../../errors.ts';

const ALIGN = 16;
const PAGE = 65536;
/** wasm32 address space limit we allow ourselves (4 GiB minus one page). */
const MAX_BYTES = 4 * 1024 * 1024 * 1024 - PAGE;

export class WasmHeap {
  /** Free blocks sorted by address: [ptr, size]. */
  private free: Array<[number, number]> = [];
  private top: number;
  private sizes = new Map<number, number>();
  used = 0;

  constructor(
    readonly memory: WebAssembly.Memory,
    base: number,
  ) {
    this.top = align(base);
  }

  alloc(bytes: number): number {
    const size = Math.max(ALIGN, align(bytes));
    for (let i = 0; i < this.free.length; i++) {
      const [ptr, fsize] = this.free[i];
      if (fsize >= size) {
        if (fsize === size) this.free.splice(i, 1);
        else this.free[i] = [ptr + size, fsize - size];
        this.sizes.set(ptr, size);
        this.used += size;
        return ptr;
      }
    }
    const ptr = this.top;
    const end = ptr + size;
    if (end > MAX_BYTES) {
      throw new SparrowError('SIZE_LIMIT', `wasm: cannot allocate ${bytes} bytes (linear memory is limited to 4 GiB, ${this.used} bytes in use)`, { bytes });
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) this.grow(have, end, bytes);
    this.top = end;
    this.sizes.set(ptr, size);
    this.used += size;
    return ptr;
  }

  /**
   * Grow the memory to hold `end` bytes, by at least a quarter of its size when that fits: loading
   * a model allocates hundreds of tensors one after another, and growing by exactly each one took
   * ~0.2 s of a 1.7 s SmolLM2-shape load (every grow may move the buffer). The extra pages are
   * reserved, not touched. Falls back to the exact size when the larger grow is refused.
   */
  private grow(have: number, end: number, bytes: number): void {
    const need = Math.ceil((end - have) / PAGE);
    const extra = Math.min(Math.floor(have / PAGE / 4), Math.floor((MAX_BYTES - have) / PAGE));
    for (const pages of extra > need ? [extra, need] : [need]) {
      try {
        this.memory.grow(pages);
        return;
      } catch {
        // too large for the engine or the memory's maximum: try the exact size, then give up
      }
    }
    throw new SparrowError('SIZE_LIMIT', `wasm: growing linear memory to ${end} bytes failed`, { bytes });
  }

  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new SparrowError('INTERNAL', `wasm: double free of ${ptr}`);
    this.sizes.delete(ptr);
    this.used -= size;
    // insert sorted, then merge neighbours
    let i = 0;
    while (i < this.free.length && this.free[i][0] < ptr) i++;
    this.free.splice(i, 0, [ptr, size]);
    if (i + 1 < this.free.length && ptr + size === this.free[i + 1][0]) {
      this.free[i][1] += this.free[i + 1][1];
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1][0] + this.free[i - 1][1] === ptr) {
      this.free[i - 1][1] += this.free[i][1];
      this.free.splice(i, 1);
      i--;
    }
    // give the last block back to the bump region
    const last = this.free[this.free.length - 1];
    if (last && last[0] + last[1] === this.top) {
      this.top = last[0];
      this.free.pop();
    }
  }

  get bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
