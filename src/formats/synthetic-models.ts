/**
 * Randomly initialised models with the exact shapes of real checkpoints, written in real formats,
 * so the loaders, kernels and UI can be exercised at full size without downloading anything:
 * - a Llama in llama.cpp's GGUF layout (SmolLM2-135M's shape by default) as F16, BF16, Q8_0, Q4_0,
 *   Q4_1, Q5_1 or IQ4_NL (every matrix, the tied embedding included, in that type),
 *   with a real byte-level BPE vocabulary (synthetic-bpe.ts);
 * - a Mamba in Hugging Face's safetensors + config.json layout (Mamba-130M's shape by default).
 *
 * Plans list tensors with a `make()` that produces one tensor's bytes on demand, so a writer can
 * stream a multi-hundred-MB file tensor by tensor. Everything is deterministic (seeded per tensor).
 * Scales: linear weights U(±√3/√fan_in) (unit variance out), residual outputs further divided by
 * √(2·layers), embeddings σ 0.02 — activations stay O(1) through all layers.
 */
import type { GgufKV } from './gguf.ts';
import { GgufValueType } from './gguf.ts';
import { kv } from './gguf-writer.ts';
import { dequantize, encodeF16, quantizeIQ4_NL, quantizeIQ4_XS, quantizeQ4_0, quantizeQ4_1, quantizeQ4_K, quantizeQ5_0, quantizeQ5_1, quantizeQ6_K, quantizeQ8_0 } from './ggml-quants.ts';
import { encodeBf16 } from '../util/bf16.ts';
import { SparrowError } from '../errors.ts';
import { toF16Bits } from '../util/f16.ts';
import { llama3FreqFactors } from './rope-scaling.ts';
import { sentencePieceOf, type BpeVocab } from './synthetic-bpe.ts';

export interface LlamaShape {
  name: string;
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  ropeTheta: number;
  rmsEps: number;
  contextLength: number;
  /**
   * llama.cpp architecture (default 'llama'): 'qwen2' adds q/k/v biases, 'qwen3' per-head RMSNorms
   * of q and k (attn_q_norm / attn_k_norm); both keep Hugging Face's Q/K row order (NEOX RoPE).
   * 'gemma3' is laid out as llama.cpp's converter writes Gemma 3 (gemma3Keys; q/k norms and the
   * post-attention / post-feedforward norms in every layer); 'gemma2' as its converter writes Gemma 2
   * (gemma2Keys; Gemma 3's tensors without the q/k norms).
   */
  arch?: 'llama' | 'qwen2' | 'qwen3' | 'gemma3' | 'gemma2' | 'lfm2' | 'granite' | 'granitehybrid' | 'smollm3' | 'falcon-h1' | 'qwen35' | 'ernie4_5' | 'phi3' | 'exaone';
  /** granite / granitehybrid: embedding_scale, residual_scale, attention.scale and logit_scale (all written). */
  granite?: { embedding: number; residual: number; attention: number; logit: number };
  /**
   * granitehybrid: which layers are Mamba-2 mixers (head_count_kv 0 there; the rest attention), the
   * state size, the SSM head size and the conv length; the inner size is 2 × hidden, as llama.cpp
   * requires there. falcon-h1: every layer has the mixer beside attention (`layers` all true); `inner`
   * sets its channels (Falcon-H1's mamba_d_ssm), `noNorm` leaves out ssm_norm (mamba_rms_norm false).
   */
  mamba2?: { layers: boolean[]; stateSize: number; headDim: number; convKernel: number; inner?: number; noNorm?: boolean };
  /** granite / granitehybrid: rope.scaling.finetuned false (attention without RoPE, Granite 4.0-H). */
  noRope?: boolean;
  /**
   * qwen35: which layers are Gated DeltaNet (the others gated attention with q / k norms), q / k heads,
   * value heads, their head size and conv length (written as full_attention_interval when they follow
   * its pattern, else as attention.recurrent_layers); `rotaryDim` the RoPE dims of each attention head.
   */
  gatedDeltaNet?: { layers: boolean[]; kHeads: number; vHeads: number; headDim: number; convKernel: number };
  rotaryDim?: number;
  /** qwen35: rope.dimension_sections (default: Qwen3.5's share of the rotated pairs, every pair turning). */
  ropeSections?: number[];
  /**
   * phi3 (Phi-3 / Phi-4-mini, laid out as llama.cpp's converter writes them: attn_qkv, ffn_up holding
   * [gate | up]): LongRoPE's rope.scaling.attn_factor and original context, and rope_factors_long /
   * rope_factors_short (rotaryDim / 2 values each).
   */
  longRope?: { attnFactor: number; originalContext: number; long: readonly number[]; short: readonly number[] };
  /**
   * lfm2: which layers are gated short convolutions (head_count_kv 0 there; the rest attention with
   * q / k norms) and the convolution's length (shortconv.l_cache, LFM2's 3).
   */
  shortConv?: { layers: boolean[]; kernel: number };
  /**
   * Standard deviation of the (tied) embedding, default 0.02 as trained small models have. A larger
   * one (e.g. 1) gives sharp next-token distributions, which comparisons against another engine need.
   */
  embedSd?: number;
  /** Write a separate output.weight (the head) instead of tying it to token_embd (llama: lm_head.weight). */
  untied?: boolean;
  /** Llama 3 RoPE frequency divisors, written as rope_freqs.weight (F32, headDim/2 values). */
  ropeFreqs?: readonly number[];
  /** tokenizer.ggml.pre (default 'smollm' for llama, 'qwen2' otherwise). */
  pre?: string;
  /** Per-head dimension when it is not hidden / heads (Qwen3: 128 with hidden 1024 and 16 heads). */
  headDim?: number;
  /** gemma3 / gemma2: attention.sliding_window (default 512, Gemma 3 1B's; gemma2 4096). */
  slidingWindow?: number;
  /** gemma2: attn_logit_softcapping (default 50, every Gemma 2's). */
  attnSoftcap?: number;
  /** gemma2: final_logit_softcapping (default 30, every Gemma 2's). */
  finalSoftcap?: number;
  /** gemma3: attention.sliding_window_pattern, written only when given (llama.cpp's default is 6). */
  slidingWindowPattern?: number;
  /** gemma3: rope.scaling.type linear with this factor (Gemma 3 4B and up: 8, on the global layers). */
  ropeLinearFactor?: number;
  /**
   * Write the vocabulary SentencePiece-style (tokenizer.ggml.model 'llama': '▁' pieces, byte pieces,
   * scores; BOS added, no space prefix — Gemma's converter output) instead of as byte-level BPE.
   */
  spm?: boolean;
}

/** HuggingFaceTB/SmolLM2-135M. */
export const SMOLLM2_135M: LlamaShape = {
  name: 'smollm2-135m-random', vocabSize: 49152, hidden: 576, layers: 30, heads: 9, kvHeads: 3, ffn: 1536, ropeTheta: 100000, rmsEps: 1e-5, contextLength: 8192,
};

/** Qwen/Qwen2.5-0.5B(-Instruct): q/k/v biases, GQA 14 / 2 heads of 64, a 151,936-token vocabulary, tied head. */
export const QWEN25_05B: LlamaShape = {
  name: 'qwen2.5-0.5b-random', arch: 'qwen2', vocabSize: 151936, hidden: 896, layers: 24, heads: 14, kvHeads: 2, ffn: 4864, ropeTheta: 1000000, rmsEps: 1e-6, contextLength: 32768,
};

/**
 * google/gemma-3-1b-it: 26 layers (5 of 6 sliding over 512 positions), 4 query heads and 1 KV head of
 * 256, GeGLU 6912, a tied 262,144 × 1152 head, SentencePiece vocabulary.
 */
export const GEMMA3_1B: LlamaShape = {
  name: 'gemma3-1b-random', arch: 'gemma3', vocabSize: 262144, hidden: 1152, layers: 26, heads: 4, kvHeads: 1, headDim: 256, ffn: 6912,
  ropeTheta: 1000000, rmsEps: 1e-6, contextLength: 32768, spm: true, slidingWindow: 512,
};

/**
 * google/gemma-2-2b-it: 26 layers (the even ones sliding over 4096 positions), 8 query heads and 4 KV
 * heads of 256, GeGLU 9216, attention / final logit soft-caps 50 / 30, a tied 256,000 × 2304 head,
 * SentencePiece vocabulary.
 */
export const GEMMA2_2B: LlamaShape = {
  name: 'gemma2-2b-random', arch: 'gemma2', vocabSize: 256000, hidden: 2304, layers: 26, heads: 8, kvHeads: 4, headDim: 256, ffn: 9216,
  ropeTheta: 10000, rmsEps: 1e-6, contextLength: 8192, spm: true, slidingWindow: 4096, attnSoftcap: 50, finalSoftcap: 30,
};

/**
 * meta-llama/Llama-3.2-1B(-Instruct): GQA 32 / 8 heads of 64, a tied 128,256 × 2048 head, Llama 3 RoPE
 * scaling (factor 32, low / high frequency factors 1 / 4, original context 8192) as rope_freqs.weight.
 */
export const LLAMA32_1B: LlamaShape = {
  name: 'llama3.2-1b-random', arch: 'llama', vocabSize: 128256, hidden: 2048, layers: 16, heads: 32, kvHeads: 8, ffn: 8192, ropeTheta: 500000, rmsEps: 1e-5,
  contextLength: 131072, pre: 'llama-bpe',
  ropeFreqs: llama3FreqFactors({ type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192, raw: {} }, 64, 500000),
};

/**
 * LiquidAI/LFM2-350M: 16 layers of 1024, attention (16 heads, 8 KV heads, q / k norms) on layers 2, 5,
 * 8, 10, 12 and 14 and gated short convolutions of length 3 on the other ten; FFN 4608, vocabulary
 * 65,536 (Llama 3's split, 'lfm2'), RoPE base 1e6, tied embeddings.
 */
export const LFM2_350M: LlamaShape = {
  name: 'lfm2-350m-random', arch: 'lfm2', vocabSize: 65536, hidden: 1024, layers: 16, heads: 16, kvHeads: 8, ffn: 4608, ropeTheta: 1_000_000, rmsEps: 1e-5,
  contextLength: 128000, pre: 'lfm2', shortConv: { layers: Array.from({ length: 16 }, (_, i) => ![2, 5, 8, 10, 12, 14].includes(i)), kernel: 3 },
};

/**
 * A Granite-4.0-H-350M-like shape (ibm-granite/granite-4.0-h-350m, GGUF granitehybrid): width 768 (the
 * size llama.cpp's loader calls 350M), 32 layers of which 4 are attention without RoPE (12 heads, 4 KV
 * heads) and 28 Mamba-2 mixers (inner 1536, 48 SSM heads of 32, state 128, conv 4), SwiGLU MLPs of 2048
 * after every layer, a tied 100,352-token vocabulary, Granite's multipliers. The layer pattern, head counts
 * and multipliers are this writer's assumption (no config.json in reach); the parameter count (~340M)
 * matches the name.
 */
export const GRANITE4_H_350M: LlamaShape = {
  name: 'granite4-h-350m-random', arch: 'granitehybrid', vocabSize: 100352, hidden: 768, layers: 32, heads: 12, kvHeads: 4, ffn: 2048, ropeTheta: 10000, rmsEps: 1e-5,
  contextLength: 2 ** 20, pre: 'dbrx', noRope: true, granite: { embedding: 12, residual: 0.246, attention: 0.0078125, logit: 3 },
  mamba2: { layers: Array.from({ length: 32 }, (_, i) => ![7, 15, 23, 31].includes(i)), stateSize: 128, headDim: 32, convKernel: 4 },
};

/**
 * A Falcon-H1-Tiny-90M-like shape (tiiuae Falcon-H1-Tiny, GGUF falcon-h1): width 512, 24 layers, each
 * attention (8 heads of 64, 2 KV heads, RoPE) beside a Mamba-2 mixer (inner 768, 24 heads of 32, state
 * 64, conv 4), with its norm. Those sizes are the published config's; the MLP width (1,024) and the
 * 32,768-token tied vocabulary are this writer's assumptions (~100M parameters).
 */
export const FALCON_H1_TINY: LlamaShape = {
  name: 'falcon-h1-tiny-random', arch: 'falcon-h1', vocabSize: 32768, hidden: 512, layers: 24, heads: 8, kvHeads: 2, ffn: 1024, ropeTheta: 100000, rmsEps: 1e-5,
  contextLength: 262144, pre: 'falcon-h1', mamba2: { layers: new Array<boolean>(24).fill(true), stateSize: 64, headDim: 32, convKernel: 4, inner: 768 },
};

/**
 * A Qwen3.5-0.8B-like shape (Qwen/Qwen3.5-0.8B, GGUF qwen35): width 1024, 24 layers — 18 Gated DeltaNet
 * (16 q / k heads and 16 value heads of 128, conv 4) and every fourth gated attention (8 heads of 256,
 * 2 KV heads, q / k norms, RoPE on 64 of each head's 256 dims, base 1e7, sections [11, 11, 10]) — MLPs of
 * 3,584 and a tied 248,320-token vocabulary. These sizes are from memory of the published config (none
 * was in reach here); ~0.75B parameters, a third of them the embedding.
 */
export const QWEN35_08B: LlamaShape = {
  name: 'qwen3.5-0.8b-random', arch: 'qwen35', vocabSize: 248320, hidden: 1024, layers: 24, heads: 8, kvHeads: 2, headDim: 256, ffn: 3584, ropeTheta: 10_000_000,
  rmsEps: 1e-6, contextLength: 262144, pre: 'qwen35', rotaryDim: 64, ropeSections: [11, 11, 10, 0],
  gatedDeltaNet: { layers: Array.from({ length: 24 }, (_, i) => (i + 1) % 4 !== 0), kHeads: 16, vHeads: 16, headDim: 128, convKernel: 4 },
};

export interface MambaShape {
  name: string;
  vocabSize: number;
  hidden: number;
  layers: number;
  stateSize: number;
  convKernel: number;
  expand: number;
  /** Embedding standard deviation (default 0.02); tests use ~0.3 for sharp next-token distributions. */
  embedSd?: number;
}

/** state-spaces/mamba-130m-hf. */
export const MAMBA_130M: MambaShape = { name: 'mamba-130m-random', vocabSize: 50280, hidden: 768, layers: 24, stateSize: 16, convKernel: 4, expand: 2 };

/** mulberry32 seeded from a string: one independent stream per tensor. */
function stream(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in [−a, a] with standard deviation sd (a = sd·√3). */
export function uniform(seed: string, n: number, sd: number): Float32Array {
  const r = stream(seed);
  const a = sd * Math.sqrt(3);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * r() - 1) * a;
  return out;
}

/**
 * File types the writer makes. Q4_K_M is llama.cpp's mix: Q4_K matrices, Q6_K for the (tied) embedding
 * and for attn_v / ffn_down of the layers llama-quantize gives more bits (the first and last eighth
 * and every third between); a matrix whose rows are not a multiple of 256 wide takes
 * llama-quantize's fallback instead (Q4_K → Q5_0, Q6_K → Q8_0: a Qwen2.5-0.5B or SmolLM2 Q4_K_M
 * file is mostly Q5_0 and Q8_0). IQ4_XS puts every matrix, the tied
 * embedding included, in IQ4_XS; a matrix whose rows are not a multiple of 256 wide falls back as
 * llama-quantize's does (IQ4_NL, F16 if not a multiple of 32 either). (llama-quantize would give the
 * tied embedding Q6_K and, without an importance matrix, the first eighth's ffn_down Q5_K; here they
 * stay IQ4_XS so that the embedding lookup and every matrix run the type.) IQ3_S, IQ3_XXS, IQ2_S / IQ2_XS / IQ2_XXS and IQ1_S / IQ1_M likewise
 * (fallback IQ4_NL / F16, as llama-quantize's), but with no quantizer: their matrices are random
 * valid blocks (randomGridBlocks) at the matrix's scale, not the values the other types round.
 */
export type LlamaGgufType = 'F16' | 'BF16' | 'Q8_0' | 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'IQ4_NL' | 'IQ4_XS' | 'IQ3_S' | 'IQ3_XXS' | 'IQ2_S' | 'IQ2_XS' | 'IQ2_XXS' | 'IQ1_S' | 'IQ1_M' | 'Q4_K_M' | 'F32' | IqMix;

/**
 * llama-quantize's mixes of the grid types (llamaMixType): IQ3_M and IQ2_M, and the IQ3_XXS / IQ2_XXS
 * file types as llama-quantize writes them with an importance matrix (which their types require), where
 * the plain 'IQ3_XXS' / 'IQ2_XXS' put every matrix in the one type.
 */
export type IqMix = 'IQ3_M' | 'IQ2_M' | 'IQ3_XXS_MIX' | 'IQ2_XXS_MIX';
export const IQ_MIXES: readonly IqMix[] = ['IQ3_M', 'IQ2_M', 'IQ3_XXS_MIX', 'IQ2_XXS_MIX'];

/**
 * The type llama-quantize gives a Llama matrix for an IQ mix — llama_tensor_get_type_impl and
 * llama_ftype_get_default_type of ggml-org/llama.cpp src/llama-quant.cpp (read at commit 007dbbf),
 * for a model without experts, with an importance matrix, `nGqa` = heads / KV heads, `layer` the
 * block (for a model without experts its index is the i_attention_wv / i_ffn_down counter), `tied`
 * when there is no output.weight (the embedding then gets the output's type). Rows whose width is not a
 * multiple of the block size take tensor_type_fallback's type (not applied here: see typeOf).
 *
 * | tensor | IQ3_M (27) | IQ2_M (29) | IQ3_XXS (23) | IQ2_XXS (19) |
 * | --- | --- | --- | --- | --- |
 * | default | IQ3_S | IQ2_S | IQ3_XXS | IQ2_XXS |
 * | output, tied token_embd | Q6_K | Q5_K | Q5_K | Q5_K |
 * | token_embd (untied) | IQ3_S | IQ3_S | IQ3_S | Q2_K |
 * | attn_v | Q4_K | nGqa ≥ 4: Q4_K, else IQ3_S | nGqa ≥ 4: Q4_K, else IQ3_XXS | nGqa ≥ 4: Q4_K, else Q2_K |
 * | attn_q, attn_k | IQ3_S | IQ2_S | IQ2_S | IQ2_XXS |
 * | attn_output | Q4_K | IQ3_S | IQ3_S | IQ2_XXS |
 * | ffn_down, layer < layers / 8 | Q4_K | IQ3_S | IQ3_XXS | Q2_K |
 * | ffn_gate, ffn_up, other ffn_down | IQ3_S | IQ2_S | IQ3_XXS | IQ2_XXS |
 */
export function llamaMixType(mix: IqMix, name: string, o: { layers: number; nGqa: number; tied: boolean }): string {
  const base = { IQ3_M: 'IQ3_S', IQ2_M: 'IQ2_S', IQ3_XXS_MIX: 'IQ3_XXS', IQ2_XXS_MIX: 'IQ2_XXS' }[mix];
  if (name === 'output.weight' || (o.tied && name === 'token_embd.weight')) return mix === 'IQ3_M' ? 'Q6_K' : 'Q5_K';
  if (name === 'token_embd.weight') return mix === 'IQ2_XXS_MIX' ? 'Q2_K' : 'IQ3_S';
  const m = /^blk\.(\d+)\.(\w+)\.weight$/.exec(name);
  if (!m) return base;
  const [layer, kind] = [Number(m[1]), m[2]];
  const firstEighth = layer < Math.floor(o.layers / 8);
  switch (mix) {
    case 'IQ3_M':
      if (kind === 'attn_v' || kind === 'attn_output' || (kind === 'ffn_down' && firstEighth)) return 'Q4_K';
      return base;
    case 'IQ2_M':
      if (kind === 'attn_v') return o.nGqa >= 4 ? 'Q4_K' : 'IQ3_S';
      if (kind === 'attn_output' || (kind === 'ffn_down' && firstEighth)) return 'IQ3_S';
      return base;
    case 'IQ3_XXS_MIX':
      if (kind === 'attn_v' && o.nGqa >= 4) return 'Q4_K';
      if (kind === 'attn_q' || kind === 'attn_k') return 'IQ2_S';
      if (kind === 'attn_output') return 'IQ3_S';
      return base;
    case 'IQ2_XXS_MIX':
      if (kind === 'attn_v') return o.nGqa >= 4 ? 'Q4_K' : 'Q2_K';
      if (kind === 'ffn_down' && firstEighth) return 'Q2_K';
      return base;
  }
}

export interface GgufTensorPlan {
  name: string;
  type: string;
  ne: number[];
  make(): Uint8Array;
}

// llama.cpp's LLAMA_FTYPE_* (MOSTLY_IQ3_M = 27, MOSTLY_IQ2_M = 29, MOSTLY_Q4_1 = 3, MOSTLY_Q5_0 = 8, MOSTLY_Q5_1 = 9, MOSTLY_IQ3_XXS = 23, MOSTLY_IQ4_NL = 25, MOSTLY_IQ3_S = 26, MOSTLY_IQ2_XXS = 19, MOSTLY_IQ2_XS = 20, MOSTLY_IQ2_S = 28, MOSTLY_IQ4_XS = 30, MOSTLY_BF16 = 32, MOSTLY_IQ1_S = 24, MOSTLY_IQ1_M = 31)
const FILE_TYPE: Record<LlamaGgufType, number> = { IQ3_M: 27, IQ2_M: 29, IQ3_XXS_MIX: 23, IQ2_XXS_MIX: 19, F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q8_0: 7, Q5_0: 8, Q5_1: 9, Q4_K_M: 15, IQ3_XXS: 23, IQ4_NL: 25, IQ3_S: 26, IQ2_S: 28, IQ2_XXS: 19, IQ2_XS: 20, IQ4_XS: 30, BF16: 32, IQ1_S: 24, IQ1_M: 31 };

/**
 * `rows` × `cols` values of a grid-coded type without a quantizer here (IQ3_S, IQ3_XXS, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_S, IQ1_M: 110- / 98- / 82- / 74- / 66- / 50- / 56-byte
 * super-blocks of 256) as random valid blocks: every byte (grid indices, high bits, signs, sub-block
 * scales) from the seeded stream, then each super-block's f16 d set to ±(0.5 … 1.5)·sd / rms, rms the
 * root mean square of the tensor dequantized with d = 1, so the matrix has about standard deviation sd.
 * (IQ1_M has no d field: its f16 d is written into the top nibbles of the four scale words at 48.)
 */
export function randomGridBlocks(seed: string, rows: number, cols: number, sd: number, t: RandomBlockType): Uint8Array {
  // block bytes, the f16 d's offset and, for the k-quants, dmin's (set to the same value as d, positive)
  const [size, dAt, dminAt] = ({ IQ3_S: [110, 0], IQ3_XXS: [98, 0], IQ2_S: [82, 0], IQ2_XS: [74, 0], IQ2_XXS: [66, 0], IQ1_S: [50, 0], IQ1_M: [56, -1], Q2_K: [84, 80, 82], Q5_K: [176, 0, 2] } as Record<RandomBlockType, number[]>)[t];
  if (cols % 256 !== 0) throw new SparrowError('SHAPE_MISMATCH', `randomGridBlocks: ${t} rows of ${cols} are not whole super-blocks of 256`);
  const nb = (rows * cols) / 256;
  const r = stream(seed);
  const out = new Uint8Array(nb * size);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
  const setD = (b: number, h: number) => {
    if (t !== 'IQ1_M') for (const at of dminAt === undefined ? [dAt] : [dAt, dminAt]) out.set([h & 0xff, h >> 8], b * size + at);
    else for (let k = 0; k < 4; k++) out[b * size + 49 + 2 * k] = (out[b * size + 49 + 2 * k] & 0x0f) | (((h >> (4 * k)) & 0xf) << 4);
  };
  for (let b = 0; b < nb; b++) setD(b, 0x3c00); // d (and dmin) = 1
  const unit = dequantize(t, out, rows * cols);
  let ss = 0;
  for (let i = 0; i < unit.length; i++) ss += unit[i] * unit[i];
  const rms = Math.sqrt(ss / unit.length);
  for (let b = 0; b < nb; b++) {
    const sign = dminAt === undefined && r() < 0.5 ? -1 : 1; // drawn before the magnitude, as the grid files always were
    setD(b, toF16Bits(sign * (0.5 + r()) * (sd / rms)));
  }
  return out;
}

/** The types randomGridBlocks writes: the grid types, and Q2_K / Q5_K for the IQ mixes (no quantizer for them here either). */
export type RandomBlockType = 'IQ3_S' | 'IQ3_XXS' | 'IQ2_S' | 'IQ2_XS' | 'IQ2_XXS' | 'IQ1_S' | 'IQ1_M' | 'Q2_K' | 'Q5_K';
const RANDOM_BLOCKS: ReadonlySet<string> = new Set<RandomBlockType>(['IQ3_S', 'IQ3_XXS', 'IQ2_S', 'IQ2_XS', 'IQ2_XXS', 'IQ1_S', 'IQ1_M', 'Q2_K', 'Q5_K']);

const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Float32 values in one of the GGML types the writers make (F32 as its bytes). */
export function encodeGgml(f: Float32Array, t: string): Uint8Array {
  if (t === 'Q6_K') return quantizeQ6_K(f);
  if (t === 'Q4_K') return quantizeQ4_K(f);
  if (t === 'Q8_0') return quantizeQ8_0(f);
  if (t === 'Q4_0') return quantizeQ4_0(f);
  if (t === 'Q4_1') return quantizeQ4_1(f);
  if (t === 'Q5_0') return quantizeQ5_0(f);
  if (t === 'Q5_1') return quantizeQ5_1(f);
  if (t === 'IQ4_NL') return quantizeIQ4_NL(f);
  if (t === 'IQ4_XS') return quantizeIQ4_XS(f);
  if (t === 'F16') return encodeF16(f);
  if (t === 'BF16') return encodeBf16(f);
  if (t === 'F32') return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  throw new Error(`encodeGgml: no encoder for ${t}`);
}

/** One Mamba-2 mixer's sizes: width, inner channels, state, heads, conv length, and the model's depth (for the init). */
export interface Mamba2MixerDims {
  hidden: number;
  inner: number;
  state: number;
  heads: number;
  kernel: number;
  layers: number;
}

/**
 * One Mamba-2 mixer's tensors under prefix p (blk.N), as llama.cpp's converter writes them
 * (Mamba2Model): ssm_in [2I + 2N + heads, H] with rows [z | x | B | C | dt]; ssm_conv1d [I + 2N, K]
 * (squeezed) + bias; ssm_dt.bias [heads]; ssm_a and ssm_d [heads, 1] (A stored as −exp(A_log), no
 * ".weight" suffix); ssm_norm [1, I]; ssm_out [H, I]. Mamba-2's initialisation ranges (A in [−16, −1],
 * Δ = softplus(dt_bias) log-uniform in [1e−3, 1e−1]), seeded by `seed`/name; `matrix` makes the two
 * projections in the file's type.
 */
export function mamba2MixerTensors(p: string, d: Mamba2MixerDims, seed: string, matrix: (name: string, rows: number, cols: number, sd: number) => GgufTensorPlan, norm = true): GgufTensorPlan[] {
  const { hidden: H, inner: I, state: N, heads: NH, kernel: K } = d;
  const u = (name: string, n: number, sd: number) => uniform(`${seed}/${name}`, n, sd);
  /** n values uniform in [lo, hi]. */
  const between = (name: string, n: number, lo: number, hi: number) => u(name, n, 1 / Math.sqrt(3)).map((x) => lo + ((x + 1) / 2) * (hi - lo));
  const f32 = (name: string, ne: number[], make: () => Float32Array): GgufTensorPlan => ({ name, type: 'F32', ne, make: () => encodeGgml(make(), 'F32') });
  return [
    matrix(`${p}.ssm_in.weight`, 2 * I + 2 * N + NH, H, 1 / Math.sqrt(H)),
    f32(`${p}.ssm_conv1d.weight`, [K, I + 2 * N], () => u(`${p}.ssm_conv1d.weight`, (I + 2 * N) * K, 1 / Math.sqrt(K))),
    f32(`${p}.ssm_conv1d.bias`, [I + 2 * N], () => u(`${p}.ssm_conv1d.bias`, I + 2 * N, 0.05)),
    // Δ = softplus(dt_bias) log-uniform in [1e−3, 1e−1]: dt_bias = Δ + log(−expm1(−Δ))
    f32(`${p}.ssm_dt.bias`, [NH], () => between(`${p}.ssm_dt.bias`, NH, Math.log(1e-3), Math.log(1e-1)).map((ld) => {
      const dt = Math.exp(ld);
      return dt + Math.log(-Math.expm1(-dt));
    })),
    f32(`${p}.ssm_a`, [1, NH], () => between(`${p}.ssm_a`, NH, 1, 16).map((x) => -x)),
    f32(`${p}.ssm_d`, [1, NH], () => between(`${p}.ssm_d`, NH, 0.8, 1.2)),
    ...(norm ? [f32(`${p}.ssm_norm.weight`, [I, 1], () => between(`${p}.ssm_norm`, I, 0.8, 1.2))] : []),
    matrix(`${p}.ssm_out.weight`, H, I, 1 / Math.sqrt(2 * d.layers) / Math.sqrt(I)),
  ];
}

/** Qwen3.5's keys: the Gated DeltaNet sizes, its layer pattern, the M-RoPE sections (text uses one position, so only their sum matters). */
function qwen35Keys(s: LlamaShape, g: NonNullable<LlamaShape['gatedDeltaNet']>): [string, GgufKV][] {
  const a = (k: string) => `qwen35.${k}`;
  const interval = g.layers.every((x, i) => x === ((i + 1) % 4 !== 0));
  const half = (s.rotaryDim ?? s.headDim ?? s.hidden / s.heads) / 2;
  // Qwen3.5's [11, 11, 10, 0] for 32 pairs; here the same share of `half` pairs (every pair turns)
  const sections = [Math.ceil(half / 3), Math.ceil((half - Math.ceil(half / 3)) / 2), 0, 0];
  sections[2] = half - sections[0] - sections[1];
  return [
    [a('ssm.conv_kernel'), kv.u32(g.convKernel)], [a('ssm.state_size'), kv.u32(g.headDim)], [a('ssm.group_count'), kv.u32(g.kHeads)],
    [a('ssm.time_step_rank'), kv.u32(g.vHeads)], [a('ssm.inner_size'), kv.u32(g.vHeads * g.headDim)],
    interval ? [a('full_attention_interval'), kv.u32(4)] : [a('attention.recurrent_layers'), kv.arr(GgufValueType.BOOL, g.layers)],
    [a('rope.dimension_sections'), kv.arr(GgufValueType.INT32, s.ropeSections ?? sections)],
  ];
}

/**
 * One Gated DeltaNet layer's tensors under prefix p, as llama.cpp's qwen35 reads them: attn_qkv
 * [2·kHeads·d + vHeads·d, H] with rows [q | k | v], attn_gate (z) [vHeads·d, H], ssm_conv1d [channels,
 * K] (no bias), ssm_dt.bias and ssm_a [vHeads] (A = −exp(A_log), in [−16, −1]), ssm_beta and ssm_alpha
 * [vHeads, H], ssm_norm [d], ssm_out [H, vHeads·d].
 */
function gatedDeltaNetTensors(p: string, s: LlamaShape, g: NonNullable<LlamaShape['gatedDeltaNet']>, matrix: (name: string, rows: number, cols: number, sd: number) => GgufTensorPlan): GgufTensorPlan[] {
  const H = s.hidden;
  const C = g.vHeads * g.headDim;
  const CC = 2 * g.kHeads * g.headDim + C;
  const u = (name: string, n: number, sd: number) => uniform(`${s.name}/${name}`, n, sd);
  const between = (name: string, n: number, lo: number, hi: number) => u(name, n, 1 / Math.sqrt(3)).map((x) => lo + ((x + 1) / 2) * (hi - lo));
  const f32 = (name: string, ne: number[], make: () => Float32Array): GgufTensorPlan => ({ name, type: 'F32', ne, make: () => encodeGgml(make(), 'F32') });
  return [
    matrix(`${p}.attn_qkv.weight`, CC, H, 1 / Math.sqrt(H)),
    matrix(`${p}.attn_gate.weight`, C, H, 1 / Math.sqrt(H)),
    f32(`${p}.ssm_conv1d.weight`, [g.convKernel, CC], () => u(`${p}.ssm_conv1d.weight`, CC * g.convKernel, 1 / Math.sqrt(g.convKernel))),
    // Δ = softplus(dt_bias) log-uniform in [1e−3, 1e−1], as Mamba-2
    f32(`${p}.ssm_dt.bias`, [g.vHeads], () => between(`${p}.ssm_dt.bias`, g.vHeads, Math.log(1e-3), Math.log(1e-1)).map((ld) => {
      const dt = Math.exp(ld);
      return dt + Math.log(-Math.expm1(-dt));
    })),
    f32(`${p}.ssm_a`, [g.vHeads], () => between(`${p}.ssm_a`, g.vHeads, 1, 16).map((x) => -x)),
    matrix(`${p}.ssm_beta.weight`, g.vHeads, H, 1 / Math.sqrt(H)),
    matrix(`${p}.ssm_alpha.weight`, g.vHeads, H, 1 / Math.sqrt(H)),
    f32(`${p}.ssm_norm.weight`, [g.headDim], () => between(`${p}.ssm_norm`, g.headDim, 0.8, 1.2)),
    matrix(`${p}.ssm_out.weight`, H, C, 1 / Math.sqrt(2 * s.layers) / Math.sqrt(C)),
  ];
}

/** GGUF metadata + tensor plan of a llama.cpp-compatible Llama (tied embeddings, no output.weight). */
export function llamaGgufPlan(s: LlamaShape, type: LlamaGgufType, vocab: BpeVocab): { metadata: [string, GgufKV][]; tensors: GgufTensorPlan[] } {
  if (vocab.tokens.length !== s.vocabSize) throw new Error(`llamaGgufPlan: vocabulary has ${vocab.tokens.length} tokens, shape wants ${s.vocabSize}`);
  const arch = s.arch ?? 'llama';
  const headDim = s.headDim ?? s.hidden / s.heads;
  const a = (k: string) => `${arch}.${k}`;
  /** Per layer: no attention there (LFM2's convolutions, Granite 4.0-H's Mamba-2 mixers). */
  const parallel = arch === 'falcon-h1';
  const gdn = s.gatedDeltaNet;
  const recurrent = s.shortConv?.layers ?? (parallel ? undefined : s.mamba2?.layers);
  const inner = s.mamba2?.inner ?? 2 * s.hidden;
  const mixer: Mamba2MixerDims | undefined = s.mamba2 && { hidden: s.hidden, inner, state: s.mamba2.stateSize, heads: inner / s.mamba2.headDim, kernel: s.mamba2.convKernel, layers: s.layers };
  const metadata: [string, GgufKV][] = [
    ['general.architecture', kv.str(arch)],
    ['general.type', kv.str('model')],
    ['general.name', kv.str(s.name)],
    ['general.file_type', kv.u32(FILE_TYPE[type])],
    ['general.quantization_version', kv.u32(2)],
    [a('block_count'), kv.u32(s.layers)],
    [a('context_length'), kv.u32(s.contextLength)],
    [a('embedding_length'), kv.u32(s.hidden)],
    [a('feed_forward_length'), kv.u32(s.ffn)],
    [a('attention.head_count'), kv.u32(s.heads)],
    // LFM2 / Granite 4.0-H: one KV head count per layer, 0 on its convolution / Mamba-2 layers
    [a('attention.head_count_kv'), recurrent ? kv.arr(GgufValueType.INT32, recurrent.map((c) => (c ? 0 : s.kvHeads))) : kv.u32(s.kvHeads)],
    ...(s.shortConv ? ([[a('shortconv.l_cache'), kv.u32(s.shortConv.kernel)]] as [string, GgufKV][]) : []),
    ...(mixer
      ? ([
        // GraniteHybridModel: the Mamba-2 sizes (time_step_rank = SSM heads), no experts, NoPE unless told
        [a('ssm.conv_kernel'), kv.u32(mixer.kernel)], [a('ssm.state_size'), kv.u32(mixer.state)], [a('ssm.group_count'), kv.u32(1)],
        [a('ssm.inner_size'), kv.u32(mixer.inner)], [a('ssm.time_step_rank'), kv.u32(mixer.heads)],
        ...(parallel ? [] : [[a('expert_count'), kv.u32(0)], [a('expert_used_count'), kv.u32(0)]]),
      ] as [string, GgufKV][])
      : []),
    ...(s.longRope ? ([[a('rope.scaling.attn_factor'), kv.f32(s.longRope.attnFactor)], [a('rope.scaling.original_context_length'), kv.u32(s.longRope.originalContext)]] as [string, GgufKV][]) : []),
    // FalconH1Model and Qwen3.5 write the head size
    ...(parallel || gdn ? ([[a('attention.key_length'), kv.u32(headDim)], [a('attention.value_length'), kv.u32(headDim)]] as [string, GgufKV][]) : []),
    ...(gdn ? qwen35Keys(s, gdn) : []),
    ...(arch === 'granite' || arch === 'granitehybrid' ? ([[a('rope.scaling.finetuned'), kv.bool(!s.noRope)]] as [string, GgufKV][]) : []),
    ...(s.granite
      ? ([[a('embedding_scale'), kv.f32(s.granite.embedding)], [a('residual_scale'), kv.f32(s.granite.residual)], [a('attention.scale'), kv.f32(s.granite.attention)], [a('logit_scale'), kv.f32(s.granite.logit)]] as [string, GgufKV][])
      : []),
    [a('rope.freq_base'), kv.f32(s.ropeTheta)],
    [a('attention.layer_norm_rms_epsilon'), kv.f32(s.rmsEps)],
    // the Gemma 3 converter writes neither (llama.cpp takes the vocabulary's size and n_rot = key_length)
    ...(arch === 'gemma3' ? gemma3Keys(s, headDim) : arch === 'gemma2' ? gemma2Keys(s, headDim) : ([[a('vocab_size'), kv.u32(s.vocabSize)], [a('rope.dimension_count'), kv.u32(s.rotaryDim ?? headDim)]] as [string, GgufKV][])),
    ['tokenizer.ggml.model', kv.str(s.spm ? 'llama' : 'gpt2')],
    ...(arch === 'qwen3' ? ([[a('attention.key_length'), kv.u32(headDim)], [a('attention.value_length'), kv.u32(headDim)]] as [string, GgufKV][]) : []),
    ...(s.spm ? spmKeys(vocab) : bpeKeys(vocab, s.pre ?? (arch === 'llama' ? 'smollm' : 'qwen2'))),
    ['tokenizer.ggml.bos_token_id', kv.u32(1)],
    ['tokenizer.ggml.eos_token_id', kv.u32(2)],
    ['tokenizer.ggml.unknown_token_id', kv.u32(0)],
    ['tokenizer.ggml.padding_token_id', kv.u32(2)],
    ['tokenizer.ggml.add_bos_token', kv.bool(Boolean(s.spm))],
    ['tokenizer.chat_template', kv.str(CHATML)],
  ];
  // llama.cpp's use_more_bits(i, n) for Q4_K_M's attn_v / ffn_down (C integer divisions)
  const moreBits = (l: number) => l < Math.floor(s.layers / 8) || l >= Math.floor((7 * s.layers) / 8) || (l - Math.floor(s.layers / 8)) % 3 === 2;
  const typeOf = (name: string, cols: number): string => {
    // llama-quantize's fallback for rows not a multiple of IQ4_XS's 256 (llama_tensor_get_type)
    if (type === 'IQ4_XS' || type === 'IQ3_S' || type === 'IQ3_XXS' || type === 'IQ2_S' || type === 'IQ2_XS' || type === 'IQ2_XXS' || type === 'IQ1_S' || type === 'IQ1_M') return cols % 256 === 0 ? type : cols % 32 === 0 ? 'IQ4_NL' : 'F16';
    if ((IQ_MIXES as readonly string[]).includes(type)) {
      // tensor_type_fallback: rows not a multiple of the block (256 here) take a 32-value type
      const t = llamaMixType(type as IqMix, name, { layers: s.layers, nGqa: s.heads / s.kvHeads, tied: !s.untied });
      if (cols % 256 === 0) return t;
      if (name === 'token_embd.weight' || name === 'output.weight') return 'Q8_0';
      return cols % 32 !== 0 ? 'F16' : t.startsWith('IQ') ? 'IQ4_NL' : ({ Q2_K: 'Q4_0', Q4_K: 'Q5_0', Q5_K: 'Q5_1', Q6_K: 'Q8_0' } as Record<string, string>)[t];
    }
    if (type !== 'Q4_K_M') return type;
    const m = /^blk\.(\d+)\.(attn_v|ffn_down)\./.exec(name);
    const k = name === 'token_embd.weight' || (m && moreBits(Number(m[1]))) ? 'Q6_K' : 'Q4_K';
    // llama-quantize's fallback for rows that are not a multiple of 256 (llama_tensor_get_type)
    return cols % 256 === 0 ? k : k === 'Q6_K' ? 'Q8_0' : 'Q5_0';
  };
  const matrix = (name: string, rows: number, cols: number, sd: number): GgufTensorPlan => {
    const t = typeOf(name, cols);
    const seed = `${s.name}/${name}`;
    if (RANDOM_BLOCKS.has(t)) return { name, type: t, ne: [cols, rows], make: () => randomGridBlocks(seed, rows, cols, sd, t as RandomBlockType) };
    return { name, type: t, ne: [cols, rows], make: () => encodeGgml(uniform(seed, rows * cols, sd), t) };
  };
  const norm = (name: string, n: number): GgufTensorPlan => ({
    // 1 + small noise, like trained RMSNorm gains; 1-D tensors stay F32 as llama.cpp's converter does.
    name, type: 'F32', ne: [n], make: () => {
      const f = uniform(`${s.name}/${name}`, n, 0.05);
      for (let i = 0; i < n; i++) f[i] += 1;
      return new Uint8Array(f.buffer);
    },
  });
  const vector = (name: string, n: number, sd: number): GgufTensorPlan => ({
    name, type: 'F32', ne: [n], make: () => new Uint8Array(uniform(`${s.name}/${name}`, n, sd).buffer),
  });
  const lin = 1 / Math.sqrt(s.hidden);
  const resid = 1 / Math.sqrt(2 * s.layers);
  const tensors: GgufTensorPlan[] = [matrix('token_embd.weight', s.vocabSize, s.hidden, s.embedSd ?? 0.02)];
  // an untied head (output.weight, the embedding's scale), written after the embedding as llama.cpp's converter does
  if (s.untied) tensors.push(matrix('output.weight', s.vocabSize, s.hidden, s.embedSd ?? 0.02));
  for (let l = 0; l < s.layers; l++) {
    const p = `blk.${l}`;
    const conv = s.shortConv?.layers[l] === true;
    const mambaHere = s.mamba2?.layers[l] === true;
    if (arch === 'phi3') {
      // Phi-3: q / k / v in one matrix, gate and up in one (ffn_up, rows [gate | up])
      tensors.push(
        norm(`${p}.attn_norm.weight`, s.hidden),
        matrix(`${p}.attn_qkv.weight`, (s.heads + 2 * s.kvHeads) * headDim, s.hidden, lin),
        matrix(`${p}.attn_output.weight`, s.hidden, s.heads * headDim, lin * resid),
        norm(`${p}.ffn_norm.weight`, s.hidden),
        matrix(`${p}.ffn_up.weight`, 2 * s.ffn, s.hidden, lin),
        matrix(`${p}.ffn_down.weight`, s.hidden, s.ffn, resid / Math.sqrt(s.ffn)),
      );
      continue;
    }
    if (gdn) {
      // Qwen3.5: Gated DeltaNet or gated attention (q_proj rows per head [query | gate]), then the MLP after post_attention_norm
      tensors.push(
        norm(`${p}.attn_norm.weight`, s.hidden),
        ...(gdn.layers[l] ? gatedDeltaNetTensors(p, s, gdn, matrix) : [
          matrix(`${p}.attn_q.weight`, 2 * s.heads * headDim, s.hidden, lin),
          matrix(`${p}.attn_k.weight`, s.kvHeads * headDim, s.hidden, lin),
          matrix(`${p}.attn_v.weight`, s.kvHeads * headDim, s.hidden, lin),
          matrix(`${p}.attn_output.weight`, s.hidden, s.heads * headDim, lin * resid),
          norm(`${p}.attn_q_norm.weight`, headDim),
          norm(`${p}.attn_k_norm.weight`, headDim),
        ]),
        norm(`${p}.post_attention_norm.weight`, s.hidden),
        matrix(`${p}.ffn_gate.weight`, s.ffn, s.hidden, lin),
        matrix(`${p}.ffn_up.weight`, s.ffn, s.hidden, lin),
        matrix(`${p}.ffn_down.weight`, s.hidden, s.ffn, resid / Math.sqrt(s.ffn)),
      );
      continue;
    }
    tensors.push(
      norm(`${p}.attn_norm.weight`, s.hidden),
      ...(mambaHere ? mamba2MixerTensors(p, mixer!, s.name, matrix, !s.mamba2!.noNorm) : []),
      ...(mambaHere && !parallel ? [] : conv
        ? [
          // LFM2 short convolution: in_proj rows [B | C | x], the kernel [hidden, L] (ne [L, hidden]), out_proj
          matrix(`${p}.shortconv.in_proj.weight`, 3 * s.hidden, s.hidden, lin),
          { name: `${p}.shortconv.conv.weight`, type: 'F32', ne: [s.shortConv!.kernel, s.hidden], make: () => new Uint8Array(uniform(`${s.name}/${p}.shortconv.conv`, s.hidden * s.shortConv!.kernel, 1 / Math.sqrt(s.shortConv!.kernel)).buffer) },
          matrix(`${p}.shortconv.out_proj.weight`, s.hidden, s.hidden, lin * resid),
        ]
        : [
          matrix(`${p}.attn_q.weight`, s.heads * headDim, s.hidden, lin),
          matrix(`${p}.attn_k.weight`, s.kvHeads * headDim, s.hidden, lin),
          matrix(`${p}.attn_v.weight`, s.kvHeads * headDim, s.hidden, lin),
          matrix(`${p}.attn_output.weight`, s.hidden, s.heads * headDim, lin * resid),
        ]),
      // Falcon-H1: llama.cpp asks for its pre-MLP norm without the ".weight" suffix
      norm(parallel ? `${p}.ffn_norm` : `${p}.ffn_norm.weight`, s.hidden),
      matrix(`${p}.ffn_gate.weight`, s.ffn, s.hidden, lin),
      matrix(`${p}.ffn_up.weight`, s.ffn, s.hidden, lin),
      matrix(`${p}.ffn_down.weight`, s.hidden, s.ffn, resid / Math.sqrt(s.ffn)),
    );
    if (arch === 'qwen2') {
      // q / k / v biases (1-D, F32 like llama.cpp's converter), large enough to matter
      tensors.push(vector(`${p}.attn_q.bias`, s.heads * headDim, 0.5), vector(`${p}.attn_k.bias`, s.kvHeads * headDim, 0.5), vector(`${p}.attn_v.bias`, s.kvHeads * headDim, 0.5));
    }
    if (arch === 'qwen3' || arch === 'gemma3' || (arch === 'lfm2' && !conv)) tensors.push(norm(`${p}.attn_q_norm.weight`, headDim), norm(`${p}.attn_k_norm.weight`, headDim));
    // Gemma 3 and 2: norms of the attention and MLP outputs (ffn_norm above is their pre-feedforward norm)
    if (arch === 'gemma3' || arch === 'gemma2') tensors.push(norm(`${p}.post_attention_norm.weight`, s.hidden), norm(`${p}.post_ffw_norm.weight`, s.hidden));
  }
  // LFM2's converter stores the final norm as token_embd_norm (llama.cpp reads it under that name)
  tensors.push(norm(arch === 'lfm2' ? 'token_embd_norm.weight' : 'output_norm.weight', s.hidden));
  if (s.longRope) {
    for (const [kind, f] of [['long', s.longRope.long], ['short', s.longRope.short]] as const) {
      const data = Float32Array.from(f);
      tensors.push({ name: `rope_factors_${kind}.weight`, type: 'F32', ne: [data.length], make: () => new Uint8Array(data.buffer.slice(0)) });
    }
  }
  if (s.ropeFreqs) {
    if (s.ropeFreqs.length !== headDim / 2) throw new Error(`llamaGgufPlan: ${s.ropeFreqs.length} rope_freqs for headDim ${headDim}`);
    const f = Float32Array.from(s.ropeFreqs);
    tensors.push({ name: 'rope_freqs.weight', type: 'F32', ne: [headDim / 2], make: () => new Uint8Array(f.buffer.slice(0)) });
  }
  return { metadata, tensors };
}

/** A byte-level BPE vocabulary's keys: its pre-tokenizer, tokens and merges. */
export function bpeKeys(vocab: BpeVocab, pre: string): [string, GgufKV][] {
  return [
    ['tokenizer.ggml.pre', kv.str(pre)],
    ['tokenizer.ggml.tokens', kv.arr(GgufValueType.STRING, vocab.tokens)],
    ['tokenizer.ggml.token_type', kv.arr(GgufValueType.INT32, vocab.tokenTypes)],
    ['tokenizer.ggml.merges', kv.arr(GgufValueType.STRING, vocab.merges)],
  ];
}

/** The same vocabulary SentencePiece-style (sentencePieceOf), no space prefix, as Gemma's files. */
function spmKeys(vocab: BpeVocab): [string, GgufKV][] {
  const spm = sentencePieceOf(vocab);
  return [
    ['tokenizer.ggml.tokens', kv.arr(GgufValueType.STRING, spm.tokens)],
    ['tokenizer.ggml.scores', kv.arr(GgufValueType.FLOAT32, spm.scores)],
    ['tokenizer.ggml.token_type', kv.arr(GgufValueType.INT32, spm.tokenTypes)],
    ['tokenizer.ggml.add_space_prefix', kv.bool(false)],
  ];
}

/**
 * The gemma3.* keys llama.cpp's converter writes (Gemma3Model.set_gguf_parameters) beyond the ones
 * every architecture has: head sizes (Gemma's 256 is not hidden / heads), the sliding window, and
 * linear RoPE scaling when the model has it. The norms it writes hold HF's w + 1.
 */
function gemma3Keys(s: LlamaShape, headDim: number): [string, GgufKV][] {
  const out: [string, GgufKV][] = [
    ['gemma3.attention.key_length', kv.u32(headDim)],
    ['gemma3.attention.value_length', kv.u32(headDim)],
    ['gemma3.attention.sliding_window', kv.u32(s.slidingWindow ?? 512)],
  ];
  if (s.slidingWindowPattern !== undefined) out.push(['gemma3.attention.sliding_window_pattern', kv.u32(s.slidingWindowPattern)]);
  if (s.ropeLinearFactor !== undefined) out.push(['gemma3.rope.scaling.type', kv.str('linear')], ['gemma3.rope.scaling.factor', kv.f32(s.ropeLinearFactor)]);
  return out;
}

/**
 * The gemma2.* keys llama.cpp's converter writes (Gemma2Model.set_gguf_parameters) beyond the ones
 * every architecture has: head sizes, both soft-caps and the sliding window (the layers that slide
 * are llama.cpp's fixed pattern, the even ones). The norms it writes hold HF's w + 1.
 */
function gemma2Keys(s: LlamaShape, headDim: number): [string, GgufKV][] {
  return [
    ['gemma2.attention.key_length', kv.u32(headDim)],
    ['gemma2.attention.value_length', kv.u32(headDim)],
    ['gemma2.attn_logit_softcapping', kv.f32(s.attnSoftcap ?? 50)],
    ['gemma2.final_logit_softcapping', kv.f32(s.finalSoftcap ?? 30)],
    ['gemma2.attention.sliding_window', kv.u32(s.slidingWindow ?? 4096)],
  ];
}

export interface SafetensorsTensorPlan {
  name: string;
  shape: number[];
  make(): Float32Array;
}

/** config.json (transformers-5 layout, as save_pretrained writes it) + tensor plan of a Mamba. */
export function mambaPlan(s: MambaShape): { config: Record<string, unknown>; tensors: SafetensorsTensorPlan[] } {
  const inner = s.expand * s.hidden;
  const rank = Math.ceil(s.hidden / 16);
  const config = {
    architectures: ['MambaForCausalLM'], model_type: 'mamba', bos_token_id: 0, eos_token_id: 0, pad_token_id: 0,
    hidden_size: s.hidden, intermediate_size: inner, state_size: s.stateSize, num_hidden_layers: s.layers, vocab_size: s.vocabSize,
    conv_kernel: s.convKernel, expand: s.expand, time_step_rank: rank, layer_norm_epsilon: 1e-5, use_bias: false, use_conv_bias: true,
    hidden_act: 'silu', initializer_range: 0.1, residual_in_fp32: true, rescale_prenorm_residual: false, tie_word_embeddings: true,
    time_step_scale: 1.0, time_step_min: 0.001, time_step_max: 0.1, time_step_init_scheme: 'random', time_step_floor: 0.0001,
    use_cache: true, use_mambapy: false, dtype: 'float32', transformers_version: '5.17.0',
  };
  const u = (name: string, n: number, sd: number) => uniform(`${s.name}/${name}`, n, sd);
  const t = (name: string, shape: number[], make: () => Float32Array): SafetensorsTensorPlan => ({ name, shape, make });
  const tensors: SafetensorsTensorPlan[] = [t('backbone.embeddings.weight', [s.vocabSize, s.hidden], () => u('emb', s.vocabSize * s.hidden, s.embedSd ?? 0.02))];
  const resid = 1 / Math.sqrt(2 * s.layers);
  for (let l = 0; l < s.layers; l++) {
    const p = `backbone.layers.${l}`;
    const m = `${p}.mixer`;
    tensors.push(
      // A = −exp(A_log) = −(1..N) per channel (S4D-real init), D = 1.
      t(`${m}.A_log`, [inner, s.stateSize], () => {
        const f = new Float32Array(inner * s.stateSize);
        for (let i = 0; i < f.length; i++) f[i] = Math.log(1 + (i % s.stateSize));
        return f;
      }),
      t(`${m}.D`, [inner], () => new Float32Array(inner).fill(1)),
      t(`${m}.conv1d.bias`, [inner], () => u(`${m}.conv1d.bias`, inner, 0.05)),
      t(`${m}.conv1d.weight`, [inner, 1, s.convKernel], () => u(`${m}.conv1d.weight`, inner * s.convKernel, 1 / Math.sqrt(s.convKernel))),
      // dt = softplus(bias) log-uniform in [1e-3, 1e-1] (Mamba's init): bias = dt + log(−expm1(−dt)).
      t(`${m}.dt_proj.bias`, [inner], () => {
        const r = u(`${m}.dt_proj.bias`, inner, 1 / Math.sqrt(3));
        const f = new Float32Array(inner);
        for (let i = 0; i < inner; i++) {
          const dt = Math.exp(Math.log(1e-3) + ((r[i] + 1) / 2) * (Math.log(1e-1) - Math.log(1e-3)));
          f[i] = dt + Math.log(-Math.expm1(-dt));
        }
        return f;
      }),
      t(`${m}.dt_proj.weight`, [inner, rank], () => u(`${m}.dt_proj.weight`, inner * rank, 1 / Math.sqrt(3 * rank))),
      t(`${m}.in_proj.weight`, [2 * inner, s.hidden], () => u(`${m}.in_proj.weight`, 2 * inner * s.hidden, 1 / Math.sqrt(s.hidden))),
      t(`${m}.out_proj.weight`, [s.hidden, inner], () => u(`${m}.out_proj.weight`, s.hidden * inner, resid / Math.sqrt(inner))),
      t(`${m}.x_proj.weight`, [rank + 2 * s.stateSize, inner], () => u(`${m}.x_proj.weight`, (rank + 2 * s.stateSize) * inner, 1 / Math.sqrt(inner))),
      t(`${p}.norm.weight`, [s.hidden], () => new Float32Array(s.hidden).fill(1)),
    );
  }
  tensors.push(t('backbone.norm_f.weight', [s.hidden], () => new Float32Array(s.hidden).fill(1)));
  return { config, tensors };
}
