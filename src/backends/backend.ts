/**
 * The one seam between models and hardware.
 *
 * A Backend owns its memory (JS arrays, WASM linear memory, GPU buffers) and hands out opaque
 * `Tensor` handles. Models are written once against this interface and never touch raw storage.
 *
 * Conventions (ggml style, explicit memory):
 * - Every op writes into a caller-allocated `out` tensor; nothing allocates behind your back.
 * - Ops are enqueued synchronously; `read` / `flush` are the only async points. The reference and
 *   wasm backends compute eagerly, WebGPU records into a command encoder and submits on flush.
 * - Shapes are row-major; the last dimension is contiguous. A linear layer's weight is [out, in]
 *   (Hugging Face layout), so matvec computes out[m] = Σ_k W[m,k]·x[k].
 * - Every op validates its operands (see validate.ts) and throws SparrowError naming the op and
 *   shapes, identically on all backends.
 */
import type { AttentionOps } from './ops/attention.ts';

import type { SequenceOps } from './ops/sequence.ts';

export type BackendName = 'reference' | 'wasm' | 'webgpu';

/**
 * Storage types. f16 is IEEE binary16 (uploaded as Uint16Array bits, read back as Float32Array).
 * Quantized GGML block types hold raw block bytes (Uint8Array) with a logical [rows, cols] shape.
 * bf16 (bfloat16) is handled like them: raw little-endian bytes (Uint8Array, 2 per element).
 * 'sparse' is a backend-chosen compressed layout of an f32 matrix (see CsrData).
 */
export type DType =
  | 'f32'
  | 'f16'
  | 'bf16'
  | 'i32'
  | 'q8_0'
  | 'q4_0'
  | 'q4_1'
  | 'q5_0'
  | 'q5_1'
  | 'iq4_nl'
  | 'iq4_xs'
  | 'iq3_xxs'
  | 'iq3_s'
  | 'iq2_s'
  | 'iq2_xxs'
  | 'iq2_xs'
  | 'iq1_s'
  | 'iq1_m'
  | 'q2_k'
  | 'q3_k'
  | 'q4_k'
  | 'q5_k'
  | 'q6_k'
  | 'ternary'
  | 'sparse';

export interface Tensor {
  readonly backend: BackendName;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Number of logical elements (product of shape). */
  readonly size: number;
  /** Bytes of backing storage as the backend holds it. */
  readonly byteSize: number;
}

/** Compressed sparse row matrix, the interchange format for unstructured sparse weights. */
export interface CsrData {
  rows: number;
  cols: number;
  /** rows + 1 offsets into colIdx/values. */
  rowPtr: Uint32Array;
  colIdx: Uint32Array;
  values: Float32Array;
}

export type TensorData = Float32Array | Uint16Array | Int32Array | Uint8Array;

export interface RopeOptions {
  /** Position of the first row of x (rows are consecutive positions). */
  pos: number;
  /** Per-head dimension; x rows hold heads × headDim values. */
  headDim: number;
  /** RoPE base, e.g. 10000. */
  theta: number;
  /**
   * 'half': rotate (x[i], x[i + headDim/2]) pairs — Hugging Face Llama (rotate_half).
   * 'interleaved': rotate (x[2i], x[2i+1]) pairs — GGUF/llama.cpp row order.
   */
  style: 'half' | 'interleaved';
  /**
   * Per-pair divisors of the frequency (headDim/2 positive numbers): pair i turns by
   * (pos + row)·θ^(−2i/headDim) / freqFactors[i]. Llama 3's RoPE scaling (HF rope_type 'llama3',
   * GGUF rope_freqs.weight); absent: all 1.
   */
  freqFactors?: ArrayLike<number>;
}

/** Dense elementwise and linear-algebra ops every model needs. */
export interface CoreOps {
  /** out[M] = W[M,K] · x[K]. W is f32, f16 (or a quantized type once supported). */
  matvec(out: Tensor, w: Tensor, x: Tensor): void;
  /** out[N,M] = X[N,K] · W[M,K]ᵀ — a linear layer applied to N rows (small batch / prefill). */
  matmul(out: Tensor, x: Tensor, w: Tensor): void;
  /** out[M] = S[M,K] · x[K] for a sparse matrix made by `sparse`. */
  spmv(out: Tensor, s: Tensor, x: Tensor): void;
  /** out[N,M] = X[N,K] · S[M,K]ᵀ — a sparse linear layer applied to N rows (prefill of a pruned model). */
  spmm(out: Tensor, s: Tensor, x: Tensor): void;
  /** out = a + b; b has a's size or divides it (repeated along leading dims, e.g. a bias). */
  add(out: Tensor, a: Tensor, b: Tensor): void;
  /** out = a ⊙ b with the same broadcast rule as add. */
  mul(out: Tensor, a: Tensor, b: Tensor): void;
  /**
   * out = a + (b − a) ⊙ t: a and b of one size, t repeated along leading dims like add's b (RWKV's
   * token-shift mix, per-channel t; or a gate of a's size). One dispatch instead of three on WebGPU.
   */
  lerp(out: Tensor, a: Tensor, b: Tensor, t: Tensor): void;
  /** out = a · s. */
  scale(out: Tensor, a: Tensor, s: number): void;
  silu(out: Tensor, a: Tensor): void;
  /** Exact (erf) GELU, as torch.nn.functional.gelu. */
  gelu(out: Tensor, a: Tensor): void;
  sigmoid(out: Tensor, a: Tensor): void;
  /** max(x, 0) (RWKV-4's channel mix squares it). */
  relu(out: Tensor, a: Tensor): void;
  exp(out: Tensor, a: Tensor): void;
  /** log(1 + e^x), switching to x above 20 like torch.nn.functional.softplus. */
  softplus(out: Tensor, a: Tensor): void;
  /** tanh(x) (Gemma 2's logit soft-capping: cap · tanh(x / cap) as scale, tanh, scale). */
  tanh(out: Tensor, a: Tensor): void;
  /** Rows of x[..., D]: x / sqrt(mean(x²) + eps) · w[D]. */
  rmsnorm(out: Tensor, x: Tensor, w: Tensor, eps: number): void;
  /**
   * The residual step of a pre-norm block in one op: sum = a + b (same size), then
   * out = rmsnorm(sum) · w[D]. Equal to add + rmsnorm; one dispatch instead of two on WebGPU.
   * sum and out must be different tensors.
   */
  addRmsnorm(sum: Tensor, out: Tensor, a: Tensor, b: Tensor, w: Tensor, eps: number): void;
  /** out = silu(g) ⊙ u (same size): a SwiGLU MLP's gate. Equal to silu + mul. */
  siluMul(out: Tensor, g: Tensor, u: Tensor): void;
  /**
   * out = gelu_tanh(g) ⊙ u (same size): a GeGLU MLP's gate (Gemma) with the tanh approximation of
   * GELU, gelu_tanh(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³))) — torch's gelu(approximate='tanh'),
   * HF's gelu_pytorch_tanh. Equal to that activation (rounded to f32) then mul.
   */
  geluTanhMul(out: Tensor, g: Tensor, u: Tensor): void;
  /**
   * The same gate on the output of stacked gate/up projections: gu rows are [g (I) | u (I)],
   * out[r, j] = silu(gu[r, j]) · gu[r, I + j], out [rows, I].
   */
  swiglu(out: Tensor, gu: Tensor): void;
  /** Rows of x[..., D]: (x − mean) / sqrt(var + eps) · w[D] + b[D]. */
  layernorm(out: Tensor, x: Tensor, w: Tensor, b: Tensor, eps: number): void;
  /** Softmax over the last dimension. */
  softmax(out: Tensor, x: Tensor): void;
  /** Rotary position embedding on x[N, heads·headDim]. */
  rope(out: Tensor, x: Tensor, opts: RopeOptions): void;
  /**
   * The output of stacked q/k/v projections, qkv[N, qW + kW + vW] with rows [q | k | v], split in
   * one op: q = rope(q part), k = rope(k part), v = the v part. Equal to copying the parts out and
   * calling rope twice; q, k and v must be three different tensors.
   */
  ropeQkv(q: Tensor, k: Tensor, v: Tensor, qkv: Tensor, opts: RopeOptions): void;
  /** out[N, D] = table[ids[n], :]; table f32 or f16; ids i32[N]. */
  embedding(out: Tensor, table: Tensor, ids: Tensor): void;
  /** out[n] (i32) = argmax over the last dim of x[N, V]; first index wins ties. */
  argmax(out: Tensor, x: Tensor): void;
  /** dst[dstOffset + i] = src[srcOffset + i] for i < count (elements; same dtype). */
  copy(dst: Tensor, dstOffset: number, src: Tensor, srcOffset: number, count: number): void;
  /** Set every element of t to value. */
  fill(t: Tensor, value: number): void;
}

/** What a sparse layout should favour when a backend has a choice (see Backend.sparse). */
export type SparsePreference = 'size' | 'speed';

export interface Backend extends CoreOps, AttentionOps, SequenceOps {
  readonly name: BackendName;
  /** Allocate a tensor (zero-filled unless data is given). */
  tensor(shape: readonly number[], dtype?: DType, data?: TensorData): Tensor;
  /**
   * Compress an f32 matrix into this backend's sparse layout. Where a backend has several layouts,
   * `prefer` picks the fastest ('speed', default) or the smallest ('size') for this matrix.
   */
  sparse(csr: CsrData, prefer?: SparsePreference): Tensor;
  /** Overwrite a tensor's contents (same layout as `tensor`'s data argument). */
  write(t: Tensor, data: TensorData): void;
  /** Read back: f32/f16 → Float32Array, i32 → Int32Array, block/sparse types → Uint8Array. */
  read(t: Tensor): Promise<Float32Array | Int32Array | Uint8Array>;
  /** Release a tensor's storage. Using it afterwards throws. */
  free(t: Tensor): void;
  /** Resolve when all enqueued work has finished. */
  flush(): Promise<void>;
  /** Bytes currently held by live tensors. */
  memoryBytes(): number;
  /** Release everything (device, memory). */
  dispose(): void;
}
