/**
 * F16 matvec kernels side by side in one process (Node, same V8 as Chromium, one thread):
 * - old: `matvec_f16` (core-matvec.ts) on the original halves — per-step Inf/NaN and subnormal checks;
 * - new: `WasmBackend.matvec` on a prepared weight (assembly/f16-matvec.ts: subnormals moved to a
 *   side list at first use, check-free hot loop, then the side-list fix-up), JS validation included.
 * Shapes: the SmolLM2-135M-shaped model's linears (weights from the `gen:models` F16 plan, so the
 * subnormal fraction is the generated model's), x = sin. Round-robin over `--rounds` rounds; each
 * round times `reps` calls of each variant back to back; reports median and min per call.
 * Then a DRAM stream (`--stream-rounds`, 0 to skip): 160 copies of the 1536×576 matrix (283 MB,
 * about the bytes of one decode step), old vs new vs the f32 kernel on as many bytes.
 * Then the whole decode of the model (`--decode-rounds`, 0 to skip): runs alternate old / new
 * (setF16Preparation) in the same process; each run = one untimed step after the switch (it
 * prepares or restores the weights), then `--steps` timed decode steps after a 32-token prefill.
 * Run: `node --import tsx bench/node-f16.ts [--rounds 15] [--stream-rounds 15] [--decode-rounds 4] [--steps 16]`
 * (after `npm run build:wasm`). Writes bench/results/node-f16.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { WasmBackend, type WasmTensor } from '../src/backends/wasm/backend.ts';
import { setF16Preparation } from '../src/backends/wasm/f16.ts';
import { SMOLLM2_135M, llamaGgufPlan } from '../src/formats/synthetic-models.ts';
import { Llama } from '../src/models/llama.ts';
import { median } from './stats.ts';
import { SMOLLM_CONFIG, VOCAB, greedyDecode, smollmPlanFile } from './node-common.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const ROUNDS = Number(arg('rounds', '15'));
const DECODE_ROUNDS = Number(arg('decode-rounds', '4'));
const STREAM_ROUNDS = Number(arg('stream-rounds', '15'));
const STEPS = Number(arg('steps', '16'));
const S = SMOLLM2_135M;
const SHAPES: [string, number, number][] = [
  ['q/o 576x576', 576, 576],
  ['k/v 192x576', 192, 576],
  ['gate/up 1536x576', 1536, 576],
  ['down 576x1536', 576, 1536],
  ['head 49152x576', S.vocabSize, 576],
];

const b = await WasmBackend.create();
const k = b.k as unknown as { matvec_f16(o: number, w: number, x: number, m: number, k: number, xs: number): void };
const plan = llamaGgufPlan(S, 'F16', VOCAB);
const results: Record<string, unknown>[] = [];
for (const [name, m, kk] of SHAPES) {
  const src = plan.tensors.find((t) => t.ne[0] === kk && t.ne[1] === m && t.type === 'F16')!;
  const halves = new Uint16Array(src.make().slice().buffer);
  let sub = 0;
  for (const h of halves) if ((h & 0x7fff) !== 0 && (h & 0x7fff) < 0x400) sub++;
  const wOld = b.tensor([m, kk], 'f16', halves) as WasmTensor;
  const wNew = b.tensor([m, kk], 'f16', halves) as WasmTensor;
  const x = b.tensor([kk], 'f32', Float32Array.from({ length: kk }, (_, i) => Math.sin(i * 0.37)));
  const oOld = b.tensor([m], 'f32');
  const oNew = b.tensor([m], 'f32');
  const xs = b.tensor([kk], 'f32');
  const [xp, xsp, oo] = [b.ptr('bench', x), b.ptr('bench', xs), b.ptr('bench', oOld)];
  const variants: Record<string, () => void> = {
    old: () => k.matvec_f16(oo, wOld.ptr, xp, m, kk, xsp),
    new: () => b.matvec(oNew, wNew, x),
  };
  const reps = m > 10000 ? 3 : 40;
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((v) => [v, []]));
  let t0 = performance.now();
  variants.new(); // the first call prepares wNew (scan + side list)
  const firstCallMs = performance.now() - t0;
  variants.old();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [v, f] of Object.entries(variants)) {
      t0 = performance.now();
      for (let i = 0; i < reps; i++) f();
      times[v].push((performance.now() - t0) / reps);
    }
  }
  const a = (await b.read(oOld)) as Float32Array;
  const c = (await b.read(oNew)) as Float32Array;
  let diff = 0;
  for (let i = 0; i < m; i++) diff = Math.max(diff, Math.abs(a[i] - c[i]));
  const row: Record<string, unknown> = { kernel: `F16 ${name}`, subnormal_halves: sub, max_abs_diff_old_new: diff, new_first_call_ms: +firstCallMs.toFixed(3) };
  for (const v of Object.keys(variants)) {
    row[`${v}_median_ms`] = +median(times[v]).toFixed(4);
    row[`${v}_min_ms`] = +Math.min(...times[v]).toFixed(4);
    row[`${v}_gb_s_min`] = +((2 * m * kk) / Math.min(...times[v]) / 1e6).toFixed(2);
  }
  row.speedup_median = +(median(times.old) / median(times.new)).toFixed(2);
  row.speedup_min = +(Math.min(...times.old) / Math.min(...times.new)).toFixed(2);
  results.push(row);
  console.log(JSON.stringify(row));
  for (const t of [wOld, wNew, x, oOld, oNew, xs]) b.free(t);
}
// ---- streaming from DRAM: 160 copies of the 1536x576 gate matrix (283 MB, about one decode step) --

/** One pass over all copies per variant, round-robin; GB/s of f16 (or f32) weight bytes. */
if (STREAM_ROUNDS > 0) {
  const [m, kk] = [1536, 576];
  const src = plan.tensors.find((t) => t.ne[0] === kk && t.ne[1] === m && t.type === 'F16')!;
  const halves = new Uint16Array(src.make().slice().buffer);
  const copies = 160;
  const x = b.tensor([kk], 'f32', Float32Array.from({ length: kk }, (_, i) => Math.sin(i * 0.37))) as WasmTensor;
  const o = b.tensor([m], 'f32') as WasmTensor;
  const xs = b.tensor([kk], 'f32') as WasmTensor;
  const oldW = Array.from({ length: copies }, () => b.tensor([m, kk], 'f16', halves) as WasmTensor);
  const newW = Array.from({ length: copies }, () => b.tensor([m, kk], 'f16', halves) as WasmTensor);
  // f32 rows with the same byte count (half the rows): the f32 kernel's streaming rate for reference.
  const f32W = Array.from({ length: copies }, () => b.tensor([m / 2, kk], 'f32', Float32Array.from({ length: (m / 2) * kk }, (_, i) => Math.sin(i))) as WasmTensor);
  const kf = b.k as unknown as { matvec_f32(o: number, w: number, x: number, m: number, k: number): void };
  const variants: Record<string, () => void> = {
    old: () => { for (const w of oldW) k.matvec_f16(o.ptr, w.ptr, x.ptr, m, kk, xs.ptr); },
    new: () => { for (const w of newW) b.matvec(o, w, x); },
    f32: () => { for (const w of f32W) kf.matvec_f32(o.ptr, w.ptr, x.ptr, m / 2, kk); },
  };
  variants.new(); // prepares every copy
  const times: Record<string, number[]> = { old: [], new: [], f32: [] };
  for (let r = 0; r < STREAM_ROUNDS; r++) {
    for (const [v, f] of Object.entries(variants)) {
      const t0 = performance.now();
      f();
      times[v].push(performance.now() - t0);
    }
  }
  const bytes = copies * m * kk * 2;
  const row: Record<string, unknown> = { stream: `${copies} x F16 ${m}x${kk} (${(bytes / 1e6).toFixed(0)} MB) from DRAM` };
  for (const v of Object.keys(times)) {
    row[`${v}_gb_s_median`] = +(bytes / median(times[v]) / 1e6).toFixed(2);
    row[`${v}_gb_s_best`] = +(bytes / Math.min(...times[v]) / 1e6).toFixed(2);
  }
  row.speedup_median = +(median(times.old) / median(times.new)).toFixed(2);
  results.push(row);
  console.log(JSON.stringify(row));
  for (const t of [x, o, xs, ...oldW, ...newW, ...f32W]) b.free(t);
}

// ---- whole decode, old vs new alternating ------------------------------------------------------

if (DECODE_ROUNDS > 0) {
  const model = await Llama.load(b, SMOLLM_CONFIG, smollmPlanFile('F16'), { contextLength: 256 });
  const prompt = Array.from({ length: 32 }, (_, i) => (i * 977 + 13) % 1000);
  const next = b.tensor([1], 'i32');
  const steps: Record<string, number[]> = { old: [], new: [] };
  /** CPU time per step (process.cpuUsage): less disturbed than wall time when the machine is shared. */
  const cpu: Record<string, number[]> = { old: [], new: [] };
  const tokens: Record<string, number[]> = {};
  for (let r = 0; r < DECODE_ROUNDS; r++) {
    for (const mode of ['old', 'new']) {
      setF16Preparation(mode === 'new');
      // step 0 (not timed) pays the switch
      const run = await greedyDecode(b, model, prompt, next, STEPS);
      steps[mode].push(...run.wall);
      cpu[mode].push(...run.cpu);
      tokens[mode] = run.tokens;
    }
  }
  setF16Preparation(true);
  const row = {
    decode: `F16 ${S.name} decode, ${DECODE_ROUNDS} alternating runs x ${STEPS} steps`,
    old_median_ms: +median(steps.old).toFixed(2), old_min_ms: +Math.min(...steps.old).toFixed(2),
    new_median_ms: +median(steps.new).toFixed(2), new_min_ms: +Math.min(...steps.new).toFixed(2),
    old_tok_s_median: +(1000 / median(steps.old)).toFixed(1), new_tok_s_median: +(1000 / median(steps.new)).toFixed(1),
    old_cpu_median_ms: +median(cpu.old).toFixed(2), new_cpu_median_ms: +median(cpu.new).toFixed(2), speedup_cpu_median: +(median(cpu.old) / median(cpu.new)).toFixed(2),
    speedup_median: +(median(steps.old) / median(steps.new)).toFixed(2), speedup_min: +(Math.min(...steps.old) / Math.min(...steps.new)).toFixed(2),
    same_greedy_tokens: tokens.old.join() === tokens.new.join(),
  };
  results.push(row);
  console.log(JSON.stringify(row));
  b.free(next);
  model.dispose();
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/node-f16.json', JSON.stringify({ date: new Date().toISOString(), rounds: ROUNDS, streamRounds: STREAM_ROUNDS, decodeRounds: DECODE_ROUNDS, steps: STEPS, results }, null, 2));
