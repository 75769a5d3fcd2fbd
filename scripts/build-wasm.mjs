// Builds assembly/ (AssemblyScript) with SIMD enabled, twice from the same sources:
//  - build/sparrow.wasm: own (non-shared) memory, for every page (no cross-origin isolation needed);
//  - build/sparrow-mt.wasm: imports a shared WebAssembly.Memory (env.memory) so several instances —
//    the calling thread and the helper workers of src/backends/wasm/threads.ts — run kernels on the
//    same tensors. Its data segments are read-only constant tables, so each instantiation re-writing
//    them (active segments) stores identical bytes below heapBase(): harmless, no passive segments needed.
// Skips a compile when its output is newer than every source file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const sources = readdirSync('assembly').filter((f) => f.endsWith('.ts')).map((f) => join('assembly', f));
const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs), statSync('scripts/build-wasm.mjs').mtimeMs);
const common = ['-O3', '--converge', '--noAssert', '--enable', 'simd', '--runtime', 'stub', '--initialMemory', '16',
  // [0, 262144) stays free for the sparse kernels' staged x (assembly/core-sparse.ts stage_x0 / _x4 /
  // _xt4: a fixed address makes every gathered load a single [memory + offset] access).
  '--memoryBase', '262144'];
const targets = [
  { out: 'build/sparrow.wasm', wat: 'build/sparrow.wat', flags: [] },
  // 65536 pages = 4 GiB, the wasm32 limit WasmHeap allows itself; shared memories need a maximum.
  { out: 'build/sparrow-mt.wasm', wat: 'build/sparrow-mt.wat', flags: ['--enable', 'threads', '--importMemory', '--sharedMemory', '--maximumMemory', '65536'] },
];
mkdirSync('build', { recursive: true });
for (const { out, wat, flags } of targets) {
  if (existsSync(out) && statSync(out).mtimeMs > newest && !process.argv.includes('--force')) continue;
  execFileSync(process.execPath, ['node_modules/assemblyscript/bin/asc.js', 'assembly/index.ts', '-o', out, '-t', wat, ...common, ...flags], { stdio: 'inherit' });
  console.log(`built ${out} (${statSync(out).size} bytes)`);
}
