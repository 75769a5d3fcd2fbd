/**
 * Operand and config checks of the attention family, shared by all backends so that a bad call
 * fails with the same SparrowError (code + message naming the parameter and shapes) everywhere.
 */
import { SparrowError, fmtShape } from '../../errors.ts';
import type { BackendName, Tensor } from '../backend.ts';
import { checkBackend, checkDtype } from '../validate.ts';
import type { DenseAttentionOptions, FastGrnnGate, KvCache, SparseAttentionConfig } from './attention.ts';

export interface AttnShape {
  /** Query rows. */
  s: number;
  hq: number;
  hkv: number;
  d: number;
  /** Key rows. */
  t: number;
  /** hq / hkv. */
  group: number;
}

function arg(op: string, name: string, detail: string, value: unknown): never {
  throw new SparrowError('INVALID_ARGUMENT', `${op}: ${name} ${detail}, got ${JSON.stringify(value)}`, { op, [name]: value });
}

function shapes(op: string, detail: string, ts: Record<string, Tensor>): never {
  const s = Object.entries(ts)
    .map(([k, t]) => `${k} ${fmtShape(t.shape)}`)
    .join(', ');
  throw new SparrowError('SHAPE_MISMATCH', `${op}: ${detail} (${s})`, {
    op,
    shapes: Object.fromEntries(Object.entries(ts).map(([k, t]) => [k, [...t.shape]])),
  });
}

const isNonNegInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

export function config(op: string, c: SparseAttentionConfig): void {
  if (!c || typeof c !== 'object') arg(op, 'config', 'must be a SparseAttentionConfig object', c);
  // ≤ 2^30 keeps every index sum of the wasm (i32) and WGSL (u32) kernels in range.
  if (!isNonNegInt(c.window) || c.window > 2 ** 30) arg(op, 'window', 'must be a non-negative integer ≤ 2^30', c.window);
  if (!isNonNegInt(c.blockSize) || c.blockSize === 0 || c.blockSize > 2 ** 30) arg(op, 'blockSize', 'must be a positive integer ≤ 2^30', c.blockSize);
  if (!Array.isArray(c.globalTokens) || !c.globalTokens.every(isNonNegInt)) arg(op, 'globalTokens', 'must be a list of non-negative integers', c.globalTokens);
  if (c.globalTokens.length > 64) arg(op, 'globalTokens', 'may hold at most 64 tokens', c.globalTokens.length);
  for (const f of ['causal', 'useLogStride', 'useLandmarks', 'sortCandidates'] as const) {
    if (typeof c[f] !== 'boolean') arg(op, f, 'must be a boolean', c[f]);
  }
}

/**
 * [seq, heads, dim] of a 3-D tensor, or of a 2-D [seq, heads·dim] one when the head dim is known
 * (a model's projection output can be passed without a copy: Backend has no reshape).
 */
function dims3(op: string, name: string, t: Tensor, headDim?: number): [number, number, number] {
  if (t.shape.length === 3) {
    if (headDim !== undefined && t.shape[2] !== headDim) shapes(op, `${name} dim ${t.shape[2]} must equal headDim ${headDim}`, { [name]: t });
    return t.shape as [number, number, number];
  }
  if (t.shape.length === 2 && headDim !== undefined) {
    const [s, w] = t.shape;
    if (w % headDim !== 0) shapes(op, `${name} row length ${w} must be a multiple of headDim ${headDim}`, { [name]: t });
    return [s, w / headDim, headDim];
  }
  shapes(op, `${name} must be 3-D [seq, heads, dim]${headDim !== undefined ? ' or 2-D [seq, heads·dim]' : ''}`, { [name]: t });
}

/** q [S,Hq,D], k, v [T,Hkv,D] with Hq % Hkv == 0, out like q. `sameSeq`: T must equal S. */
export function qkv(op: string, name: BackendName, out: Tensor, q: Tensor, k: Tensor, v: Tensor, sameSeq: boolean, kvDtypes: ('f32' | 'f16')[] = ['f32'], headDim?: number): AttnShape {
  checkBackend(op, name, out, q, k, v);
  // WebGPU cannot bind one buffer as both output and input, and on the CPU an aliased k/v would be
  // overwritten while still being read: reject it everywhere, with the same error.
  if (out === q || out === k || out === v) {
    throw new SparrowError('INVALID_ARGUMENT', `${op}: out must be a separate tensor, not q, k or v (out ${fmtShape(out.shape)})`, { op });
  }
  checkDtype(op, 'q', q, ['f32']);
  checkDtype(op, 'out', out, ['f32']);
  checkDtype(op, 'k', k, kvDtypes);
  checkDtype(op, 'v', v, kvDtypes);
  const [s, hq, d] = dims3(op, 'q', q, headDim);
  const [t, hkv, dk] = dims3(op, 'k', k, headDim);
  dims3(op, 'v', v, headDim);
  if (d === 0) shapes(op, 'dim must be positive', { q });
  if (hq === 0 || hkv === 0) shapes(op, 'heads must be positive', { q, k });
  if (k.shape.some((x, i) => x !== v.shape[i]) || k.dtype !== v.dtype) shapes(op, 'k and v must have the same shape and dtype', { k, v });
  if (dk !== d) shapes(op, `k dim ${dk} must equal q dim ${d}`, { q, k });
  if (hq % hkv !== 0) shapes(op, `q heads ${hq} must be a multiple of kv heads ${hkv} (GQA)`, { q, k });
  if (sameSeq && t !== s) shapes(op, `k seq ${t} must equal q seq ${s}`, { q, k });
  if (out.shape.length !== q.shape.length || out.shape.some((x, i) => x !== q.shape[i])) shapes(op, 'out must have the shape of q', { out, q });
  return { s, hq, hkv, d, t, group: hq / hkv };
}

export function sparse(op: string, name: BackendName, out: Tensor, q: Tensor, k: Tensor, v: Tensor, cfg: SparseAttentionConfig): AttnShape {
  config(op, cfg);
  return qkv(op, name, out, q, k, v, true);
}

export function gated(op: string, name: BackendName, out: Tensor, q: Tensor, k: Tensor, v: Tensor, keep: Tensor, cfg: SparseAttentionConfig): AttnShape {
  const sh = sparse(op, name, out, q, k, v, cfg);
  checkBackend(op, name, keep);
  checkDtype(op, 'keep', keep, ['f32']);
  if (keep.size !== sh.s) shapes(op, `keep mask must have ${sh.s} elements (one per token)`, { keep, q });
  return sh;
}

export function dense(op: string, name: BackendName, out: Tensor, q: Tensor, k: Tensor, v: Tensor, o: DenseAttentionOptions = {}): AttnShape & { causal: boolean; pos: number; kvLen: number; scale: number; window: number; softcap: number } {
  if (o.headDim !== undefined && (!Number.isInteger(o.headDim) || o.headDim < 1)) arg(op, 'headDim', 'must be a positive integer', o.headDim);
  const sh = qkv(op, name, out, q, k, v, false, ['f32', 'f16'], o.headDim);
  const causal = o.causal ?? true;
  if (typeof causal !== 'boolean') arg(op, 'causal', 'must be a boolean', causal);
  const pos = o.pos ?? 0;
  const kvLen = o.kvLen ?? sh.t;
  if (!isNonNegInt(pos)) arg(op, 'pos', 'must be a non-negative integer', pos);
  if (!isNonNegInt(kvLen) || kvLen > sh.t) arg(op, 'kvLen', `must be an integer in [0, ${sh.t}] (rows of k)`, kvLen);
  if (causal && pos + sh.s > kvLen) {
    throw new SparrowError('INDEX_OUT_OF_RANGE', `${op}: causal queries at positions ${pos}…${pos + sh.s - 1} need kvLen ≥ ${pos + sh.s}, got ${kvLen} (append to the cache first)`, { op, pos, kvLen });
  }
  const scale = o.scale ?? Math.fround(1 / Math.fround(Math.sqrt(sh.d)));
  if (!Number.isFinite(scale)) arg(op, 'scale', 'must be finite', scale);
  // 0 = no window; a window needs causal queries (a non-causal query has no "last w positions")
  const window = o.window ?? 0;
  if (!isNonNegInt(window) || window > 2 ** 30) arg(op, 'window', 'must be a non-negative integer ≤ 2^30 (0: no window)', window);
  if (window > 0 && !causal) arg(op, 'window', 'needs causal attention', window);
  // 0 = no soft-capping
  const softcap = o.softcap ?? 0;
  if (typeof softcap !== 'number' || !Number.isFinite(softcap) || softcap < 0) arg(op, 'softcap', 'must be a finite number ≥ 0 (0: none)', softcap);
  return { ...sh, causal, pos, kvLen, scale, window, softcap };
}

export function kvAppend(op: string, name: BackendName, c: KvCache, k: Tensor, v: Tensor): number {
  checkBackend(op, name, c.k, c.v, c.kMean, c.vMean, k, v);
  checkDtype(op, 'k', k, ['f32']);
  checkDtype(op, 'v', v, ['f32']);
  const [n, h, d] = dims3(op, 'k', k, c.dim);
  if (k.shape.length !== v.shape.length || k.shape.some((x, i) => x !== v.shape[i])) shapes(op, 'k and v must have the same shape', { k, v });
  if (h !== c.kvHeads || d !== c.dim) shapes(op, `rows must be [n, ${c.kvHeads}, ${c.dim}] to match the cache`, { k, cache: c.k });
  if (!isNonNegInt(c.length) || c.length > c.capacity) arg(op, 'cache.length', `must be an integer in [0, ${c.capacity}]`, c.length);
  if (c.length + n > c.capacity) {
    throw new SparrowError('INDEX_OUT_OF_RANGE', `${op}: cache overflow: appending ${n} rows to ${c.length} of capacity ${c.capacity}`, { op, length: c.length, n, capacity: c.capacity });
  }
  return n;
}

export function decode(op: string, name: BackendName, out: Tensor, q: Tensor, c: KvCache, cfg: SparseAttentionConfig): AttnShape {
  config(op, cfg);
  const sh = qkv(op, name, out, q, c.k, c.v, false, ['f32', 'f16'], c.dim);
  checkBackend(op, name, c.kMean, c.vMean);
  if (sh.s !== 1) shapes(op, 'decode takes one query row [1, Hq, D]', { q });
  if (cfg.blockSize !== c.blockSize) arg(op, 'blockSize', `must equal the cache's block size ${c.blockSize}`, cfg.blockSize);
  if (!isNonNegInt(c.length) || c.length > c.capacity) arg(op, 'cache.length', `must be an integer in [0, ${c.capacity}]`, c.length);
  return sh;
}

export function fastgrnn(op: string, name: BackendName, out: Tensor, k: Tensor, g: FastGrnnGate): { s: number; h: number; din: number; hd: number } {
  checkBackend(op, name, out, k, g.wGate, g.uGate, g.wUpdate, g.uUpdate, g.bGate, g.bUpdate);
  for (const [n, t] of [['out', out], ['k', k], ['wGate', g.wGate], ['uGate', g.uGate], ['wUpdate', g.wUpdate], ['uUpdate', g.uUpdate], ['bGate', g.bGate], ['bUpdate', g.bUpdate]] as const) {
    checkDtype(op, n, t, ['f32']);
  }
  const [s, h, din] = dims3(op, 'k', k);
  if (g.wGate.shape.length !== 2) shapes(op, 'wGate must be 2-D [hidden, input]', { wGate: g.wGate });
  const [hd, wdin] = g.wGate.shape;
  if (hd === 0) shapes(op, 'hidden dim must be positive', { wGate: g.wGate });
  if (wdin !== din) shapes(op, `gate input dim ${wdin} must equal k dim ${din}`, { wGate: g.wGate, k });
  const want = (t: Tensor, r: number, c: number | undefined, n: string) => {
    const ok = c === undefined ? t.shape.length === 1 && t.shape[0] === r : t.shape.length === 2 && t.shape[0] === r && t.shape[1] === c;
    if (!ok) shapes(op, `${n} must be [${c === undefined ? r : `${r}, ${c}`}]`, { [n]: t });
  };
  want(g.wUpdate, hd, din, 'wUpdate');
  want(g.uGate, hd, hd, 'uGate');
  want(g.uUpdate, hd, hd, 'uUpdate');
  want(g.bGate, hd, undefined, 'bGate');
  want(g.bUpdate, hd, undefined, 'bUpdate');
  if (out.size !== s) shapes(op, `out must have ${s} elements (one per token)`, { out, k });
  if (!Number.isFinite(g.zeta)) arg(op, 'zeta', 'must be finite', g.zeta);
  if (!Number.isFinite(g.nu)) arg(op, 'nu', 'must be finite', g.nu);
  return { s, h, din, hd };
}

export function topk(op: string, name: BackendName, out: Tensor, sal: Tensor, k: number): number {
  checkBackend(op, name, out, sal);
  checkDtype(op, 'out', out, ['f32']);
  checkDtype(op, 'salience', sal, ['f32']);
  if (out.size !== sal.size) shapes(op, 'out must have the size of salience', { out, salience: sal });
  if (!isNonNegInt(k)) arg(op, 'k', 'must be a non-negative integer', k);
  return sal.size;
}
