/**
 * The pruned SmolLM2-shaped model vs dense F32 on the wasm backend (Node, one thread), issue #4's
 * "decodes ≥1.8× faster and is ≤40 % of its memory":
 * - memory: the stored bytes of every weight buffer, grouped (tied embedding/head, norms, block
 *   linears) with each group's dtype or sparse layout, and the backend heap in use after loading;
 * - decode: the models (dense f32; pruned with the model's default layouts, `sparseLinears: true` =
 *   'speed'; pruned with `sparseLinears: 'size'`; pruned with each layout of --layouts) each prefill the same 16-token prompt, then take decode steps round-robin (one step each per
 *   round: step + argmax + read-back), so load drift on a shared machine hits all three alike.
 *   Reports the median and the fastest step of each and the dense/pruned ratios of both.
 * Run: `npm run build:wasm && node --import tsx bench/node-pruned.ts [--steps 40] [--layouts csr16,win16]`
 * (default none). Writes bench/results/node-pruned.json. Needs ~0.7 GB
 * of memory per model (one wasm heap each).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { CsrData } from '../src/backends/backend.ts';
import { WasmBackend, type WasmTensor } from '../src/backends/wasm/backend.ts';
import type { SparseLayoutKind } from '../src/backends/wasm/sparse.ts';
import type { Llama } from '../src/models/llama.ts';
import { SMOLLM_PARAMS, smollmF32 } from './cases/models.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const STEPS = Number(arg('steps', '40'));
const FORCED = arg('layouts', 'none').split(',').filter((l) => l !== 'none') as SparseLayoutKind[];
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
  b: WasmBackend;
  model: Llama;
  state: ReturnType<Llama['newState']>;
  token: number;
  ms: number[];
  tokens: number[];
}

async function build(name: string, pruned: boolean | 'size', layout?: SparseLayoutKind): Promise<Entry> {
  const b = await WasmBackend.create();
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
  return { name, b, model, state, token: 1, ms: [], tokens: [] };
}

const entries = [await build('dense f32', false), await build('pruned80 default (speed)', true), await build("pruned80 'size'", 'size')];
for (const l of FORCED) entries.push(await build(`pruned80 all ${l}`, true, l));

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
  return { name: e.name, medianMs: st.median, minMs: st.min, speedupMedian: dense.median / st.median, speedupMin: dense.min / st.min, tokens: e.tokens.slice(0, 16) };
});
console.log(`\ndecode, ${STEPS} steps each, round-robin (load ${loadavg().map((l) => l.toFixed(1)).join(' ')}):`);
for (const d of decode) console.log(`  ${d.name.padEnd(26)} median ${d.medianMs.toFixed(2).padStart(7)} ms  min ${d.minMs.toFixed(2).padStart(7)} ms  speed-up vs dense: median ${d.speedupMedian.toFixed(2)}×, min ${d.speedupMin.toFixed(2)}×`);
for (const d of decode.slice(2)) console.log(`  greedy tokens equal (default vs ${d.name}, first 16): ${JSON.stringify(decode[1].tokens) === JSON.stringify(d.tokens)}`);

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/node-pruned.json', JSON.stringify({ date: new Date().toISOString(), node: process.version, command: `node --import tsx bench/node-pruned.ts ${process.argv.slice(2).join(' ')}`, loadavg: loadavg(), denseF32Bytes: DENSE_BYTES, memory, decode, steps: STEPS }, null, 2));
console.log('wrote bench/results/node-pruned.json');
for (const e of entries) {
  e.state.free();
  e.model.dispose();
}
