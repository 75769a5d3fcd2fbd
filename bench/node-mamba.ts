/**
 * Node-side speed of the Mamba-130M-shaped model (hidden 768, 24 layers, state 16, vocab 50280,
 * tied head, f32) on the wasm backend (same V8 as Chromium, one thread). The weights are the
 * `npm run gen:models` plan (src/formats/synthetic-models.ts) built in memory — identical to
 * models/generated/mamba-130m-random, no files needed. Measures:
 * - prefill: tokens/s of a 32-token prompt (one batched forward, last-row logits, argmax read back);
 * - decode: one model.step + device argmax + reading the token id back, after that prefill
 *   (decode_ms = median step of the best run; fastest_step_ms = fastest single step);
 * - with `--ops`: wall time per backend method (JS validation + kernel) of one decode step,
 *   and how often each is called per step (nested calls are counted in the outer op only);
 * - `--kernels`: the model's matvec shapes alone (each repeated, so cache-resident) and the scan /
 *   conv kernels at the model's shape;
 * - `--stream`: one f32 matvec [M, 768] over working sets of 61 / 154 / 516 MB — the bandwidth a
 *   decode step can hope for once its weights no longer fit the last-level cache (the whole model
 *   is 516 MB; a 154 MB matrix repeated may still fit a large L3).
 * The machine may be shared: every figure is the best of `--runs` repetitions.
 * Run: `npm run build:wasm && node --import tsx bench/node-mamba.ts [--runs 5 --decode 16 --ops --kernels --stream --threads N --wasm FILE --out FILE]`.
 * Writes bench/results/node-mamba.json (or --out FILE).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { WasmBackend } from '../src/backends/wasm/backend.ts';
import { parseHfConfig, type MambaConfig } from '../src/formats/hf-config.ts';
import { MAMBA_130M, mambaPlan } from '../src/formats/synthetic-models.ts';
import { Mamba } from '../src/models/mamba.ts';
import type { WeightFile } from '../src/models/weights.ts';
import { OpProfiler, bestMsPerCall, timeGreedySteps } from './node-common.ts';
import { median } from './stats.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const RUNS = Number(arg('runs', '5'));
const DECODE = Number(arg('decode', '16'));
const opsProfile = process.argv.includes('--ops');
const kernels = process.argv.includes('--kernels');
const stream = process.argv.includes('--stream');
const OUT = arg('out', 'bench/results/node-mamba.json');
/**
 * --wasm FILE: run on another build of the kernels (e.g. the commit before a change, built with
 * asc into /tmp) instead of build/sparrow.wasm, for before/after runs taken back to back. The
 * one-thread backend compiles exactly one module, so its WebAssembly.compile call gets FILE's bytes.
 */
const WASM = arg('wasm', '');
/** --threads N: linear layers split over N threads (docs/threads.md); FILE builds are one-thread only. */
const THREADS = Number(arg('threads', '1'));
if (WASM && THREADS > 1) throw new Error('--wasm replaces the one-thread module only; use --threads 1');
if (WASM) {
  const compile = WebAssembly.compile.bind(WebAssembly);
  const bytes = readFileSync(WASM);
  WebAssembly.compile = () => compile(bytes);
}
const PROMPT = Array.from({ length: 32 }, (_, i) => (i * 977 + 13) % 1000);

const plan = mambaPlan(MAMBA_130M);
const config = parseHfConfig(plan.config) as MambaConfig;
const params = plan.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);

/** The plan's f32 tensors as a WeightFile (values made on demand, as the file writer does). */
function planFile(): WeightFile {
  const by = new Map(plan.tensors.map((t) => [t.name, t]));
  const get = (n: string) => by.get(n) ?? (() => { throw new Error(`no tensor ${n}`); })();
  return {
    kind: 'safetensors', name: MAMBA_130M.name,
    names: () => [...by.keys()], has: (n) => by.has(n), shape: (n) => [...get(n).shape], dtype: () => 'f32',
    upload: async (n, b) => b.tensor(get(n).shape, 'f32', get(n).make()),
    f32: async (n) => get(n).make(),
    raw: async (n) => new Uint8Array(get(n).make().buffer),
    ggmlType: () => 'F32',
  } as WeightFile;
}

const results: Record<string, unknown>[] = [];
const log = (r: Record<string, unknown>) => {
  results.push(r);
  console.log(JSON.stringify(r));
};

/** --ops: linears keyed by weight shape (the head vs the block projections), other ops by name. */
const prof = new OpProfiler((name, a) => {
  const w = name === 'matvec' ? a[1] : name === 'matmul' ? a[2] : null;
  return w ? `${name} ${(w as { shape: number[] }).shape.join('x')}` : name;
});

function dumpOps(label: string, per: number): void {
  const ops = Object.fromEntries(prof.sorted().map(([k, v]) => [k, { ms: +(v / per).toFixed(3), calls: (prof.calls.get(k) ?? 0) / per }]));
  const total = [...prof.ms.values()].reduce((x, y) => x + y, 0) / per;
  log({ [label]: ops, total_ms: +total.toFixed(2) });
  prof.clear();
}

async function modelBench(b: WasmBackend): Promise<void> {
  const model = await Mamba.load(b, config, planFile());
  const next = b.tensor([1], 'i32');
  const prefills: number[] = [];
  const medians: number[] = [];
  let minStep = Infinity;
  for (let r = 0; r < RUNS; r++) {
    const state = model.newState();
    prof.on = opsProfile && r === RUNS - 1;
    const t0 = performance.now();
    const logits = model.prefill(PROMPT, state);
    prof.on = false;
    b.argmax(next, logits);
    const token = (await b.read(next))[0];
    prefills.push(performance.now() - t0);
    b.free(logits);
    if (opsProfile && r === RUNS - 1) dumpOps('prefill_ms_by_op', 1);
    prof.on = opsProfile && r === RUNS - 1;
    const steps = await timeGreedySteps(b, (t) => model.step(t, state), next, token, DECODE);
    prof.on = false;
    medians.push(steps[steps.length >> 1]);
    minStep = Math.min(minStep, steps[0]);
    state.free();
  }
  const bestPrefill = Math.min(...prefills);
  const bestDecode = Math.min(...medians);
  log({
    model: MAMBA_130M.name, weight_mb: +((params * 4) / 1e6).toFixed(1),
    prefill_ms: +bestPrefill.toFixed(1), prefill_tok_s: +((PROMPT.length * 1000) / bestPrefill).toFixed(1), prefill_median_ms: +median(prefills).toFixed(1),
    decode_ms: +bestDecode.toFixed(2), decode_tok_s: +(1000 / bestDecode).toFixed(1), decode_median_of_runs_ms: +median(medians).toFixed(2),
    fastest_step_ms: +minStep.toFixed(2), fastest_step_tok_s: +(1000 / minStep).toFixed(1),
    decode_gb_s: +((params * 4) / minStep / 1e6).toFixed(2),
  });
  if (opsProfile) dumpOps('decode_ms_per_step_by_op', DECODE);
  b.free(next);
  model.dispose();
}

/** The step's matvecs alone: [M, K] and how many per step. */
function kernelBench(b: WasmBackend): void {
  const H = MAMBA_130M.hidden;
  const I = H * MAMBA_130M.expand;
  const R = Math.ceil(H / 16);
  const N = MAMBA_130M.stateSize;
  const L = MAMBA_130M.layers;
  const shapes: [string, number, number, number][] = [
    [`in_proj x|z ${I}x${H}`, I, H, 2 * L],
    [`x_proj dt ${R}x${I}`, R, I, L],
    [`x_proj B|C ${N}x${I}`, N, I, 2 * L],
    [`dt_proj ${I}x${R}`, I, R, L],
    [`out_proj ${H}x${I}`, H, I, L],
    [`head ${MAMBA_130M.vocabSize}x${H}`, MAMBA_130M.vocabSize, H, 1],
  ];
  let total = 0;
  for (const [name, m, k, count] of shapes) {
    const w = b.tensor([m, k], 'f32', Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.11)));
    const x = b.tensor([k], 'f32', Float32Array.from({ length: k }, (_, i) => Math.cos(i * 0.37)));
    const o = b.tensor([m], 'f32');
    const reps = m > 10000 ? 3 : 50;
    const best = bestMsPerCall(() => b.matvec(o, w, x), RUNS, reps);
    total += best * count;
    log({ kernel: name, per_step: count, matvec_ms: +best.toFixed(4), gb_s: +((m * k * 4) / best / 1e6).toFixed(2), ms_per_step: +(best * count).toFixed(3) });
    for (const t of [w, x, o]) b.free(t);
  }
  log({ kernel: 'all matvecs of one step', ms: +total.toFixed(2) });
  // The per-layer sequence kernels of one decode step (T = 1) and of the 32-token prefill.
  for (const T of [1, PROMPT.length]) {
    const f = (shape: number[], s: number) => b.tensor(shape, 'f32', Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, (_, i) => 0.5 * Math.sin(i * s)));
    const x = f([T, I], 0.3), z = f([T, I], 0.7), dt = f([T, I], 0.9), bm = f([T, N], 0.4), cm = f([T, N], 0.6);
    const a = b.tensor([I, N], 'f32', Float32Array.from({ length: I * N }, (_, i) => -(1 + (i % N))));
    const d = f([I], 0.2), bias = f([I], 0.5), w = f([I, MAMBA_130M.convKernel], 0.8);
    const ssm = b.tensor([I, N], 'f32'), conv = b.tensor([I, MAMBA_130M.convKernel], 'f32');
    const out = b.tensor([T, I], 'f32');
    const reps = T === 1 ? 200 : 20;
    const time = (g: () => void) => bestMsPerCall(g, RUNS, reps);
    const scan = time(() => b.selectiveScan(out, x, dt, a, bm, cm, d, z, bias, ssm, true));
    const cv = time(() => b.causalConv1d(out, x, w, bias, conv, true));
    log({ kernel: `sequence ops T=${T} (I ${I}, N ${N})`, selectiveScan_us: +(scan * 1000).toFixed(1), causalConv1d_us: +(cv * 1000).toFixed(1), per_step_ms: +((scan + cv) * L).toFixed(3) });
    for (const t of [x, z, dt, bm, cm, a, d, bias, w, ssm, conv, out]) b.free(t);
  }
}

/** --stream: matvec bandwidth by working-set size (cache-resident vs DRAM). */
function streamBench(b: WasmBackend): void {
  for (const M of [20000, 50280, 168000]) {
    const w = b.tensor([M, 768], 'f32', Float32Array.from({ length: M * 768 }, (_, i) => (i % 7) * 0.1));
    const x = b.tensor([768], 'f32', new Float32Array(768).fill(0.5));
    const o = b.tensor([M], 'f32');
    b.matvec(o, w, x);
    const ts: number[] = [];
    for (let r = 0; r < Math.max(RUNS, 5); r++) {
      const t0 = performance.now();
      b.matvec(o, w, x);
      ts.push(performance.now() - t0);
    }
    ts.sort((p, q) => p - q);
    const bytes = M * 768 * 4;
    log({ stream_matvec_mb: +(bytes / 1e6).toFixed(0), min_ms: +ts[0].toFixed(2), gb_s_best: +(bytes / ts[0] / 1e6).toFixed(1), gb_s_median: +(bytes / ts[ts.length >> 1] / 1e6).toFixed(1) });
    for (const t of [w, x, o]) b.free(t);
  }
}

const b = await WasmBackend.create({ threads: THREADS });
log({ threads: b.threads });
if (opsProfile) prof.instrument(b, WasmBackend.prototype);
if (stream) streamBench(b);
if (kernels) kernelBench(b);
await modelBench(b);
b.dispose();
mkdirSync('bench/results', { recursive: true });
writeFileSync(OUT, JSON.stringify({ date: new Date().toISOString(), command: `node --import tsx bench/node-mamba.ts ${process.argv.slice(2).join(' ')}`, runs: RUNS, decode: DECODE, results }, null, 2));
