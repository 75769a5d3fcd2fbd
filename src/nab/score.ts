/**
 * Scoring a detector over the NAB corpus, as NAB does it: for each profile, one threshold chosen
 * to maximise the summed score over all files, then normalisation against the null detector
 * (never fires) and the perfect detector (fires exactly at every window start):
 *   normalised = 100 · (S − S_null) / (S_perfect − S_null).
 */
import { SparrowError } from '../errors.ts';
import { bestThreshold, scoreAtThreshold, sweepScores, type CostMatrix, type IndexWindow, type SweepPoint } from './sweep.ts';

/** One file of detector output, windows already resolved to row indices. */
export interface ScoredFile {
  /** "<category>/<file>.csv" */
  key: string;
  scores: ArrayLike<number>;
  windows: IndexWindow[];
}

export interface ProfileResult {
  profile: string;
  threshold: number;
  /** Raw corpus score S at the chosen threshold. */
  score: number;
  nullScore: number;
  perfectScore: number;
  normalized: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** Raw score of each file at the chosen threshold. */
  perFile: Record<string, number>;
}

/** NAB's three profiles (config/profiles.json). */
export const NAB_PROFILES: Record<string, CostMatrix> = {
  standard: { tpWeight: 1.0, fnWeight: 1.0, fpWeight: 0.11 },
  reward_low_FP_rate: { tpWeight: 1.0, fnWeight: 1.0, fpWeight: 0.22 },
  reward_low_FN_rate: { tpWeight: 1.0, fnWeight: 2.0, fpWeight: 0.11 },
};

/** Read profiles.json's {"name": {"CostMatrix": {...}}} layout. */
export function parseProfiles(json: unknown): Record<string, CostMatrix> {
  const out: Record<string, CostMatrix> = {};
  if (typeof json !== 'object' || json === null) throw new SparrowError('FORMAT_INVALID', 'nab: profiles must be a JSON object');
  for (const [name, p] of Object.entries(json as Record<string, { CostMatrix?: Partial<CostMatrix> }>)) {
    const c = p?.CostMatrix;
    if (!c || ![c.tpWeight, c.fpWeight, c.fnWeight].every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new SparrowError('FORMAT_INVALID', `nab: profile "${name}" lacks a numeric CostMatrix {tpWeight, fpWeight, fnWeight}`);
    }
    out[name] = { tpWeight: c.tpWeight!, fpWeight: c.fpWeight!, fnWeight: c.fnWeight! };
  }
  return out;
}

/** Scores outside [0, 1] or not finite are a detector bug; NAB would mis-sort them, we refuse. */
function checkScores(f: ScoredFile): void {
  for (let i = 0; i < f.scores.length; i++) {
    const s = f.scores[i];
    if (!(s >= 0 && s <= 1)) {
      throw new SparrowError('INVALID_ARGUMENT', `nab: ${f.key} row ${i} has anomaly_score ${s}; scores must be finite and in [0, 1]`, { key: f.key, row: i });
    }
  }
}

function corpusPoints(files: readonly ScoredFile[], cost: CostMatrix, scoresOf: (f: ScoredFile) => ArrayLike<number>): SweepPoint[][] {
  return files.map((f) => sweepScores(f.scores.length, f.windows, scoresOf(f), f.key, cost));
}

/** The perfect detector: 1 at each window's first row, 0 elsewhere. */
export function perfectScores(f: ScoredFile): Float64Array {
  const s = new Float64Array(f.scores.length);
  for (const w of f.windows) s[w.start] = 1;
  return s;
}

function optimise(perFilePoints: SweepPoint[][], cost: CostMatrix) {
  return bestThreshold(perFilePoints.flat(), cost);
}

/** Score one detector's output on the corpus under one profile. */
export function scoreProfile(files: readonly ScoredFile[], profile: string, cost: CostMatrix): ProfileResult {
  files.forEach(checkScores);
  const pts = corpusPoints(files, cost, (f) => f.scores);
  const best = optimise(pts, cost);
  const perFile: Record<string, number> = {};
  files.forEach((f, i) => (perFile[f.key] = scoreAtThreshold(pts[i], cost, best.threshold).score));
  const nullScore = optimise(corpusPoints(files, cost, (f) => new Float64Array(f.scores.length)), cost).score;
  const perfectScore = optimise(corpusPoints(files, cost, perfectScores), cost).score;
  const denom = perfectScore - nullScore;
  const normalized = denom === 0 ? 0 : (100 * (best.score - nullScore)) / denom;
  return { profile, threshold: best.threshold, score: best.score, nullScore, perfectScore, normalized, tp: best.tp, fp: best.fp, fn: best.fn, tn: best.tn, perFile };
}

/** Score under every profile. */
export function scoreCorpus(files: readonly ScoredFile[], profiles: Record<string, CostMatrix> = NAB_PROFILES): ProfileResult[] {
  return Object.entries(profiles).map(([name, cost]) => scoreProfile(files, name, cost));
}
