/**
 * Locating and loading a detector's NAB results directory (Node only: uses node:fs).
 * Layout, as NAB writes it: <dir>/<detector>/<category>/<detector>_<file>.csv with columns
 * timestamp,value,anomaly_score,label. `dir` may also be the <detector> folder itself.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SparrowError } from '../errors.ts';
import { parseNabCsv, windowsToIndices, type WindowLabels } from './corpus.ts';
import type { ScoredFile } from './score.ts';

/** Detector folders under dir: dir itself when it holds category folders, else its subfolders. */
export function detectorDirs(dir: string, categories: readonly string[]): string[] {
  if (!existsSync(dir)) throw new SparrowError('INVALID_ARGUMENT', `nab: results directory ${dir} does not exist`);
  if (categories.some((c) => existsSync(join(dir, c)))) return [dir];
  return readdirSync(dir)
    .map((d) => join(dir, d))
    .filter((d) => statSync(d).isDirectory() && categories.some((c) => existsSync(join(d, c))));
}

/** The results file for one corpus key inside a detector folder, or undefined when absent. */
function findResult(detDir: string, key: string): string | undefined {
  const [category, file] = key.split('/');
  const catDir = join(detDir, category);
  if (!existsSync(catDir)) return undefined;
  const hit = readdirSync(catDir).find((f) => f.endsWith(`_${file}`) || f === file);
  return hit === undefined ? undefined : join(catDir, hit);
}

/**
 * Load every labelled file's scores. With `partial`, files without results are skipped (so a
 * test can score a couple of files); otherwise a missing file is an error, as in NAB.
 */
export function loadResults(detDir: string, labels: WindowLabels, partial = false): ScoredFile[] {
  const out: ScoredFile[] = [];
  for (const key of Object.keys(labels).sort()) {
    const path = findResult(detDir, key);
    if (path === undefined) {
      if (partial) continue;
      throw new SparrowError('TENSOR_MISSING', `nab: no results for ${key} in ${detDir}`, { key });
    }
    const table = parseNabCsv(readFileSync(path, 'utf8'), path);
    const scores = table.columns['anomaly_score'];
    if (!scores) throw new SparrowError('FORMAT_INVALID', `nab: ${path} has no anomaly_score column`);
    out.push({ key, scores, windows: windowsToIndices(key, table.timestamps, labels[key]) });
  }
  if (out.length === 0) throw new SparrowError('INVALID_ARGUMENT', `nab: no results files found in ${detDir}`);
  return out;
}
