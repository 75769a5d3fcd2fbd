/**
 * npm run nab:tune -- --grid '[{"tolerance":1}, {"spatialTolerance":0.05}]' [--model FILE]
 * Scores detector configurations on the whole NAB corpus in one process (no CSVs written) and
 * prints the three profile scores per configuration. Used to pick the ONE global configuration
 * (DEFAULT_DETECTOR); labels are used only by the scorer, never by the detector.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseNabCsv, windowsToIndices, type WindowLabels } from '../src/nab/corpus.ts';
import { scoreCorpus, type ScoredFile } from '../src/nab/score.ts';
import { loadMicro } from '../src/models/micro-weights.ts';
import { MicroWasm } from '../src/models/micro-wasm.ts';
import { DEFAULT_DETECTOR, scoreSeries, type DetectorOptions } from '../src/anomaly/detector.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: 'data/nab/data' },
    labels: { type: 'string', default: 'data/nab/labels/combined_windows.json' },
    model: { type: 'string', default: 'public/models/sensor.safetensors' },
    grid: { type: 'string', default: '[{}]' },
  },
});
const labels = JSON.parse(readFileSync(values.labels!, 'utf8')) as WindowLabels;
const { config, weights } = loadMicro(readFileSync(values.model!), values.model);
const model = await MicroWasm.create(config, weights);
const corpus = Object.keys(labels).sort().map((key) => {
  const t = parseNabCsv(readFileSync(join(values.data!, key), 'utf8'), key);
  return { key, values: t.columns['value'], windows: windowsToIndices(key, t.timestamps, labels[key]) };
});
void readdirSync;
function merge(base: DetectorOptions, patch: Record<string, unknown>): DetectorOptions {
  const o = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (v && typeof v === 'object') o[k] = { ...(o[k] as object), ...(v as object) };
    else o[k] = v;
  }
  return o as unknown as DetectorOptions;
}
for (const patch of JSON.parse(values.grid!) as Array<Record<string, unknown>>) {
  const opts = merge(DEFAULT_DETECTOR, patch);
  const t0 = performance.now();
  const files: ScoredFile[] = corpus.map((c) => ({ key: c.key, windows: c.windows, scores: scoreSeries(c.values, model, undefined, opts) }));
  const res = scoreCorpus(files);
  const s = (performance.now() - t0) / 1000;
  console.log(`${JSON.stringify(patch)}  ` + res.map((r) => `${r.profile} ${r.normalized.toFixed(2)} (t=${r.threshold.toFixed(4)} tp ${r.tp} fp ${r.fp})`).join('  ') + `  [${s.toFixed(1)} s]`);
}
