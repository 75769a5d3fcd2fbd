/**
 * Outer-loop training of the micro model: random windows of a token stream, mean next-token
 * cross-entropy, Adam with cosine decay, progress callbacks (plain objects, so a Web Worker can
 * post them), optional gradual magnitude pruning. Runs in Node and in a worker alike.
 */
import type { MicroConfig } from '../models/micro-config.ts';
import { initParams, paramShapes } from '../models/micro-config.ts';
import { Tape } from './autograd.ts';
import { Adam } from './adam.ts';
import { lossGraph, toLeaves, type Params } from './micro-graph.ts';
import { applyMasks, magnitudeMasks, type Masks } from './prune.ts';

export interface TrainOptions {
  steps: number;
  seqLen: number;
  batch: number;
  lr: number;
  seed?: number;
  warmup?: number;
  /** Report every n steps (and at the end). */
  every?: number;
  /** Evaluate held-out bits/token at each report when given. */
  heldOut?: Uint8Array | Int32Array | number[];
  /** Gradual magnitude pruning to this sparsity (0..1) of the 2-D weights, ramped over the middle of training. */
  sparsity?: number;
  onProgress?: (p: TrainProgress) => void;
  /** Return true to stop early. */
  shouldStop?: () => boolean;
}

export interface TrainProgress {
  step: number;
  steps: number;
  loss: number;
  /** Train loss in bits/token (loss / ln 2). */
  bpt: number;
  heldOutBpt?: number;
  lr: number;
  gradNorm: number;
  tokensPerSec: number;
  sparsity: number;
}

export interface TrainResult {
  weights: Map<string, Float32Array>;
  history: TrainProgress[];
}

/** Mean bits/token of the model on `tokens`, in consecutive windows of seqLen (memory reset per window). */
export function evalBpt(config: MicroConfig, params: Params, tokens: ArrayLike<number>, seqLen: number, maxWindows = 32): number {
  let sum = 0, n = 0;
  const stride = Math.max(seqLen, Math.floor((tokens.length - seqLen - 1) / maxWindows));
  for (let s = 0; s + seqLen + 1 <= tokens.length && n < maxWindows; s += stride) {
    const ids = Array.prototype.slice.call(tokens, s, s + seqLen + 1) as number[];
    sum += lossGraph(new Tape(), config, params, ids).data[0];
    n++;
  }
  return n === 0 ? NaN : sum / n / Math.LN2;
}

export function train(config: MicroConfig, tokens: ArrayLike<number>, o: TrainOptions, init?: Map<string, Float32Array>): TrainResult {
  const shapes = paramShapes(config);
  const params = toLeaves(config, init ?? initParams(config, o.seed ?? 1), shapes);
  const list = [...params.values()];
  const opt = new Adam(list, { lr: o.lr, weightDecay: 0.01, clip: 1.0 });
  let s = (o.seed ?? 1) * 2654435761 >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const history: TrainProgress[] = [];
  const warmup = o.warmup ?? Math.min(100, Math.floor(o.steps / 10));
  const every = o.every ?? 50;
  let masks: Masks | undefined;
  let lossAcc = 0, lossN = 0, tokAcc = 0;
  let t0 = performance.now();
  for (let step = 1; step <= o.steps; step++) {
    const lr = step <= warmup ? (o.lr * step) / warmup : o.lr * 0.5 * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, o.steps - warmup)));
    opt.opts.lr = lr;
    for (let b = 0; b < o.batch; b++) {
      const start = Math.floor(rnd() * (tokens.length - o.seqLen - 1));
      const ids = Array.prototype.slice.call(tokens, start, start + o.seqLen + 1) as number[];
      const tp = new Tape();
      const loss = lossGraph(tp, config, params, ids);
      loss.grad[0] = 1 / o.batch;
      tp.backward(loss, false);
      lossAcc += loss.data[0];
      lossN++;
      tokAcc += o.seqLen;
    }
    const gradNorm = opt.step();
    let sparsity = 0;
    if (o.sparsity && o.sparsity > 0) {
      // cubic ramp (Zhu & Gupta 2017) from 20% to 80% of training
      const a = 0.2 * o.steps, z = 0.8 * o.steps;
      const frac = step < a ? 0 : step > z ? 1 : (step - a) / (z - a);
      sparsity = o.sparsity * (1 - (1 - frac) ** 3);
      if (step >= a && (step % 10 === 0 || step === o.steps)) masks = magnitudeMasks(params, sparsity);
      if (masks) applyMasks(params, masks);
    }
    if (step % every === 0 || step === o.steps || o.shouldStop?.()) {
      const dt = (performance.now() - t0) / 1000;
      const loss = lossAcc / lossN;
      const p: TrainProgress = { step, steps: o.steps, loss, bpt: loss / Math.LN2, lr, gradNorm, tokensPerSec: tokAcc / dt, sparsity };
      if (o.heldOut) p.heldOutBpt = evalBpt(config, params, o.heldOut, o.seqLen);
      history.push(p);
      o.onProgress?.(p);
      lossAcc = lossN = tokAcc = 0;
      t0 = performance.now();
      if (o.shouldStop?.()) break;
    }
  }
  const weights = new Map<string, Float32Array>();
  for (const [name] of shapes) weights.set(name, Float32Array.from(params.get(name)!.data));
  return { weights, history };
}
