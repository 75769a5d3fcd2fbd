/**
 * Node-side measurement of the wasm core kernels (the Chromium suite is `npm run bench`):
 * memcopy bandwidth vs dense matvec (f32, f16), matmul, and every sparse layout at several
 * sparsities. Run: `npm run build:wasm && node --import tsx bench/node-core.ts [--quick]`.
 * Prints a table and writes bench/results/node-core.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { ReferenceBackend } from '../src/backends/reference/backend.ts';
import { WasmBackend } from '../src/backends/wasm/backend.ts';
import { SPARSE_LAYOUTS } from '../src/backends/wasm/sparse.ts';
import { csrFromDense } from '../src/backends/sparse.ts';
import { f32ToF16Array } from '../src/util/f16.ts';
import { randomF32, rng } from '../test/helpers/random.ts';

const quick = process.argv.includes('--quick');
const useMin = process.argv.includes('--min');
/** --sparse: only the sparse section (dense f32 matvec in the same rounds as the baseline). */
const sparseOnly = process.argv.includes('--sparse');
/** --sparsity=0.8,0.9: which sparsities the sparse section measures. */
const sparsityArg = process.argv.find((a) => a.startsWith('--sparsity='));
const SPARSITIES = sparsityArg ? sparsityArg.slice(11).split(',').map(Number) : [0.5, 0.8, 0.9, 0.95];
/** --layouts=csr16,win8: which layouts (default: all). */
const layoutArg = process.argv.find((a) => a.startsWith('--layouts='));
const LAYOUTS = layoutArg ? (layoutArg.slice(10).split(',') as typeof SPARSE_LAYOUTS[number][]) : SPARSE_LAYOUTS;
const M = 4096;
const K = 4096;

/** Median milliseconds of `runs` timed calls after a warm-up. */
function time(f: () => void, runs = quick ? 5 : 15): { median: number; min: number } {
  for (let i = 0; i < 3; i++) f();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { median: ts[ts.length >> 1], min: ts[0] };
}

interface Row {
  name: string;
  ms: number;
  gbps?: number;
  bytes?: number;
  note?: string;
}
const rows: Row[] = [];
function record(name: string, ms: number, bytes?: number, note?: string): Row {
  const r: Row = { name, ms, bytes, gbps: bytes ? bytes / ms / 1e6 : undefined, note };
  rows.push(r);
  console.log(`${name.padEnd(40)} ${ms.toFixed(3).padStart(9)} ms${r.gbps ? `  ${r.gbps.toFixed(2).padStart(6)} GB/s` : ''}${note ? `  ${note}` : ''}`);
  return r;
}

function sparseMatrix(sparsity: number, seed: number): Float32Array {
  const r = rng(seed);
  const w = randomF32(M * K, seed + 1);
  for (let i = 0; i < w.length; i++) if (r() < sparsity) w[i] = 0;
  return w;
}

const wasm = await WasmBackend.create();
const ref = new ReferenceBackend();


/**
 * Time several functions round-robin (one call each per round) and return each one's median, so
 * ratios between them survive the load drift of a shared machine.
 */
function interleaved(fs: Array<() => void>, runs = quick ? 7 : 21): number[] {
  for (const f of fs) for (let i = 0; i < 2; i++) f();
  const ts: number[][] = fs.map(() => []);
  for (let r = 0; r < runs; r++) {
    fs.forEach((f, i) => {
      const t0 = performance.now();
      f();
      ts[i].push(performance.now() - t0);
    });
  }
  // On a loaded machine the minimum is the better estimate of uncontended speed (--min).
  return ts.map((t) => t.sort((a, b) => a - b)[useMin ? 0 : t.length >> 1]);
}

// Inputs: dense W (f32, f16), x, and a 64 MiB buffer pair for memcopy.
const n = M * K;
const wd = randomF32(n, 7, -0.05, 0.05);
const W32 = wasm.tensor([M, K], 'f32', wd);
const W16 = wasm.tensor([M, K], 'f16', f32ToF16Array(wd));
const X = wasm.tensor([K], 'f32', randomF32(K, 8));
const O = wasm.tensor([M], 'f32');
const src = wasm.tensor([n], 'f32', randomF32(n, 1));
const dst = wasm.tensor([n], 'f32');
if (!sparseOnly) {
const [mcMs, mv32Ms, mv16Ms] = interleaved([() => wasm.memcopy(dst, src), () => wasm.matvec(O, W32, X), () => wasm.matvec(O, W16, X)]);
// memcopy bandwidth counts bytes read + written (as bench/cases/core.ts does); matvec counts weight bytes read.
const memcopy = record('memcopy_f32 64 MiB (read+write)', mcMs, 8 * n);
const dense = record('wasm matvec f32 4096x4096', mv32Ms, 4 * n);
record('wasm matvec f16 4096x4096', mv16Ms, 2 * n);
wasm.free(src);
wasm.free(dst);
{
  const rw = ref.tensor([M, K], 'f32', wd);
  const rx = ref.tensor([K], 'f32', randomF32(K, 8));
  const ro = ref.tensor([M], 'f32');
  const refMs = time(() => ref.matvec(ro, rw, rx), 3).median;
  record('reference matvec f32 4096x4096', refMs, 4 * n);
  console.log(`  matvec f32 bandwidth = ${((100 * dense.gbps!) / memcopy.gbps!).toFixed(0)}% of memcopy; wasm/reference speed-up ${(refMs / dense.ms).toFixed(1)}x`);
}

// matmul: 16 tokens, against 16 matvecs in the same rounds
{
  const N = 16;
  const Xn = wasm.tensor([N, K], 'f32', randomF32(N * K, 10));
  const On = wasm.tensor([N, M], 'f32');
  const [mm32, mm16, mv32, mv16] = interleaved(
    [() => wasm.matmul(On, Xn, W32), () => wasm.matmul(On, Xn, W16), () => wasm.matvec(O, W32, X), () => wasm.matvec(O, W16, X)],
    quick ? 3 : 7,
  );
  record(`wasm matmul f32 N=${N} 4096x4096`, mm32, undefined, `${(mm32 / N).toFixed(3)} ms/token, ${((N * mv32) / mm32).toFixed(1)}x faster than ${N} matvecs`);
  record(`wasm matmul f16 N=${N} 4096x4096`, mm16, undefined, `${(mm16 / N).toFixed(3)} ms/token, ${((N * mv16) / mm16).toFixed(1)}x faster than ${N} matvecs`);
  wasm.free(Xn);
  wasm.free(On);
}
}

// sparse: every layout, round-robin with the dense f32 matvec
const sparseResults: Record<string, unknown>[] = [];
for (const sparsity of SPARSITIES) {
  const csr = csrFromDense(sparseMatrix(sparsity, Math.round(sparsity * 100)), M, K);
  const ts = LAYOUTS.map((layout) => wasm.sparse(csr, layout));
  const ms = interleaved([() => wasm.matvec(O, W32, X), ...ts.map((s) => () => wasm.spmv(O, s, X))]);
  record(`dense matvec (same rounds) ${(sparsity * 100).toFixed(0)}%`, ms[0], 4 * n);
  LAYOUTS.forEach((layout, i) => {
    const ratio = ts[i].byteSize / (4 * n);
    const speedup = ms[0] / ms[i + 1];
    record(`spmv ${layout} ${(sparsity * 100).toFixed(0)}%`, ms[i + 1], ts[i].byteSize, `${speedup.toFixed(2)}x dense, size ${(100 * ratio).toFixed(2)}% of f32`);
    sparseResults.push({ layout, sparsity, ms: ms[i + 1], denseMs: ms[0], speedupVsDense: speedup, sizeRatio: ratio });
  });
  for (const t of ts) wasm.free(t);
}

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/node-core.json', JSON.stringify({ date: new Date().toISOString(), node: process.version, statistic: useMin ? 'min' : 'median', loadavg: loadavg(), rows, sparse: sparseResults }, null, 2));
console.log('wrote bench/results/node-core.json');
