/**
 * One typed error hierarchy for every layer. Errors cross the worker boundary as plain
 * objects ({ name, code, message, details }) and are rebuilt on the other side with `fromJSON`,
 * so a UI can switch on `code` whether the failure happened in a kernel, a parser or the cache.
 */
export type ErrorCode =
  | 'FORMAT_INVALID' // bytes that do not parse: bad magic, truncated file, offsets past the end
  | 'UNSUPPORTED' // a valid file/config that uses a feature we do not implement
  | 'TENSOR_MISSING' // a tensor the model needs is absent from the weight file
  | 'NOT_FOUND' // a stored or fetched item that does not exist (a cached model id, the built-in model's file)
  | 'SHAPE_MISMATCH' // operand shapes disagree with each other or with the config
  | 'INVALID_ARGUMENT' // a parameter out of its domain (negative window, block size 0, NaN size …)
  | 'INDEX_OUT_OF_RANGE' // an index (token id, sparse column, cache slot) outside its tensor
  | 'SIZE_LIMIT' // a declared size too large to allocate (e.g. 2^60 elements)
  | 'BACKEND_UNAVAILABLE' // WebGPU adapter / WASM SIMD missing
  | 'DEVICE_LOST' // the GPU device went away
  | 'QUOTA_EXCEEDED' // storage quota (IndexedDB / Cache API)
  | 'ABORTED' // cancelled by the caller
  | 'CONFLICT' // a stored item changed under us (another tab saved it first); nothing was overwritten
  | 'INTERNAL'; // a bug: an invariant did not hold

export class SparrowError extends Error {
  override readonly name = 'SparrowError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toJSON(): { name: string; code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }

  static fromJSON(o: { code: ErrorCode; message: string; details?: Record<string, unknown> }): SparrowError {
    return new SparrowError(o.code, o.message, o.details ?? {});
  }
}

export function isSparrowError(e: unknown, code?: ErrorCode): e is SparrowError {
  return e instanceof SparrowError && (code === undefined || e.code === code);
}

/** Format a shape for error messages: [4, 8]. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
