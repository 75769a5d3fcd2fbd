/**
 * NAB's scoring rules (Numenta Anomaly Benchmark v1.1), re-implemented from its documentation:
 * per-point sweep scores (scaled sigmoid relative to the labelled windows), the probationary
 * period, and the score of a detector as a function of its detection threshold.
 *
 * Pure functions over plain arrays; no file IO here (see corpus.ts / score.ts).
 */

/** Cost weights of one NAB profile (config/profiles.json "CostMatrix"). */
export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** One scorable row: its detector score, its sweep score and the window it lies in (or null). */
export interface SweepPoint {
  anomalyScore: number;
  /** Reward (>0, in a window) or penalty (<0, outside) if this row is a detection. */
  sweepScore: number;
  /** Unique window key ("file|start") or null outside windows. Probationary rows are dropped. */
  window: string | null;
}

/** A window as row indices into its file (inclusive bounds). */
export interface IndexWindow {
  start: number;
  end: number;
}

/** Rows at the start of each file where detections are ignored: min(floor(0.15·N), 0.15·5000). */
export function probationaryLength(numRows: number, probationPercent = 0.15): number {
  return Math.min(Math.floor(probationPercent * numRows), probationPercent * 5000);
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * The scaled sigmoid: position −1 (window start) → 0.9866, 0 (window end) → 0, +1 → −0.9866,
 * and −1 from position 3 on (a false positive far from any window).
 */
export function scaledSigmoid(relativePosition: number): number {
  if (relativePosition >= 3.0) return -1.0;
  return 2 * sigmoid(-5 * relativePosition) - 1.0;
}

/**
 * Sweep scores of every row after the probationary period.
 * In a window of width W ending at row R, row i scores tpWeight·σs(−(R − i + 1)/W)/σs(−1), so the
 * window's first row earns exactly tpWeight. Outside windows a row costs fpWeight·σs(d), d being
 * its distance past the previous window's end over (that window's width − 1), or the full
 * −fpWeight when no window precedes it.
 */
export function sweepScores(
  numRows: number,
  windows: readonly IndexWindow[],
  anomalyScores: ArrayLike<number>,
  fileKey: string,
  cost: CostMatrix,
  probationPercent = 0.15,
): SweepPoint[] {
  const maxTP = scaledSigmoid(-1.0);
  const probation = probationaryLength(numRows, probationPercent);
  const wins = [...windows].sort((a, b) => a.start - b.start);
  const out: SweepPoint[] = [];
  let w = 0;
  let cur: IndexWindow | null = null;
  let curName: string | null = null;
  let prevEnd = -1;
  let prevWidth = 0;
  for (let i = 0; i < numRows; i++) {
    if (cur === null && w < wins.length && wins[w].start === i) {
      cur = wins[w++];
      curName = `${fileKey}|${cur.start}`;
    }
    let sweep: number;
    if (cur !== null) {
      const width = cur.end - cur.start + 1;
      sweep = (scaledSigmoid(-(cur.end - i + 1) / width) * cost.tpWeight) / maxTP;
    } else {
      const pos = prevEnd < 0 ? 3.0 : Math.abs(prevEnd - i) / (prevWidth - 1);
      sweep = scaledSigmoid(pos) * cost.fpWeight;
    }
    if (i >= probation) out.push({ anomalyScore: anomalyScores[i], sweepScore: sweep, window: curName });
    if (cur !== null && i === cur.end) {
      prevEnd = i;
      prevWidth = cur.end - cur.start + 1;
      cur = null;
      curName = null;
    }
  }
  return out;
}

/** Score at one threshold, plus confusion counts over scorable rows. */
export interface ThresholdScore {
  threshold: number;
  score: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** The threshold above every score: nothing is detected, every window is missed. */
export const NO_DETECTION_THRESHOLD = 1.1;

/**
 * Score for every candidate threshold, highest first: 1.1 (nothing detected) and then each
 * distinct anomaly score t, where the detections are the rows with score ≥ t. A window earns the
 * best (= earliest) sweep score among its detections, or −fnWeight when none; detections outside
 * windows add their (negative) sweep scores.
 */
export function scoresByThreshold(points: readonly SweepPoint[], cost: CostMatrix): ThresholdScore[] {
  const sorted = [...points].sort((a, b) => b.anomalyScore - a.anomalyScore);
  const windowBest = new Map<string, number>();
  for (const p of sorted) if (p.window !== null) windowBest.set(p.window, -cost.fnWeight);
  let windowSum = -cost.fnWeight * windowBest.size;
  let fpSum = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const p of sorted) (p.window === null ? tn++ : fn++);
  const out: ThresholdScore[] = [];
  let threshold = NO_DETECTION_THRESHOLD;
  for (const p of sorted) {
    if (p.anomalyScore !== threshold) {
      out.push({ threshold, score: windowSum + fpSum, tp, fp, tn, fn });
      threshold = p.anomalyScore;
    }
    if (p.window === null) {
      fp++;
      tn--;
      fpSum += p.sweepScore;
    } else {
      tp++;
      fn--;
      const best = windowBest.get(p.window)!;
      if (p.sweepScore > best) {
        windowSum += p.sweepScore - best;
        windowBest.set(p.window, p.sweepScore);
      }
    }
  }
  out.push({ threshold, score: windowSum + fpSum, tp, fp, tn, fn });
  return out;
}

/** The candidate with the highest score; ties go to the higher threshold (NAB's stable sort). */
export function bestThreshold(points: readonly SweepPoint[], cost: CostMatrix): ThresholdScore {
  let best: ThresholdScore | undefined;
  for (const s of scoresByThreshold(points, cost)) if (best === undefined || s.score > best.score) best = s;
  return best!;
}

/** Score of a set of points at a fixed threshold (detections: anomalyScore ≥ threshold). */
export function scoreAtThreshold(points: readonly SweepPoint[], cost: CostMatrix, threshold: number): ThresholdScore {
  const windowBest = new Map<string, number>();
  let fpSum = 0;
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (const p of points) {
    const hit = p.anomalyScore >= threshold;
    if (p.window === null) {
      if (hit) {
        fp++;
        fpSum += p.sweepScore;
      } else tn++;
      continue;
    }
    if (!windowBest.has(p.window)) windowBest.set(p.window, -cost.fnWeight);
    if (hit) {
      tp++;
      windowBest.set(p.window, Math.max(windowBest.get(p.window)!, p.sweepScore));
    } else fn++;
  }
  let score = fpSum;
  for (const v of windowBest.values()) score += v;
  return { threshold, score, tp, fp, tn, fn };
}
