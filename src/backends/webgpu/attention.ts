/**
 * Attention op family on the WebGPU backend: shared validation, then dispatches of
 * shaders/attention.wgsl, compiled once per head dim (a constant there). Limits of this port (typed
 * UNSUPPORTED errors): head dim ≤ 256 (private accumulator), ≤ 48 global tokens (they travel in the uniform), FastGRNN hidden ≤ 64 and input ≤ 256.
 * sort_candidates is accepted but not applied: the kernel accumulates in the unsorted order, which
 * changes only rounding (spec 1.5: ≤ 3.6e-7).
 */
import { SparrowError } from '../../errors.ts';
import type { Tensor } from '../backend.ts';
import type { DenseAttentionOptions, FastGrnnGate, KvCache, SparseAttentionConfig } from '../ops/attention.ts';
import * as va from '../ops/attention-validate.ts';
import type { GpuTensor, WebGpuBackend } from './backend.ts';
import { f32, grid, u32, type GpuParam } from './device.ts';
import wgsl from '../../../shaders/attention.wgsl?raw';

const FAMILY = 'attention';
const MAX_D = 256;
const MAX_GLOBALS = 48;
const CAUSAL = 1;
const LOG_STRIDE = 2;
const LANDMARKS = 4;
const GATED = 16;
const KV_F16 = 32;

function buf(b: WebGpuBackend, op: string, t: Tensor): GPUBuffer {
  const g = t as GpuTensor;
  if (g.freed) throw new SparrowError('INVALID_ARGUMENT', `${op}: tensor ${JSON.stringify(t.shape)} was freed`, { op });
  b.gpu.checkAlive(op);
  return g.buffer;
}

function unsupported(op: string, what: string, details: Record<string, unknown>): never {
  throw new SparrowError('UNSUPPORTED', `${op}: ${what} on the webgpu backend`, { op, ...details });
}

function checkDim(op: string, d: number): void {
  if (d > MAX_D) unsupported(op, `head dim ${d} is above ${MAX_D}`, { dim: d });
}

/** The module for head dim hd (HD substituted; see the header of attention.wgsl). */
const sources = new Map<number, string>();
function source(hd: number): string {
  let s = sources.get(hd);
  if (!s) {
    s = wgsl.replace(/const HD: u32 = \d+u;/, `const HD: u32 = ${hd}u;`);
    sources.set(hd, s);
  }
  return s;
}

/** Dispatch `threads` invocations of `entry` from the module built for head dim hd (1: kernels without one). */
function dispatch(b: WebGpuBackend, entry: string, params: GpuParam[], buffers: GPUBuffer[], threads: number, hd = 1, writes = 1): void {
  const [gx, gy] = grid(Math.ceil(threads / 64));
  b.gpu.dispatch(`${FAMILY}-d${hd}`, source(hd), entry, params, buffers, [gx, gy], writes);
}

/**
 * Below this many (row, head) pairs a dispatch cannot fill a GPU with one invocation per pair, so
 * sparse_attend_lanes splits each pair's candidates over 32 lanes (decode); above it, sparse_attend.
 */
const LANES_BELOW = 2048;

/** Workgroups of the chosen sparse kernel for nq rows. */
function sparseGroups(nq: number, hq: number): number {
  return nq * hq < LANES_BELOW ? nq * hq : Math.ceil((nq * hq) / 64);
}

function sparseParams(s: number, i0: number, nq: number, sh: { hq: number; hkv: number; d: number }, cfg: SparseAttentionConfig, flags: number): GpuParam[] {
  const [gx] = grid(sparseGroups(nq, sh.hq));
  const g = cfg.globalTokens;
  const globals = Array.from({ length: MAX_GLOBALS }, (_, x) => u32(x < g.length ? g[x] : 0));
  const scale = Math.fround(1 / Math.fround(Math.sqrt(sh.d)));
  // window clamped to S: the same tokens, and i + W cannot overflow u32
  return [u32(s), u32(i0), u32(nq), u32(sh.hq), u32(sh.hkv), u32(sh.d), u32(Math.min(cfg.window, s)), u32(cfg.blockSize), u32(g.length), u32(flags), u32(gx), f32(scale), ...globals];
}

function flagsOf(c: SparseAttentionConfig): number {
  return (c.causal ? CAUSAL : 0) | (c.useLogStride ? LOG_STRIDE : 0) | (c.useLandmarks ? LANDMARKS : 0);
}

function checkSparse(op: string, d: number, cfg: SparseAttentionConfig): void {
  checkDim(op, d);
  if (cfg.globalTokens.length > MAX_GLOBALS) unsupported(op, `${cfg.globalTokens.length} global tokens are more than ${MAX_GLOBALS}`, { globals: cfg.globalTokens.length });
}

function forward(b: WebGpuBackend, op: string, out: Tensor, q: Tensor, k: Tensor, v: Tensor, cfg: SparseAttentionConfig, sh: va.AttnShape, keep?: Tensor): void {
  const { s, hkv, d } = sh;
  checkSparse(op, d, cfg);
  if (s === 0) return;
  const row = hkv * d;
  const nb = Math.ceil(s / cfg.blockSize);
  const [bo, bq, bk, bv] = [out, q, k, v].map((t) => buf(b, op, t));
  let km = bk;
  let vm = bv;
  if (cfg.useLandmarks) {
    // landmark means: scratch reused across calls (dispatches in one pass run in order)
    km = b.gpu.scratchBuffer('attention-km', nb * row * 4, 'sparseAttention');
    vm = b.gpu.scratchBuffer('attention-vm', nb * row * 4, 'sparseAttention');
    const [gx] = grid(Math.ceil((nb * row) / 64));
    const mp = [u32(s), u32(row), u32(cfg.blockSize), u32(nb), u32(gx)];
    dispatch(b, 'block_means', mp, [km, bk], nb * row);
    dispatch(b, 'block_means', mp, [vm, bv], nb * row);
  }
  const flags = flagsOf(cfg) | (keep ? GATED : 0);
  sparseDispatch(b, sparseParams(s, 0, s, sh, cfg, flags), [bo, bq, bk, bv, km, vm, keep ? buf(b, op, keep) : bq], s, sh.hq, d);
}

function sparseDispatch(b: WebGpuBackend, params: GpuParam[], bufs: GPUBuffer[], nq: number, hq: number, d: number): void {
  const entry = nq * hq < LANES_BELOW ? 'sparse_attend_lanes' : 'sparse_attend';
  b.gpu.dispatch(`${FAMILY}-d${d}`, source(d), entry, params, bufs, grid(sparseGroups(nq, hq)));
}

export function sparseAttention(b: WebGpuBackend, out: Tensor, q: Tensor, k: Tensor, v: Tensor, cfg: SparseAttentionConfig): void {
  forward(b, 'sparseAttention', out, q, k, v, cfg, va.sparse('sparseAttention', b.name, out, q, k, v, cfg));
}

export function sparseAttentionGated(b: WebGpuBackend, out: Tensor, q: Tensor, k: Tensor, v: Tensor, keep: Tensor, cfg: SparseAttentionConfig): void {
  forward(b, 'sparseAttentionGated', out, q, k, v, cfg, va.gated('sparseAttentionGated', b.name, out, q, k, v, keep, cfg), keep);
}

/**
 * Split-K plan for dense attention: how many key parts per (row, head), and keys per part (a
 * multiple of 32, at most 256 = one chunk of the kernel), or null for one workgroup per pair.
 * Splitting pays when there are few pairs (a decode row: one per head) and more keys than one
 * part: enough parts that ~512 workgroups run (an H100 has 132 SMs), parts of at least 64 keys.
 */
export function denseSplit(pairs: number, maxKeys: number): { parts: number; partKeys: number } | null {
  if (!denseSplitControl.enabled) return null;
  if (pairs >= SPLIT_BELOW_PAIRS || maxKeys <= SPLIT_MIN_KEYS) return null;
  const want = Math.max(Math.ceil(maxKeys / 256), Math.min(Math.ceil(maxKeys / SPLIT_MIN_KEYS), Math.ceil(SPLIT_TARGET_GROUPS / pairs)));
  const partKeys = Math.min(256, Math.ceil(Math.ceil(maxKeys / want) / 32) * 32);
  const parts = Math.ceil(maxKeys / partKeys);
  return parts > 1 ? { parts, partKeys } : null;
}
/** Switch for side-by-side benchmarks only (bench/cases/attention.ts, 'unsplit' case). */
export const denseSplitControl = { enabled: true };
const SPLIT_BELOW_PAIRS = 128;
const SPLIT_MIN_KEYS = 64;
const SPLIT_TARGET_GROUPS = 512;

/**
 * dense_attend: one workgroup (64 threads) per (row, head), keys in chunks; or, for few pairs and
 * many keys, dense_attend_part over key parts + dense_merge (shaders/attention.wgsl).
 */
function denseDispatch(b: WebGpuBackend, s: number, hq: number, hkv: number, d: number, causal: boolean, pos: number, kvLen: number, f16: boolean, scale: number, bufs: GPUBuffer[], window = 0, softcap = 0): void {
  const keys = causal ? pos + s : kvLen;
  const split = denseSplit(s * hq, window > 0 ? Math.min(window, keys) : keys);
  const parts = split?.parts ?? 1;
  const params = (gx: number) => [u32(s), u32(hq), u32(hkv), u32(d), u32(causal ? 1 : 0), u32(pos), u32(kvLen), u32(f16 ? 1 : 0), u32(gx), f32(scale), u32(parts), u32(split?.partKeys ?? 0), u32(window), f32(softcap), f32(softcap > 0 ? 1 / softcap : 0)];
  if (!split) {
    const [gx, gy] = grid(s * hq);
    b.gpu.dispatch(`${FAMILY}-d${d}`, source(d), 'dense_attend', params(gx), bufs, [gx, gy]);
    return;
  }
  const [out, q, k, v] = bufs;
  // partial softmax states [pair][part][2 + d] f32
  const part = b.gpu.scratchBuffer('attention-partials', s * hq * parts * (d + 2) * 4, 'denseAttention');
  const [px, py] = grid(s * hq * parts);
  b.gpu.dispatch(`${FAMILY}-d${d}`, source(d), 'dense_attend_part', params(px), [part, q, k, v], [px, py]);
  const [gx, gy] = grid(s * hq);
  b.gpu.dispatch(`${FAMILY}-d${d}`, source(d), 'dense_merge', params(gx), [out, part], [gx, gy]);
}

export function denseAttention(b: WebGpuBackend, out: Tensor, q: Tensor, k: Tensor, v: Tensor, opts?: DenseAttentionOptions): void {
  const op = 'denseAttention';
  const { s, hq, hkv, d, causal, pos, kvLen, scale, window, softcap } = va.dense(op, b.name, out, q, k, v, opts);
  checkDim(op, d);
  if (s === 0) return;
  denseDispatch(b, s, hq, hkv, d, causal, pos, kvLen, k.dtype === 'f16', scale, [out, q, k, v].map((t) => buf(b, op, t)), window, softcap);
}

export function kvAppend(b: WebGpuBackend, c: KvCache, k: Tensor, v: Tensor): void {
  const op = 'kvAppend';
  const n = va.kvAppend(op, b.name, c, k, v);
  if (n === 0) return;
  const row = c.kvHeads * c.dim;
  const f16 = c.dtype === 'f16';
  const e0 = c.length * row;
  const e1 = (c.length + n) * row;
  const rowThreads = f16 ? Math.floor((e1 - 1) / 2) - Math.floor(e0 / 2) + 1 : e1 - e0;
  const [kc, vc, km, vm, ks, vs] = [c.k, c.v, c.kMean, c.vMean, k, v].map((t) => buf(b, op, t));
  // rows and landmark means in one dispatch (shaders/attention.wgsl kv_append)
  const threads = Math.max(rowThreads, row);
  const params = [u32(c.length), u32(n), u32(row), u32(c.blockSize), u32(f16 ? 1 : 0), u32(grid(Math.ceil(threads / 64))[0])];
  dispatch(b, 'kv_append', params, [kc, vc, km, vm, ks, vs], threads, 1, 4); // the 4 written first
  c.length += n;
}

export function sparseDecode(b: WebGpuBackend, out: Tensor, q: Tensor, c: KvCache, cfg: SparseAttentionConfig): void {
  const op = 'sparseDecode';
  const sh = va.decode(op, b.name, out, q, c, cfg);
  checkSparse(op, sh.d, cfg);
  const bufs = [out, q, c.k, c.v, c.kMean, c.vMean].map((t) => buf(b, op, t));
  if (c.length === 0) {
    // Empty cache → zeros (the crate's result): a dense pass over zero keys writes exactly that.
    denseDispatch(b, 1, sh.hq, sh.hkv, sh.d, false, 0, 0, false, 1, bufs.slice(0, 4));
    return;
  }
  const flags = flagsOf(cfg) | (c.dtype === 'f16' ? KV_F16 : 0);
  sparseDispatch(b, sparseParams(c.length, c.length - 1, 1, sh, cfg, flags), [...bufs, bufs[1]], 1, sh.hq, sh.d);
}

export function fastgrnnSalience(b: WebGpuBackend, out: Tensor, k: Tensor, g: FastGrnnGate): void {
  const op = 'fastgrnnSalience';
  const { s, h, din, hd } = va.fastgrnn(op, b.name, out, k, g);
  if (hd > 64 || din > 256) unsupported(op, `gate hidden ${hd} > 64 or input ${din} > 256`, { hidden: hd, input: din });
  if (s === 0) return;
  const bufs = [out, k, g.wGate, g.uGate, g.wUpdate, g.uUpdate, g.bGate, g.bUpdate].map((t) => buf(b, op, t));
  b.gpu.dispatch(`${FAMILY}-d1`, source(1), 'fastgrnn', [u32(s), u32(h), u32(din), u32(hd), f32(g.zeta), f32(g.nu)], bufs, [1]);
}

export function topkMask(b: WebGpuBackend, out: Tensor, salience: Tensor, k: number): void {
  const op = 'topkMask';
  const n = va.topk(op, b.name, out, salience, k);
  if (n === 0) return;
  const [gx] = grid(Math.ceil(n / 64));
  dispatch(b, 'topk_mask', [u32(n), u32(Math.min(k, n)), u32(gx)], [buf(b, op, out), buf(b, op, salience)], n);
}
