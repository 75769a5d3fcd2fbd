/** What nab:tune and nab:analyse share: the labelled corpus, the sensor model, grid patches of DetectorOptions. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DetectorOptions } from '../src/anomaly/detector.ts';
import { parseNabCsv, windowsToIndices, type WindowLabels } from '../src/nab/corpus.ts';
import { loadMicro } from '../src/models/micro-weights.ts';
import { MicroWasm } from '../src/models/micro-wasm.ts';

/** The command-line options that say where the labelled corpus and the sensor model are (nab:tune, nab:analyse). */
export const NAB_RUN_OPTIONS = {
  data: { type: 'string', default: 'data/nab/data' },
  labels: { type: 'string', default: 'data/nab/labels/combined_windows.json' },
  model: { type: 'string', default: 'public/models/sensor.safetensors' },
} as const;

/** Every labelled NAB file (sorted by key) with its values and label windows, and the sensor model on wasm. */
export async function loadNabRun(dataDir: string, labelsPath: string, modelPath: string) {
  const labels = JSON.parse(readFileSync(labelsPath, 'utf8')) as WindowLabels;
  const { config, weights } = loadMicro(readFileSync(modelPath), modelPath);
  const model = await MicroWasm.create(config, weights);
  const corpus = Object.keys(labels).sort().map((key) => {
    const t = parseNabCsv(readFileSync(join(dataDir, key), 'utf8'), key);
    return { key, values: t.columns['value'], windows: windowsToIndices(key, t.timestamps, labels[key]) };
  });
  return { labels, model, corpus };
}

/** A grid entry of nab:tune / nab:analyse: a patch of DetectorOptions (objects merged one level deep). */
export function mergeDetectorPatch(base: DetectorOptions, patch: Record<string, unknown>): DetectorOptions {
  const o = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && o[k] && typeof o[k] === 'object') o[k] = { ...(o[k] as object), ...(v as object) };
    else o[k] = v;
  }
  return o as unknown as DetectorOptions;
}
