/**
 * Sparse matvec on the wasm thread pool: the pruned SmolLM2 linears' shapes (80 % zeros, random
 * positions) at 1 vs N threads, round-robin per repetition so load drift hits both alike. Separates
 * the kernel's scaling from the whole model's (bench/node-pruned.ts --threads 1,2). Reports min and
 * median per op and the 1-thread / N-thread ratios; a free-core check before and after says whether
 * the N threads had cores of their own (docs/threads.md).
 * Run: `npm run build:wasm && node --import tsx bench/node-spmv-threads.ts [--threads 2] [--reps 300] [--min-split N]`
 * (--min-split: the pool's minSplitWork, default the backend's; 0 splits the small k/v shape too).
 * Writes bench/results/node-spmv-threads.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { CsrData } from '../src/backends/backend.ts';
import { WasmBackend } from '../src/backends/wasm/backend.ts';
import type { SparseLayoutKind } from '../src/backends/wasm/sparse.ts';
import { freeCoreRatio } from './free-core.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const THREADS = Number(arg('threads', '2'));
const REPS = Number(arg('reps', '300'));
const MIN_SPLIT = arg('min-split', '');
// SmolLM2-135M linears [rows, cols]: q/o, k/v, gate/up, down
const SHAPES: Array<[number, number]> = [[576, 576], [192, 576], [1536, 576], [576, 1536]];
const LAYOUTS: SparseLayoutKind[] = ['csr16', 'win16'];

/** 20 % density, positions and values from a fixed LCG (reproducible). */
function csr(rows: number, cols: number, seed: number): CsrData {
  let s = seed >>> 0;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const rowPtr = new Uint32Array(rows + 1);
  const col: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) if (r() < 0.2) (col.push(c), val.push(r() - 0.5));
    rowPtr[i + 1] = col.length;
  }
  return { rows, cols, rowPtr, colIdx: Uint32Array.from(col), values: Float32Array.from(val) };
}

const one = await WasmBackend.create();
const many = await WasmBackend.create({ threads: THREADS, ...(MIN_SPLIT ? { minSplitWork: Number(MIN_SPLIT) } : {}) });
const freeCore = [await freeCoreRatio(THREADS)];
const results: Record<string, unknown>[] = [];
for (const layout of LAYOUTS) {
  for (const [m, k] of SHAPES) {
    const data = csr(m, k, m * 7 + k);
    const x = Float32Array.from({ length: k }, (_, i) => Math.sin(i));
    const setup = (b: WasmBackend) => ({ s: b.sparse(data, layout), x: b.tensor([k], 'f32', x), o: b.tensor([m], 'f32') });
    const runs = [one, many].map((b) => ({ b, t: setup(b), ms: [] as number[] }));
    const parts0 = many.pool!.stats.partsHelpers;
    for (let rep = 0; rep < REPS + 20; rep++) {
      for (const r of runs) {
        const t0 = performance.now();
        for (let i = 0; i < 10; i++) r.b.spmv(r.t.o, r.t.s, r.t.x); // 10 back to back, like a decode step's linears
        const dt = (performance.now() - t0) / 10;
        if (rep >= 20) r.ms.push(dt);
      }
    }
    const st = (a: number[]) => {
      const s = [...a].sort((p, q) => p - q);
      return { min: s[0], median: s[s.length >> 1] };
    };
    const [a, b] = runs.map((r) => st(r.ms));
    const out = [await one.read(runs[0].t.o), await many.read(runs[1].t.o)] as Float32Array[];
    const identical = out[0].every((v, i) => Object.is(v, out[1][i]));
    const r = {
      op: `spmv ${layout} [${m}, ${k}] nnz ${data.rowPtr[m]}`,
      oneMinUs: +(a.min * 1000).toFixed(1), oneMedianUs: +(a.median * 1000).toFixed(1),
      manyMinUs: +(b.min * 1000).toFixed(1), manyMedianUs: +(b.median * 1000).toFixed(1),
      ratioMin: +(a.min / b.min).toFixed(2), ratioMedian: +(a.median / b.median).toFixed(2),
      helperParts: many.pool!.stats.partsHelpers - parts0, identical,
    };
    console.log(JSON.stringify(r));
    results.push(r);
    for (const { b, t } of runs) for (const z of [t.s, t.x, t.o]) b.free(z);
  }
}
freeCore.push(await freeCoreRatio(THREADS));
console.log(`free-core check (${THREADS} spinning threads / 1), before and after: ${freeCore.join(', ')}; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/node-spmv-threads.json', JSON.stringify({ date: new Date().toISOString(), node: process.version, command: `node --import tsx bench/node-spmv-threads.ts ${process.argv.slice(2).join(' ')}`, threads: THREADS, reps: REPS, minSplitWork: many.minSplitWork, loadavg: loadavg(), freeCoreRatio: freeCore, results }, null, 2));
console.log('wrote bench/results/node-spmv-threads.json');
one.dispose();
many.dispose();
