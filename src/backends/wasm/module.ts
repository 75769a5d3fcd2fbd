/**
 * Loading the compiled WebAssembly SIMD module (build/sparrow.wasm, made by `npm run build:wasm`)
 * in the browser (fetch, via Vite's asset URL) and in Node (read from disk).
 */
import { SparrowError } from '../../errors.ts';

let compiled: Promise<WebAssembly.Module> | undefined;
let compiledMt: Promise<WebAssembly.Module> | undefined;

/** A tiny module using one SIMD instruction: validating it tells whether SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function wasmSimdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

/** build/sparrow.wasm: the module with its own (non-shared) memory. */
export function compileSparrowWasm(): Promise<WebAssembly.Module> {
  compiled ??= load(new URL('../../../build/sparrow.wasm', import.meta.url));
  compiled.catch(() => (compiled = undefined));
  return compiled;
}

/**
 * build/sparrow-mt.wasm: the same kernels importing a shared memory (env.memory, up to 65536 pages),
 * instantiated once per thread by the thread pool (./threads.ts).
 */
export function compileSparrowWasmMt(): Promise<WebAssembly.Module> {
  compiledMt ??= load(new URL('../../../build/sparrow-mt.wasm', import.meta.url));
  compiledMt.catch(() => (compiledMt = undefined));
  return compiledMt;
}

/** Pages of the shared memory's maximum: must match --maximumMemory in scripts/build-wasm.mjs. */
export const MT_MAX_PAGES = 65536;

async function load(url: URL): Promise<WebAssembly.Module> {
  if (!wasmSimdSupported()) {
    throw new SparrowError('BACKEND_UNAVAILABLE', 'wasm: this runtime does not support WebAssembly SIMD');
  }
  if (url.protocol === 'file:') {
    const fsName = 'node:fs/promises';
    const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
    const bytes = await fs.readFile(url).catch(() => {
      throw new SparrowError('BACKEND_UNAVAILABLE', `wasm: ${url.pathname} is missing; run npm run build:wasm`);
    });
    return WebAssembly.compile(bytes);
  }
  const res = await fetch(url);
  if (!res.ok) throw new SparrowError('BACKEND_UNAVAILABLE', `wasm: fetching ${url} failed with HTTP ${res.status}`);
  return WebAssembly.compile(await res.arrayBuffer());
}
