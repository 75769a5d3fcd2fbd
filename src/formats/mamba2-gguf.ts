/**
 * Randomly initialised Mamba-2 models in llama.cpp's `mamba2` GGUF layout (what convert_hf_to_gguf.py's
 * Mamba2Model writes and llama_model_mamba2 requires), for tests and benchmarks: seeded per tensor,
 * Mamba-2's initialisation ranges (A in [−16, −1], Δ = softplus(dt_bias) log-uniform in
 * [1e−3, 1e−1]), one group of B / C, the head tied to the embedding (no output.weight).
 *
 * Each layer is attn_norm and the mixer's tensors (mamba2MixerTensors in synthetic-models.ts). The
 * two projections and the embedding take `type` where their rows divide into its blocks.
 */
import type { GgufKV } from './gguf.ts';
import { kv } from './gguf-writer.ts';
import { ggmlTypeByName } from './ggml-types.ts';
import type { Mamba2Config } from './hf-config.ts';
import type { BpeVocab } from './synthetic-bpe.ts';
import { bpeKeys, encodeGgml, mamba2MixerTensors, uniform, type GgufTensorPlan, type MambaShape } from './synthetic-models.ts';

/** A Mamba shape plus the head size; `expand` (intermediate = expand · hidden) defaults to Mamba-2's 2. */
export interface Mamba2Shape extends Omit<MambaShape, 'expand'> {
  headDim: number;
  expand?: number;
}

/** state-spaces/mamba2-130m's shape: 24 layers of 768, 24 heads of 64, state 128, GPT-NeoX's vocabulary padded to 50,288. */
export const MAMBA2_130M: Mamba2Shape = { name: 'mamba2-130m-random', vocabSize: 50288, hidden: 768, layers: 24, stateSize: 128, convKernel: 4, headDim: 64 };

export type Mamba2GgufType = 'F32' | 'F16' | 'Q8_0' | 'Q4_0' | 'Q5_0' | 'Q4_K' | 'Q6_K';

const FILE_TYPE: Record<Mamba2GgufType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7, Q5_0: 8, Q4_K: 15, Q6_K: 18 };

/** The Mamba2Config a file of this shape gives (what ggufMamba2Config reads back). */
export function mamba2Config(s: Mamba2Shape): Mamba2Config {
  const I = (s.expand ?? 2) * s.hidden;
  return {
    family: 'mamba2', vocabSize: s.vocabSize, hiddenSize: s.hidden, numLayers: s.layers, intermediateSize: I, stateSize: s.stateSize, convKernel: s.convKernel,
    numHeads: I / s.headDim, groups: 1, layerNormEps: 1e-5, tieWordEmbeddings: true, bosTokenId: 0, eosTokenIds: [0],
  };
}

export function mamba2GgufPlan(s: Mamba2Shape, type: Mamba2GgufType, vocab: BpeVocab, pre = 'gpt-2'): { metadata: [string, GgufKV][]; tensors: GgufTensorPlan[] } {
  const H = s.hidden;
  const I = (s.expand ?? 2) * H;
  const N = s.stateSize;
  const K = s.convKernel;
  if (I % s.headDim !== 0) throw new Error(`mamba2GgufPlan: ${I} channels are not a multiple of head size ${s.headDim}`);
  const NH = I / s.headDim;
  if (vocab.tokens.length !== s.vocabSize) throw new Error(`mamba2GgufPlan: ${vocab.tokens.length} tokens for vocabulary ${s.vocabSize}`);
  const a = (k: string) => `mamba2.${k}`;
  const metadata: [string, GgufKV][] = [
    ['general.architecture', kv.str('mamba2')],
    ['general.type', kv.str('model')],
    ['general.name', kv.str(s.name)],
    ['general.file_type', kv.u32(FILE_TYPE[type])],
    ['general.quantization_version', kv.u32(2)],
    [a('context_length'), kv.u32(2 ** 20)],
    [a('embedding_length'), kv.u32(H)],
    [a('feed_forward_length'), kv.u32(0)],
    [a('attention.head_count'), kv.u32(0)],
    [a('block_count'), kv.u32(s.layers)],
    [a('ssm.conv_kernel'), kv.u32(K)],
    [a('ssm.inner_size'), kv.u32(I)],
    [a('ssm.state_size'), kv.u32(N)],
    [a('ssm.time_step_rank'), kv.u32(NH)],
    [a('ssm.group_count'), kv.u32(1)],
    [a('attention.layer_norm_rms_epsilon'), kv.f32(1e-5)],
    ['tokenizer.ggml.model', kv.str('gpt2')],
    ...bpeKeys(vocab, pre),
    ['tokenizer.ggml.bos_token_id', kv.u32(0)],
    ['tokenizer.ggml.eos_token_id', kv.u32(0)],
  ];
  const u = (name: string, n: number, sd: number) => uniform(`${s.name}/${name}`, n, sd);
  const f32 = (name: string, ne: number[], make: () => Float32Array): GgufTensorPlan => ({ name, type: 'F32', ne, make: () => encodeGgml(make(), 'F32') });
  const matrix = (name: string, rows: number, cols: number, sd: number): GgufTensorPlan => {
    const t = cols % ggmlTypeByName(type).blockSize === 0 ? type : 'F32';
    return { name, type: t, ne: [cols, rows], make: () => encodeGgml(u(name, rows * cols, sd), t) };
  };
  const norm = (name: string, n: number) => f32(`${name}.weight`, [n], () => u(name, n, 1 / Math.sqrt(3)).map((x) => 0.9 + ((x + 1) / 2) * 0.2));
  const dims = { hidden: H, inner: I, state: N, heads: NH, kernel: K, layers: s.layers };
  const tensors: GgufTensorPlan[] = [matrix('token_embd.weight', s.vocabSize, H, s.embedSd ?? 0.02)];
  for (let l = 0; l < s.layers; l++) tensors.push(norm(`blk.${l}.attn_norm`, H), ...mamba2MixerTensors(`blk.${l}`, dims, s.name, matrix));
  tensors.push(norm('output_norm', H));
  return { metadata, tensors };
}
