/**
 * Node-side measurement of the wasm core kernels (the Chromium suite is `npm run bench`):
 * memcopy bandwidth vs dense matvec (f32, f16), matmul, and every sparse layout at several
 * sparsities. Run: `npm run build:wasm && node --import tsx bench/node-core.ts [--quick]`.
 * Prints a table and writes bench/results/node-core.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { ReferenceBackend } from '../src/backends/reference/backend.ts';
import { WasmBackend } from '../src/backends/wasm/backend.ts';
import { SPARSE_LAYOUTS } from '../src/backends/wasm/sparse.ts';
import type { Backend, Tensor } from '../src/backends/backend.ts';
import { csrFromDense } from '../src/backends/sparse.ts';
import { f32ToF16Array } from '../src/util/f16.ts';
import { randomF32, rng } from '../test/helpers/random.ts';

const quick = process.argv.includes('--quick');
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

// memcopy: 64 MiB read + 64 MiB written; bandwidth counted as bytes read + written.
const n = M * K;
const src = wasm.tensor([n], 'f32', randomF32(n, 1));
const dst = wasm.tensor([n], 'f32');
const mc = time(() => wasm.memcopy(dst, src));
const memcopy = record('memcopy_f32 64 MiB (read+write)', mc.median, 8 * n);
const memcopyRead = record('memcopy_f32 64 MiB (bytes read)', mc.median, 4 * n);
wasm.free(src);
wasm.free(dst);

function matvecCase(b: Backend, dtype: 'f32' | 'f16', label: string, runs?: number): Row {
  const wd = randomF32(M * K, 7, -0.05, 0.05);
  const w = dtype === 'f32' ? b.tensor([M, K], 'f32', wd) : b.tensor([M, K], 'f16', f32ToF16Array(wd));
  const x = b.tensor([K], 'f32', randomF32(K, 8));
  const o = b.tensor([M], 'f32');
  const t = time(() => b.matvec(o, w, x), runs);
  for (const tt of [w, x, o]) b.free(tt);
  return record(label, t.median, M * K * (dtype === 'f32' ? 4 : 2));
}

const dense = matvecCase(wasm, 'f32', 'wasm matvec f32 4096x4096');
const refDense = matvecCase(ref, 'f32', 'reference matvec f32 4096x4096', 3);
const dense16 = matvecCase(wasm, 'f16', 'wasm matvec f16 4096x4096');
console.log(`  matvec f32 / memcopy bandwidth: read-only basis ${((100 * dense.gbps!) / memcopyRead.gbps!).toFixed(0)}%, read+write basis ${((100 * dense.gbps!) / memcopy.gbps!).toFixed(0)}%`);
console.log(`  wasm / reference speed-up: ${(refDense.ms / dense.ms).toFixed(1)}x`);

// matmul: 16 tokens
for (const dtype of ['f32', 'f16'] as const) {
  const N = 16;
  const wd = randomF32(M * K, 9, -0.05, 0.05);
  const w = dtype === 'f32' ? wasm.tensor([M, K], 'f32', wd) : wasm.tensor([M, K], 'f16', f32ToF16Array(wd));
  const x = wasm.tensor([N, K], 'f32', randomF32(N * K, 10));
  const o = wasm.tensor([N, M], 'f32');
  const t = time(() => wasm.matmul(o, x, w), quick ? 3 : 7);
  const mv = dtype === 'f32' ? dense.ms : dense16.ms;
  record(`wasm matmul ${dtype} N=${N} 4096x4096`, t.median, undefined, `${(t.median / N).toFixed(3)} ms/token (${((N * mv) / t.median).toFixed(1)}x of N matvecs)`);
  for (const tt of [w, x, o]) wasm.free(tt);
}

// sparse
const sparseResults: Record<string, unknown>[] = [];
for (const sparsity of [0.5, 0.8, 0.9, 0.95]) {
  const wd = sparseMatrix(sparsity, Math.round(sparsity * 100));
  const csr = csrFromDense(wd, M, K);
  const x = wasm.tensor([K], 'f32', randomF32(K, 11));
  const o = wasm.tensor([M], 'f32');
  for (const layout of SPARSE_LAYOUTS) {
    const s = wasm.sparse(csr, layout);
    const t = time(() => wasm.spmv(o, s, x));
    const ratio = s.byteSize / (M * K * 4);
    record(`spmv ${layout} ${(sparsity * 100).toFixed(0)}%`, t.median, s.byteSize, `${(dense.ms / t.median).toFixed(2)}x dense, size ${(100 * ratio).toFixed(1)}% of f32`);
    sparseResults.push({ layout, sparsity, ms: t.median, speedupVsDense: dense.ms / t.median, sizeRatio: ratio });
    wasm.free(s);
  }
  wasm.free(x);
  wasm.free(o);
}

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/node-core.json', JSON.stringify({ date: new Date().toISOString(), node: process.version, rows, sparse: sparseResults }, null, 2));
console.log('wrote bench/results/node-core.json');
