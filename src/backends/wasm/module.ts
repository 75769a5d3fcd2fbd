/**
 * Loading the compiled WebAssembly SIMD module (build/sparrow.wasm, made by `npm run build:wasm`)
 * in the browser (fetch, via Vite's asset URL) and in Node (read from disk).
 *
 * Each module also exists built with relaxed SIMD (build/sparrow-relaxed.wasm, -mt-relaxed), used
 * where the runtime supports it (wasmRelaxedSimdSupported: Chrome / Edge ≥ 114; presumably Node ≥ 22,
 * V8 ≥ 11.4, not tried here — Node 20 gets the plain build):
 * - the int8-activation block dots take one `i32x4.relaxed_dot_i8x16_i7x16_add_s` per 16 bytes; they
 *   are exact integer sums either way, so both builds give the same bits (tested);
 * - the prefill register tile (matmulRows' 4 rows × 2 tokens), the exact-activation block dots
 *   (dot16), the F16 / BF16 / F32 matvecs and the attention kernels multiply-add with
 *   `f32x4.relaxed_madd`, fused where the CPU has FMA: one rounding instead of two per term, so
 *   their sums differ from the plain build's in the last bits (within the suites' tolerances);
 * - 16-entry table lookups take `i8x16.relaxed_swizzle` (indices are always 0..15: same bytes).
 */
import { SparrowError } from '../../errors.ts';

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** A tiny module using one SIMD instruction: validating it tells whether SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function wasmSimdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

/**
 * A tiny module exporting f(): i32 = lane 0 of `i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, c)` with
 * a = (3, −100, 3, −100, …), b = (1, 2, 3, 4, …) (7-bit), c = (5, …): 3 − 200 + 9 − 400 + 5 = −583.
 */
function relaxedProbe(): Uint8Array<ArrayBuffer> {
  const a = Array.from({ length: 16 }, (_, i) => (i % 2 ? 256 - 100 : 3));
  const b = Array.from({ length: 16 }, (_, i) => i + 1);
  const c = [5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const body = [0, ...[a, b, c].flatMap((v) => [0xfd, 0x0c, ...v]), 0xfd, 0x93, 0x02, 0xfd, 0x1b, 0, 0x0b];
  return new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0,
    1, 5, 1, 0x60, 0, 1, 0x7f, // type: () → i32
    3, 2, 1, 0, // one function
    7, 5, 1, 1, 0x66, 0, 0, // export "f"
    10, body.length + 2, 1, body.length, ...body,
  ]);
}

let relaxedOk: boolean | undefined;

/**
 * Whether this runtime runs relaxed SIMD's dot-add as the relaxed builds need: it validates, and a
 * known answer comes out right. The second check is not idle: Node 20's V8 (11.3) validates the op
 * behind `--experimental-wasm-relaxed-simd` but returns twice the dot (measured; V8 11.4 shipped it
 * fixed), so a runtime with that flag set must get the plain build.
 */
export function wasmRelaxedSimdSupported(): boolean {
  if (relaxedOk === undefined) {
    relaxedOk = false;
    try {
      const bytes = relaxedProbe();
      if (wasmSimdSupported() && WebAssembly.validate(bytes)) {
        const f = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f as () => number;
        relaxedOk = f() === -583;
      }
    } catch {
      relaxedOk = false;
    }
  }
  return relaxedOk;
}

/**
 * Which build to use: `relaxed` true demands the relaxed one (BACKEND_UNAVAILABLE where
 * wasmRelaxedSimdSupported is false), false the plain one, 'auto' (default) the relaxed one where supported.
 */
export function pickRelaxed(relaxed: boolean | 'auto' = 'auto'): boolean {
  if (relaxed === false) return false;
  const ok = wasmRelaxedSimdSupported();
  if (relaxed === true && !ok) throw new SparrowError('BACKEND_UNAVAILABLE', 'wasm: this runtime does not support WebAssembly relaxed SIMD (or computes its dot product wrongly)');
  return ok;
}

/** build/sparrow.wasm (or -relaxed): the module with its own (non-shared) memory. */
export function compileSparrowWasm(relaxed = false): Promise<WebAssembly.Module> {
  return cached(relaxed ? 'sparrow-relaxed' : 'sparrow', () =>
    relaxed ? load(new URL('../../../build/sparrow-relaxed.wasm', import.meta.url)) : load(new URL('../../../build/sparrow.wasm', import.meta.url)),
  );
}

/**
 * build/sparrow-mt.wasm (or -mt-relaxed): the same kernels importing a shared memory (env.memory, up
 * to 65536 pages), instantiated once per thread by the thread pool (./threads.ts).
 */
export function compileSparrowWasmMt(relaxed = false): Promise<WebAssembly.Module> {
  return cached(relaxed ? 'sparrow-mt-relaxed' : 'sparrow-mt', () =>
    relaxed ? load(new URL('../../../build/sparrow-mt-relaxed.wasm', import.meta.url)) : load(new URL('../../../build/sparrow-mt.wasm', import.meta.url)),
  );
}

/** One compile per build; a failed one is forgotten so that a later call tries again. */
function cached(key: string, make: () => Promise<WebAssembly.Module>): Promise<WebAssembly.Module> {
  let p = compiled.get(key);
  if (!p) {
    p = make();
    compiled.set(key, p);
    p.catch(() => compiled.delete(key));
  }
  return p;
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
