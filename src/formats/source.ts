/**
 * Byte sources for weight files: an in-memory buffer (Node tests, small files) or a Blob (browser
 * File / OPFS / Node's fs.openAsBlob), read range by range so a multi-hundred-MB file is never
 * copied whole. Parsers only ever ask for the header bytes and then one tensor's range at a time.
 */
import { SparrowError } from '../errors.ts';

export interface ByteSource {
  /** Name used in error messages (file name or URL). */
  readonly name: string;
  readonly size: number;
  /** Bytes [begin, end). In-memory sources return a view (no copy). */
  read(begin: number, end: number): Promise<Uint8Array>;
  /** Synchronous read, only for in-memory sources (null for Blob sources). */
  readSync?: (begin: number, end: number) => Uint8Array;
}

export function bytesSource(data: ArrayBuffer | Uint8Array, name = '<buffer>'): ByteSource {
  const u8 = data instanceof Uint8Array ? data : new Uint8Array(data);
  const readSync = (begin: number, end: number): Uint8Array => {
    checkRange(name, u8.length, begin, end);
    return u8.subarray(begin, end);
  };
  return { name, size: u8.length, readSync, read: async (b, e) => readSync(b, e) };
}

export function blobSource(blob: Blob, name = (blob as File).name ?? '<blob>'): ByteSource {
  return {
    name,
    size: blob.size,
    async read(begin, end) {
      checkRange(name, blob.size, begin, end);
      return new Uint8Array(await blob.slice(begin, end).arrayBuffer());
    },
  };
}

function checkRange(name: string, size: number, begin: number, end: number): void {
  if (!(Number.isSafeInteger(begin) && Number.isSafeInteger(end) && begin >= 0 && begin <= end && end <= size)) {
    throw new SparrowError('FORMAT_INVALID', `${name}: byte range [${begin}, ${end}) is outside the file (${size} bytes)`, { file: name, begin, end, size });
  }
}

/** Convert any ArrayBuffer | Uint8Array | Blob into a ByteSource. */
export function toSource(data: ArrayBuffer | Uint8Array | Blob | ByteSource, name?: string): ByteSource {
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) return bytesSource(data, name);
  if (typeof Blob !== 'undefined' && data instanceof Blob) return blobSource(data, name);
  return data as ByteSource;
}
