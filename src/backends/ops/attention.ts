/**
 * Attention op family: windowed + log-stride + landmark sparse attention (spec:
 * /work/shared/specs/sparse-attention.md, the `ruvllm_sparse_attention` crate), a dense baseline that
 * models (Llama) use directly, a KV cache with running landmark means, and the FastGRNN salience gate.
 *
 * Layout (all f32 unless said): Tensor3 [seq][heads][dim] row-major, index (t·heads + h)·dim + d.
 *   q [S, Hq, D]; k, v [S, Hkv, D]; out [S, Hq, D]. GQA/MQA: Hq % Hkv == 0, q head h reads kv head
 *   floor(h / (Hq / Hkv)). denseAttention (with opts.headDim), kvAppend and sparseDecode (with the
 *   cache's dim) also take 2-D [S, H·D] tensors, so a model can pass its projection outputs as they are.
 *
 * ## How a model uses this (Llama-style, one KV cache per layer)
 * ```ts
 * const cache = createKvCache(b, { capacity: ctx, kvHeads, dim: headDim, dtype: 'f32' });  // per layer
 * // prefill n tokens at positions 0..n-1 (q,k,v are [n, H, D] after RoPE):
 * b.kvAppend(cache, k, v);                                   // rows 0..n-1, cache.length = n
 * b.denseAttention(out, q, cache.k, cache.v, { causal: true, pos: 0, kvLen: cache.length });
 * // decode one token at position p = cache.length (q,k,v are [1, H, D]):
 * b.kvAppend(cache, k1, v1);                                 // append FIRST, cache.length = p + 1
 * b.denseAttention(out1, q1, cache.k, cache.v, { causal: true, pos: p, kvLen: cache.length });
 * // or the O(window + log T) sparse decode against the same cache:
 * b.sparseDecode(out1, q1, cache, sparseConfig({ window: 64, blockSize: cache.blockSize }));
 * ```
 * `denseAttention` query row r sits at absolute position pos + r and (causal) sees cache rows
 * 0 … pos + r (with `window` w, only the last w of them); non-causal it sees rows 0 … kvLen − 1.
 * The cache may be f16 (binary16 storage).
 * `kvAppend` mutates `cache.length` synchronously (ops are enqueued in call order on every backend).
 */
import { SparrowError } from '../../errors.ts';
import type { Backend, Tensor } from '../backend.ts';

/** SparseAttentionConfig of the crate. Defaults: window 128, block 64, globals [0], causal, log, landmarks, unsorted. */
export interface SparseAttentionConfig {
  /** W: tokens i−W … i (causal) or i−W … i+W (non-causal) are always candidates. */
  window: number;
  /** B: landmark block size (a block's keys/values are averaged into one candidate). */
  blockSize: number;
  /** Global tokens, in order; out-of-range ones are skipped. */
  globalTokens: readonly number[];
  causal: boolean;
  /** Token strides i±1, 2, 4, … and (same flag) the block strides. */
  useLogStride: boolean;
  useLandmarks: boolean;
  /** Accumulate tokens, then blocks, each in ascending order (changes rounding only). */
  sortCandidates: boolean;
}

export const DEFAULT_SPARSE_CONFIG: SparseAttentionConfig = {
  window: 128,
  blockSize: 64,
  globalTokens: [0],
  causal: true,
  useLogStride: true,
  useLandmarks: true,
  sortCandidates: false,
};

/** The defaults with `c`'s fields over them; a field given as undefined keeps its default. */
export function sparseConfig(c: Partial<SparseAttentionConfig> = {}): SparseAttentionConfig {
  const out: SparseAttentionConfig = { ...DEFAULT_SPARSE_CONFIG };
  for (const [k, v] of Object.entries(c)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

export interface DenseAttentionOptions {
  /** Default true. */
  causal?: boolean;
  /** Absolute position of q row 0 (default 0). Causal row r sees key rows 0 … pos + r. */
  pos?: number;
  /** Valid key rows (default k.shape[0]); rows ≥ kvLen of a cache are ignored. */
  kvLen?: number;
  /** Score scale (default 1/sqrt(D) in f32). */
  scale?: number;
  /**
   * Sliding window (causal only): the query at absolute position p sees only the last `window`
   * positions, keys max(0, p − window + 1) … p, itself included (Gemma's / Mistral's local
   * attention, llama.cpp's LLAMA_SWA_TYPE_STANDARD). Absent or 0: every key 0 … p.
   */
  window?: number;
  /**
   * Attention logit soft-capping (Gemma 2's attn_logit_softcapping): each scaled score s becomes
   * cap · tanh(s / cap) before the softmax, so |score| < cap. Absent or 0: none.
   */
  softcap?: number;
  /**
   * Head dim, to pass q / k / v / out as 2-D [seq, heads·headDim] (a projection's output, no copy).
   * kvAppend and sparseDecode accept 2-D rows too, using the cache's dim.
   */
  headDim?: number;
}

/**
 * A KV cache held as backend tensors: k, v [capacity, kvHeads, dim] (f32 or f16 = binary16 RNE),
 * kMean, vMean [ceil(capacity / blockSize), kvHeads, dim] f32 running (Welford) block means of the
 * unrounded inputs. `length` is the number of valid rows.
 */
export interface KvCache {
  readonly k: Tensor;
  readonly v: Tensor;
  readonly kMean: Tensor;
  readonly vMean: Tensor;
  readonly capacity: number;
  readonly kvHeads: number;
  readonly dim: number;
  readonly blockSize: number;
  readonly dtype: 'f32' | 'f16';
  length: number;
}

export interface KvCacheOptions {
  capacity: number;
  kvHeads: number;
  dim: number;
  /** Landmark block size (default 64); must match the sparse config used with sparseDecode. */
  blockSize?: number;
  dtype?: 'f32' | 'f16';
}

/**
 * FastGRNN gate weights (separate gate and update weights, spec 1.8): wGate, wUpdate [Hd, Din];
 * uGate, uUpdate [Hd, Hd]; bGate, bUpdate [Hd]; all f32 tensors of the same backend.
 */
export interface FastGrnnGate {
  wGate: Tensor;
  uGate: Tensor;
  wUpdate: Tensor;
  uUpdate: Tensor;
  bGate: Tensor;
  bUpdate: Tensor;
  zeta: number;
  nu: number;
}

export interface AttentionOps {
  /** Sparse attention prefill (crate `forward` / `forward_gqa`): out [S,Hq,D] from q [S,Hq,D], k, v [S,Hkv,D]. */
  sparseAttention(out: Tensor, q: Tensor, k: Tensor, v: Tensor, cfg: SparseAttentionConfig): void;
  /**
   * `forward_gated`: like sparseAttention, but a token candidate j outside the window that is not i
   * and not global is kept only if keep[j] ≠ 0 (keep: f32 [S], 1 = keep). Landmarks are never gated.
   */
  sparseAttentionGated(out: Tensor, q: Tensor, k: Tensor, v: Tensor, keep: Tensor, cfg: SparseAttentionConfig): void;
  /** Dense softmax attention (MHA/GQA), causal or not, optionally against a KV cache (see header). */
  denseAttention(out: Tensor, q: Tensor, k: Tensor, v: Tensor, opts?: DenseAttentionOptions): void;
  /** Append n rows k, v [n, Hkv, D] (f32) at cache.length; updates the running block means; length += n. */
  kvAppend(cache: KvCache, k: Tensor, v: Tensor): void;
  /**
   * Sparse decode for the last cached position i = cache.length − 1 (append first): out, q [1, Hq, D].
   * Candidates T(i, len), L(i, len) under `cfg` (cfg.blockSize must equal cache.blockSize), using
   * the running landmark means. O(W + log len) per call. f16 caches never sort (as the crate).
   */
  sparseDecode(out: Tensor, q: Tensor, cache: KvCache, cfg: SparseAttentionConfig): void;
  /** FastGRNN `score_kv`: salience out [S] from k [S, H, Din] (mean over heads, then the recurrence). */
  fastgrnnSalience(out: Tensor, k: Tensor, gate: FastGrnnGate): void;
  /** keep_mask_top_k: out[j] = 1 for the k most salient j (ties → lower index), else 0. f32 [S]. */
  topkMask(out: Tensor, salience: Tensor, k: number): void;
}

// ---- helpers shared by every backend ------------------------------------------------------------

/** Allocate an empty cache on `b` (length 0, zero means). */
export function createKvCache(b: Backend, o: KvCacheOptions): KvCache {
  const blockSize = o.blockSize ?? 64;
  const dtype = o.dtype ?? 'f32';
  checkInt('createKvCache', 'capacity', o.capacity, 1);
  checkInt('createKvCache', 'kvHeads', o.kvHeads, 1);
  checkInt('createKvCache', 'dim', o.dim, 1);
  checkInt('createKvCache', 'blockSize', blockSize, 1);
  if (blockSize > 2 ** 30) {
    throw new SparrowError('INVALID_ARGUMENT', `createKvCache: blockSize must be ≤ 2^30, got ${blockSize}`, { op: 'createKvCache', blockSize });
  }
  if (dtype !== 'f32' && dtype !== 'f16') {
    throw new SparrowError('UNSUPPORTED', `createKvCache: dtype ${String(dtype)} is not supported (f32 | f16)`, { op: 'createKvCache', dtype });
  }
  const nb = Math.ceil(o.capacity / blockSize);
  return {
    k: b.tensor([o.capacity, o.kvHeads, o.dim], dtype),
    v: b.tensor([o.capacity, o.kvHeads, o.dim], dtype),
    kMean: b.tensor([nb, o.kvHeads, o.dim], 'f32'),
    vMean: b.tensor([nb, o.kvHeads, o.dim], 'f32'),
    capacity: o.capacity,
    kvHeads: o.kvHeads,
    dim: o.dim,
    blockSize,
    dtype,
    length: 0,
  };
}

/**
 * Empty the cache (crate `reset`). Stale means need no clearing: kvAppend overwrites a block's mean
 * with the first token it receives (Welford with n = 1 is exactly m = x).
 */
export function resetKvCache(c: KvCache): void {
  c.length = 0;
}

export function freeKvCache(b: Backend, c: KvCache): void {
  for (const t of [c.k, c.v, c.kMean, c.vMean]) b.free(t);
}

function checkInt(op: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) {
    throw new SparrowError('INVALID_ARGUMENT', `${op}: ${name} must be an integer ≥ ${min}, got ${v}`, { op, [name]: v });
  }
}
