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
import { GpuContext, requestGpuDevice, type AdapterSummary } from './device.ts';
import * as ew from './elementwise.ts';
import * as lin from './linear.ts';
import * as quant from './quant.ts';
import { isQuantDType } from '../../formats/ggml-types.ts';
import * as rows from './rowwise.ts';
import * as sp from './spmv.ts';
import { rope as ropeOp, ropeQkv as ropeQkvOp } from './rope.ts';
import { checkIds, embedding as embeddingOp } from './embedding.ts';
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
    const t = sp.sparse(this, m);
    this.live.add(t);
    return t;
  }

  write(t: Tensor, data: TensorData): void {
    const g = this.own('write', t);
    if (t.dtype === 'sparse') throw new SparrowError('INVALID_ARGUMENT', 'write: sparse matrices are immutable');
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
    // Keep a CPU copy of small i32 tensors (token ids) so index-taking ops validate synchronously.
    if (t.dtype === 'i32' && t.size <= ew.SHADOW_MAX) this.gpu.shadows.set(g.buffer, (data as Int32Array).slice());
    else this.gpu.shadows.delete(g.buffer);
  }

  async read(t: Tensor): Promise<Float32Array | Int32Array | Uint8Array> {
    const g = this.own('read', t);
    const bytes = t.dtype === 'sparse' ? g.meta.valuesBytes : g.byteSize;
    const buf = await this.gpu.readBuffer(g.buffer, bytes, 'read');
    await checkIds(this, 'read');
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
    this.gpu.shadows.delete(g.buffer);
    // Recorded-but-unsubmitted work may still use the buffers: destroy them after the next submit.
    this.gpu.retire(g.buffer);
    for (const b of Object.values(g.parts)) this.gpu.retire(b);
  }

  async flush(): Promise<void> {
    await this.gpu.flush();
    await checkIds(this, 'flush');
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

  /** The live GpuTensor behind a handle (op family modules use this and `buf`). */
  own(op: string, t: Tensor): GpuTensor {
    v.checkBackend(op, this.name, t);
    const g = t as GpuTensor;
    if (g.freed) v.freed(op, g);
    this.gpu.checkAlive(op);
    return g;
  }

  buf(op: string, t: Tensor): GPUBuffer {
    return this.own(op, t).buffer;
  }

  // ---- ops -----------------------------------------------------------------------------------

  // Core ops: one-line delegations to the op family modules (validation happens there).
  matvec(out: Tensor, w: Tensor, x: Tensor): void { if (isQuantDType(w.dtype)) quant.quantMatvec(this, out, w, x); else lin.matvec(this, out, w, x); }
  matmul(out: Tensor, x: Tensor, w: Tensor): void { if (isQuantDType(w.dtype)) quant.quantMatmul(this, out, x, w); else lin.matmul(this, out, x, w); }
  spmv(out: Tensor, s: Tensor, x: Tensor): void { sp.spmv(this, out, s, x); }
  spmm(out: Tensor, s: Tensor, x: Tensor): void { sp.spmm(this, out, s, x); }
  add(out: Tensor, a: Tensor, b: Tensor): void { ew.binary(this, 'add', out, a, b); }
  mul(out: Tensor, a: Tensor, b: Tensor): void { ew.binary(this, 'mul', out, a, b); }
  siluMul(out: Tensor, g: Tensor, u: Tensor): void { ew.binary(this, 'siluMul', out, g, u); }
  lerp(out: Tensor, a: Tensor, b: Tensor, t: Tensor): void { ew.lerp(this, out, a, b, t); }
  geluTanhMul(out: Tensor, g: Tensor, u: Tensor): void { ew.binary(this, 'geluTanhMul', out, g, u); }
  swiglu(out: Tensor, gu: Tensor): void { ew.swiglu(this, out, gu); }
  scale(out: Tensor, a: Tensor, s: number): void { ew.unary(this, 'scale', out, a, s); }
  silu(out: Tensor, a: Tensor): void { ew.unary(this, 'silu', out, a); }
  gelu(out: Tensor, a: Tensor): void { ew.unary(this, 'gelu', out, a); }
  sigmoid(out: Tensor, a: Tensor): void { ew.unary(this, 'sigmoid', out, a); }
  relu(out: Tensor, a: Tensor): void { ew.unary(this, 'relu', out, a); }
  exp(out: Tensor, a: Tensor): void { ew.unary(this, 'exp', out, a); }
  softplus(out: Tensor, a: Tensor): void { ew.unary(this, 'softplus', out, a); }
  tanh(out: Tensor, a: Tensor): void { ew.unary(this, 'tanh', out, a); }
  rmsnorm(out: Tensor, x: Tensor, w: Tensor, eps: number): void { rows.rmsnorm(this, out, x, w, eps); }
  ropeQkv(q: Tensor, k: Tensor, v: Tensor, qkv: Tensor, opts: RopeOptions): void { ropeQkvOp(this, q, k, v, qkv, opts); }
  addRmsnorm(sum: Tensor, out: Tensor, a: Tensor, b: Tensor, w: Tensor, eps: number): void { rows.addRmsnorm(this, sum, out, a, b, w, eps); }
  layernorm(out: Tensor, x: Tensor, w: Tensor, b: Tensor, eps: number): void { rows.layernorm(this, out, x, w, b, eps); }
  softmax(out: Tensor, x: Tensor): void { rows.softmax(this, out, x); }
  rope(out: Tensor, x: Tensor, opts: RopeOptions): void { ropeOp(this, out, x, opts); }
  embedding(out: Tensor, table: Tensor, ids: Tensor): void { embeddingOp(this, out, table, ids); }
  argmax(out: Tensor, x: Tensor): void { rows.argmax(this, out, x); }
  copy(dst: Tensor, dstOffset: number, src: Tensor, srcOffset: number, count: number): void { ew.copy(this, dst, dstOffset, src, srcOffset, count); }
  fill(t: Tensor, value: number): void { ew.fill(this, t, value); }

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
  wkv7(...a: Parameters<SequenceOps['wkv7']>): void {
    seq.wkv7(this, ...a);
  }
  wkv7Bonus(...a: Parameters<SequenceOps['wkv7Bonus']>): void {
    seq.wkv7Bonus(this, ...a);
  }

  // ---- attention (one-line delegations; the family lives in ./attention.ts) ----
  sparseAttention(...a: Parameters<AttentionOps['sparseAttention']>): void { attn.sparseAttention(this, ...a); }
  sparseAttentionGated(...a: Parameters<AttentionOps['sparseAttentionGated']>): void { attn.sparseAttentionGated(this, ...a); }
  denseAttention(...a: Parameters<AttentionOps['denseAttention']>): void { attn.denseAttention(this, ...a); }
  kvAppend(...a: Parameters<AttentionOps['kvAppend']>): void { attn.kvAppend(this, ...a); }
  sparseDecode(...a: Parameters<AttentionOps['sparseDecode']>): void { attn.sparseDecode(this, ...a); }
  fastgrnnSalience(...a: Parameters<AttentionOps['fastgrnnSalience']>): void { attn.fastgrnnSalience(this, ...a); }
  topkMask(...a: Parameters<AttentionOps['topkMask']>): void { attn.topkMask(this, ...a); }
}

