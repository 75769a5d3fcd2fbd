/**
 * The WebAssembly SIMD backend. Tensors live in the module's linear memory (allocated by WasmHeap),
 * ops call AssemblyScript kernels (assembly/) with raw pointers; nothing is copied across the
 * JS boundary except by write/read.
 */
import { SparrowError } from '../../errors.ts';
import type { Backend, CsrData, DType, RopeOptions, SparsePreference, Tensor, TensorData } from '../backend.ts';
import * as v from '../validate.ts';
import * as seq from './sequence.ts';
import type { SequenceOps } from '../ops/sequence.ts';
import { fromF16Bits } from '../../util/f16.ts';
import { compileSparrowWasm, compileSparrowWasmMt, MT_MAX_PAGES, pickRelaxed } from './module.ts';
import { ThreadPool, threadSupport, type ThreadOptions } from './threads.ts';
import { rowRunner, scratchRowRunner, threadedLinear, threadedSpmm, threadedSpmv } from './threads-ops.ts';
import { quantMatmul } from './quant.ts';
import { isQuantDType } from '../../formats/ggml-types.ts';
import { WasmHeap } from './memory.ts';
import { CSR16N_MAX_COLS, buildSparseLayout, pickSparseLayout, layoutBytes, layoutFits, win16Values, forgetWord8Plan, word8StageBytes, word8Values, type SparseLayoutKind } from './sparse.ts';
import type { AttentionOps } from '../ops/attention.ts';
import * as attn from './attention.ts';
import { matmulTokenTile } from './matmul-tile.ts';
import { embeddingF16Fix, f16SideBytes, matmulF16, matvecF16, restoreF16, type F16Plan } from './f16.ts';

/** The kernel exports of build/sparrow.wasm (pointers are byte offsets, counts are elements). */
export interface Kernels {
  memory: WebAssembly.Memory;
  heapBase(): number;
  add_f32(out: number, a: number, b: number, n: number, nb: number): void;
  mul_f32(out: number, a: number, b: number, n: number, nb: number): void;
  lerp_f32(out: number, a: number, b: number, t: number, n: number, nt: number): void;
  scale_f32(out: number, a: number, s: number, n: number): void;
  fill_u32(dst: number, bits: number, n: number): void;
  copy_bytes(dst: number, src: number, bytes: number): void;
  memcopy_f32(dst: number, src: number, n: number): void;
  silu_f32(out: number, a: number, n: number): void;
  gelu_f32(out: number, a: number, n: number): void;
  gelu_tanh_f32(out: number, a: number, n: number): void;
  sigmoid_f32(out: number, a: number, n: number): void;
  relu_f32(out: number, a: number, n: number): void;
  exp_f32(out: number, a: number, n: number): void;
  softplus_f32(out: number, a: number, n: number): void;
  tanh_f32(out: number, a: number, n: number): void;
  matvec_f32(out: number, w: number, x: number, m: number, k: number): void;
  matvec_f16(out: number, w: number, x: number, m: number, k: number, xs: number): void;
  matmul_f32(out: number, x: number, w: number, n: number, m: number, k: number, tile: number): void;
  matmul_f16(out: number, x: number, w: number, n: number, m: number, k: number, tile: number, scratch: number): void;
  f16_to_f32(dst: number, src: number, n: number): void;
  stage_x0(x: number, k: number): void;
  spmv_csr16(out: number, rowPtr: number, off: number, val: number, m: number): void;
  stage_x4(x: number, k: number): void;
  spmv_csr16n(out: number, off: number, val: number, m: number): void;
  stage_xt4(x: number, k: number, n: number): void;
  spmm_csr16(out: number, rowPtr: number, off: number, val: number, m: number, n: number, ldo: number): void;
  spmm_csr16n(out: number, off: number, val: number, m: number, n: number, ldo: number): void;
  spmv_csr32(out: number, rowPtr: number, col: number, val: number, x: number, m: number): void;
  stage_x_blk(xs: number, x: number, k: number): void;
  stage_x_word8(xs: number, x: number, k: number): void;
  stage_xt_word8(xs: number, x: number, k: number, n: number): void;
  spmm_word8(out: number, groups: number, base: number, words: number, xs: number, ebase: number, m: number, n: number, ldo: number, exc: number, nexc: number, x: number, k: number, r0: number): void;
  spmv_word8(out: number, groups: number, base: number, words: number, wend: number, xs: number, ebase: number, m: number, exc: number, nexc: number, x: number, r0: number): void;
  spmv_win16(out: number, chunkPtr: number, rec: number, base: number, tailPtr: number, tail: number, tailBase: number, xs: number, m: number): void;
  rmsnorm_f32(out: number, x: number, w: number, rows: number, d: number, eps: number): void;
  layernorm_f32(out: number, x: number, w: number, b: number, rows: number, d: number, eps: number): void;
  softmax_f32(out: number, x: number, rows: number, d: number): void;
  rope_f32(out: number, x: number, rows: number, heads: number, headDim: number, pos: number, theta: number, style: number, scratch: number, factors: number): void;
  argmax_f32(out: number, x: number, rows: number, v: number): void;
  embedding_f32(out: number, table: number, ids: number, n: number, d: number): void;
  embedding_f16(out: number, table: number, ids: number, n: number, d: number): void;
  embedding_bf16(out: number, table: number, ids: number, n: number, d: number): void;
  /** Other op families add their exports here or look them up by name. */
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
  /** For dtype 'sparse': the layout and the pointer of each of its arrays (see ./sparse.ts). */
  sparse?: { kind: SparseLayoutKind; blocks: number; ebase: number; nnz: number; ptrs: Record<string, number>; lengths: Record<string, number> };
  /** f16 linear weight: its subnormal side list (./f16.ts); null = holds Inf/NaN; undefined = not scanned. */
  f16plan?: F16Plan | null;
  /**
   * Q8_0: whether a weight byte is −128 (checked at write). llama.cpp's quantizer never writes one;
   * the relaxed build's int8 kernel needs |w| ≤ 127, so such a tensor takes the general kernel.
   */
  q8HasMin?: boolean;
}

/** Ops that understand a prepared f16 weight (./f16.ts); every other use restores its halves first. */
const F16_PLAN_OPS = new Set(['f16-linear', 'embedding']);

/** Options of WasmBackend.create. */
export interface WasmOptions extends ThreadOptions {
  /**
   * Threads for the linear layers (matvec / matmul), caller included: 1 (default) uses
   * build/sparrow.wasm alone; more needs SharedArrayBuffer (cross-origin isolation in a browser)
   * and a worker context, else BACKEND_UNAVAILABLE. See docs/threads.md.
   */
  threads?: number;
  /** With threads > 1 unavailable: run on one thread and say why in `threadNote` instead of throwing. */
  fallback?: boolean;
  /** Ops with fewer multiply-adds than this run on the calling thread alone (default 32768). */
  minSplitWork?: number;
  /**
   * Decode (matvec) with GGML block weights (Q8_0, Q4_0, Q5_0, Q4_1, Q5_1, IQ4_NL, IQ4_XS, Q2_K…Q6_K)
   * quantizes x to 8 bits once per call (llama.cpp's Q8_0 / Q8_1 blocks, Q8_K for the k-quants and IQ4_XS) and
   * takes the block dots in integers: faster, and off the exact f32 result by the activation
   * quantization error (semantics: src/backends/reference/q8-0.ts and q8k.ts, the reference
   * backend's same option). Default false: every matvec exact to f32 rounding. Prefill (matmul) is unaffected.
   */
  int8Activations?: boolean;
  /**
   * Run the relaxed-SIMD build of the kernels (./module.ts): 'auto' (default) where the runtime
   * validates relaxed SIMD, true to demand it (BACKEND_UNAVAILABLE where it does not), false for
   * the plain SIMD build. The relaxed one takes the int8-activation block dots faster (same bits)
   * and fuses multiply-adds in the prefill tile, exact block dots, F16 matvec and attention
   * (last-bit differences).
   */
  relaxedSimd?: boolean | 'auto';
}

/**
 * Whether a Q8_0 tensor (34-byte blocks: f16 scale, 32 × i8) holds a weight byte of −128 (0x80).
 * indexOf finds candidate bytes at memchr speed; one at offset 0 / 1 of a block is a scale byte.
 */
function q8HasMinByte(bytes: Uint8Array): boolean {
  for (let i = bytes.indexOf(0x80); i >= 0; i = bytes.indexOf(0x80, i + 1)) if (i % 34 >= 2) return true;
  return false;
}

const ELEM_CTOR: Partial<Record<DType, string>> = { f32: 'Float32Array', f16: 'Uint16Array', i32: 'Int32Array' };
const ELEM_BYTES: Partial<Record<DType, number>> = { f32: 4, f16: 2, i32: 4 };

export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  private live = new Set<WasmTensor>();
  /** Helper threads (threads > 1): the linear layers split across them (./threads-ops.ts). */
  pool?: ThreadPool;
  /** Work (multiply-adds) below which a linear layer is not split. */
  minSplitWork = 32768;
  /** Why fewer threads run than were asked for (only with `fallback`), else undefined. */
  threadNote?: string;
  /** See WasmOptions.int8Activations; may be changed between calls. */
  int8Activations = false;
  /** Whether the kernels are the relaxed-SIMD build (WasmOptions.relaxedSimd). */
  relaxedSimd = false;

  private constructor(
    readonly k: Kernels,
    readonly heap: WasmHeap,
  ) {}

  static async create(opts: WasmOptions = {}): Promise<WasmBackend> {
    const threads = opts.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw new SparrowError('INVALID_ARGUMENT', `wasm: threads must be an integer in 1..64, got ${threads}`, { threads });
    }
    let note: string | undefined;
    if (threads > 1) {
      const support = threadSupport();
      if (support.ok) return WasmBackend.createThreaded(threads, opts);
      if (!opts.fallback) throw new SparrowError('BACKEND_UNAVAILABLE', `wasm: ${threads} threads requested but ${support.why}`, { threads });
      note = `running 1 wasm thread instead of ${threads}: ${support.why}`;
    }
    const relaxed = pickRelaxed(opts.relaxedSimd);
    const module = await compileSparrowWasm(relaxed);
    const instance = await WebAssembly.instantiate(module, { env: { abort: wasmAbort } });
    const k = instance.exports as unknown as Kernels;
    const b = new WasmBackend(k, new WasmHeap(k.memory, k.heapBase()));
    b.relaxedSimd = relaxed;
    b.threadNote = note;
    b.int8Activations = opts.int8Activations ?? false;
    return b;
  }

  /** build/sparrow-mt.wasm on a shared memory, plus threads − 1 helpers on the same memory. */
  private static async createThreaded(threads: number, opts: WasmOptions): Promise<WasmBackend> {
    const relaxed = pickRelaxed(opts.relaxedSimd);
    const module = await compileSparrowWasmMt(relaxed);
    const memory = new WebAssembly.Memory({ initial: 16, maximum: MT_MAX_PAGES, shared: true });
    const instance = await WebAssembly.instantiate(module, { env: { memory, abort: wasmAbort } });
    const k = instance.exports as unknown as Kernels;
    const b = new WasmBackend(k, new WasmHeap(memory, k.heapBase()));
    b.relaxedSimd = relaxed;
    // every helper instance must exist before the first kernel runs: instantiating re-writes the data
    // segments, zeroing the IQ grids' f32 copies that kernels fill at run time (scripts/build-wasm.mjs)
    b.pool = await ThreadPool.start(module, memory, threads, opts);
    if (opts.minSplitWork !== undefined) b.minSplitWork = opts.minSplitWork;
    b.int8Activations = opts.int8Activations ?? false;
    return b;
  }

  /** Threads the linear layers run on (1 without a pool). */
  get threads(): number {
    return this.pool?.threads ?? 1;
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

  /** Compress CSR into a wasm sparse layout (default: the measured winner, docs/sparse-matvec.md). */
  sparse(m: CsrData, layout: SparseLayoutKind | SparsePreference = 'speed'): Tensor {
    v.csr('sparse', m);
    let l;
    forgetWord8Plan(); // plan this matrix afresh (it may have changed in place since a query)
    try {
      const kind = layout === 'size' || layout === 'speed' ? pickSparseLayout(m, layout) : layout;
      l = buildSparseLayout(m, layoutFits(kind, m) ? kind : layoutFits('csr16', m) ? 'csr16' : 'csr32');
    } finally {
      forgetWord8Plan(); // the plan of this matrix served the choice and the build; not later calls
    }
    const ptrs: Record<string, number> = {};
    for (const [name, arr] of Object.entries(l.parts)) {
      ptrs[name] = this.heap.alloc(arr.byteLength);
      this.heap.bytes.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), ptrs[name]);
    }
    const [first, ...rest] = Object.keys(ptrs);
    const t = new WasmTensor('sparse', [m.rows, m.cols], ptrs[first], layoutBytes(l), Object.fromEntries(rest.map((k) => [k, ptrs[k]])));
    t.sparse = { kind: l.kind, blocks: l.blocks, ebase: l.ebase, nnz: l.nnz, ptrs, lengths: Object.fromEntries(Object.entries(l.parts).map(([k, a]) => [k, a.length])) };
    this.live.add(t);
    return t;
  }

  write(t: Tensor, data: TensorData): void {
    const w = this.own('write', t);
    const ctor = ELEM_CTOR[t.dtype] ?? 'Uint8Array';
    if (data.constructor.name !== ctor || data.byteLength !== w.byteSize) {
      throw new SparrowError('SHAPE_MISMATCH', `write: ${t.dtype} ${JSON.stringify(t.shape)} needs a ${ctor} of ${w.byteSize} bytes, got ${data.constructor.name} of ${data.byteLength} bytes`, { dtype: t.dtype, shape: [...t.shape] });
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.heap.bytes.set(bytes, w.ptr);
    if (t.dtype === 'q8_0') w.q8HasMin = q8HasMinByte(bytes);
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
      case 'sparse': {
        // Like the reference backend: the stored non-zero values' bytes.
        const l = w.sparse!;
        if (l.kind === 'word8') {
          const [P, n] = [l.ptrs, l.lengths];
          const arrays = {
            groups: new Uint16Array(buf, P.groups, n.groups), base: new Uint16Array(buf, P.base, n.base), words: new Uint32Array(buf, P.words, n.words),
            exc: new Uint32Array(buf, P.exc, n.exc),
          };
          return new Uint8Array(word8Values(arrays, l.ebase, l.nnz, t.shape[1]).buffer);
        }
        if (l.kind !== 'win16') return new Uint8Array(buf, l.ptrs.val, l.nnz * 4).slice();
        // win16 interleaves padding (the window's zero slot, value 0) into its chunks: skip it.
        const [P, n] = [l.ptrs, l.lengths];
        const arrays = {
          chunkPtr: new Uint32Array(buf, P.chunkPtr, n.chunkPtr), rec: new Uint8Array(buf, P.rec, n.rec), base: new Uint16Array(buf, P.base, n.base),
          tailPtr: new Uint32Array(buf, P.tailPtr, n.tailPtr), tail: new Uint8Array(buf, P.tail, n.tail), tailBase: new Uint16Array(buf, P.tailBase, n.tailBase),
        };
        const vals = win16Values(arrays, t.shape[0], l.nnz);
        return new Uint8Array(vals.buffer);
      }
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
    for (const t of this.live) n += t.byteSize + f16SideBytes(t.f16plan);
    return n;
  }

  dispose(): void {
    for (const t of [...this.live]) this.free(t);
    if (this.stage.bytes) this.heap.release(this.stage.ptr);
    this.stage = { ptr: 0, bytes: 0 };
    this.pool?.dispose();
    this.pool = undefined;
  }

  /** A Float32Array view of an f32 tensor (invalidated when memory grows: use immediately). */
  f32View(t: Tensor): Float32Array {
    const w = this.own('view', t);
    return new Float32Array(this.heap.memory.buffer, w.ptr, t.size);
  }

  /** The live WasmTensor behind a handle (public for op-family modules such as ./sequence.ts). */
  own(op: string, t: Tensor): WasmTensor {
    v.checkBackend(op, this.name, t);
    const w = t as WasmTensor;
    if (w.freed) v.freed(op, w);
    if (w.f16plan !== undefined && !F16_PLAN_OPS.has(op)) restoreF16(w);
    return w;
  }

  /** Byte offset of a live tensor's storage in linear memory. */
  ptr(op: string, t: Tensor): number {
    return this.own(op, t).ptr;
  }

  // ---- ops -----------------------------------------------------------------------------------
  // Each op: backend check, shared shape/dtype validation (validate.ts), then one kernel call.

  matvec(out: Tensor, w: Tensor, x: Tensor): void {
    v.checkBackend('matvec', this.name, out, w, x);
    const { m, k } = v.matvec('matvec', out, w, x);
    if (this.pool && threadedLinear(this, this.pool, 'matvec', out, x, w, 1, m, k)) return;
    if (isQuantDType(w.dtype)) return quantMatmul(this, 'matvec', out, x, w, 1, m, k);
    v.checkDtype('matvec', 'weight', w, ['f32', 'f16']);
    if (w.dtype === 'f16') return matvecF16(this, this.ptr('matvec', out), this.own('f16-linear', w), this.ptr('matvec', x), m, k, rowRunner(this, m * k));
    const [o, wp, xp] = [this.ptr('matvec', out), this.ptr('matvec', w), this.ptr('matvec', x)];
    return this.k.matvec_f32(o, wp, xp, m, k);
  }

  matmul(out: Tensor, x: Tensor, w: Tensor): void {
    v.checkBackend('matmul', this.name, out, x, w);
    const { n, m, k } = v.matmul('matmul', out, x, w);
    if (this.pool && threadedLinear(this, this.pool, 'matmul', out, x, w, n, m, k)) return;
    if (isQuantDType(w.dtype)) return quantMatmul(this, 'matmul', out, x, w, n, m, k);
    v.checkDtype('matmul', 'weight', w, ['f32', 'f16']);
    const tile = matmulTokenTile(n, k);
    if (w.dtype === 'f16') return matmulF16(this, this.ptr('matmul', out), this.ptr('matmul', x), this.own('f16-linear', w), n, m, k, tile, scratchRowRunner(this, n * m * k));
    const [o, xp, wp] = [this.ptr('matmul', out), this.ptr('matmul', x), this.ptr('matmul', w)];
    return this.k.matmul_f32(o, xp, wp, n, m, k, tile);
  }

  spmv(out: Tensor, s: Tensor, x: Tensor): void {
    v.checkBackend('spmv', this.name, out, s, x);
    const { m } = v.spmv('spmv', out, s, x);
    const l = (this.own('spmv', s) as WasmTensor).sparse!;
    const [o, xp, p] = [this.ptr('spmv', out), this.ptr('spmv', x), l.ptrs];
    // x staged once per call, shared by all threads: for win16 in blocks of 255 columns + a zero
    // slot; for csr16 at the fixed address 0, so its gathers need no address add.
    let xs = 0;
    if (l.kind === 'win16') this.k.stage_x_blk((xs = this.xStage(1024 * l.blocks)), xp, s.shape[1]);
    else if (l.kind === 'word8') this.k.stage_x_word8((xs = this.xStage(word8StageBytes(s.shape[1]))), xp, s.shape[1]);
    else if (l.kind === 'csr16') this.k.stage_x0(xp, s.shape[1]);
    else if (l.kind === 'csr16n') this.k.stage_x4(xp, s.shape[1]);
    if (this.pool && threadedSpmv(this, this.pool, l, o, xp, xs, m)) return;
    switch (l.kind) {
      case 'csr16':
        return this.k.spmv_csr16(o, p.rowPtr, p.off, p.val, m);
      case 'csr16n':
        return this.k.spmv_csr16n(o, p.off, p.val, m);
      case 'csr32':
        return this.k.spmv_csr32(o, p.rowPtr, p.col, p.val, xp, m);
      case 'win16':
        return this.k.spmv_win16(o, p.chunkPtr, p.rec, p.base, p.tailPtr, p.tail, p.tailBase, xs, m);
      case 'word8':
        return this.k.spmv_word8(o, p.groups, p.base, p.words, p.words + 4 * l.lengths.words, xs, l.ebase, m, p.exc, l.lengths.exc / 3, xp, 0);
    }
  }

  /**
   * out[N, M] = X[N, K] · Sᵀ. csr16n and csr16 (K ≤ 4096), word8: four rows of X at a time,
   * staged transposed (stage_xt4, stage_xt_word8) so each stored entry feeds four tokens with one
   * vector load; other layouts: one spmv per row.
   */
  spmm(out: Tensor, s: Tensor, x: Tensor): void {
    v.checkBackend('spmm', this.name, out, s, x);
    const { n, m, k } = v.spmm('spmm', out, s, x);
    const l = (this.own('spmm', s) as WasmTensor).sparse!;
    if (!(l.kind === 'csr16n' || l.kind === 'word8' || (l.kind === 'csr16' && k <= CSR16N_MAX_COLS))) return this.spmmByRows(out, s, x, n, m, k);
    const [o, xp, p] = [this.ptr('spmm', out), this.ptr('spmm', x), l.ptrs];
    for (let t0 = 0; t0 < n; t0 += 4) {
      const nt = Math.min(4, n - t0);
      const xt = xp + 4 * t0 * k;
      const ot = o + 4 * t0 * m;
      if (l.kind === 'word8') {
        // (x, −x) column vectors of the tile (stage_xt_word8: 4× stage_x_word8's bytes), then the exceptions.
        const xs = this.xStage(4 * word8StageBytes(k));
        this.k.stage_xt_word8(xs, xt, k, nt);
        if (!(this.pool && threadedSpmm(this, this.pool, l, ot, nt, m, xs, xt, k))) {
          this.k.spmm_word8(ot, p.groups, p.base, p.words, xs, l.ebase, m, nt, m, p.exc, l.lengths.exc / 3, xt, k, 0);
        }
        continue;
      }
      this.k.stage_xt4(xt, k, nt);
      if (this.pool && threadedSpmm(this, this.pool, l, ot, nt, m, 0, xt, k)) continue;
      if (l.kind === 'csr16') this.k.spmm_csr16(ot, p.rowPtr, p.off, p.val, m, nt, m);
      else this.k.spmm_csr16n(ot, p.off, p.val, m, nt, m);
    }
  }

  /** spmm as one spmv per row of X (layouts without a token-tiled kernel). */
  private spmmByRows(out: Tensor, s: Tensor, x: Tensor, n: number, m: number, k: number): void {
    const xr = this.tensor([k], 'f32');
    const or = this.tensor([m], 'f32');
    try {
      for (let t = 0; t < n; t++) {
        this.copy(xr, 0, x, t * k, k);
        this.spmv(or, s, xr);
        this.copy(out, t * m, or, 0, m);
      }
    } finally {
      this.free(xr);
      this.free(or);
    }
  }

  add(out: Tensor, a: Tensor, b: Tensor): void {
    v.checkBackend('add', this.name, out, a, b);
    v.binary('add', out, a, b);
    this.k.add_f32(this.ptr('add', out), this.ptr('add', a), this.ptr('add', b), a.size, b.size);
  }

  mul(out: Tensor, a: Tensor, b: Tensor): void {
    v.checkBackend('mul', this.name, out, a, b);
    v.binary('mul', out, a, b);
    this.k.mul_f32(this.ptr('mul', out), this.ptr('mul', a), this.ptr('mul', b), a.size, b.size);
  }

  lerp(out: Tensor, a: Tensor, b: Tensor, t: Tensor): void {
    v.checkBackend('lerp', this.name, out, a, b, t);
    v.lerp('lerp', out, a, b, t);
    if (a.size === 0) return;
    this.k.lerp_f32(this.ptr('lerp', out), this.ptr('lerp', a), this.ptr('lerp', b), this.ptr('lerp', t), a.size, t.size);
  }

  scale(out: Tensor, a: Tensor, s: number): void {
    v.checkBackend('scale', this.name, out, a);
    v.checkFinite('scale', 's', s);
    v.unary('scale', out, a);
    const [o, ap] = [this.ptr('scale', out), this.ptr('scale', a)];
    const f = Math.fround(s);
    if (s === 0 || (Number.isFinite(f) && Math.abs(f) >= 2 ** -126)) return this.k.scale_f32(o, ap, s, a.size);
    // s is outside f32's normal range (e.g. 1e-50, 1e45) but x·s may not be: scale by two f32 factors.
    const s1 = 2 ** Math.round(Math.log2(Math.abs(s)) / 2);
    this.k.scale_f32(o, ap, s1, a.size);
    this.k.scale_f32(o, o, s / s1, a.size);
  }

  silu(out: Tensor, a: Tensor): void {
    this.unaryOp('silu', out, a, this.k.silu_f32);
  }
  gelu(out: Tensor, a: Tensor): void {
    this.unaryOp('gelu', out, a, this.k.gelu_f32);
  }
  relu(out: Tensor, a: Tensor): void {
    this.unaryOp('relu', out, a, this.k.relu_f32);
  }
  sigmoid(out: Tensor, a: Tensor): void {
    this.unaryOp('sigmoid', out, a, this.k.sigmoid_f32);
  }
  exp(out: Tensor, a: Tensor): void {
    this.unaryOp('exp', out, a, this.k.exp_f32);
  }
  softplus(out: Tensor, a: Tensor): void {
    this.unaryOp('softplus', out, a, this.k.softplus_f32);
  }
  tanh(out: Tensor, a: Tensor): void {
    this.unaryOp('tanh', out, a, this.k.tanh_f32);
  }

  addRmsnorm(sum: Tensor, out: Tensor, a: Tensor, b: Tensor, w: Tensor, eps: number): void {
    const op = 'addRmsnorm';
    v.checkBackend(op, this.name, sum, out, a, b, w);
    v.checkFinite(op, 'eps', eps);
    const { rows, d } = v.addRmsnorm(op, sum, out, a, b, w);
    // Two SIMD kernels back to back: on the CPU there is no dispatch to save.
    this.k.add_f32(this.ptr(op, sum), this.ptr(op, a), this.ptr(op, b), a.size, b.size);
    this.k.rmsnorm_f32(this.ptr(op, out), this.ptr(op, sum), this.ptr(op, w), rows, d, eps);
  }

  siluMul(out: Tensor, g: Tensor, u: Tensor): void {
    this.gatedMul('siluMul', out, g, u, this.k.silu_f32);
  }

  geluTanhMul(out: Tensor, g: Tensor, u: Tensor): void {
    this.gatedMul('geluTanhMul', out, g, u, this.k.gelu_tanh_f32);
  }

  /** out = act(g) ⊙ u: the activation kernel into out, then mul. */
  private gatedMul(op: string, out: Tensor, g: Tensor, u: Tensor, act: (out: number, a: number, n: number) => void): void {
    v.checkBackend(op, this.name, out, g, u);
    v.siluMul(op, out, g, u);
    if (out === u && out !== g) {
      // the activation into out first would overwrite u: go through a temporary
      const t = this.tensor(g.shape, 'f32');
      try {
        act(this.ptr(op, t), this.ptr(op, g), g.size);
        this.k.mul_f32(this.ptr(op, out), this.ptr(op, t), this.ptr(op, u), g.size, u.size);
      } finally {
        this.free(t);
      }
      return;
    }
    act(this.ptr(op, out), this.ptr(op, g), g.size);
    this.k.mul_f32(this.ptr(op, out), this.ptr(op, out), this.ptr(op, u), g.size, u.size);
  }

  swiglu(out: Tensor, gu: Tensor): void {
    const op = 'swiglu';
    v.checkBackend(op, this.name, out, gu);
    const { rows, width: I } = v.swiglu(op, out, gu);
    const [o, x] = [this.ptr(op, out), this.ptr(op, gu)];
    // Per row: silu of the gate half into out, then times the up half (out and gu never overlap:
    // they are different tensors of different sizes).
    for (let r = 0; r < rows; r++) {
      const or = o + r * I * 4;
      const xr = x + r * 2 * I * 4;
      this.k.silu_f32(or, xr, I);
      this.k.mul_f32(or, or, xr + I * 4, I, I);
    }
  }

  rmsnorm(out: Tensor, x: Tensor, w: Tensor, eps: number): void {
    v.checkBackend('rmsnorm', this.name, out, x, w);
    v.checkFinite('rmsnorm', 'eps', eps);
    const { rows, d } = v.rowwise('rmsnorm', out, x, w);
    this.k.rmsnorm_f32(this.ptr('rmsnorm', out), this.ptr('rmsnorm', x), this.ptr('rmsnorm', w), rows, d, eps);
  }

  layernorm(out: Tensor, x: Tensor, w: Tensor, b: Tensor, eps: number): void {
    v.checkBackend('layernorm', this.name, out, x, w, b);
    v.checkFinite('layernorm', 'eps', eps);
    const { rows, d } = v.rowwise('layernorm', out, x, w, b);
    this.k.layernorm_f32(this.ptr('layernorm', out), this.ptr('layernorm', x), this.ptr('layernorm', w), this.ptr('layernorm', b), rows, d, eps);
  }

  softmax(out: Tensor, x: Tensor): void {
    v.checkBackend('softmax', this.name, out, x);
    const { rows, d } = v.rowwise('softmax', out, x);
    this.k.softmax_f32(this.ptr('softmax', out), this.ptr('softmax', x), rows, d);
  }

  rope(out: Tensor, x: Tensor, opts: RopeOptions): void {
    v.checkBackend('rope', this.name, out, x);
    const { headDim, pos, theta, style, freqFactors } = opts;
    const { rows, heads } = v.rope('rope', out, x, headDim, pos, theta, freqFactors);
    if (style !== 'half' && style !== 'interleaved') throw new SparrowError('INVALID_ARGUMENT', `rope: style must be 'half' or 'interleaved', got ${String(style)}`, { op: 'rope' });
    const [o, xp] = [this.ptr('rope', out), this.ptr('rope', x)];
    // scratch: f64 inverse frequencies (headDim/2) + f32 cos and sin tables (headDim each) + f64 factors
    this.withScratch(16 * headDim, (s) => this.k.rope_f32(o, xp, rows, heads, headDim, pos, theta, style === 'half' ? 0 : 1, s, this.ropeFactors(s, headDim, freqFactors)));
  }

  /** Copy RoPE frequency divisors (f64) past the kernel's 12·headDim scratch bytes; 0 when none. */
  private ropeFactors(scratch: number, headDim: number, factors: ArrayLike<number> | undefined): number {
    if (!factors) return 0;
    const at = scratch + 12 * headDim;
    new Float64Array(this.heap.memory.buffer, at, headDim / 2).set(factors);
    return at;
  }

  ropeQkv(q: Tensor, k: Tensor, vOut: Tensor, qkv: Tensor, opts: RopeOptions): void {
    const op = 'ropeQkv';
    v.checkBackend(op, this.name, q, k, vOut, qkv);
    const { headDim, pos, theta, style, freqFactors } = opts;
    const { rows, qW, kW, vW } = v.ropeQkv(op, q, k, vOut, qkv, headDim, pos, theta, freqFactors);
    if (style !== 'half' && style !== 'interleaved') throw new SparrowError('INVALID_ARGUMENT', `${op}: style must be 'half' or 'interleaved', got ${String(style)}`, { op });
    const [qp, kp, vp, xp] = [this.ptr(op, q), this.ptr(op, k), this.ptr(op, vOut), this.ptr(op, qkv)];
    const W = qW + kW + vW;
    const s = style === 'half' ? 0 : 1;
    // Row by row (the parts are strided in qkv): the rope kernel reads the q and k parts in place,
    // v is a byte copy.
    this.withScratch(16 * headDim, (sc) => {
      const f = this.ropeFactors(sc, headDim, freqFactors);
      for (let r = 0; r < rows; r++) {
        const xr = xp + r * W * 4;
        if (qW) this.k.rope_f32(qp + r * qW * 4, xr, 1, qW / headDim, headDim, pos + r, theta, s, sc, f);
        if (kW) this.k.rope_f32(kp + r * kW * 4, xr + qW * 4, 1, kW / headDim, headDim, pos + r, theta, s, sc, f);
        this.k.copy_bytes(vp + r * vW * 4, xr + (qW + kW) * 4, vW * 4);
      }
    });
  }

  embedding(out: Tensor, table: Tensor, ids: Tensor): void {
    v.checkBackend('embedding', this.name, out, table, ids);
    const { n, d, vocab } = v.embedding('embedding', out, table, ids);
    const [o, tp, ip] = [this.ptr('embedding', out), this.ptr('embedding', table), this.ptr('embedding', ids)];
    v.embeddingIds('embedding', new Int32Array(this.heap.memory.buffer, ip, n), vocab);
    if (table.dtype === 'bf16') return this.k.embedding_bf16(o, tp, ip, n, d);
    (table.dtype === 'f16' ? this.k.embedding_f16 : this.k.embedding_f32)(o, tp, ip, n, d);
    if (table.dtype === 'f16') embeddingF16Fix(this, o, table as WasmTensor, ip, n, d);
  }

  argmax(out: Tensor, x: Tensor): void {
    v.checkBackend('argmax', this.name, out, x);
    const { rows, v: n } = v.argmax('argmax', out, x);
    this.k.argmax_f32(this.ptr('argmax', out), this.ptr('argmax', x), rows, n);
  }

  copy(dst: Tensor, dstOffset: number, src: Tensor, srcOffset: number, count: number): void {
    v.checkBackend('copy', this.name, dst, src);
    v.copy('copy', dst, dstOffset, src, srcOffset, count);
    const elem = ELEM_BYTES[dst.dtype];
    if (elem === undefined) throw new SparrowError('UNSUPPORTED', `copy: dtype ${dst.dtype} is not element-addressable`, { op: 'copy' });
    this.k.copy_bytes(this.ptr('copy', dst) + dstOffset * elem, this.ptr('copy', src) + srcOffset * elem, count * elem);
  }

  fill(t: Tensor, value: number): void {
    const p = this.ptr('fill', t);
    if (t.dtype !== 'f32' && t.dtype !== 'i32') throw new SparrowError('UNSUPPORTED', `fill: dtype ${t.dtype} is not supported`, { op: 'fill' });
    // Same conversion a Float32Array / Int32Array fill would apply, as a 32-bit pattern.
    const bits = t.dtype === 'f32' ? new Uint32Array(Float32Array.of(value).buffer)[0] : Int32Array.of(value)[0];
    this.k.fill_u32(p, bits, t.size);
  }

  /** dst[i] = src[i] through the v128 copy kernel: the bandwidth ceiling benchmarks compare with. */
  memcopy(dst: Tensor, src: Tensor): void {
    v.checkBackend('memcopy', this.name, dst, src);
    v.unary('memcopy', dst, src);
    this.k.memcopy_f32(this.ptr('memcopy', dst), this.ptr('memcopy', src), src.size);
  }

  private unaryOp(op: string, out: Tensor, a: Tensor, kernel: (out: number, a: number, n: number) => void): void {
    v.checkBackend(op, this.name, out, a);
    v.unary(op, out, a);
    kernel(this.ptr(op, out), this.ptr(op, a), a.size);
  }

  /** Run `f` with a temporary block of linear memory (released afterwards, even on error). */
  /** win16's staged x, kept between calls (no first-fit heap walk per spmv; a decode step makes ~200). */
  private stage = { ptr: 0, bytes: 0 };
  private xStage(bytes: number): number {
    if (this.stage.bytes < bytes) {
      if (this.stage.bytes) this.heap.release(this.stage.ptr);
      this.stage = { ptr: this.heap.alloc(bytes), bytes };
    }
    return this.stage.ptr;
  }

  withScratch<T>(bytes: number, f: (ptr: number) => T): T {
    const p = this.heap.alloc(bytes);
    try {
      return f(p);
    } finally {
      this.heap.release(p);
    }
  }

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


function wasmAbort(): never {
  throw new SparrowError('INTERNAL', 'wasm: kernel aborted');
}
