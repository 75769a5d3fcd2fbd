/**
 * The micro model's learned state as bytes: what it picked up online (delta-rule memories M,
 * the attention KV ring and the position), in a small self-describing safetensors file, so a
 * device keeps what it learned across reloads (docs/anomaly.md, "Learned state persistence").
 *
 * Tensors (F32): model.blocks.<l>.keys / .values [window, dim] (ring indexed by pos % window —
 * the same layout in MicroModel and MicroWasm, so a state moves between them), model.blocks.<l>.mem
 * [heads, dh, dh]. __metadata__: format, version, model_hash (SHA-256 of the weights the state was
 * learned with), micro_config, pos, and data_crc32 (CRC-32 of all tensor bytes and the other
 * metadata, so a flipped bit is caught even where the layout still parses). A reader checks all of that before it hands a
 * state out: wrong format or version / bad checksum → FORMAT_INVALID, other weights →
 * FORMAT_INVALID (details.reason 'model'), other config or tensor shapes → SHAPE_MISMATCH.
 */
import { SparrowError } from '../errors.ts';
import { SafetensorsFile, writeSafetensors, type SafetensorsWriteTensor } from '../formats/safetensors.ts';
import { paramShapes, type MicroConfig } from './micro-config.ts';
import type { MicroState } from './micro.ts';
import { bytesOf, concatBytes } from '../util/bytes.ts';

export const MICRO_STATE_FORMAT = 'sparrow-micro-state';
export const MICRO_STATE_VERSION = 1;

/** SHA-256 (hex) of a micro model's config and weights, in paramShapes order: the key a state belongs to. */
export async function microWeightsHash(config: MicroConfig, weights: Map<string, Float32Array>): Promise<string> {
  const parts: Uint8Array[] = [new TextEncoder().encode(JSON.stringify(config))];
  for (const [name] of paramShapes(config)) {
    const w = weights.get(name);
    if (!w) throw new SparrowError('TENSOR_MISSING', `microWeightsHash: weight "${name}" is missing`);
    parts.push(bytesOf(w));
  }
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', concatBytes(parts)));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The state's tensors under `prefix` (checked against the config). */
export function microStateTensors(config: MicroConfig, s: MicroState, prefix = 'model.'): SafetensorsWriteTensor[] {
  checkMicroState(config, s, 'microStateTensors');
  const dh = config.dim / config.heads;
  const out: SafetensorsWriteTensor[] = [];
  for (let l = 0; l < config.layers; l++) {
    const b = `${prefix}blocks.${l}.`;
    out.push(
      { name: b + 'keys', dtype: 'F32', shape: [config.window, config.dim], data: s.keys[l] },
      { name: b + 'values', dtype: 'F32', shape: [config.window, config.dim], data: s.values[l] },
      { name: b + 'mem', dtype: 'F32', shape: [config.heads, dh, dh], data: s.mem[l] },
    );
  }
  return out;
}

/** Read the state's tensors back from an opened file (copies), checking every shape against `config`. */
export function readMicroState(f: SafetensorsFile, config: MicroConfig, pos: number, prefix = 'model.'): MicroState {
  if (!Number.isSafeInteger(pos) || pos < 0) throw new SparrowError('FORMAT_INVALID', `${f.name}: learned state position ${pos} is not a non-negative integer`);
  const dh = config.dim / config.heads;
  const read = (name: string, shape: number[]): Float32Array => {
    if (!f.has(name)) throw new SparrowError('SHAPE_MISMATCH', `${f.name}: learned state tensor '${name}' is missing (config has ${config.layers} layers)`, { tensor: name });
    const info = f.info(name);
    if (info.dtype !== 'F32' || info.shape.join(',') !== shape.join(',')) {
      throw new SparrowError('SHAPE_MISMATCH', `${f.name}: learned state tensor '${name}' is ${info.dtype} [${info.shape.join(', ')}], expected F32 [${shape.join(', ')}]`, { tensor: name });
    }
    const raw = f.rawSync(name);
    const copy = new Uint8Array(raw.byteLength);
    copy.set(raw);
    return new Float32Array(copy.buffer);
  };
  const s: MicroState = { pos, keys: [], values: [], mem: [] };
  for (let l = 0; l < config.layers; l++) {
    const b = `${prefix}blocks.${l}.`;
    s.keys.push(read(b + 'keys', [config.window, config.dim]));
    s.values.push(read(b + 'values', [config.window, config.dim]));
    s.mem.push(read(b + 'mem', [config.heads, dh, dh]));
  }
  return s;
}

export function checkMicroState(config: MicroConfig, s: MicroState, where: string): void {
  const dh = config.dim / config.heads;
  const kv = config.window * config.dim, m = config.heads * dh * dh;
  const ok =
    Number.isSafeInteger(s.pos) && s.pos >= 0 &&
    s.keys.length === config.layers && s.values.length === config.layers && s.mem.length === config.layers &&
    s.keys.every((k) => k.length === kv) && s.values.every((v) => v.length === kv) && s.mem.every((x) => x.length === m);
  if (!ok) {
    throw new SparrowError('SHAPE_MISMATCH', `${where}: state does not fit config (layers ${config.layers}, window ${config.window}, dim ${config.dim}, heads ${config.heads})`, {
      layers: [s.keys.length, s.values.length, s.mem.length],
    });
  }
}

/** CRC-32 (IEEE) over several byte ranges in order. */
export function crc32(parts: readonly Uint8Array[]): number {
  let c = ~0;
  for (const p of parts) for (let i = 0; i < p.length; i++) c = CRC_TABLE[(c ^ p[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/**
 * Checksum of every tensor's bytes in name order, then of the metadata entries (sorted, without
 * data_crc32) as JSON, so a changed header value is caught too (independent of JSON layout).
 */
export function stateCrc32(f: SafetensorsFile): number {
  return crc32([...f.names().sort().map((n) => f.rawSync(n)), metadataBytes(f.metadata)]);
}

function metadataBytes(md: Readonly<Record<string, string>>): Uint8Array {
  const entries = Object.entries(md).filter(([k]) => k !== 'data_crc32').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new TextEncoder().encode(JSON.stringify(entries));
}

/** Common header checks of a learned-state file: format, version, checksum, model hash, config. */
export function openStateFile(bytes: Uint8Array, name: string, format: string, version: number, expect: { modelHash: string; config: MicroConfig }): SafetensorsFile {
  const f = SafetensorsFile.openSync(bytes, name);
  const md = f.metadata;
  if (md['format'] !== format) throw new SparrowError('FORMAT_INVALID', `${name}: not a ${format} file (format "${md['format'] ?? ''}")`, { reason: 'format' });
  if (md['version'] !== String(version)) {
    throw new SparrowError('FORMAT_INVALID', `${name}: ${format} version ${md['version']} is not supported (this build reads version ${version})`, { reason: 'version', version: md['version'] });
  }
  if (md['data_crc32'] !== String(stateCrc32(f))) throw new SparrowError('FORMAT_INVALID', `${name}: fails its CRC-32 check (corrupt)`, { reason: 'checksum' });
  if (md['model_hash'] !== expect.modelHash) {
    throw new SparrowError('FORMAT_INVALID', `${name}: learned with other model weights (hash ${(md['model_hash'] ?? '').slice(0, 12)}…, this model ${expect.modelHash.slice(0, 12)}…)`, {
      reason: 'model', stateHash: md['model_hash'], modelHash: expect.modelHash,
    });
  }
  if (md['micro_config'] !== JSON.stringify(expect.config)) {
    throw new SparrowError('SHAPE_MISMATCH', `${name}: learned state is for micro config ${md['micro_config']}, model has ${JSON.stringify(expect.config)}`, { reason: 'config' });
  }
  return f;
}

/** Write tensors + metadata with the common header fields and the checksum. */
export function writeStateFile(tensors: SafetensorsWriteTensor[], format: string, version: number, modelHash: string, config: MicroConfig, extra: Record<string, string>): Uint8Array {
  const md: Record<string, string> = { ...extra, format, version: String(version), model_hash: modelHash, micro_config: JSON.stringify(config) };
  const crc = crc32([...[...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((t) => bytesOf(t.data)), metadataBytes(md)]);
  return writeSafetensors(tensors, { ...md, data_crc32: String(crc) });
}

/** The model's state alone as a file (MicroModel/MicroWasm.saveState). */
export function encodeMicroState(config: MicroConfig, s: MicroState, modelHash: string): Uint8Array {
  return writeStateFile(microStateTensors(config, s), MICRO_STATE_FORMAT, MICRO_STATE_VERSION, modelHash, config, { pos: String(s.pos) });
}

/** Parse and check a file from encodeMicroState (MicroModel/MicroWasm.loadState). */
export function decodeMicroState(bytes: Uint8Array, config: MicroConfig, modelHash: string, name = 'micro-state.safetensors'): MicroState {
  const f = openStateFile(bytes, name, MICRO_STATE_FORMAT, MICRO_STATE_VERSION, { modelHash, config });
  return readMicroState(f, config, Number(f.metadata['pos']));
}
