/**
 * A GGUF file as a WeightFile with Hugging Face tensor names, plus the model config its metadata
 * implies. Block-quantized tensors the backends run directly (BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1,
 * IQ4_NL, IQ4_XS, IQ3_XXS, IQ3_S, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_S, IQ1_M, Q2_K…Q6_K) are uploaded as raw blocks; other GGML types are dequantized to f32 on
 * the host at load time (the other IQ types: UNSUPPORTED, no dequantizer).
 * Q/K rows stay in llama.cpp's permuted order, so Llama runs the llama architecture with
 * 'interleaved' RoPE (qwen2 / qwen3 are stored unpermuted).
 * The config comes from formats/gguf-config.ts (ggufModelConfig). A `mamba` file's tensors get the
 * names of a Hugging Face MambaForCausalLM (mambaHfName), except A, which llama.cpp's converter
 * stores as −exp(A_log): it is `…mixer.A` here, and the Mamba model takes it as it is.
 */
import { SparrowError } from '../errors.ts';
import type { Backend, DType, Tensor } from '../backends/backend.ts';
import { GgufFile, type GgufTensorInfo } from '../formats/gguf.ts';
import { dequantize } from '../formats/ggml-quants.ts';
import { GGUF_ARCHS } from '../formats/gguf-config.ts';
import type { WeightFile } from './weights.ts';
import { toF16Bits } from '../util/f16.ts';

const DIRECT: Record<string, DType> = { F32: 'f32', F16: 'f16', BF16: 'bf16', Q8_0: 'q8_0', Q4_0: 'q4_0', Q4_1: 'q4_1', Q5_0: 'q5_0', Q5_1: 'q5_1', IQ4_NL: 'iq4_nl', IQ4_XS: 'iq4_xs', IQ3_XXS: 'iq3_xxs', IQ3_S: 'iq3_s', IQ2_S: 'iq2_s', IQ2_XXS: 'iq2_xxs', IQ2_XS: 'iq2_xs', IQ1_S: 'iq1_s', IQ1_M: 'iq1_m', Q2_K: 'q2_k', Q3_K: 'q3_k', Q4_K: 'q4_k', Q5_K: 'q5_k', Q6_K: 'q6_k' };

/** The name a GGUF's rope_freqs.weight (Llama 3 RoPE frequency divisors, [headDim/2]) gets here. */
export const ROPE_FREQS = 'rope_freqs.weight';

/**
 * llama.cpp tensor names → Hugging Face Llama / Qwen2 / Qwen3 / Gemma 3 names. Gemma 3's four norms
 * per layer: ffn_norm is its pre-feedforward norm (Llama's post-attention one), post_attention_norm
 * and post_ffw_norm the norms of the attention and MLP outputs.
 */
export function llamaHfName(gguf: string, arch?: string): string | undefined {
  const fixed: Record<string, string> = {
    'token_embd.weight': 'model.embed_tokens.weight', 'output_norm.weight': 'model.norm.weight', 'output.weight': 'lm_head.weight',
    // Llama 3 RoPE scaling as computed divisors (no HF tensor: HF computes them from config.json)
    'rope_freqs.weight': ROPE_FREQS,
  };
  if (fixed[gguf]) return fixed[gguf];
  if (arch === 'lfm2') {
    // LFM2's final norm is stored as token_embd_norm (llama.cpp: "fix for wrong tensor name"); its
    // short-convolution layers hold in_proj ([B | C | x] rows), the conv kernel and out_proj
    if (gguf === 'token_embd_norm.weight') return 'model.norm.weight';
    const sc = /^blk\.(\d+)\.shortconv\.(in_proj|conv|out_proj)\.weight$/.exec(gguf);
    if (sc) return `model.layers.${sc[1]}.conv.${sc[2]}.weight`;
  }
  if (arch === 'granitehybrid' || arch === 'falcon-h1') {
    // Granite 4.0-H's and Falcon-H1's Mamba-2 mixers keep llama.cpp's ssm_* names, under the layer's `mamba.`
    const ssm = /^blk\.(\d+)\.(ssm_\w+(?:\.weight|\.bias)?)$/.exec(gguf);
    if (ssm) return `model.layers.${ssm[1]}.mamba.${ssm[2]}`;
  }
  if (arch === 'phi3') {
    // Phi-3: q / k / v in one matrix (rows [q | k | v]), gate and up in ffn_up (rows [gate | up]),
    // LongRoPE's frequency divisors kept under llama.cpp's names
    if (gguf === 'rope_factors_long.weight' || gguf === 'rope_factors_short.weight') return gguf;
    const fused = /^blk\.(\d+)\.(attn_qkv|ffn_up)\.weight$/.exec(gguf);
    if (fused) return `model.layers.${fused[1]}.${fused[2] === 'attn_qkv' ? 'self_attn.qkv_proj' : 'mlp.gate_up_proj'}.weight`;
  }
  if (arch === 'qwen35') {
    // Qwen3.5's Gated DeltaNet layers keep llama.cpp's names under the layer's `linear_attn.`; its
    // pre-MLP norm is post_attention_norm
    const gdn = /^blk\.(\d+)\.((?:attn_qkv|attn_gate|ssm_\w+)(?:\.weight|\.bias)?)$/.exec(gguf);
    if (gdn) return `model.layers.${gdn[1]}.linear_attn.${gdn[2]}`;
    const post = /^blk\.(\d+)\.post_attention_norm\.weight$/.exec(gguf);
    if (post) return `model.layers.${post[1]}.post_attention_layernorm.weight`;
  }
  // Falcon-H1: llama.cpp asks for its pre-MLP norm without the ".weight" suffix
  const ffnNorm = arch === 'falcon-h1' ? /^blk\.(\d+)\.ffn_norm$/.exec(gguf) : null;
  if (ffnNorm) return `model.layers.${ffnNorm[1]}.post_attention_layernorm.weight`;
  const m = /^blk\.(\d+)\.(\w+)\.(weight|bias)$/.exec(gguf);
  if (!m) return undefined;
  if (m[3] === 'bias') {
    const bias: Record<string, string> = { attn_q: 'self_attn.q_proj', attn_k: 'self_attn.k_proj', attn_v: 'self_attn.v_proj', attn_output: 'self_attn.o_proj' };
    return bias[m[2]] ? `model.layers.${m[1]}.${bias[m[2]]}.bias` : undefined;
  }
  const per: Record<string, string> = {
    attn_norm: 'input_layernorm',
    ffn_norm: 'post_attention_layernorm',
    attn_q: 'self_attn.q_proj',
    attn_k: 'self_attn.k_proj',
    attn_v: 'self_attn.v_proj',
    attn_output: 'self_attn.o_proj',
    ffn_gate: 'mlp.gate_proj',
    ffn_up: 'mlp.up_proj',
    ffn_down: 'mlp.down_proj',
    attn_q_norm: 'self_attn.q_norm',
    attn_k_norm: 'self_attn.k_norm',
  };
  if (arch === 'gemma3' || arch === 'gemma2') {
    const gemma: Record<string, string> = { ffn_norm: 'pre_feedforward_layernorm', post_attention_norm: 'post_attention_layernorm', post_ffw_norm: 'post_feedforward_layernorm' };
    if (gemma[m[2]]) return `model.layers.${m[1]}.${gemma[m[2]]}.weight`;
  }
  return per[m[2]] ? `model.layers.${m[1]}.${per[m[2]]}.weight` : undefined;
}

/** The Hugging Face name Mamba.load asks for (…mixer.A: A itself, which no HF file holds). */
export function mambaHfName(gguf: string): string | undefined {
  const fixed: Record<string, string> = { 'token_embd.weight': 'backbone.embeddings.weight', 'output_norm.weight': 'backbone.norm_f.weight', 'output.weight': 'lm_head.weight' };
  if (fixed[gguf]) return fixed[gguf];
  const m = /^blk\.(\d+)\.(\w+?)(?:\.(weight|bias))?$/.exec(gguf);
  if (!m) return undefined;
  const p = `backbone.layers.${m[1]}`;
  const per: Record<string, string> = {
    'attn_norm.weight': `${p}.norm.weight`,
    'ssm_in.weight': `${p}.mixer.in_proj.weight`,
    'ssm_conv1d.weight': `${p}.mixer.conv1d.weight`,
    'ssm_conv1d.bias': `${p}.mixer.conv1d.bias`,
    'ssm_x.weight': `${p}.mixer.x_proj.weight`,
    'ssm_dt.weight': `${p}.mixer.dt_proj.weight`,
    'ssm_dt.bias': `${p}.mixer.dt_proj.bias`,
    ssm_a: `${p}.mixer.A`,
    ssm_d: `${p}.mixer.D`,
    'ssm_out.weight': `${p}.mixer.out_proj.weight`,
  };
  return per[m[3] ? `${m[2]}.${m[3]}` : m[2]];
}

export class GgufWeights implements WeightFile {
  readonly kind = 'gguf' as const;
  private readonly byHf = new Map<string, GgufTensorInfo>();

  constructor(readonly file: GgufFile) {
    const arch = String(file.get('general.architecture') ?? '');
    if (!GGUF_ARCHS.includes(arch)) {
      throw new SparrowError('UNSUPPORTED', `${file.name}: GGUF architecture '${arch}' is not supported (${GGUF_ARCHS.join(', ')} are)`, { file: file.name, architecture: arch });
    }
    for (const [name, info] of file.tensors) {
      // rwkv7, mamba2: no Hugging Face reader; their models ask for llama.cpp's names
      const hf = arch === 'mamba' ? mambaHfName(name) : arch === 'rwkv7' || arch === 'mamba2' ? name : llamaHfName(name, arch);
      if (hf) this.byHf.set(hf, info);
    }
  }
  get name(): string {
    return this.file.name;
  }
  names(): string[] {
    return [...this.byHf.keys()];
  }
  has(name: string): boolean {
    return this.byHf.has(name);
  }
  private info(name: string): GgufTensorInfo {
    const t = this.byHf.get(name);
    if (!t) throw new SparrowError('TENSOR_MISSING', `${this.name}: tensor '${name}' is not in the file`, { file: this.name, tensor: name });
    return t;
  }
  /** The GGML type name of a tensor (F32, Q8_0, …). */
  ggmlType(name: string): string {
    return this.info(name).type.name;
  }
  shape(name: string): number[] {
    return [...this.info(name).shape];
  }
  dtype(name: string): DType {
    return DIRECT[this.info(name).type.name] ?? 'f32';
  }
  async upload(name: string, backend: Backend): Promise<Tensor> {
    const t = this.info(name);
    const dtype = DIRECT[t.type.name];
    const raw = await this.file.raw(t.name);
    if (dtype === 'f32') return backend.tensor(t.shape, 'f32', alignedCopy(raw, Float32Array, 4));
    if (dtype === 'f16') return backend.tensor(t.shape, 'f16', alignedCopy(raw, Uint16Array, 2));
    if (dtype) return backend.tensor(t.shape, dtype, new Uint8Array(raw)); // a plain copy (Node Buffers are rejected)
    return backend.tensor(t.shape, 'f32', await this.f32(name));
  }
  async f32(name: string): Promise<Float32Array> {
    const t = this.info(name);
    return dequantize(t.type, await this.file.raw(t.name), t.size);
  }
  /** An F16 tensor's binary16 bits (row slices that stay f16); other types are converted. */
  async f16Bits(name: string): Promise<Uint16Array> {
    const t = this.info(name);
    if (t.type.name === 'F16') return alignedCopy(await this.file.raw(t.name), Uint16Array, 2);
    return Uint16Array.from(await this.f32(name), toF16Bits);
  }
  /** A BF16 tensor's raw bytes (row slices that stay bf16). */
  async bf16Bytes(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    if (t.type.name !== 'BF16') throw new SparrowError('UNSUPPORTED', `${this.name}: tensor '${name}' is ${t.type.name}, not BF16`, { file: this.name, tensor: name });
    return new Uint8Array(await this.file.raw(t.name));
  }
  /** Raw GGML bytes (for host-side row dequantization, e.g. a quantized embedding lookup). */
  raw(name: string): Promise<Uint8Array> {
    return this.file.raw(this.info(name).name);
  }
}

function alignedCopy<T>(b: Uint8Array, C: { new (buf: ArrayBuffer, off: number, len: number): T }, item: number): T {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new C(copy.buffer, 0, b.byteLength / item);
}

/** All metadata as plain values (for the tokenizer builder). */
export function ggufMetadataRecord(f: GgufFile): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of f.metadata) out[k] = v.value;
  return out;
}
