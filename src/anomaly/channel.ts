/**
 * A second (third, …) view of the same stream for the detector: its own slow view, quantizer,
 * likelihood and model state, read by the SAME model weights. The detector's model instance is
 * shared: the channel swaps its own learned state (KV ring, memories, position) in for its step
 * and the primary state back afterwards, so no second model has to be built. Strictly causal
 * like the primary path; a channel emits a likelihood only on points where its view is due.
 */
import type { MicroState } from '../models/micro.ts';
import { checkMicroState } from '../models/micro-state.ts';
import { stateF32, stateNumber, stateRecord, type StateRecord } from './state-record.ts';
import { AnomalyLikelihood, type LikelihoodOptions } from './likelihood.ts';
import { OnlineQuantizer, type QuantizerOptions } from './quantizer.ts';
import { SlidingMean, type ViewOptions } from './view.ts';
import type { MicroStepper } from './detector.ts';

export interface ChannelOptions {
  view: ViewOptions;
  /** Patches of the detector's own quantizer / likelihood options (lengths count this view's tokens). */
  quantizer?: Partial<QuantizerOptions>;
  likelihood?: Partial<LikelihoodOptions>;
  /** Memory adaptation for this channel's steps (absent = the detector's setting). */
  adapt?: boolean;
}

export class DetectorChannel {
  readonly view: SlidingMean;
  readonly quantizer: OnlineQuantizer;
  readonly likelihood: AnomalyLikelihood;
  private state: MicroState;
  private prevLogits: Float32Array | null = null;

  constructor(
    private readonly model: MicroStepper,
    private readonly opts: ChannelOptions,
    quantizer: QuantizerOptions,
    likelihood: LikelihoodOptions,
    private readonly surprise: (logits: Float32Array, token: number) => number,
  ) {
    this.view = new SlidingMean(opts.view);
    this.quantizer = new OnlineQuantizer({ ...quantizer, ...opts.quantizer, vocab: model.config.vocab });
    this.likelihood = new AnomalyLikelihood({ ...likelihood, ...opts.likelihood });
    this.state = model.getState(); // the model was just reset: a fresh state
  }

  /** Feed one finite value; the channel's likelihood where its view emits a token, else −1. */
  push(value: number): number {
    const v = this.view.push(value);
    if (Number.isNaN(v)) return -1;
    const token = this.quantizer.encode(v);
    const raw = this.prevLogits ? this.surprise(this.prevLogits, token) : 0;
    const lik = this.likelihood.update(raw);
    const primary = this.model.getState();
    this.model.setState(this.state);
    const adapt = this.model.adapt;
    if (this.opts.adapt !== undefined) this.model.adapt = this.opts.adapt && adapt; // never adapts when the detector is frozen
    this.prevLogits = Float32Array.from(this.model.step(token));
    this.model.adapt = adapt;
    this.state = this.model.getState();
    this.model.setState(primary);
    return lik;
  }

  /** Everything `push` depends on besides the options and the weights (for learned-state persistence). */
  exportState(): StateRecord {
    const model: StateRecord = { pos: this.state.pos };
    this.state.keys.forEach((k, l) => (model[`keys${l}`] = k.slice()));
    this.state.values.forEach((v, l) => (model[`values${l}`] = v.slice()));
    this.state.mem.forEach((m, l) => (model[`mem${l}`] = m.slice()));
    return {
      view: this.view.exportState(),
      quantizer: this.quantizer.exportState(),
      likelihood: this.likelihood.exportState(),
      prevLogits: this.prevLogits ? this.prevLogits.slice() : null,
      model,
    };
  }

  /** Inverse of exportState: the model state and logits are checked before anything changes. */
  importState(s: StateRecord): void {
    const w = 'detector channel';
    const c = this.model.config;
    const m = stateRecord(s, 'model', w);
    const layers = Array.from({ length: c.layers }, (_, l) => l);
    const state: MicroState = {
      pos: stateNumber(m, 'pos', w),
      keys: layers.map((l) => stateF32(m, `keys${l}`, w).slice()),
      values: layers.map((l) => stateF32(m, `values${l}`, w).slice()),
      mem: layers.map((l) => stateF32(m, `mem${l}`, w).slice()),
    };
    checkMicroState(c, state, w);
    const prev = s['prevLogits'] === null ? null : stateF32(s, 'prevLogits', w, c.vocab).slice();
    const v = stateRecord(s, 'view', w), q = stateRecord(s, 'quantizer', w), l = stateRecord(s, 'likelihood', w);
    this.view.importState(v);
    this.quantizer.importState(q);
    this.likelihood.importState(l);
    this.state = state;
    this.prevLogits = prev;
  }
}

