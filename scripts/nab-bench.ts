/**
 * npm run nab:bench -- [--model public/models/sensor.safetensors] [--tokens 200000] [--out bench/results/micro.json]
 * Micro-model streaming speed: tokens/s of the fused wasm SIMD step and of the TS step, with the
 * delta-rule memory adapting (inner loop on) and frozen. Single thread; JSON out.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { loadMicro } from '../src/models/micro-weights.ts';
import { MicroModel } from '../src/models/micro.ts';
import { MicroWasm } from '../src/models/micro-wasm.ts';
import { paramCount } from '../src/models/micro-config.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'public/models/sensor.safetensors' },
    tokens: { type: 'string', default: '200000' },
    out: { type: 'string', default: 'bench/results/micro.json' },
  },
});
const { config, weights } = loadMicro(readFileSync(values.model!), values.model);
const n = Number(values.tokens);
const toks = Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 5)) % config.vocab);

function run(m: { adapt: boolean; step(t: number): Float32Array; reset(): void }, adapt: boolean, count: number): number {
  m.reset();
  m.adapt = adapt;
  let sink = 0;
  for (let i = 0; i < Math.min(2000, count); i++) sink += m.step(toks[i])[0]; // warm-up
  m.reset();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) sink += m.step(toks[i])[0];
  const s = (performance.now() - t0) / 1000;
  if (Number.isNaN(sink)) throw new Error('NaN logits');
  return count / s;
}
const wasm = await MicroWasm.create(config, weights);
const ts = new MicroModel(config, weights);
const res = {
  model: values.model,
  params: paramCount(config),
  config,
  tokens: n,
  node: process.version,
  wasm_adapt_tok_s: run(wasm, true, n),
  wasm_frozen_tok_s: run(wasm, false, n),
  ts_adapt_tok_s: run(ts, true, Math.floor(n / 4)),
  ts_frozen_tok_s: run(ts, false, Math.floor(n / 4)),
  date: new Date().toISOString(),
};
console.log(JSON.stringify(res, null, 2));
mkdirSync(dirname(values.out!), { recursive: true });
writeFileSync(values.out!, JSON.stringify(res, null, 2) + '\n');
