/**
 * Loading the compiled WebAssembly SIMD module (build/sparrow.wasm, made by `npm run build:wasm`)
 * in the browser (fetch, via Vite's asset URL) and in Node (read from disk).
 */
import { SparrowError } from '../../errors.ts';

let compiled: Promise<WebAssembly.Module> | undefined;

/** A tiny module using one SIMD instruction: validating it tells whether SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function wasmSimdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

export function compileSparrowWasm(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    if (!wasmSimdSupported()) {
      throw new SparrowError('BACKEND_UNAVAILABLE', 'wasm: this runtime does not support WebAssembly SIMD');
    }
    const url = new URL('../../../build/sparrow.wasm', import.meta.url);
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
  })();
  compiled.catch(() => (compiled = undefined));
  return compiled;
}
