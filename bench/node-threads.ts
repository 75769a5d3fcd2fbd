/**
 * Threaded wasm, op by op (docs/threads.md): the SmolLM2-135M linear shapes as matvec (decode) and
 * 32-token matmul (prefill) for Q8_0 and F16 weights, plus an empty-ish 64×64 f32 matvec forced
 * through the pool (the per-op overhead), on 1 and N-thread backends. Thread counts alternate call
 * by call (round robin) so both see the same machine load; each figure is the minimum and the median
 * of `--reps` calls. The minimum is what the pool does when every thread has a core; the median
 * shows what a busy (shared) machine does to it. First, a free-core check: N plain worker threads
 * spinning for 300 ms vs one (ratio ≈ N when N cores are free; ≈ 1 means the threads will share
 * a core and no pool can speed anything up).
 * Run: `npm run build:wasm && node --import tsx bench/node-threads.ts [-- --threads 2 --reps 400]`.
 * Writes bench/results/node-threads.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { freeCoreRatio } from './free-core.ts';
import type { DType, Tensor } from '../src/backends/backend.ts';
import { WasmBackend } from '../src/backends/wasm/backend.ts';
import { quantizeQ8_0 } from '../src/formats/ggml-quants.ts';
import { randomF32 } from '../test/helpers/random.ts';
import { median } from './stats.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const THREADS = Number(arg('threads', '2'));
const REPS = Number(arg('reps', '400'));

const SHAPES: [string, number, number][] = [
  ['q/o 576x576', 576, 576],
  ['k/v 192x576', 192, 576],
  ['gate/up 1536x576', 1536, 576],
  ['down 576x1536', 576, 1536],
  ['head 49152x576', 49152, 576],
];

function weightBytes(dtype: DType, m: number, k: number): Float32Array | Uint16Array | Uint8Array {
  const w = randomF32(m * k, m + k, -0.1, 0.1);
  if (dtype === 'q8_0') return quantizeQ8_0(w);
  if (dtype === 'f16') return Uint16Array.from(w, (v) => f16Bits(v));
  return w;
}

/** Round-to-nearest f16 bits of a small normal value (enough for benchmark weights). */
function f16Bits(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const e = ((u >>> 23) & 0xff) - 127 + 15;
  if (e <= 0) return sign;
  return sign | (e << 10) | ((u >>> 13) & 0x3ff);
}

const results: Record<string, unknown>[] = [];
{
  const r = { op: `free-core check: ${THREADS} spinning threads vs 1`, threads: THREADS, ratio: await freeCoreRatio(THREADS) };
  results.push(r);
  console.log(JSON.stringify(r));
}

const one = await WasmBackend.create();
const many = await WasmBackend.create({ threads: THREADS });

/** Times `f[b]` alternately on both backends: [min, median] ms for each. */
function roundRobin(fs: (() => void)[], reps: number): { min: number; med: number }[] {
  const t = fs.map(() => [] as number[]);
  for (let i = 0; i < 3; i++) fs.forEach((f) => f());
  for (let r = 0; r < reps; r++) {
    fs.forEach((f, j) => {
      const t0 = performance.now();
      f();
      t[j].push(performance.now() - t0);
    });
  }
  return t.map((a) => ({ min: Math.min(...a), med: median(a) }));
}

function row(r: Record<string, unknown>): void {
  results.push(r);
  console.log(JSON.stringify(r));
}

// Per-op overhead: a tiny matvec forced through the pool.
{
  const saved = many.minSplitWork;
  many.minSplitWork = 0;
  const ts = [one, many].map((b) => [b.tensor([64, 64], 'f32', randomF32(4096, 1)), b.tensor([64], 'f32', randomF32(64, 2)), b.tensor([64], 'f32')] as Tensor[]);
  const [a, b] = roundRobin([one, many].map((be, i) => () => be.matvec(ts[i][2], ts[i][0], ts[i][1])), REPS * 10);
  row({ op: 'f32 matvec 64x64 forced through the pool (overhead)', threads: THREADS, one_min_us: +(a.min * 1e3).toFixed(2), one_med_us: +(a.med * 1e3).toFixed(2), many_min_us: +(b.min * 1e3).toFixed(2), many_med_us: +(b.med * 1e3).toFixed(2) });
  many.minSplitWork = saved;
  for (const [i, be] of [one, many].entries()) for (const t of ts[i]) be.free(t);
}

for (const dtype of ['q8_0', 'f16'] as DType[]) {
  for (const [name, m, k] of SHAPES) {
    const bytes = weightBytes(dtype, m, k);
    const x1 = randomF32(k, 3);
    const x32 = randomF32(32 * k, 4);
    const ts = [one, many].map((b) => ({ w: b.tensor([m, k], dtype, bytes), x1: b.tensor([k], 'f32', x1), o1: b.tensor([m], 'f32'), x: b.tensor([32, k], 'f32', x32), o: b.tensor([32, m], 'f32') }));
    const reps = Math.max(5, Math.round(REPS / Math.max(1, (m * k) / 331776)));
    const [mv1, mvN] = roundRobin([one, many].map((be, i) => () => be.matvec(ts[i].o1, ts[i].w, ts[i].x1)), reps);
    const [mm1, mmN] = roundRobin([one, many].map((be, i) => () => be.matmul(ts[i].o, ts[i].x, ts[i].w)), Math.max(3, reps >> 4));
    row({
      dtype, shape: name, threads: THREADS,
      matvec_ms: { one_min: +mv1.min.toFixed(4), many_min: +mvN.min.toFixed(4), one_med: +mv1.med.toFixed(4), many_med: +mvN.med.toFixed(4) },
      matvec_speedup_min: +(mv1.min / mvN.min).toFixed(2),
      matmul32_ms: { one_min: +mm1.min.toFixed(3), many_min: +mmN.min.toFixed(3), one_med: +mm1.med.toFixed(3), many_med: +mmN.med.toFixed(3) },
      matmul32_speedup_min: +(mm1.min / mmN.min).toFixed(2),
    });
    for (const [i, be] of [one, many].entries()) for (const t of Object.values(ts[i])) be.free(t);
  }
}
one.dispose();
many.dispose();
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/node-threads.json', JSON.stringify({ date: new Date().toISOString(), command: `node --import tsx bench/node-threads.ts ${process.argv.slice(2).join(' ')}`.trim(), reps: REPS, results }, null, 2));
