/**
 * Node-side speed of the SmolLM2-135M-shaped Llama on the wasm backend (same V8 as Chromium, one
 * thread): the weights are the `npm run gen:models` plans built in memory (identical to
 * models/generated/*.gguf). Measures, per weight type (Q8_0, F16):
 * - decode: tokens/s of model.step + argmax + read-back, after a 32-token prefill (decode_ms: the
 *   median step of the best run; fastest_step_ms: the fastest single step, the least load-disturbed);
 * - prefill: tokens/s of a 32-token prompt (one batched forward, logits of the last row);
 * - the linear-layer kernels alone at the model's shapes (matvec N = 1, matmul N = 32).
 * The machine may be shared: every figure is the minimum of `--runs` repetitions.
 * Run: `npm run bench:llama-node [-- --runs 5 --types Q8_0,F16 --kernels-only --no-kernels --threads 1,2]`.
 * `--threads 1,2` runs the same figures on a one-thread and a two-thread backend (docs/threads.md),
 * alternating thread counts within each weight type so both see the same machine load.
 * Writes bench/results/node-llama.json (bench/results/node-llama-threads.json with --threads).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Backend, Tensor } from '../src/backends/backend.ts';
import { WasmBackend } from '../src/backends/wasm/backend.ts';
import { SMOLLM2_135M, llamaGgufPlan, type LlamaGgufType } from '../src/formats/synthetic-models.ts';
import { Llama } from '../src/models/llama.ts';
import { GGML_DTYPE, OpProfiler, SMOLLM_CONFIG, VOCAB, bestMsPerCall, smollmPlanFile, timeGreedySteps } from './node-common.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const RUNS = Number(arg('runs', '5'));
const TYPES = arg('types', 'Q8_0,F16').split(',') as LlamaGgufType[];
const kernelsOnly = process.argv.includes('--kernels-only');
const noKernels = process.argv.includes('--no-kernels');
const DECODE = Number(arg('decode', '16'));
const opsProfile = process.argv.includes('--ops');
const THREADS = arg('threads', '1').split(',').map(Number);
/** Thread count of the backend being measured (recorded in every result line). */
let curThreads = 1;
const S = SMOLLM2_135M;
const PROMPT = Array.from({ length: 32 }, (_, i) => (i * 977 + 13) % 1000);
const smollm = smollmPlanFile;
const config = SMOLLM_CONFIG;

const results: Record<string, unknown>[] = [];
const log = (r0: Record<string, unknown>) => {
  const r = { threads: curThreads, ...r0 };
  results.push(r);
  console.log(JSON.stringify(r));
};

async function modelBench(b: Backend, type: LlamaGgufType): Promise<void> {
  const model = await Llama.load(b, config, smollm(type), { contextLength: 256 });
  const next = b.tensor([1], 'i32');
  let bestPrefill = Infinity;
  let bestDecode = Infinity;
  let minStep = Infinity;
  for (let r = 0; r < RUNS; r++) {
    const state = model.newState();
    const t0 = performance.now();
    const logits = model.prefill(PROMPT, state);
    b.argmax(next, logits);
    const token = (await b.read(next))[0];
    bestPrefill = Math.min(bestPrefill, performance.now() - t0);
    b.free(logits);
    // Decode: per-step times; keep the best run's median step and the fastest single step.
    prof.on = opsProfile && r === RUNS - 1;
    const steps = await timeGreedySteps(b, (t) => model.step(t, state), next, token, DECODE);
    prof.on = false;
    bestDecode = Math.min(bestDecode, steps[steps.length >> 1]);
    minStep = Math.min(minStep, steps[0]);
    state.free();
  }
  log({ type, prefill_ms: +bestPrefill.toFixed(1), prefill_tok_s: +((PROMPT.length * 1000) / bestPrefill).toFixed(1), decode_ms: +bestDecode.toFixed(2), decode_tok_s: +(1000 / bestDecode).toFixed(1), fastest_step_ms: +minStep.toFixed(2), fastest_step_tok_s: +(1000 / minStep).toFixed(1) });
  if (opsProfile) {
    const ops = Object.fromEntries(prof.sorted().map(([k, v]) => [k, +(v / DECODE).toFixed(3)]));
    log({ type, decode_ms_per_step_by_op: ops });
    prof.clear();
  }
  b.free(next);
  model.dispose();
}

/** The model's linear shapes [M, K] and how many of each one decode step runs. */
const SHAPES: [string, number, number, number][] = [
  ['q/o 576x576', 576, 576, 2 * S.layers],
  ['k/v 192x576', 192, 576, 2 * S.layers],
  ['gate/up 1536x576', 1536, 576, 2 * S.layers],
  ['down 576x1536', 576, 1536, S.layers],
  ['head 49152x576', S.vocabSize, 576, 1],
];

function kernelBench(b: Backend, type: LlamaGgufType): void {
  const plan = llamaGgufPlan(S, type, VOCAB);
  const pick = (m: number, k: number) => plan.tensors.find((t) => t.ne[0] === k && t.ne[1] === m && t.type === type)!;
  let totalMv = 0;
  let totalMm = 0;
  for (const [name, m, k, count] of SHAPES) {
    const src = pick(m, k);
    const bytes = src.make();
    const w: Tensor = type === 'F16' ? b.tensor([m, k], 'f16', new Uint16Array(bytes.slice().buffer)) : b.tensor([m, k], GGML_DTYPE[type], bytes);
    const n = PROMPT.length;
    const x = b.tensor([n, k], 'f32', Float32Array.from({ length: n * k }, (_, i) => Math.sin(i * 0.37)));
    const x1 = b.tensor([k], 'f32', Float32Array.from({ length: k }, (_, i) => Math.sin(i * 0.37)));
    const o = b.tensor([n, m], 'f32');
    const o1 = b.tensor([m], 'f32');
    const reps = m > 10000 ? 2 : 20;
    const mv = bestMsPerCall(() => b.matvec(o1, w, x1), RUNS, reps);
    const mm = bestMsPerCall(() => b.matmul(o, x, w), RUNS, Math.max(1, reps >> 3));
    totalMv += mv * count;
    totalMm += mm * count;
    log({ type, kernel: name, matvec_ms: +mv.toFixed(4), matvec_gb_s: +(bytes.length / mv / 1e6).toFixed(2), matmul32_ms: +mm.toFixed(3), matmul32_gflop_s: +((2 * n * m * k) / mm / 1e6).toFixed(2) });
    for (const t of [w, x, x1, o, o1]) b.free(t);
  }
  log({ type, kernel: 'all linears of one token', matvec_ms: +totalMv.toFixed(2), matmul32_ms: +totalMm.toFixed(2), matmul32_ms_per_token: +(totalMm / PROMPT.length).toFixed(2) });
}

const backends = await Promise.all(THREADS.map((threads) => WasmBackend.create({ threads })));
/** --ops: wall time per backend method (JS validation + kernel), summed over the decode steps. */
const prof = new OpProfiler();
for (const b of opsProfile ? backends : []) prof.instrument(b, WasmBackend.prototype);
for (const type of TYPES) {
  for (const b of backends) {
    curThreads = b.threads;
    if (!noKernels) kernelBench(b, type);
  }
  for (const b of backends) {
    curThreads = b.threads;
    if (!kernelsOnly) await modelBench(b, type);
  }
}
for (const b of backends) b.dispose();
mkdirSync('bench/results', { recursive: true });
const outFile = process.argv.includes('--threads') ? 'bench/results/node-llama-threads.json' : 'bench/results/node-llama.json';
writeFileSync(outFile, JSON.stringify({ date: new Date().toISOString(), command: `npm run bench:llama-node -- ${process.argv.slice(2).join(' ')}`, runs: RUNS, results }, null, 2));
