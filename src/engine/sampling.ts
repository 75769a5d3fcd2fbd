/**
 * Turning one row of logits into a token id. The processing order follows Hugging Face
 * `generate`: repetition penalty → temperature → top-k → top-p → draw. temperature 0 means greedy
 * (argmax, first index wins ties, like the backends' argmax op).
 */
import { SparrowError } from '../errors.ts';
import { Rng } from './rng.ts';

export interface SamplingOptions {
  /** 0 (default) = greedy. */
  temperature?: number;
  /** Keep the k most likely tokens (0 = off). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability mass reaches p (1 = off). */
  topP?: number;
  /** > 1 discourages tokens already in the context (HF CTRL-style: divide positive logits, multiply negative). */
  repetitionPenalty?: number;
  /** Seed of the sampling RNG: the same seed gives the same tokens. */
  seed?: number;
}

export function checkSamplingOptions(o: SamplingOptions): void {
  const bad = (name: string, value: unknown, why: string) => {
    throw new SparrowError('INVALID_ARGUMENT', `sampling: ${name} = ${String(value)} ${why}`, { [name]: value });
  };
  if (o.temperature !== undefined && !(o.temperature >= 0 && Number.isFinite(o.temperature))) bad('temperature', o.temperature, 'must be a finite number ≥ 0');
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 0)) bad('topK', o.topK, 'must be an integer ≥ 0');
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) bad('topP', o.topP, 'must be in (0, 1]');
  if (o.repetitionPenalty !== undefined && !(o.repetitionPenalty > 0 && Number.isFinite(o.repetitionPenalty))) bad('repetitionPenalty', o.repetitionPenalty, 'must be a finite number > 0');
  if (o.seed !== undefined && !Number.isFinite(o.seed)) bad('seed', o.seed, 'must be a finite number');
}

/** True when the options reduce to a plain argmax of the logits (lets callers argmax on the device). */
export function isGreedy(o: SamplingOptions): boolean {
  return !o.temperature && (o.repetitionPenalty ?? 1) === 1;
}

export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < x.length; j++) if (x[j] > x[best]) best = j;
  return best;
}

/** Apply the repetition penalty in place to the tokens seen so far (each distinct token once). */
export function applyRepetitionPenalty(logits: Float32Array, context: readonly number[], penalty: number): void {
  if (penalty === 1) return;
  for (const t of new Set(context)) {
    if (t < 0 || t >= logits.length) continue;
    const l = logits[t];
    logits[t] = l < 0 ? l * penalty : l / penalty;
  }
}

/** A stateful sampler: one per generation, so the RNG stream continues across steps. */
export class Sampler {
  private readonly rng: Rng;
  constructor(readonly opts: SamplingOptions = {}) {
    checkSamplingOptions(opts);
    this.rng = new Rng(opts.seed ?? 0);
  }

  /** Choose the next token. `logits` is not modified. */
  sample(logits: ArrayLike<number>, context: readonly number[] = []): number {
    const x = Float32Array.from(logits);
    applyRepetitionPenalty(x, context, this.opts.repetitionPenalty ?? 1);
    const temperature = this.opts.temperature ?? 0;
    if (temperature === 0) return argmax(x);
    return this.draw(x, temperature);
  }

  private draw(x: Float32Array, temperature: number): number {
    const v = x.length;
    // Candidates sorted by logit, descending; ties keep the lower id first (stable sort).
    let ids = Array.from({ length: v }, (_, i) => i).sort((a, b) => x[b] - x[a] || a - b);
    const k = this.opts.topK ?? 0;
    if (k > 0 && k < v) ids = ids.slice(0, k);
    // Softmax of logit/temperature over the survivors, in float64.
    const max = x[ids[0]] / temperature;
    const p = ids.map((i) => Math.exp(x[i] / temperature - max));
    let sum = p.reduce((a, b) => a + b, 0);
    const topP = this.opts.topP ?? 1;
    if (topP < 1) {
      // Keep the smallest prefix whose mass reaches topP (always at least one token).
      let mass = 0;
      let keep = 0;
      while (keep < p.length) {
        mass += p[keep++] / sum;
        if (mass >= topP) break;
      }
      ids = ids.slice(0, keep);
      p.length = keep;
      sum = p.reduce((a, b) => a + b, 0);
    }
    const u = this.rng.next() * sum;
    let acc = 0;
    for (let i = 0; i < ids.length; i++) {
      acc += p[i];
      if (u < acc) return ids[i];
    }
    return ids[ids.length - 1];
  }
}
