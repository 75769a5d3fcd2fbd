/**
 * LlamaForCausalLM (SmolLM2 shape): RMSNorm → GQA attention with RoPE → residual → RMSNorm →
 * SwiGLU MLP → residual; tied or untied head. Attention is dense (exact, matches HF eager) or the
 * windowed + log-stride + landmark sparse attention; the KV cache is f32 or f16.
 * The same block runs Qwen2 (biases on the q, k and v projections) and Qwen3 (an RMSNorm over each
 * head of q and k, before RoPE), and LFM2, whose layers are either that attention (with Qwen3's q / k
 * norms) or a gated short convolution (config.shortConv: in_proj → B, C, x; C ⊙ conv(B ⊙ x) with the
 * Mamba conv op, no activation; out_proj), each followed by the SwiGLU MLP; and Granite 4.0-H
 * (config.mamba2, GGUF `granitehybrid`), whose layers are either attention (without RoPE: NoPE) or the
 * Mamba-2 mixer (src/models/mamba2-mixer.ts), each followed by the MLP, with Granite's multipliers;
 * Falcon-H1, whose layers run attention and the mixer side by side; and Qwen3.5 (config.gatedDeltaNet,
 * GGUF `qwen35`): three of four layers Gated DeltaNet linear attention (src/models/gated-deltanet.ts),
 * the fourth gated attention (σ(gate) ⊙ output, gate rows interleaved with q_proj's) with RoPE on the
 * first quarter of each head (config.rotaryDim: done as full-width RoPE on permuted q / k rows, below).
 *
 * Weights use Hugging Face names. GGUF files keep llama.cpp's Q/K row permutation, so for them
 * RoPE rotates adjacent pairs ('interleaved'), which is the same function on permuted rows.
 */
import { SparrowError } from '../errors.ts';
import type { Backend, SparsePreference, Tensor } from '../backends/backend.ts';
import { createKvCache, freeKvCache, sparseConfig, type KvCache, type SparseAttentionConfig } from '../backends/ops/attention.ts';
import type { LlamaConfig } from '../formats/hf-config.ts';
import { linear } from './linear.ts';
import { loadLinear, loadLinearRowRanges, loadStackedLinear } from './linear-weights.ts';
import { gatedDeltaNetBuffers, gatedDeltaNetCheck, loadGatedDeltaNet, newGatedDeltaNetState, runGatedDeltaNet, type GatedDeltaNetShape } from './gated-deltanet.ts';
import { loadShortConv, runShortConv, shortConvBuffers } from './short-conv.ts';
import { headRowRanges, imropeTurns, partialRope, rotatedScale } from './rope-layout.ts';
import { loadMamba2Mixer, mamba2Buffers, mamba2Check, newMamba2LayerState, runMamba2Mixer, type Mamba2MixerShape } from './mamba2-mixer.ts';
import { need, type ModelBackend } from './ops.ts';
import { Scratch } from './scratch.ts';
import { ForwardLM, checkKvRoom, headRows } from './forward-lm.ts';
import type { CausalLM, ConvRecurrentState, ModelState } from './types.ts';
import { WeightMap, expectShape, uploadChecked, uploadParam, type WeightFile } from './weights.ts';
import { ROPE_FREQS } from './gguf-weights.ts';
import { llama3FreqFactors } from '../formats/rope-scaling.ts';
import { GGUF_PERMUTED_QK } from '../formats/gguf-config.ts';
import { bytesOf, concatBytes } from '../util/bytes.ts';
import { embedTokens, hostEmbeddingOf, type HostEmbedding } from './token-embedding.ts';

export interface LlamaOptions {
  /** KV cache storage (default f32). */
  kvDtype?: 'f32' | 'f16';
  /** 'dense' (default) or 'sparse' (window + log-stride + landmarks). */
  attention?: 'dense' | 'sparse';
  /** Sparse attention parameters (window, blockSize, …) when attention = 'sparse'. */
  sparse?: Partial<SparseAttentionConfig>;
  /** KV cache capacity in tokens (default: the config's max_position_embeddings, at most 4096). */
  contextLength?: number;
  /** RoPE pairing: 'half' (HF layout, default) or 'interleaved' (GGUF permuted Q/K rows). */
  ropeStyle?: 'half' | 'interleaved';
  /** Store the block linears as sparse matrices run by spmv (pruned checkpoints); see LinearLoadOptions.sparse. */
  sparseLinears?: boolean | SparsePreference;
  /**
   * Stack q, k and v into one weight (one matvec, then ropeQkv splits its [q | k | v] rows) and
   * gate and up into another (one matvec, then swiglu on its [g | u] rows), each when its parts
   * share a dtype — default true: fewer dispatches per token on WebGPU. Never with sparse linears.
   */
  stackLinears?: boolean;
}

export class LlamaState implements ModelState {
  position = 0;
  readonly logits: Tensor;
  /** Decode-step scratch, reused every token. */
  readonly scratch: Scratch;
  constructor(
    private readonly b: Backend,
    /** One KV cache per attention layer (LFM2: its short-convolution layers have none). */
    readonly caches: KvCache[],
    vocab: number,
    /** LFM2: per short-convolution layer, its window of the last `kernel` inputs [hidden, kernel]. */
    readonly conv: Tensor[] = [],
    /** Granite 4.0-H, Falcon-H1: per Mamba-2 layer, its conv windows and SSM state. */
    readonly mamba: ConvRecurrentState[] = [],
    /** Qwen3.5: per Gated DeltaNet layer, its conv windows and state. */
    readonly gdn: ConvRecurrentState[] = [],
  ) {
    this.logits = b.tensor([1, vocab], 'f32');
    this.scratch = new Scratch(b);
  }
  /** The state that cannot rewind (conv windows, SSM states), in a fixed order. */
  recurrent(): Tensor[] {
    return [...this.conv, ...[...this.mamba, ...this.gdn].flatMap((l) => [...l.conv, l.state])];
  }
  bytes(): number {
    let n = this.logits.byteSize + this.scratch.bytes();
    for (const c of this.caches) n += c.k.byteSize + c.v.byteSize + c.kMean.byteSize + c.vMean.byteSize;
    for (const t of this.recurrent()) n += t.byteSize;
    return n;
  }
  free(): void {
    for (const c of this.caches) freeKvCache(this.b, c);
    for (const t of this.recurrent()) this.b.free(t);
    this.b.free(this.logits);
    this.scratch.free();
  }
}

const L = (i: number, s: string) => `model.layers.${i}.${s}`;
/** LFM2: whether layer i is a gated short convolution instead of attention. */
const isConvLayer = (c: LlamaConfig, i: number): boolean => c.shortConv?.layers[i] === true;
/** A short-convolution layer's tensor names (Hugging Face's, under the layer's `conv.`). */
const convName = (i: number) => (s: string) => L(i, `conv.${s}`);
/** Granite 4.0-H: whether layer i is a Mamba-2 mixer instead of attention (Falcon-H1: beside it). */
const isMambaLayer = (c: LlamaConfig, i: number): boolean => c.mamba2?.layers[i] === true;
/** Qwen3.5: whether layer i is Gated DeltaNet linear attention instead of softmax attention. */
const isDeltaLayer = (c: LlamaConfig, i: number): boolean => c.gatedDeltaNet?.layers[i] === true;
/** Whether layer i has attention (and a KV cache): not a convolution or Gated DeltaNet, and not a Mamba-2 layer unless the mixer runs beside it (Falcon-H1). */
const isAttnLayer = (c: LlamaConfig, i: number): boolean => !isConvLayer(c, i) && !isDeltaLayer(c, i) && (!isMambaLayer(c, i) || c.mamba2!.parallel === true);
/** The Gated DeltaNet layer's sizes (config.gatedDeltaNet plus the width and ε). */
const deltaShape = (c: LlamaConfig): GatedDeltaNetShape => ({ ...c.gatedDeltaNet!, hiddenSize: c.hiddenSize, eps: c.rmsNormEps });
/** A Gated DeltaNet layer's tensor names: llama.cpp's under the layer's `linear_attn.` (gguf-weights.ts maps them there). */
const deltaName = (i: number) => (s: string) => L(i, `linear_attn.${s}`);

/** The Mamba-2 mixer's sizes (config.mamba2 plus the width). */
const mixerShape = (c: LlamaConfig): Mamba2MixerShape => ({ ...c.mamba2!, hiddenSize: c.hiddenSize });
/** A Mamba-2 layer's tensor names: llama.cpp's ssm_* under the layer (gguf-weights.ts maps them there). */
const mambaName = (i: number) => (s: string) => L(i, `mamba.${s}`);
/** The stacked gate + up weight of a layer ([2·intermediate, hidden]; Llama.load, stackLinears). */
const GATE_UP = 'mlp.gate_up_proj.weight';
/** The stacked q + k + v weight of a layer ([(heads + 2·kvHeads)·headDim, hidden]). */
const QKV = 'self_attn.qkv_proj.weight';
/** Its bias (Qwen2): the q, k and v biases end to end. */
const QKV_BIAS = 'self_attn.qkv_proj.bias';
/** Phi-3's LongRoPE magnitude on q's and k's rotated dims ([heads·headDim], [kvHeads·headDim]). */
const ROPE_SCALE_Q = '#rope-scale-q';
const ROPE_SCALE_K = '#rope-scale-k';
/** Qwen3.5: the gate rows of q_proj ([heads·headDim, hidden]), split from its query rows at load. */
const Q_GATE = 'self_attn.q_proj.weight#gate';

export class Llama extends ForwardLM<LlamaState> implements CausalLM {
  protected readonly hiddenStages: number;
  readonly family = 'llama' as const;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  private readonly b: ModelBackend;
  private readonly sparseCfg: SparseAttentionConfig;
  private readonly capacity: number;
  /** Per layer: whether q/k/v and gate/up were stacked at load (Llama.load decides layer by layer). */
  private readonly stacked: { qkv: boolean; gateUp: boolean }[];
  /** Per layer: the index of its KV cache in the state (−1: none). */
  private readonly kvSlot: number[];
  /** Per layer: the index of its conv window (LFM2), Mamba-2 state (Granite 4.0-H, Falcon-H1) or Gated DeltaNet state (Qwen3.5) in the state (−1: none). */
  private readonly slot: number[];

  private constructor(
    readonly backend: Backend,
    readonly config: LlamaConfig,
    readonly weights: WeightMap,
    readonly opts: Required<Pick<LlamaOptions, 'kvDtype' | 'attention' | 'ropeStyle'>> & LlamaOptions,
    private readonly hostEmbed?: HostEmbedding,
    /** RoPE frequency divisors (Llama 3 scaling: config.json's rope_scaling or a GGUF's rope_freqs.weight). */
    private readonly freqFactors?: number[],
  ) {
    super();
    this.hiddenStages = config.numLayers + 2;
    this.b = need(backend, 'denseAttention', 'kvAppend', ...(opts.attention === 'sparse' ? (['sparseAttention', 'sparseDecode'] as const) : []), ...(config.shortConv ? (['causalConv1d'] as const) : []), ...(config.mamba2 ? (['causalConv1d', 'selectiveScan'] as const) : []), ...(config.gatedDeltaNet ? (['causalConv1d', 'wkv7'] as const) : []));
    // each layer's slots in the state: its KV cache; its convolution window (LFM2), Mamba-2 state or Gated DeltaNet state
    let [kv, conv, mamba, delta] = [0, 0, 0, 0];
    this.kvSlot = Array.from({ length: config.numLayers }, (_, i) => (isAttnLayer(config, i) ? kv++ : -1));
    this.slot = Array.from({ length: config.numLayers }, (_, i) => (isConvLayer(config, i) ? conv++ : isMambaLayer(config, i) ? mamba++ : isDeltaLayer(config, i) ? delta++ : -1));
    this.vocabSize = config.vocabSize;
    this.hiddenSize = config.hiddenSize;
    this.numLayers = config.numLayers;
    this.sparseCfg = sparseConfig({ causal: true, ...opts.sparse });
    this.stacked = Array.from({ length: config.numLayers }, (_, i) => ({ qkv: weights.has(L(i, QKV)), gateUp: weights.has(L(i, GATE_UP)) }));
    this.capacity = opts.contextLength ?? Math.min(config.maxPositionEmbeddings, 4096);
    Llama.checkConfig(config);
    Llama.checkOptions(config, opts.attention);
    // partialRope's permutation is for 'half' RoPE
    if (((config.rotaryDim ?? config.headDim) < config.headDim || config.ropeSections) && opts.ropeStyle !== 'half') throw new SparrowError('UNSUPPORTED', `llama: partial RoPE with '${opts.ropeStyle}' pairs is not implemented (NEOX / 'half' is)`);
  }

  /** UNSUPPORTED for what this model does not implement (load checks it before uploading anything). */
  private static checkConfig(config: LlamaConfig): void {
    if (config.ropeScaling && config.ropeScaling.type !== 'llama3') {
      throw new SparrowError('UNSUPPORTED', `llama: RoPE scaling '${config.ropeScaling.type}' is not implemented (llama3 is)`, { ropeType: config.ropeScaling.type });
    }
    if (config.attentionBias || config.mlpBias) throw new SparrowError('UNSUPPORTED', 'llama: biases on the output projection / MLP are not implemented (q/k/v biases are, as in Qwen2)');
    if (config.hiddenAct !== 'silu') throw new SparrowError('UNSUPPORTED', `llama: hidden_act '${config.hiddenAct}' is not implemented (silu is)`);
    if (config.mamba2) mamba2Check(mixerShape(config), 'llama');
    if (config.gatedDeltaNet) gatedDeltaNetCheck(deltaShape(config), 'llama');
    if (config.headDim % 2 !== 0) throw new SparrowError('SHAPE_MISMATCH', `llama: head size ${config.headDim} must be even (RoPE turns pairs)`);
    if (config.rotaryDim !== undefined && (config.rotaryDim % 2 !== 0 || config.rotaryDim > config.headDim)) throw new SparrowError('SHAPE_MISMATCH', `llama: rotary dims ${config.rotaryDim} must be even and at most the head size ${config.headDim}`);
    if ((config.attnOutputGate || config.rotaryDim !== undefined || config.longRope) && config.qkvBias) throw new SparrowError('UNSUPPORTED', 'llama: gated attention or partial RoPE with q / k / v biases is not implemented');
  }

  /** Options the config cannot run with (the constructor checks them once the options are resolved). */
  private static checkOptions(config: LlamaConfig, attention: string): void {
    if (config.granite?.attention && attention === 'sparse') throw new SparrowError('UNSUPPORTED', 'llama: Granite\'s attention scale with sparse attention is not implemented (dense is)');
  }

  /** Names of the linear weights (prunable, sparse-capable). */
  static linearNames(c: LlamaConfig): string[] {
    const out: string[] = [];
    for (let i = 0; i < c.numLayers; i++) {
      if (isConvLayer(c, i)) out.push(convName(i)('in_proj.weight'), convName(i)('out_proj.weight'));
      if (isMambaLayer(c, i)) out.push(mambaName(i)('ssm_in.weight'), mambaName(i)('ssm_out.weight'));
      if (isDeltaLayer(c, i)) out.push(deltaName(i)('attn_qkv.weight'), deltaName(i)('attn_gate.weight'), deltaName(i)('ssm_out.weight'));
      if (isAttnLayer(c, i)) for (const p of ['q', 'k', 'v', 'o']) out.push(L(i, `self_attn.${p}_proj.weight`));
      for (const p of ['gate', 'up', 'down']) out.push(L(i, `mlp.${p}_proj.weight`));
    }
    return out;
  }

  static async load(backend: Backend, config: LlamaConfig, file: WeightFile, opts: LlamaOptions = {}): Promise<Llama> {
    const c = config;
    Llama.checkConfig(c);
    Llama.checkOptions(c, opts.attention ?? 'dense');
    // RoPE frequency divisors first: a bad rope_freqs.weight fails before anything is uploaded
    let freqFactors: number[] | undefined;
    if (file.has(ROPE_FREQS)) {
      expectShape(file, ROPE_FREQS, [c.headDim / 2]);
      freqFactors = Array.from(await file.f32(ROPE_FREQS));
    } else if (c.ropeScaling?.type === 'llama3') freqFactors = llama3FreqFactors(c.ropeScaling, c.headDim, c.ropeTheta);
    // partial RoPE: q / k rows permuted at load, frequencies from these factors (partialRope); Phi-3's
    // LongRoPE divisors: the long ones for a context longer than the original, as llama.cpp picks them
    const rotary = c.rotaryDim ?? c.headDim;
    // The first attention layer's q projection confirms heads × head size against the file before
    // anything sized by them (RoPE layout, LongRoPE scales) is built: a corrupt size is SHAPE_MISMATCH here
    const firstAttn = Array.from({ length: c.numLayers }, (_, i) => i).find((i) => isAttnLayer(c, i));
    if (firstAttn !== undefined) {
      const fusedQkv = file.has(L(firstAttn, QKV));
      const qRows = fusedQkv ? (c.numHeads + 2 * c.numKvHeads) * c.headDim : (c.attnOutputGate ? 2 : 1) * c.numHeads * c.headDim;
      expectShape(file, fusedQkv ? L(firstAttn, QKV) : L(firstAttn, 'self_attn.q_proj.weight'), [qRows, c.hiddenSize]);
    }
    let pairFactors: Float32Array | undefined;
    if (c.longRope) {
      const name = (opts.contextLength ?? Math.min(c.maxPositionEmbeddings, 4096)) > c.longRope.originalContext ? 'rope_factors_long.weight' : 'rope_factors_short.weight';
      if (file.has(name)) {
        expectShape(file, name, [rotary / 2]);
        pairFactors = await file.f32(name);
      }
    }
    const partial = rotary < c.headDim || c.ropeSections || c.longRope ? partialRope(c.headDim, rotary, c.ropeTheta, c.ropeSections ? imropeTurns(c.ropeSections) : undefined, pairFactors) : undefined;
    if (partial && freqFactors) throw new SparrowError('UNSUPPORTED', 'llama: partial RoPE with RoPE frequency factors (rope_freqs / llama3 scaling) is not implemented');
    if (partial) freqFactors = partial.factors;
    const w = new WeightMap(backend);
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    try {
      const put = async (name: string, shape: number[]) => w.set(name, await uploadChecked(file, name, shape, backend));
      const param = async (name: string, shape: number[]) => w.set(name, await uploadParam(file, name, shape, backend));
      const lin = async (name: string, shape: [number, number]) => w.set(name, await loadLinear(file, name, shape, backend, { sparse: opts.sparseLinears }));
      await put('model.embed_tokens.weight', [c.vocabSize, c.hiddenSize]);
      if (c.longRope && c.longRope.attnFactor !== 1) {
        // LongRoPE's magnitude on the rotated dims of q and k (rotatedScale)
        w.set(ROPE_SCALE_Q, backend.tensor([qDim], 'f32', rotatedScale(c.numHeads, c.headDim, rotary, c.longRope.attnFactor)));
        w.set(ROPE_SCALE_K, backend.tensor([kvDim], 'f32', rotatedScale(c.numKvHeads, c.headDim, rotary, c.longRope.attnFactor)));
      }
      for (let i = 0; i < c.numLayers; i++) {
        await param(L(i, 'input_layernorm.weight'), [c.hiddenSize]);
        await param(L(i, 'post_attention_layernorm.weight'), [c.hiddenSize]);
        if (isConvLayer(c, i)) await loadShortConv(w, file, convName(i), c.hiddenSize, c.shortConv!.kernel, backend, { sparse: opts.sparseLinears });
        if (isMambaLayer(c, i)) await loadMamba2Mixer(w, file, mambaName(i), mixerShape(c), backend, { sparse: opts.sparseLinears });
        if (isDeltaLayer(c, i)) await loadGatedDeltaNet(w, file, deltaName(i), deltaShape(c), backend, { sparse: opts.sparseLinears });
        if (isAttnLayer(c, i) && (c.attnOutputGate || partial)) {
          // Qwen3.5: q_proj's rows are per head [query (D) | gate (D)]; q and k rows in partialRope's order
          const D = c.headDim;
          const order = partial?.order ?? Array.from({ length: D }, (_, d) => d);
          const g = c.attnOutputGate ? 2 : 1;
          const rows = (name: string, total: number, ranges: [number, number][]) => loadLinearRowRanges(file, L(i, name), [total, c.hiddenSize], ranges, backend, { sparse: opts.sparseLinears });
          if (file.has(L(i, QKV))) {
            // Phi-3: one matrix, rows [q | k | v]
            const total = qDim + 2 * kvDim;
            w.set(L(i, 'self_attn.q_proj.weight'), await rows(QKV, total, headRowRanges(c.numHeads, (h) => h * D, order)));
            w.set(L(i, 'self_attn.k_proj.weight'), await rows(QKV, total, headRowRanges(c.numKvHeads, (h) => qDim + h * D, order)));
            w.set(L(i, 'self_attn.v_proj.weight'), await rows(QKV, total, [[qDim + kvDim, total]]));
          } else {
            w.set(L(i, 'self_attn.q_proj.weight'), await rows('self_attn.q_proj.weight', g * qDim, headRowRanges(c.numHeads, (h) => h * g * D, order)));
            if (c.attnOutputGate) w.set(L(i, Q_GATE), await rows('self_attn.q_proj.weight', g * qDim, Array.from({ length: c.numHeads }, (_, h): [number, number] => [h * 2 * D + D, (h + 1) * 2 * D])));
            w.set(L(i, 'self_attn.k_proj.weight'), await rows('self_attn.k_proj.weight', kvDim, headRowRanges(c.numKvHeads, (h) => h * D, order)));
            await lin(L(i, 'self_attn.v_proj.weight'), [kvDim, c.hiddenSize]);
          }
          for (const n of c.qkNorm ? ['self_attn.q_norm.weight', 'self_attn.k_norm.weight'] : []) {
            expectShape(file, L(i, n), [D]);
            const v = await file.f32(L(i, n));
            w.set(L(i, n), backend.tensor([D], 'f32', Float32Array.from(order, (d) => v[d])));
          }
          await lin(L(i, 'self_attn.o_proj.weight'), [c.hiddenSize, qDim]);
        } else if (isAttnLayer(c, i)) {
          const qkvNames = ['q', 'k', 'v'].map((p) => L(i, `self_attn.${p}_proj.weight`));
          const qkvShapes: [number, number][] = [[qDim, c.hiddenSize], [kvDim, c.hiddenSize], [kvDim, c.hiddenSize]];
          // Qwen3 normalises q and k per head before RoPE, which the stacked q/k/v op (rope inside) cannot;
          // without RoPE there is no rotation for it to fuse
          const stackQkv = opts.stackLinears !== false && !c.qkNorm && !c.noRopeLayers?.[i];
          const qkv = stackQkv ? await loadStackedLinear(file, qkvNames, qkvShapes, backend, { sparse: opts.sparseLinears }) : undefined;
          if (qkv) w.set(L(i, QKV), qkv);
          else for (let j = 0; j < 3; j++) await lin(qkvNames[j], qkvShapes[j]);
          if (c.qkvBias) {
            const names = ['q', 'k', 'v'].map((p) => L(i, `self_attn.${p}_proj.bias`));
            if (qkv) {
              names.forEach((n, j) => expectShape(file, n, [qkvShapes[j][0]]));
              w.set(L(i, QKV_BIAS), backend.tensor([qDim + 2 * kvDim], 'f32', new Float32Array(concatBytes((await Promise.all(names.map((n) => file.f32(n)))).map(bytesOf)).buffer)));
            } else for (let j = 0; j < 3; j++) await param(names[j], [qkvShapes[j][0]]);
          }
          if (c.qkNorm) {
            await param(L(i, 'self_attn.q_norm.weight'), [c.headDim]);
            await param(L(i, 'self_attn.k_norm.weight'), [c.headDim]);
          }
          await lin(L(i, 'self_attn.o_proj.weight'), [c.hiddenSize, qDim]);
        }
        const gateUp = [L(i, 'mlp.gate_proj.weight'), L(i, 'mlp.up_proj.weight')];
        const shape: [number, number] = [c.intermediateSize, c.hiddenSize];
        // Phi-3's file holds them stacked already (ffn_up, rows [gate | up])
        const stacked = file.has(L(i, GATE_UP))
          ? await loadLinear(file, L(i, GATE_UP), [2 * c.intermediateSize, c.hiddenSize], backend, { sparse: opts.sparseLinears })
          : opts.stackLinears === false ? undefined : await loadStackedLinear(file, gateUp, [shape, shape], backend, { sparse: opts.sparseLinears });
        if (stacked) w.set(L(i, GATE_UP), stacked);
        else for (const name of gateUp) await lin(name, shape);
        await lin(L(i, 'mlp.down_proj.weight'), [c.hiddenSize, c.intermediateSize]);
      }
      await param('model.norm.weight', [c.hiddenSize]);
      if (file.has('lm_head.weight')) await put('lm_head.weight', [c.vocabSize, c.hiddenSize]);
      else if (!c.tieWordEmbeddings) throw new SparrowError('TENSOR_MISSING', `${file.name}: lm_head.weight is missing and tie_word_embeddings is false`, { tensor: 'lm_head.weight' });
    } catch (e) {
      w.dispose();
      throw e;
    }
    // Quantized tables (GGUF token_embd) stay quantized on the device for the tied head; the
    // lookup dequantizes the n needed rows on the host from the file's raw blocks. f32 / f16 /
    // bf16 tables are looked up on the device (every backend's embedding takes them).
    let hostEmbed: HostEmbedding | undefined;
    try {
      hostEmbed = await hostEmbeddingOf(file, 'model.embed_tokens.weight', w.get('model.embed_tokens.weight').dtype, c.hiddenSize, 'llama');
    } catch (e) {
      w.dispose();
      throw e;
    }
    // Defaults by ??, not by spreading opts over them: an option passed as undefined means "default"
    // (spread, it replaced the default, and attention: undefined ran the sparse path).
    const kvDtype = opts.kvDtype ?? 'f32';
    const attention = opts.attention ?? 'dense';
    // llama.cpp's converter permutes Q/K rows for some architectures (GGUF_PERMUTED_QK); qwen2 / qwen3 keep HF's order
    const ropeStyle = opts.ropeStyle ?? (file.kind === 'gguf' && GGUF_PERMUTED_QK.includes(c.arch) ? 'interleaved' : 'half');
    return new Llama(backend, c, w, { ...opts, kvDtype, attention, ropeStyle }, hostEmbed, freqFactors);
  }

  /** Most tokens one state holds: the KV cache capacity (LlamaOptions.contextLength). */
  get contextLength(): number {
    return this.capacity;
  }

  /**
   * Keep the state's first `position` tokens (CausalLM.rewind). The cached rows before it are
   * untouched and later appends overwrite the rest. With sparse attention the kept prefix ends at a
   * landmark block boundary: a block's mean is a running mean that cannot take rows out again,
   * while a block started afresh is recomputed exactly.
   */
  rewind(state: ModelState, position: number): number {
    const s = state as LlamaState;
    let keep = Math.max(0, Math.min(Math.floor(position), s.position));
    if (this.opts.attention === 'sparse') keep -= keep % this.sparseCfg.blockSize;
    // convolution windows and SSM / Gated DeltaNet states (LFM2, Granite 4.0-H, Falcon-H1, Qwen3.5)
    // hold only the present: going back means starting afresh
    const recurrent = s.recurrent();
    if (recurrent.length && keep < s.position) {
      keep = 0;
      for (const t of recurrent) this.backend.fill(t, 0);
    }
    for (const c of s.caches) c.length = keep;
    s.position = keep;
    return keep;
  }

  /**
   * LFM2, Granite 4.0-H, Falcon-H1, Qwen3.5: a copy of the convolution windows and recurrent states at the state's position
   * (CausalLM.snapshot); the KV caches need none, they rewind. Null for attention-only models, and
   * with sparse attention (whose landmark means only rewind to block boundaries).
   */
  override get snapshots(): boolean {
    const c = this.config;
    return Boolean(c.shortConv?.layers.some((x) => x) || c.mamba2?.layers.some((x) => x) || c.gatedDeltaNet?.layers.some((x) => x)) && this.opts.attention !== 'sparse';
  }

  override snapshot(state: ModelState): ModelState | null {
    const s = state as LlamaState;
    if (!s.recurrent().length || this.opts.attention === 'sparse') return null;
    const b = this.backend;
    const copy = (t: Tensor) => {
      const c = b.tensor(t.shape, 'f32');
      b.copy(c, 0, t, 0, t.size);
      return c;
    };
    const copyLayer = (l: ConvRecurrentState): ConvRecurrentState => ({ conv: l.conv.map(copy), state: copy(l.state) });
    const snap = new LlamaState(b, [], 1, s.conv.map(copy), s.mamba.map(copyLayer), s.gdn.map(copyLayer));
    snap.position = s.position;
    return snap;
  }

  /** Back to a snapshot's position: its convolution windows and recurrent states copied in, the KV caches rewound. */
  override restore(state: ModelState, snapshot: ModelState): number {
    const [s, snap] = [state as LlamaState, snapshot as LlamaState];
    const [to, from] = [s.recurrent(), snap.recurrent()];
    if (from.length !== to.length || snap.position > s.position) throw new SparrowError('INVALID_ARGUMENT', `restore: a snapshot at ${snap.position} does not fit this state (at ${s.position})`);
    to.forEach((t, i) => this.backend.copy(t, 0, from[i], 0, t.size));
    for (const c of s.caches) c.length = snap.position;
    s.position = snap.position;
    return s.position;
  }

  private get head(): Tensor {
    return this.weights.has('lm_head.weight') ? this.weights.get('lm_head.weight') : this.weights.get('model.embed_tokens.weight');
  }

  newState(): LlamaState {
    const c = this.config;
    const layers = Array.from({ length: c.numLayers }, (_, i) => i);
    const convLayers = layers.filter((i) => isConvLayer(c, i));
    const mambaLayers = layers.filter((i) => isMambaLayer(c, i));
    const deltaLayers = layers.filter((i) => isDeltaLayer(c, i));
    const caches = Array.from({ length: layers.filter((i) => isAttnLayer(c, i)).length }, () =>
      createKvCache(this.backend, { capacity: this.capacity, kvHeads: c.numKvHeads, dim: c.headDim, dtype: this.opts.kvDtype, blockSize: this.sparseCfg.blockSize }),
    );
    const conv = convLayers.map(() => this.backend.tensor([c.hiddenSize, c.shortConv!.kernel], 'f32'));
    return new LlamaState(this.backend, caches, c.vocabSize, conv, mambaLayers.map(() => newMamba2LayerState(this.backend, mixerShape(c))), deltaLayers.map(() => newGatedDeltaNetState(this.backend, deltaShape(c))));
  }

  /** Run n tokens at positions state.position … + n − 1; write logits of all rows or only the last. */
  protected forward(tokens: readonly number[], s: LlamaState, logits: Tensor, lastOnly: boolean, hidden?: Tensor): void {
    const b = this.b;
    const c = this.config;
    const n = tokens.length;
    if (n === 0) throw new SparrowError('INVALID_ARGUMENT', 'llama: no tokens to run');
    checkKvRoom('llama', s.position, n, this.capacity);
    const H = c.hiddenSize;
    const D = c.headDim;
    const qDim = c.numHeads * D;
    const kvDim = c.numKvHeads * D;
    const pos = s.position;
    const scratch = n === 1 ? s.scratch : new Scratch(b);
    scratch.reset();
    const t = (shape: number[]) => scratch.get(shape);
    try {
      // Residual stream ping-pongs between two buffers (no op writes a tensor it reads).
      let x = t([n, H]);
      let x2 = t([n, H]);
      this.embed(x, tokens, scratch);
      // Granite: scaled embeddings, scaled branch outputs, scaled logits (config.granite)
      const gr = c.granite;
      if (gr?.embedding) {
        b.scale(x2, x, gr.embedding);
        [x, x2] = [x2, x];
      }
      const branchOut = gr?.residual ? t([n, H]) : undefined;
      /** A block's attention / MLP output as it joins the residual stream (Granite: times residual_scale). */
      const branch = (o: Tensor): Tensor => {
        if (!branchOut) return o;
        b.scale(branchOut, o, gr!.residual);
        return branchOut;
      };
      if (hidden) b.copy(hidden, 0, x, 0, n * H);
      const h = t([n, H]);
      const residual = (o: Tensor) => {
        b.add(x2, x, branch(o));
        [x, x2] = [x2, x];
      };
      /** residual(o), then h = the next norm of the new stream, in one op (one dispatch on WebGPU). */
      const residualNorm = (o: Tensor, normWeight: Tensor) => {
        b.addRmsnorm(x2, h, x, branch(o), normWeight, c.rmsNormEps);
        [x, x2] = [x2, x];
      };
      // Stacking is decided per layer (a GGUF may store one layer's v in another type): scratch for
      // whichever forms the layers use.
      const layers = this.stacked;
      const qkv2 = layers.some((l) => l.qkv) ? t([n, qDim + 2 * kvDim]) : undefined;
      const q2 = layers.every((l) => l.qkv) ? undefined : t([n, qDim]);
      const k2 = layers.every((l) => l.qkv) ? undefined : t([n, kvDim]);
      const qr = t([n, qDim]);
      const kr = t([n, kvDim]);
      const v2 = t([n, kvDim]);
      const a2 = t([n, qDim]);
      const o = t([n, H]);
      const g = layers.every((l) => l.gateUp) ? undefined : t([n, c.intermediateSize]);
      const u = layers.every((l) => l.gateUp) ? undefined : t([n, c.intermediateSize]);
      const gu2 = layers.some((l) => l.gateUp) ? t([n, 2 * c.intermediateSize]) : undefined;
      const gu = t([n, c.intermediateSize]);
      const rope = { pos, headDim: D, theta: c.ropeTheta, style: this.opts.ropeStyle, freqFactors: this.freqFactors };
      // LFM2 short-convolution scratch
      const convBuf = c.shortConv ? shortConvBuffers(t, n, H) : undefined;
      // Granite 4.0-H / Falcon-H1 Mamba-2 scratch (Falcon-H1: the mixer's output and attention + mixer)
      const mambaBuf = c.mamba2 ? mamba2Buffers(t, n, mixerShape(c)) : undefined;
      const [ssmOut, sum] = c.mamba2?.parallel ? [t([n, H]), t([n, H])] : [];
      // Qwen3.5: Gated DeltaNet scratch; the attention gate and the gated output
      const deltaBuf = c.gatedDeltaNet ? gatedDeltaNetBuffers(t, n, deltaShape(c)) : undefined;
      const [gateRaw, gateSig, a2g] = c.attnOutputGate ? [t([n, qDim]), t([n, qDim]), t([n, qDim])] : [];
      // Phi-3: q and k with LongRoPE's magnitude on their rotated dims
      const ropeScaled = this.weights.has(ROPE_SCALE_Q) ? [t([n, qDim]), t([n, kvDim])] : undefined;
      // Qwen2 biases and Qwen3 per-head norms need a second buffer (no op writes a tensor it reads)
      const qkvB = c.qkvBias && qkv2 ? t([n, qDim + 2 * kvDim]) : undefined;
      const [qB, kB, vB] = c.qkvBias && q2 ? [t([n, qDim]), t([n, kvDim]), t([n, kvDim])] : [];
      // per-head norm buffers: rows [n·heads, D] in, normed rows out, back to [n, heads·D]
      const headBufs = (hs: number) => (c.qkNorm ? [t([n * hs, D]), t([n * hs, D]), t([n, hs * D])] : []);
      const [qHeads, kHeads] = [headBufs(c.numHeads), headBufs(c.numKvHeads)];
      const biased = (x: Tensor, bias: Tensor, out: Tensor): Tensor => {
        b.add(out, x, bias);
        return out;
      };
      /** x [n, h·D] → each head's D values RMS-normalised with weight w[D] (Qwen3), as [n, h·D]. */
      const headNorm = (x: Tensor, w: Tensor, [rows, normed, out]: Tensor[]): Tensor => {
        b.copy(rows, 0, x, 0, x.size);
        b.rmsnorm(normed, rows, w, c.rmsNormEps);
        b.copy(out, 0, normed, 0, x.size);
        return out;
      };
      b.rmsnorm(h, x, this.weights.get(L(0, 'input_layernorm.weight')), c.rmsNormEps);
      for (let i = 0; i < c.numLayers; i++) {
        const W = (name: string) => this.weights.get(L(i, name));
        // h holds this layer's input norm (before the loop, or from the previous layer's residualNorm)
        if (isConvLayer(c, i)) runShortConv(b, this.weights, convName(i), o, h, n, s.conv[this.slot[i]], convBuf!);
        if (isDeltaLayer(c, i)) runGatedDeltaNet(b, this.weights, deltaName(i), o, h, n, s.gdn[this.slot[i]], deltaBuf!, deltaShape(c));
        // the Mamba-2 mixer's output: the layer's branch output (Granite 4.0-H), or added to attention's (Falcon-H1)
        if (isMambaLayer(c, i)) runMamba2Mixer(b, this.weights, mambaName(i), isAttnLayer(c, i) ? ssmOut! : o, h, n, s.mamba[this.slot[i]], mambaBuf!, c.rmsNormEps);
        let branchOutput = o;
        if (isAttnLayer(c, i)) {
          let v = v2;
          // q and k as attention reads them: rotated (qr, kr), or as projected without RoPE
          let [qAtt, kAtt] = [qr, kr];
          if (layers[i].qkv) {
            linear(b, qkv2!, h, W(QKV), n);
            b.ropeQkv(qr, kr, v2, c.qkvBias ? biased(qkv2!, W(QKV_BIAS), qkvB!) : qkv2!, rope);
          } else {
            linear(b, q2!, h, W('self_attn.q_proj.weight'), n);
            linear(b, k2!, h, W('self_attn.k_proj.weight'), n);
            linear(b, v2, h, W('self_attn.v_proj.weight'), n);
            let [q, k] = [q2!, k2!];
            if (c.qkvBias) [q, k, v] = [biased(q, W('self_attn.q_proj.bias'), qB!), biased(k, W('self_attn.k_proj.bias'), kB!), biased(v, W('self_attn.v_proj.bias'), vB!)];
            if (c.qkNorm) [q, k] = [headNorm(q, W('self_attn.q_norm.weight'), qHeads), headNorm(k, W('self_attn.k_norm.weight'), kHeads)];
            if (ropeScaled) {
              b.mul(ropeScaled[0], q, this.weights.get(ROPE_SCALE_Q));
              b.mul(ropeScaled[1], k, this.weights.get(ROPE_SCALE_K));
              [q, k] = ropeScaled;
            }
            if (c.noRopeLayers?.[i]) [qAtt, kAtt] = [q, k];
            else {
              b.rope(qr, q, rope);
              b.rope(kr, k, rope);
            }
          }
          this.attend(a2, qAtt, kAtt, v, s.caches[this.kvSlot[i]], pos, n);
          // Qwen3.5: the output times σ(gate)
          if (c.attnOutputGate) {
            linear(b, gateRaw!, h, W(Q_GATE), n);
            b.sigmoid(gateSig!, gateRaw!);
            b.mul(a2g!, a2, gateSig!);
          }
          linear(b, o, c.attnOutputGate ? a2g! : a2, W('self_attn.o_proj.weight'), n);
          if (isMambaLayer(c, i)) {
            b.add(sum!, o, ssmOut!);
            branchOutput = sum!;
          }
        }
        residualNorm(branchOutput, W('post_attention_layernorm.weight'));
        if (layers[i].gateUp) {
          linear(b, gu2!, h, W(GATE_UP), n);
          b.swiglu(gu, gu2!);
        } else {
          linear(b, g!, h, W('mlp.gate_proj.weight'), n);
          linear(b, u!, h, W('mlp.up_proj.weight'), n);
          b.siluMul(gu, g!, u!);
        }
        linear(b, o, gu, W('mlp.down_proj.weight'), n);
        if (i + 1 < c.numLayers) residualNorm(o, this.weights.get(L(i + 1, 'input_layernorm.weight')));
        else residual(o);
        if (hidden) b.copy(hidden, (i + 1) * n * H, x, 0, n * H);
      }
      const rows = lastOnly ? 1 : n;
      const last = headRows(b, x, n, H, lastOnly, scratch);
      const hn = t([rows, H]);
      b.rmsnorm(hn, last, this.weights.get('model.norm.weight'), c.rmsNormEps);
      if (hidden) b.copy(hidden, (c.numLayers + 1) * n * H, hn, 0, n * H);
      if (gr?.logit) {
        const raw = t([rows, c.vocabSize]);
        linear(b, raw, hn, this.head, rows);
        b.scale(logits, raw, 1 / gr.logit);
      } else linear(b, logits, hn, this.head, rows);
      s.position += n;
    } finally {
      if (scratch !== s.scratch) scratch.free();
    }
  }

  private embed(x: Tensor, tokens: readonly number[], scratch: Scratch): void {
    embedTokens(this.backend, x, tokens, this.weights.get('model.embed_tokens.weight'), this.hostEmbed, this.vocabSize, scratch);
  }

  /** out, q [n, Hq·D]; k, v [n, Hkv·D] (2-D projection outputs, RoPE applied). */
  private attend(out: Tensor, q: Tensor, k: Tensor, v: Tensor, cache: KvCache, pos: number, n: number): void {
    const b = this.b;
    const c = this.config;
    const D = c.headDim;
    if (this.opts.attention === 'dense') {
      b.kvAppend(cache, k, v);
      b.denseAttention(out, q, cache.k, cache.v, { causal: true, pos, kvLen: cache.length, headDim: D, ...(c.granite?.attention ? { scale: c.granite.attention } : {}) });
      return;
    }
    if (n === 1) {
      b.kvAppend(cache, k, v);
      b.sparseDecode(out, q, cache, this.sparseCfg);
      return;
    }
    const qd = c.numHeads * D;
    const kd = c.numKvHeads * D;
    const tmp: Tensor[] = [];
    const t = (shape: number[]) => {
      const x = b.tensor(shape, 'f32');
      tmp.push(x);
      return x;
    };
    try {
      if (pos === 0) {
        // Whole-sequence sparse prefill from an empty cache ([seq, heads, dim] operands); the cache
        // keeps k, v (and the landmark means) for decoding.
        b.kvAppend(cache, k, v);
        const [q3, k3, v3, o3] = [t([n, c.numHeads, D]), t([n, c.numKvHeads, D]), t([n, c.numKvHeads, D]), t([n, c.numHeads, D])];
        b.copy(q3, 0, q, 0, n * qd);
        b.copy(k3, 0, k, 0, n * kd);
        b.copy(v3, 0, v, 0, n * kd);
        b.sparseAttention(o3, q3, k3, v3, this.sparseCfg);
        b.copy(out, 0, o3, 0, n * qd);
        return;
      }
      // Continuing a non-empty cache with several tokens: one sparse decode per token.
      const [q1, k1, v1, o1] = [t([1, qd]), t([1, kd]), t([1, kd]), t([1, qd])];
      for (let r = 0; r < n; r++) {
        b.copy(q1, 0, q, r * qd, qd);
        b.copy(k1, 0, k, r * kd, kd);
        b.copy(v1, 0, v, r * kd, kd);
        b.kvAppend(cache, k1, v1);
        b.sparseDecode(o1, q1, cache, this.sparseCfg);
        b.copy(out, r * qd, o1, 0, qd);
      }
    } finally {
      for (const x of tmp) b.free(x);
    }
  }
}
