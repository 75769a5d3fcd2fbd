/**
 * npm run nab -- [--data data/nab | data/nab/data] [--labels FILE] [--out results] [--model FILE]
 *                [--no-adapt] [--files a,b] [--engine wasm|ts] [--detector sparrow] [--set key=value ...]
 * Runs the streaming detector on every NAB file (fresh state per file, one global configuration)
 * and writes NAB's results layout OUT/<detector>/<category>/<detector>_<file>.csv with
 * timestamp,value,anomaly_score,label (label 1 inside a labelled window; labels are never shown
 * to the detector). Then score with `npm run nab:score -- --results OUT`.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseNabCsv, windowsToIndices, type WindowLabels } from '../src/nab/corpus.ts';
import { loadMicro } from '../src/models/micro-weights.ts';
import { DEFAULT_DETECTOR, scoreSeries, type DetectorOptions, type MicroStepper } from '../src/anomaly/detector.ts';
import { MicroWasm } from '../src/models/micro-wasm.ts';
import { MicroModel } from '../src/models/micro.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: 'data/nab/data' },
    labels: { type: 'string', default: 'data/nab/labels/combined_windows.json' },
    out: { type: 'string', default: 'results' },
    model: { type: 'string', default: 'public/models/sensor.safetensors' },
    detector: { type: 'string', default: 'sparrow' },
    'no-adapt': { type: 'boolean', default: false },
    files: { type: 'string' },
    engine: { type: 'string', default: 'wasm' },
    set: { type: 'string', multiple: true },
  },
});
// --data may name NAB's root (with data/ and labels/ inside) or its data/ folder
if (existsSync(join(values.data!, 'data')) && statSync(join(values.data!, 'data')).isDirectory()) {
  if (existsSync(join(values.data!, 'labels', 'combined_windows.json')) && values.labels === 'data/nab/labels/combined_windows.json') values.labels = join(values.data!, 'labels', 'combined_windows.json');
  values.data = join(values.data!, 'data');
}
const labels: WindowLabels = existsSync(values.labels!) ? JSON.parse(readFileSync(values.labels!, 'utf8')) : {};
const { config, weights } = loadMicro(readFileSync(values.model!), values.model);
const opts: DetectorOptions = structuredClone(DEFAULT_DETECTOR);
opts.adapt = !values['no-adapt'];
for (const kv of values.set ?? []) {
  // --set likelihood.history=4000 : numeric overrides of the detector configuration
  const [path, v] = kv.split('=');
  const keys = path.split('.');
  let o = opts as unknown as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[keys[keys.length - 1]] = v === 'true' ? true : v === 'false' ? false : Number(v);
}
const model: MicroStepper = values.engine === 'ts' ? new MicroModel(config, weights) : await MicroWasm.create(config, weights);
const only = values.files?.split(',');
const det = values.detector!;
let total = 0;
const t0 = performance.now();
for (const category of readdirSync(values.data!).filter((c) => statSync(join(values.data!, c)).isDirectory()).sort()) {
  const catDir = join(values.data!, category);
  for (const file of readdirSync(catDir).filter((f) => f.endsWith('.csv')).sort()) {
    const key = `${category}/${file}`;
    if (only && !only.some((o) => key.includes(o))) continue;
    const table = parseNabCsv(readFileSync(join(catDir, file), 'utf8'), key);
    const vals = table.columns['value'] ?? new Float64Array(table.timestamps.length);
    const scores = scoreSeries(vals, model, undefined, opts);
    const label = new Uint8Array(vals.length);
    for (const w of windowsToIndices(key, table.timestamps, labels[key] ?? [])) label.fill(1, w.start, w.end + 1);
    const lines = ['timestamp,value,anomaly_score,label'];
    const raw = readFileSync(join(catDir, file), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '').slice(1);
    for (let i = 0; i < vals.length; i++) lines.push(`${table.timestamps[i]},${raw[i].split(',')[1]},${scores[i]},${label[i]}`);
    const outDir = join(values.out!, det, category);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `${det}_${file}`), lines.join('\n') + '\n');
    total += vals.length;
  }
}
const s = (performance.now() - t0) / 1000;
console.log(`scored ${total} points in ${s.toFixed(1)} s (${(total / s).toFixed(0)} points/s, adapt ${opts.adapt}) → ${join(values.out!, det)}`);
