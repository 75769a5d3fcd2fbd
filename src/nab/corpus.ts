/**
 * Reading NAB's files: data / results CSVs ("timestamp,value[,anomaly_score,label]") and the label
 * windows (labels/combined_windows.json), with window bounds resolved to row indices.
 * Pure parsing over strings; callers do the file IO (Node scripts, or fetch in the browser).
 */
import { SparrowError } from '../errors.ts';
import type { IndexWindow } from './sweep.ts';

/** One parsed CSV: its header and its columns. Timestamps stay strings (NAB's exact text). */
export interface NabTable {
  header: string[];
  timestamps: string[];
  /** Column name → numbers (NaN where a cell does not parse). */
  columns: Record<string, Float64Array>;
}

/** Windows per file key ("<category>/<file>.csv"), as [start, end] timestamp pairs. */
export type WindowLabels = Record<string, Array<[string, string]>>;

/** Parse a comma-separated table whose first column is a timestamp. Blank lines are skipped. */
export function parseNabCsv(text: string, what = 'csv'): NabTable {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return { header: [], timestamps: [], columns: {} };
  const header = lines[0].split(',').map((h) => h.trim());
  if (header[0] !== 'timestamp') {
    throw new SparrowError('FORMAT_INVALID', `${what}: first column must be "timestamp", got "${header[0]}"`);
  }
  const n = lines.length - 1;
  const timestamps: string[] = new Array(n);
  const columns: Record<string, Float64Array> = {};
  for (let c = 1; c < header.length; c++) columns[header[c]] = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const cells = lines[r + 1].split(',');
    timestamps[r] = cells[0].trim();
    for (let c = 1; c < header.length; c++) {
      const cell = cells[c]?.trim() ?? '';
      columns[header[c]][r] = cell === '' ? NaN : Number(cell);
    }
  }
  return { header, timestamps, columns };
}

/**
 * Milliseconds since the epoch for "YYYY-MM-DD HH:MM:SS[.ffffff]" read as UTC (NAB stores no zone).
 * NaN when the text is not such a timestamp.
 */
export function parseNabTime(ts: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(ts.trim());
  if (!m) return NaN;
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms);
}

/** Resolve a file's [start, end] timestamp windows to row indices (first row at that time). */
export function windowsToIndices(fileKey: string, timestamps: readonly string[], windows: ReadonlyArray<readonly [string, string]>): IndexWindow[] {
  const index = new Map<number, number>();
  for (let i = 0; i < timestamps.length; i++) {
    const t = parseNabTime(timestamps[i]);
    if (!index.has(t)) index.set(t, i);
  }
  return windows.map(([a, b]) => {
    const start = index.get(parseNabTime(a));
    const end = index.get(parseNabTime(b));
    if (start === undefined || end === undefined || end < start) {
      throw new SparrowError('FORMAT_INVALID', `nab: window [${a}, ${b}] of ${fileKey} does not match rows of the file`, { fileKey });
    }
    return { start, end };
  });
}
