/**
 * The streaming detector's learned state as one self-describing safetensors file, so a restored
 * detector continues EXACTLY as if it had never stopped (test/anomaly/persist.test.ts):
 *
 * - the model's state (micro-state.ts tensors: model.blocks.<l>.keys / values / mem, F32),
 * - every array of the detector's exportState() record as a tensor `detector.<path>` (F64 / F32),
 * - every scalar of that record in __metadata__.detector_scalars (JSON; NaN, ±∞ and −0 are
 *   written as {"$num": "NaN"} etc. because JSON has no such numbers),
 * - header fields: format "sparrow-detector-state", version, model_hash, micro_config,
 *   detector_options (the options minus `adapt`: a state only continues exactly under the same
 *   options), model_pos, points, values, saved_at, adapt, plus any caller extras (stream_id).
 *
 * The serialiser knows no field names: a component that gains state extends its own
 * exportState/importState (quantizer.ts, likelihood.ts, detector.ts) and nothing here changes.
 * Errors: not this format / other version / CRC failure / other weights → FORMAT_INVALID, other
 * config or options or array sizes → SHAPE_MISMATCH; truncation is caught by the safetensors
 * reader (FORMAT_INVALID). A failed restore leaves the detector exactly as it was.
 */
import { SparrowError } from '../errors.ts';
import type { SafetensorsFile, SafetensorsWriteTensor } from '../formats/safetensors.ts';
import { microStateTensors, openStateFile, readMicroState, writeStateFile } from '../models/micro-state.ts';
import type { StreamingDetector } from './detector.ts';
import type { StateRecord, StateValue } from './state-record.ts';

export const DETECTOR_STATE_FORMAT = 'sparrow-detector-state';
export const DETECTOR_STATE_VERSION = 1;
/** Tensor-name prefix of the detector's arrays (the model's tensors are model.*). */
const TENSOR_PREFIX = 'detector.';

export interface DetectorStateInfo {
  /** Finite values the detector has scored. */
  points: number;
  /** Values pushed including skipped (non-finite) ones, when the caller recorded it. */
  values: number;
  /** ms since the epoch. */
  savedAt: number;
  adapt: boolean;
  /** Caller metadata (e.g. stream_id). */
  extra: Record<string, string>;
}

type Scalar = number | boolean | string | null | { $num: string };

function encodeScalar(v: number | boolean | string | null): Scalar {
  if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return { $num: Object.is(v, -0) ? '-0' : String(v) };
  return v;
}

function decodeScalar(v: unknown, path: string): number | boolean | string | null {
  if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  const n = (v as { $num?: unknown })?.$num;
  if (n === 'NaN') return NaN;
  if (n === 'Infinity') return Infinity;
  if (n === '-Infinity') return -Infinity;
  if (n === '-0') return -0;
  throw new SparrowError('FORMAT_INVALID', `detector state: scalar "${path}" is not a number, boolean, string or null`, { field: path });
}

/** Flatten a record: arrays → tensors named prefix + path, scalars → JSON object keyed by path. */
function flatten(rec: StateRecord, path: string, tensors: SafetensorsWriteTensor[], scalars: Record<string, Scalar>): void {
  for (const [k, v] of Object.entries(rec)) {
    if (k.includes('.')) throw new SparrowError('INTERNAL', `detector state: field name "${k}" must not contain a dot`);
    const p = path ? `${path}.${k}` : k;
    if (v instanceof Float64Array) tensors.push({ name: TENSOR_PREFIX + p, dtype: 'F64', shape: [v.length], data: v });
    else if (v instanceof Float32Array) tensors.push({ name: TENSOR_PREFIX + p, dtype: 'F32', shape: [v.length], data: v });
    else if (v !== null && typeof v === 'object') flatten(v, p, tensors, scalars);
    else scalars[p] = encodeScalar(v);
  }
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype', '']);

function setPath(root: StateRecord, path: string, v: StateValue): void {
  const parts = path.split('.');
  if (parts.some((p) => FORBIDDEN.has(p))) throw new SparrowError('FORMAT_INVALID', `detector state: field path "${path}" is not allowed`, { field: path });
  let at = root;
  for (const part of parts.slice(0, -1)) {
    const next = Object.hasOwn(at, part) ? at[part] : undefined;
    if (next === undefined) at = at[part] = {};
    else if (next !== null && typeof next === 'object' && !ArrayBuffer.isView(next)) at = next;
    else throw new SparrowError('FORMAT_INVALID', `detector state: "${path}" collides with a value`, { field: path });
  }
  at[parts[parts.length - 1]] = v;
}

function detectorOptionsKey(d: StreamingDetector): string {
  const { adapt: _adapt, ...rest } = d.opts;
  return JSON.stringify(rest);
}

/** The detector's complete learned state (model included) as bytes. */
export function exportDetectorState(d: StreamingDetector, modelHash: string, extra: { values?: number; savedAt?: number; meta?: Record<string, string> } = {}): Uint8Array {
  const ms = d.model.getState();
  const tensors = microStateTensors(d.model.config, ms);
  const scalars: Record<string, Scalar> = {};
  flatten(d.exportState(), '', tensors, scalars);
  return writeStateFile(tensors, DETECTOR_STATE_FORMAT, DETECTOR_STATE_VERSION, modelHash, d.model.config, {
    ...(extra.meta ?? {}),
    detector_options: detectorOptionsKey(d),
    detector_scalars: JSON.stringify(scalars),
    model_pos: String(ms.pos),
    points: String(d.points),
    values: String(extra.values ?? d.points),
    saved_at: String(extra.savedAt ?? Date.now()),
    adapt: String(d.adapt),
  });
}

/** Header facts of a detector state file without restoring it (checks format, version, checksum, model). */
export function peekDetectorState(bytes: Uint8Array, modelHash: string, d: StreamingDetector, name = 'detector-state.safetensors'): DetectorStateInfo {
  return headerInfo(openChecked(bytes, modelHash, d, name));
}

/** The state file opened and checked against this detector's model and options. */
function openChecked(bytes: Uint8Array, modelHash: string, d: StreamingDetector, name: string): SafetensorsFile {
  const f = openStateFile(bytes, name, DETECTOR_STATE_FORMAT, DETECTOR_STATE_VERSION, { modelHash, config: d.model.config });
  if (f.metadata['detector_options'] !== detectorOptionsKey(d)) {
    throw new SparrowError('SHAPE_MISMATCH', `${name}: learned under other detector options; it would not continue the same way`, { reason: 'options', state: f.metadata['detector_options'], detector: detectorOptionsKey(d) });
  }
  return f;
}

function headerInfo(f: SafetensorsFile): DetectorStateInfo {
  const md = f.metadata;
  const num = (k: string) => {
    const v = Number(md[k]);
    if (!Number.isFinite(v)) throw new SparrowError('FORMAT_INVALID', `${f.name}: header field ${k} = "${md[k]}" is not a number`, { field: k });
    return v;
  };
  const known = new Set(['format', 'version', 'model_hash', 'micro_config', 'data_crc32', 'detector_options', 'detector_scalars', 'model_pos', 'points', 'values', 'saved_at', 'adapt']);
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(md)) if (!known.has(k)) extra[k] = v;
  return { points: num('points'), values: num('values'), savedAt: num('saved_at'), adapt: md['adapt'] === 'true', extra };
}

/**
 * Restore `d` (and its model) from exportDetectorState bytes. Everything is parsed and checked
 * first; if applying still fails, the previous state is put back, so a failure changes nothing.
 * The detector's current adaptation setting is kept (the user's toggle wins over the stored one).
 */
export function importDetectorState(d: StreamingDetector, bytes: Uint8Array, modelHash: string, name = 'detector-state.safetensors'): DetectorStateInfo {
  const f = openChecked(bytes, modelHash, d, name);
  const meta = headerInfo(f);
  const ms = readMicroState(f, d.model.config, Number(f.metadata['model_pos']));
  const rec: StateRecord = {};
  let scalars: Record<string, unknown>;
  try {
    scalars = JSON.parse(f.metadata['detector_scalars'] ?? '') as Record<string, unknown>;
  } catch {
    throw new SparrowError('FORMAT_INVALID', `${name}: detector_scalars is not JSON`);
  }
  if (scalars === null || typeof scalars !== 'object') throw new SparrowError('FORMAT_INVALID', `${name}: detector_scalars is not an object`);
  for (const [p, v] of Object.entries(scalars)) setPath(rec, p, decodeScalar(v, p));
  for (const t of f.names()) {
    if (!t.startsWith(TENSOR_PREFIX)) continue;
    const { dtype } = f.info(t);
    const raw = f.rawSync(t);
    const copy = new Uint8Array(raw.byteLength);
    copy.set(raw);
    const path = t.slice(TENSOR_PREFIX.length);
    if (dtype === 'F64') setPath(rec, path, new Float64Array(copy.buffer));
    else if (dtype === 'F32') setPath(rec, path, new Float32Array(copy.buffer));
    else throw new SparrowError('FORMAT_INVALID', `${name}: detector tensor '${t}' is ${dtype}, expected F64 or F32`, { tensor: t });
  }
  const before = { model: d.model.getState(), detector: d.exportState() };
  try {
    d.model.setState(ms);
    d.importState(rec);
  } catch (e) {
    d.model.setState(before.model);
    d.importState(before.detector);
    throw e;
  }
  return meta;
}
