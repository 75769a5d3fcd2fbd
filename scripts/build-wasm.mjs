// Builds assembly/ (AssemblyScript) with SIMD enabled, four times from the same sources:
//  - build/sparrow.wasm: own (non-shared) memory, for every page (no cross-origin isolation needed);
//  - build/sparrow-mt.wasm: imports a shared WebAssembly.Memory (env.memory) so several instances —
//    the calling thread and the helper workers of src/backends/wasm/threads.ts — run kernels on the
//    same tensors. Each instantiation re-writes its (active) data segments below heapBase(). For the
//    constant tables that stores identical bytes. The IQ grids' f32 copies (assembly/quant.ts) are
//    filled at run time and would be zeroed again, so every instance on a memory must be instantiated
//    before any kernel runs, as WasmBackend.createThreaded does. No passive segments are needed;
//  - build/sparrow-relaxed.wasm, build/sparrow-mt-relaxed.wasm: the same two with relaxed SIMD
//    (ASC_FEATURE_RELAXED_SIMD is true there: relaxed dot-adds for the int8-activation dots, fused
//    multiply-adds, relaxed table lookups; assembly/relaxed.ts), loaded where the runtime supports
//    it (src/backends/wasm/module.ts).
// Skips a compile when its output is newer than every source file; compiles run side by side.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const sources = readdirSync('assembly').filter((f) => f.endsWith('.ts')).map((f) => join('assembly', f));
const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs), statSync('scripts/build-wasm.mjs').mtimeMs);
const common = ['-O3', '--converge', '--noAssert', '--enable', 'simd', '--runtime', 'stub', '--initialMemory', '16',
  // [0, 262144) stays free for the sparse kernels' staged x (assembly/core-sparse.ts stage_x0 / _x4 /
  // _xt4: a fixed address makes every gathered load a single [memory + offset] access).
  '--memoryBase', '262144'];
// 65536 pages = 4 GiB, the wasm32 limit WasmHeap allows itself; shared memories need a maximum.
const shared = ['--enable', 'threads', '--importMemory', '--sharedMemory', '--maximumMemory', '65536'];
const relaxed = ['--enable', 'relaxed-simd'];
const targets = [
  { out: 'build/sparrow.wasm', wat: 'build/sparrow.wat', flags: [] },
  { out: 'build/sparrow-mt.wasm', wat: 'build/sparrow-mt.wat', flags: shared },
  { out: 'build/sparrow-relaxed.wasm', wat: 'build/sparrow-relaxed.wat', flags: relaxed },
  { out: 'build/sparrow-mt-relaxed.wasm', wat: 'build/sparrow-mt-relaxed.wat', flags: [...shared, ...relaxed] },
];
mkdirSync('build', { recursive: true });
const run = promisify(execFile);
const stale = targets.filter(({ out }) => !existsSync(out) || statSync(out).mtimeMs <= newest || process.argv.includes('--force'));
await Promise.all(
  stale.map(async ({ out, wat, flags }) => {
    const { stdout, stderr } = await run(process.execPath, ['node_modules/assemblyscript/bin/asc.js', 'assembly/index.ts', '-o', out, '-t', wat, ...common, ...flags]).catch((e) => {
      process.stderr.write(`${e.stdout ?? ''}${e.stderr ?? ''}`);
      console.error(`asc failed for ${out}`);
      process.exit(1);
    });
    process.stdout.write(stdout);
    process.stderr.write(stderr);
    console.log(`built ${out} (${statSync(out).size} bytes)`);
  }),
);
