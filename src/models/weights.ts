/**
 * Weight maps: tensor name → Tensor on a Backend, read from a safetensors or GGUF file.
 *
 * `WeightFile` is the one view models get of a checkpoint, whatever the container: names, shapes,
 * the backend dtype a tensor is stored as, an upload of the tensor as stored (quantized GGML blocks
 * stay quantized, f16 stays f16, BF16 stays bf16), and a host float32 copy for the few small tensors a model
 * transforms at load time (Mamba's A = −exp(A_log), RWKV's decay).
 */
import { SparrowError, fmtShape } from '../errors.ts';
import type { Backend, DType, Tensor } from '../backends/backend.ts';
import { SafetensorsFile } from '../formats/safetensors.ts';
import { bytesOf } from '../util/bytes.ts';

export interface WeightFile {
  readonly kind: 'safetensors' | 'gguf';
  readonly name: string;
  names(): string[];
  has(name: string): boolean;
  /** Logical shape, row-major, Hugging Face order ([out, in] for linear weights). */
  shape(name: string): number[];
  /** The dtype `upload` stores this tensor as. */
  dtype(name: string): DType;
  /** Upload as stored (f32 / f16 / quantized blocks). */
  upload(name: string, backend: Backend): Promise<Tensor>;
  /** Dequantized / converted float32 copy on the host. */
  f32(name: string): Promise<Float32Array>;
  /** The raw binary16 bits of a tensor whose dtype() is 'f16' (row slices that stay f16). */
  f16Bits?(name: string): Promise<Uint16Array>;
  /** The raw little-endian bfloat16 bytes of a tensor whose dtype() is 'bf16' (row slices that stay bf16). */
  bf16Bytes?(name: string): Promise<Uint8Array>;
  /** GGML block files only: raw block bytes and the GGML type name (for host-side row lookups). */
  raw?(name: string): Promise<Uint8Array>;
  ggmlType?(name: string): string;
}

export class SafetensorsWeights implements WeightFile {
  readonly kind = 'safetensors' as const;
  constructor(readonly file: SafetensorsFile) {}
  get name(): string {
    return this.file.name;
  }
  names(): string[] {
    return this.file.names();
  }
  has(name: string): boolean {
    return this.file.has(name);
  }
  shape(name: string): number[] {
    return [...this.file.info(name).shape];
  }
  dtype(name: string): DType {
    const d = this.file.info(name).dtype;
    return d === 'F16' ? 'f16' : d === 'BF16' ? 'bf16' : 'f32';
  }
  async upload(name: string, backend: Backend): Promise<Tensor> {
    const info = this.file.info(name);
    if (info.dtype === 'F16') return backend.tensor(info.shape, 'f16', await this.file.f16Bits(name));
    // BF16 stays raw (2 bytes per element; the kernels widen it exactly): no f32 copy anywhere.
    if (info.dtype === 'BF16') return backend.tensor(info.shape, 'bf16', await this.bf16Bytes(name));
    return backend.tensor(info.shape, 'f32', await this.file.f32(name));
  }
  f32(name: string): Promise<Float32Array> {
    return this.file.f32(name);
  }
  f16Bits(name: string): Promise<Uint16Array> {
    return this.file.f16Bits(name);
  }
  async bf16Bytes(name: string): Promise<Uint8Array> {
    const info = this.file.info(name);
    if (info.dtype !== 'BF16') throw new SparrowError('UNSUPPORTED', `${this.name}: tensor '${name}' is ${info.dtype}, not BF16`, { file: this.name, tensor: name });
    const b = await this.file.raw(name);
    // A plain Uint8Array view (backends reject Node Buffers; a view costs no copy).
    return bytesOf(b);
  }
}

/** The uploaded weights of one model, by name; missing names are TENSOR_MISSING errors. */
export class WeightMap {
  private readonly tensors = new Map<string, Tensor>();
  constructor(readonly backend: Backend) {}

  set(name: string, t: Tensor): void {
    const old = this.tensors.get(name);
    if (old && old !== t) this.backend.free(old);
    this.tensors.set(name, t);
  }
  has(name: string): boolean {
    return this.tensors.has(name);
  }
  get(name: string): Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new SparrowError('TENSOR_MISSING', `weights: tensor '${name}' is not loaded`, { tensor: name });
    return t;
  }
  names(): string[] {
    return [...this.tensors.keys()];
  }
  entries(): [string, Tensor][] {
    return [...this.tensors.entries()];
  }
  bytes(): number {
    let n = 0;
    for (const t of new Set(this.tensors.values())) n += t.byteSize;
    return n;
  }
  dispose(): void {
    for (const t of new Set(this.tensors.values())) this.backend.free(t);
    this.tensors.clear();
  }
}

/** Check a file tensor's shape against what the config implies. */
export function expectShape(file: WeightFile, name: string, want: readonly number[]): void {
  if (!file.has(name)) throw new SparrowError('TENSOR_MISSING', `${file.name}: tensor '${name}' is missing`, { file: file.name, tensor: name });
  const got = file.shape(name);
  const same = got.length === want.length ? got.every((d, i) => d === want[i]) : got.reduce((a, b) => a * b, 1) === want.reduce((a, b) => a * b, 1) && got.filter((d) => d !== 1).join() === want.filter((d) => d !== 1).join();
  if (!same) {
    throw new SparrowError('SHAPE_MISMATCH', `${file.name}: tensor '${name}' has shape ${fmtShape(got)}, the config implies ${fmtShape(want)}`, { file: file.name, tensor: name, shape: got, expected: [...want] });
  }
}

/** Upload a tensor after checking its shape; the backend tensor gets the canonical `shape`. */
export async function uploadChecked(file: WeightFile, name: string, shape: readonly number[], backend: Backend): Promise<Tensor> {
  expectShape(file, name, shape);
  const got = file.shape(name);
  if (got.length === shape.length) return file.upload(name, backend);
  // Same elements, different rank (e.g. conv1d [I,1,K] → [I,K], time_mix [1,1,H] → [H]).
  return backend.tensor(shape, 'f32', await file.f32(name));
}

/**
 * Upload a per-channel parameter (norm weight or bias, conv kernel, D, dt bias, time decay…) as f32
 * whatever the file stores: the ops that read these take f32, and an F16 checkpoint stores them as
 * F16 like everything else. They are tiny next to the matrices, which stay as stored.
 */
export async function uploadParam(file: WeightFile, name: string, shape: readonly number[], backend: Backend): Promise<Tensor> {
  expectShape(file, name, shape);
  return backend.tensor(shape, 'f32', await file.f32(name));
}

/** Upload a host float32 array computed at load time. */
export function uploadF32(backend: Backend, shape: readonly number[], data: Float32Array): Tensor {
  return backend.tensor(shape, 'f32', data);
}
