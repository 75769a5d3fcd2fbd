/**
 * Gemma 3 text (Gemma3ForCausalLM; GGUF general.architecture gemma3), as transformers'
 * modeling_gemma3 and llama.cpp's build_gemma3 run it:
 *   x = embedding · √hidden
 *   per layer: h = norm(x); a = attention(h); x += norm(a)          (input, post-attention norms)
 *              h = norm(x); m = down(gelu_tanh(gate h) ⊙ up h); x += norm(m)   (pre-, post-feedforward)
 *   logits = head(norm(x)), the head tied to the embedding unless the file has one.
 * Attention: GQA; q and k RMS-normalised per head before RoPE (NEOX pairing, no Q/K permutation in
 * GGUF files); scores scaled by config.gemma.attentionScale; sliding-window (local) layers see the
 * last slidingWindow positions and rotate with the local RoPE base, the others are global and use
 * ropeTheta, with linear RoPE scaling when the config has it (the larger models).
 *
 * RMSNorm weights: Hugging Face stores w and applies (1 + w); llama.cpp's converter writes w + 1 into
 * the GGUF. Both load here as the GGUF's plain weight (1 is added to a safetensors file's norms).
 * The KV cache of a sliding-window layer keeps every position (the window is a mask): simple, at the
 * memory of a global layer's cache.
 */
import { SparrowError } from '../errors.ts';
import type { Backend, Tensor } from '../backends/backend.ts';
import { createKvCache, type KvCache } from '../backends/ops/attention.ts';
import type { Gemma3Params, LlamaConfig } from '../formats/hf-config.ts';
import { ForwardLM } from './forward-lm.ts';
import { linear } from './linear.ts';
import { loadLinear } from './linear-weights.ts';
import { LlamaState, type LlamaOptions } from './llama.ts';
import { need, type ModelBackend } from './ops.ts';
import { Scratch } from './scratch.ts';
import { embedTokens, hostEmbeddingOf, type HostEmbedding } from './token-embedding.ts';
import type { CausalLM, ModelState } from './types.ts';
import { WeightMap, expectShape, uploadChecked, type WeightFile } from './weights.ts';

export type GemmaOptions = Pick<LlamaOptions, 'kvDtype' | 'attention' | 'contextLength' | 'sparseLinears'>;

const L = (i: number, s: string) => `model.layers.${i}.${s}`;
const EMBED = 'model.embed_tokens.weight';
/** Every RMSNorm weight of a layer, in the order the block applies them. */
const LAYER_NORMS = ['input_layernorm', 'post_attention_layernorm', 'pre_feedforward_layernorm', 'post_feedforward_layernorm'];

export class Gemma3 extends ForwardLM<LlamaState> implements CausalLM {
  protected readonly hiddenStages: number;
  readonly family = 'gemma3' as const;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  private readonly b: ModelBackend;
  private readonly capacity: number;
  private readonly g: Gemma3Params;

  private constructor(
    readonly backend: Backend,
    readonly config: LlamaConfig,
    readonly weights: WeightMap,
    readonly opts: GemmaOptions,
    private readonly hostEmbed: HostEmbedding | undefined,
    /** Linear RoPE scaling of the global layers, as per-pair divisors (all the factor). */
    private readonly globalFreqFactors: number[] | undefined,
  ) {
    super();
    this.g = config.gemma!;
    this.hiddenStages = config.numLayers + 2;
    this.b = need(backend, 'denseAttention', 'kvAppend');
    this.vocabSize = config.vocabSize;
    this.hiddenSize = config.hiddenSize;
    this.numLayers = config.numLayers;
    this.capacity = opts.contextLength ?? Math.min(config.maxPositionEmbeddings, 4096);
  }

  /** Refuse what this model does not implement, before anything is uploaded. */
  static check(c: LlamaConfig, opts: GemmaOptions = {}): Gemma3Params {
    const g = c.gemma;
    if (c.arch !== 'gemma3' || !g) throw new SparrowError('INVALID_ARGUMENT', `gemma3: not a Gemma 3 config (arch ${c.arch})`);
    if (c.ropeScaling && c.ropeScaling.type !== 'linear') {
      throw new SparrowError('UNSUPPORTED', `gemma3: RoPE scaling '${c.ropeScaling.type}' is not implemented (linear, on the global layers, is)`, { ropeType: c.ropeScaling.type });
    }
    if (c.hiddenAct !== 'gelu_pytorch_tanh') throw new SparrowError('UNSUPPORTED', `gemma3: activation '${c.hiddenAct}' is not implemented (gelu_pytorch_tanh is)`);
    if (c.attentionBias || c.qkvBias || c.mlpBias) throw new SparrowError('UNSUPPORTED', 'gemma3: biases are not implemented');
    if (opts.attention === 'sparse') throw new SparrowError('UNSUPPORTED', "gemma3: sparse attention is not implemented (dense, with the model's own sliding window, is)", { attention: 'sparse' });
    if (g.slidingLayers.length !== c.numLayers) throw new SparrowError('FORMAT_INVALID', `gemma3: ${g.slidingLayers.length} layer types for ${c.numLayers} layers`);
    if (g.slidingLayers.some((x) => x) && !(g.slidingWindow >= 1)) throw new SparrowError('FORMAT_INVALID', `gemma3: sliding window ${g.slidingWindow} must be ≥ 1`);
    return g;
  }

  static async load(backend: Backend, config: LlamaConfig, file: WeightFile, opts: GemmaOptions = {}): Promise<Gemma3> {
    const c = config;
    Gemma3.check(c, opts);
    const w = new WeightMap(backend);
    const H = c.hiddenSize;
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    // Safetensors files store the norms as HF does (applied as 1 + w); GGUF files hold 1 + w already
    const shift = file.kind === 'gguf' ? 0 : 1;
    const norm = async (name: string, n: number) => {
      expectShape(file, name, [n]);
      const v = await file.f32(name);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = v[i] + shift;
      w.set(name, backend.tensor([n], 'f32', out));
    };
    const lin = async (name: string, shape: [number, number]) => w.set(name, await loadLinear(file, name, shape, backend, { sparse: opts.sparseLinears }));
    let hostEmbed: HostEmbedding | undefined;
    try {
      w.set(EMBED, await uploadChecked(file, EMBED, [c.vocabSize, H], backend));
      for (let i = 0; i < c.numLayers; i++) {
        for (const n of LAYER_NORMS) await norm(L(i, `${n}.weight`), H);
        await norm(L(i, 'self_attn.q_norm.weight'), c.headDim);
        await norm(L(i, 'self_attn.k_norm.weight'), c.headDim);
        await lin(L(i, 'self_attn.q_proj.weight'), [qDim, H]);
        await lin(L(i, 'self_attn.k_proj.weight'), [kvDim, H]);
        await lin(L(i, 'self_attn.v_proj.weight'), [kvDim, H]);
        await lin(L(i, 'self_attn.o_proj.weight'), [H, qDim]);
        await lin(L(i, 'mlp.gate_proj.weight'), [c.intermediateSize, H]);
        await lin(L(i, 'mlp.up_proj.weight'), [c.intermediateSize, H]);
        await lin(L(i, 'mlp.down_proj.weight'), [H, c.intermediateSize]);
      }
      await norm('model.norm.weight', H);
      if (file.has('lm_head.weight')) w.set('lm_head.weight', await uploadChecked(file, 'lm_head.weight', [c.vocabSize, H], backend));
      else if (!c.tieWordEmbeddings) throw new SparrowError('TENSOR_MISSING', `${file.name}: lm_head.weight is missing and tie_word_embeddings is false`, { tensor: 'lm_head.weight' });
      hostEmbed = await hostEmbeddingOf(file, EMBED, w.get(EMBED).dtype, H, 'gemma3');
    } catch (e) {
      w.dispose();
      throw e;
    }
    // linear RoPE scaling (HF inv_freq / factor; llama.cpp freq_scale = 1 / factor on the global layers)
    const factors = c.ropeScaling?.type === 'linear' ? new Array<number>(c.headDim / 2).fill(c.ropeScaling.factor) : undefined;
    return new Gemma3(backend, c, w, { ...opts, kvDtype: opts.kvDtype ?? 'f32' }, hostEmbed, factors);
  }

  /** Most tokens one state holds: the KV cache capacity (contextLength). */
  get contextLength(): number {
    return this.capacity;
  }

  /** Keep the state's first `position` tokens: every cache keeps its rows, so any prefix is exact. */
  rewind(state: ModelState, position: number): number {
    const s = state as LlamaState;
    const keep = Math.max(0, Math.min(Math.floor(position), s.position));
    for (const c of s.caches) c.length = keep;
    s.position = keep;
    return keep;
  }

  private get head(): Tensor {
    return this.weights.has('lm_head.weight') ? this.weights.get('lm_head.weight') : this.weights.get(EMBED);
  }

  newState(): LlamaState {
    const c = this.config;
    const caches: KvCache[] = Array.from({ length: c.numLayers }, () => createKvCache(this.backend, { capacity: this.capacity, kvHeads: c.numKvHeads, dim: c.headDim, dtype: this.opts.kvDtype }));
    return new LlamaState(this.backend, caches, c.vocabSize);
  }

  /** Run n tokens at positions state.position … + n − 1; write logits of all rows or only the last. */
  protected forward(tokens: readonly number[], s: LlamaState, logits: Tensor, lastOnly: boolean, hidden?: Tensor): void {
    const b = this.b;
    const c = this.config;
    const g = this.g;
    const n = tokens.length;
    if (n === 0) throw new SparrowError('INVALID_ARGUMENT', 'gemma3: no tokens to run');
    if (s.position + n > this.capacity) {
      throw new SparrowError('SIZE_LIMIT', `gemma3: ${s.position} + ${n} tokens exceed the KV cache capacity ${this.capacity}`, { position: s.position, tokens: n, capacity: this.capacity });
    }
    const H = c.hiddenSize;
    const D = c.headDim;
    const eps = c.rmsNormEps;
    const pos = s.position;
    const scratch = n === 1 ? s.scratch : new Scratch(b);
    scratch.reset();
    const t = (shape: number[]) => scratch.get(shape);
    try {
      // the residual stream ping-pongs between two buffers (no op writes a tensor it reads)
      let x = t([n, H]);
      let x2 = t([n, H]);
      embedTokens(b, x, tokens, this.weights.get(EMBED), this.hostEmbed, this.vocabSize, scratch);
      b.scale(x, x, Math.fround(Math.sqrt(H)));
      if (hidden) b.copy(hidden, 0, x, 0, n * H);
      const h = t([n, H]);
      const o = t([n, H]);
      const on = t([n, H]);
      const [q, k, v, a] = [t([n, c.numHeads * D]), t([n, c.numKvHeads * D]), t([n, c.numKvHeads * D]), t([n, c.numHeads * D])];
      const [qr, kr] = [t([n, c.numHeads * D]), t([n, c.numKvHeads * D])];
      const [gate, up, gu] = [t([n, c.intermediateSize]), t([n, c.intermediateSize]), t([n, c.intermediateSize])];
      // per-head norms: rows [n·heads, D] in, normed rows out, back to [n, heads·D]
      const heads = (hs: number) => [t([n * hs, D]), t([n * hs, D]), t([n, hs * D])];
      const [qHeads, kHeads] = [heads(c.numHeads), heads(c.numKvHeads)];
      const headNorm = (src: Tensor, w: Tensor, [rows, normed, out]: Tensor[]): Tensor => {
        b.copy(rows, 0, src, 0, src.size);
        b.rmsnorm(normed, rows, w, eps);
        b.copy(out, 0, normed, 0, src.size);
        return out;
      };
      /** x += norm(sub-block output); h = the next norm of the new stream (one op). */
      const residualNorm = (out: Tensor, postNorm: Tensor, nextNorm: Tensor) => {
        b.rmsnorm(on, out, postNorm, eps);
        b.addRmsnorm(x2, h, x, on, nextNorm, eps);
        [x, x2] = [x2, x];
      };
      const W = (i: number, name: string) => this.weights.get(L(i, name));
      b.rmsnorm(h, x, W(0, 'input_layernorm.weight'), eps);
      for (let i = 0; i < c.numLayers; i++) {
        const local = g.slidingLayers[i];
        const rope = local
          ? { pos, headDim: D, theta: g.ropeLocalTheta, style: 'half' as const }
          : { pos, headDim: D, theta: c.ropeTheta, style: 'half' as const, freqFactors: this.globalFreqFactors };
        linear(b, q, h, W(i, 'self_attn.q_proj.weight'), n);
        linear(b, k, h, W(i, 'self_attn.k_proj.weight'), n);
        linear(b, v, h, W(i, 'self_attn.v_proj.weight'), n);
        b.rope(qr, headNorm(q, W(i, 'self_attn.q_norm.weight'), qHeads), rope);
        b.rope(kr, headNorm(k, W(i, 'self_attn.k_norm.weight'), kHeads), rope);
        const cache = s.caches[i];
        b.kvAppend(cache, kr, v);
        b.denseAttention(a, qr, cache.k, cache.v, { causal: true, pos, kvLen: cache.length, headDim: D, scale: g.attentionScale, window: local ? g.slidingWindow : 0 });
        linear(b, o, a, W(i, 'self_attn.o_proj.weight'), n);
        residualNorm(o, W(i, 'post_attention_layernorm.weight'), W(i, 'pre_feedforward_layernorm.weight'));
        linear(b, gate, h, W(i, 'mlp.gate_proj.weight'), n);
        linear(b, up, h, W(i, 'mlp.up_proj.weight'), n);
        b.geluTanhMul(gu, gate, up);
        linear(b, o, gu, W(i, 'mlp.down_proj.weight'), n);
        // the next layer's input norm, or the final norm after the last layer
        residualNorm(o, W(i, 'post_feedforward_layernorm.weight'), i + 1 < c.numLayers ? W(i + 1, 'input_layernorm.weight') : this.weights.get('model.norm.weight'));
        if (hidden) b.copy(hidden, (i + 1) * n * H, x, 0, n * H);
      }
      // h holds the final norm of every row
      if (hidden) b.copy(hidden, (c.numLayers + 1) * n * H, h, 0, n * H);
      let last = h;
      if (lastOnly && n > 1) {
        last = t([1, H]);
        b.copy(last, 0, h, (n - 1) * H, H);
      }
      linear(b, logits, last, this.head, lastOnly ? 1 : n);
      s.position += n;
    } finally {
      if (scratch !== s.scratch) scratch.free();
    }
  }
}
