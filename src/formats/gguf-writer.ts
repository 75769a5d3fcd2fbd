/**
 * GGUF v3 writer. Used by the synthetic model generator and tests; the layout matches gguf-py's
 * GGUFWriter (header, KVs, tensor infos, zero padding to the alignment, tensor data each padded to
 * the alignment) so llama.cpp opens what we write.
 *
 * Large models are written as a header plus a stream of tensor chunks (`ggufParts`) so a 270 MB F16
 * file is never assembled in one buffer.
 */
import { SparrowError } from '../errors.ts';
import { concatBytes } from '../util/bytes.ts';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, type GgufKV, GgufValueType, type GgufValue } from './gguf.ts';
import { type GgmlTypeInfo, ggmlTypeByName } from './ggml-types.ts';

/** Typed value constructors: GGUF needs an explicit width for every number. */
export const kv = {
  u8: (v: number): GgufKV => ({ type: GgufValueType.UINT8, value: v }),
  i8: (v: number): GgufKV => ({ type: GgufValueType.INT8, value: v }),
  u16: (v: number): GgufKV => ({ type: GgufValueType.UINT16, value: v }),
  i16: (v: number): GgufKV => ({ type: GgufValueType.INT16, value: v }),
  u32: (v: number): GgufKV => ({ type: GgufValueType.UINT32, value: v }),
  i32: (v: number): GgufKV => ({ type: GgufValueType.INT32, value: v }),
  u64: (v: number | bigint): GgufKV => ({ type: GgufValueType.UINT64, value: v }),
  i64: (v: number | bigint): GgufKV => ({ type: GgufValueType.INT64, value: v }),
  f32: (v: number): GgufKV => ({ type: GgufValueType.FLOAT32, value: v }),
  f64: (v: number): GgufKV => ({ type: GgufValueType.FLOAT64, value: v }),
  bool: (v: boolean): GgufKV => ({ type: GgufValueType.BOOL, value: v }),
  str: (v: string): GgufKV => ({ type: GgufValueType.STRING, value: v }),
  arr: (itemType: GgufValueType, v: GgufValue[]): GgufKV => ({ type: GgufValueType.ARRAY, itemType, value: v }),
};

export interface GgufWriteTensor {
  name: string;
  type: GgmlTypeInfo | string;
  /** GGML order: ne[0] is the contiguous dimension (columns). */
  ne: readonly number[];
  /** Raw block bytes; byteLength must match ne and type. */
  data: Uint8Array;
}

class ByteSink {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(1 << 16);
  private dv = new DataView(this.cur.buffer);
  private n = 0;
  length = 0;

  private room(k: number): void {
    if (this.n + k <= this.cur.length) return;
    this.chunks.push(this.cur.subarray(0, this.n));
    this.cur = new Uint8Array(Math.max(1 << 16, k));
    this.dv = new DataView(this.cur.buffer);
    this.n = 0;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.cur.set(b, this.n);
    this.n += b.length;
    this.length += b.length;
  }
  num(width: number, f: (dv: DataView, at: number) => void): void {
    this.room(width);
    f(this.dv, this.n);
    this.n += width;
    this.length += width;
  }
  u32(v: number): void {
    this.num(4, (d, a) => d.setUint32(a, v, true));
  }
  u64(v: number | bigint): void {
    this.num(8, (d, a) => d.setBigUint64(a, BigInt(v), true));
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  finish(): Uint8Array {
    this.chunks.push(this.cur.subarray(0, this.n));
    const out = new Uint8Array(this.length);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}

function writeScalar(s: ByteSink, type: GgufValueType, v: GgufValue, key: string): void {
  const bad = (): never => {
    throw new SparrowError('INVALID_ARGUMENT', `writeGguf: metadata '${key}' value ${String(v)} does not fit type ${GgufValueType[type]}`, { key });
  };
  switch (type) {
    case GgufValueType.UINT8: return s.num(1, (d, a) => d.setUint8(a, v as number));
    case GgufValueType.INT8: return s.num(1, (d, a) => d.setInt8(a, v as number));
    case GgufValueType.UINT16: return s.num(2, (d, a) => d.setUint16(a, v as number, true));
    case GgufValueType.INT16: return s.num(2, (d, a) => d.setInt16(a, v as number, true));
    case GgufValueType.UINT32: return s.num(4, (d, a) => d.setUint32(a, v as number, true));
    case GgufValueType.INT32: return s.num(4, (d, a) => d.setInt32(a, v as number, true));
    case GgufValueType.FLOAT32: return s.num(4, (d, a) => d.setFloat32(a, v as number, true));
    case GgufValueType.FLOAT64: return s.num(8, (d, a) => d.setFloat64(a, v as number, true));
    case GgufValueType.BOOL: return s.num(1, (d, a) => d.setUint8(a, v ? 1 : 0));
    case GgufValueType.UINT64: return s.num(8, (d, a) => d.setBigUint64(a, BigInt(v as number), true));
    case GgufValueType.INT64: return s.num(8, (d, a) => d.setBigInt64(a, BigInt(v as number), true));
    case GgufValueType.STRING: return typeof v === 'string' ? s.str(v) : bad();
    default: return bad();
  }
}

export interface GgufLayout {
  /** Header bytes including the padding before the data section. */
  header: Uint8Array;
  /** Offset of each tensor relative to the data section, and the padding after its data. */
  tensors: { name: string; offset: number; byteLength: number; padAfter: number }[];
  totalBytes: number;
}

/** Build the header and data layout; tensor data is supplied separately (see ggufParts). */
export function ggufLayout(
  metadata: Iterable<[string, GgufKV]>,
  tensors: readonly Omit<GgufWriteTensor, 'data'>[],
  alignment = GGUF_DEFAULT_ALIGNMENT,
): GgufLayout {
  const kvs = [...metadata];
  const hasAlign = kvs.find(([k]) => k === 'general.alignment');
  if (hasAlign && hasAlign[1].value !== alignment) {
    throw new SparrowError('INVALID_ARGUMENT', `writeGguf: general.alignment ${String(hasAlign[1].value)} disagrees with alignment ${alignment}`);
  }
  if (!hasAlign && alignment !== GGUF_DEFAULT_ALIGNMENT) kvs.push(['general.alignment', { type: GgufValueType.UINT32, value: alignment }]);
  const s = new ByteSink();
  s.u32(GGUF_MAGIC);
  s.u32(3);
  s.u64(tensors.length);
  s.u64(kvs.length);
  for (const [key, v] of kvs) {
    s.str(key);
    s.u32(v.type);
    if (v.type === GgufValueType.ARRAY) {
      if (v.itemType === undefined || !Array.isArray(v.value)) throw new SparrowError('INVALID_ARGUMENT', `writeGguf: array '${key}' needs itemType and a list value`);
      s.u32(v.itemType);
      s.u64(v.value.length);
      for (const item of v.value) writeScalar(s, v.itemType, item, key);
    } else writeScalar(s, v.type, v.value, key);
  }
  const out: GgufLayout['tensors'] = [];
  let off = 0;
  for (const t of tensors) {
    const type = typeof t.type === 'string' ? ggmlTypeByName(t.type) : t.type;
    const n = t.ne.reduce((a, b) => a * b, 1);
    if (t.ne[0] % type.blockSize !== 0) {
      throw new SparrowError('SHAPE_MISMATCH', `writeGguf: tensor '${t.name}' ne[0] = ${t.ne[0]} is not a multiple of the ${type.name} block size ${type.blockSize}`, { tensor: t.name });
    }
    const byteLength = (n / type.blockSize) * type.typeSize;
    s.str(t.name);
    s.u32(t.ne.length);
    for (const d of t.ne) s.u64(d);
    s.u32(type.id);
    s.u64(off);
    const padded = Math.ceil(byteLength / alignment) * alignment;
    out.push({ name: t.name, offset: off, byteLength, padAfter: padded - byteLength });
    off += padded;
  }
  const pad = (alignment - (s.length % alignment)) % alignment;
  s.bytes(new Uint8Array(pad));
  const header = s.finish();
  return { header, tensors: out, totalBytes: header.length + off };
}

/** The file as a list of byte chunks (header, then each tensor's data and its padding). */
export function ggufParts(metadata: Iterable<[string, GgufKV]>, tensors: readonly GgufWriteTensor[], alignment = GGUF_DEFAULT_ALIGNMENT): Uint8Array[] {
  const layout = ggufLayout(metadata, tensors, alignment);
  const parts: Uint8Array[] = [layout.header];
  tensors.forEach((t, i) => {
    const l = layout.tensors[i];
    if (t.data.byteLength !== l.byteLength) {
      throw new SparrowError('SHAPE_MISMATCH', `writeGguf: tensor '${t.name}' needs ${l.byteLength} bytes, got ${t.data.byteLength}`, { tensor: t.name });
    }
    parts.push(t.data);
    if (l.padAfter) parts.push(new Uint8Array(l.padAfter));
  });
  return parts;
}

/** The whole file in one buffer (small files, tests). */
export function writeGguf(metadata: Iterable<[string, GgufKV]>, tensors: readonly GgufWriteTensor[], alignment = GGUF_DEFAULT_ALIGNMENT): Uint8Array {
  return concatBytes(ggufParts(metadata, tensors, alignment));
}
