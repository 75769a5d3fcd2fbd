/**
 * The Gated DeltaNet linear attention of one layer, as llama.cpp's qwen35 graph runs it
 * (build_layer_attn_linear + build_delta_net_*): Qwen3.5's three of every four layers.
 *   [q | k | v] = attn_qkv · x, z = attn_gate · x, β = σ(ssm_beta · x), g = softplus(ssm_alpha · x + dt_bias) · A
 *   q, k, v → causal depthwise conv (ssm_conv1d, no bias) + SiLU; q, k L2-normalised per head; q · 1/√d
 *   per value head h (k heads tiled over the value heads: head h reads k head h mod kHeads), state S [d_v × d_k]:
 *     S ← e^g S;  S ← S + k ⊗ β (v − S k);  o = S q
 *   o → RMSNorm per head (ssm_norm) ⊙ SiLU(z) → ssm_out.
 * A is stored as −exp(A_log) (ssm_a), as for Mamba-2.
 *
 * The recurrence is RWKV-7's generalized delta rule (the `wkv7` op on every backend) with
 *   w = e^g, k' = k, v' = β v, a = k, b = −β e^g k, r = q / √d
 * (S[i][j] ← S[i][j]·w[j] + v'[i]·k'[j] + (Σ_j' a[j'] S[i][j'])·b[j]: the same update). Per-head scalars
 * (e^g, β) reach the head's channels through a 0/1 [channels, heads] matrix (one exact product each),
 * as the Mamba-2 mixer spreads its dt. attn_qkv and the conv are split by rows into their q / k / v
 * parts at load, so each part lands contiguous.
 */
import { SparrowError } from '../errors.ts';
import type { Backend, Tensor } from '../backends/backend.ts';
import { linear } from './linear.ts';
import { loadLinear, loadLinearRows, type LinearLoadOptions } from './linear-weights.ts';
import type { ModelBackend } from './ops.ts';
import type { ConvRecurrentState } from './types.ts';
import { WeightMap, expectShape, uploadParam, type WeightFile } from './weights.ts';

/** The sizes one layer needs (LlamaConfig.gatedDeltaNet plus the width). */
export interface GatedDeltaNetShape {
  hiddenSize: number;
  /** q / k heads (llama.cpp's ssm.group_count) and value heads (ssm.time_step_rank); kHeads divides vHeads. */
  kHeads: number;
  vHeads: number;
  /** Head size of q, k and v alike (ssm.state_size). */
  headDim: number;
  convKernel: number;
  /** RMSNorm ε, also the L2 norm's. */
  eps: number;
}

const PARTS = ['q', 'k', 'v'] as const;
/** Name of the per-model 0/1 matrix that spreads a per-head value to the head's channels. */
const SPREAD = '#gdn-spread';
/** Name of the per-model [d] weight 1/√d that turns rmsnorm into an L2 norm. */
const L2W = '#gdn-l2';

function widths(s: GatedDeltaNetShape): Record<(typeof PARTS)[number], number> {
  return { q: s.kHeads * s.headDim, k: s.kHeads * s.headDim, v: s.vHeads * s.headDim };
}

/** UNSUPPORTED / SHAPE_MISMATCH for a shape this layer cannot run (before anything is uploaded). */
export function gatedDeltaNetCheck(s: GatedDeltaNetShape, model: string): void {
  if (s.vHeads % s.kHeads !== 0) throw new SparrowError('SHAPE_MISMATCH', `${model}: ${s.vHeads} value heads are not a multiple of ${s.kHeads} key heads`);
}

/** Load one layer into `w`, every tensor under `name(llamaCppName)`. */
export async function loadGatedDeltaNet(w: WeightMap, file: WeightFile, name: (s: string) => string, s: GatedDeltaNetShape, backend: Backend, opts: LinearLoadOptions = {}): Promise<void> {
  const { hiddenSize: H, vHeads: NV, headDim: D, convKernel: K } = s;
  const C = NV * D;
  const wd = widths(s);
  const CC = wd.q + wd.k + wd.v;
  const qkv = name('attn_qkv.weight');
  const conv = name('ssm_conv1d.weight');
  // the file's shapes confirm the sizes before anything sized by them is allocated
  expectShape(file, qkv, [CC, H]);
  expectShape(file, conv, [CC, K]);
  expectShape(file, name('ssm_out.weight'), [H, C]);
  if (!w.has(SPREAD)) {
    const spread = new Float32Array(C * NV);
    for (let ch = 0; ch < C; ch++) spread[ch * NV + Math.floor(ch / D)] = 1;
    w.set(SPREAD, backend.tensor([C, NV], 'f32', spread));
    w.set(L2W, backend.tensor([D], 'f32', new Float32Array(D).fill(1 / Math.sqrt(D))));
  }
  const cw = await file.f32(conv);
  let r0 = 0;
  for (const part of PARTS) {
    w.set(`${qkv}#${part}`, await loadLinearRows(file, qkv, [CC, H], r0, r0 + wd[part], backend, opts));
    w.set(`${conv}#${part}`, backend.tensor([wd[part], K], 'f32', cw.slice(r0 * K, (r0 + wd[part]) * K)));
    r0 += wd[part];
  }
  w.set(name('attn_gate.weight'), await loadLinear(file, name('attn_gate.weight'), [C, H], backend, opts));
  for (const t of ['ssm_beta.weight', 'ssm_alpha.weight']) w.set(name(t), await loadLinear(file, name(t), [NV, H], backend, opts));
  for (const t of ['ssm_dt.bias', 'ssm_a']) w.set(name(t), await uploadParam(file, name(t), [NV], backend));
  w.set(name('ssm_norm.weight'), await uploadParam(file, name('ssm_norm.weight'), [D], backend));
  w.set(name('ssm_out.weight'), await loadLinear(file, name('ssm_out.weight'), [H, C], backend, opts));
}

/** One layer's recurrent state: the conv windows of q, k and v and S [vHeads, d, d]. */
export function newGatedDeltaNetState(b: Backend, s: GatedDeltaNetShape): ConvRecurrentState {
  const wd = widths(s);
  return { conv: PARTS.map((p) => b.tensor([wd[p], s.convKernel], 'f32')), state: b.tensor([s.vHeads, s.headDim, s.headDim], 'f32') };
}

/** The layer's working buffers for n rows (allocated once per forward from the model's scratch). */
export function gatedDeltaNetBuffers(t: (shape: number[]) => Tensor, n: number, s: GatedDeltaNetShape) {
  const { kHeads: NK, vHeads: NV, headDim: D } = s;
  const [KW, C] = [NK * D, NV * D];
  return {
    raw: { q: t([n, KW]), k: t([n, KW]), v: t([n, C]) },
    conv: { q: t([n, KW]), k: t([n, KW]), v: t([n, C]) },
    /** per-head rows for the L2 norms ([n·kHeads, d]) and the output norm ([n·vHeads, d]) */
    kRows: t([n * NK, D]),
    kNormed: t([n * NK, D]),
    vRows: t([n * NV, D]),
    vNormed: t([n * NV, D]),
    q: t([n, C]),
    k: t([n, C]),
    z: t([n, C]),
    heads: t([n, NV]),
    heads2: t([n, NV]),
    beta: t([n, NV]),
    w: t([n, C]),
    betaC: t([n, C]),
    a: t([n, C]),
    bb: t([n, C]),
    vb: t([n, C]),
    out: t([n, C]),
  };
}
export type GatedDeltaNetBuffers = ReturnType<typeof gatedDeltaNetBuffers>;

/** o [n, H] = the layer's linear attention of the normed input h [n, H], advancing its state by n tokens. */
export function runGatedDeltaNet(b: ModelBackend, w: WeightMap, name: (s: string) => string, o: Tensor, h: Tensor, n: number, st: ConvRecurrentState, buf: GatedDeltaNetBuffers, s: GatedDeltaNetShape): void {
  const W = (k: string) => w.get(k);
  const { kHeads: NK, vHeads: NV, headDim: D } = s;
  const [KW, C] = [NK * D, NV * D];
  const qkv = name('attn_qkv.weight');
  const conv = name('ssm_conv1d.weight');
  PARTS.forEach((part, j) => {
    linear(b, buf.raw[part], h, W(`${qkv}#${part}`), n);
    b.causalConv1d(buf.conv[part], buf.raw[part], W(`${conv}#${part}`), null, st.conv[j], true);
  });
  // q, k: L2 norm per head (rmsnorm with weight 1/√d and ε²/d: x / √(Σx² + ε²)), then tiled over the
  // value heads; q also · 1/√d
  for (const [src, dst, scale] of [[buf.conv.q, buf.q, 1 / Math.sqrt(D)], [buf.conv.k, buf.k, 1]] as const) {
    b.copy(buf.kRows, 0, src, 0, n * KW);
    b.rmsnorm(buf.kNormed, buf.kRows, W(L2W), (s.eps * s.eps) / D);
    if (scale !== 1) b.scale(buf.kRows, buf.kNormed, scale);
    const normed = scale !== 1 ? buf.kRows : buf.kNormed;
    if (NK === NV) b.copy(dst, 0, normed, 0, n * C);
    else for (let r = 0; r < n; r++) for (let rep = 0; rep < NV / NK; rep++) b.copy(dst, r * C + rep * KW, normed, r * KW, KW);
  }
  linear(b, buf.z, h, W(name('attn_gate.weight')), n);
  // β = σ(ssm_beta · x); e^g with g = softplus(ssm_alpha · x + dt_bias) · A (A < 0)
  linear(b, buf.heads, h, W(name('ssm_beta.weight')), n);
  b.sigmoid(buf.beta, buf.heads);
  linear(b, buf.heads, h, W(name('ssm_alpha.weight')), n);
  b.add(buf.heads2, buf.heads, W(name('ssm_dt.bias')));
  b.softplus(buf.heads, buf.heads2);
  b.mul(buf.heads2, buf.heads, W(name('ssm_a')));
  b.exp(buf.heads, buf.heads2);
  linear(b, buf.w, buf.heads, W(SPREAD), n);
  linear(b, buf.betaC, buf.beta, W(SPREAD), n);
  // the generalized delta rule: a = k, b = −β e^g k, v' = β v
  b.mul(buf.a, buf.betaC, buf.w);
  b.mul(buf.bb, buf.a, buf.k);
  b.scale(buf.a, buf.bb, -1);
  b.mul(buf.vb, buf.betaC, buf.conv.v);
  b.wkv7(buf.out, buf.q, buf.w, buf.k, buf.vb, buf.k, buf.a, st.state);
  // RMSNorm per head, ⊙ SiLU(z), out_proj
  b.copy(buf.vRows, 0, buf.out, 0, n * C);
  b.rmsnorm(buf.vNormed, buf.vRows, W(name('ssm_norm.weight')), s.eps);
  b.siluMul(buf.vb, buf.z, buf.vNormed); // elementwise: the [n·NV, D] rows are the [n, C] values
  linear(b, o, buf.vb, W(name('ssm_out.weight')), n);
}
