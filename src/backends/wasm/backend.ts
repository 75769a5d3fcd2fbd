/**
 * The WebAssembly SIMD backend. Tensors live in the module's linear memory (allocated by WasmHeap),
 * ops call AssemblyScript kernels (assembly/) with raw pointers; nothing is copied across the
 * JS boundary except by write/read.
 */
import { SparrowError } from '../../errors.ts';
import type { Backend, CsrData, DType, RopeOptions, Tensor, TensorData } from '../backend.ts';
import * as v from '../validate.ts';
import * as seq from './sequence.ts';
import type { SequenceOps } from '../ops/sequence.ts';
import { fromF16Bits } from '../../util/f16.ts';
import { compileSparrowWasm } from './module.ts';
import { WasmHeap } from './memory.ts';
import type { AttentionOps } from '../ops/attention.ts';
import * as attn from './attention.ts';

/** The kernel exports of build/sparrow.wasm (pointers are byte offsets, counts are elements). */
export interface Kernels {
  memory: WebAssembly.Memory;
  heapBase(): number;
  add_f32(out: number, a: number, b: number, n: number, nb: number): void;
  matvec_f32(out: number, w: number, x: number, m: number, k: number): void;
  [name: string]: unknown;
}

export class WasmTensor implements Tensor {
  readonly backend = 'wasm' as const;
  readonly size: number;
  freed = false;
  constructor(
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly ptr: number,
    readonly byteSize: number,
    /** Extra layout info for composite types (e.g. sparse: pointers to its arrays). */
    readonly meta: Record<string, number> = {},
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
  }
}

const ELEM_CTOR: Partial<Record<DType, string>> = { f32: 'Float32Array', f16: 'Uint16Array', i32: 'Int32Array' };

export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  private live = new Set<WasmTensor>();

  private constructor(
    readonly k: Kernels,
    readonly heap: WasmHeap,
  ) {}

  static async create(): Promise<WasmBackend> {
    const module = await compileSparrowWasm();
    const instance = await WebAssembly.instantiate(module, { env: { abort: wasmAbort } });
    const k = instance.exports as unknown as Kernels;
    return new WasmBackend(k, new WasmHeap(k.memory, k.heapBase()));
  }

  // ---- memory --------------------------------------------------------------------------------

  tensor(shape: readonly number[], dtype: DType = 'f32', data?: TensorData): Tensor {
    if (dtype === 'sparse') throw new SparrowError('INVALID_ARGUMENT', 'tensor: use sparse() to build a sparse matrix');
    const bytes = v.storageBytes(dtype, shape);
    const t = new WasmTensor(dtype, [...shape], this.heap.alloc(bytes), bytes);
    this.live.add(t);
    if (data) this.write(t, data);
    else this.heap.bytes.fill(0, t.ptr, t.ptr + bytes);
    return t;
  }

  sparse(m: CsrData): Tensor {
    v.csr('sparse', m);
    throw new SparrowError('UNSUPPORTED', 'sparse: not yet implemented on the wasm backend');
  }

  write(t: Tensor, data: TensorData): void {
    const w = this.own('write', t);
    const ctor = ELEM_CTOR[t.dtype] ?? 'Uint8Array';
    if (data.constructor.name !== ctor || data.byteLength !== w.byteSize) {
      throw new SparrowError('SHAPE_MISMATCH', `write: ${t.dtype} ${JSON.stringify(t.shape)} needs a ${ctor} of ${w.byteSize} bytes, got ${data.constructor.name} of ${data.byteLength} bytes`, { dtype: t.dtype, shape: [...t.shape] });
    }
    this.heap.bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), w.ptr);
  }

  async read(t: Tensor): Promise<Float32Array | Int32Array | Uint8Array> {
    const w = this.own('read', t);
    const buf = this.heap.memory.buffer;
    switch (t.dtype) {
      case 'f32':
        return new Float32Array(buf, w.ptr, t.size).slice();
      case 'i32':
        return new Int32Array(buf, w.ptr, t.size).slice();
      case 'f16':
        return Float32Array.from(new Uint16Array(buf, w.ptr, t.size), fromF16Bits);
      default:
        return new Uint8Array(buf, w.ptr, w.byteSize).slice();
    }
  }

  free(t: Tensor): void {
    const w = this.own('free', t);
    w.freed = true;
    this.live.delete(w);
    this.heap.release(w.ptr);
    for (const p of Object.values(w.meta)) this.heap.release(p);
  }

  async flush(): Promise<void> {}

  memoryBytes(): number {
    let n = 0;
    for (const t of this.live) n += t.byteSize;
    return n;
  }

  dispose(): void {
    for (const t of [...this.live]) this.free(t);
  }

  /** A Float32Array view of an f32 tensor (invalidated when memory grows: use immediately). */
  f32View(t: Tensor): Float32Array {
    const w = this.own('view', t);
    return new Float32Array(this.heap.memory.buffer, w.ptr, t.size);
  }

  protected own(op: string, t: Tensor): WasmTensor {
    v.checkBackend(op, this.name, t);
    const w = t as WasmTensor;
    if (w.freed) throw new SparrowError('INVALID_ARGUMENT', `${op}: tensor ${JSON.stringify(t.shape)} was freed`, { op });
    return w;
  }

  protected ptr(op: string, t: Tensor): number {
    return this.own(op, t).ptr;
  }

  // ---- ops -----------------------------------------------------------------------------------

  matvec(out: Tensor, w: Tensor, x: Tensor): void {
    v.checkBackend('matvec', this.name, out, w, x);
    const { m, k } = v.matvec('matvec', out, w, x);
    v.checkDtype('matvec', 'weight', w, ['f32']);
    this.k.matvec_f32(this.ptr('matvec', out), this.ptr('matvec', w), this.ptr('matvec', x), m, k);
  }

  add(out: Tensor, a: Tensor, b: Tensor): void {
    v.checkBackend('add', this.name, out, a, b);
    v.binary('add', out, a, b);
    this.k.add_f32(this.ptr('add', out), this.ptr('add', a), this.ptr('add', b), a.size, b.size);
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
  throw new SparrowError('UNSUPPORTED', `${op}: not yet implemented on the wasm backend`, { op });
}

function wasmAbort(): never {
  throw new SparrowError('INTERNAL', 'wasm: kernel aborted');
}
