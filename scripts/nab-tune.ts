/**
 * npm run nab:tune -- --grid '[{"damp":0.5}, {"view":{"block":1,"stride":1}}]' [--model FILE] [--cv] [--out FILE]
 *   (--grid @FILE reads the list from a JSON file, e.g. @scripts/nab-cv-grid.json)
 * Scores detector configurations on the whole NAB corpus in one process (no CSVs written) and
 * prints the three profile scores per configuration (each a patch of DEFAULT_DETECTOR). Used to
 * pick the ONE global configuration (DEFAULT_DETECTOR); labels are used only by the scorer, never
 * by the detector.
 *
 * --cv: 2-fold cross-validation of that choice. Files are split by their position in the sorted
 * list (odd / even); on each fold the configuration AND the threshold are chosen on one half and
 * applied unchanged to the other half. The cross-validated score sums both held-out halves' raw
 * scores and normalises with the whole corpus' null and perfect scores, like NAB's headline.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseNabCsv, windowsToIndices, type WindowLabels } from '../src/nab/corpus.ts';
import { NAB_PROFILES, scoreCorpus, scoreProfile, type ScoredFile } from '../src/nab/score.ts';
import { scoreAtThreshold, sweepScores } from '../src/nab/sweep.ts';
import { loadMicro } from '../src/models/micro-weights.ts';
import { MicroWasm } from '../src/models/micro-wasm.ts';
import { DEFAULT_DETECTOR, scoreSeries, type DetectorOptions } from '../src/anomaly/detector.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: 'data/nab/data' },
    labels: { type: 'string', default: 'data/nab/labels/combined_windows.json' },
    model: { type: 'string', default: 'public/models/sensor.safetensors' },
    grid: { type: 'string', default: '[{}]' },
    cv: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const labels = JSON.parse(readFileSync(values.labels!, 'utf8')) as WindowLabels;
const { config, weights } = loadMicro(readFileSync(values.model!), values.model);
const model = await MicroWasm.create(config, weights);
const corpus = Object.keys(labels).sort().map((key) => {
  const t = parseNabCsv(readFileSync(join(values.data!, key), 'utf8'), key);
  return { key, values: t.columns['value'], windows: windowsToIndices(key, t.timestamps, labels[key]) };
});

function merge(base: DetectorOptions, patch: Record<string, unknown>): DetectorOptions {
  const o = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (v && typeof v === 'object') o[k] = { ...(o[k] as object), ...(v as object) };
    else o[k] = v;
  }
  return o as unknown as DetectorOptions;
}

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
  const opts = merge(DEFAULT_DETECTOR, patch);
  const t0 = performance.now();
  const files: ScoredFile[] = corpus.map((c) => ({ key: c.key, windows: c.windows, scores: scoreSeries(c.values, model, undefined, opts) }));
  const results = scoreCorpus(files);
  const s = (performance.now() - t0) / 1000;
  runs.push({ patch, files, results });
  console.log(`${JSON.stringify(patch)}  ` + results.map((r) => `${r.profile} ${r.normalized.toFixed(2)} (t=${r.threshold.toFixed(4)} tp ${r.tp} fp ${r.fp})`).join('  ') + `  [${s.toFixed(1)} s]`);
}

const report: Record<string, unknown> = { model: values.model, runs: runs.map((r) => ({ patch: r.patch, profiles: r.results.map(({ perFile: _, ...rest }) => rest) })) };
if (values.cv) {
  const folds = [(i: number) => i % 2 === 0, (i: number) => i % 2 === 1]; // 1st, 3rd, … file = "odd"
  const cv: Record<string, unknown> = {};
  for (const profile of Object.keys(NAB_PROFILES)) {
    const all = scoreProfile(runs[0].files, profile, NAB_PROFILES[profile]);
    let held = 0;
    const picks = [];
    for (let f = 0; f < 2; f++) {
      const train = (r: (typeof runs)[number]) => r.files.filter((_, i) => folds[f](i));
      const test = (r: (typeof runs)[number]) => r.files.filter((_, i) => !folds[f](i));
      let best: { run: (typeof runs)[number]; res: ReturnType<typeof scoreProfile> } | undefined;
      for (const run of runs) {
        const res = scoreProfile(train(run), profile, NAB_PROFILES[profile]);
        if (!best || res.normalized > best.res.normalized) best = { run, res };
      }
      const testRaw = rawAt(test(best!.run), profile, best!.res.threshold);
      const testNorm = scoreProfile(test(best!.run), profile, NAB_PROFILES[profile]);
      const heldNorm = (100 * (testRaw - testNorm.nullScore)) / (testNorm.perfectScore - testNorm.nullScore);
      held += testRaw;
      // heldOutOwnThreshold: the same configuration with the threshold re-chosen on the held-out half (separates threshold from config optimism)
      picks.push({ tunedOn: f === 0 ? 'odd' : 'even', patch: best!.run.patch, threshold: best!.res.threshold, trainScore: best!.res.normalized, heldOutScore: heldNorm, heldOutOwnThreshold: testNorm.normalized });
      console.log(`cv ${profile} tuned on ${f === 0 ? 'odd' : 'even'} files: ${JSON.stringify(best!.run.patch)} t=${best!.res.threshold.toFixed(4)} train ${best!.res.normalized.toFixed(2)} → held-out ${heldNorm.toFixed(2)} (${testNorm.normalized.toFixed(2)} with the held-out half's own best threshold)`);
    }
    const score = (100 * (held - all.nullScore)) / (all.perfectScore - all.nullScore);
    console.log(`cv ${profile}: cross-validated score ${score.toFixed(2)} (both held-out halves, whole-corpus normalisation)`);
    cv[profile] = { score, folds: picks };
  }
  report['cv'] = cv;
}
if (values.out) writeFileSync(values.out, JSON.stringify(report, null, 2) + '\n');
