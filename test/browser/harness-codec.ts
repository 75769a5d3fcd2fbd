/**
 * Encoding for values crossing the Node ⇄ page boundary of the browser test harness.
 *
 * Playwright's `page.evaluate` serializes plain JSON-ish values only, so typed arrays travel as
 * `{ __typed: 'Float32Array', b64 }` (exact bytes: NaN payloads, −0 and subnormals survive), and
 * errors travel as `{ sparrow: SparrowError.toJSON() }` or `{ message, name, stack }`.
 * Used on both sides (Node: test/helpers/browser.ts, page: test/browser/harness.ts).
 */

const TYPED = {
  Float32Array,
  Float64Array,
  Int32Array,
  Uint32Array,
  Uint16Array,
  Int16Array,
  Uint8Array,
  Int8Array,
} as const;
type TypedName = keyof typeof TYPED;

export interface EncodedTyped {
  __typed: TypedName;
  b64: string;
}

function toB64(bytes: Uint8Array): string {
  const B = (globalThis as { Buffer?: { from(b: Uint8Array): { toString(enc: string): string } } }).Buffer;
  if (B) return B.from(bytes).toString('base64');
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromB64(b64: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (B) return new Uint8Array(B.from(b64, 'base64'));
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Replace typed arrays (at any depth in arrays / plain objects) by their encoded form. */
export function encode(v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const name = v.constructor.name as TypedName;
    if (!(name in TYPED)) throw new Error(`harness codec: unsupported typed array ${name}`);
    return { __typed: name, b64: toB64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) } satisfies EncodedTyped;
  }
  if (Array.isArray(v)) return v.map(encode);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = encode(x);
    return o;
  }
  return v;
}

/** Inverse of `encode`. */
export function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v && typeof v === 'object') {
    const e = v as Partial<EncodedTyped>;
    if (typeof e.__typed === 'string' && typeof e.b64 === 'string') {
      const bytes = fromB64(e.b64);
      const C = TYPED[e.__typed];
      return new C(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / C.BYTES_PER_ELEMENT);
    }
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = decode(x);
    return o;
  }
  return v;
}
