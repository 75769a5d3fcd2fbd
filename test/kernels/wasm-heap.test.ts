/** The wasm backend's allocator (src/backends/wasm/memory.ts): how linear memory grows. */
import { describe, expect, it } from 'vitest';
import { WasmHeap } from '../../src/backends/wasm/memory.ts';
import { isSparrowError } from '../../src/errors.ts';

const PAGE = 65536;

/** A memory whose grow calls are counted. */
function counted(initial: number, maximum?: number): { memory: WebAssembly.Memory; grows: number[] } {
  const memory = new WebAssembly.Memory(maximum === undefined ? { initial } : { initial, maximum });
  const grows: number[] = [];
  const grow = memory.grow.bind(memory);
  memory.grow = (pages: number) => {
    const r = grow(pages);
    grows.push(pages);
    return r;
  };
  return { memory, grows };
}

describe('WasmHeap growth', () => {
  it('grows by at least a quarter of its size: 1,000 tensors of 64 KiB take few grows, not one each', () => {
    const { memory, grows } = counted(1);
    const heap = new WasmHeap(memory, 0);
    const ptrs = Array.from({ length: 1000 }, () => heap.alloc(PAGE));
    expect(new Set(ptrs).size).toBe(1000);
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(1000 * PAGE);
    expect(memory.buffer.byteLength).toBeLessThanOrEqual(1.25 * 1000 * PAGE + PAGE);
    expect(grows.length).toBeLessThan(40); // log_1.25(1000) ≈ 31
  });

  it('falls back to the exact size when the larger grow is refused, and says SIZE_LIMIT beyond the maximum', () => {
    const { memory, grows } = counted(8, 12);
    const heap = new WasmHeap(memory, 0);
    heap.alloc(8 * PAGE); // fits the initial 8 pages
    heap.alloc(3 * PAGE); // a quarter of 8 is 2 pages, less than the 3 needed: grows by 3
    heap.alloc(PAGE); // a quarter of 11 is 2 pages, beyond the maximum of 12: grows by exactly 1
    expect(grows).toEqual([3, 1]);
    expect(memory.buffer.byteLength).toBe(12 * PAGE);
    let err: unknown;
    try {
      heap.alloc(PAGE);
    } catch (e) {
      err = e;
    }
    expect(isSparrowError(err, 'SIZE_LIMIT')).toBe(true);
  });
});
