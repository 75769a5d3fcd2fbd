/**
 * The reference backend: plain TypeScript, one scalar loop per op, float64 accumulation.
 * It is the oracle every fast backend is tested against, so it favours clarity over speed.
 */
import { SparrowError } from '../../errors.ts';
import type { Backend, CsrData, DType, RopeOptions, Tensor, TensorData } from '../backend.ts';
import * as v from '../validate.ts';
import * as seq from './sequence.ts';
import type { SequenceOps } from '../ops/sequence.ts';
import { fromF16Bits } from '../../util/f16.ts';
import { isQuantDType } from '../../formats/ggml-types.ts';
import { quantRow } from './quant.ts';
import { Q8_BLOCK_DTYPES, matvecQ8Blocks, type Q8BlockDType } from './q8-0.ts';
import { INT8_ACTIVATION_DTYPES, matvecQ8K, type Int8ActivationDType } from './q8k.ts';
import { erf, gelu, geluTanh, sigmoid, silu, softplus } from './math.ts';
import type { AttentionOps } from '../ops/attention.ts';
import * as attn from './attention.ts';

type Storage = Float32Array | Uint16Array | Int32Array | Uint8Array | CsrData;

export class RefTensor implements Tensor {
  readonly backend = 'reference' as const;
  readonly size: number;
  freed = false;
  constructor(
    readonly dtype: DType,
    readonly shape: readonly number[],
    private storage: Storage,
    readonly byteSize: number,
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
  }
  get data(): Storage {
    if (this.freed) throw new SparrowError('INVALID_ARGUMENT', `tensor ${JSON.stringify(this.shape)} was freed`);
    return this.storage;
  }
}

function emptyStorage(dtype: DType, shape: readonly number[]): { s: Storage; bytes: number } {
  const n = v.shapeSize('tensor', shape);
  switch (dtype) {
    case 'f32':
      return { s: new Float32Array(n), bytes: n * 4 };
    case 'f16':
      return { s: new Uint16Array(n), bytes: n * 2 };
    case 'i32':
      return { s: new Int32Array(n), bytes: n * 4 };
    default: {
      const bytes = v.storageBytes(dtype, shape);
      return { s: new Uint8Array(bytes), bytes };
    }
  }
}

function checkData(dtype: DType, shape: readonly number[], data: TensorData, op = 'tensor'): void {
  const want: Record<string, string> = { f32: 'Float32Array', f16: 'Uint16Array', i32: 'Int32Array' };
  const ctor = want[dtype] ?? 'Uint8Array';
  const len = ctor === 'Uint8Array' ? v.storageBytes(dtype, shape) : v.shapeSize('tensor', shape);
  if (data.constructor.name !== ctor || data.length !== len) {
    throw new SparrowError('SHAPE_MISMATCH', `${op}: ${dtype} ${JSON.stringify(shape)} needs a ${ctor} of length ${len}, got ${data.constructor.name} of length ${data.length}`, { dtype, shape: [...shape] });
  }
}

/** Options of the ReferenceBackend constructor. */
export interface ReferenceOptions {
  /**
   * Decode (matvec) with GGML block weights quantizes x to 8 bits first and takes integer block
   * dots, as llama.cpp's CPU backend does: Q8_K blocks for Q2_K…Q6_K and IQ4_XS (./q8k.ts), 32-value Q8_0 / Q8_1
   * blocks for Q8_0, Q4_0, Q5_0, Q4_1, Q5_1 and IQ4_NL (./q8-0.ts). The oracle of the wasm backend's
   * same option. Default false.
   */
  int8Activations?: boolean;
}

export class ReferenceBackend implements Backend {
  readonly name = 'reference' as const;
  private live = new Set<RefTensor>();
  /** See ReferenceOptions.int8Activations; may be changed between calls. */
  int8Activations: boolean;

  constructor(opts: ReferenceOptions = {}) {
    this.int8Activations = opts.int8Activations ?? false;
  }

  tensor(shape: readonly number[], dtype: DType = 'f32', data?: TensorData): Tensor {
    if (dtype === 'sparse') throw new SparrowError('INVALID_ARGUMENT', 'tensor: use sparse() to build a sparse matrix');
    const { s, bytes } = emptyStorage(dtype, shape);
    if (data) {
      checkData(dtype, shape, data);
      (s as TensorData).set(data as never);
    }
    const t = new RefTensor(dtype, [...shape], s, bytes);
    this.live.add(t);
    return t;
  }

  sparse(m: CsrData): Tensor {
    v.csr('sparse', m);
    const copy: CsrData = { rows: m.rows, cols: m.cols, rowPtr: m.rowPtr.slice(), colIdx: m.colIdx.slice(), values: m.values.slice() };
    const bytes = copy.rowPtr.byteLength + copy.colIdx.byteLength + copy.values.byteLength;
    const t = new RefTensor('sparse', [m.rows, m.cols], copy, bytes);
    this.live.add(t);
    return t;
  }

  write(t: Tensor, data: TensorData): void {
    const r = this.own('write', t);
    if (t.dtype === 'sparse') throw new SparrowError('INVALID_ARGUMENT', 'write: sparse matrices are immutable');
    checkData(t.dtype, t.shape, data, 'write');
    (r.data as TensorData).set(data as never);
  }

  async read(t: Tensor): Promise<Float32Array | Int32Array | Uint8Array> {
    const r = this.own('read', t);
    const s = r.data;
    if (t.dtype === 'f16') return Float32Array.from(s as Uint16Array, fromF16Bits);
    if (t.dtype === 'sparse') {
      const m = s as CsrData;
      return new Uint8Array(m.values.buffer.slice(0));
    }
    return (s as Float32Array | Int32Array | Uint8Array).slice();
  }

  free(t: Tensor): void {
    const r = this.own('free', t);
    r.freed = true;
    this.live.delete(r);
  }

  async flush(): Promise<void> {}

  memoryBytes(): number {
    let n = 0;
    for (const t of this.live) n += t.byteSize;
    return n;
  }

  dispose(): void {
    for (const t of this.live) t.freed = true;
    this.live.clear();
  }

  // ---- helpers -------------------------------------------------------------------------------

  private own(op: string, t: Tensor): RefTensor {
    v.checkBackend(op, this.name, t);
    const r = t as RefTensor;
    if (r.freed) v.freed(op, r);
    return r;
  }

  private f32(op: string, t: Tensor): Float32Array {
    return this.own(op, t).data as Float32Array;
  }

  /** Row r of a 2-D weight as float64 values, whatever its storage dtype. */
  private weightRow(op: string, w: Tensor, r: number, k: number): Float64Array {
    const s = this.own(op, w).data;
    const row = new Float64Array(k);
    if (w.dtype === 'f32') for (let j = 0; j < k; j++) row[j] = (s as Float32Array)[r * k + j];
    else if (w.dtype === 'f16') for (let j = 0; j < k; j++) row[j] = fromF16Bits((s as Uint16Array)[r * k + j]);
    else if (isQuantDType(w.dtype)) return quantRow(s as Uint8Array, w.dtype, r, k);
    else throw new SparrowError('UNSUPPORTED', `${op}: weight dtype ${w.dtype} is not supported by the reference backend`, { op, dtype: w.dtype });
    return row;
  }

  // ---- ops -----------------------------------------------------------------------------------

  matvec(out: Tensor, w: Tensor, x: Tensor): void {
    v.checkBackend('matvec', this.name, out, w, x);
    const { m, k } = v.matvec('matvec', out, w, x);
    const xs = this.f32('matvec', x);
    const o = this.f32('matvec', out);
    if (this.int8Activations && INT8_ACTIVATION_DTYPES.has(w.dtype)) {
      return matvecQ8K(w.dtype as Int8ActivationDType, this.own('matvec', w).data as Uint8Array, xs, m, k, o);
    }
    if (this.int8Activations && Q8_BLOCK_DTYPES.has(w.dtype)) {
      return matvecQ8Blocks(w.dtype as Q8BlockDType, this.own('matvec', w).data as Uint8Array, xs, m, k, o);
    }
    for (let r = 0; r < m; r++) {
      const row = this.weightRow('matvec', w, r, k);
      let acc = 0;
      for (let j = 0; j < k; j++) acc += row[j] * xs[j];
      o[r] = acc;
    }
  }

  matmul(out: Tensor, x: Tensor, w: Tensor): void {
    v.checkBackend('matmul', this.name, out, x, w);
    const { n, m, k } = v.matmul('matmul', out, x, w);
    const xs = this.f32('matmul', x);
    const o = this.f32('matmul', out);
    for (let r = 0; r < m; r++) {
      const row = this.weightRow('matmul', w, r, k);
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let j = 0; j < k; j++) acc += row[j] * xs[i * k + j];
        o[i * m + r] = acc;
      }
    }
  }

  spmv(out: Tensor, s: Tensor, x: Tensor): void {
    v.checkBackend('spmv', this.name, out, s, x);
    const { m } = v.spmv('spmv', out, s, x);
    const a = this.own('spmv', s).data as CsrData;
    const xs = this.f32('spmv', x);
    const o = this.f32('spmv', out);
    for (let r = 0; r < m; r++) {
      let acc = 0;
      for (let p = a.rowPtr[r]; p < a.rowPtr[r + 1]; p++) acc += a.values[p] * xs[a.colIdx[p]];
      o[r] = acc;
    }
  }

  spmm(out: Tensor, s: Tensor, x: Tensor): void {
    v.checkBackend('spmm', this.name, out, s, x);
    const { n, m, k } = v.spmm('spmm', out, s, x);
    const a = this.own('spmm', s).data as CsrData;
    const xs = this.f32('spmm', x);
    const o = this.f32('spmm', out);
    for (let t = 0; t < n; t++) {
      for (let r = 0; r < m; r++) {
        let acc = 0;
        for (let p = a.rowPtr[r]; p < a.rowPtr[r + 1]; p++) acc += a.values[p] * xs[t * k + a.colIdx[p]];
        o[t * m + r] = acc;
      }
    }
  }

  private binaryOp(op: string, out: Tensor, a: Tensor, b: Tensor, f: (x: number, y: number) => number): void {
    v.checkBackend(op, this.name, out, a, b);
    v.binary(op, out, a, b);
    const as = this.f32(op, a);
    const bs = this.f32(op, b);
    const o = this.f32(op, out);
    for (let i = 0; i < as.length; i++) o[i] = f(as[i], bs[i % bs.length]);
  }

  private unaryOp(op: string, out: Tensor, a: Tensor, f: (x: number) => number): void {
    v.checkBackend(op, this.name, out, a);
    v.unary(op, out, a);
    const as = this.f32(op, a);
    const o = this.f32(op, out);
    for (let i = 0; i < as.length; i++) o[i] = f(as[i]);
  }

  add(out: Tensor, a: Tensor, b: Tensor): void {
    this.binaryOp('add', out, a, b, (x, y) => x + y);
  }
  mul(out: Tensor, a: Tensor, b: Tensor): void {
    this.binaryOp('mul', out, a, b, (x, y) => x * y);
  }
  lerp(out: Tensor, a: Tensor, b: Tensor, t: Tensor): void {
    v.checkBackend('lerp', this.name, out, a, b, t);
    v.lerp('lerp', out, a, b, t);
    const [as, bs, ts, o] = [this.f32('lerp', a), this.f32('lerp', b), this.f32('lerp', t), this.f32('lerp', out)];
    for (let i = 0; i < as.length; i++) o[i] = as[i] + (bs[i] - as[i]) * ts[i % ts.length];
  }
  scale(out: Tensor, a: Tensor, s: number): void {
    v.checkFinite('scale', 's', s);
    this.unaryOp('scale', out, a, (x) => x * s);
  }
  silu(out: Tensor, a: Tensor): void {
    this.unaryOp('silu', out, a, silu);
  }
  gelu(out: Tensor, a: Tensor): void {
    this.unaryOp('gelu', out, a, gelu);
  }
  sigmoid(out: Tensor, a: Tensor): void {
    this.unaryOp('sigmoid', out, a, sigmoid);
  }
  relu(out: Tensor, a: Tensor): void {
    this.unaryOp('relu', out, a, (x) => Math.max(x, 0)); // NaN stays NaN, like torch.relu
  }
  exp(out: Tensor, a: Tensor): void {
    this.unaryOp('exp', out, a, Math.exp);
  }
  softplus(out: Tensor, a: Tensor): void {
    this.unaryOp('softplus', out, a, softplus);
  }
  tanh(out: Tensor, a: Tensor): void {
    this.unaryOp('tanh', out, a, Math.tanh);
  }

  addRmsnorm(sum: Tensor, out: Tensor, a: Tensor, b: Tensor, w: Tensor, eps: number): void {
    v.checkBackend('addRmsnorm', this.name, sum, out, a, b, w);
    v.checkFinite('addRmsnorm', 'eps', eps);
    v.addRmsnorm('addRmsnorm', sum, out, a, b, w);
    this.add(sum, a, b);
    this.rmsnorm(out, sum, w, eps);
  }
  siluMul(out: Tensor, g: Tensor, u: Tensor): void {
    v.checkBackend('siluMul', this.name, out, g, u);
    v.siluMul('siluMul', out, g, u);
    const [gs, us, o] = [this.f32('siluMul', g), this.f32('siluMul', u), this.f32('siluMul', out)];
    // f32 rounding of silu before the product, as silu then mul store it
    for (let i = 0; i < gs.length; i++) o[i] = Math.fround(silu(gs[i])) * us[i];
  }

  geluTanhMul(out: Tensor, g: Tensor, u: Tensor): void {
    v.checkBackend('geluTanhMul', this.name, out, g, u);
    v.siluMul('geluTanhMul', out, g, u);
    const [gs, us, o] = [this.f32('geluTanhMul', g), this.f32('geluTanhMul', u), this.f32('geluTanhMul', out)];
    for (let i = 0; i < gs.length; i++) o[i] = Math.fround(geluTanh(gs[i])) * us[i];
  }

  swiglu(out: Tensor, gu: Tensor): void {
    v.checkBackend('swiglu', this.name, out, gu);
    const { rows, width: I } = v.swiglu('swiglu', out, gu);
    const [x, o] = [this.f32('swiglu', gu), this.f32('swiglu', out)];
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < I; j++) o[r * I + j] = Math.fround(silu(x[r * 2 * I + j])) * x[r * 2 * I + I + j];
    }
  }

  rmsnorm(out: Tensor, x: Tensor, w: Tensor, eps: number): void {
    v.checkBackend('rmsnorm', this.name, out, x, w);
    v.checkFinite('rmsnorm', 'eps', eps);
    const { rows, d } = v.rowwise('rmsnorm', out, x, w);
    const xs = this.f32('rmsnorm', x);
    const ws = this.f32('rmsnorm', w);
    const o = this.f32('rmsnorm', out);
    for (let r = 0; r < rows; r++) {
      let ss = 0;
      for (let j = 0; j < d; j++) ss += xs[r * d + j] ** 2;
      const inv = 1 / Math.sqrt(ss / d + eps);
      for (let j = 0; j < d; j++) o[r * d + j] = xs[r * d + j] * inv * ws[j];
    }
  }

  layernorm(out: Tensor, x: Tensor, w: Tensor, b: Tensor, eps: number): void {
    v.checkBackend('layernorm', this.name, out, x, w, b);
    v.checkFinite('layernorm', 'eps', eps);
    const { rows, d } = v.rowwise('layernorm', out, x, w, b);
    const xs = this.f32('layernorm', x);
    const ws = this.f32('layernorm', w);
    const bs = this.f32('layernorm', b);
    const o = this.f32('layernorm', out);
    for (let r = 0; r < rows; r++) {
      let mean = 0;
      for (let j = 0; j < d; j++) mean += xs[r * d + j];
      mean /= d;
      let varSum = 0;
      for (let j = 0; j < d; j++) varSum += (xs[r * d + j] - mean) ** 2;
      const inv = 1 / Math.sqrt(varSum / d + eps);
      for (let j = 0; j < d; j++) o[r * d + j] = (xs[r * d + j] - mean) * inv * ws[j] + bs[j];
    }
  }

  softmax(out: Tensor, x: Tensor): void {
    v.checkBackend('softmax', this.name, out, x);
    const { rows, d } = v.rowwise('softmax', out, x);
    const xs = this.f32('softmax', x);
    const o = this.f32('softmax', out);
    for (let r = 0; r < rows; r++) {
      let max = -Infinity;
      for (let j = 0; j < d; j++) max = Math.max(max, xs[r * d + j]);
      let sum = 0;
      for (let j = 0; j < d; j++) sum += Math.exp(xs[r * d + j] - max);
      for (let j = 0; j < d; j++) o[r * d + j] = Math.exp(xs[r * d + j] - max) / sum;
    }
  }

  rope(out: Tensor, x: Tensor, opts: RopeOptions): void {
    v.checkBackend('rope', this.name, out, x);
    const { headDim, pos, theta, style, freqFactors } = opts;
    const { rows, heads } = v.rope('rope', out, x, headDim, pos, theta, freqFactors);
    const xs = this.f32('rope', x);
    const o = this.f32('rope', out);
    const half = headDim / 2;
    for (let r = 0; r < rows; r++) {
      for (let h = 0; h < heads; h++) {
        const base = (r * heads + h) * headDim;
        for (let i = 0; i < half; i++) {
          const angle = ((pos + r) * Math.pow(theta, (-2 * i) / headDim)) / (freqFactors?.[i] ?? 1);
          const c = Math.cos(angle);
          const s = Math.sin(angle);
          const [a, b] = style === 'half' ? [base + i, base + i + half] : [base + 2 * i, base + 2 * i + 1];
          const x0 = xs[a];
          const x1 = xs[b];
          o[a] = x0 * c - x1 * s;
          o[b] = x1 * c + x0 * s;
        }
      }
    }
  }

  ropeQkv(q: Tensor, k: Tensor, vOut: Tensor, qkv: Tensor, opts: RopeOptions): void {
    v.checkBackend('ropeQkv', this.name, q, k, vOut, qkv);
    const { rows, qW, kW, vW } = v.ropeQkv('ropeQkv', q, k, vOut, qkv, opts.headDim, opts.pos, opts.theta, opts.freqFactors);
    const x = this.f32('ropeQkv', qkv);
    const W = qW + kW + vW;
    // Copy the parts out, then the plain rope in place on q and k.
    const [qs, ks, vs] = [this.f32('ropeQkv', q), this.f32('ropeQkv', k), this.f32('ropeQkv', vOut)];
    for (let r = 0; r < rows; r++) {
      qs.set(x.subarray(r * W, r * W + qW), r * qW);
      ks.set(x.subarray(r * W + qW, r * W + qW + kW), r * kW);
      vs.set(x.subarray(r * W + qW + kW, (r + 1) * W), r * vW);
    }
    this.rope(q, q, opts);
    this.rope(k, k, opts);
  }

  embedding(out: Tensor, table: Tensor, ids: Tensor): void {
    v.checkBackend('embedding', this.name, out, table, ids);
    const { n, d, vocab } = v.embedding('embedding', out, table, ids);
    const is = this.own('embedding', ids).data as Int32Array;
    v.embeddingIds('embedding', is, vocab);
    const o = this.f32('embedding', out);
    for (let i = 0; i < n; i++) o.set(this.weightRow('embedding', table, is[i], d), i * d);
  }

  argmax(out: Tensor, x: Tensor): void {
    v.checkBackend('argmax', this.name, out, x);
    const { rows, v: n } = v.argmax('argmax', out, x);
    const xs = this.f32('argmax', x);
    const o = this.own('argmax', out).data as Int32Array;
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let j = 1; j < n; j++) if (xs[r * n + j] > xs[r * n + best]) best = j;
      o[r] = best;
    }
  }

  copy(dst: Tensor, dstOffset: number, src: Tensor, srcOffset: number, count: number): void {
    v.checkBackend('copy', this.name, dst, src);
    v.copy('copy', dst, dstOffset, src, srcOffset, count);
    if (!['f32', 'f16', 'i32'].includes(dst.dtype)) throw new SparrowError('UNSUPPORTED', `copy: dtype ${dst.dtype} is not element-addressable`);
    const d = this.own('copy', dst).data as Float32Array;
    const s = this.own('copy', src).data as Float32Array;
    d.set(s.subarray(srcOffset, srcOffset + count), dstOffset);
  }

  fill(t: Tensor, value: number): void {
    const s = this.own('fill', t).data;
    if (t.dtype === 'f32' || t.dtype === 'i32') (s as Float32Array).fill(value);
    else throw new SparrowError('UNSUPPORTED', `fill: dtype ${t.dtype} is not supported`);
  }

  // ---- sequence ops (ops/sequence.ts), implemented in ./sequence.ts --------------------------
  causalConv1d(...a: Parameters<SequenceOps['causalConv1d']>): void {
    seq.causalConv1d(...a);
  }
  selectiveScan(...a: Parameters<SequenceOps['selectiveScan']>): void {
    seq.selectiveScan(...a);
  }
  wkv4(...a: Parameters<SequenceOps['wkv4']>): void {
    seq.wkv4(...a);
  }
  ternaryMatvec(...a: Parameters<SequenceOps['ternaryMatvec']>): void {
    seq.ternaryMatvec(...a);
  }
  ternaryMatvecLut(...a: Parameters<SequenceOps['ternaryMatvecLut']>): void {
    seq.ternaryMatvecLut(...a);
  }
  deltaRule(...a: Parameters<SequenceOps['deltaRule']>): void {
    seq.deltaRule(...a);
  }
  wkv7(...a: Parameters<SequenceOps['wkv7']>): void {
    seq.wkv7(...a);
  }
  wkv7Bonus(...a: Parameters<SequenceOps['wkv7Bonus']>): void {
    seq.wkv7Bonus(...a);
  }

  // ---- attention (one-line delegations; the family lives in ./attention.ts) ----
  sparseAttention(...a: Parameters<AttentionOps['sparseAttention']>): void { attn.sparseAttention(...a); }
  sparseAttentionGated(...a: Parameters<AttentionOps['sparseAttentionGated']>): void { attn.sparseAttentionGated(...a); }
  denseAttention(...a: Parameters<AttentionOps['denseAttention']>): void { attn.denseAttention(...a); }
  kvAppend(...a: Parameters<AttentionOps['kvAppend']>): void { attn.kvAppend(...a); }
  sparseDecode(...a: Parameters<AttentionOps['sparseDecode']>): void { attn.sparseDecode(...a); }
  fastgrnnSalience(...a: Parameters<AttentionOps['fastgrnnSalience']>): void { attn.fastgrnnSalience(...a); }
  topkMask(...a: Parameters<AttentionOps['topkMask']>): void { attn.topkMask(...a); }
}

export { erf };
