/**
 * Randomly initialised RWKV-7 models in llama.cpp's `rwkv7` GGUF layout (the tensors and keys
 * convert_hf_to_gguf.py's Rwkv7Model writes and llama_model_rwkv7 requires), for tests and
 * benchmarks: seeded per tensor, scales chosen so every part of the block moves the output
 * (decays spread over (0.55, 1), sharp next-token distributions when `headSd` is large).
 *
 * Layout notes (ggml ne order reversed to row-major here): time_mix_lerp_fused [6, 1, 1, C] holds
 * μ_r, μ_w, μ_k, μ_v, μ_a, μ_g; the low-rank projections are time_mix_{w,a,v,g}1 [rank, C] and
 * …2 [C, rank]; layer 0 carries dummy v0 / v1 / v2 of the iclr rank (the converter copies a's,
 * llama.cpp requires them and never reads them). The matrices take `type` where their rows divide
 * into its blocks; llama-quantize leaves the low-rank projections and μ alone (F32 here, F16 in an
 * F16 file); vectors stay F32.
 */
import type { GgufKV } from './gguf.ts';
import { GgufValueType } from './gguf.ts';
import { kv } from './gguf-writer.ts';
import { ggmlTypeByName } from './ggml-types.ts';
import type { Rwkv7Config } from './hf-config.ts';
import type { BpeVocab } from './synthetic-bpe.ts';
import { bpeKeys, encodeGgml, uniform, type GgufTensorPlan } from './synthetic-models.ts';

export interface Rwkv7Shape {
  name: string;
  vocabSize: number;
  hidden: number;
  layers: number;
  headSize: number;
  ffn: number;
  decayRank: number;
  iclrRank: number;
  valueRank: number;
  gateRank: number;
  /** Standard deviation of the head's weights (default 1/√hidden: logits of about unit size). */
  headSd?: number;
  embedSd?: number;
}

/** RWKV7-World 0.1B's shape (llama.cpp's 190M type): 12 layers of 768, heads of 64, ranks 64 / 64 / 32 / 128, World's 65,536 tokens. */
export const RWKV7_01B: Rwkv7Shape = { name: 'rwkv7-0.1b-random', vocabSize: 65536, hidden: 768, layers: 12, headSize: 64, ffn: 3072, decayRank: 64, iclrRank: 64, valueRank: 32, gateRank: 128 };

export type Rwkv7GgufType = 'F32' | 'F16' | 'Q8_0' | 'Q4_0' | 'Q5_0' | 'Q4_K' | 'Q6_K';

// llama.cpp's LLAMA_FTYPE_* (Q4_K: MOSTLY_Q4_K_M, Q6_K: MOSTLY_Q6_K)
const FILE_TYPE: Record<Rwkv7GgufType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7, Q5_0: 8, Q4_K: 15, Q6_K: 18 };

/** The tokenizer written into the file: a byte-level BPE vocabulary (tokenizer.ggml.model gpt2) or RWKV World tokens (rwkv). */
export type Rwkv7Vocab = { kind: 'bpe'; vocab: BpeVocab; pre: string } | { kind: 'rwkv'; tokens: string[] };

/** The Rwkv7Config a file of this shape gives (what ggufRwkv7Config reads back). */
export function rwkv7Config(s: Rwkv7Shape): Rwkv7Config {
  return {
    family: 'rwkv7', vocabSize: s.vocabSize, hiddenSize: s.hidden, numLayers: s.layers, headSize: s.headSize, intermediateSize: s.ffn,
    decayLoraRank: s.decayRank, iclrLoraRank: s.iclrRank, valueLoraRank: s.valueRank, gateLoraRank: s.gateRank, layerNormEps: 1e-5, bosTokenId: 0, eosTokenIds: [0],
  };
}

export function rwkv7GgufPlan(s: Rwkv7Shape, type: Rwkv7GgufType, vocab: Rwkv7Vocab): { metadata: [string, GgufKV][]; tensors: GgufTensorPlan[] } {
  const C = s.hidden;
  if (C % s.headSize !== 0) throw new Error(`rwkv7GgufPlan: hidden ${C} is not a multiple of head size ${s.headSize}`);
  const a = (k: string) => `rwkv7.${k}`;
  const metadata: [string, GgufKV][] = [
    ['general.architecture', kv.str('rwkv7')],
    ['general.type', kv.str('model')],
    ['general.name', kv.str(s.name)],
    ['general.file_type', kv.u32(FILE_TYPE[type])],
    ['general.quantization_version', kv.u32(2)],
    [a('context_length'), kv.u32(1048576)],
    [a('embedding_length'), kv.u32(C)],
    [a('block_count'), kv.u32(s.layers)],
    [a('attention.layer_norm_epsilon'), kv.f32(1e-5)],
    [a('wkv.head_size'), kv.u32(s.headSize)],
    [a('attention.decay_lora_rank'), kv.u32(s.decayRank)],
    [a('attention.iclr_lora_rank'), kv.u32(s.iclrRank)],
    [a('attention.value_residual_mix_lora_rank'), kv.u32(s.valueRank)],
    [a('attention.gate_lora_rank'), kv.u32(s.gateRank)],
    [a('feed_forward_length'), kv.u32(s.ffn)],
    [a('attention.head_count'), kv.u32(0)],
  ];
  if (vocab.kind === 'bpe') {
    if (vocab.vocab.tokens.length !== s.vocabSize) throw new Error(`rwkv7GgufPlan: ${vocab.vocab.tokens.length} tokens for vocabulary ${s.vocabSize}`);
    metadata.push(['tokenizer.ggml.model', kv.str('gpt2')], ...bpeKeys(vocab.vocab, vocab.pre));
    metadata.push(['tokenizer.ggml.bos_token_id', kv.u32(0)], ['tokenizer.ggml.eos_token_id', kv.u32(0)], ['tokenizer.ggml.add_bos_token', kv.bool(false)]);
  } else {
    if (vocab.tokens.length !== s.vocabSize) throw new Error(`rwkv7GgufPlan: ${vocab.tokens.length} tokens for vocabulary ${s.vocabSize}`);
    metadata.push(
      ['tokenizer.ggml.model', kv.str('rwkv')],
      ['tokenizer.ggml.tokens', kv.arr(GgufValueType.STRING, vocab.tokens)],
      ['tokenizer.ggml.token_type', kv.arr(GgufValueType.INT32, vocab.tokens.map((_, i) => (i === 0 ? 3 : 1)))],
      ['tokenizer.ggml.bos_token_id', kv.u32(0)],
      ['tokenizer.ggml.eos_token_id', kv.u32(0)],
      ['tokenizer.chat_template', kv.str('rwkv-world')],
    );
  }
  const u = (name: string, n: number, sd: number) => uniform(`${s.name}/${name}`, n, sd);
  const blockOf = (t: string) => ggmlTypeByName(t).blockSize;
  const loraType = type === 'F16' ? 'F16' : 'F32';
  /** A matrix [rows, cols] in `type` (or F32 when its rows do not divide into blocks). */
  const matrix = (name: string, rows: number, cols: number, sd: number): GgufTensorPlan => {
    const t = cols % blockOf(type) === 0 ? type : 'F32';
    return { name, type: t, ne: [cols, rows], make: () => encodeGgml(u(name, rows * cols, sd), t) };
  };
  const lowRank = (name: string, rows: number, cols: number, sd: number): GgufTensorPlan => ({
    name, type: loraType, ne: [cols, rows], make: () => encodeGgml(u(name, rows * cols, sd), loraType),
  });
  /** A vector of n values, uniform in [lo, hi]. */
  const vector = (name: string, n: number, lo: number, hi: number, ne: number[] = [n]): GgufTensorPlan => ({
    name, type: 'F32', ne, make: () => {
      const f = u(name, n, 1 / Math.sqrt(3)); // uniform in [−1, 1]
      for (let i = 0; i < n; i++) f[i] = lo + ((f[i] + 1) / 2) * (hi - lo);
      return encodeGgml(f, 'F32');
    },
  });
  const norm = (p: string): GgufTensorPlan[] => [vector(`${p}.weight`, C, 0.8, 1.2), vector(`${p}.bias`, C, -0.1, 0.1)];
  const lin = 1 / Math.sqrt(C);
  const resid = 1 / Math.sqrt(2 * s.layers);
  const tensors: GgufTensorPlan[] = [matrix('token_embd.weight', s.vocabSize, C, s.embedSd ?? 1), ...norm('token_embd_norm')];
  for (let l = 0; l < s.layers; l++) {
    const p = `blk.${l}`;
    const rank = (r: number) => 1 / Math.sqrt(r);
    tensors.push(
      ...norm(`${p}.attn_norm`),
      ...norm(`${p}.attn_norm_2`),
      // decay: σ(w0 + …) spread over most of (0, 1), so decays over (e^−0.61, 1)
      vector(`${p}.time_mix_w0.weight`, C, -3, 3),
      lowRank(`${p}.time_mix_w1.weight`, s.decayRank, C, 0.5 * lin),
      lowRank(`${p}.time_mix_w2.weight`, C, s.decayRank, 0.5 * rank(s.decayRank)),
      vector(`${p}.time_mix_a0.weight`, C, -1, 1),
      lowRank(`${p}.time_mix_a1.weight`, s.iclrRank, C, lin),
      lowRank(`${p}.time_mix_a2.weight`, C, s.iclrRank, rank(s.iclrRank)),
      // layer 0: the converter's dummy copies of a0 / a1 / a2 (the iclr rank), never read
      ...(l === 0
        ? [vector(`${p}.time_mix_v0.weight`, C, -1, 1), lowRank(`${p}.time_mix_v1.weight`, s.iclrRank, C, lin), lowRank(`${p}.time_mix_v2.weight`, C, s.iclrRank, rank(s.iclrRank))]
        : [vector(`${p}.time_mix_v0.weight`, C, -1, 1), lowRank(`${p}.time_mix_v1.weight`, s.valueRank, C, lin), lowRank(`${p}.time_mix_v2.weight`, C, s.valueRank, rank(s.valueRank))]),
      lowRank(`${p}.time_mix_g1.weight`, s.gateRank, C, lin),
      lowRank(`${p}.time_mix_g2.weight`, C, s.gateRank, rank(s.gateRank)),
      vector(`${p}.time_mix_lerp_fused.weight`, 6 * C, 0, 1, [C, 1, 1, 6]),
      vector(`${p}.time_mix_k_k.weight`, C, 0.5, 1.5),
      vector(`${p}.time_mix_k_a.weight`, C, 0.5, 1.5),
      vector(`${p}.time_mix_r_k.weight`, C, -0.5, 0.5),
      matrix(`${p}.time_mix_key.weight`, C, C, lin),
      matrix(`${p}.time_mix_value.weight`, C, C, lin),
      matrix(`${p}.time_mix_receptance.weight`, C, C, lin),
      ...norm(`${p}.time_mix_ln`),
      matrix(`${p}.time_mix_output.weight`, C, C, lin * resid),
      vector(`${p}.channel_mix_lerp_k.weight`, C, 0, 1, [C, 1, 1]),
      matrix(`${p}.channel_mix_key.weight`, s.ffn, C, lin),
      matrix(`${p}.channel_mix_value.weight`, C, s.ffn, resid / Math.sqrt(s.ffn)),
    );
  }
  tensors.push(...norm('output_norm'), matrix('output.weight', s.vocabSize, C, s.headSd ?? lin));
  return { metadata, tensors };
}
