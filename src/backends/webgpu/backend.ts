/**
 * The WebGPU backend: tensors are storage buffers, ops are WGSL kernels from shaders/ (one file per
 * op family), recorded into one command encoder and submitted on flush/read.
 * f16 data is stored as packed binary16 pairs in u32 words and unpacked with unpack2x16float, so no
 * `shader-f16` feature is required (SwiftShader and Dawn on NVIDIA both lack it).
 */
import { SparrowError } from '../../errors.ts';
import type { Backend, CsrData, DType, RopeOptions, Tensor, TensorData } from '../backend.ts';
import * as v from '../validate.ts';
import * as seq from './sequence.ts';
import type { SequenceOps } from '../ops/sequence.ts';
import { fromF16Bits } from '../../util/f16.ts';
import { GpuContext, grid, requestGpuDevice, u32, type AdapterSummary } from './device.ts';
import coreWgsl from '../../../shaders/core.wgsl?raw';
import type { AttentionOps } from '../ops/attention.ts';
import * as attn from './attention.ts';

export class GpuTensor implements Tensor {
  readonly backend = 'webgpu' as const;
  readonly size: number;
  freed = false;
  constructor(
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly buffer: GPUBuffer,
    readonly byteSize: number,
    /** Extra buffers of composite types (e.g. sparse: row pointers, indices). */
    readonly parts: Record<string, GPUBuffer> = {},
    readonly meta: Record<string, number> = {},
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
  }
}

const ELEM_CTOR: Partial<Record<DType, string>> = { f32: 'Float32Array', f16: 'Uint16Array', i32: 'Int32Array' };

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  private live = new Set<GpuTensor>();

  private constructor(readonly gpu: GpuContext) {}

  /** Acquire an adapter and device; throws BACKEND_UNAVAILABLE when there is none. */
  static async create(gpu?: GPU): Promise<WebGpuBackend> {
    const { device, adapter } = await requestGpuDevice(gpu);
    return new WebGpuBackend(new GpuContext(device, adapter));
  }

  get adapter(): AdapterSummary {
    return this.gpu.adapter;
  }

  // ---- memory --------------------------------------------------------------------------------

  tensor(shape: readonly number[], dtype: DType = 'f32', data?: TensorData): Tensor {
    if (dtype === 'sparse') throw new SparrowError('INVALID_ARGUMENT', 'tensor: use sparse() to build a sparse matrix');
    const bytes = v.storageBytes(dtype, shape);
    const t = new GpuTensor(dtype, [...shape], this.gpu.createBuffer(bytes), bytes);
    this.live.add(t);
    if (data) this.write(t, data); // new buffers are zero-initialised by WebGPU
    return t;
  }

  sparse(m: CsrData): Tensor {
    v.csr('sparse', m);
    throw new SparrowError('UNSUPPORTED', 'sparse: not yet implemented on the webgpu backend');
  }

  write(t: Tensor, data: TensorData): void {
    const g = this.own('write', t);
    const ctor = ELEM_CTOR[t.dtype] ?? 'Uint8Array';
    if (data.constructor.name !== ctor || data.byteLength !== g.byteSize) {
      throw new SparrowError('SHAPE_MISMATCH', `write: ${t.dtype} ${JSON.stringify(t.shape)} needs a ${ctor} of ${g.byteSize} bytes, got ${data.constructor.name} of ${data.byteLength} bytes`, { dtype: t.dtype, shape: [...t.shape] });
    }
    // writeBuffer needs a multiple of 4 bytes: pad odd f16 / byte tails.
    const padded = Math.ceil(data.byteLength / 4) * 4;
    const bytes = new Uint8Array(padded);
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.gpu.submit(); // keep ordering with work recorded before this write
    this.gpu.device.queue.writeBuffer(g.buffer, 0, bytes);
  }

  async read(t: Tensor): Promise<Float32Array | Int32Array | Uint8Array> {
    const g = this.own('read', t);
    const buf = await this.gpu.readBuffer(g.buffer, g.byteSize, 'read');
    switch (t.dtype) {
      case 'f32':
        return new Float32Array(buf);
      case 'i32':
        return new Int32Array(buf);
      case 'f16':
        return Float32Array.from(new Uint16Array(buf), fromF16Bits);
      default:
        return new Uint8Array(buf);
    }
  }

  free(t: Tensor): void {
    const g = this.own('free', t);
    g.freed = true;
    this.live.delete(g);
    g.buffer.destroy();
    for (const b of Object.values(g.parts)) b.destroy();
  }

  flush(): Promise<void> {
    return this.gpu.flush();
  }

  memoryBytes(): number {
    let n = 0;
    for (const t of this.live) n += t.byteSize;
    return n;
  }

  /**
   * Test-only: destroy the device as a GPU loss would, and resolve once the loss is observed, so
   * every later call throws DEVICE_LOST (the browser harness reaches it via BackendHost).
   */
  async loseDeviceForTest(): Promise<void> {
    this.gpu.device.destroy();
    await this.gpu.lostPromise;
  }

  dispose(): void {
    for (const t of [...this.live]) this.free(t);
    this.gpu.device.destroy();
  }

  protected own(op: string, t: Tensor): GpuTensor {
    v.checkBackend(op, this.name, t);
    const g = t as GpuTensor;
    if (g.freed) throw new SparrowError('INVALID_ARGUMENT', `${op}: tensor ${JSON.stringify(t.shape)} was freed`, { op });
    this.gpu.checkAlive(op);
    return g;
  }

  protected buf(op: string, t: Tensor): GPUBuffer {
    return this.own(op, t).buffer;
  }

  // ---- ops -----------------------------------------------------------------------------------

  matvec(out: Tensor, w: Tensor, x: Tensor): void {
    v.checkBackend('matvec', this.name, out, w, x);
    const { m, k } = v.matvec('matvec', out, w, x);
    v.checkDtype('matvec', 'weight', w, ['f32']);
    const [gx, gy] = grid(m);
    this.gpu.dispatch('core', coreWgsl, 'matvec_f32', [u32(m), u32(k), u32(gx)], [this.buf('matvec', out), this.buf('matvec', w), this.buf('matvec', x)], [gx, gy]);
  }

  add(out: Tensor, a: Tensor, b: Tensor): void {
    v.checkBackend('add', this.name, out, a, b);
    v.binary('add', out, a, b);
    const [gx, gy] = grid(Math.ceil(a.size / 256));
    this.gpu.dispatch('core', coreWgsl, 'add', [u32(a.size), u32(Math.max(1, b.size)), u32(gx)], [this.buf('add', out), this.buf('add', a), this.buf('add', b)], [gx, gy]);
  }

  matmul(_out: Tensor, _x: Tensor, _w: Tensor): void {
    todo('matmul');
  }
  spmv(_out: Tensor, _s: Tensor, _x: Tensor): void {
    todo('spmv');
  }
  mul(_out: Tensor, _a: Tensor, _b: Tensor): void {
    todo('mul');
  }
  scale(_out: Tensor, _a: Tensor, _s: number): void {
    todo('scale');
  }
  silu(_out: Tensor, _a: Tensor): void {
    todo('silu');
  }
  gelu(_out: Tensor, _a: Tensor): void {
    todo('gelu');
  }
  sigmoid(_out: Tensor, _a: Tensor): void {
    todo('sigmoid');
  }
  exp(_out: Tensor, _a: Tensor): void {
    todo('exp');
  }
  softplus(_out: Tensor, _a: Tensor): void {
    todo('softplus');
  }
  rmsnorm(_out: Tensor, _x: Tensor, _w: Tensor, _eps: number): void {
    todo('rmsnorm');
  }
  layernorm(_out: Tensor, _x: Tensor, _w: Tensor, _b: Tensor, _eps: number): void {
    todo('layernorm');
  }
  softmax(_out: Tensor, _x: Tensor): void {
    todo('softmax');
  }
  rope(_out: Tensor, _x: Tensor, _opts: RopeOptions): void {
    todo('rope');
  }
  embedding(_out: Tensor, _table: Tensor, _ids: Tensor): void {
    todo('embedding');
  }
  argmax(_out: Tensor, _x: Tensor): void {
    todo('argmax');
  }
  copy(_dst: Tensor, _dstOffset: number, _src: Tensor, _srcOffset: number, _count: number): void {
    todo('copy');
  }
  fill(_t: Tensor, _value: number): void {
    todo('fill');
  }

  // ---- attention (one-line delegations; the family lives in ./attention.ts) ----
  sparseAttention(...a: Parameters<AttentionOps['sparseAttention']>): void { attn.sparseAttention(this, ...a); }
  sparseAttentionGated(...a: Parameters<AttentionOps['sparseAttentionGated']>): void { attn.sparseAttentionGated(this, ...a); }
  denseAttention(...a: Parameters<AttentionOps['denseAttention']>): void { attn.denseAttention(this, ...a); }
  kvAppend(...a: Parameters<AttentionOps['kvAppend']>): void { attn.kvAppend(this, ...a); }
  sparseDecode(...a: Parameters<AttentionOps['sparseDecode']>): void { attn.sparseDecode(this, ...a); }
  fastgrnnSalience(...a: Parameters<AttentionOps['fastgrnnSalience']>): void { attn.fastgrnnSalience(this, ...a); }
  topkMask(...a: Parameters<AttentionOps['topkMask']>): void { attn.topkMask(this, ...a); }

  // ---- sequence ops (ops/sequence.ts), implemented in ./sequence.ts --------------------------
  causalConv1d(...a: Parameters<SequenceOps['causalConv1d']>): void {
    seq.causalConv1d(this, ...a);
  }
  selectiveScan(...a: Parameters<SequenceOps['selectiveScan']>): void {
    seq.selectiveScan(this, ...a);
  }
  wkv4(...a: Parameters<SequenceOps['wkv4']>): void {
    seq.wkv4(this, ...a);
  }
  ternaryMatvec(...a: Parameters<SequenceOps['ternaryMatvec']>): void {
    seq.ternaryMatvec(this, ...a);
  }
  ternaryMatvecLut(...a: Parameters<SequenceOps['ternaryMatvecLut']>): void {
    seq.ternaryMatvecLut(this, ...a);
  }
  deltaRule(...a: Parameters<SequenceOps['deltaRule']>): void {
    seq.deltaRule(this, ...a);
  }
}

function todo(op: string): never {
  throw new SparrowError('UNSUPPORTED', `${op}: not yet implemented on the webgpu backend`, { op });
}
