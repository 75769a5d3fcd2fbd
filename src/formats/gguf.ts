/**
 * GGUF v2/v3 reader (llama.cpp docs/gguf.md; v1 used 32-bit counts and is not supported).
 *
 *   u32 magic "GGUF", u32 version, u64 tensor_count, u64 kv_count,
 *   kv_count × { string key, u32 value_type, value },
 *   tensor_count × { string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset },
 *   padding to general.alignment (default 32), tensor data (offsets relative to its start).
 *
 * Metadata may be megabytes (a 150k-token vocabulary), so from a Blob the header is read in a
 * growing prefix until it parses. Every count and size is checked against the bytes that actually
 * remain before anything is built, so hostile files fail fast with a SparrowError naming the file
 * (and tensor), never allocate the declared size and never loop long.
 */
import { SparrowError } from '../errors.ts';
import { type GgmlTypeInfo, ggmlType } from './ggml-types.ts';
import { type ByteSource, toSource } from './source.ts';

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_DEFAULT_ALIGNMENT = 32;

export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

const SCALAR_BYTES: Partial<Record<GgufValueType, number>> = {
  [GgufValueType.UINT8]: 1, [GgufValueType.INT8]: 1, [GgufValueType.UINT16]: 2, [GgufValueType.INT16]: 2,
  [GgufValueType.UINT32]: 4, [GgufValueType.INT32]: 4, [GgufValueType.FLOAT32]: 4, [GgufValueType.BOOL]: 1,
  [GgufValueType.UINT64]: 8, [GgufValueType.INT64]: 8, [GgufValueType.FLOAT64]: 8,
};

export type GgufScalar = number | bigint | boolean | string;
export type GgufValue = GgufScalar | GgufValue[];

export interface GgufKV {
  type: GgufValueType;
  /** For arrays: the element type. */
  itemType?: GgufValueType;
  value: GgufValue;
}

export interface GgufTensorInfo {
  readonly name: string;
  /** GGML order: ne[0] is the contiguous (column) dimension. */
  readonly ne: readonly number[];
  /** Row-major shape (ne reversed), as numpy/HF see it: [rows, cols]. */
  readonly shape: readonly number[];
  readonly type: GgmlTypeInfo;
  readonly size: number;
  readonly byteLength: number;
  /** Absolute byte offsets in the file. */
  readonly begin: number;
  readonly end: number;
}

const MAX_DIMS = 4;
/** Offsets above 2^48 bytes (256 TiB) are absurd (SIZE_LIMIT); smaller ones past the end mean a truncated file. */
const MAX_OFFSET = 2 ** 48;

export class GgufFile {
  private constructor(
    readonly source: ByteSource,
    readonly version: number,
    readonly metadata: ReadonlyMap<string, GgufKV>,
    readonly tensors: ReadonlyMap<string, GgufTensorInfo>,
    readonly alignment: number,
    readonly dataStart: number,
  ) {}

  static async open(data: ArrayBuffer | Uint8Array | Blob | ByteSource, name?: string): Promise<GgufFile> {
    const src = toSource(data, name);
    if (src.readSync) return GgufFile.parse(src, src.readSync(0, src.size));
    // Grow the prefix until the header fits (NeedMore), never past the file size.
    let len = Math.min(src.size, 1 << 20);
    for (;;) {
      const prefix = await src.read(0, len);
      try {
        return GgufFile.parse(src, prefix);
      } catch (e) {
        if (!(e instanceof NeedMore) || len >= src.size) throw e;
        len = Math.min(src.size, Math.max(len * 2, e.needed));
      }
    }
  }

  static openSync(data: ArrayBuffer | Uint8Array, name?: string): GgufFile {
    const src = toSource(data, name);
    return GgufFile.parse(src, src.readSync!(0, src.size));
  }

  private static parse(src: ByteSource, prefix: Uint8Array): GgufFile {
    const file = src.name;
    const r = new Reader(prefix, src.size, file);
    const magic = r.u32();
    if (magic !== GGUF_MAGIC) fail(file, `bad magic 0x${magic.toString(16).padStart(8, '0')} (expected "GGUF")`);
    const version = r.u32();
    if (version !== 2 && version !== 3) {
      throw new SparrowError('UNSUPPORTED', `${file}: GGUF version ${version} is not supported (2 or 3)`, { file, version });
    }
    const nTensors = r.count('tensor_count', 8 + 4 + 8 + 4 + 8);
    const nKv = r.count('metadata_kv_count', 8 + 4);
    const metadata = new Map<string, GgufKV>();
    for (let i = 0; i < nKv; i++) {
      const key = r.str('metadata key');
      if (metadata.has(key)) fail(file, `duplicate metadata key '${key}'`, { key });
      const type = r.u32() as GgufValueType;
      metadata.set(key, r.kv(type, key));
    }
    let alignment = GGUF_DEFAULT_ALIGNMENT;
    const al = metadata.get('general.alignment');
    if (al) {
      if (typeof al.value !== 'number' || !Number.isInteger(al.value) || al.value <= 0 || (al.value & (al.value - 1)) !== 0) {
        fail(file, `general.alignment must be a positive power of two, got ${String(al.value)}`);
      }
      alignment = al.value;
    }
    const pending: TensorHeader[] = [];
    const names = new Set<string>();
    for (let i = 0; i < nTensors; i++) {
      const name = r.str('tensor name');
      if (names.has(name)) fail(file, `duplicate tensor '${name}'`, { tensor: name });
      names.add(name);
      const nDims = r.u32();
      if (nDims < 1 || nDims > MAX_DIMS) fail(file, `tensor '${name}' has ${nDims} dimensions (1..${MAX_DIMS})`, { tensor: name });
      const ne: number[] = [];
      for (let d = 0; d < nDims; d++) ne.push(r.u64Limited(`tensor '${name}' ne[${d}]`, src.size * 8, name));
      const typeId = r.u32();
      const type = ggmlType(typeId);
      if (!type) throw new SparrowError('UNSUPPORTED', `${file}: tensor '${name}' has unknown ggml type ${typeId}`, { file, tensor: name, ggmlType: typeId });
      // an offset past the end of a file cut short is not a size problem: checkTruncated says what it is
      const offset = r.u64Limited(`tensor '${name}' offset`, MAX_OFFSET, name);
      pending.push({ name, ne, type, offset });
    }
    const dataStart = Math.ceil(r.pos / alignment) * alignment;
    if (dataStart > src.size) fail(file, `tensor data would start at ${dataStart}, past the end of the ${src.size}-byte file (truncated)`);
    const dataSize = src.size - dataStart;
    checkTruncated(file, pending, dataSize);
    const tensors = new Map<string, GgufTensorInfo>();
    for (const p of pending) tensors.set(p.name, sizeTensor(file, p, dataStart, dataSize, alignment));
    checkOverlaps(file, [...tensors.values()]);
    return new GgufFile(src, version, metadata, tensors, alignment, dataStart);
  }

  get name(): string {
    return this.source.name;
  }

  /** Plain metadata value, or undefined when absent. */
  get(key: string): GgufValue | undefined {
    return this.metadata.get(key)?.value;
  }

  info(name: string): GgufTensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new SparrowError('TENSOR_MISSING', `${this.name}: tensor '${name}' is not in the file`, { file: this.name, tensor: name });
    return t;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** Raw block bytes of a tensor (a view for in-memory files). */
  raw(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    return this.source.read(t.begin, t.end);
  }

  rawSync(name: string): Uint8Array {
    const t = this.info(name);
    if (!this.source.readSync) throw new SparrowError('UNSUPPORTED', `${this.name}: synchronous reads need an in-memory file`, { file: this.name, tensor: name });
    return this.source.readSync(t.begin, t.end);
  }
}

/** A tensor as its header entry declares it, before its size is checked against the file. */
interface TensorHeader {
  name: string;
  ne: number[];
  type: GgmlTypeInfo;
  offset: number;
}

function elementCount(ne: readonly number[]): number {
  let size = 1;
  for (const d of ne) size *= d;
  return size;
}

/** Bytes of a tensor's data as declared (fractional or unsafe when the header is corrupt: callers check). */
function dataBytes(p: TensorHeader): number {
  return (elementCount(p.ne) / p.type.blockSize) * p.type.typeSize;
}

function sizeTensor(
  file: string,
  p: TensorHeader,
  dataStart: number,
  dataSize: number,
  alignment: number,
): GgufTensorInfo {
  const { name, ne, type } = p;
  const size = elementCount(ne);
  if (ne[0] % type.blockSize !== 0) {
    throw new SparrowError('SHAPE_MISMATCH', `${file}: tensor '${name}' is ${type.name} with ne[0] = ${ne[0]}, not a multiple of its block size ${type.blockSize}`, { file, tensor: name });
  }
  const byteLength = dataBytes(p);
  if (!Number.isSafeInteger(byteLength) || byteLength > dataSize) {
    throw new SparrowError('SIZE_LIMIT', `${file}: tensor '${name}' declares ne [${ne.join(', ')}] (${size} elements, ${byteLength} bytes), more than the ${dataSize}-byte data section holds`, { file, tensor: name, ne });
  }
  if (p.offset % alignment !== 0) fail(file, `tensor '${name}' offset ${p.offset} is not a multiple of the alignment ${alignment}`, { tensor: name });
  if (p.offset + byteLength > dataSize) {
    fail(file, `tensor '${name}' data [${p.offset}, ${p.offset + byteLength}) runs past the end of the ${dataSize}-byte data section (truncated?)`, { tensor: name });
  }
  return { name, ne: [...ne], shape: [...ne].reverse(), type, size, byteLength, begin: dataStart + p.offset, end: dataStart + p.offset + byteLength };
}

/**
 * A file cut short: every tensor's declared size is a plain number and the tensors lie one after
 * another without overlapping, yet the data they need runs past the end of the file. Said as
 * such (FORMAT_INVALID, with both sizes) rather than as SIZE_LIMIT for the first tensor that no
 * longer fits, which would blame a sane shape. Inconsistent headers fall through to sizeTensor.
 */
function checkTruncated(file: string, pending: TensorHeader[], dataSize: number): void {
  const spans = pending.map((p) => ({ begin: p.offset, end: p.offset + dataBytes(p) }));
  if (spans.some((s) => !Number.isSafeInteger(s.end))) return;
  spans.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < spans.length; i++) if (spans[i].begin < spans[i - 1].end) return;
  const needed = spans.reduce((m, s) => Math.max(m, s.end), 0);
  if (needed > dataSize) fail(file, `truncated: its ${spans.length} tensors need ${needed} bytes of data, the file holds ${dataSize}`, { neededBytes: needed, dataBytes: dataSize });
}

function checkOverlaps(file: string, ts: GgufTensorInfo[]): void {
  const sorted = ts.filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) fail(file, `tensors '${sorted[i - 1].name}' and '${sorted[i].name}' overlap`, { tensor: sorted[i].name });
  }
}

function fail(file: string, msg: string, details: Record<string, unknown> = {}): never {
  throw new SparrowError('FORMAT_INVALID', `${file}: ${msg}`, { file, ...details });
}

/** Thrown when parsing needs bytes beyond the prefix read so far (but within the file). */
class NeedMore extends Error {
  constructor(readonly needed: number) {
    super('need more header bytes');
  }
}

const utf8 = new TextDecoder('utf-8');

class Reader {
  pos = 0;
  private dv: DataView;
  constructor(
    private b: Uint8Array,
    private fileSize: number,
    private file: string,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  private need(n: number): void {
    const end = this.pos + n;
    if (end > this.fileSize) fail(this.file, `unexpected end of file at byte ${this.pos} (needed ${n} more; truncated)`);
    if (end > this.b.length) throw new NeedMore(end);
  }

  u8(): number {
    this.need(1);
    return this.b[this.pos++];
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** u64 as a JS number, or Infinity when above 2^53 (callers compare it against limits). */
  u64(): number {
    this.need(8);
    const lo = this.dv.getUint32(this.pos, true);
    const hi = this.dv.getUint32(this.pos + 4, true);
    this.pos += 8;
    const v = hi * 2 ** 32 + lo;
    return Number.isSafeInteger(v) ? v : Infinity;
  }

  /** A u64 that must not exceed `limit` (anything the file could hold); SIZE_LIMIT otherwise. */
  u64Limited(what: string, limit: number, tensor?: string): number {
    const v = this.u64();
    if (v > limit) {
      throw new SparrowError('SIZE_LIMIT', `${this.file}: ${what} = ${v === Infinity ? '≥ 2^53' : v} is larger than the file (${this.fileSize} bytes) could hold`, { file: this.file, ...(tensor ? { tensor } : {}) });
    }
    return v;
  }

  /** An element count; each element needs at least `minBytes`, so it is bounded by what remains. */
  count(what: string, minBytes: number): number {
    const n = this.u64();
    if (n * minBytes > this.fileSize - this.pos) {
      // Absurd counts are a size-limit violation; plausible ones mean the file is cut short.
      const code = n > 2 ** 32 ? 'SIZE_LIMIT' : 'FORMAT_INVALID';
      throw new SparrowError(code, `${this.file}: ${what} = ${n === Infinity ? '≥ 2^53' : n} needs more bytes than remain in the ${this.fileSize}-byte file (corrupt or truncated)`, { file: this.file });
    }
    return n;
  }

  str(what: string): string {
    const n = this.count(`${what} length`, 1);
    this.need(n);
    const s = utf8.decode(this.b.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  kv(type: GgufValueType, key: string): GgufKV {
    if (type === GgufValueType.ARRAY) {
      const itemType = this.u32() as GgufValueType;
      if (itemType === GgufValueType.ARRAY) {
        throw new SparrowError('UNSUPPORTED', `${this.file}: metadata '${key}' is an array of arrays`, { file: this.file, key });
      }
      const minBytes = itemType === GgufValueType.STRING ? 8 : SCALAR_BYTES[itemType];
      if (minBytes === undefined) fail(this.file, `metadata '${key}' has unknown array element type ${itemType}`, { key });
      const n = this.count(`metadata '${key}' array length`, minBytes);
      const value: GgufValue[] = [];
      for (let i = 0; i < n; i++) value.push(this.scalar(itemType, key));
      return { type, itemType, value };
    }
    return { type, value: this.scalar(type, key) };
  }

  scalar(type: GgufValueType, key: string): GgufScalar {
    const dv = this.dv;
    const at = (n: number): number => {
      this.need(n);
      const p = this.pos;
      this.pos += n;
      return p;
    };
    switch (type) {
      case GgufValueType.UINT8: return this.b[at(1)];
      case GgufValueType.INT8: return dv.getInt8(at(1));
      case GgufValueType.UINT16: return dv.getUint16(at(2), true);
      case GgufValueType.INT16: return dv.getInt16(at(2), true);
      case GgufValueType.UINT32: return dv.getUint32(at(4), true);
      case GgufValueType.INT32: return dv.getInt32(at(4), true);
      case GgufValueType.FLOAT32: return dv.getFloat32(at(4), true);
      case GgufValueType.FLOAT64: return dv.getFloat64(at(8), true);
      case GgufValueType.BOOL: {
        const v = this.b[at(1)];
        if (v > 1) fail(this.file, `metadata '${key}' bool has value ${v}`, { key });
        return v === 1;
      }
      case GgufValueType.UINT64: return safe(dv.getBigUint64(at(8), true));
      case GgufValueType.INT64: return safe(dv.getBigInt64(at(8), true));
      case GgufValueType.STRING: return this.str(`metadata '${key}' string`);
      default:
        return fail(this.file, `metadata '${key}' has unknown value type ${type}`, { key });
    }
  }
}

/** 64-bit integers as numbers when exact, bigint otherwise. */
function safe(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
