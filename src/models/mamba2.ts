/**
 * Mamba-2, as llama.cpp runs its `mamba2` GGUF files: per block RMSNorm → the Mamba-2 mixer
 * (src/models/mamba2-mixer.ts: in_proj → conv → selective scan per head → gated RMSNorm → out_proj)
 * → residual. One group of B / C (every state-spaces/mamba2 release); more are refused when the
 * config is read. Weights keep llama.cpp's names (blk.N.ssm_*): there is no Hugging Face reader yet.
 */
import { SparrowError } from '../errors.ts';
import type { Backend, Tensor } from '../backends/backend.ts';
import type { Mamba2Config } from '../formats/hf-config.ts';
import { linear } from './linear.ts';
import { loadLinear, type LinearLoadOptions } from './linear-weights.ts';
import { loadMamba2Mixer, mamba2Buffers, mamba2Check, newMamba2LayerState, runMamba2Mixer } from './mamba2-mixer.ts';
import { need, type ModelBackend } from './ops.ts';
import { Scratch } from './scratch.ts';
import { RecurrentLM, RecurrentState, headRows } from './forward-lm.ts';
import { embedTokens, hostEmbeddingOf, type HostEmbedding } from './token-embedding.ts';
import type { CausalLM, ConvRecurrentState } from './types.ts';
import { WeightMap, uploadChecked, uploadParam, type WeightFile } from './weights.ts';

/** llama.cpp's name of a layer's tensor. */
const L = (i: number) => (s: string) => `blk.${i}.${s}`;
const EMBED = 'token_embd.weight';

export class Mamba2State extends RecurrentState {
  constructor(
    b: Backend,
    /** Per layer: its conv windows (x, B, C) and SSM state [I, N] (llama.cpp's {N, P, heads}). */
    readonly layers: ConvRecurrentState[],
    vocab: number,
  ) {
    super(b, vocab);
  }
  protected tensors(): Tensor[] {
    return this.layers.flatMap((l) => [...l.conv, l.state]);
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
    for (let i = 0; i < c.numLayers; i++) out.push(L(i)('ssm_in.weight'), L(i)('ssm_out.weight'));
    return out;
  }

  static async load(backend: Backend, config: Mamba2Config, file: WeightFile, opts: Mamba2Options = {}): Promise<Mamba2> {
    const c = config;
    const H = c.hiddenSize;
    mamba2Check(c, 'mamba2');
    const w = new WeightMap(backend);
    try {
      w.set(EMBED, await uploadChecked(file, EMBED, [c.vocabSize, H], backend));
      for (let i = 0; i < c.numLayers; i++) {
        w.set(L(i)('attn_norm.weight'), await uploadParam(file, L(i)('attn_norm.weight'), [H], backend));
        await loadMamba2Mixer(w, file, L(i), c, backend, opts);
      }
      w.set('output_norm.weight', await uploadParam(file, 'output_norm.weight', [H], backend));
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
    return new Mamba2State(this.backend, Array.from({ length: c.numLayers }, () => newMamba2LayerState(this.backend, c)), c.vocabSize);
  }

  protected forward(tokens: readonly number[], s: Mamba2State, logits: Tensor, lastOnly: boolean, hidden?: Tensor): void {
    const b = this.b;
    const c = this.config;
    const n = tokens.length;
    if (n === 0) throw new SparrowError('INVALID_ARGUMENT', 'mamba2: no tokens to run');
    const H = c.hiddenSize;
    const scratch = n === 1 ? s.scratch : new Scratch(b);
    scratch.reset();
    const t = (shape: number[]) => scratch.get(shape);
    const W = (name: string) => this.weights.get(name);
    try {
      // Residual stream ping-pongs between two buffers (no op writes a tensor it reads).
      let x = t([n, H]);
      let x2 = t([n, H]);
      embedTokens(b, x, tokens, W(EMBED), this.hostEmbed, c.vocabSize, scratch);
      const h = t([n, H]);
      const o = t([n, H]);
      const buf = mamba2Buffers(t, n, c);
      for (let i = 0; i < c.numLayers; i++) {
        b.rmsnorm(h, x, W(L(i)('attn_norm.weight')), c.layerNormEps);
        runMamba2Mixer(b, this.weights, L(i), o, h, n, s.layers[i], buf, c.layerNormEps);
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
