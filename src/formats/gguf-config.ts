/**
 * GGUF llama / qwen2 / qwen3 / gemma3 / gemma2 / lfm2 / granite metadata → the same normalized LlamaConfig an HF
 * config.json gives (mamba → MambaConfig, mamba2 → Mamba2Config, rwkv7 → Rwkv7Config: ggufModelConfig
 * dispatches), plus the tokenizer.ggml.* keys exposed raw for the tokenizer code.
 *
 * Note for model code: for the llama architecture llama.cpp's converter permutes the rows of Q and
 * K per head for its adjacent-pair RoPE (row 2j ← HF row j, row 2j+1 ← HF row j + headDim/2), so
 * those weights use `weightLayout: 'gguf'` — rotate interleaved pairs, or un-permute when loading.
 * qwen2 / qwen3 / gemma3 / gemma2 are converted unpermuted and run with NEOX (half-split) RoPE, as in HF.
 */
import { SparrowError } from '../errors.ts';
import type { GgufFile, GgufValue } from './gguf.ts';
import { MAX_LAYERS, type Gemma3Params, type LlamaArch, type LlamaConfig, type Mamba2Config, type MambaConfig, type ModelConfig, type RopeScaling, type Rwkv7Config } from './hf-config.ts';

export interface GgufTokenizerData {
  /** tokenizer.ggml.model: 'llama' (SentencePiece), 'gpt2' (byte-level BPE), … */
  model: string;
  /** tokenizer.ggml.pre: pre-tokenizer name (e.g. 'smollm', 'llama-bpe'), if present. */
  pre: string | null;
  tokens: string[];
  tokenTypes: number[] | null;
  scores: number[] | null;
  merges: string[] | null;
  bosId: number | null;
  eosId: number | null;
  unkId: number | null;
  padId: number | null;
  addBos: boolean | null;
  addEos: boolean | null;
  chatTemplate: string | null;
  /** Every tokenizer.* key as stored. */
  raw: Record<string, GgufValue>;
}

export interface GgufLlamaModel {
  config: LlamaConfig;
  tokenizer: GgufTokenizerData | null;
  /**
   * 'gguf': Q/K rows are in llama.cpp's permuted order (see the module comment) — the llama
   * architecture; 'hf': Hugging Face's order (llama.cpp runs qwen2 / qwen3 with NEOX RoPE, unpermuted).
   */
  weightLayout: 'gguf' | 'hf';
}

/** GGUF architectures with a Llama config: run by the Llama model, gemma3 and gemma2 by the Gemma model. */
export const GGUF_LLAMA_ARCHS: readonly LlamaArch[] = ['llama', 'qwen2', 'qwen3', 'gemma3', 'gemma2', 'lfm2', 'granite', 'granitehybrid', 'smollm3', 'falcon-h1', 'qwen35', 'ernie4_5', 'phi3', 'exaone'];
/**
 * The architectures llama.cpp runs with NORM RoPE, adjacent pairs: their converter permutes Q / K rows
 * to it (LlamaModel's undo_permute), or (ERNIE 4.5) the model rotates interleaved pairs itself. RoPE
 * rotates interleaved pairs for them; qwen2 / qwen3 / gemma / lfm2 / … keep HF's NEOX halves.
 */
export const GGUF_PERMUTED_QK: readonly LlamaArch[] = ['llama', 'granite', 'granitehybrid', 'smollm3', 'ernie4_5'];
/** Every GGUF architecture Sparrow runs: those, mamba / mamba2 (the Mamba and Mamba-2 models) and rwkv7 (the RWKV-7 model). */
export const GGUF_ARCHS: readonly string[] = [...GGUF_LLAMA_ARCHS, 'mamba', 'mamba2', 'rwkv7'];

/** Float32 metadata (e.g. 9.999999747e-6) back to the decimal the converter was given (1e-5). */
export function shortestF32(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  for (let p = 1; p <= 9; p++) {
    const c = Number(v.toPrecision(p));
    if (Math.fround(c) === Math.fround(v)) return c;
  }
  return v;
}

export function ggufLlamaConfig(g: GgufFile): GgufLlamaModel {
  const file = g.name;
  const arch = g.get('general.architecture');
  if (typeof arch !== 'string') throw new SparrowError('FORMAT_INVALID', `${file}: general.architecture is missing`, { file });
  if (!GGUF_LLAMA_ARCHS.includes(arch as LlamaArch)) {
    const why = GGUF_ARCHS.includes(arch) ? `has no Llama config (ggufModelConfig reads it)` : `is not supported (${GGUF_ARCHS.join(', ')} are)`;
    throw new SparrowError('UNSUPPORTED', `${file}: GGUF architecture '${arch}' ${why}`, { file, architecture: arch });
  }
  const llamaArch = arch as LlamaArch;
  const key = (k: string) => `${arch}.${k}`;
  const { int, num, optId, specialIds, layers } = metadataReader(g);

  const tokenizer = readTokenizer(g);
  const hiddenSize = int(key('embedding_length'));
  const numHeads = int(key('attention.head_count'));
  // LFM2 / Granite 4.0-H: one head_count_kv per layer, 0 on its short-convolution / Mamba-2 layers
  const kvArr = g.get(key('attention.head_count_kv'));
  /** Per layer: true where head_count_kv is 0 (no attention). */
  let recurrent: boolean[] | undefined;
  let numKvHeads: number;
  if (Array.isArray(kvArr)) {
    if (llamaArch !== 'lfm2' && llamaArch !== 'granitehybrid') throw new SparrowError('UNSUPPORTED', `${file}: per-layer ${key('attention.head_count_kv')} is not supported for ${arch}`, { file });
    const heads = new Set(kvArr.filter((x) => x !== 0));
    if (!kvArr.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0) || heads.size > 1 || (heads.size === 0 && llamaArch === 'lfm2')) {
      throw new SparrowError('FORMAT_INVALID', `${file}: ${key('attention.head_count_kv')} must be 0 (${llamaArch === 'lfm2' ? 'convolution' : 'Mamba-2'}) or one KV head count per layer, got ${JSON.stringify(kvArr.slice(0, 32))}`, { file });
    }
    numKvHeads = heads.size ? ([...heads][0] as number) : numHeads;
    recurrent = kvArr.map((x) => x === 0);
  } else numKvHeads = int(key('attention.head_count_kv'), numHeads);
  let shortConv: LlamaConfig['shortConv'];
  if (llamaArch === 'lfm2') {
    shortConv = { layers: recurrent ?? new Array<boolean>(layers(key('block_count'))).fill(false), kernel: int(key('shortconv.l_cache')) }; // no array: every layer attention
    if (int(key('attention.sliding_window'), 0, 0) > 0) throw new SparrowError('UNSUPPORTED', `${file}: LFM2 with sliding-window attention is not implemented`, { file });
    if (g.has('blk.0.ffn_gate_inp.weight')) throw new SparrowError('UNSUPPORTED', `${file}: LFM2 mixture-of-experts layers are not implemented`, { file });
  }
  if (numHeads % numKvHeads !== 0) throw new SparrowError('SHAPE_MISMATCH', `${file}: head_count ${numHeads} is not a multiple of head_count_kv ${numKvHeads}`, { file });
  // phi3: rope.dimension_count is the rotated part of the head (Phi-4-mini: 96 of 128), not its size
  const headDim = int(key('attention.key_length'), g.get(key('rope.dimension_count')) !== undefined && llamaArch !== 'phi3' ? int(key('rope.dimension_count')) : Math.floor(hiddenSize / numHeads));
  const vocabSize = int(key('vocab_size'), tokenizer?.tokens.length);
  const scalingType = g.get(key('rope.scaling.type'));
  let ropeScaling: RopeScaling | null = null;
  if (typeof scalingType === 'string' && scalingType !== 'none') {
    if (scalingType !== 'linear' && scalingType !== 'yarn') {
      throw new SparrowError('UNSUPPORTED', `${file}: RoPE scaling type '${scalingType}' is not supported`, { file, ropeType: scalingType });
    }
    ropeScaling = { type: scalingType, factor: num(key('rope.scaling.factor'), 1), raw: {} };
    const orig = g.get(key('rope.scaling.original_context_length'));
    if (typeof orig === 'number') ropeScaling.originalMaxPositionEmbeddings = orig;
  }
  const config: LlamaConfig = {
    family: 'llama',
    arch: llamaArch,
    vocabSize,
    hiddenSize,
    intermediateSize: int(key('feed_forward_length')),
    numLayers: layers(key('block_count')),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: num(key('attention.layer_norm_rms_epsilon'), 1e-5),
    ropeTheta: num(key('rope.freq_base'), 10000),
    ropeScaling,
    maxPositionEmbeddings: int(key('context_length'), 2048),
    tieWordEmbeddings: !g.has('output.weight'),
    // biases Sparrow does not run are refused (Llama.checkConfig), in any layer (a hybrid's first may have no attention)
    attentionBias: llamaArch !== 'qwen2' ? [...g.tensors.keys()].some((n) => /^blk\.\d+\.attn_(q|k|v|output)\.bias$/.test(n)) : g.tensors.has('blk.0.attn_output.bias'),
    qkvBias: llamaArch === 'qwen2',
    qkNorm: llamaArch === 'qwen3' || llamaArch === 'gemma3' || llamaArch === 'lfm2' || llamaArch === 'qwen35',
    mlpBias: [...g.tensors.keys()].some((n) => /^blk\.\d+\.ffn_(gate|up|down)\.bias$/.test(n)),
    hiddenAct: llamaArch === 'gemma3' || llamaArch === 'gemma2' ? 'gelu_pytorch_tanh' : 'silu',
    ...specialIds(),
  };
  const layerCount = (layers: boolean[]) => {
    if (layers.length !== config.numLayers) throw new SparrowError('SHAPE_MISMATCH', `${file}: ${layers.length} head_count_kv entries for ${config.numLayers} layers`, { file });
    return layers;
  };
  if (shortConv) config.shortConv = { ...shortConv, layers: layerCount(shortConv.layers) };
  if (llamaArch === 'granite' || llamaArch === 'granitehybrid') {
    // llama_model_granite: logit_scale required, the others optional (0 or absent: not applied);
    // granitehybrid: all four optional. rope.scaling.finetuned switches RoPE (absent: on).
    const opt = (k: string) => (g.get(key(k)) === undefined ? 0 : num(key(k), 1));
    if (g.get(key('expert_count')) !== undefined && int(key('expert_count'), 0, 0) > 0) throw new SparrowError('UNSUPPORTED', `${file}: Granite mixture-of-experts layers are not implemented`, { file });
    if (llamaArch === 'granite' && g.get(key('logit_scale')) === undefined) throw new SparrowError('FORMAT_INVALID', `${file}: required metadata '${key('logit_scale')}' is missing`, { file, key: key('logit_scale') });
    config.granite = { embedding: opt('embedding_scale'), residual: opt('residual_scale'), attention: opt('attention.scale'), logit: opt('logit_scale') };
    const finetuned = g.get(key('rope.scaling.finetuned'));
    if (finetuned !== undefined && typeof finetuned !== 'boolean') throw new SparrowError('FORMAT_INVALID', `${file}: metadata '${key('rope.scaling.finetuned')}' must be a boolean, got ${String(finetuned)}`, { file, key: key('rope.scaling.finetuned') });
    if (finetuned === false) config.noRopeLayers = new Array<boolean>(config.numLayers).fill(true);
  }
  if (llamaArch === 'qwen35') Object.assign(config, qwen35Params(g, config, int));
  if (llamaArch === 'phi3') {
    // llama_model_phi3: NEOX RoPE on rope.dimension_count dims; LongRoPE's factors and magnitude;
    // its sliding window is ignored, as llama.cpp does ("Phi SWA is currently disabled")
    if (g.has('blk.0.ffn_gate_inp.weight')) throw new SparrowError('UNSUPPORTED', `${file}: Phi mixture-of-experts layers are not implemented`, { file });
    const rot = int(key('rope.dimension_count'), headDim);
    if (rot > headDim || rot % 2 !== 0) throw new SparrowError('FORMAT_INVALID', `${file}: ${key('rope.dimension_count')} ${rot} must be even and at most the head size ${headDim}`, { file });
    if (rot < headDim) config.rotaryDim = rot;
    config.longRope = { attnFactor: num(key('rope.scaling.attn_factor'), 1), originalContext: int(key('rope.scaling.original_context_length'), config.maxPositionEmbeddings) };
  }
  // SmolLM3: no RoPE on every fourth layer (llama.cpp's n_no_rope_layer_step, fixed at 4: no GGUF key)
  if (llamaArch === 'smollm3') config.noRopeLayers = Array.from({ length: config.numLayers }, (_, i) => (i + 1) % 4 === 0);
  if (llamaArch === 'granitehybrid' || llamaArch === 'falcon-h1') {
    // the Mamba-2 mixer's sizes (time_step_rank is its head count): granitehybrid's on the layers with
    // no KV heads (llama_model_granite_hybrid), falcon-h1's beside attention in every layer
    const parallel = llamaArch === 'falcon-h1';
    const layers = parallel ? new Array<boolean>(config.numLayers).fill(true) : layerCount(recurrent ?? new Array<boolean>(config.numLayers).fill(false));
    const m2 = { layers, intermediateSize: int(key('ssm.inner_size')), stateSize: int(key('ssm.state_size')), convKernel: int(key('ssm.conv_kernel')), numHeads: int(key('ssm.time_step_rank')), groups: int(key('ssm.group_count'), 1), ...(parallel ? { parallel, normOptional: true } : {}) };
    if (m2.groups !== 1) throw new SparrowError('UNSUPPORTED', `${file}: Mamba-2 layers with ${m2.groups} groups of B / C are not implemented (one is)`, { file });
    if (m2.intermediateSize % m2.numHeads !== 0) throw new SparrowError('SHAPE_MISMATCH', `${file}: ${key('ssm.inner_size')} ${m2.intermediateSize} is not a multiple of ${key('ssm.time_step_rank')} ${m2.numHeads}`, { file });
    if (m2.layers.some((x) => x)) config.mamba2 = m2;
  }
  if (llamaArch === 'gemma3') config.gemma = gemma3Params(g, config, int);
  if (llamaArch === 'gemma2') config.gemma = gemma2Params(g, config, int);
  if (tokenizer && tokenizer.tokens.length !== vocabSize) {
    throw new SparrowError('SHAPE_MISMATCH', `${file}: tokenizer has ${tokenizer.tokens.length} tokens but ${key('vocab_size')} is ${vocabSize}`, { file });
  }
  return { config, tokenizer, weightLayout: GGUF_PERMUTED_QK.includes(llamaArch) ? 'gguf' : 'hf' };
}

/**
 * Qwen3.5 (llama_model_qwen35): Gated DeltaNet layers (attention.recurrent_layers, else all but every
 * full_attention_interval-th, default 4), their sizes from ssm.* (group_count: q / k heads,
 * time_step_rank: value heads, state_size: head size), gated attention, RoPE on rope.dimension_count of
 * each head's dims. The multi-token-prediction block (nextn_predict_layers) is not run: its layers are
 * not counted. MoE (qwen35moe) is another architecture, not supported.
 */
function qwen35Params(g: GgufFile, c: LlamaConfig, int: (k: string, def?: number, min?: number) => number): Partial<LlamaConfig> {
  const file = g.name;
  const key = (k: string) => `qwen35.${k}`;
  const nextn = int(key('nextn_predict_layers'), 0, 0);
  const numLayers = c.numLayers - nextn;
  if (numLayers < 1) throw new SparrowError('FORMAT_INVALID', `${file}: ${key('nextn_predict_layers')} ${nextn} leaves no layers of ${c.numLayers}`, { file });
  const arr = g.get(key('attention.recurrent_layers'));
  let layers: boolean[];
  if (Array.isArray(arr)) {
    if (arr.length < numLayers) throw new SparrowError('SHAPE_MISMATCH', `${file}: ${arr.length} ${key('attention.recurrent_layers')} entries for ${numLayers} layers`, { file });
    layers = arr.slice(0, numLayers).map((x) => Boolean(x));
  } else {
    const interval = int(key('full_attention_interval'), 4);
    layers = Array.from({ length: numLayers }, (_, i) => (i + 1) % interval !== 0);
  }
  const gdn = { layers, kHeads: int(key('ssm.group_count')), vHeads: int(key('ssm.time_step_rank')), headDim: int(key('ssm.state_size')), convKernel: int(key('ssm.conv_kernel')) };
  const inner = int(key('ssm.inner_size'));
  if (inner !== gdn.vHeads * gdn.headDim) throw new SparrowError('UNSUPPORTED', `${file}: ${key('ssm.inner_size')} ${inner} is not time_step_rank × state_size (${gdn.vHeads} × ${gdn.headDim}): value heads of another size are not implemented`, { file });
  if (gdn.vHeads % gdn.kHeads !== 0) throw new SparrowError('SHAPE_MISMATCH', `${file}: ${gdn.vHeads} value heads are not a multiple of ${gdn.kHeads} key heads`, { file });
  const rot = int(key('rope.dimension_count'), c.headDim);
  if (rot > c.headDim || rot % 2 !== 0) throw new SparrowError('FORMAT_INVALID', `${file}: ${key('rope.dimension_count')} ${rot} must be even and at most the head size ${c.headDim}`, { file });
  const sections = g.get(key('rope.dimension_sections'));
  if (!Array.isArray(sections) || sections.length !== 4 || !sections.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0) || (sections as number[]).reduce((a, x) => a + x, 0) === 0) {
    throw new SparrowError('FORMAT_INVALID', `${file}: ${key('rope.dimension_sections')} must be four non-negative section sizes, got ${JSON.stringify(sections)}`, { file });
  }
  return { numLayers, gatedDeltaNet: gdn, attnOutputGate: true, ropeSections: sections as number[], ...(rot < c.headDim ? { rotaryDim: rot } : {}) };
}

/** Typed reads of GGUF metadata: a clear FORMAT_INVALID for a missing required key or a wrong type. */
function metadataReader(g: GgufFile) {
  const file = g.name;
  const int = (k: string, def?: number, min = 1): number => {
    const v = g.get(k);
    if (v === undefined) {
      if (def === undefined) throw new SparrowError('FORMAT_INVALID', `${file}: required metadata '${k}' is missing`, { file, key: k });
      return def;
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new SparrowError('FORMAT_INVALID', `${file}: metadata '${k}' must be an integer ≥ ${min}, got ${String(v)}`, { file, key: k });
    }
    return v;
  };
  const num = (k: string, def: number): number => {
    const v = g.get(k);
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) throw new SparrowError('FORMAT_INVALID', `${file}: metadata '${k}' must be a positive number, got ${String(v)}`, { file, key: k });
    return shortestF32(v);
  };
  const optId = (k: string): number | null => (g.get(k) === undefined ? null : int(k, undefined, 0));
  /**
   * block_count, checked against the file: its last layer must have tensors (a corrupt count of
   * 2^30 would otherwise size per-layer arrays before any tensor is looked at).
   */
  const layers = (k: string): number => {
    const n = int(k);
    if (n > MAX_LAYERS) throw new SparrowError('SIZE_LIMIT', `${file}: '${k}' is ${n}; more than ${MAX_LAYERS} layers is not a model this engine can hold`, { file, key: k });
    // (a header read alone, without tensors, skips the second check)
    const prefix = `blk.${n - 1}.`;
    if (g.tensors.size > 0 && ![...g.tensors.keys()].some((t) => t.startsWith(prefix))) throw new SparrowError('FORMAT_INVALID', `${file}: '${k}' is ${n} but the file has no tensors for layer ${n - 1}`, { file, key: k });
    return n;
  };
  /** The config's BOS and EOS ids from the tokenizer.ggml keys. */
  const specialIds = (): { bosTokenId: number | null; eosTokenIds: number[] } => {
    const eos = optId('tokenizer.ggml.eos_token_id');
    return { bosTokenId: optId('tokenizer.ggml.bos_token_id'), eosTokenIds: eos === null ? [] : [eos] };
  };
  return { int, num, optId, specialIds, layers };
}


export interface GgufModel {
  config: ModelConfig;
  tokenizer: GgufTokenizerData | null;
}

/**
 * The vocabulary of a file whose embedding fixes it (mamba, mamba2, rwkv7: no vocab_size key):
 * token_embd.weight's rows, checked against the width and the tokenizer.
 */
function embeddingRows(g: GgufFile, hiddenSize: number, tokenizer: GgufTokenizerData | null): number {
  const file = g.name;
  const embd = g.tensors.get('token_embd.weight');
  if (!embd) throw new SparrowError('TENSOR_MISSING', `${file}: token_embd.weight is missing`, { file, tensor: 'token_embd.weight' });
  if (embd.shape.length !== 2 || embd.shape[1] !== hiddenSize) {
    throw new SparrowError('SHAPE_MISMATCH', `${file}: token_embd.weight has shape [${embd.shape.join(', ')}], embedding_length is ${hiddenSize}`, { file, tensor: 'token_embd.weight' });
  }
  if (tokenizer && tokenizer.tokens.length > embd.shape[0]) {
    throw new SparrowError('SHAPE_MISMATCH', `${file}: tokenizer has ${tokenizer.tokens.length} tokens but token_embd.weight only ${embd.shape[0]} rows`, { file });
  }
  return embd.shape[0];
}

/** Any supported GGUF file's config (dispatch on general.architecture). */
export function ggufModelConfig(g: GgufFile): GgufModel {
  const arch = g.get('general.architecture');
  if (arch === 'mamba') return ggufMambaConfig(g);
  if (arch === 'rwkv7') return ggufRwkv7Config(g);
  if (arch === 'mamba2') return ggufMamba2Config(g);
  return ggufLlamaConfig(g);
}

/**
 * A llama.cpp `mamba` file (convert_hf_to_gguf's MambaModel) → the MambaConfig a config.json gives.
 * llama.cpp reads embedding_length, block_count and the ssm.* sizes; the vocabulary is token_embd's
 * rows (the converter pads it to a multiple of 8), the tie is the absence of output.weight.
 * ssm.dt_b_c_rms (Falcon-Mamba's RMSNorm of dt, B and C) is refused: this model does not run it.
 */
export function ggufMambaConfig(g: GgufFile): GgufModel {
  const file = g.name;
  const { int, num, optId, specialIds, layers } = metadataReader(g);
  const key = (k: string) => `mamba.${k}`;
  if (g.get(key('ssm.dt_b_c_rms')) === true) {
    throw new SparrowError('UNSUPPORTED', `${file}: ${key('ssm.dt_b_c_rms')} (Falcon-Mamba's norms of dt, B and C) is not implemented`, { file, key: key('ssm.dt_b_c_rms') });
  }
  const tokenizer = readTokenizer(g);
  const hiddenSize = int(key('embedding_length'));
  const intermediateSize = int(key('ssm.inner_size'));
  const config: MambaConfig = {
    family: 'mamba',
    vocabSize: embeddingRows(g, hiddenSize, tokenizer),
    hiddenSize,
    stateSize: int(key('ssm.state_size')),
    numLayers: layers(key('block_count')),
    convKernel: int(key('ssm.conv_kernel')),
    expand: intermediateSize / hiddenSize,
    intermediateSize,
    timeStepRank: int(key('ssm.time_step_rank')),
    layerNormEps: num(key('attention.layer_norm_rms_epsilon'), 1e-5),
    useBias: false,
    useConvBias: g.tensors.has('blk.0.ssm_conv1d.bias'),
    residualInFp32: true,
    tieWordEmbeddings: !g.tensors.has('output.weight'),
    hiddenAct: 'silu',
    ...specialIds(),
    padTokenId: optId('tokenizer.ggml.padding_token_id'),
  };
  return { config, tokenizer };
}

/**
 * A llama.cpp `mamba2` file (convert_hf_to_gguf.py's Mamba2Model) → Mamba2Config, as
 * llama_model_mamba2 reads it: ssm.time_step_rank is the head count, ssm.group_count the groups
 * sharing B and C. Only one group is run here (every state-spaces/mamba2 release; Codestral-Mamba's
 * 8 groups are refused with UNSUPPORTED).
 */
export function ggufMamba2Config(g: GgufFile): GgufModel {
  const file = g.name;
  const { int, num, specialIds, layers } = metadataReader(g);
  const key = (k: string) => `mamba2.${k}`;
  const tokenizer = readTokenizer(g);
  const hiddenSize = int(key('embedding_length'));
  const intermediateSize = int(key('ssm.inner_size'));
  const numHeads = int(key('ssm.time_step_rank'));
  const groups = int(key('ssm.group_count'), 1);
  if (intermediateSize % numHeads !== 0 || numHeads % groups !== 0) {
    throw new SparrowError('SHAPE_MISMATCH', `${file}: ssm.inner_size ${intermediateSize}, ${numHeads} heads and ${groups} groups do not divide`, { file });
  }
  if (groups !== 1) throw new SparrowError('UNSUPPORTED', `${file}: Mamba-2 with ${groups} groups of B / C is not implemented (one group is)`, { file, key: key('ssm.group_count') });
  const config: Mamba2Config = {
    family: 'mamba2',
    vocabSize: embeddingRows(g, hiddenSize, tokenizer),
    hiddenSize,
    numLayers: layers(key('block_count')),
    intermediateSize,
    stateSize: int(key('ssm.state_size')),
    convKernel: int(key('ssm.conv_kernel')),
    numHeads,
    groups,
    layerNormEps: num(key('attention.layer_norm_rms_epsilon'), 1e-5),
    tieWordEmbeddings: !g.tensors.has('output.weight'),
    ...specialIds(),
  };
  return { config, tokenizer };
}

/**
 * A llama.cpp `rwkv7` file (convert_hf_to_gguf.py's Rwkv7Model) → Rwkv7Config, as llama_model_rwkv7
 * reads it: wkv.head_size, the four attention.*_lora_rank keys (gate optional, 0 = no gate: refused
 * here, every RWKV-7 release has one), attention.layer_norm_epsilon; token_shift_count must be 2
 * (llama.cpp asserts it; ARWKV-7 hybrids use 1 and are another architecture).
 */
export function ggufRwkv7Config(g: GgufFile): GgufModel {
  const file = g.name;
  const { int, num, specialIds, layers } = metadataReader(g);
  const key = (k: string) => `rwkv7.${k}`;
  const tokenizer = readTokenizer(g);
  const hiddenSize = int(key('embedding_length'));
  const headSize = int(key('wkv.head_size'));
  if (hiddenSize % headSize !== 0) throw new SparrowError('SHAPE_MISMATCH', `${file}: embedding_length ${hiddenSize} is not a multiple of wkv.head_size ${headSize}`, { file });
  const shifts = int(key('token_shift_count'), 2);
  if (shifts !== 2) throw new SparrowError('UNSUPPORTED', `${file}: ${key('token_shift_count')} = ${shifts} (RWKV-7 has 2)`, { file, key: key('token_shift_count') });
  const gate = int(key('attention.gate_lora_rank'), 0, 0);
  if (gate === 0) throw new SparrowError('UNSUPPORTED', `${file}: RWKV-7 without the output gate (attention.gate_lora_rank 0) is not implemented`, { file });
  const config: Rwkv7Config = {
    family: 'rwkv7',
    vocabSize: embeddingRows(g, hiddenSize, tokenizer),
    hiddenSize,
    numLayers: layers(key('block_count')),
    headSize,
    intermediateSize: int(key('feed_forward_length')),
    decayLoraRank: int(key('attention.decay_lora_rank')),
    iclrLoraRank: int(key('attention.iclr_lora_rank')),
    valueLoraRank: int(key('attention.value_residual_mix_lora_rank')),
    gateLoraRank: gate,
    layerNormEps: num(key('attention.layer_norm_epsilon'), 1e-5),
    ...specialIds(),
  };
  return { config, tokenizer };
}

/**
 * Gemma 3's hyperparameters as llama.cpp reads them (llama_model_gemma3 load_hparams): a sliding
 * window when attention.sliding_window > 0, on the layers il with il % p < p − 1 for the period p =
 * attention.sliding_window_pattern (default 6; a per-layer bool array is taken as is), RoPE base
 * rope.freq_base_swa there (default 10000); the attention scale is not in the file:
 * 1/√(n_embd / n_head) for the 62-layer 27B, else 1/√head_dim (= query_pre_attn_scalar^−½ of every
 * release). Soft-capping (attention.final_logit_softcapping) is refused, as are key and value head
 * sizes that differ.
 */
function gemma3Params(g: GgufFile, c: LlamaConfig, int: (k: string, def?: number, min?: number) => number): Gemma3Params {
  const file = g.name;
  const key = (k: string) => `gemma3.${k}`;
  for (const k of ['final_logit_softcapping', 'attn_logit_softcapping']) {
    if (g.get(key(k)) !== undefined) throw new SparrowError('UNSUPPORTED', `${file}: gemma3 ${key(k)} (logit soft-capping) is not implemented`, { file, key: key(k) });
  }
  const valueLength = int(key('attention.value_length'), c.headDim);
  if (valueLength !== c.headDim) throw new SparrowError('UNSUPPORTED', `${file}: gemma3 with value heads of ${valueLength} and key heads of ${c.headDim} is not supported`, { file });
  const window = int(key('attention.sliding_window'), 0, 0);
  const pattern = g.get(key('attention.sliding_window_pattern'));
  let slidingLayers: boolean[];
  if (window === 0) slidingLayers = new Array<boolean>(c.numLayers).fill(false);
  else if (Array.isArray(pattern)) {
    if (pattern.length !== c.numLayers || !pattern.every((x) => typeof x === 'boolean')) {
      throw new SparrowError('FORMAT_INVALID', `${file}: ${key('attention.sliding_window_pattern')} must be a period or one boolean per layer (${c.numLayers})`, { file });
    }
    slidingLayers = [...(pattern as boolean[])];
  } else {
    const p = int(key('attention.sliding_window_pattern'), 6, 0);
    // llama_hparams::set_swa_pattern: period 0 = every layer slides, 1 = none does
    slidingLayers = Array.from({ length: c.numLayers }, (_, il) => p === 0 || il % p < p - 1);
  }
  const base = g.get(key('rope.freq_base_swa'));
  const ropeLocalTheta = typeof base === 'number' && base > 0 ? shortestF32(base) : 10000;
  const attentionScale = 1 / Math.sqrt(c.numLayers === 62 ? c.hiddenSize / c.numHeads : c.headDim);
  return { slidingWindow: window, slidingLayers, ropeLocalTheta, attentionScale, attnSoftcap: 0, finalSoftcap: 0 };
}

/**
 * Gemma 2's hyperparameters as llama.cpp reads them (llama_model_gemma2 load_hparams): a sliding
 * window of attention.sliding_window (default 4096) on the even layers (set_swa_pattern(2): il % 2 <
 * 1), one RoPE base (rope.freq_base, rope.freq_base_swa when given), attention and final logit
 * soft-capping always on, attn_logit_softcapping (default 50) and final_logit_softcapping (default
 * 30); the attention scale as Gemma 3's: 1/√(n_embd / n_head) for the 46-layer 27B, else 1/√head_dim.
 */
function gemma2Params(g: GgufFile, c: LlamaConfig, int: (k: string, def?: number, min?: number) => number): Gemma3Params {
  const file = g.name;
  const key = (k: string) => `gemma2.${k}`;
  const valueLength = int(key('attention.value_length'), c.headDim);
  if (valueLength !== c.headDim) throw new SparrowError('UNSUPPORTED', `${file}: gemma2 with value heads of ${valueLength} and key heads of ${c.headDim} is not supported`, { file });
  const window = int(key('attention.sliding_window'), 4096, 0);
  const cap = (k: string, def: number): number => {
    const v = g.get(key(k));
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) throw new SparrowError('FORMAT_INVALID', `${file}: metadata '${key(k)}' must be a positive number, got ${String(v)}`, { file, key: key(k) });
    return shortestF32(v);
  };
  const base = g.get(key('rope.freq_base_swa'));
  return {
    slidingWindow: window,
    slidingLayers: Array.from({ length: c.numLayers }, (_, il) => window > 0 && il % 2 === 0),
    ropeLocalTheta: typeof base === 'number' && base > 0 ? shortestF32(base) : c.ropeTheta,
    attentionScale: 1 / Math.sqrt(c.numLayers === 46 ? c.hiddenSize / c.numHeads : c.headDim),
    attnSoftcap: cap('attn_logit_softcapping', 50),
    finalSoftcap: cap('final_logit_softcapping', 30),
  };
}

function readTokenizer(g: GgufFile): GgufTokenizerData | null {
  const file = g.name;
  const model = g.get('tokenizer.ggml.model');
  if (model === undefined) return null;
  const raw: Record<string, GgufValue> = {};
  for (const [k, v] of g.metadata) if (k.startsWith('tokenizer.')) raw[k] = v.value;
  const list = <T>(k: string, check: (x: unknown) => boolean, what: string): T[] | null => {
    const v = g.get(k);
    if (v === undefined) return null;
    if (!Array.isArray(v) || !v.every(check)) throw new SparrowError('FORMAT_INVALID', `${file}: metadata '${k}' must be an array of ${what}`, { file, key: k });
    return v as T[];
  };
  const tokens = list<string>('tokenizer.ggml.tokens', (x) => typeof x === 'string', 'strings');
  if (typeof model !== 'string' || !tokens) throw new SparrowError('FORMAT_INVALID', `${file}: tokenizer.ggml.model needs tokenizer.ggml.tokens`, { file });
  const tokenTypes = list<number>('tokenizer.ggml.token_type', (x) => typeof x === 'number', 'integers');
  const scores = list<number>('tokenizer.ggml.scores', (x) => typeof x === 'number', 'numbers');
  for (const [k, arr] of [['token_type', tokenTypes], ['scores', scores]] as const) {
    if (arr && arr.length !== tokens.length) throw new SparrowError('SHAPE_MISMATCH', `${file}: tokenizer.ggml.${k} has ${arr.length} entries for ${tokens.length} tokens`, { file });
  }
  const id = (k: string): number | null => {
    const v = g.get(k);
    if (v === undefined) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= tokens.length) {
      throw new SparrowError('INDEX_OUT_OF_RANGE', `${file}: ${k} = ${String(v)} is outside the ${tokens.length}-token vocabulary`, { file, key: k });
    }
    return v;
  };
  const bool = (k: string): boolean | null => (typeof g.get(k) === 'boolean' ? (g.get(k) as boolean) : null);
  const str = (k: string): string | null => (typeof g.get(k) === 'string' ? (g.get(k) as string) : null);
  return {
    model,
    pre: str('tokenizer.ggml.pre'),
    tokens,
    tokenTypes,
    scores,
    merges: list<string>('tokenizer.ggml.merges', (x) => typeof x === 'string', 'strings'),
    bosId: id('tokenizer.ggml.bos_token_id'),
    eosId: id('tokenizer.ggml.eos_token_id'),
    unkId: id('tokenizer.ggml.unknown_token_id'),
    padId: id('tokenizer.ggml.padding_token_id'),
    addBos: bool('tokenizer.ggml.add_bos_token'),
    addEos: bool('tokenizer.ggml.add_eos_token'),
    chatTemplate: str('tokenizer.chat_template'),
    raw,
  };
}
