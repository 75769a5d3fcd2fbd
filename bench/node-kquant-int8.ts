/**
 * Block-quantized decode on the wasm backend (Node, one thread unless --threads), exact f32 matvec
 * against the opt-in int8-activation path (WasmBackend.int8Activations: llama.cpp's Q8_K dots for
 * Q2_K…Q6_K, its Q8_0 / Q8_1 dots for Q8_0, Q4_0, Q5_0, Q4_1, Q5_1, IQ4_NL).
 * - kernels: matvec of random blocks (sane scales) at `--shapes` (default Llama-3.2-1B's), the two modes alternated
 *   `--rounds` times on one backend (the flag toggled between calls), median ms per call of each;
 * - model (`--model FILE.gguf`): prefill a 16-token prompt, then `--decode` greedy steps, per mode
 *   (alternated `--runs` times), median step ms → tok/s, and whether the greedy tokens agree.
 * Run: `node --import tsx bench/node-kquant-int8.ts [--rounds 15] [--threads 1] [--types q4_k,q6_k,q5_k,q3_k,q2_k]
 *       [--shapes 2048x2048,8192x2048,2048x8192] (types also iq4_xs,q8_0,q4_0,q5_0,q4_1,q5_1,iq4_nl)
 *       [--model models/generated/llama3.2-1b-random.Q4_K_M.gguf --decode 16 --runs 3] [--no-kernels]`
 */
import { openAsBlob } from 'node:fs';
import { WasmBackend } from '../src/backends/wasm/backend.ts';
import { openModel } from '../src/engine/open-model.ts';
import { toF16Bits } from '../src/util/f16.ts';
import { greedyDecode } from './node-common.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const ROUNDS = Number(arg('rounds', '15'));
const THREADS = Number(arg('threads', '1'));
const MODEL = arg('model', '');
const DECODE = Number(arg('decode', '16'));
const RUNS = Number(arg('runs', '3'));
type KType = 'q2_k' | 'q3_k' | 'q4_k' | 'q5_k' | 'q6_k' | 'iq4_xs' | 'q8_0' | 'q4_0' | 'q5_0' | 'q4_1' | 'q5_1' | 'iq4_nl';
const TYPES = arg('types', 'q4_k,q6_k,q5_k,q3_k,q2_k').split(',') as KType[];
const SHAPES = arg('shapes', '2048x2048,8192x2048,2048x8192').split(',').map((s) => s.split('x').map(Number));
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];

/** Block values, bytes and f16 scale (and min) offsets of each type. */
const LAYOUT: Record<KType, [number, number, number[]]> = {
  q2_k: [256, 84, [80, 82]], q3_k: [256, 110, [108]], q4_k: [256, 144, [0, 2]], q5_k: [256, 176, [0, 2]], q6_k: [256, 210, [208]],
  iq4_xs: [256, 136, [0]],
  q8_0: [32, 34, [0]], q4_0: [32, 18, [0]], q5_0: [32, 22, [0]], q4_1: [32, 20, [0, 2]], q5_1: [32, 24, [0, 2]], iq4_nl: [32, 18, [0]],
};

/** Random blocks whose f16 scales are small and normal (as a quantizer writes them). */
function randomKBlocks(dtype: KType, m: number, k: number): Uint8Array {
  const [values, bytes, scaleAt] = LAYOUT[dtype];
  const out = new Uint8Array(m * (k / values) * bytes);
  let s = 12345;
  for (let i = 0; i < out.length; i++) out[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  for (let o = 0; o < out.length; o += bytes) {
    for (const a of scaleAt) {
      const h = toF16Bits(1e-3 * (1 + ((o >> 4) % 7)));
      out[o + a] = h & 0xff;
      out[o + a + 1] = h >> 8;
    }
  }
  return out;
}

const b = await WasmBackend.create({ threads: THREADS });
console.log(`wasm backend, ${b.threads} thread(s)`);

if (!process.argv.includes('--no-kernels')) {
  for (const [m, k] of SHAPES) {
    for (const dtype of TYPES) {
      const w = b.tensor([m, k], dtype, randomKBlocks(dtype, m, k));
      const x = b.tensor([k], 'f32', Float32Array.from({ length: k }, (_, i) => Math.sin(i * 0.37)));
      const o = b.tensor([m], 'f32');
      const reps = Math.max(3, Math.round(2e8 / (m * k)));
      const times: Record<string, number[]> = { exact: [], int8: [] };
      for (const mode of ['exact', 'int8']) {
        b.int8Activations = mode === 'int8';
        b.matvec(o, w, x); // warm-up
      }
      for (let r = 0; r < ROUNDS; r++) {
        for (const mode of ['exact', 'int8']) {
          b.int8Activations = mode === 'int8';
          const t0 = performance.now();
          for (let i = 0; i < reps; i++) b.matvec(o, w, x);
          times[mode].push((performance.now() - t0) / reps);
        }
      }
      b.int8Activations = false;
      const e = median(times.exact), q = median(times.int8);
      console.log(JSON.stringify({ dtype, m, k, exact_ms: +e.toFixed(3), int8_ms: +q.toFixed(3), speedup: +(e / q).toFixed(2) }));
      for (const t of [w, x, o]) b.free(t);
    }
  }
}

if (MODEL) {
  const { model } = await openModel(b, new Map([[MODEL.split('/').pop()!, await openAsBlob(MODEL)]]), { contextLength: 256 });
  const next = b.tensor([1], 'i32');
  const prompt = Array.from({ length: 16 }, (_, i) => (i * 977 + 13) % 5000);
  const steps: Record<string, number[]> = { exact: [], int8: [] };
  const tokens: Record<string, number[]> = {};
  for (let r = 0; r < RUNS; r++) {
    for (const mode of ['exact', 'int8']) {
      b.int8Activations = mode === 'int8';
      const g = await greedyDecode(b, model, prompt, next, DECODE);
      steps[mode].push(median(g.wall));
      tokens[mode] = g.tokens;
    }
  }
  // accuracy: the first decode step's logits in both modes (same prompt, fresh states)
  const probs: Record<string, Float64Array> = {};
  const logitsOf: Record<string, Float32Array> = {};
  for (const mode of ['exact', 'int8']) {
    b.int8Activations = mode === 'int8';
    const state = model.newState();
    b.free(model.prefill(prompt, state));
    const l = model.step(prompt[prompt.length - 1], state);
    const v = (await b.read(l)) as Float32Array;
    state.free();
    const mx = v.reduce((a, z) => Math.max(a, z), -Infinity);
    const e = Float64Array.from(v, (z) => Math.exp(z - mx));
    const sum = e.reduce((a, z) => a + z, 0);
    probs[mode] = e.map((z) => z / sum);
    logitsOf[mode] = v;
  }
  let dp = 0, dl = 0, ls = 0;
  for (let i = 0; i < probs.exact.length; i++) {
    dp = Math.max(dp, Math.abs(probs.exact[i] - probs.int8[i]));
    dl = Math.max(dl, Math.abs(logitsOf.exact[i] - logitsOf.int8[i]));
    ls = Math.max(ls, Math.abs(logitsOf.exact[i]));
  }
  console.log(JSON.stringify({ max_abs_prob_diff: +dp.toExponential(2), max_abs_logit_diff: +dl.toExponential(2), max_abs_logit: +ls.toFixed(3) }));
  const e = Math.min(...steps.exact), q = Math.min(...steps.int8);
  const agree = tokens.exact.findIndex((t, i) => t !== tokens.int8[i]);
  console.log(JSON.stringify({ model: MODEL, threads: b.threads, decode_steps: DECODE, exact_tok_s: +(1000 / e).toFixed(2), int8_tok_s: +(1000 / q).toFixed(2), speedup: +(e / q).toFixed(2), step_ms_runs: steps, greedy_tokens_agree_until: agree < 0 ? 'all' : agree }));
}
b.dispose();
