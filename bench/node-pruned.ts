/**
 * The pruned SmolLM2-shaped model vs dense F32 on the wasm backend (Node, one thread), issue #4's
 * "decodes ≥1.8× faster and is ≤40 % of its memory":
 * - memory: the stored bytes of every weight buffer, grouped (tied embedding/head, norms, block
 *   linears) with each group's dtype or sparse layout, and the backend heap in use after loading;
 * - decode: the models (dense f32; pruned with the model's default layouts, `sparseLinears: true` =
 *   'size', wasm: word8; pruned with `sparseLinears: 'speed'`, wasm: csr16n; pruned with each layout of --layouts) each prefill the same 16-token prompt, then take decode steps round-robin (one step each per
 *   round: step + argmax + read-back), so load drift on a shared machine hits all three alike.
 *   Reports the median and the fastest step of each and the dense/pruned ratios of both.
 * Run: `npm run build:wasm && node --import tsx bench/node-pruned.ts [--steps 40] [--layouts csr16,win16] [--threads 1,2]`
 * (layouts default none). `--threads 1,2` builds every model once per thread count (WasmBackend
 * threads: the dense and sparse linears split across the pool, docs/threads.md) and puts them all in
 * the same round-robin, so the counts are compared side by side; it also reports each model's
 * speed-up over its first-count twin. Writes bench/results/node-pruned.json (or --out NAME →
 * bench/results/NAME.json). Needs ~0.7 GB of memory per dense model, ~0.35 GB per pruned one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { CsrData } from '../src/backends/backend.ts';
import { WasmBackend, type WasmTensor } from '../src/backends/wasm/backend.ts';
import type { SparseLayoutKind } from '../src/backends/wasm/sparse.ts';
import type { Llama } from '../src/models/llama.ts';
import { SMOLLM_PARAMS, smollmF32 } from './cases/models.ts';
import { freeCoreRatio } from './free-core.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const STEPS = Number(arg('steps', '40'));
const FORCED = arg('layouts', 'none').split(',').filter((l) => l !== 'none') as SparseLayoutKind[];
const THREADS = arg('threads', '1').split(',').map(Number);
const OUT = arg('out', 'node-pruned');
const DENSE_BYTES = SMOLLM_PARAMS * 4;
const PROMPT = Array.from({ length: 16 }, (_, i) => (i * 977 + 13) % 1000);

interface Group {
  tensors: number;
  bytes: number;
  kinds: Record<string, number>;
}

/** Stored bytes of every weight buffer, by group; the kind is the dtype or the sparse layout. */
function breakdown(model: Llama): Record<string, Group> {
  const groups: Record<string, Group> = {};
  for (const [name, t] of model.weights.entries()) {
    const g = name.includes('embed_tokens') || name.startsWith('lm_head') ? 'embedding (tied head)' : /norm/.test(name) ? 'norms' : /_proj\.weight$/.test(name) ? 'block linears' : 'other';
    const kind = t.dtype === 'sparse' ? `sparse:${(t as WasmTensor).sparse!.kind}` : t.dtype;
    const e = (groups[g] ??= { tensors: 0, bytes: 0, kinds: {} });
    e.tensors++;
    e.bytes += t.byteSize;
    e.kinds[kind] = (e.kinds[kind] ?? 0) + 1;
  }
  return groups;
}

interface Entry {
  name: string;
  /** The same model at the first thread count (for the thread speed-up), or undefined. */
  base?: string;
  threads: number;
  b: WasmBackend;
  model: Llama;
  state: ReturnType<Llama['newState']>;
  token: number;
  ms: number[];
  tokens: number[];
}

async function build(label: string, pruned: boolean | 'speed', threads: number, layout?: SparseLayoutKind): Promise<Entry> {
  const name = THREADS.length > 1 ? `${label}, ${threads} thr` : label;
  const base = THREADS.length > 1 && threads !== THREADS[0] ? `${label}, ${THREADS[0]} thr` : undefined;
  const b = await WasmBackend.create({ threads });
  if (layout) {
    // Force the layout for this instance (the model asks for the backend's default).
    const sparse = b.sparse.bind(b);
    b.sparse = (m: CsrData) => sparse(m, layout);
  }
  const t0 = performance.now();
  const model = await smollmF32(b, pruned);
  const state = model.newState();
  b.free(model.prefill(PROMPT, state));
  console.log(`${name}: loaded + prefilled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { name, base, threads, b, model, state, token: 1, ms: [], tokens: [] };
}

const entries: Entry[] = [];
for (const t of THREADS) {
  entries.push(await build('dense f32', false, t), await build('pruned80 default (size)', true, t), await build("pruned80 'speed'", 'speed', t));
  for (const l of FORCED) entries.push(await build(`pruned80 all ${l}`, true, t, l));
}

const memory = entries.map((e) => {
  const groups = breakdown(e.model);
  const weightBytes = e.model.weightBytes();
  return { name: e.name, weightBytes, ratioVsDenseF32: weightBytes / DENSE_BYTES, heapBytesInUse: e.b.memoryBytes(), groups };
});
for (const m of memory) {
  console.log(`\n${m.name}: weights ${(m.weightBytes / 1e6).toFixed(1)} MB = ${(100 * m.ratioVsDenseF32).toFixed(2)} % of dense f32 (${(DENSE_BYTES / 1e6).toFixed(1)} MB); heap in use ${(m.heapBytesInUse / 1e6).toFixed(1)} MB`);
  for (const [g, v] of Object.entries(m.groups)) {
    console.log(`  ${g.padEnd(22)} ${String(v.tensors).padStart(4)} tensors ${(v.bytes / 1e6).toFixed(1).padStart(8)} MB  ${(100 * v.bytes / DENSE_BYTES).toFixed(2).padStart(6)} % of dense  ${JSON.stringify(v.kinds)}`);
  }
}

// With several thread counts: were there free cores? (≈ 1 = the threads time-share one core.)
const maxThreads = Math.max(...THREADS);
const freeCore: number[] = [];
if (maxThreads > 1) freeCore.push(await freeCoreRatio(maxThreads));

// Decode, round-robin.
for (let s = 0; s < STEPS + 3; s++) {
  for (const e of entries) {
    const next = e.b.tensor([1], 'i32');
    const t0 = performance.now();
    e.b.argmax(next, e.model.step(e.token, e.state));
    e.token = (await e.b.read(next))[0];
    const dt = performance.now() - t0;
    e.b.free(next);
    if (s >= 3) e.ms.push(dt); // first steps warm up
    e.tokens.push(e.token);
  }
}
const stat = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return { median: s[s.length >> 1], min: s[0] };
};
const dense = stat(entries[0].ms);
const decode = entries.map((e) => {
  const st = stat(e.ms);
  const base = e.base ? stat(entries.find((x) => x.name === e.base)!.ms) : undefined;
  const vsThreads = base ? { vsFirstThreadCountMedian: base.median / st.median, vsFirstThreadCountMin: base.min / st.min } : {};
  return { name: e.name, threads: e.threads, medianMs: st.median, minMs: st.min, speedupMedian: dense.median / st.median, speedupMin: dense.min / st.min, ...vsThreads, tokens: e.tokens.slice(0, 16) };
});
if (maxThreads > 1) freeCore.push(await freeCoreRatio(maxThreads));
const coreNote = maxThreads > 1 ? `; free-core check, ${maxThreads} spinning threads / 1, before and after: ${freeCore.join(', ')}` : '';
console.log(`\ndecode, ${STEPS} steps each, round-robin (load ${loadavg().map((l) => l.toFixed(1)).join(' ')}${coreNote}):`);
for (const d of decode) {
  const vs = d.vsFirstThreadCountMedian ? `; vs ${THREADS[0]} thr: median ${d.vsFirstThreadCountMedian.toFixed(2)}×, min ${d.vsFirstThreadCountMin!.toFixed(2)}×` : '';
  console.log(`  ${d.name.padEnd(34)} median ${d.medianMs.toFixed(2).padStart(7)} ms  min ${d.minMs.toFixed(2).padStart(7)} ms  speed-up vs ${decode[0].name}: median ${d.speedupMedian.toFixed(2)}×, min ${d.speedupMin.toFixed(2)}×${vs}`);
}
for (const d of decode.slice(2)) if (!d.name.startsWith('dense')) console.log(`  greedy tokens equal (${decode[1].name} vs ${d.name}, first 16): ${JSON.stringify(decode[1].tokens) === JSON.stringify(d.tokens)}`);

mkdirSync('bench/results', { recursive: true });
const pool = entries.filter((e) => e.b.pool).map((e) => ({ name: e.name, ...e.b.pool!.stats }));
writeFileSync(`bench/results/${OUT}.json`, JSON.stringify({ date: new Date().toISOString(), node: process.version, command: `node --import tsx bench/node-pruned.ts ${process.argv.slice(2).join(' ')}`, loadavg: loadavg(), denseF32Bytes: DENSE_BYTES, threads: THREADS, freeCoreRatio: freeCore, memory, decode, pool, steps: STEPS }, null, 2));
console.log(`wrote bench/results/${OUT}.json`);
for (const e of entries) {
  e.state.free();
  e.model.dispose();
  e.b.dispose();
}
