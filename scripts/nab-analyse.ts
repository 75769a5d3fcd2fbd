/**
 * npm run nab:analyse -- [--grid '[{...}]'] [--profile standard]
 * Where a configuration's NAB score goes: at the profile's best corpus threshold, how many
 * windows are detected / missed, how early the first detection lies in its window (its sweep
 * reward: 1 = window start, 0 = window end), and what the false positives cost, overall and per
 * category. Labels are used here only to explain the score, never by the detector.
 */
import { parseArgs } from 'node:util';
import { NAB_PROFILES, scoreProfile } from '../src/nab/score.ts';
import { sweepScores } from '../src/nab/sweep.ts';
import { DEFAULT_DETECTOR, scoreSeries } from '../src/anomaly/detector.ts';
import { loadNabRun, mergeDetectorPatch, NAB_RUN_OPTIONS } from './nab-patch.ts';

const { values } = parseArgs({
  options: {
    ...NAB_RUN_OPTIONS,
    grid: { type: 'string', default: '[{}]' },
    profile: { type: 'string', default: 'standard' },
    verbose: { type: 'boolean', default: false },
  },
});
const { model, corpus } = await loadNabRun(values.data!, values.labels!, values.model!);
const cost = NAB_PROFILES[values.profile!];
for (const patch of JSON.parse(values.grid!) as Array<Record<string, unknown>>) {
  const opts = mergeDetectorPatch(DEFAULT_DETECTOR, patch);
  const files = corpus.map((c) => ({ key: c.key, windows: c.windows, scores: scoreSeries(c.values, model, undefined, opts) }));
  const res = scoreProfile(files, values.profile!, cost);
  // the same detector with the likelihood never leaving learning: where the spatial rule alone fires
  const spatialOnly = corpus.map((c) => scoreSeries(c.values, model, undefined, { ...opts, likelihood: { ...opts.likelihood, learning: 1e12 }, channels: [] }));
  let fpSpatial = 0, tpSpatial = 0;
  const t = res.threshold;
  const cats = new Map<string, { win: number; hit: number; reward: number; fp: number; fpCost: number; raw: number }>();
  const early: number[] = [];
  for (const f of files) {
    const cat = f.key.split('/')[0];
    const c = cats.get(cat) ?? { win: 0, hit: 0, reward: 0, fp: 0, fpCost: 0, raw: 0 };
    cats.set(cat, c);
    const pts = sweepScores(f.scores.length, f.windows, f.scores, f.key, cost);
    const best = new Map<string, number>();
    for (const p of pts) {
      if (p.window !== null && !best.has(p.window)) best.set(p.window, -Infinity);
      if (p.anomalyScore < t) continue;
      const fi = files.indexOf(f), row = f.scores.length - pts.length + pts.indexOf(p);
      if (spatialOnly[fi][row] >= t) (p.window === null ? fpSpatial++ : tpSpatial++);
      if (p.window === null) {
        c.fp++;
        c.fpCost += p.sweepScore;
      } else best.set(p.window, Math.max(best.get(p.window)!, p.sweepScore));
    }
    for (const v of best.values()) {
      c.win++;
      if (v > -Infinity) {
        c.hit++;
        c.reward += v;
        early.push(v);
      }
    }
    c.raw += res.perFile[f.key];
    if (values.verbose) {
      // per file: each window's max score inside it (and where), the FPs (rows ≥ t outside windows)
      const probation = f.scores.length - pts.length;
      const ws = f.windows.map((w) => {
        let m = 0, at = w.start;
        for (let i = w.start; i <= w.end; i++) if (f.scores[i] > m) { m = f.scores[i]; at = i; }
        return `[${w.start}-${w.end}${w.start < probation ? ' in probation' : ''}: max ${m.toFixed(3)} @${((at - w.start) / (w.end - w.start + 1)).toFixed(2)}]`;
      });
      const fps: number[] = [];
      pts.forEach((p, j) => { if (p.window === null && p.anomalyScore >= t) fps.push(j + probation); });
      console.log(`    ${f.key} n=${f.scores.length} raw ${res.perFile[f.key].toFixed(2)} ${ws.join(' ')} FP@${fps.join(',')}`);
    }
  }
  early.sort((a, b) => a - b);
  const q = (p: number) => early[Math.floor(p * (early.length - 1))]?.toFixed(3);
  console.log(`${JSON.stringify(patch)}: ${values.profile} ${res.normalized.toFixed(2)} (t=${t.toFixed(4)}, raw ${res.score.toFixed(2)})`);
  console.log(`  detected-window reward quantiles 10/25/50/75/90 %: ${q(0.1)} ${q(0.25)} ${q(0.5)} ${q(0.75)} ${q(0.9)}`);
  let tot = { win: 0, hit: 0, reward: 0, fp: 0, fpCost: 0, raw: 0 };
  for (const [cat, c] of cats) {
    tot = { win: tot.win + c.win, hit: tot.hit + c.hit, reward: tot.reward + c.reward, fp: tot.fp + c.fp, fpCost: tot.fpCost + c.fpCost, raw: tot.raw + c.raw };
    console.log(`  ${cat.padEnd(22)} windows ${c.hit}/${c.win} reward ${c.reward.toFixed(2)} FP ${c.fp} (${c.fpCost.toFixed(2)}) raw ${c.raw.toFixed(2)}`);
  }
  console.log(`  rows ≥ t where the spatial rule alone fires: ${fpSpatial} FP rows, ${tpSpatial} in-window rows`);
  console.log(`  ${'all'.padEnd(22)} windows ${tot.hit}/${tot.win} reward ${tot.reward.toFixed(2)} (lost to lateness ${(tot.hit - tot.reward).toFixed(2)}) FP ${tot.fp} (${tot.fpCost.toFixed(2)}) missed −${tot.win - tot.hit}`);
}
