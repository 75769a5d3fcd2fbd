/**
 * npm run nab:score -- --results DIR [--labels FILE] [--profiles FILE] [--partial] [--out FILE]
 * Scores NAB results folders (see src/nab/results.ts for the layout) under NAB's three profiles
 * and prints a table; --out writes the full JSON (thresholds, raw/null/perfect scores, per file).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { WindowLabels } from '../src/nab/corpus.ts';
import { loadResults, detectorDirs } from '../src/nab/results.ts';
import { parseProfiles, scoreCorpus } from '../src/nab/score.ts';

const { values } = parseArgs({
  options: {
    results: { type: 'string' },
    data: { type: 'string' }, // accepted for symmetry with `npm run nab`; rows come from the results files
    labels: { type: 'string', default: 'data/nab/labels/combined_windows.json' },
    profiles: { type: 'string', default: 'data/nab/config/profiles.json' },
    partial: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
if (!values.results) {
  console.error('usage: npm run nab:score -- --results DIR [--labels FILE] [--profiles FILE] [--partial] [--out FILE]');
  process.exit(2);
}
const labels = JSON.parse(readFileSync(values.labels!, 'utf8')) as WindowLabels;
const profiles = parseProfiles(JSON.parse(readFileSync(values.profiles!, 'utf8')));
const categories = [...new Set(Object.keys(labels).map((k) => k.split('/')[0]))];
const report: Record<string, unknown> = {};
for (const dir of detectorDirs(values.results, categories)) {
  const files = loadResults(dir, labels, values.partial);
  const res = scoreCorpus(files, profiles);
  const name = basename(dir);
  report[name] = res;
  console.log(`${name}: ${files.length} files`);
  for (const r of res) {
    console.log(`  ${r.profile.padEnd(20)} score ${r.normalized.toFixed(2).padStart(7)}  (raw ${r.score.toFixed(3)}, null ${r.nullScore.toFixed(1)}, perfect ${r.perfectScore.toFixed(1)}, threshold ${r.threshold}, tp ${r.tp} fp ${r.fp})`);
  }
}
if (values.out) writeFileSync(values.out, JSON.stringify(report, null, 2));
