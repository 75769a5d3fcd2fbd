/**
 * Online quantisation of a numeric stream into tokens 0..vocab−1, robust to an unknown range and
 * to drift, strictly causal (a value is coded with the range known *before* it).
 *
 * The range [lo, hi] starts at the first finite value and widens immediately to include every
 * new value; it also slowly contracts towards an exponentially-forgotten range so one ancient
 * spike does not squash the resolution forever. Bins are uniform over [lo − m, hi + m], with a
 * margin m = `margin`·span so that values just outside the known range land in the edge bins.
 * Non-finite values are not coded (see `encode`).
 */
export interface QuantizerOptions {
  vocab: number;
  /** Fraction of the span added on each side of [lo, hi]. */
  margin: number;
  /** Per-step contraction rate of lo/hi towards the decayed range (0 = never contract). */
  contract: number;
  /** Decay of the remembered extremes (per step), which contraction moves towards. */
  memory: number;
  /**
   * Optional hysteresis in bins: a value within this fraction of a bin past the boundary to the
   * previous token's neighbour keeps the previous token (a steady value sitting on a boundary,
   * with the range drifting under it, would otherwise flip between two tokens). Absent/0 = off.
   */
  hysteresis?: number;
}

import { stateNumber, type StateRecord } from './state-record.ts';

export const DEFAULT_QUANTIZER: QuantizerOptions = { vocab: 64, margin: 0.1, contract: 1e-4, memory: 1e-4 };

/** Values beyond this magnitude are clamped so spans and differences stay finite in float64. */
export const MAX_ABS = 1e150;

export class OnlineQuantizer {
  lo = NaN;
  hi = NaN;
  /** Slowly forgotten extremes: the range lo/hi contract towards. */
  private slo = NaN;
  private shi = NaN;
  count = 0;
  /** Previous token (only kept with hysteresis). */
  private prev = -1;

  constructor(readonly opts: QuantizerOptions = DEFAULT_QUANTIZER) {}

  /**
   * Token for x given the range seen so far, then update the range with x. Returns −1 for
   * NaN/±∞ (state untouched). The first value (no range yet) maps to the middle bin.
   */
  encode(x: number): number {
    if (!Number.isFinite(x)) return -1;
    x = Math.max(-MAX_ABS, Math.min(MAX_ABS, x));
    let tok = this.peek(x);
    const h = this.opts.hysteresis ?? 0;
    if (h > 0) {
      if (this.prev >= 0 && Math.abs(tok - this.prev) === 1) {
        const edge = Math.max(tok, this.prev); // the boundary between the two bins, in bin units
        if (Math.abs(this.position(x) - edge) < h) tok = this.prev;
      }
      this.prev = tok;
    }
    this.update(x);
    return tok;
  }

  /** Everything `encode` depends on besides the options (for learned-state persistence). */
  exportState(): StateRecord {
    const s: StateRecord = { lo: this.lo, hi: this.hi, slo: this.slo, shi: this.shi, count: this.count };
    if (this.opts.hysteresis) s['prev'] = this.prev; // only with hysteresis: the default layout is unchanged
    return s;
  }

  /** Inverse of exportState; checks every field before changing anything. */
  importState(s: StateRecord): void {
    const w = 'quantizer';
    const lo = stateNumber(s, 'lo', w), hi = stateNumber(s, 'hi', w), slo = stateNumber(s, 'slo', w), shi = stateNumber(s, 'shi', w), count = stateNumber(s, 'count', w);
    const prev = this.opts.hysteresis ? stateNumber(s, 'prev', w) : -1;
    Object.assign(this, { lo, hi, slo, shi, count, prev });
  }

  /** Token of x under the current range, without updating. */
  peek(x: number): number {
    const V = this.opts.vocab;
    if (this.count === 0) return V >> 1;
    const span = this.hi - this.lo;
    if (!(span > 0)) return x === this.lo ? V >> 1 : x > this.lo ? V - 1 : 0;
    const m = this.opts.margin * span;
    const u = (x - (this.lo - m)) / (span + 2 * m);
    return Math.max(0, Math.min(V - 1, Math.floor(u * V)));
  }

  /** Position of x in bin units (token = floor of it, before clamping) under the current range. */
  private position(x: number): number {
    const span = this.hi - this.lo;
    if (!(span > 0)) return this.opts.vocab >> 1;
    const m = this.opts.margin * span;
    return ((x - (this.lo - m)) / (span + 2 * m)) * this.opts.vocab;
  }

  /** Centre value of a token's bin under the current range (for plotting predictions). */
  decode(token: number): number {
    const span = this.hi - this.lo;
    if (!(span > 0)) return this.lo;
    const m = this.opts.margin * span;
    return this.lo - m + ((token + 0.5) / this.opts.vocab) * (span + 2 * m);
  }

  private update(x: number): void {
    if (this.count === 0) {
      this.lo = this.hi = this.slo = this.shi = x;
    } else {
      const span = this.hi - this.lo;
      // remembered extremes decay towards the current value at `memory` × span per step
      this.slo = Math.min(x, this.slo + this.opts.memory * span);
      this.shi = Math.max(x, this.shi - this.opts.memory * span);
      this.lo = Math.min(x, this.lo + this.opts.contract * Math.max(0, this.slo - this.lo));
      this.hi = Math.max(x, this.hi - this.opts.contract * Math.max(0, this.hi - this.shi));
    }
    this.count++;
  }
}
