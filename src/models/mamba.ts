/**
 * MambaForCausalLM: per block RMSNorm → in_proj (split into x and gate z) → causal depthwise conv
 * + SiLU → x_proj (split into dt, B, C) → dt_proj → selective scan (softplus Δ, D skip, SiLU(z)
 * gate) → out_proj → residual. Decode is O(1) per token: the conv window and SSM state live on the
 * backend (HF's conv_states [I, K] and ssm_states [I, N] layouts).
 */
import { SparrowError } from '../errors.ts';
import type { Backend, Tensor } from '../backends/backend.ts';
import type { MambaConfig } from '../formats/hf-config.ts';
import { linear } from './linear.ts';
import { loadLinear, loadLinearRows, type LinearLoadOptions } from './linear-weights.ts';
import { need, type ModelBackend } from './ops.ts';
import { Scratch } from './scratch.ts';
import { embedTokens, hostEmbeddingOf, type HostEmbedding } from './token-embedding.ts';
import { RecurrentLM, RecurrentState, headRows } from './forward-lm.ts';
import type { CausalLM } from './types.ts';
import { WeightMap, expectShape, uploadChecked, uploadParam, type WeightFile } from './weights.ts';

const P = (i: number, s: string) => `backbone.layers.${i}.${s}`;
const EMBED = 'backbone.embeddings.weight';

export class MambaState extends RecurrentState {
  constructor(
    b: Backend,
    /** Per layer: conv window [I, K] (oldest first) and SSM state [I, N]. */
    readonly conv: Tensor[],
    readonly ssm: Tensor[],
    vocab: number,
  ) {
    super(b, vocab);
  }
  protected tensors(): Tensor[] {
    return [...this.conv, ...this.ssm];
  }
}

export interface MambaOptions extends LinearLoadOptions {}

export class Mamba extends RecurrentLM<MambaState> implements CausalLM {
  readonly family = 'mamba' as const;
  private readonly b: ModelBackend;

  private constructor(
    readonly backend: Backend,
    readonly config: MambaConfig,
    readonly weights: WeightMap,
    /** A block-quantized table (GGUF token_embd in Q8_0, …) is looked up on the host. */
    private readonly hostEmbed: HostEmbedding | undefined,
  ) {
    super(config);
    this.b = need(backend, 'causalConv1d', 'selectiveScan');
  }

  static linearNames(c: MambaConfig): string[] {
    const out: string[] = [];
    for (let i = 0; i < c.numLayers; i++) for (const p of ['in_proj', 'x_proj', 'dt_proj', 'out_proj']) out.push(P(i, `mixer.${p}.weight`));
    return out;
  }

  static async load(backend: Backend, config: MambaConfig, file: WeightFile, opts: MambaOptions = {}): Promise<Mamba> {
    const c = config;
    if (c.hiddenAct !== 'silu') throw new SparrowError('UNSUPPORTED', `mamba: hidden_act '${c.hiddenAct}' is not implemented (silu is)`);
    if (c.useBias) throw new SparrowError('UNSUPPORTED', 'mamba: use_bias (in_proj/out_proj biases) is not implemented');
    const { hiddenSize: H, intermediateSize: I, stateSize: N, convKernel: K, timeStepRank: R } = c;
    const w = new WeightMap(backend);
    try {
      const put = async (name: string, shape: number[]) => w.set(name, await uploadChecked(file, name, shape, backend));
      const param = async (name: string, shape: number[]) => w.set(name, await uploadParam(file, name, shape, backend));
      await put(EMBED, [c.vocabSize, H]);
      for (let i = 0; i < c.numLayers; i++) {
        await param(P(i, 'norm.weight'), [H]);
        const inProj = P(i, 'mixer.in_proj.weight');
        w.set(`${inProj}#x`, await loadLinearRows(file, inProj, [2 * I, H], 0, I, backend, opts));
        w.set(`${inProj}#z`, await loadLinearRows(file, inProj, [2 * I, H], I, 2 * I, backend, opts));
        await param(P(i, 'mixer.conv1d.weight'), [I, K]);
        if (c.useConvBias) await param(P(i, 'mixer.conv1d.bias'), [I]);
        const xProj = P(i, 'mixer.x_proj.weight');
        w.set(`${xProj}#dt`, await loadLinearRows(file, xProj, [R + 2 * N, I], 0, R, backend, opts));
        w.set(`${xProj}#B`, await loadLinearRows(file, xProj, [R + 2 * N, I], R, R + N, backend, opts));
        w.set(`${xProj}#C`, await loadLinearRows(file, xProj, [R + 2 * N, I], R + N, R + 2 * N, backend, opts));
        w.set(P(i, 'mixer.dt_proj.weight'), await loadLinear(file, P(i, 'mixer.dt_proj.weight'), [I, R], backend, opts));
        await param(P(i, 'mixer.dt_proj.bias'), [I]);
        // A = −exp(A_log), computed once here (the scan takes A directly); a GGUF file stores A itself
        const aLog = P(i, 'mixer.A_log');
        const a = P(i, 'mixer.A');
        if (file.has(a)) w.set(`${aLog}#A`, await uploadParam(file, a, [I, N], backend));
        else {
          expectShape(file, aLog, [I, N]);
          w.set(`${aLog}#A`, backend.tensor([I, N], 'f32', (await file.f32(aLog)).map((x) => -Math.exp(x))));
        }
        await param(P(i, 'mixer.D'), [I]);
        w.set(P(i, 'mixer.out_proj.weight'), await loadLinear(file, P(i, 'mixer.out_proj.weight'), [H, I], backend, opts));
      }
      await param('backbone.norm_f.weight', [H]);
      if (file.has('lm_head.weight')) await put('lm_head.weight', [c.vocabSize, H]);
      else if (!c.tieWordEmbeddings) throw new SparrowError('TENSOR_MISSING', `${file.name}: lm_head.weight is missing and tie_word_embeddings is false`, { tensor: 'lm_head.weight' });
      const hostEmbed = await hostEmbeddingOf(file, EMBED, w.get(EMBED).dtype, H, 'mamba');
      return new Mamba(backend, c, w, hostEmbed);
    } catch (e) {
      w.dispose();
      throw e;
    }
  }

  newState(): MambaState {
    const c = this.config;
    const conv = Array.from({ length: c.numLayers }, () => this.backend.tensor([c.intermediateSize, c.convKernel], 'f32'));
    const ssm = Array.from({ length: c.numLayers }, () => this.backend.tensor([c.intermediateSize, c.stateSize], 'f32'));
    return new MambaState(this.backend, conv, ssm, c.vocabSize);
  }

  protected forward(tokens: readonly number[], s: MambaState, logits: Tensor, lastOnly: boolean, hidden?: Tensor): void {
    const b = this.b;
    const c = this.config;
    const n = tokens.length;
    if (n === 0) throw new SparrowError('INVALID_ARGUMENT', 'mamba: no tokens to run');
    const { hiddenSize: H, intermediateSize: I, stateSize: N, timeStepRank: R } = c;
    const scratch = n === 1 ? s.scratch : new Scratch(b);
    scratch.reset();
    const t = (shape: number[], dtype: 'f32' | 'i32' = 'f32') => scratch.get(shape, dtype);
    const W = (name: string) => this.weights.get(name);
    const Wo = (name: string) => (this.weights.has(name) ? this.weights.get(name) : null);
    try {
      // Residual stream ping-pongs between two buffers (no op writes a tensor it reads).
      let x = t([n, H]);
      let x2 = t([n, H]);
      embedTokens(b, x, tokens, W(EMBED), this.hostEmbed, c.vocabSize, scratch);
      const h = t([n, H]);
      const xs = t([n, I]);
      const z = t([n, I]);
      const xc = t([n, I]);
      const dtr = t([n, R]);
      const bm = t([n, N]);
      const cm = t([n, N]);
      const dt = t([n, I]);
      const y = t([n, I]);
      const o = t([n, H]);
      b.rmsnorm(h, x, W(P(0, 'norm.weight')), c.layerNormEps);
      for (let i = 0; i < c.numLayers; i++) {
        // h holds this layer's norm (before the loop, or from the previous layer's addRmsnorm)
        linear(b, xs, h, W(P(i, 'mixer.in_proj.weight#x')), n);
        linear(b, z, h, W(P(i, 'mixer.in_proj.weight#z')), n);
        b.causalConv1d(xc, xs, W(P(i, 'mixer.conv1d.weight')), Wo(P(i, 'mixer.conv1d.bias')), s.conv[i], true);
        linear(b, dtr, xc, W(P(i, 'mixer.x_proj.weight#dt')), n);
        linear(b, bm, xc, W(P(i, 'mixer.x_proj.weight#B')), n);
        linear(b, cm, xc, W(P(i, 'mixer.x_proj.weight#C')), n);
        linear(b, dt, dtr, W(P(i, 'mixer.dt_proj.weight')), n);
        b.selectiveScan(y, xc, dt, W(P(i, 'mixer.A_log#A')), bm, cm, W(P(i, 'mixer.D')), z, W(P(i, 'mixer.dt_proj.bias')), s.ssm[i], true);
        linear(b, o, y, W(P(i, 'mixer.out_proj.weight')), n);
        // residual, and the next layer's norm of it in the same op (one dispatch on WebGPU)
        if (i + 1 < c.numLayers) b.addRmsnorm(x2, h, x, o, W(P(i + 1, 'norm.weight')), c.layerNormEps);
        else b.add(x2, x, o);
        [x, x2] = [x2, x];
        if (hidden) b.copy(hidden, i * n * H, x, 0, n * H);
      }
      const rows = lastOnly ? 1 : n;
      const last = headRows(b, x, n, H, lastOnly, scratch);
      const hn = t([rows, H]);
      b.rmsnorm(hn, last, W('backbone.norm_f.weight'), c.layerNormEps);
      if (hidden) b.copy(hidden, c.numLayers * n * H, hn, 0, n * H);
      const head = this.weights.has('lm_head.weight') ? W('lm_head.weight') : W(EMBED);
      linear(b, logits, hn, head, rows);
      s.position += n;
    } finally {
      if (scratch !== s.scratch) scratch.free();
    }
  }
}
