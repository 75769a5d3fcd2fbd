/**
 * Mamba-2, as llama.cpp runs its `mamba2` GGUF files (build_mamba2_layer). Per block:
 * RMSNorm → in_proj, whose rows are [z (I) | x (I) | B (G·N) | C (G·N) | dt (heads)] → causal
 * depthwise conv + SiLU over x, B and C → the selective scan, per head h of P = I / heads channels:
 *   Δ = softplus(dt_h + dt_bias_h),  h ← exp(Δ·A_h) h + Δ·x Bᵀ,  y = h C + D_h x
 * → y ⊙ SiLU(z) → RMSNorm (ssm_norm, per group) → out_proj → residual.
 *
 * Written with the Mamba model's ops: the scan is the per-channel `selectiveScan` with A, D and the
 * dt bias repeated over each head's channels at load time, and the per-head dt spread to its
 * channels by a 0/1 [I, heads] matrix (one exact product per channel); in_proj and the conv are
 * split by rows into their parts at load, so every part lands contiguous. One group of B / C
 * (every state-spaces/mamba2 release); more are refused when the config is read.
 * Weights keep llama.cpp's names (blk.N.ssm_*): there is no Hugging Face reader yet.
 */
import { SparrowError } from '../errors.ts';
import type { Backend, Tensor } from '../backends/backend.ts';
import type { Mamba2Config } from '../formats/hf-config.ts';
import { linear } from './linear.ts';
import { loadLinear, loadLinearRows, type LinearLoadOptions } from './linear-weights.ts';
import { need, type ModelBackend } from './ops.ts';
import { Scratch } from './scratch.ts';
import { RecurrentLM, RecurrentState, headRows } from './forward-lm.ts';
import { embedTokens, hostEmbeddingOf, type HostEmbedding } from './token-embedding.ts';
import type { CausalLM } from './types.ts';
import { WeightMap, expectShape, uploadChecked, uploadParam, type WeightFile } from './weights.ts';

const L = (i: number, s: string) => `blk.${i}.${s}`;
const EMBED = 'token_embd.weight';
/** The conv's three channel groups, each with its own weights and state. */
const PARTS = ['x', 'B', 'C'] as const;

export class Mamba2State extends RecurrentState {
  constructor(
    b: Backend,
    /** Per layer and part (x, B, C): the conv window [channels, K], oldest first. */
    readonly conv: Tensor[][],
    /** Per layer: the SSM state [I, N] (llama.cpp's {N, P, heads}). */
    readonly ssm: Tensor[],
    vocab: number,
  ) {
    super(b, vocab);
  }
  protected tensors(): Tensor[] {
    return [...this.conv.flat(), ...this.ssm];
  }
}

export interface Mamba2Options extends LinearLoadOptions {}

export class Mamba2 extends RecurrentLM<Mamba2State> implements CausalLM {
  readonly family = 'mamba2' as const;
  private readonly b: ModelBackend;

  private constructor(
    readonly backend: Backend,
    readonly config: Mamba2Config,
    readonly weights: WeightMap,
    /** A block-quantized table (Q8_0, …) is looked up on the host. */
    private readonly hostEmbed: HostEmbedding | undefined,
  ) {
    super(config);
    this.b = need(backend, 'causalConv1d', 'selectiveScan');
  }

  static linearNames(c: Mamba2Config): string[] {
    const out: string[] = [];
    for (let i = 0; i < c.numLayers; i++) out.push(L(i, 'ssm_in.weight'), L(i, 'ssm_out.weight'));
    return out;
  }

  /** Channels of each conv part: x has I, B and C N each (one group). */
  private static widths(c: Mamba2Config): Record<(typeof PARTS)[number], number> {
    return { x: c.intermediateSize, B: c.stateSize, C: c.stateSize };
  }

  static async load(backend: Backend, config: Mamba2Config, file: WeightFile, opts: Mamba2Options = {}): Promise<Mamba2> {
    const c = config;
    const { hiddenSize: H, intermediateSize: I, stateSize: N, convKernel: K, numHeads: NH } = c;
    if (c.groups !== 1) throw new SparrowError('UNSUPPORTED', `mamba2: ${c.groups} groups of B / C are not implemented`);
    const P = I / NH;
    const CC = I + 2 * N;
    const proj = 2 * I + 2 * N + NH;
    /** a per-head value repeated over the head's P channels (and `inner` columns each) */
    const perChannel = (v: Float32Array, inner = 1) => {
      const out = new Float32Array(I * inner);
      for (let ch = 0; ch < I; ch++) out.fill(v[Math.floor(ch / P)], ch * inner, (ch + 1) * inner);
      return out;
    };
    const w = new WeightMap(backend);
    try {
      const param = async (name: string, shape: number[]) => w.set(name, await uploadParam(file, name, shape, backend));
      w.set(EMBED, await uploadChecked(file, EMBED, [c.vocabSize, H], backend));
      // dt of each head, spread to its channels: dtFull[T, I] = dt[T, heads] · Eᵀ with E[ch, h] = 1 in h's channels
      const spread = new Float32Array(I * NH);
      for (let ch = 0; ch < I; ch++) spread[ch * NH + Math.floor(ch / P)] = 1;
      w.set('#spread', backend.tensor([I, NH], 'f32', spread));
      const widths = Mamba2.widths(c);
      for (let i = 0; i < c.numLayers; i++) {
        await param(L(i, 'attn_norm.weight'), [H]);
        const inProj = L(i, 'ssm_in.weight');
        let r0 = 0;
        for (const [part, rows] of [['z', I], ['x', I], ['B', N], ['C', N], ['dt', NH]] as const) {
          w.set(`${inProj}#${part}`, await loadLinearRows(file, inProj, [proj, H], r0, r0 + rows, backend, opts));
          r0 += rows;
        }
        const conv = L(i, 'ssm_conv1d.weight');
        expectShape(file, conv, [CC, K]);
        const cw = await file.f32(conv);
        const cb = file.has(L(i, 'ssm_conv1d.bias')) ? (expectShape(file, L(i, 'ssm_conv1d.bias'), [CC]), await file.f32(L(i, 'ssm_conv1d.bias'))) : null;
        let ch0 = 0;
        for (const part of PARTS) {
          const n = widths[part];
          w.set(`${conv}#${part}`, backend.tensor([n, K], 'f32', cw.slice(ch0 * K, (ch0 + n) * K)));
          if (cb) w.set(`${L(i, 'ssm_conv1d.bias')}#${part}`, backend.tensor([n], 'f32', cb.slice(ch0, ch0 + n)));
          ch0 += n;
        }
        for (const [name, inner] of [['ssm_a', N], ['ssm_d', 1]] as const) {
          expectShape(file, L(i, name), [NH, 1]);
          w.set(`${L(i, name)}#ch`, backend.tensor(inner > 1 ? [I, inner] : [I], 'f32', perChannel(await file.f32(L(i, name)), inner)));
        }
        expectShape(file, L(i, 'ssm_dt.bias'), [NH]);
        w.set(`${L(i, 'ssm_dt.bias')}#ch`, backend.tensor([I], 'f32', perChannel(await file.f32(L(i, 'ssm_dt.bias')))));
        await param(L(i, 'ssm_norm.weight'), [I]);
        w.set(L(i, 'ssm_out.weight'), await loadLinear(file, L(i, 'ssm_out.weight'), [H, I], backend, opts));
      }
      await param('output_norm.weight', [H]);
      if (file.has('output.weight')) w.set('output.weight', await loadLinear(file, 'output.weight', [c.vocabSize, H], backend, opts));
      const hostEmbed = await hostEmbeddingOf(file, EMBED, w.get(EMBED).dtype, H, 'mamba2');
      return new Mamba2(backend, c, w, hostEmbed);
    } catch (e) {
      w.dispose();
      throw e;
    }
  }

  newState(): Mamba2State {
    const c = this.config;
    const widths = Mamba2.widths(c);
    const b = this.backend;
    const conv = Array.from({ length: c.numLayers }, () => PARTS.map((p) => b.tensor([widths[p], c.convKernel], 'f32')));
    const ssm = Array.from({ length: c.numLayers }, () => b.tensor([c.intermediateSize, c.stateSize], 'f32'));
    return new Mamba2State(b, conv, ssm, c.vocabSize);
  }

  protected forward(tokens: readonly number[], s: Mamba2State, logits: Tensor, lastOnly: boolean, hidden?: Tensor): void {
    const b = this.b;
    const c = this.config;
    const n = tokens.length;
    if (n === 0) throw new SparrowError('INVALID_ARGUMENT', 'mamba2: no tokens to run');
    const { hiddenSize: H, intermediateSize: I, stateSize: N, numHeads: NH } = c;
    const scratch = n === 1 ? s.scratch : new Scratch(b);
    scratch.reset();
    const t = (shape: number[]) => scratch.get(shape);
    const W = (name: string) => this.weights.get(name);
    const Wo = (name: string) => (this.weights.has(name) ? this.weights.get(name) : null);
    try {
      // Residual stream ping-pongs between two buffers (no op writes a tensor it reads).
      let x = t([n, H]);
      let x2 = t([n, H]);
      embedTokens(b, x, tokens, W(EMBED), this.hostEmbed, c.vocabSize, scratch);
      const h = t([n, H]);
      const z = t([n, I]);
      const raw = { x: t([n, I]), B: t([n, N]), C: t([n, N]) };
      const conv = { x: t([n, I]), B: t([n, N]), C: t([n, N]) };
      const dtHeads = t([n, NH]);
      const dt = t([n, I]);
      const y = t([n, I]);
      const yn = t([n, I]);
      const o = t([n, H]);
      for (let i = 0; i < c.numLayers; i++) {
        b.rmsnorm(h, x, W(L(i, 'attn_norm.weight')), c.layerNormEps);
        const inProj = L(i, 'ssm_in.weight');
        linear(b, z, h, W(`${inProj}#z`), n);
        for (const part of PARTS) {
          linear(b, raw[part], h, W(`${inProj}#${part}`), n);
          b.causalConv1d(conv[part], raw[part], W(`${L(i, 'ssm_conv1d.weight')}#${part}`), Wo(`${L(i, 'ssm_conv1d.bias')}#${part}`), s.conv[i][PARTS.indexOf(part)], true);
        }
        linear(b, dtHeads, h, W(`${inProj}#dt`), n);
        linear(b, dt, dtHeads, W('#spread'), n);
        // y = (scan + D ⊙ x) ⊙ SiLU(z), Δ = softplus(dt + dt_bias)
        b.selectiveScan(y, conv.x, dt, W(`${L(i, 'ssm_a')}#ch`), conv.B, conv.C, W(`${L(i, 'ssm_d')}#ch`), z, W(`${L(i, 'ssm_dt.bias')}#ch`), s.ssm[i], true);
        b.rmsnorm(yn, y, W(L(i, 'ssm_norm.weight')), c.layerNormEps);
        linear(b, o, yn, W(L(i, 'ssm_out.weight')), n);
        b.add(x2, x, o);
        [x, x2] = [x2, x];
        if (hidden) b.copy(hidden, i * n * H, x, 0, n * H);
      }
      const rows = lastOnly ? 1 : n;
      const last = headRows(b, x, n, H, lastOnly, scratch);
      const hn = t([rows, H]);
      b.rmsnorm(hn, last, W('output_norm.weight'), c.layerNormEps);
      if (hidden) b.copy(hidden, c.numLayers * n * H, hn, 0, n * H);
      linear(b, logits, hn, this.weights.has('output.weight') ? W('output.weight') : W(EMBED), rows);
      s.position += n;
    } finally {
      if (scratch !== s.scratch) scratch.free();
    }
  }
}
