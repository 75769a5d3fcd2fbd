/**
 * F16 matvec kernels side by side in one process (Node, same V8 as Chromium, one thread):
 * - old: `matvec_f16` (core-matvec.ts) on the original halves — per-step Inf/NaN and subnormal checks;
 * - new: `WasmBackend.matvec` on a prepared weight (assembly/f16-matvec.ts: subnormals moved to a
 *   side list at first use, check-free hot loop, then the side-list fix-up), JS validation included.
 * Shapes: the SmolLM2-135M-shaped model's linears (weights from the `gen:models` F16 plan, so the
 * subnormal fraction is the generated model's), x = sin. Round-robin over `--rounds` rounds; each
 * round times `reps` calls of each variant back to back; reports median and min per call.
 * Run: `node --import tsx bench/node-f16.ts [--rounds 15]` (after `npm run build:wasm`).
 * Writes bench/results/node-f16.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { WasmBackend, type WasmTensor } from '../src/backends/wasm/backend.ts';
import { SMOLLM2_135M, llamaGgufPlan } from '../src/formats/synthetic-models.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const ROUNDS = Number(arg('rounds', '15'));
const S = SMOLLM2_135M;
const VOCAB = { tokens: Array.from({ length: S.vocabSize }, (_, i) => `t${i}`), tokenTypes: new Array(S.vocabSize).fill(1), merges: [], corpusMerges: 0 };
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
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
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
  for (const f of Object.values(variants)) f(); // warm up; prepares wNew
  for (let r = 0; r < ROUNDS; r++) {
    for (const [v, f] of Object.entries(variants)) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) f();
      times[v].push((performance.now() - t0) / reps);
    }
  }
  const a = (await b.read(oOld)) as Float32Array;
  const c = (await b.read(oNew)) as Float32Array;
  let diff = 0;
  for (let i = 0; i < m; i++) diff = Math.max(diff, Math.abs(a[i] - c[i]));
  const row: Record<string, unknown> = { kernel: `F16 ${name}`, subnormal_halves: sub, max_abs_diff_old_new: diff };
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
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/node-f16.json', JSON.stringify({ date: new Date().toISOString(), rounds: ROUNDS, results }, null, 2));
