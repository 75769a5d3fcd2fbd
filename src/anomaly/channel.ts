/**
 * A second (third, …) view of the same stream for the detector: its own slow view, quantizer,
 * likelihood and model state, read by the SAME model weights. The detector's model instance is
 * shared: the channel swaps its own learned state (KV ring, memories, position) in for its step
 * and the primary state back afterwards, so no second model has to be built. Strictly causal
 * like the primary path; a channel emits a likelihood only on points where its view is due.
 */
import type { MicroState } from '../models/micro.ts';
import { AnomalyLikelihood, type LikelihoodOptions } from './likelihood.ts';
import { OnlineQuantizer, type QuantizerOptions } from './quantizer.ts';
import { SlidingMean, type ViewOptions } from './view.ts';
import type { MicroStepper } from './detector.ts';

export interface ChannelOptions {
  view: ViewOptions;
  /** Patches of the detector's own quantizer / likelihood options (lengths count this view's tokens). */
  quantizer?: Partial<QuantizerOptions>;
  likelihood?: Partial<LikelihoodOptions>;
}

export class DetectorChannel {
  readonly view: SlidingMean;
  readonly quantizer: OnlineQuantizer;
  readonly likelihood: AnomalyLikelihood;
  private state: MicroState;
  private prevLogits: Float32Array | null = null;

  constructor(
    private readonly model: MicroStepper,
    opts: ChannelOptions,
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
    this.prevLogits = Float32Array.from(this.model.step(token));
    this.state = this.model.getState();
    this.model.setState(primary);
    return lik;
  }
}
