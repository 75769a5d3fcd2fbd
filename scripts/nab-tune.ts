/**
 * npm run nab:tune -- --grid '[{"damp":0.5}, {"view":{"block":1,"stride":1}}]' [--model FILE] [--cv] [--out FILE]
 *   (--grid @FILE reads the list from a JSON file, e.g. @scripts/nab-cv-grid.json)
 * Scores detector configurations on the whole NAB corpus in one process (no CSVs written) and
 * prints the three profile scores per configuration (each a patch of DEFAULT_DETECTOR). Used to
 * pick the ONE global configuration (DEFAULT_DETECTOR); labels are used only by the scorer, never
 * by the detector.
 *
 * --cv [--cv-by parity|category]: cross-validation of that choice (parity: 2 folds, below;
 * category: leave one NAB category out, 7 folds, same procedure).
 * Parity: 2-fold cross-validation of that choice. Files are split by their position in the sorted
 * list (odd / even); on each fold the configuration AND the threshold are chosen on one half and
 * applied unchanged to the other half. The cross-validated score sums both held-out halves' raw
 * scores and normalises with the whole corpus' null and perfect scores, like NAB's headline.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NAB_PROFILES, scoreCorpus, scoreProfile, type ScoredFile } from '../src/nab/score.ts';
import { scoreAtThreshold, sweepScores } from '../src/nab/sweep.ts';
import { DEFAULT_DETECTOR, scoreSeries } from '../src/anomaly/detector.ts';
import { loadNabRun, mergeDetectorPatch, NAB_RUN_OPTIONS } from './nab-patch.ts';

const { values } = parseArgs({
  options: {
    ...NAB_RUN_OPTIONS,
    grid: { type: 'string', default: '[{}]' },
    cv: { type: 'boolean', default: false },
    'cv-by': { type: 'string', default: 'parity' },
    out: { type: 'string' },
  },
});
const { model, corpus } = await loadNabRun(values.data!, values.labels!, values.model!);

/** Raw score of `files` at a fixed threshold (no re-optimisation), under one profile. */
function rawAt(files: ScoredFile[], profile: string, threshold: number): number {
  const cost = NAB_PROFILES[profile];
  let s = 0;
  for (const f of files) s += scoreAtThreshold(sweepScores(f.scores.length, f.windows, f.scores, f.key, cost), cost, threshold).score;
  return s;
}

const grid = JSON.parse(values.grid!.startsWith('@') ? readFileSync(values.grid!.slice(1), 'utf8') : values.grid!) as Array<Record<string, unknown>>;
const runs: Array<{ patch: Record<string, unknown>; files: ScoredFile[]; results: ReturnType<typeof scoreCorpus> }> = [];
for (const patch of grid) {
  const opts = mergeDetectorPatch(DEFAULT_DETECTOR, patch);
  const t0 = performance.now();
  const files: ScoredFile[] = corpus.map((c) => ({ key: c.key, windows: c.windows, scores: scoreSeries(c.values, model, undefined, opts) }));
  const results = scoreCorpus(files);
  const s = (performance.now() - t0) / 1000;
  runs.push({ patch, files, results });
  console.log(`${JSON.stringify(patch)}  ` + results.map((r) => `${r.profile} ${r.normalized.toFixed(2)} (t=${r.threshold.toFixed(4)} tp ${r.tp} fp ${r.fp})`).join('  ') + `  [${s.toFixed(1)} s]`);
}

const report: Record<string, unknown> = { model: values.model, runs: runs.map((r) => ({ patch: r.patch, profiles: r.results.map(({ perFile: _, ...rest }) => rest) })) };
if (values.cv) {
  const cats = [...new Set(corpus.map((c) => c.key.split('/')[0]))];
  // each fold: [name of the training part, is file i in the training part]
  const folds: Array<[string, (i: number) => boolean]> = values['cv-by'] === 'category'
    ? cats.map((c) => [`all but ${c}`, (i: number) => !corpus[i].key.startsWith(c + '/')])
    : [['odd', (i: number) => i % 2 === 0], ['even', (i: number) => i % 2 === 1]]; // 1st, 3rd, … file = "odd"
  const cv: Record<string, unknown> = {};
  for (const profile of Object.keys(NAB_PROFILES)) {
    const all = scoreProfile(runs[0].files, profile, NAB_PROFILES[profile]);
    let held = 0;
    const picks = [];
    for (let f = 0; f < folds.length; f++) {
      const train = (r: (typeof runs)[number]) => r.files.filter((_, i) => folds[f][1](i));
      const test = (r: (typeof runs)[number]) => r.files.filter((_, i) => !folds[f][1](i));
      let best: { run: (typeof runs)[number]; res: ReturnType<typeof scoreProfile> } | undefined;
      for (const run of runs) {
        const res = scoreProfile(train(run), profile, NAB_PROFILES[profile]);
        if (!best || res.normalized > best.res.normalized) best = { run, res };
      }
      const testRaw = rawAt(test(best!.run), profile, best!.res.threshold);
      const testNorm = scoreProfile(test(best!.run), profile, NAB_PROFILES[profile]);
      const denom = testNorm.perfectScore - testNorm.nullScore; // 0 for a part without windows (artificialNoAnomaly)
      const heldNorm = denom === 0 ? NaN : (100 * (testRaw - testNorm.nullScore)) / denom;
      held += testRaw;
      // heldOutOwnThreshold: the same configuration with the threshold re-chosen on the held-out half (separates threshold from config optimism)
      picks.push({ tunedOn: folds[f][0], patch: best!.run.patch, threshold: best!.res.threshold, trainScore: best!.res.normalized, heldOutScore: heldNorm, heldOutRaw: testRaw, heldOutOwnThreshold: testNorm.normalized });
      console.log(`cv ${profile} tuned on ${folds[f][0]} files: ${JSON.stringify(best!.run.patch)} t=${best!.res.threshold.toFixed(4)} train ${best!.res.normalized.toFixed(2)} → held-out ${denom === 0 ? `raw ${testRaw.toFixed(3)} (no windows)` : `${heldNorm.toFixed(2)} (${testNorm.normalized.toFixed(2)} at its own best threshold)`}`);
    }
    const score = (100 * (held - all.nullScore)) / (all.perfectScore - all.nullScore);
    console.log(`cv ${profile}: cross-validated score ${score.toFixed(2)} (all held-out parts, whole-corpus normalisation)`);
    cv[profile] = { score, folds: picks };
  }
  report['cv'] = { by: values['cv-by'], ...cv };
}
if (values.out) writeFileSync(values.out, JSON.stringify(report, null, 2) + '\n');
