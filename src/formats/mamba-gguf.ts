/**
 * A Hugging Face MambaForCausalLM (its config and float32 tensors) as the `mamba` GGUF that llama.cpp's
 * convert_hf_to_gguf.py (MambaModel) writes, so tests and `gen:models` can make the files real users
 * download: the mamba.* keys llama.cpp reads, llama.cpp's tensor names, A stored as −exp(A_log),
 * the conv kernel squeezed from [I, 1, K] to [I, K], and no output.weight when the head is the
 * embedding. Matrices take `type` when their rows divide into its blocks; the conv kernel, A, D,
 * biases and norms stay F32 (llama-quantize leaves ssm_conv1d alone; the rest is 1-D or the scan's
 * own operand).
 */
import type { GgufKV } from './gguf.ts';
import { kv } from './gguf-writer.ts';
import { ggmlTypeByName } from './ggml-types.ts';
import type { MambaConfig } from './hf-config.ts';
import { padVocab, type BpeVocab } from './synthetic-bpe.ts';
import { bpeKeys, encodeGgml, type GgufTensorPlan, type SafetensorsTensorPlan } from './synthetic-models.ts';

/** Types the matrices (in_proj, x_proj, dt_proj, out_proj, embedding) can take. */
export type MambaGgufType = 'F32' | 'F16' | 'Q8_0' | 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'Q4_K' | 'Q6_K';

// llama.cpp's LLAMA_FTYPE_* for general.file_type (Q4_K: MOSTLY_Q4_K_M's 15, Q6_K: 18)
const FILE_TYPE: Record<MambaGgufType, number> = { F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q8_0: 7, Q5_0: 8, Q5_1: 9, Q4_K: 15, Q6_K: 18 };

const MATRICES = new Set(['ssm_in', 'ssm_x', 'ssm_dt', 'ssm_out']);

/** The llama.cpp name of an HF Mamba tensor (convert_hf_to_gguf's tensor map for MODEL_ARCH.MAMBA). */
function ggufName(hf: string): string {
  const fixed: Record<string, string> = { 'backbone.embeddings.weight': 'token_embd.weight', 'backbone.norm_f.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight' };
  if (fixed[hf]) return fixed[hf];
  const m = /^backbone\.layers\.(\d+)\.(.+)$/.exec(hf);
  const per: Record<string, string> = {
    'norm.weight': 'attn_norm.weight',
    'mixer.in_proj.weight': 'ssm_in.weight',
    'mixer.conv1d.weight': 'ssm_conv1d.weight',
    'mixer.conv1d.bias': 'ssm_conv1d.bias',
    'mixer.x_proj.weight': 'ssm_x.weight',
    'mixer.dt_proj.weight': 'ssm_dt.weight',
    'mixer.dt_proj.bias': 'ssm_dt.bias',
    'mixer.A_log': 'ssm_a',
    'mixer.D': 'ssm_d',
    'mixer.out_proj.weight': 'ssm_out.weight',
  };
  if (!m || !per[m[2]]) throw new Error(`mambaGguf: no llama.cpp name for tensor '${hf}'`);
  return `blk.${m[1]}.${per[m[2]]}`;
}

/**
 * GGUF metadata + tensor plan of `config` and `tensors` (HF names and shapes). `vocab` adds a
 * byte-level BPE tokenizer (tokenizer.ggml.pre `pre`), padded to the embedding's rows as the
 * converter pads it; without it the file has none (neither llama.cpp nor Sparrow opens such a file).
 */
export function mambaGgufPlan(name: string, config: MambaConfig, tensors: readonly SafetensorsTensorPlan[], type: MambaGgufType = 'F32', vocab?: BpeVocab, pre = 'gpt-2'): { metadata: [string, GgufKV][]; tensors: GgufTensorPlan[] } {
  const a = (k: string) => `mamba.${k}`;
  const metadata: [string, GgufKV][] = [
    ['general.architecture', kv.str('mamba')],
    ['general.type', kv.str('model')],
    ['general.name', kv.str(name)],
    ['general.file_type', kv.u32(FILE_TYPE[type])],
    ['general.quantization_version', kv.u32(2)],
    [a('context_length'), kv.u32(2 ** 20)], // the converter's "arbitrary value"
    [a('embedding_length'), kv.u32(config.hiddenSize)],
    [a('feed_forward_length'), kv.u32(0)],
    [a('attention.head_count'), kv.u32(0)],
    [a('block_count'), kv.u32(config.numLayers)],
    [a('ssm.conv_kernel'), kv.u32(config.convKernel)],
    [a('ssm.inner_size'), kv.u32(config.intermediateSize)],
    [a('ssm.state_size'), kv.u32(config.stateSize)],
    [a('ssm.time_step_rank'), kv.u32(config.timeStepRank)],
    [a('attention.layer_norm_rms_epsilon'), kv.f32(config.layerNormEps)],
    [a('ssm.dt_b_c_rms'), kv.bool(false)],
  ];
  if (vocab) {
    const rows = tensors.find((t) => t.name === 'backbone.embeddings.weight')?.shape[0] ?? vocab.tokens.length;
    metadata.push(['tokenizer.ggml.model', kv.str('gpt2')], ...bpeKeys(padVocab(vocab, rows, 5), pre));
    if (config.bosTokenId !== null) metadata.push(['tokenizer.ggml.bos_token_id', kv.u32(config.bosTokenId)]);
    if (config.eosTokenIds.length) metadata.push(['tokenizer.ggml.eos_token_id', kv.u32(config.eosTokenIds[0])]);
    if (config.padTokenId !== null) metadata.push(['tokenizer.ggml.padding_token_id', kv.u32(config.padTokenId)]);
  }
  const blockOf = (t: string) => ggmlTypeByName(t).blockSize;
  const embed = tensors.find((t) => t.name === 'backbone.embeddings.weight');
  const out: GgufTensorPlan[] = [];
  for (const t of tensors) {
    if (t.name === 'lm_head.weight' && embed && sameValues(t.make(), embed.make())) continue; // tied: the converter omits it
    const gname = ggufName(t.name);
    const stem = gname.replace(/^blk\.\d+\./, '').replace(/\.weight$/, '');
    const cols = t.shape[t.shape.length - 1];
    const matrix = MATRICES.has(stem) || gname === 'token_embd.weight' || gname === 'output.weight';
    const tt = matrix && cols % blockOf(type) === 0 ? type : 'F32';
    const isA = t.name.endsWith('.A_log');
    // GGML ne is the shape reversed; the conv kernel [I, 1, K] is squeezed to ne [K, I]
    const ne = t.shape.filter((d) => d !== 1 || t.shape.length === 1).reverse();
    out.push({
      name: gname, type: tt, ne,
      make: () => {
        const f = t.make();
        return encodeGgml(isA ? f.map((x) => -Math.exp(x)) : f, tt);
      },
    });
  }
  return { metadata, tensors: out };
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
