/**
 * Hugging Face config.json → one normalized, typed config per model family.
 *
 * Real users bring two layouts of the same model: the transformers-5 layout (RoPE under
 * `rope_parameters`, Mamba's `time_step_rank` already resolved to a number) and the older Hub layout
 * (top-level `rope_theta`, `rope_scaling`, `time_step_rank: "auto"`), plus for Mamba the original
 * state-spaces layout (`d_model`, `n_layer`, `pad_vocab_size_multiple`). All resolve to the same
 * object here, so model code never looks at raw JSON.
 */
import { SparrowError } from '../errors.ts';

export interface RopeScaling {
  /** 'linear' | 'dynamic' | 'llama3' | 'yarn' | 'longrope' (default RoPE is `null` scaling). */
  type: 'linear' | 'dynamic' | 'llama3' | 'yarn' | 'longrope';
  factor: number;
  /** llama3 / yarn parameters when present. */
  lowFreqFactor?: number;
  highFreqFactor?: number;
  originalMaxPositionEmbeddings?: number;
  /** Everything else the config carried, untouched. */
  raw: Record<string, unknown>;
}

/**
 * Architectures of the Llama config: llama, qwen2 and qwen3 run on the Llama model (the same block
 * with small differences); gemma3 (Gemma 3 text) and gemma2 (Gemma 2) on the Gemma model, src/models/gemma.ts.
 */
export type LlamaArch = 'llama' | 'qwen2' | 'qwen3' | 'gemma3' | 'gemma2' | 'lfm2' | 'granite' | 'granitehybrid' | 'smollm3' | 'falcon-h1' | 'qwen35' | 'ernie4_5' | 'phi3' | 'exaone';

/** What Gemma 3 and Gemma 2 add to the Llama config (arch 'gemma3' / 'gemma2'; src/models/gemma.ts). */
export interface Gemma3Params {
  /**
   * Keys a sliding-window (local) layer's query sees: its own position and the window − 1 before
   * it (HF sliding_window; llama.cpp's attention.sliding_window, LLAMA_SWA_TYPE_STANDARD).
   */
  slidingWindow: number;
  /** Per layer: true = sliding-window (local) attention, false = global attention. */
  slidingLayers: boolean[];
  /** RoPE base of the local layers (HF rope_local_base_freq); global layers use ropeTheta and ropeScaling. */
  ropeLocalTheta: number;
  /** Attention score scale: HF query_pre_attn_scalar^−½; for a GGUF, llama.cpp's rule (gguf-config.ts). */
  attentionScale: number;
  /** Attention logit soft-capping (Gemma 2: 50): scores cap · tanh(score / cap); 0 = none (Gemma 3). */
  attnSoftcap: number;
  /** Final logit soft-capping (Gemma 2: 30): logits cap · tanh(logit / cap); 0 = none (Gemma 3). */
  finalSoftcap: number;
}

export interface LlamaConfig {
  family: 'llama';
  /**
   * 'llama' (Llama, SmolLM2, …); 'qwen2' (Qwen2 / Qwen2.5: biases on the q, k and v projections);
   * 'qwen3' (Qwen3: an RMSNorm over each head of q and of k before RoPE, no biases).
   */
  arch: LlamaArch;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /** Biases on q, k, v and o (Llama's attention_bias). */
  attentionBias: boolean;
  /** Biases on q, k and v only (Qwen2). */
  qkvBias: boolean;
  /** Per-head RMSNorm of q and k (weights [headDim]) before RoPE (Qwen3, Gemma 3). */
  qkNorm: boolean;
  mlpBias: boolean;
  hiddenAct: string;
  bosTokenId: number | null;
  eosTokenIds: number[];
  /** Gemma 3 and Gemma 2 only (arch 'gemma3' / 'gemma2'). */
  gemma?: Gemma3Params;
  /**
   * LFM2 only (arch 'lfm2'): the layers that are gated short convolutions instead of attention
   * (llama.cpp: head_count_kv 0 there) and the convolution's length (shortconv.l_cache).
   */
  shortConv?: { layers: boolean[]; kernel: number };
  /**
   * Granite only (arch 'granite', IBM Granite 3.x / 4.0 dense): the embeddings times `embedding`, each
   * block's attention and MLP outputs times `residual` before they join the residual stream, attention
   * scores times `attention` (instead of 1/√head_dim), the logits divided by `logit`.
   */
  granite?: { embedding: number; residual: number; attention: number; logit: number };
  /**
   * Granite 4.0-H (arch 'granitehybrid'): the layers whose mixer is Mamba-2 instead of attention
   * (llama.cpp: head_count_kv 0 there; src/models/mamba2-mixer.ts) and the mixer's sizes (ssm.*);
   * every layer keeps its SwiGLU MLP; `granite` holds the multipliers (a logit scale of 0: none).
   * Falcon-H1 (arch 'falcon-h1'): `parallel` — every layer runs attention and the mixer side by side on
   * the same normed input and adds both outputs; its mixer's ssm_norm is optional (`normOptional`).
   */
  mamba2?: { layers: boolean[]; intermediateSize: number; stateSize: number; convKernel: number; numHeads: number; groups: number; parallel?: boolean; normOptional?: boolean };
  /**
   * Per layer: attention without positions (NoPE: q and k not rotated) — every layer of a Granite
   * 4.0-H (rope.scaling.finetuned false), every fourth of SmolLM3.
   */
  noRopeLayers?: boolean[];
  /**
   * Qwen3.5 (arch 'qwen35'): the layers that are Gated DeltaNet linear attention instead of softmax
   * attention (src/models/gated-deltanet.ts): q / k heads, value heads, their head size, the conv length.
   */
  gatedDeltaNet?: { layers: boolean[]; kHeads: number; vHeads: number; headDim: number; convKernel: number };
  /** Qwen3.5: q_proj's rows hold each head's query then its gate; attention's output is multiplied by σ(gate). */
  attnOutputGate?: boolean;
  /** Qwen3.5: RoPE on the first `rotaryDim` of each head's dims only (NEOX pairs within them); absent: all. */
  rotaryDim?: number;
  /**
   * Qwen3.5's interleaved M-RoPE sections (llama.cpp IMROPE, rope.dimension_sections [t, h, w, e]). Text
   * gives t, h and w the token's position and e position 0: rotated pair i (sector s = i mod Σ sections)
   * turns with the position when s mod 3 = 0 / 1 / 2 and s < 3·t / 3·h / 3·w, else not at all.
   */
  ropeSections?: number[];
  /**
   * Phi-3 / Phi-4-mini LongRoPE (arch 'phi3'): the rotated dims are scaled by `attnFactor`
   * (rope.scaling.attn_factor, √(1 + ln(scale) / ln(original context))), and the per-pair frequency
   * divisors are the file's rope_factors_long when the context is longer than `originalContext`,
   * rope_factors_short otherwise (as llama.cpp picks them).
   */
  longRope?: { attnFactor: number; originalContext: number };
}

export interface MambaConfig {
  family: 'mamba';
  vocabSize: number;
  hiddenSize: number;
  stateSize: number;
  numLayers: number;
  convKernel: number;
  expand: number;
  intermediateSize: number;
  timeStepRank: number;
  layerNormEps: number;
  useBias: boolean;
  useConvBias: boolean;
  residualInFp32: boolean;
  tieWordEmbeddings: boolean;
  hiddenAct: string;
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
}

export interface RwkvConfig {
  family: 'rwkv';
  vocabSize: number;
  hiddenSize: number;
  attentionHiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  layerNormEps: number;
  /** RWKV-4 halves the residual every N layers in fp16 inference; 0 disables it. */
  rescaleEvery: number;
  contextLength: number;
  tieWordEmbeddings: boolean;
  bosTokenId: number | null;
  eosTokenIds: number[];
}

/**
 * RWKV-7 ("Goose"), as llama.cpp's `rwkv7` GGUF describes it (no Hugging Face folder reader yet):
 * heads of `headSize` channels (C = heads · headSize), four low-rank (LoRA) projections per layer —
 * decay, in-context learning rate ("iclr", a), value residual mix (v) and output gate (g).
 */
export interface Rwkv7Config {
  family: 'rwkv7';
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  headSize: number;
  intermediateSize: number;
  decayLoraRank: number;
  iclrLoraRank: number;
  valueLoraRank: number;
  gateLoraRank: number;
  layerNormEps: number;
  bosTokenId: number | null;
  eosTokenIds: number[];
}

/**
 * Mamba-2 (state-spaces/mamba2-*), as llama.cpp's `mamba2` GGUF describes it: `numHeads` heads of
 * intermediateSize / numHeads channels with one scalar decay each, B and C shared by `groups`
 * groups of heads, a gated grouped RMSNorm before out_proj (no Hugging Face folder reader yet).
 */
export interface Mamba2Config {
  family: 'mamba2';
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  intermediateSize: number;
  stateSize: number;
  convKernel: number;
  numHeads: number;
  groups: number;
  layerNormEps: number;
  tieWordEmbeddings: boolean;
  bosTokenId: number | null;
  eosTokenIds: number[];
}

export type ModelConfig = LlamaConfig | MambaConfig | Mamba2Config | RwkvConfig | Rwkv7Config;

/** Parse a config.json (text or already-parsed object) and dispatch on model_type / architectures. */
export function parseHfConfig(json: unknown, file = 'config.json'): ModelConfig {
  const c = asObject(json, file);
  const family = detectFamily(c, file);
  if (family === 'llama') return parseLlamaConfig(c, file);
  if (family === 'mamba') return parseMambaConfig(c, file);
  return parseRwkvConfig(c, file);
}

function asObject(json: unknown, file: string): Record<string, unknown> {
  let v = json;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch (e) {
      throw new SparrowError('FORMAT_INVALID', `${file}: not valid JSON (${(e as Error).message})`, { file });
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SparrowError('FORMAT_INVALID', `${file}: config must be a JSON object`, { file });
  return v as Record<string, unknown>;
}

function detectFamily(c: Record<string, unknown>, file: string): ModelConfig['family'] {
  const mt = typeof c.model_type === 'string' ? c.model_type.toLowerCase() : '';
  const arch = Array.isArray(c.architectures) ? String(c.architectures[0] ?? '') : '';
  if (mt === 'llama' || mt === 'qwen2' || mt === 'qwen3' || /^(Llama|Qwen2|Qwen3)ForCausalLM/.test(arch)) return 'llama';
  if (mt === 'gemma3_text' || (mt === '' && /^Gemma3ForCausalLM/.test(arch))) return 'llama';
  if (mt === 'gemma2' || /^Gemma2ForCausalLM/.test(arch)) return 'llama';
  if (mt === 'gemma3' || /^Gemma3ForConditionalGeneration/.test(arch)) {
    throw new SparrowError('UNSUPPORTED', `${file}: a multimodal Gemma 3 checkpoint (model_type 'gemma3', Gemma3ForConditionalGeneration: text_config + vision tower) is not supported; the text-only model_type 'gemma3_text' (Gemma 3 1B, 270M) is`, { file, modelType: mt, architectures: c.architectures ?? null });
  }
  if (mt === 'mamba' || /^Mamba(?!2)/.test(arch) || ('d_model' in c && 'n_layer' in c && 'ssm_cfg' in c)) return 'mamba';
  if (mt === 'rwkv' || /^Rwkv/.test(arch)) return 'rwkv';
  throw new SparrowError('UNSUPPORTED', `${file}: model_type '${mt || '?'}' (architectures ${JSON.stringify(c.architectures ?? null)}) is not supported; expected llama, qwen2, qwen3, gemma3_text, gemma2, mamba or rwkv`, { file, modelType: mt, architectures: c.architectures ?? null });
}

/** The most layers a model file may declare (the largest released models have under 200): more is SIZE_LIMIT, before per-layer arrays are sized by it. */
export const MAX_LAYERS = 4096;

/** Typed field access: the first of several aliases that is present, with a default. */
class Fields {
  constructor(
    private c: Record<string, unknown>,
    private file: string,
  ) {}

  private pick(keys: string[]): [string, unknown] | undefined {
    for (const k of keys) if (this.c[k] !== undefined && this.c[k] !== null) return [k, this.c[k]];
    return undefined;
  }

  int(keys: string | string[], def?: number, min = 0): number {
    const ks = typeof keys === 'string' ? [keys] : keys;
    const p = this.pick(ks);
    if (!p) {
      if (def === undefined) throw new SparrowError('FORMAT_INVALID', `${this.file}: required field '${ks[0]}' is missing`, { file: this.file, field: ks[0] });
      return def;
    }
    const [k, v] = p;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new SparrowError('FORMAT_INVALID', `${this.file}: '${k}' must be an integer ≥ ${min}, got ${JSON.stringify(v)}`, { file: this.file, field: k, value: v });
    }
    return v;
  }

  /** A layer count: an integer from 1 to MAX_LAYERS (SIZE_LIMIT above). */
  layers(keys: string | string[]): number {
    const n = this.int(keys, undefined, 1);
    if (n > MAX_LAYERS) throw new SparrowError('SIZE_LIMIT', `${this.file}: ${n} layers; more than ${MAX_LAYERS} is not a model this engine can hold`, { file: this.file, value: n });
    return n;
  }

  num(keys: string | string[], def?: number): number {
    const ks = typeof keys === 'string' ? [keys] : keys;
    const p = this.pick(ks);
    if (!p) {
      if (def === undefined) throw new SparrowError('FORMAT_INVALID', `${this.file}: required field '${ks[0]}' is missing`, { file: this.file, field: ks[0] });
      return def;
    }
    const [k, v] = p;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new SparrowError('FORMAT_INVALID', `${this.file}: '${k}' must be a finite number, got ${JSON.stringify(v)}`, { file: this.file, field: k, value: v });
    return v;
  }

  bool(key: string, def: boolean): boolean {
    const v = this.c[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') throw new SparrowError('FORMAT_INVALID', `${this.file}: '${key}' must be a boolean, got ${JSON.stringify(v)}`, { file: this.file, field: key });
    return v;
  }

  str(key: string, def: string): string {
    const v = this.c[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string') throw new SparrowError('FORMAT_INVALID', `${this.file}: '${key}' must be a string`, { file: this.file, field: key });
    return v;
  }

  optInt(key: string): number | null {
    const v = this.c[key];
    if (v === undefined || v === null) return null;
    return this.int(key);
  }

  /** eos_token_id may be one id or a list (Llama 3). */
  ids(key: string): number[] {
    const v = this.c[key];
    if (v === undefined || v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    for (const id of list) {
      if (!Number.isSafeInteger(id) || (id as number) < 0) throw new SparrowError('FORMAT_INVALID', `${this.file}: '${key}' must be token id(s), got ${JSON.stringify(v)}`, { file: this.file, field: key });
    }
    return list as number[];
  }
}

function positive(file: string, what: string, v: number): number {
  if (!(v > 0)) throw new SparrowError('FORMAT_INVALID', `${file}: ${what} must be positive, got ${v}`, { file, field: what, value: v });
  return v;
}

/** The decoder's sizes, read the same way for every Llama-style family; `defs` are a family's config defaults. */
function decoderShape(
  f: Fields,
  c: Record<string, unknown>,
  file: string,
  defs: { numHeads?: number; numKvHeads?: number; headDim?: number; vocabSize?: number },
): Pick<LlamaConfig, 'vocabSize' | 'hiddenSize' | 'intermediateSize' | 'numLayers' | 'numHeads' | 'numKvHeads' | 'headDim' | 'rmsNormEps'> {
  const hiddenSize = f.int('hidden_size', undefined, 1);
  const numHeads = f.int('num_attention_heads', defs.numHeads, 1);
  const numKvHeads = f.int('num_key_value_heads', defs.numKvHeads ?? numHeads, 1);
  if (numHeads % numKvHeads !== 0) {
    throw new SparrowError('SHAPE_MISMATCH', `${file}: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`, { file });
  }
  // Llama derives head_dim from hidden_size unless given (Qwen3 gives it); Gemma has its own default
  const headDim = f.int('head_dim', defs.headDim ?? Math.floor(hiddenSize / numHeads), 1);
  if (defs.headDim === undefined && !('head_dim' in c) && hiddenSize % numHeads !== 0) {
    throw new SparrowError('SHAPE_MISMATCH', `${file}: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}`, { file });
  }
  if (headDim % 2 !== 0) throw new SparrowError('SHAPE_MISMATCH', `${file}: head_dim ${headDim} must be even for RoPE`, { file });
  return {
    vocabSize: f.int('vocab_size', defs.vocabSize, 1),
    hiddenSize,
    intermediateSize: f.int('intermediate_size', undefined, 1),
    numLayers: f.layers('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: positive(file, 'rms_norm_eps', f.num('rms_norm_eps', 1e-6)),
  };
}

export function parseLlamaConfig(c: Record<string, unknown>, file = 'config.json'): LlamaConfig {
  const f = new Fields(c, file);
  const mt = typeof c.model_type === 'string' ? c.model_type.toLowerCase() : '';
  const archName = Array.isArray(c.architectures) ? String(c.architectures[0] ?? '') : '';
  if (mt === 'gemma3_text' || /^Gemma3ForCausalLM/.test(archName)) return parseGemma3Config(c, file);
  if (mt === 'gemma2' || /^Gemma2ForCausalLM/.test(archName)) return parseGemma2Config(c, file);
  const arch: LlamaArch = mt === 'qwen2' || /^Qwen2ForCausalLM/.test(archName) ? 'qwen2' : mt === 'qwen3' || /^Qwen3ForCausalLM/.test(archName) ? 'qwen3' : 'llama';
  // Qwen2 / Qwen3 can restrict some layers to a sliding window; every released small model has it off
  if (arch !== 'llama' && f.bool('use_sliding_window', false)) {
    throw new SparrowError('UNSUPPORTED', `${file}: use_sliding_window is not supported (${arch} with full attention is)`, { file, field: 'use_sliding_window' });
  }
  const { theta, scaling } = ropeOf(c, file);
  return {
    family: 'llama',
    arch,
    ...decoderShape(f, c, file, {}),
    ropeTheta: theta,
    ropeScaling: scaling,
    maxPositionEmbeddings: f.int('max_position_embeddings', 2048, 1),
    tieWordEmbeddings: f.bool('tie_word_embeddings', false),
    attentionBias: arch === 'qwen2' ? false : f.bool('attention_bias', false),
    qkvBias: arch === 'qwen2',
    qkNorm: arch === 'qwen3',
    mlpBias: f.bool('mlp_bias', false),
    hiddenAct: f.str('hidden_act', 'silu'),
    bosTokenId: f.optInt('bos_token_id'),
    eosTokenIds: f.ids('eos_token_id'),
  };
}

/**
 * RoPE base and scaling from either layout:
 * - transformers 5: rope_parameters { rope_theta, rope_type, factor, … }
 * - older: rope_theta (default 10000) + rope_scaling { type | rope_type, factor, … } or null.
 */
function ropeOf(c: Record<string, unknown>, file: string): { theta: number; scaling: RopeScaling | null } {
  const params = c.rope_parameters;
  let theta: unknown;
  let scalingRaw: unknown;
  if (params !== undefined && params !== null) {
    if (typeof params !== 'object' || Array.isArray(params)) throw new SparrowError('FORMAT_INVALID', `${file}: rope_parameters must be an object`, { file });
    const p = params as Record<string, unknown>;
    theta = p.rope_theta ?? c.rope_theta ?? 10000;
    scalingRaw = p;
  } else {
    theta = c.rope_theta ?? 10000;
    scalingRaw = c.rope_scaling;
  }
  if (typeof theta !== 'number' || !(theta > 0) || !Number.isFinite(theta)) {
    throw new SparrowError('FORMAT_INVALID', `${file}: rope_theta must be a positive number, got ${JSON.stringify(theta)}`, { file });
  }
  return { theta, scaling: ropeScalingOf(scalingRaw, file) };
}

function ropeScalingOf(raw: unknown, file: string): RopeScaling | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new SparrowError('FORMAT_INVALID', `${file}: rope_scaling must be an object or null`, { file });
  const r = raw as Record<string, unknown>;
  const type = (r.rope_type ?? r.type ?? 'default') as string;
  if (type === 'default') return null;
  if (!['linear', 'dynamic', 'llama3', 'yarn', 'longrope'].includes(type)) {
    throw new SparrowError('UNSUPPORTED', `${file}: RoPE scaling type '${type}' is not supported`, { file, ropeType: type });
  }
  const factor = r.factor;
  if (typeof factor !== 'number' || !(factor > 0)) throw new SparrowError('FORMAT_INVALID', `${file}: rope scaling '${type}' needs a positive factor, got ${JSON.stringify(factor)}`, { file });
  const out: RopeScaling = { type: type as RopeScaling['type'], factor, raw: { ...r } };
  if (typeof r.low_freq_factor === 'number') out.lowFreqFactor = r.low_freq_factor;
  if (typeof r.high_freq_factor === 'number') out.highFreqFactor = r.high_freq_factor;
  if (typeof r.original_max_position_embeddings === 'number') out.originalMaxPositionEmbeddings = r.original_max_position_embeddings;
  return out;
}

/**
 * Gemma 3 text (model_type 'gemma3_text', Gemma3ForCausalLM), transformers' Gemma3TextConfig with its
 * defaults: sliding-window attention on the layers `layer_types` names 'sliding_attention' (older
 * configs: all but every sliding_window_pattern-th), RoPE base rope_local_base_freq there; global
 * layers use rope_theta and rope_scaling (linear only). What Sparrow does not implement is refused:
 * logit soft-capping (Gemma 2's; null in every Gemma 3), bidirectional attention (EmbeddingGemma),
 * biases, activations other than gelu_pytorch_tanh, other RoPE scalings.
 */
function parseGemma3Config(c: Record<string, unknown>, file: string): LlamaConfig {
  const f = new Fields(c, file);
  const refuse = (field: string, why: string): never => {
    throw new SparrowError('UNSUPPORTED', `${file}: gemma3 ${why}`, { file, field, value: c[field] ?? null });
  };
  for (const k of ['final_logit_softcapping', 'attn_logit_softcapping']) {
    if (c[k] !== undefined && c[k] !== null) refuse(k, `${k} = ${JSON.stringify(c[k])} is not implemented (every Gemma 3 release has it null)`);
  }
  if (f.bool('use_bidirectional_attention', false)) refuse('use_bidirectional_attention', 'with bidirectional attention (EmbeddingGemma) is not supported');
  if (f.bool('attention_bias', false)) refuse('attention_bias', 'attention biases are not implemented');
  const act = f.str('hidden_activation', f.str('hidden_act', 'gelu_pytorch_tanh'));
  if (act !== 'gelu_pytorch_tanh') refuse('hidden_activation', `hidden_activation '${act}' is not implemented (gelu_pytorch_tanh is)`);
  // Gemma3TextConfig's defaults (a Gemma-3-4B's heads; head_dim never derived from hidden_size)
  const shape = decoderShape(f, c, file, { numHeads: 8, numKvHeads: 4, headDim: 256, vocabSize: 262208 });
  const numLayers = shape.numLayers;
  // RoPE: transformers 5 keeps one parameter set per layer type, older configs rope_theta /
  // rope_scaling (global layers) and rope_local_base_freq (local layers)
  let theta: number;
  let localTheta: number;
  let scaling: RopeScaling | null;
  const params = c.rope_parameters;
  if (params && typeof params === 'object' && !Array.isArray(params) && ('full_attention' in params || 'sliding_attention' in params)) {
    const p = params as Record<string, unknown>;
    const part = (k: string, defTheta: number) => {
      const v = p[k] ?? {};
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SparrowError('FORMAT_INVALID', `${file}: rope_parameters.${k} must be an object`, { file });
      return ropeOf({ rope_parameters: { rope_theta: defTheta, ...v } }, file);
    };
    const [full, local] = [part('full_attention', 1_000_000), part('sliding_attention', 10000)];
    if (local.scaling) refuse('rope_parameters', `RoPE scaling '${local.scaling.type}' on the sliding-window layers is not implemented`);
    [theta, localTheta, scaling] = [full.theta, local.theta, full.scaling];
  } else {
    const r = ropeOf({ ...c, rope_theta: c.rope_theta ?? 1_000_000 }, file);
    [theta, scaling] = [r.theta, r.scaling];
    localTheta = positive(file, 'rope_local_base_freq', f.num('rope_local_base_freq', 10000));
  }
  if (scaling && scaling.type !== 'linear') refuse('rope_scaling', `RoPE scaling '${scaling.type}' is not implemented (linear, on the global layers, is)`);
  // Which layers slide: layer_types (transformers ≥ 4.53), else every pattern-th layer is global
  let slidingLayers: boolean[];
  if (Array.isArray(c.layer_types)) {
    const types = c.layer_types as unknown[];
    if (types.length !== numLayers || !types.every((t) => t === 'sliding_attention' || t === 'full_attention')) {
      throw new SparrowError('FORMAT_INVALID', `${file}: layer_types must list 'sliding_attention' / 'full_attention' for each of the ${numLayers} layers`, { file, field: 'layer_types' });
    }
    slidingLayers = types.map((t) => t === 'sliding_attention');
  } else {
    const pattern = f.int('sliding_window_pattern', 6, 1);
    slidingLayers = Array.from({ length: numLayers }, (_, i) => (i + 1) % pattern !== 0);
  }
  const slidingWindow = f.int('sliding_window', 4096, 1);
  const qpas = positive(file, 'query_pre_attn_scalar', f.num('query_pre_attn_scalar', 256));
  return {
    family: 'llama',
    arch: 'gemma3',
    ...shape,
    ropeTheta: theta,
    ropeScaling: scaling,
    maxPositionEmbeddings: f.int('max_position_embeddings', 131072, 1),
    tieWordEmbeddings: f.bool('tie_word_embeddings', true),
    attentionBias: false,
    qkvBias: false,
    qkNorm: true,
    mlpBias: false,
    hiddenAct: act,
    bosTokenId: f.optInt('bos_token_id'),
    eosTokenIds: f.ids('eos_token_id'),
    gemma: { slidingWindow, slidingLayers, ropeLocalTheta: localTheta, attentionScale: 1 / Math.sqrt(qpas), attnSoftcap: 0, finalSoftcap: 0 },
  };
}

/**
 * Gemma 2 (model_type 'gemma2', Gemma2ForCausalLM), transformers' Gemma2Config with its defaults (a
 * Gemma-2-2B's heads): Gemma 3's block without the per-head q / k norms, one RoPE base (rope_theta,
 * no scaling) on every layer, sliding-window attention on the layers `layer_types` names
 * 'sliding_attention' (older configs: the even ones, 0, 2, …, as transformers' and llama.cpp's
 * pattern of 2), attention logit soft-capping attn_logit_softcapping (50) and final logit
 * soft-capping final_logit_softcapping (30); null turns either off. Refused: bidirectional attention,
 * biases, activations other than gelu_pytorch_tanh, RoPE scaling.
 */
function parseGemma2Config(c: Record<string, unknown>, file: string): LlamaConfig {
  const f = new Fields(c, file);
  const refuse = (field: string, why: string): never => {
    throw new SparrowError('UNSUPPORTED', `${file}: gemma2 ${why}`, { file, field, value: c[field] ?? null });
  };
  if (f.bool('use_bidirectional_attention', false)) refuse('use_bidirectional_attention', 'with bidirectional attention is not supported');
  if (f.bool('attention_bias', false)) refuse('attention_bias', 'attention biases are not implemented');
  const act = f.str('hidden_activation', f.str('hidden_act', 'gelu_pytorch_tanh'));
  if (act !== 'gelu_pytorch_tanh') refuse('hidden_activation', `hidden_activation '${act}' is not implemented (gelu_pytorch_tanh is)`);
  const shape = decoderShape(f, c, file, { numHeads: 8, numKvHeads: 4, headDim: 256, vocabSize: 256000 });
  const { theta, scaling } = ropeOf(c, file);
  if (scaling) refuse('rope_scaling', `RoPE scaling '${scaling.type}' is not implemented (no Gemma 2 release has any)`);
  let slidingLayers: boolean[];
  if (Array.isArray(c.layer_types)) {
    const types = c.layer_types as unknown[];
    if (types.length !== shape.numLayers || !types.every((t) => t === 'sliding_attention' || t === 'full_attention')) {
      throw new SparrowError('FORMAT_INVALID', `${file}: layer_types must list 'sliding_attention' / 'full_attention' for each of the ${shape.numLayers} layers`, { file, field: 'layer_types' });
    }
    slidingLayers = types.map((t) => t === 'sliding_attention');
  } else slidingLayers = Array.from({ length: shape.numLayers }, (_, i) => i % 2 === 0);
  // null (or absent in a config that names it null) turns soft-capping off; transformers' defaults are 50 and 30
  const cap = (k: string, def: number) => (c[k] === null ? 0 : positive(file, k, f.num(k, def)));
  const qpas = positive(file, 'query_pre_attn_scalar', f.num('query_pre_attn_scalar', 256));
  // sliding_window null (no window) would make every layer global
  const slidingWindow = c.sliding_window === null ? 0 : f.int('sliding_window', 4096, 1);
  return {
    family: 'llama',
    arch: 'gemma2',
    ...shape,
    ropeTheta: theta,
    ropeScaling: null,
    maxPositionEmbeddings: f.int('max_position_embeddings', 8192, 1),
    tieWordEmbeddings: f.bool('tie_word_embeddings', true),
    attentionBias: false,
    qkvBias: false,
    qkNorm: false,
    mlpBias: false,
    hiddenAct: act,
    bosTokenId: f.optInt('bos_token_id'),
    eosTokenIds: f.ids('eos_token_id'),
    gemma: {
      slidingWindow,
      slidingLayers: slidingWindow > 0 ? slidingLayers : slidingLayers.map(() => false),
      ropeLocalTheta: theta,
      attentionScale: 1 / Math.sqrt(qpas),
      attnSoftcap: cap('attn_logit_softcapping', 50),
      finalSoftcap: cap('final_logit_softcapping', 30),
    },
  };
}

export function parseMambaConfig(c: Record<string, unknown>, file = 'config.json'): MambaConfig {
  const f = new Fields(c, file);
  const hiddenSize = f.int(['hidden_size', 'd_model'], undefined, 1);
  const expand = f.int('expand', 2, 1);
  const ssm = (typeof c.ssm_cfg === 'object' && c.ssm_cfg !== null ? c.ssm_cfg : {}) as Record<string, unknown>;
  const sf = new Fields(ssm, `${file}#ssm_cfg`);
  // Original state-spaces checkpoints pad the vocabulary up to a multiple (50277 → 50280).
  let vocabSize = f.int('vocab_size', undefined, 1);
  const padMultiple = 'pad_vocab_size_multiple' in c ? f.int('pad_vocab_size_multiple', 1, 1) : 1;
  if (!('hidden_size' in c) && vocabSize % padMultiple !== 0) vocabSize += padMultiple - (vocabSize % padMultiple);
  const rankRaw = c.time_step_rank ?? ssm.dt_rank ?? 'auto';
  let timeStepRank: number;
  if (rankRaw === 'auto') timeStepRank = Math.ceil(hiddenSize / 16);
  else if (typeof rankRaw === 'number' && Number.isSafeInteger(rankRaw) && rankRaw > 0) timeStepRank = rankRaw;
  else throw new SparrowError('FORMAT_INVALID', `${file}: time_step_rank must be a positive integer or "auto", got ${JSON.stringify(rankRaw)}`, { file });
  return {
    family: 'mamba',
    vocabSize,
    hiddenSize,
    stateSize: c.state_size !== undefined ? f.int('state_size', 16, 1) : sf.int('d_state', 16, 1),
    numLayers: f.layers(['num_hidden_layers', 'n_layer']),
    convKernel: c.conv_kernel !== undefined ? f.int('conv_kernel', 4, 1) : sf.int('d_conv', 4, 1),
    expand,
    intermediateSize: f.int('intermediate_size', expand * hiddenSize, 1),
    timeStepRank,
    layerNormEps: positive(file, 'layer_norm_epsilon', f.num(['layer_norm_epsilon', 'norm_epsilon'], 1e-5)),
    useBias: f.bool('use_bias', false),
    useConvBias: f.bool('use_conv_bias', true),
    residualInFp32: f.bool('residual_in_fp32', true),
    tieWordEmbeddings: f.bool('tie_word_embeddings', true),
    hiddenAct: f.str('hidden_act', 'silu'),
    bosTokenId: f.optInt('bos_token_id'),
    eosTokenIds: f.ids('eos_token_id'),
    padTokenId: f.optInt('pad_token_id'),
  };
}

export function parseRwkvConfig(c: Record<string, unknown>, file = 'config.json'): RwkvConfig {
  const f = new Fields(c, file);
  const hiddenSize = f.int('hidden_size', undefined, 1);
  return {
    family: 'rwkv',
    vocabSize: f.int('vocab_size', undefined, 1),
    hiddenSize,
    attentionHiddenSize: f.int('attention_hidden_size', hiddenSize, 1),
    intermediateSize: f.int('intermediate_size', 4 * hiddenSize, 1),
    numLayers: f.layers('num_hidden_layers'),
    layerNormEps: positive(file, 'layer_norm_epsilon', f.num('layer_norm_epsilon', 1e-5)),
    rescaleEvery: f.int('rescale_every', 6, 0),
    contextLength: f.int('context_length', 1024, 1),
    tieWordEmbeddings: f.bool('tie_word_embeddings', false),
    bosTokenId: f.optInt('bos_token_id'),
    eosTokenIds: f.ids('eos_token_id'),
  };
}
