/**
 * The streaming anomaly detector: value → online token (quantizer.ts) → micro model surprise
 * (−log p of the token the model predicted one step earlier) → anomaly likelihood over the
 * surprise history (likelihood.ts) → score in [0, 1]. Strictly causal, no labels, one global
 * configuration. The model's delta-rule memory adapts on every token unless `adapt` is off.
 * Optional parts (all on in DEFAULT_DETECTOR): a slower second view read by the same model
 * (channel.ts), further likelihoods of the same prediction (other windows or surprise measures;
 * max), quantiser hysteresis, an empirical floor of the likelihood's tail, an early spatial rule.
 *
 * Defined behaviour (docs/anomaly.md): NaN/±∞/missing values score 0 and leave every state
 * untouched; timestamps are not used (values are taken in arrival order, so out-of-order or
 * repeated timestamps change nothing); a constant stream codes to one token and scores ~0;
 * huge magnitudes are clamped to ±1e150 before coding. Scores are never NaN.
 */
import { MicroModel, type MicroState } from '../models/micro.ts';
import { SparrowError } from '../errors.ts';
import type { MicroConfig } from '../models/micro-config.ts';
import { AnomalyLikelihood, DEFAULT_LIKELIHOOD, type LikelihoodOptions } from './likelihood.ts';
import { DEFAULT_QUANTIZER, MAX_ABS, OnlineQuantizer, type QuantizerOptions } from './quantizer.ts';
import { SlidingMean, type ViewOptions } from './view.ts';
import { DetectorChannel, type ChannelOptions } from './channel.ts';
import { stateF32, stateF64, stateNumber, stateRecord, type StateRecord } from './state-record.ts';

export interface DetectorOptions {
  /**
   * What the model sees: the mean of the last `block` points every `stride` points (view.ts);
   * {1, 1} is the raw stream. The quantizer, model and likelihood run once per view token, so
   * `likelihood` lengths count tokens, not points.
   */
  view: ViewOptions;
  quantizer: QuantizerOptions;
  likelihood: LikelihoodOptions;
  /** The primary likelihoods' surprise measure (see Surprise; the default 'logtail' is robust to noise the model expects to be spread out). */
  surprise: Surprise;
  /** Surprise counts the predicted mass within ±tolerance bins of the observed token ('nll'). */
  tolerance: number;
  /**
   * A raw value beyond the range of all raw values seen so far by more than this fraction of
   * that span scores 1 (after `spatialLearning` points); 0 turns the rule off. With
   * `spatialAsRaw` the rule sets the raw surprise to 1 instead (the likelihood then decides;
   * only on points where a view token is due).
   */
  spatialTolerance: number;
  spatialLearning: number;
  /**
   * Early tolerance: before `spatialEarly` points the rule asks for more, tolerance ×
   * spatialEarly / points (a range known from few points is a poor guide; this lets the rule
   * start sooner). Absent/0 = the plain tolerance from `spatialLearning` on.
   */
  spatialEarly?: number;
  spatialAsRaw: boolean;
  /**
   * Echo suppression: a score that does not exceed every score of the previous `refractory`
   * steps is multiplied by `damp` (one alarm per event instead of a run of them). 0 = off.
   */
  refractory: number;
  damp: number;
  /** Memory adaptation (the model's inner loop). */
  adapt: boolean;
  /**
   * Optional further views read by the same model (channel.ts), each with its own likelihood;
   * a channel's latest likelihood is held until its next token and combined with the primary
   * one by `combine` ('max', or 'or' = 1 − Π(1 − s)). Absent = the primary view only.
   */
  channels?: ChannelOptions[];
  combine?: 'max' | 'or';
  /** 'logtail' divisor: decades of tail mass that map to surprise 1 (absent = 4). */
  tailDecades?: number;
  /**
   * Optional further likelihoods of the primary prediction (other short windows, or another
   * surprise measure of the same predicted distribution), each scaled by its `weight` (absent = 1)
   * and combined by max.
   */
  extraLikelihoods?: ExtraLikelihood[];
}

/**
 * How surprising the observed token is under the predicted distribution p (raw score in [0, 1]):
 * 'nll': −log p(token) / log vocab (with ±tolerance bins of slack).
 * 'tail': 1 − τ with τ = 2·min(P(X ≤ tok), P(X ≥ tok)), the two-sided tail mass.
 * 'logtail': −log10(τ) / tailDecades (p = 1e-4 → 1 at 4 decades): sparse, ~0 for ordinary points.
 * 'hdr': −log10(π) / tailDecades with π = Σ p(i) over tokens i no more likely than the observed one
 * (the mass of outcomes at least as unlikely). Unlike the tail mass it also finds a value
 * *between* two predicted modes (a daily high that only reaches half height: no tail, but a
 * gap in the prediction).
 */
export type Surprise = 'nll' | 'tail' | 'logtail' | 'hdr';

/** A further likelihood of the primary view: options patch, the surprise it reads (absent = the detector's) and its weight. */
export type ExtraLikelihood = Partial<LikelihoodOptions> & { surprise?: Surprise; weight?: number };

export const DEFAULT_DETECTOR: DetectorOptions = {
  view: { block: 32, stride: 8 },
  // wider margin than DEFAULT_QUANTIZER's 0.1: coarser bins, fewer noise surprises; hysteresis:
  // a steady value on a bin boundary keeps its token as the range drifts (docs/anomaly.md)
  quantizer: { ...DEFAULT_QUANTIZER, margin: 0.3, hysteresis: 0.25 },
  // in view tokens: learning 38 ≈ 300 points, history 1080 ≈ 8640 points (30 days of 5-minute data)
  // empirical tail floor 0.1: a surprise the history holds at share q gets a tail p-value ≥ 0.1·q,
  // so the 10th spike of a kind no longer scores like the first (likelihood.ts)
  likelihood: { ...DEFAULT_LIKELIHOOD, learning: 38, history: 1080, minStd: 0.05, empiricalTail: 0.1 },
  surprise: 'logtail',
  tolerance: 0,
  spatialTolerance: 0.03,
  // the rule starts after 100 points but asks for 0.03 × 600 / points beyond the range until
  // point 600 (18 % of the span at point 100): an early window is caught by a clear outlier only
  spatialLearning: 100,
  spatialEarly: 600,
  spatialAsRaw: false,
  refractory: 50,
  damp: 0.1,
  adapt: true,
  // a slower second view (mean of 128 points every 32: a day of 5-minute data is 9 tokens, the
  // attention window spans 3.5 days) read by the same model; its likelihood joins by max
  channels: [{ view: { block: 128, stride: 32 }, likelihood: { learning: 10, history: 270 } }],
  combine: 'max',
  // plus the likelihood of the mean surprise of the last 3 view tokens (rises on a run of
  // moderate surprises that no single token makes significant), and, at weight 0.8, the
  // likelihood of the 'hdr' surprise of the same prediction (a value between two predicted
  // modes, e.g. a daily high that stops at half height), all by max
  extraLikelihoods: [{ shortWindow: 3 }, { surprise: 'hdr', weight: 0.8 }],
};

export interface DetectorStep {
  score: number;
  /** Raw surprise in [0, 1] of this point's view token; NaN for skipped values and points without a token. */
  raw: number;
  /** The view token coded at this point, −1 where none was due. */
  token: number;
}

/** What the detector needs from a model: MicroModel (TS) and MicroWasm (fused wasm) both fit. */
export interface MicroStepper {
  adapt: boolean;
  readonly config: MicroConfig;
  step(token: number): Float32Array;
  reset(): void;
  /** Learned state (position, KV ring, memories) for persistence (src/models/micro-state.ts). */
  getState(): MicroState;
  setState(s: MicroState): void;
}

export class StreamingDetector {
  readonly model: MicroStepper;
  readonly quantizer: OnlineQuantizer;
  readonly likelihood: AnomalyLikelihood;
  readonly view: SlidingMean;
  private prevLogits: Float32Array | null = null;
  private probs: Float64Array;
  private seen = 0;
  /** Range of all raw values so far (the spatial rule). */
  private rawLo = NaN;
  private rawHi = NaN;
  /** Ring of the last `refractory` undamped scores. */
  private recent: number[] = [];
  private recentAt = 0;
  private readonly channels: DetectorChannel[];
  /** Latest likelihood of each channel (held between its tokens). */
  private channelLik: number[];
  private readonly extraLik: AnomalyLikelihood[];

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
    this.view = new SlidingMean(opts.view);
    this.probs = new Float64Array(config.vocab);
    this.channels = (opts.channels ?? []).map((c) => new DetectorChannel(this.model, c, this.quantizer.opts, opts.likelihood, (l, t) => this.surprise(l, t)));
    this.channelLik = this.channels.map(() => 0);
    this.extraLik = (opts.extraLikelihoods ?? []).map(({ surprise: _s, weight: _w, ...l }) => new AnomalyLikelihood({ ...opts.likelihood, ...l }));
  }

  set adapt(on: boolean) {
    this.model.adapt = on;
  }
  get adapt(): boolean {
    return this.model.adapt;
  }

  push(value: number): DetectorStep {
    if (!Number.isFinite(value)) return { score: 0, raw: NaN, token: -1 };
    value = Math.max(-MAX_ABS, Math.min(MAX_ABS, value));
    const o = this.opts;
    const span = this.rawHi - this.rawLo;
    const tol = o.spatialTolerance * Math.max(1, (o.spatialEarly ?? 0) / Math.max(1, this.seen));
    const spatial =
      o.spatialTolerance > 0 && this.seen >= o.spatialLearning && span > 0 &&
      (value > this.rawHi + tol * span || value < this.rawLo - tol * span);
    this.rawLo = this.seen === 0 ? value : Math.min(this.rawLo, value);
    this.rawHi = this.seen === 0 ? value : Math.max(this.rawHi, value);
    this.seen++;
    const v = this.view.push(value);
    let raw = NaN, token = -1, lik = 0;
    if (!Number.isNaN(v)) {
      token = this.quantizer.encode(v);
      // one softmax of the prediction serves the primary surprise and the extra likelihoods' measures
      const prev = this.prevLogits;
      const z = prev ? unnormalisedProbs(prev, this.probs) : 0;
      const surprise = (kind: Surprise) => (prev ? surpriseOfProbs(this.probs, z, prev.length, token, kind, o.tailDecades ?? 4, o.tolerance) : 0);
      raw = surprise(o.surprise);
      if (spatial && o.spatialAsRaw) raw = 1;
      lik = this.likelihood.update(raw);
      const extras = o.extraLikelihoods ?? [];
      for (let e = 0; e < this.extraLik.length; e++) {
        const kind = extras[e].surprise;
        const r = kind === undefined || kind === o.surprise || !prev ? raw : surprise(kind);
        lik = Math.max(lik, (extras[e].weight ?? 1) * this.extraLik[e].update(r));
      }
      this.prevLogits = this.model.step(token);
      // the channels step the same model, which may reuse its logits buffer
      if (this.channels.length) this.prevLogits = Float32Array.from(this.prevLogits);
    }
    if (this.channels.length) {
      for (let c = 0; c < this.channels.length; c++) {
        const l = this.channels[c].push(value);
        if (l >= 0) this.channelLik[c] = l;
      }
      const held = this.channelLik;
      if (o.combine === 'or') {
        let keep = 1 - lik;
        for (const l of held) keep *= 1 - l;
        lik = 1 - keep;
      } else for (const l of held) lik = Math.max(lik, l);
    }
    let score = spatial && !o.spatialAsRaw ? 1 : lik;
    if (!Number.isFinite(score)) score = 0;
    const R = this.opts.refractory;
    if (R > 0) {
      let recent = 0;
      for (let i = 0; i < Math.min(R, this.recent.length); i++) recent = Math.max(recent, this.recent[(this.recentAt - 1 - i + R) % R]);
      const out = score > recent ? score : score * this.opts.damp;
      if (this.recent.length < R) this.recent.push(score);
      else this.recent[this.recentAt] = score;
      this.recentAt = (this.recentAt + 1) % R;
      score = out;
    }
    return { score, raw, token };
  }

  /**
   * Everything `push` depends on besides the options and the model (whose state travels through
   * model.getState): detector-state.ts serialises it. Any state added here must be added to both
   * exportState and importState, or a restored detector no longer continues exactly.
   */
  exportState(): StateRecord {
    return {
      prevLogits: this.prevLogits ? Float32Array.from(this.prevLogits) : null,
      seen: this.seen,
      rawLo: this.seen ? this.rawLo : 0,
      rawHi: this.seen ? this.rawHi : 0,
      view: this.view.exportState(),
      recent: Float64Array.from(this.recent),
      recentAt: this.recentAt,
      quantizer: this.quantizer.exportState(),
      likelihood: this.likelihood.exportState(),
      // optional parts (only with channels / extra likelihoods: the default layout without them is unchanged)
      ...(this.channels.length ? { channels: Object.fromEntries(this.channels.map((c, i) => [`c${i}`, c.exportState()])), channelLik: Float64Array.from(this.channelLik) } : {}),
      ...(this.extraLik.length ? { extraLik: Object.fromEntries(this.extraLik.map((l, i) => [`l${i}`, l.exportState()])) } : {}),
    };
  }

  /** Inverse of exportState. Throws FORMAT_INVALID / SHAPE_MISMATCH on a bad record (then reset the detector: parts may be half-imported). */
  importState(s: StateRecord): void {
    const w = 'detector';
    const prev = s['prevLogits'] === null ? null : stateF32(s, 'prevLogits', w, this.model.config.vocab);
    const recent = stateF64(s, 'recent', w);
    if (recent.length > Math.max(0, this.opts.refractory)) throw new SparrowError('SHAPE_MISMATCH', `detector: learned state holds ${recent.length} recent scores, refractory is ${this.opts.refractory}`);
    const seen = stateNumber(s, 'seen', w), recentAt = stateNumber(s, 'recentAt', w);
    const rawLo = stateNumber(s, 'rawLo', w), rawHi = stateNumber(s, 'rawHi', w);
    const q = stateRecord(s, 'quantizer', w), l = stateRecord(s, 'likelihood', w), v = stateRecord(s, 'view', w);
    const channels = this.channels.length ? stateRecord(s, 'channels', w) : null;
    const channelLik = this.channels.length ? stateF64(s, 'channelLik', w, this.channels.length) : null;
    const extra = this.extraLik.length ? stateRecord(s, 'extraLik', w) : null;
    const parts = this.channels.map((_, i) => stateRecord(channels!, `c${i}`, w));
    const extras = this.extraLik.map((_, i) => stateRecord(extra!, `l${i}`, w));
    this.channels.forEach((c, i) => c.importState(parts[i]));
    this.extraLik.forEach((e, i) => e.importState(extras[i]));
    if (channelLik) this.channelLik = Array.from(channelLik);
    this.quantizer.importState(q);
    this.likelihood.importState(l);
    this.view.importState(v);
    this.rawLo = seen ? rawLo : NaN;
    this.rawHi = seen ? rawHi : NaN;
    this.prevLogits = prev ? prev.slice() : null;
    this.seen = seen;
    this.recent = Array.from(recent);
    this.recentAt = recentAt;
  }

  /** Values scored so far (finite ones: skipped values do not count). */
  get points(): number {
    return this.seen;
  }

  /** Raw surprise of `token` under the predicted distribution, in [0, 1] (see Surprise). */
  private surprise(logits: Float32Array, token: number): number {
    return predictiveSurprise(logits, token, this.opts.surprise, this.opts.tailDecades ?? 4, this.opts.tolerance, this.probs);
  }
}

/**
 * Surprise of `token` under softmax(logits), in [0, 1] (see Surprise): `decades` of p-value map to
 * 1 for 'logtail' / 'hdr', `tolerance` bins of slack for 'nll'. `scratch` (≥ logits.length) holds
 * the unnormalised probabilities.
 */
export function predictiveSurprise(logits: ArrayLike<number>, token: number, kind: Surprise, decades = 4, tolerance = 0, scratch: Float64Array = new Float64Array(logits.length)): number {
  const z = unnormalisedProbs(logits, scratch);
  return surpriseOfProbs(scratch, z, logits.length, token, kind, decades, tolerance);
}

/** p[i] = exp(logits[i] − max) for i < logits.length; returns their sum. */
function unnormalisedProbs(logits: ArrayLike<number>, p: Float64Array): number {
  const V = logits.length;
  let mx = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i] > mx) mx = logits[i];
  let z = 0;
  for (let i = 0; i < V; i++) z += p[i] = Math.exp(logits[i] - mx);
  return z;
}

/** predictiveSurprise from unnormalised probabilities p[0..V) summing to z (one softmax serves several measures). */
function surpriseOfProbs(p: Float64Array, z: number, V: number, token: number, kind: Surprise, decades: number, tolerance: number): number {
  const clamp = (x: number) => Math.max(0, Math.min(1, x));
  if (kind === 'hdr') {
    // mass of the outcomes no more likely than the observed one
    let m = 0;
    for (let i = 0; i < V; i++) if (p[i] <= p[token]) m += p[i];
    return clamp(-Math.log10(Math.max(Math.min(1, m / z), 1e-12)) / decades);
  }
  if (kind !== 'nll') {
    let below = 0;
    for (let i = 0; i < token; i++) below += p[i];
    const tail = Math.min(1, 2 * Math.min((below + p[token]) / z, (z - below) / z));
    return clamp(kind === 'tail' ? 1 - tail : -Math.log10(Math.max(tail, 1e-12)) / decades);
  }
  let m = 0;
  for (let i = Math.max(0, token - tolerance); i <= Math.min(V - 1, token + tolerance); i++) m += p[i];
  return clamp(-Math.log(Math.max(m / z, 1e-300)) / Math.log(V));
}

/** Score a whole series with a fresh detector. */
export function scoreSeries(values: ArrayLike<number>, model: MicroStepper | MicroConfig, weights?: Map<string, Float32Array>, opts: DetectorOptions = DEFAULT_DETECTOR): Float64Array {
  const d = new StreamingDetector(model, weights, opts);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = d.push(values[i]).score;
  return out;
}
