import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNabCsv, parseNabTime, windowsToIndices, type WindowLabels } from '../../src/nab/corpus.ts';
import { NAB_PROFILES, parseProfiles, perfectScores, scoreCorpus, scoreProfile, type ScoredFile } from '../../src/nab/score.ts';
import { bestThreshold, probationaryLength, scaledSigmoid, scoreAtThreshold, scoresByThreshold, sweepScores } from '../../src/nab/sweep.ts';
import { isSparrowError } from '../../src/errors.ts';

const STD = NAB_PROFILES.standard;

describe('NAB sweep rules', () => {
  it('scaled sigmoid matches the documented anchor values', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3)).toBe(-1);
  });

  it('probationary period is min(floor(15%), 750)', () => {
    expect(probationaryLength(20)).toBe(3);
    expect(probationaryLength(4032)).toBe(604);
    expect(probationaryLength(22695)).toBe(750);
  });

  it('hand-checked 20-row file: one TP inside the window and two FPs', () => {
    // probation 3 rows; window rows 10..13 (width 4)
    const scores = new Float64Array(20);
    scores[1] = 1; // in probation: ignored
    scores[5] = 0.9; // FP before any window: −fpWeight
    scores[11] = 0.8; // TP at position −(13−11+1)/4 = −0.75 → σs(−0.75)/σs(−1) = 0.96699
    scores[12] = 0.95; // later detection in the same window: only the best (earliest) counts
    scores[15] = 0.7; // FP 2 rows after the window: 0.11·σs(2/3) = −0.10242
    const pts = sweepScores(20, [{ start: 10, end: 13 }], scores, 'f', STD);
    expect(pts.length).toBe(17);
    expect(pts[11 - 3].sweepScore).toBeCloseTo(0.9669890878000605, 12);
    expect(pts[15 - 3].sweepScore).toBeCloseTo(-0.10242205695343354, 12);
    expect(pts[5 - 3].sweepScore).toBeCloseTo(-0.11, 12);
    const byT = scoresByThreshold(pts, STD);
    const at = (t: number) => byT.find((s) => s.threshold === t)!.score;
    expect(at(1.1)).toBeCloseTo(-1, 12); // nothing detected: window missed
    expect(at(0.95)).toBeCloseTo(scaledSigmoid(-0.5) / scaledSigmoid(-1), 12); // row 12 only
    expect(at(0.9)).toBeCloseTo(scaledSigmoid(-0.5) / scaledSigmoid(-1) - 0.11, 12);
    expect(at(0.8)).toBeCloseTo(0.9669890878000605 - 0.11, 12);
    expect(at(0.7)).toBeCloseTo(0.754567030846627, 12);
    // at 0 every scorable row fires: the window earns its first row (exactly 1), 7 FPs before it
    // cost −0.11 each, the 6 after it the sigmoid of their distance past the window end.
    let expect0 = 1;
    for (let i = 3; i < 10; i++) expect0 -= 0.11;
    for (let i = 14; i < 20; i++) expect0 += 0.11 * scaledSigmoid((i - 13) / 3);
    expect(at(0)).toBeCloseTo(expect0, 12);
    // 0.95 (0.8598, row 12 alone) beats 0.8 (0.9670 − 0.11 = 0.8570)
    expect(bestThreshold(pts, STD).threshold).toBe(0.95);
  });

  it('a window entirely inside the probationary period is not scored', () => {
    const pts = sweepScores(100, [{ start: 2, end: 5 }], new Float64Array(100), 'f', STD);
    expect(pts.every((p) => p.window === null)).toBe(true);
    expect(bestThreshold(pts, STD).score).toBe(0);
  });
});

describe('NAB corpus scoring', () => {
  const labels = JSON.parse(readFileSync('data/nab/labels/combined_windows.json', 'utf8')) as WindowLabels;
  const files: ScoredFile[] = Object.keys(labels).sort().map((key) => {
    const t = parseNabCsv(readFileSync(`data/nab/data/${key}`, 'utf8'), key);
    return { key, scores: new Float64Array(t.timestamps.length), windows: windowsToIndices(key, t.timestamps, labels[key]) };
  });

  it('has the 58 files and 116 windows the README describes', () => {
    expect(files.length).toBe(58);
    expect(files.reduce((a, f) => a + f.windows.length, 0)).toBe(116);
  });

  it('null detector scores 0 and the perfect detector 100 under every profile', () => {
    const perfect = files.map((f) => ({ ...f, scores: perfectScores(f) }));
    for (const r of scoreCorpus(files)) {
      expect(r.normalized).toBe(0);
      expect(r.nullScore).toBeCloseTo(r.profile === 'reward_low_FN_rate' ? -232 : -116, 9);
      expect(r.perfectScore).toBeCloseTo(116, 9);
    }
    for (const r of scoreCorpus(perfect)) expect(r.normalized).toBeCloseTo(100, 9);
  });

  it('one threshold is optimised over all files, and a detector always firing is penalised', () => {
    // fires at the start of every other window only: half the windows found, no FPs
    let k = 0;
    const half = files.map((f) => {
      const s = new Float64Array(f.scores.length);
      for (const w of f.windows) if (k++ % 2 === 0) s[w.start] = 0.6;
      return { ...f, scores: s };
    });
    const r = scoreProfile(half, 'standard', STD);
    expect(r.threshold).toBe(0.6);
    expect(r.score).toBeCloseTo(0, 9); // 58 found (+58) and 58 missed (−58)
    expect(r.normalized).toBeCloseTo(50, 9);
    const always = files.map((f) => ({ ...f, scores: new Float64Array(f.scores.length).fill(0.5) }));
    expect(scoreProfile(always, 'standard', STD).normalized).toBe(0); // best is to never fire
  });

  it('profiles.json parses to the documented cost matrices', () => {
    expect(parseProfiles(JSON.parse(readFileSync('data/nab/config/profiles.json', 'utf8')))).toEqual(NAB_PROFILES);
  });

  it('rejects NaN or out-of-range scores with a typed error', () => {
    const bad = [{ ...files[0], scores: new Float64Array(files[0].scores.length).fill(NaN) }];
    try {
      scoreCorpus(bad);
      expect.unreachable();
    } catch (e) {
      expect(isSparrowError(e, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('timestamps with and without microseconds compare equal', () => {
    expect(parseNabTime('2014-04-10 07:15:00.000000')).toBe(parseNabTime('2014-04-10 07:15:00'));
    expect(Number.isNaN(parseNabTime('garbage'))).toBe(true);
  });
});

/**
 * NAB's own output as the oracle: numbers copied from numenta/NAB's published results of the
 * ARTime detector (results/ARTime/…, written by NAB's Python scorer), not computed by Sparrow.
 */
describe('NAB scorer against NAB\'s published ARTime results', () => {
  const labels = JSON.parse(readFileSync('data/nab/labels/combined_windows.json', 'utf8')) as WindowLabels;
  const load = (key: string) => {
    const t = parseNabCsv(readFileSync(`data/nab/data/${key}`, 'utf8'), key);
    return { timestamps: t.timestamps, windows: windowsToIndices(key, t.timestamps, labels[key]) };
  };

  it('per-row sweep scores equal the S(t) columns of ARTime_exchange-2_cpc_results.csv bit for bit', () => {
    const key = 'realAdExchange/exchange-2_cpc_results.csv';
    const { timestamps, windows } = load(key);
    const n = timestamps.length;
    const probation = probationaryLength(n);
    // timestamp, S(t)_standard, S(t)_reward_low_FP_rate, S(t)_reward_low_FN_rate: the window's first
    // and second rows, a middle and its last row, then rows 1, 14, 50, 79 (after a missing hour)
    // and 121 past its end
    const rows: Array<[string, number, number, number]> = [
      ['2011-07-11 04:00:01', 1.0, 1.0, 1.0],
      ['2011-07-11 05:00:01', 0.9995802920893468, 0.9995802920893468, 0.9995802920893468],
      ['2011-07-17 14:00:01', 0.13902769891412792, 0.13902769891412792, 0.13902769891412792],
      ['2011-07-17 22:00:01', 0.015544292043913078, 0.015544292043913078, 0.015544292043913078],
      ['2011-07-17 23:00:01', -0.001697396121560073, -0.003394792243120146, -0.001697396121560073],
      ['2011-07-18 12:00:01', -0.023402438997840985, -0.04680487799568197, -0.023402438997840985],
      ['2011-07-20 00:00:01', -0.07126478973383289, -0.14252957946766578, -0.07126478973383289],
      ['2011-07-21 06:00:01', -0.09233389757570508, -0.18466779515141016, -0.09233389757570508],
      ['2011-07-23 00:00:01', -0.10486819779052303, -0.20973639558104606, -0.10486819779052303],
    ];
    const profiles = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'];
    const sweeps = profiles.map((p) => sweepScores(n, windows, new Float64Array(n), key, NAB_PROFILES[p]));
    for (const [ts, ...want] of rows) {
      const i = timestamps.indexOf(ts);
      expect(i).toBeGreaterThanOrEqual(probation);
      profiles.forEach((_, k) => expect(sweeps[k][i - probation].sweepScore).toBe(want[k]));
    }
  });

  it('ARTime_speed_7578.csv at NAB\'s standard threshold gives ARTime_standard_scores.csv\'s row', () => {
    const key = 'realTraffic/speed_7578.csv';
    const { timestamps, windows } = load(key);
    // every non-zero anomaly_score of ARTime's result file (all other rows are 0.0)
    const nonZero: Array<[string, number]> = [
      ['2015-09-10 19:37:00', 0.282024],
      ['2015-09-11 12:14:00', 0.701241],
      ['2015-09-11 16:44:00', 1.0],
      ['2015-09-11 23:41:00', 0.390544],
      ['2015-09-14 17:25:00', 0.440517],
      ['2015-09-14 17:40:00', 0.48960699999999996],
      ['2015-09-15 14:29:00', 0.58505],
      ['2015-09-16 14:04:00', 0.423771],
      ['2015-09-16 14:14:00', 0.7058409999999999],
      ['2015-09-16 14:19:00', 0.710799],
      ['2015-09-16 14:50:00', 0.754471],
      ['2015-09-16 17:10:00', 0.4244770000000001],
    ];
    const scores = new Float64Array(timestamps.length);
    for (const [ts, s] of nonZero) {
      const i = timestamps.indexOf(ts);
      expect(i).toBeGreaterThanOrEqual(0);
      scores[i] = s;
    }
    const r = scoreAtThreshold(sweepScores(timestamps.length, windows, scores, key, STD), STD, 0.317486);
    // NAB: ARTime,standard,realTraffic/speed_7578.csv,0.317486,3.1077313980278403,7,838,4,109,958
    expect(r.score).toBeCloseTo(3.1077313980278403, 12);
    expect([r.tp, r.tn, r.fp, r.fn]).toEqual([7, 838, 4, 109]);
    expect(r.tp + r.tn + r.fp + r.fn).toBe(958);
  });

  it('ARTime\'s published corpus total (raw 57.66) normalises to its scoreboard 74.9', () => {
    const files: ScoredFile[] = Object.keys(labels).sort().map((key) => {
      const { timestamps, windows } = load(key);
      return { key, scores: new Float64Array(timestamps.length), windows };
    });
    const r = scoreProfile(files, 'standard', STD);
    const normalized = (100 * (57.66075157860637 - r.nullScore)) / (r.perfectScore - r.nullScore);
    expect(normalized).toBeCloseTo(74.85, 2);
  });
});
