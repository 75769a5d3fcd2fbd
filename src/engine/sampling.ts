/**
 * Turning one row of logits into a token id. The processing order follows Hugging Face
 * `generate`: repetition penalty → temperature → top-k → top-p → draw. temperature 0 means greedy
 * (argmax, first index wins ties, like the backends' argmax op).
 */
import { SparrowError } from '../errors.ts';
import { Rng } from './rng.ts';
import { selectKth } from '../util/select.ts';

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
    // Candidates sorted by logit, descending; ties keep the lower id first.
    const ids = rankedCandidates(x, this.opts.topK ?? 0);
    // Softmax of logit/temperature over the survivors, in float64.
    const max = x[ids[0]] / temperature;
    const p = Array.from(ids, (i) => Math.exp(x[i] / temperature - max));
    let sum = p.reduce((a, b) => a + b, 0);
    let keep = ids.length;
    const topP = this.opts.topP ?? 1;
    if (topP < 1) {
      // Keep the smallest prefix whose mass reaches topP (always at least one token).
      let mass = 0;
      keep = 0;
      while (keep < p.length) {
        mass += p[keep++] / sum;
        if (mass >= topP) break;
      }
      p.length = keep;
      sum = p.reduce((a, b) => a + b, 0);
    }
    const u = this.rng.next() * sum;
    let acc = 0;
    for (let i = 0; i < keep; i++) {
      acc += p[i];
      if (u < acc) return ids[i];
    }
    return ids[keep - 1];
  }
}

/** Vocabularies up to this size rank through packed numeric keys (below); larger ones use a comparator sort. */
const KEYED_VOCAB = 1 << 20;

/**
 * The ids of the `k` best logits (all when k is 0 or ≥ the vocabulary), best first, ties by lower
 * id — what sorting every id with (x[b] − x[a] || a − b) gives, without that sort: with a 49,152-token
 * vocabulary the comparator sort took ~12 ms per token. Each id becomes one float64 key, the logit's
 * bits in descending order × 2^20 + id (≤ 2^52: exact), so a native numeric sort, or for top-k a
 * selection of the k smallest keys and a sort of those, gives the same order. −0 ranks as +0, and
 * NaN logits rank last (as −∞).
 */
export function rankedCandidates(x: Float32Array, k: number): Uint32Array | number[] {
  const v = x.length;
  const n = k > 0 && k < v ? k : v;
  if (v > KEYED_VOCAB) {
    const val = (i: number) => (Number.isNaN(x[i]) ? -Infinity : x[i]);
    const ids = Array.from({ length: v }, (_, i) => i).sort((a, b) => val(b) - val(a) || a - b);
    return ids.slice(0, n);
  }
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  const keys = new Float64Array(v);
  for (let i = 0; i < v; i++) {
    const xi = x[i];
    f[0] = Number.isNaN(xi) ? -Infinity : xi + 0; // + 0 turns −0 into +0
    const u = bits[0];
    const ascending = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0; // float order as unsigned order
    keys[i] = (0xffffffff - ascending) * KEYED_VOCAB + i;
  }
  let top: Float64Array;
  if (n < v) {
    selectKth(keys, n - 1); // the n smallest keys first
    top = keys.subarray(0, n).sort();
  } else top = keys.sort();
  const ids = new Uint32Array(n);
  for (let i = 0; i < n; i++) ids[i] = top[i] % KEYED_VOCAB;
  return ids;
}
