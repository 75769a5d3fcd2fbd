import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNabCsv, parseNabTime, windowsToIndices, type WindowLabels } from '../../src/nab/corpus.ts';
import { NAB_PROFILES, parseProfiles, perfectScores, scoreCorpus, scoreProfile, type ScoredFile } from '../../src/nab/score.ts';
import { bestThreshold, probationaryLength, scaledSigmoid, scoresByThreshold, sweepScores } from '../../src/nab/sweep.ts';
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
