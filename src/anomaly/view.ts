/**
 * A slower view of a stream for the micro model: the mean of the last `block` finite values,
 * emitted every `stride` values (once `block` values have been seen). On NAB this view scores
 * far better than the raw 1-step stream (docs/anomaly.md): one token per `stride` points lets the
 * 32-token attention window span 32·stride points (a day of 5-minute data at stride 8), and the
 * block mean removes sample noise that the model would otherwise keep being surprised by.
 * Strictly causal: the value emitted at point t is a function of points ≤ t only.
 */
import { SparrowError } from '../errors.ts';
import { stateF64, stateNumber, type StateRecord } from './state-record.ts';

export interface ViewOptions {
  /** Points averaged per token (1 = the raw stream). */
  block: number;
  /** Points between tokens (1 = a token per point). */
  stride: number;
}

export const RAW_VIEW: ViewOptions = { block: 1, stride: 1 };

export function checkView(v: ViewOptions): void {
  if (!(Number.isInteger(v.block) && v.block >= 1 && Number.isInteger(v.stride) && v.stride >= 1)) {
    throw new SparrowError('INVALID_ARGUMENT', `detector view: block (${v.block}) and stride (${v.stride}) must be integers ≥ 1`);
  }
}

export class SlidingMean {
  private ring: Float64Array;
  /** Finite values pushed so far. */
  count = 0;

  constructor(readonly opts: ViewOptions) {
    checkView(opts);
    this.ring = new Float64Array(opts.block);
  }

  /** Feed one finite value; returns the view's value when a token is due, otherwise NaN. */
  push(x: number): number {
    const { block, stride } = this.opts;
    this.ring[this.count % block] = x;
    this.count++;
    if (this.count < block || this.count % stride !== 0) return NaN;
    // summed afresh from the ring (block adds per token): no drift of a running sum
    let s = 0;
    for (let i = 0; i < block; i++) s += this.ring[i];
    return s / block;
  }

  reset(): void {
    this.count = 0;
    this.ring.fill(0);
  }

  /** Everything `push` depends on besides the options (for learned-state persistence). */
  exportState(): StateRecord {
    return { count: this.count, ring: this.ring.slice() };
  }

  /** Inverse of exportState; checks every field before changing anything. */
  importState(s: StateRecord): void {
    const w = 'detector view';
    const count = stateNumber(s, 'count', w), ring = stateF64(s, 'ring', w, this.opts.block);
    this.count = count;
    this.ring.set(ring);
  }
}

/** The view of a whole series (non-finite values skipped), for training and offline use. */
export function viewSeries(values: ArrayLike<number>, opts: ViewOptions): Float64Array {
  const m = new SlidingMean(opts);
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) continue;
    const v = m.push(values[i]);
    if (!Number.isNaN(v)) out.push(v);
  }
  return Float64Array.from(out);
}
