/**
 * Anomaly likelihood over a history of raw surprise scores, after Numenta's AnomalyLikelihood
 * (Ahmad et al. 2017, "Unsupervised real-time anomaly detection for streaming data"): the raw
 * score's short moving average is compared with a Gaussian fitted to the moving averages of a
 * long trailing history; the likelihood is 1 − Q(z) (upper tail only: only *more* surprise than
 * usual is anomalous), reported on a log scale so that 0.5 ↔ ordinary and 1 ↔ ~1e-10 tail.
 * Strictly causal; the fit is refreshed every `reestimate` steps.
 */
export interface LikelihoodOptions {
  /** Steps that only collect history (output 0). */
  learning: number;
  /** Trailing history length used for the Gaussian fit. */
  history: number;
  /** Short moving-average window of the raw score. */
  shortWindow: number;
  /** Refit mean/std every n steps. */
  reestimate: number;
  /** Floor of the fitted standard deviation (raw scores live in [0, 1]). */
  minStd: number;
  /**
   * Empirical floor of the tail p-value: the Gaussian tail is raised to at least `empiricalTail`
   * × the share of the history at or above the current score. Surprise is heavy-tailed (a stream
   * of spikes surprises the model every time), and a Gaussian fitted to it calls the 10th spike
   * of a kind as unlikely as the first; with the floor a score the history holds regularly
   * cannot reach the top of the scale, while one beyond the whole history keeps the Gaussian's
   * tail. Absent/0 = off (Numenta's likelihood).
   */
  empiricalTail?: number;
}

import { stateBool, stateF64, stateNumber, type StateRecord } from './state-record.ts';

export const DEFAULT_LIKELIHOOD: LikelihoodOptions = { learning: 300, history: 8640, shortWindow: 1, reestimate: 100, minStd: 0.02 };

/** Upper-tail probability of a standard normal, Q(z) = ½·erfc(z/√2). */
export function qFunction(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** erfc with the Numerical Recipes Chebyshev fit (relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

export class AnomalyLikelihood {
  private raw: number[] = [];
  /** Moving averages of the raw score, one per step (ring of `history`). */
  private avgs: Float64Array;
  private nAvg = 0;
  private sumShort = 0;
  private mean = 0;
  private std = 1;
  private fitted = false;
  private steps = 0;

  constructor(readonly opts: LikelihoodOptions = DEFAULT_LIKELIHOOD) {
    this.avgs = new Float64Array(opts.history);
  }

  /** Feed one raw score (finite, ≥ 0); returns the log-scaled likelihood in [0, 1]. */
  update(rawScore: number): number {
    const o = this.opts;
    this.raw.push(rawScore);
    this.sumShort += rawScore;
    if (this.raw.length > o.shortWindow) this.sumShort -= this.raw.shift()!;
    const avg = this.sumShort / this.raw.length;
    this.steps++;
    let out = 0;
    if (this.fitted) {
      let p = qFunction((avg - this.mean) / this.std);
      if (o.empiricalTail) p = Math.max(p, o.empiricalTail * this.shareAtOrAbove(avg));
      out = logScale(1 - p);
    }
    this.avgs[this.nAvg % o.history] = avg;
    this.nAvg++;
    if (this.steps >= o.learning && (!this.fitted || this.steps % o.reestimate === 0)) this.fit();
    return out;
  }

  /** Everything `update` depends on besides the options (for learned-state persistence). */
  exportState(): StateRecord {
    return {
      raw: Float64Array.from(this.raw), avgs: this.avgs.slice(), nAvg: this.nAvg, sumShort: this.sumShort,
      mean: this.mean, std: this.std, fitted: this.fitted, steps: this.steps,
    };
  }

  /** Inverse of exportState; checks every field (and the history length) before changing anything. */
  importState(s: StateRecord): void {
    const w = 'likelihood';
    const raw = stateF64(s, 'raw', w), avgs = stateF64(s, 'avgs', w, this.opts.history);
    const nAvg = stateNumber(s, 'nAvg', w), sumShort = stateNumber(s, 'sumShort', w), mean = stateNumber(s, 'mean', w);
    const std = stateNumber(s, 'std', w), fitted = stateBool(s, 'fitted', w), steps = stateNumber(s, 'steps', w);
    this.raw = Array.from(raw);
    this.avgs = avgs.slice();
    Object.assign(this, { nAvg, sumShort, mean, std, fitted, steps });
  }

  /** Share of the stored history (moving averages) at or above `x`. */
  private shareAtOrAbove(x: number): number {
    const n = Math.min(this.nAvg, this.opts.history);
    let c = 0;
    for (let i = 0; i < n; i++) if (this.avgs[i] >= x) c++;
    return n ? c / n : 0;
  }

  private fit(): void {
    const n = Math.min(this.nAvg, this.opts.history);
    let s = 0, ss = 0;
    for (let i = 0; i < n; i++) s += this.avgs[i];
    const mean = s / n;
    for (let i = 0; i < n; i++) ss += (this.avgs[i] - mean) ** 2;
    this.mean = mean;
    this.std = Math.max(this.opts.minStd, Math.sqrt(ss / n));
    this.fitted = true;
  }
}

/** Numenta's log scaling: log(1.0000000001 − L) / log(1e-10), so L = 0.5 → 0.03, L = 1 − 1e-10 → 1. */
export function logScale(likelihood: number): number {
  const v = Math.log(1.0000000001 - likelihood) / Math.log(1.0 - 0.9999999999);
  return Math.max(0, Math.min(1, v));
}
