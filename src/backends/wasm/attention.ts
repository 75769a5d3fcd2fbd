/**
 * Attention op family on the wasm backend: validation (shared with every backend), scratch
 * allocation, and calls into assembly/attention.ts. All compute happens in the SIMD kernels.
 */
import { SparrowError } from '../../errors.ts';
import type { Tensor } from '../backend.ts';
import type { DenseAttentionOptions, FastGrnnGate, KvCache, SparseAttentionConfig } from '../ops/attention.ts';
import * as va from '../ops/attention-validate.ts';
import type { WasmBackend, WasmTensor } from './backend.ts';
import { restoreF16 } from './f16.ts';
import { threadedDenseAttention } from './threads-ops.ts';

/** The attention exports of build/sparrow.wasm (pointers are byte offsets). */
interface AttentionKernels {
  attn_block_means(dst: number, src: number, s: number, row: number, bsize: number): void;
  attn_sparse_scratch_bytes(w: number, ng: number, hq: number, hkv: number, d: number): number;
  attn_sparse_forward(out: number, q: number, k: number, v: number, km: number, vm: number, keep: number, s: number, hq: number, hkv: number, d: number, w: number, bsize: number, g: number, ng: number, flags: number, scratch: number): void;
  attn_sparse_tiled_scratch_bytes(s: number, w: number, ng: number, hq: number, hkv: number, d: number): number;
  attn_sparse_forward_tiled(out: number, q: number, k: number, v: number, km: number, vm: number, keep: number, s: number, hq: number, hkv: number, d: number, w: number, bsize: number, g: number, ng: number, flags: number, scratch: number): void;
  attn_sparse_decode(out: number, q: number, kc: number, vc: number, km: number, vm: number, len: number, hq: number, hkv: number, d: number, w: number, bsize: number, g: number, ng: number, flags: number, scratch: number): void;
  attn_kv_append(kc: number, vc: number, km: number, vm: number, ks: number, vs: number, n: number, len: number, row: number, bsize: number, f16: number): void;
  attn_dense(out: number, q: number, k: number, v: number, s: number, hq: number, hkv: number, d: number, causal: number, pos: number, kvLen: number, scale: number, f16: number, scratch: number, window: number, softcap: number): void;
  attn_dense_pairs(out: number, q: number, k: number, v: number, hq: number, hkv: number, d: number, flags: number, pos: number, kvLen: number, scaleBits: number, scratch: number, p0: number, p1: number, window: number, softcapBits: number): void;
  attn_fastgrnn(out: number, k: number, s: number, nh: number, din: number, hd: number, wg: number, ug: number, wu: number, uu: number, bg: number, bu: number, zeta: number, nu: number, scratch: number): void;
  attn_topk_mask(out: number, sal: number, n: number, k: number, scratch: number): void;
}

const CAUSAL = 1;
const LOG_STRIDE = 2;
const LANDMARKS = 4;
const SORT = 8;
const GATED = 16;
const KV_F16 = 32;

function kern(b: WasmBackend): AttentionKernels {
  return b.k as unknown as AttentionKernels;
}

function ptr(op: string, t: Tensor): number {
  const w = t as WasmTensor;
  if (w.freed) throw new SparrowError('INVALID_ARGUMENT', `${op}: tensor ${JSON.stringify(t.shape)} was freed`, { op });
  if (w.f16plan !== undefined) restoreF16(w); // a prepared f16 weight's original halves (./f16.ts)
  return w.ptr;
}

function flagsOf(c: SparseAttentionConfig): number {
  return (c.causal ? CAUSAL : 0) | (c.useLogStride ? LOG_STRIDE : 0) | (c.useLandmarks ? LANDMARKS : 0) | (c.sortCandidates ? SORT : 0);
}

/** Run `f` with temporary allocations (freed afterwards, also on error). */
function withScratch<T>(b: WasmBackend, sizes: number[], f: (...p: number[]) => T): T {
  const ps: number[] = [];
  try {
    for (const s of sizes) ps.push(b.heap.alloc(Math.max(16, s)));
    return f(...ps);
  } finally {
    for (const p of ps) b.heap.release(p);
  }
}

/** Global token list as i32 in linear memory. */
function writeGlobals(b: WasmBackend, p: number, g: readonly number[]): void {
  new Int32Array(b.heap.memory.buffer, p, g.length).set(g);
}

/**
 * Which wasm kernel runs a sparse forward: 'tiled' (assembly/attention-tiled.ts, four rows at a time,
 * the default) or 'rowwise' (assembly/attention.ts, one row at a time; kept for side-by-side benchmarks
 * and as a second implementation the tests compare against).
 */
export type SparseKernel = 'tiled' | 'rowwise';

function forward(b: WasmBackend, op: string, out: Tensor, q: Tensor, k: Tensor, v: Tensor, cfg: SparseAttentionConfig, sh: va.AttnShape, keep?: Tensor, kernel: SparseKernel = 'tiled'): void {
  const K = kern(b);
  const { s, hq, hkv, d } = sh;
  if (s === 0) return;
  const nb = Math.ceil(s / cfg.blockSize);
  const meanBytes = cfg.useLandmarks ? nb * hkv * d * 4 : 16;
  const g = cfg.globalTokens;
  // A window ≥ S selects the same tokens as W = S; clamping keeps the scratch size (2W + …) bounded.
  const w = Math.min(cfg.window, s);
  withScratch(b, [meanBytes, meanBytes, g.length * 4, kernel === 'tiled' ? K.attn_sparse_tiled_scratch_bytes(s, w, g.length, hq, hkv, d) : K.attn_sparse_scratch_bytes(w, g.length, hq, hkv, d)], (km, vm, gp, scratch) => {
    const [pq, pk, pv, po] = [q, k, v, out].map((t) => ptr(op, t));
    if (cfg.useLandmarks) {
      K.attn_block_means(km, pk, s, hkv * d, cfg.blockSize);
      K.attn_block_means(vm, pv, s, hkv * d, cfg.blockSize);
    }
    writeGlobals(b, gp, g);
    const flags = flagsOf(cfg) | (keep ? GATED : 0);
    const run = kernel === 'tiled' ? K.attn_sparse_forward_tiled : K.attn_sparse_forward;
    run(po, pq, pk, pv, km, vm, keep ? ptr(op, keep) : 0, s, hq, hkv, d, w, cfg.blockSize, gp, g.length, flags, scratch);
  });
}

export function sparseAttention(b: WasmBackend, out: Tensor, q: Tensor, k: Tensor, v: Tensor, cfg: SparseAttentionConfig): void {
  forward(b, 'sparseAttention', out, q, k, v, cfg, va.sparse('sparseAttention', b.name, out, q, k, v, cfg));
}

/** sparseAttention (or the gated form when `keep` is given) on a chosen kernel: for benchmarks and tests. */
export function sparseAttentionWith(b: WasmBackend, kernel: SparseKernel, out: Tensor, q: Tensor, k: Tensor, v: Tensor, cfg: SparseAttentionConfig, keep?: Tensor): void {
  const sh = keep ? va.gated('sparseAttentionGated', b.name, out, q, k, v, keep, cfg) : va.sparse('sparseAttention', b.name, out, q, k, v, cfg);
  forward(b, keep ? 'sparseAttentionGated' : 'sparseAttention', out, q, k, v, cfg, sh, keep, kernel);
}

export function sparseAttentionGated(b: WasmBackend, out: Tensor, q: Tensor, k: Tensor, v: Tensor, keep: Tensor, cfg: SparseAttentionConfig): void {
  forward(b, 'sparseAttentionGated', out, q, k, v, cfg, va.gated('sparseAttentionGated', b.name, out, q, k, v, keep, cfg), keep);
}

export function denseAttention(b: WasmBackend, out: Tensor, q: Tensor, k: Tensor, v: Tensor, opts?: DenseAttentionOptions): void {
  const op = 'denseAttention';
  const { s, hq, hkv, d, causal, pos, kvLen, scale, window, softcap } = va.dense(op, b.name, out, q, k, v, opts);
  if (s === 0) return;
  const [o, qp, kp, vp] = [ptr(op, out), ptr(op, q), ptr(op, k), ptr(op, v)];
  const f16 = k.dtype === 'f16' ? 1 : 0;
  const scratchBytes = 4 * d * 3 + 16;
  // multiply-adds: every pair scores and sums its keys (causal rows see pos + 1 … pos + s keys;
  // with a window, at most `window` each)
  const keys = causal ? s * pos + (s * (s + 1)) / 2 : s * kvLen;
  const work = 2 * d * hq * (window > 0 ? Math.min(keys, s * window) : keys);
  const [scaleBits, softcapBits] = new Int32Array(Float32Array.of(scale, softcap).buffer);
  if (b.pool && threadedDenseAttention(b, b.pool, s * hq, work, scratchBytes, (p0, p1, scratch) => [o, qp, kp, vp, hq, hkv, d, (causal ? 1 : 0) | (f16 << 1), pos, kvLen, scaleBits, scratch, p0, p1, window, softcapBits])) return;
  withScratch(b, [scratchBytes], (scratch) => {
    kern(b).attn_dense(o, qp, kp, vp, s, hq, hkv, d, causal ? 1 : 0, pos, kvLen, scale, f16, scratch, window, softcap);
  });
}

export function kvAppend(b: WasmBackend, c: KvCache, k: Tensor, v: Tensor): void {
  const op = 'kvAppend';
  const n = va.kvAppend(op, b.name, c, k, v);
  kern(b).attn_kv_append(ptr(op, c.k), ptr(op, c.v), ptr(op, c.kMean), ptr(op, c.vMean), ptr(op, k), ptr(op, v), n, c.length, c.kvHeads * c.dim, c.blockSize, c.dtype === 'f16' ? 1 : 0);
  c.length += n;
}

export function sparseDecode(b: WasmBackend, out: Tensor, q: Tensor, c: KvCache, cfg: SparseAttentionConfig): void {
  const op = 'sparseDecode';
  const { hq, hkv, d } = va.decode(op, b.name, out, q, c, cfg);
  const K = kern(b);
  const g = cfg.globalTokens;
  // The f16 cache never sorts (crate decode_step_f16).
  const flags = c.dtype === 'f16' ? (flagsOf(cfg) & ~SORT) | KV_F16 : flagsOf(cfg);
  const w = Math.min(cfg.window, c.length); // same tokens, bounded scratch (see forward)
  withScratch(b, [g.length * 4, K.attn_sparse_scratch_bytes(w, g.length, hq, hkv, d)], (gp, scratch) => {
    writeGlobals(b, gp, g);
    K.attn_sparse_decode(ptr(op, out), ptr(op, q), ptr(op, c.k), ptr(op, c.v), ptr(op, c.kMean), ptr(op, c.vMean), c.length, hq, hkv, d, w, cfg.blockSize, gp, g.length, flags, scratch);
  });
}

export function fastgrnnSalience(b: WasmBackend, out: Tensor, k: Tensor, g: FastGrnnGate): void {
  const op = 'fastgrnnSalience';
  const { s, h, din, hd } = va.fastgrnn(op, b.name, out, k, g);
  withScratch(b, [(din + 2 * hd) * 4], (scratch) => {
    const w = [g.wGate, g.uGate, g.wUpdate, g.uUpdate, g.bGate, g.bUpdate].map((t) => ptr(op, t));
    kern(b).attn_fastgrnn(ptr(op, out), ptr(op, k), s, h, din, hd, w[0], w[1], w[2], w[3], w[4], w[5], g.zeta, g.nu, scratch);
  });
}

export function topkMask(b: WasmBackend, out: Tensor, salience: Tensor, k: number): void {
  const op = 'topkMask';
  const n = va.topk(op, b.name, out, salience, k);
  withScratch(b, [n * 8], (scratch) => kern(b).attn_topk_mask(ptr(op, out), ptr(op, salience), n, k, scratch));
}
