/**
 * The streaming anomaly detector: value → online token (quantizer.ts) → micro model surprise
 * (−log p of the token the model predicted one step earlier) → anomaly likelihood over the
 * surprise history (likelihood.ts) → score in [0, 1]. Strictly causal, no labels, one global
 * configuration. The model's delta-rule memory adapts on every token unless `adapt` is off.
 *
 * Defined behaviour (docs/anomaly.md): NaN/±∞/missing values score 0 and leave every state
 * untouched; timestamps are not used (values are taken in arrival order, so out-of-order or
 * repeated timestamps change nothing); a constant stream codes to one token and scores ~0;
 * huge magnitudes are clamped to ±1e150 before coding. Scores are never NaN.
 */
import { MicroModel } from '../models/micro.ts';
import type { MicroConfig } from '../models/micro-config.ts';
import { AnomalyLikelihood, DEFAULT_LIKELIHOOD, type LikelihoodOptions } from './likelihood.ts';
import { DEFAULT_QUANTIZER, OnlineQuantizer, type QuantizerOptions } from './quantizer.ts';

export interface DetectorOptions {
  quantizer: QuantizerOptions;
  likelihood: LikelihoodOptions;
  /** Surprise counts the predicted mass within ±tolerance bins of the observed token. */
  tolerance: number;
  /**
   * A value beyond the range seen so far by more than this fraction of the span scores 1
   * (after `likelihood.learning` steps); 0 turns the rule off.
   */
  spatialTolerance: number;
  /** Memory adaptation (the model's inner loop). */
  adapt: boolean;
}

export const DEFAULT_DETECTOR: DetectorOptions = {
  quantizer: DEFAULT_QUANTIZER,
  likelihood: DEFAULT_LIKELIHOOD,
  tolerance: 0,
  spatialTolerance: 0,
  adapt: true,
};

export interface DetectorStep {
  score: number;
  /** Raw surprise in [0, 1] (−log p / log vocab), NaN for skipped values. */
  raw: number;
  token: number;
}

/** What the detector needs from a model: MicroModel (TS) and MicroWasm (fused wasm) both fit. */
export interface MicroStepper {
  adapt: boolean;
  readonly config: MicroConfig;
  step(token: number): Float32Array;
  reset(): void;
}

export class StreamingDetector {
  readonly model: MicroStepper;
  readonly quantizer: OnlineQuantizer;
  readonly likelihood: AnomalyLikelihood;
  private prevLogits: Float32Array | null = null;
  private probs: Float64Array;
  private seen = 0;

  /** `model` is a MicroStepper, or (config, weights) to build a TS MicroModel. */
  constructor(model: MicroStepper | MicroConfig, weights?: Map<string, Float32Array>, readonly opts: DetectorOptions = DEFAULT_DETECTOR) {
    if ('step' in model) {
      this.model = model;
      model.reset();
    } else this.model = new MicroModel(model, weights!);
    const config = this.model.config;
    this.model.adapt = opts.adapt;
    this.quantizer = new OnlineQuantizer({ ...opts.quantizer, vocab: config.vocab });
    this.likelihood = new AnomalyLikelihood(opts.likelihood);
    this.probs = new Float64Array(config.vocab);
  }

  set adapt(on: boolean) {
    this.model.adapt = on;
  }
  get adapt(): boolean {
    return this.model.adapt;
  }

  push(value: number): DetectorStep {
    if (!Number.isFinite(value)) return { score: 0, raw: NaN, token: -1 };
    const q = this.quantizer;
    const span = q.hi - q.lo;
    const spatial =
      this.opts.spatialTolerance > 0 && this.seen >= this.opts.likelihood.learning && span > 0 &&
      (value > q.hi + this.opts.spatialTolerance * span || value < q.lo - this.opts.spatialTolerance * span);
    const token = q.encode(value);
    let raw = 0;
    if (this.prevLogits) raw = this.surprise(this.prevLogits, token);
    const lik = this.likelihood.update(raw);
    this.prevLogits = this.model.step(token);
    this.seen++;
    const score = spatial ? 1 : lik;
    return { score: Number.isFinite(score) ? score : 0, raw, token };
  }

  /** −log(mass within ±tolerance of token) / log(vocab), clamped to [0, 1]. */
  private surprise(logits: Float32Array, token: number): number {
    const V = logits.length;
    let mx = -Infinity;
    for (let i = 0; i < V; i++) if (logits[i] > mx) mx = logits[i];
    let z = 0;
    for (let i = 0; i < V; i++) z += this.probs[i] = Math.exp(logits[i] - mx);
    let m = 0;
    const tol = this.opts.tolerance;
    for (let i = Math.max(0, token - tol); i <= Math.min(V - 1, token + tol); i++) m += this.probs[i];
    const s = -Math.log(Math.max(m / z, 1e-300)) / Math.log(V);
    return Math.max(0, Math.min(1, s));
  }
}

/** Score a whole series with a fresh detector. */
export function scoreSeries(values: ArrayLike<number>, model: MicroStepper | MicroConfig, weights?: Map<string, Float32Array>, opts: DetectorOptions = DEFAULT_DETECTOR): Float64Array {
  const d = new StreamingDetector(model, weights, opts);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = d.push(values[i]).score;
  return out;
}
