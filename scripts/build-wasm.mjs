// Builds assembly/ (AssemblyScript) into build/sparrow.wasm with SIMD enabled.
// Skips the compile when the output is newer than every source file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const out = 'build/sparrow.wasm';
const sources = readdirSync('assembly').filter((f) => f.endsWith('.ts')).map((f) => join('assembly', f));
const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs), statSync('scripts/build-wasm.mjs').mtimeMs);
if (existsSync(out) && statSync(out).mtimeMs > newest && !process.argv.includes('--force')) process.exit(0);
mkdirSync('build', { recursive: true });
execFileSync(
  process.execPath,
  [
    'node_modules/assemblyscript/bin/asc.js', 'assembly/index.ts',
    '-o', out, '-t', 'build/sparrow.wat',
    '-O3', '--converge', '--noAssert',
    '--enable', 'simd', '--runtime', 'stub',
    '--initialMemory', '16',
  ],
  { stdio: 'inherit' },
);
console.log(`built ${out} (${statSync(out).size} bytes)`);
