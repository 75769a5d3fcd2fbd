/**
 * The Mamba-2 mixer of one layer, as llama.cpp's build_mamba2_layer runs it: in_proj, whose rows are
 * [z (I) | x (I) | B (N) | C (N) | dt (heads)] → causal depthwise conv + SiLU over x, B and C → the
 * selective scan, per head h of P = I / heads channels:
 *   Δ = softplus(dt_h + dt_bias_h),  h ← exp(Δ·A_h) h + Δ·x Bᵀ,  y = h C + D_h x
 * → y ⊙ SiLU(z) → RMSNorm (ssm_norm; Falcon-H1 may have none) → out_proj. The layer's own input norm
 * and residual belong to the model that holds it: the Mamba2 model (every layer this mixer) and the
 * Llama model's Granite 4.0-H layers (`granitehybrid`: some layers this mixer, the others attention)
 * and Falcon-H1 layers (`falcon-h1`: this mixer beside attention in every layer).
 *
 * Written with the Mamba model's ops: the scan is the per-channel `selectiveScan` with A, D and the
 * dt bias repeated over each head's channels at load time, and the per-head dt spread to its channels
 * by a 0/1 [I, heads] matrix (one exact product per channel); in_proj and the conv are split by rows
 * into their parts at load, so every part lands contiguous. One group of B / C only (every
 * state-spaces/mamba2 release and the Granite 4.0-H models); more are refused when the config is read.
 * Tensors keep llama.cpp's names (ssm_in, ssm_conv1d, ssm_dt, ssm_a, ssm_d, ssm_norm, ssm_out), under
 * a prefix the holding model chooses.
 */
import { SparrowError } from '../errors.ts';
import type { Backend, Tensor } from '../backends/backend.ts';
import { linear } from './linear.ts';
import { loadLinear, loadLinearRows, type LinearLoadOptions } from './linear-weights.ts';
import type { ModelBackend } from './ops.ts';
import type { ConvRecurrentState } from './types.ts';
import { WeightMap, expectShape, uploadParam, type WeightFile } from './weights.ts';

/** The sizes one mixer needs (Mamba2Config and LlamaConfig.mamba2 both carry them). */
export interface Mamba2MixerShape {
  hiddenSize: number;
  intermediateSize: number;
  stateSize: number;
  convKernel: number;
  numHeads: number;
  /** B / C groups: 1 (checked by mamba2Check). */
  groups: number;
  /** Falcon-H1: ssm_norm may be absent (llama.cpp's TENSOR_NOT_REQUIRED; then y ⊙ SiLU(z) goes straight to out_proj). */
  normOptional?: boolean;
}

/** The conv's three channel groups, each with its own weights and state. */
export const MAMBA2_PARTS = ['x', 'B', 'C'] as const;

/** Channels of each conv part: x has I, B and C N each (one group). */
function widths(s: Mamba2MixerShape): Record<(typeof MAMBA2_PARTS)[number], number> {
  return { x: s.intermediateSize, B: s.stateSize, C: s.stateSize };
}

/** UNSUPPORTED / SHAPE_MISMATCH for a shape the mixer cannot run (before anything is uploaded). */
export function mamba2Check(s: Mamba2MixerShape, model: string): void {
  if (s.groups !== 1) throw new SparrowError('UNSUPPORTED', `${model}: ${s.groups} groups of B / C are not implemented (one is)`);
  if (s.intermediateSize % s.numHeads !== 0) throw new SparrowError('SHAPE_MISMATCH', `${model}: ${s.intermediateSize} SSM channels do not divide into ${s.numHeads} heads`);
}

/** Name of the per-model 0/1 matrix that spreads each head's dt to its channels. */
const SPREAD = '#mamba2-spread';

/**
 * Load one layer's mixer into `w`, every tensor under `name(llamaCppName)`; the dt spread matrix is
 * added once per WeightMap.
 */
export async function loadMamba2Mixer(w: WeightMap, file: WeightFile, name: (s: string) => string, s: Mamba2MixerShape, backend: Backend, opts: LinearLoadOptions = {}): Promise<void> {
  const { hiddenSize: H, intermediateSize: I, stateSize: N, convKernel: K, numHeads: NH } = s;
  const P = I / NH;
  const CC = I + 2 * N;
  const proj = 2 * I + 2 * N + NH;
  /** a per-head value repeated over the head's P channels (and `inner` columns each) */
  const perChannel = (v: Float32Array, inner = 1) => {
    const out = new Float32Array(I * inner);
    for (let ch = 0; ch < I; ch++) out.fill(v[Math.floor(ch / P)], ch * inner, (ch + 1) * inner);
    return out;
  };
  const inProj = name('ssm_in.weight');
  let r0 = 0;
  for (const [part, rows] of [['z', I], ['x', I], ['B', N], ['C', N], ['dt', NH]] as const) {
    w.set(`${inProj}#${part}`, await loadLinearRows(file, inProj, [proj, H], r0, r0 + rows, backend, opts));
    r0 += rows;
  }
  // only now (in_proj's shape has confirmed I and the heads against the file) anything sized by them
  if (!w.has(SPREAD)) {
    // dt of each head, spread to its channels: dtFull[T, I] = dt[T, heads] · Eᵀ with E[ch, h] = 1 in h's channels
    const spread = new Float32Array(I * NH);
    for (let ch = 0; ch < I; ch++) spread[ch * NH + Math.floor(ch / P)] = 1;
    w.set(SPREAD, backend.tensor([I, NH], 'f32', spread));
  }
  const conv = name('ssm_conv1d.weight');
  const bias = name('ssm_conv1d.bias');
  expectShape(file, conv, [CC, K]);
  const cw = await file.f32(conv);
  const cb = file.has(bias) ? (expectShape(file, bias, [CC]), await file.f32(bias)) : null;
  const wd = widths(s);
  let ch0 = 0;
  for (const part of MAMBA2_PARTS) {
    const n = wd[part];
    w.set(`${conv}#${part}`, backend.tensor([n, K], 'f32', cw.slice(ch0 * K, (ch0 + n) * K)));
    if (cb) w.set(`${bias}#${part}`, backend.tensor([n], 'f32', cb.slice(ch0, ch0 + n)));
    ch0 += n;
  }
  for (const [t, inner] of [['ssm_a', N], ['ssm_d', 1]] as const) {
    expectShape(file, name(t), [NH, 1]);
    w.set(`${name(t)}#ch`, backend.tensor(inner > 1 ? [I, inner] : [I], 'f32', perChannel(await file.f32(name(t)), inner)));
  }
  expectShape(file, name('ssm_dt.bias'), [NH]);
  w.set(`${name('ssm_dt.bias')}#ch`, backend.tensor([I], 'f32', perChannel(await file.f32(name('ssm_dt.bias')))));
  if (!s.normOptional || file.has(name('ssm_norm.weight'))) w.set(name('ssm_norm.weight'), await uploadParam(file, name('ssm_norm.weight'), [I], backend));
  w.set(name('ssm_out.weight'), await loadLinear(file, name('ssm_out.weight'), [H, I], backend, opts));
}

/** One layer's recurrent state: the conv windows of x, B and C and the SSM state [I, N]. */
export function newMamba2LayerState(b: Backend, s: Mamba2MixerShape): ConvRecurrentState {
  const wd = widths(s);
  return { conv: MAMBA2_PARTS.map((p) => b.tensor([wd[p], s.convKernel], 'f32')), state: b.tensor([s.intermediateSize, s.stateSize], 'f32') };
}

/** The mixer's working buffers for n rows (allocated once per forward from the model's scratch). */
export function mamba2Buffers(t: (shape: number[]) => Tensor, n: number, s: Mamba2MixerShape) {
  const { intermediateSize: I, stateSize: N, numHeads: NH } = s;
  return {
    z: t([n, I]),
    raw: { x: t([n, I]), B: t([n, N]), C: t([n, N]) },
    conv: { x: t([n, I]), B: t([n, N]), C: t([n, N]) },
    dtHeads: t([n, NH]),
    dt: t([n, I]),
    y: t([n, I]),
    yn: t([n, I]),
  };
}
export type Mamba2Buffers = ReturnType<typeof mamba2Buffers>;

/** o [n, H] = the mixer of the normed input h [n, H], advancing the layer's state by n tokens. */
export function runMamba2Mixer(b: ModelBackend, w: WeightMap, name: (s: string) => string, o: Tensor, h: Tensor, n: number, st: ConvRecurrentState, buf: Mamba2Buffers, eps: number): void {
  const W = (k: string) => w.get(k);
  const inProj = name('ssm_in.weight');
  const conv = name('ssm_conv1d.weight');
  const bias = name('ssm_conv1d.bias');
  linear(b, buf.z, h, W(`${inProj}#z`), n);
  MAMBA2_PARTS.forEach((part, j) => {
    linear(b, buf.raw[part], h, W(`${inProj}#${part}`), n);
    b.causalConv1d(buf.conv[part], buf.raw[part], W(`${conv}#${part}`), w.has(`${bias}#${part}`) ? W(`${bias}#${part}`) : null, st.conv[j], true);
  });
  linear(b, buf.dtHeads, h, W(`${inProj}#dt`), n);
  linear(b, buf.dt, buf.dtHeads, W(SPREAD), n);
  // y = (scan + D ⊙ x) ⊙ SiLU(z), Δ = softplus(dt + dt_bias)
  b.selectiveScan(buf.y, buf.conv.x, buf.dt, W(`${name('ssm_a')}#ch`), buf.conv.B, buf.conv.C, W(`${name('ssm_d')}#ch`), buf.z, W(`${name('ssm_dt.bias')}#ch`), st.state, true);
  const norm = name('ssm_norm.weight');
  if (w.has(norm)) b.rmsnorm(buf.yn, buf.y, W(norm), eps);
  linear(b, o, w.has(norm) ? buf.yn : buf.y, W(name('ssm_out.weight')), n);
}
