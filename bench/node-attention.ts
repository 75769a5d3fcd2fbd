/**
 * Quick Node measurement of the wasm attention kernels at the spec's anchor workload (heads 8,
 * dim 64, W 64, B 32, globals [0], causal, log-stride + landmarks; xorshift32 seed 0x00C0FFEE,
 * q amp 4, k/v amp 1). Prints one JSON line per row and writes bench/results/node-attention.json.
 *   node --import tsx bench/node-attention.ts [--dense16k] [--dense-only] [--seqs 1024,4096,16384] [--out FILE]
 * The machine is shared, so every figure is reported as min and median of wall time AND of process
 * CPU time (process.cpuUsage: what the single-threaded kernels actually consumed, immune to being
 * descheduled by other jobs, though not to their cache pollution). Decode sizes are measured in
 * interleaved rounds (1k, 4k, 16k, 1k, …) so that load changes hit all sizes alike.
 * Dense at 16384 takes tens of seconds, so it runs once and only with --dense16k.
 * The sparse forward runs on the default (four-rows-at-a-time, assembly/attention-tiled.ts) kernel and,
 * alternating with it run by run in the same process, on the row-at-a-time kernel it replaced
 * (assembly/attention.ts), so "tiledOverRowwise" is a side-by-side ratio under the same load.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { WasmBackend } from '../src/backends/wasm/backend.ts';
import { createKvCache, sparseConfig, type KvCache } from '../src/backends/ops/attention.ts';
import type { Tensor } from '../src/backends/backend.ts';
import { inputs } from './cases/attention.ts';
import { sparseAttentionWith } from '../src/backends/wasm/attention.ts';
import { median } from './stats.ts';

const H = 8;
const D = 64;
const cfg = sparseConfig({ window: 64, blockSize: 32, globalTokens: [0], causal: true, useLogStride: true, useLandmarks: true });
const args = process.argv.slice(2);
const seqs = (args.includes('--seqs') ? args[args.indexOf('--seqs') + 1] : '1024,4096,16384').split(',').map(Number);
const dense16k = args.includes('--dense16k');
/** Only the dense pass (e.g. `--seqs 16384 --dense16k --dense-only`: one long single run). */
const denseOnly = args.includes('--dense-only');
const outFile = args.includes('--out') ? args[args.indexOf('--out') + 1] : 'bench/results/node-attention.json';
/** Native single-core anchor (spec table): forward ms, decode µs/step, dense ms. */
const NATIVE: Record<number, { forward: number; decodeUs: number; dense: number }> = {
  1024: { forward: 33.3, decodeUs: 28.3, dense: 518 },
  4096: { forward: 175.1, decodeUs: 29.7, dense: 13338 },
  16384: { forward: 778.5, decodeUs: 33.2, dense: 230765 },
};

const r2 = (x: number) => +x.toFixed(2);

/** Process CPU time in ms (user + system). */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** CPU ms of each timed run, by run (filled by `time`). */
let lastCpu: number[] = [];

function time(runs: number, f: () => void, warmup = true): number[] {
  if (warmup) f();
  const ts: number[] = [];
  lastCpu = [];
  for (let r = 0; r < runs; r++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
    lastCpu.push(cpuMs() - c0);
  }
  return ts;
}

/** Wall ms of one run of f; its CPU ms goes to lastCpu[0]. */
function timedOnce(f: () => void): number {
  return time(1, f, false)[0];
}

const b = await WasmBackend.create();
const rows: Record<string, unknown>[] = [];
const dec: { s: number; cache: KvCache; q1: Tensor; k1: Tensor; v1: Tensor; o1: Tensor; us: number[]; cpuUs: number[] }[] = [];
for (const s of seqs) {
  const [qd, kd, vd] = inputs(s);
  const q = b.tensor([s, H, D], 'f32', qd);
  const k = b.tensor([s, H, D], 'f32', kd);
  const v = b.tensor([s, H, D], 'f32', vd);
  const out = b.tensor([s, H, D]);
  // round robin: default kernel, row kernel, default, … (one warm-up each)
  const sp: number[] = [], spCpu: number[] = [], rw: number[] = [], rwCpu: number[] = [];
  for (let r = 0; r < (denseOnly ? 0 : s >= 16384 ? 7 : 11); r++) {
    const t = timedOnce(() => b.sparseAttention(out, q, k, v, cfg));
    const c = lastCpu[0];
    const tr = timedOnce(() => sparseAttentionWith(b, 'rowwise', out, q, k, v, cfg));
    if (r === 0) continue; // warm-up
    sp.push(t);
    spCpu.push(c);
    rw.push(tr);
    rwCpu.push(lastCpu[0]);
  }
  if (denseOnly) sp.push(NaN), spCpu.push(NaN), rw.push(NaN), rwCpu.push(NaN);
  if (!denseOnly) console.log(JSON.stringify({ seq: s, sparseMinMs: r2(Math.min(...sp)), sparseMedianMs: r2(median(sp)), sparseCpuMinMs: r2(Math.min(...spCpu)), rowwiseCpuMinMs: r2(Math.min(...rwCpu)) }));
  const runDense = s < 16384 || dense16k;
  const dn = runDense ? time(s >= 16384 ? 1 : s >= 4096 ? 2 : 5, () => b.denseAttention(out, q, k, v, { causal: true }), s < 16384) : [];
  const dnCpu = runDense ? lastCpu : [];
  const nat = NATIVE[s];
  rows.push({
    seq: s,
    sparseMinMs: r2(Math.min(...sp)),
    sparseMedianMs: r2(median(sp)),
    sparseCpuMinMs: r2(Math.min(...spCpu)),
    sparseCpuMedianMs: r2(median(spCpu)),
    rowwiseMinMs: r2(Math.min(...rw)),
    rowwiseCpuMinMs: r2(Math.min(...rwCpu)),
    rowwiseCpuMedianMs: r2(median(rwCpu)),
    tiledOverRowwiseCpuMin: +(Math.min(...spCpu) / Math.min(...rwCpu)).toFixed(3),
    tiledOverRowwiseCpuMedian: +(median(spCpu) / median(rwCpu)).toFixed(3),
    nativeSparseMs: nat?.forward,
    denseMinMs: dn.length ? r2(Math.min(...dn)) : 'not run',
    denseCpuMinMs: dn.length ? r2(Math.min(...dnCpu)) : undefined,
    denseSingleRun: dn.length === 1,
    denseOverSparse: dn.length ? +(Math.min(...dn) / Math.min(...sp)).toFixed(1) : undefined,
    denseOverSparseCpu: dn.length ? +(Math.min(...dnCpu) / Math.min(...spCpu)).toFixed(1) : undefined,
    nativeDenseMs: nat?.dense,
  });
  console.log(JSON.stringify(rows[rows.length - 1]));
  for (const t of [q, out]) b.free(t);
  // decode state: cache filled with s − 1 rows; each timed step appends one row and decodes.
  const cache = createKvCache(b, { capacity: s + 64, kvHeads: H, dim: D, blockSize: cfg.blockSize });
  const pre = s - 1;
  const kp = b.tensor([pre, H, D], 'f32', kd.subarray(0, pre * H * D));
  const vp = b.tensor([pre, H, D], 'f32', vd.subarray(0, pre * H * D));
  b.kvAppend(cache, kp, vp);
  for (const t of [k, v, kp, vp]) b.free(t);
  dec.push({ s, cache, q1: b.tensor([1, H, D], 'f32', qd.subarray(pre * H * D)), k1: b.tensor([1, H, D], 'f32', kd.subarray(pre * H * D)), v1: b.tensor([1, H, D], 'f32', vd.subarray(pre * H * D)), o1: b.tensor([1, H, D]), us: [], cpuUs: [] });
}
const steps = 64;
for (let round = 0; round < (denseOnly ? 0 : 15); round++) {
  for (const d of dec) {
    d.cache.length = d.s - 1;
    const c0 = cpuMs();
    const t0 = performance.now();
    for (let st = 0; st < steps; st++) {
      b.kvAppend(d.cache, d.k1, d.v1);
      b.sparseDecode(d.o1, d.q1, d.cache, cfg);
    }
    if (round > 0) {
      d.us.push(((performance.now() - t0) / steps) * 1000);
      d.cpuUs.push(((cpuMs() - c0) / steps) * 1000);
    }
  }
}
for (const d of denseOnly ? [] : dec) {
  const row = rows.find((r) => r.seq === d.s)!;
  row.decodeMinUs = r2(Math.min(...d.us));
  row.decodeMedianUs = r2(median(d.us));
  row.decodeCpuMinUs = r2(Math.min(...d.cpuUs));
  row.decodeCpuMedianUs = r2(median(d.cpuUs));
  row.nativeDecodeUs = NATIVE[d.s]?.decodeUs;
  console.log(JSON.stringify({ seq: d.s, decodeMinUs: row.decodeMinUs, decodeMedianUs: row.decodeMedianUs, decodeCpuMinUs: row.decodeCpuMinUs, decodeCpuMedianUs: row.decodeCpuMedianUs }));
}
const ratio = (xs: (d: (typeof dec)[number]) => number[], f: (v: number[]) => number) => f(xs(dec[dec.length - 1])) / f(xs(dec[0]));
const flat = denseOnly ? NaN : ratio((d) => d.us, (v) => Math.min(...v));
const flatCpu = denseOnly ? NaN : ratio((d) => d.cpuUs, median);
if (!denseOnly) console.log(`decode ${dec[0].s}→${dec[dec.length - 1].s}: ${flat.toFixed(2)}× (wall, min over rounds), ${flatCpu.toFixed(2)}× (CPU, median over rounds)`);
mkdirSync('bench/results', { recursive: true });
writeFileSync(outFile, JSON.stringify({ node: process.version, date: new Date().toISOString(), workload: { heads: H, dim: D, ...cfg }, decodeFlatnessWallMin: +flat.toFixed(3), decodeFlatnessCpuMedian: +flatCpu.toFixed(3), rows }, null, 2) + '\n');
