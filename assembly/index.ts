// Entry point of the WebAssembly SIMD module. Every kernel works on raw pointers into linear
// memory that the JS-side allocator (src/backends/wasm/memory.ts) hands out; no AssemblyScript
// managed objects are used (runtime "stub"), so the module is just loops over memory.
export * from './core';
export * from './quant';
export * from './quant-q8';
export * from './bf16';
export * from './attention';
export * from './attention-tiled';
export * from './sequence';
export * from './core-math';
export * from './core-matvec';
export * from './f16-matvec';
export * from './core-rows';
export * from './core-sparse';
export * from './micro';
export * from './threads';

/** First free byte above the module's static data: the JS allocator manages memory from here. */
export function heapBase(): usize {
  return __heap_base;
}
