/**
 * safetensors reader and writer (https://github.com/huggingface/safetensors, format section).
 *
 * Layout: u64 little-endian N, then N bytes of UTF-8 JSON { name: { dtype, shape, data_offsets:
 * [begin, end] }, __metadata__?: { string: string } }, then the data buffer; offsets are relative
 * to the start of the data buffer. Every declared number is checked against the real file size
 * BEFORE anything is allocated, so a hostile header (2^60 elements, offsets past the end,
 * overlapping tensors) fails with a SparrowError naming the file and tensor.
 */
import { SparrowError } from '../errors.ts';
import { fromF16Bits, toF16Bits } from '../util/f16.ts';
import { type ByteSource, toSource } from './source.ts';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL' | 'U16' | 'U32' | 'U64';

const ITEM_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, U16: 2, U32: 4, U64: 8,
};

/** Largest header we accept (the reference implementation caps it at 100 MB too). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsTensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly size: number;
  /** Absolute byte offsets of the tensor's data in the file. */
  readonly begin: number;
  readonly end: number;
}

export class SafetensorsFile {
  private constructor(
    readonly source: ByteSource,
    readonly tensors: ReadonlyMap<string, SafetensorsTensorInfo>,
    readonly metadata: Readonly<Record<string, string>>,
    /** Absolute offset of the data buffer (8 + header length). */
    readonly dataStart: number,
  ) {}

  /** Parse the header of an in-memory file or a Blob (only the header is read here). */
  static async open(data: ArrayBuffer | Uint8Array | Blob | ByteSource, name?: string): Promise<SafetensorsFile> {
    const src = toSource(data, name);
    if (src.size < 8) fail(src.name, `file is ${src.size} bytes, shorter than the 8-byte header length`);
    const lenBytes = await src.read(0, 8);
    const n = readU64(lenBytes, 0);
    if (n > MAX_HEADER_BYTES) {
      throw new SparrowError('SIZE_LIMIT', `${src.name}: safetensors header declares ${n} bytes, above the ${MAX_HEADER_BYTES}-byte limit`, { file: src.name, headerBytes: n });
    }
    if (8 + n > src.size) fail(src.name, `header declares ${n} bytes but the file has only ${src.size - 8} after the length field (truncated or not safetensors)`);
    const header = await src.read(8, 8 + n);
    return SafetensorsFile.fromHeader(src, header, 8 + n);
  }

  /** Synchronous variant for in-memory bytes. */
  static openSync(data: ArrayBuffer | Uint8Array, name?: string): SafetensorsFile {
    const src = toSource(data, name);
    if (src.size < 8) fail(src.name, `file is ${src.size} bytes, shorter than the 8-byte header length`);
    const n = readU64(src.readSync!(0, 8), 0);
    if (n > MAX_HEADER_BYTES) {
      throw new SparrowError('SIZE_LIMIT', `${src.name}: safetensors header declares ${n} bytes, above the ${MAX_HEADER_BYTES}-byte limit`, { file: src.name, headerBytes: n });
    }
    if (8 + n > src.size) fail(src.name, `header declares ${n} bytes but the file has only ${src.size - 8} after the length field (truncated or not safetensors)`);
    return SafetensorsFile.fromHeader(src, src.readSync!(8, 8 + n), 8 + n);
  }

  private static fromHeader(src: ByteSource, header: Uint8Array, dataStart: number): SafetensorsFile {
    const file = src.name;
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(header));
    } catch (e) {
      fail(file, `header is not valid UTF-8 JSON (${(e as Error).message})`);
    }
    if (!isObject(json)) fail(file, 'header JSON is not an object');
    const dataSize = src.size - dataStart;
    const tensors = new Map<string, SafetensorsTensorInfo>();
    let metadata: Record<string, string> = {};
    for (const [name, entry] of Object.entries(json)) {
      if (name === '__metadata__') {
        if (!isObject(entry)) fail(file, '__metadata__ must be an object of strings');
        metadata = {};
        for (const [k, v] of Object.entries(entry)) {
          if (typeof v !== 'string') fail(file, `__metadata__.${k} must be a string`);
          metadata[k] = v;
        }
        continue;
      }
      tensors.set(name, parseEntry(file, name, entry, dataStart, dataSize));
    }
    checkOverlaps(file, [...tensors.values()]);
    return new SafetensorsFile(src, tensors, metadata, dataStart);
  }

  get name(): string {
    return this.source.name;
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): SafetensorsTensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new SparrowError('TENSOR_MISSING', `${this.name}: tensor '${name}' is not in the file`, { file: this.name, tensor: name });
    return t;
  }

  /** Raw bytes of a tensor (a view for in-memory files, one blob.slice read for Blobs). */
  raw(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    return this.source.read(t.begin, t.end);
  }

  rawSync(name: string): Uint8Array {
    const t = this.info(name);
    if (!this.source.readSync) throw new SparrowError('UNSUPPORTED', `${this.name}: synchronous reads need an in-memory file`, { file: this.name, tensor: name });
    return this.source.readSync(t.begin, t.end);
  }

  /**
   * A float tensor as float32. F32 data comes back as a view when aligned (no copy), F16/BF16/F64
   * are converted. Checks the expected shape when given.
   */
  async f32(name: string, expectShape?: readonly number[]): Promise<Float32Array> {
    return toF32(this.name, this.checked(name, expectShape), await this.raw(name));
  }

  f32Sync(name: string, expectShape?: readonly number[]): Float32Array {
    return toF32(this.name, this.checked(name, expectShape), this.rawSync(name));
  }

  /** F16 tensor as raw binary16 bits (for f16 backend tensors), or F32/BF16 rounded to f16. */
  async f16Bits(name: string, expectShape?: readonly number[]): Promise<Uint16Array> {
    const t = this.checked(name, expectShape);
    const bytes = await this.raw(name);
    if (t.dtype === 'F16') return alignedView(bytes, Uint16Array, 2);
    const f = toF32(this.name, t, bytes);
    const out = new Uint16Array(f.length);
    for (let i = 0; i < f.length; i++) out[i] = toF16Bits(f[i]);
    return out;
  }

  private checked(name: string, expectShape?: readonly number[]): SafetensorsTensorInfo {
    const t = this.info(name);
    if (expectShape && (expectShape.length !== t.shape.length || expectShape.some((d, i) => d !== t.shape[i]))) {
      throw new SparrowError('SHAPE_MISMATCH', `${this.name}: tensor '${name}' has shape [${t.shape.join(', ')}], expected [${expectShape.join(', ')}]`, {
        file: this.name, tensor: name, shape: [...t.shape], expected: [...expectShape],
      });
    }
    return t;
  }
}

function parseEntry(file: string, name: string, e: unknown, dataStart: number, dataSize: number): SafetensorsTensorInfo {
  const bad = (msg: string): never => fail(file, `tensor '${name}': ${msg}`, { tensor: name });
  if (!isObject(e)) return bad('entry is not an object');
  const { dtype, shape, data_offsets: offs } = e as Record<string, unknown>;
  if (typeof dtype !== 'string') return bad('dtype is missing');
  if (!(dtype in ITEM_BYTES)) {
    throw new SparrowError('UNSUPPORTED', `${file}: tensor '${name}' has unsupported dtype ${dtype}`, { file, tensor: name, dtype });
  }
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) return bad(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  if (!Array.isArray(offs) || offs.length !== 2 || offs.some((d) => !Number.isSafeInteger(d) || d < 0)) return bad(`data_offsets ${JSON.stringify(offs)} must be two non-negative integers`);
  let size = 1;
  for (const d of shape as number[]) size *= d;
  const item = ITEM_BYTES[dtype as SafetensorsDtype];
  // Compare against the file size, not a constant: a declared size can never exceed what is there.
  if (!Number.isSafeInteger(size * item) || size * item > dataSize) {
    throw new SparrowError('SIZE_LIMIT', `${file}: tensor '${name}' declares shape [${shape.join(', ')}] (${size} elements), more than the ${dataSize}-byte data section holds`, { file, tensor: name, shape });
  }
  const [b, en] = offs as number[];
  if (b > en) return bad(`data_offsets [${b}, ${en}] are reversed`);
  if (en > dataSize) return bad(`data_offsets [${b}, ${en}] run past the end of the data section (${dataSize} bytes; file truncated?)`);
  if (en - b !== size * item) {
    throw new SparrowError('SHAPE_MISMATCH', `${file}: tensor '${name}' is ${dtype} [${shape.join(', ')}] = ${size * item} bytes but data_offsets span ${en - b}`, { file, tensor: name });
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: [...(shape as number[])], size, begin: dataStart + b, end: dataStart + en };
}

function checkOverlaps(file: string, ts: SafetensorsTensorInfo[]): void {
  const sorted = ts.filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      fail(file, `tensors '${sorted[i - 1].name}' and '${sorted[i].name}' overlap`, { tensor: sorted[i].name });
    }
  }
}

function toF32(file: string, t: SafetensorsTensorInfo, b: Uint8Array): Float32Array {
  switch (t.dtype) {
    case 'F32':
      return alignedView(b, Float32Array, 4);
    case 'F16': {
      const h = alignedView(b, Uint16Array, 2);
      const out = new Float32Array(h.length);
      for (let i = 0; i < h.length; i++) out[i] = fromF16Bits(h[i]);
      return out;
    }
    case 'BF16': {
      const h = alignedView(b, Uint16Array, 2);
      const out = new Float32Array(h.length);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < h.length; i++) u[i] = h[i] << 16;
      return out;
    }
    case 'F64':
      return Float32Array.from(alignedView(b, Float64Array, 8));
    default:
      throw new SparrowError('UNSUPPORTED', `${file}: tensor '${t.name}' is ${t.dtype}, not a float type`, { file, tensor: t.name, dtype: t.dtype });
  }
}

type ViewCtor<T> = { new (buf: ArrayBuffer, off: number, len: number): T; new (len: number): T };

/** Typed view over bytes without copying when the offset is aligned; a copy otherwise. */
function alignedView<T>(b: Uint8Array, C: ViewCtor<T>, item: number): T {
  const n = b.byteLength / item;
  if (b.byteOffset % item === 0) return new C(b.buffer as ArrayBuffer, b.byteOffset, n);
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new C(copy.buffer, 0, n);
}

function readU64(b: Uint8Array, off: number): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const lo = dv.getUint32(off, true);
  const hi = dv.getUint32(off + 4, true);
  return hi * 2 ** 32 + lo; // may exceed 2^53 and lose precision; only compared against limits
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(file: string, msg: string, details: Record<string, unknown> = {}): never {
  throw new SparrowError('FORMAT_INVALID', `${file}: ${msg}`, { file, ...details });
}

// ---- writer -------------------------------------------------------------------------------------

export interface SafetensorsWriteTensor {
  name: string;
  dtype: 'F64' | 'F32' | 'F16' | 'BF16' | 'I32' | 'I64' | 'U8' | 'I8';
  shape: readonly number[];
  /** Raw little-endian data: Float32Array for F32, Uint16Array bits for F16/BF16, … */
  data: ArrayBufferView;
}

/**
 * The header (length field + JSON padded with spaces, as the Python writer does) for tensors written
 * in the order given, each data offset aligned to 8 bytes so readers can view F32/F64 data in place.
 * Returns the byte size of each tensor's slot (data + padding) for streaming writers.
 */
export function safetensorsHeader(
  tensors: readonly Omit<SafetensorsWriteTensor, 'data'>[],
  metadata?: Record<string, string>,
): { header: Uint8Array; slots: number[]; dataBytes: number } {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let off = 0;
  const slots: number[] = [];
  for (const t of tensors) {
    if (t.name in header) throw new SparrowError('INVALID_ARGUMENT', `writeSafetensors: duplicate tensor name '${t.name}'`, { tensor: t.name });
    const bytes = t.shape.reduce((a, b) => a * b, 1) * ITEM_BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [off, off + bytes] };
    const slot = (bytes + 7) & ~7;
    slots.push(slot);
    off += slot;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = (json.length + 7) & ~7;
  const out = new Uint8Array(8 + padded).fill(0x20);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, padded, true);
  dv.setUint32(4, 0, true);
  out.set(json, 8);
  return { header: out, slots, dataBytes: off };
}

/** Serialize tensors into one buffer (see safetensorsHeader for the layout). */
export function writeSafetensors(tensors: readonly SafetensorsWriteTensor[], metadata?: Record<string, string>): Uint8Array {
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.byteLength !== size * ITEM_BYTES[t.dtype]) {
      throw new SparrowError('SHAPE_MISMATCH', `writeSafetensors: tensor '${t.name}' ${t.dtype} [${t.shape.join(', ')}] needs ${size * ITEM_BYTES[t.dtype]} bytes, got ${t.data.byteLength}`, { tensor: t.name });
    }
  }
  const { header, slots, dataBytes } = safetensorsHeader(tensors, metadata);
  const out = new Uint8Array(header.length + dataBytes);
  out.set(header);
  let pos = header.length;
  tensors.forEach((t, i) => {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += slots[i];
  });
  return out;
}
