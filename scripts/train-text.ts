/**
 * npm run train:text -- [--steps N] [--sparsity 0.8] [--out public/models/text.safetensors]
 * Trains the byte-level micro model (vocab 256) on data/text/tinyshakespeare.txt (public domain),
 * holding out the last 10% for evaluation; prints held-out bits/byte. Deterministic per --seed.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { TEXT_CONFIG, paramShapes } from '../src/models/micro-config.ts';
import { saveMicro } from '../src/models/micro-weights.ts';
import { train, evalBpt } from '../src/train/loop.ts';
import { toLeaves } from '../src/train/micro-graph.ts';
import { measuredSparsity } from '../src/train/prune.ts';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: 'data/text/tinyshakespeare.txt' },
    steps: { type: 'string', default: '6000' },
    batch: { type: 'string', default: '8' },
    seq: { type: 'string', default: '64' },
    lr: { type: 'string', default: '3e-3' },
    seed: { type: 'string', default: '1' },
    sparsity: { type: 'string', default: '0' },
    out: { type: 'string', default: 'public/models/text.safetensors' },
  },
});
const bytes = new Uint8Array(readFileSync(values.corpus!));
const split = Math.floor(bytes.length * 0.9);
const trainBytes = bytes.subarray(0, split);
const heldOut = bytes.subarray(split);
const res = train(TEXT_CONFIG, trainBytes, {
  steps: Number(values.steps), batch: Number(values.batch), seqLen: Number(values.seq), lr: Number(values.lr), seed: Number(values.seed),
  sparsity: Number(values.sparsity), every: 100, heldOut: heldOut.subarray(0, 20000),
  onProgress: (p) => console.log(`step ${p.step}/${p.steps} train ${p.bpt.toFixed(3)} bpt  held-out ${p.heldOutBpt?.toFixed(3)} bpt  sparsity ${p.sparsity.toFixed(2)}  ${p.tokensPerSec.toFixed(0)} tok/s`),
});
const final = evalBpt(TEXT_CONFIG, toLeaves(TEXT_CONFIG, res.weights, paramShapes(TEXT_CONFIG)), heldOut, Number(values.seq), 128);
const sparsity = measuredSparsity(res.weights, paramShapes(TEXT_CONFIG));
console.log(`held-out ${final.toFixed(3)} bits/byte (128 windows of ${values.seq}), sparsity ${(sparsity * 100).toFixed(1)}%`);
mkdirSync(dirname(values.out!), { recursive: true });
writeFileSync(values.out!, saveMicro(TEXT_CONFIG, res.weights, { trained_on: 'data/text/tinyshakespeare.txt (first 90%)', steps: values.steps!, held_out_bpt: final.toFixed(4), sparsity: sparsity.toFixed(4) }));
console.log(`wrote ${values.out}`);
