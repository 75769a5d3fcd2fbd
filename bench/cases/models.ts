/**
 * Model decode benchmarks on generated (random-weight) models of real shapes:
 * - SmolLM2-135M shape (Llama: hidden 576, 30 layers, 9 heads / 3 KV heads, FFN 1536, vocab
 *   49152, tied head) with Q8_0 and F16 weights, on wasm and webgpu;
 * - Mamba-130M shape (hidden 768, 24 layers, state 16, vocab 50280, tied head), f32;
 * - SmolLM2 shape dense f32 vs the same weights pruned to 80% (l1_unstructured, sparse linears)
 *   on wasm: decode tokens/s and backend bytes (storedBytes vs denseBytes).
 * One run = one decode step (model.step + device argmax + reading back the token id), 1 token.
 * The weights are generated in memory (seeded), so no model files are needed.
 */
import type { Backend, DType } from '../../src/backends/backend.ts';
import { dequantize, quantizeQ8_0 } from '../../src/formats/ggml-quants.ts';
import type { LlamaConfig, MambaConfig } from '../../src/formats/hf-config.ts';
import { l1Unstructured } from '../../src/engine/prune.ts';
import { Llama } from '../../src/models/llama.ts';
import { Mamba } from '../../src/models/mamba.ts';
import type { CausalLM } from '../../src/models/types.ts';
import type { WeightFile } from '../../src/models/weights.ts';
import { toF16Bits } from '../../src/util/f16.ts';
import { rng } from '../../test/helpers/random.ts';
import type { BenchCase } from './types.ts';

export const SMOLLM2_135M: LlamaConfig = {
  family: 'llama', vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, numLayers: 30, numHeads: 9, numKvHeads: 3, headDim: 64,
  rmsNormEps: 1e-5, ropeTheta: 100000, ropeScaling: null, maxPositionEmbeddings: 8192, tieWordEmbeddings: true, attentionBias: false,
  mlpBias: false, hiddenAct: 'silu', bosTokenId: 1, eosTokenIds: [2],
};

export const MAMBA_130M: MambaConfig = {
  family: 'mamba', vocabSize: 50280, hiddenSize: 768, stateSize: 16, numLayers: 24, convKernel: 4, expand: 2, intermediateSize: 1536,
  timeStepRank: 48, layerNormEps: 1e-5, useBias: false, useConvBias: true, residualInFp32: true, tieWordEmbeddings: true,
  hiddenAct: 'silu', bosTokenId: 0, eosTokenIds: [0], padTokenId: 0,
};

type Kind = 'f32' | 'f16' | 'q8_0';
interface Spec {
  shape: number[];
  /** Storage for 2-D matrices; vectors are always f32. */
  kind: Kind;
  init: 'linear' | 'ones' | 'alog' | 'dtbias' | 'small';
}

/** Seeded random weights exposed as a WeightFile (values ~ U(−1,1)/sqrt(fan_in), like a trained net's scale). */
class GeneratedWeights implements WeightFile {
  readonly kind = 'safetensors' as const;
  constructor(
    readonly name: string,
    private specs: Map<string, Spec>,
    private transform?: (name: string, data: Float32Array) => Float32Array,
  ) {}
  names(): string[] {
    return [...this.specs.keys()];
  }
  has(n: string): boolean {
    return this.specs.has(n);
  }
  shape(n: string): number[] {
    return [...this.spec(n).shape];
  }
  dtype(n: string): DType {
    return this.spec(n).shape.length === 2 ? this.spec(n).kind : 'f32';
  }
  private spec(n: string): Spec {
    const s = this.specs.get(n);
    if (!s) throw new Error(`generated weights: no ${n}`);
    return s;
  }
  private gen(n: string): Float32Array {
    const s = this.spec(n);
    const size = s.shape.reduce((a, b) => a * b, 1);
    let seed = 7;
    for (const ch of n) seed = (Math.imul(seed, 31) + ch.charCodeAt(0)) >>> 0;
    const r = rng(seed);
    const cols = s.shape[s.shape.length - 1];
    const out = new Float32Array(size);
    const scale = 1 / Math.sqrt(cols);
    for (let i = 0; i < size; i++) {
      if (s.init === 'linear') out[i] = (2 * r() - 1) * scale;
      else if (s.init === 'ones') out[i] = 1 + 0.1 * (r() - 0.5);
      else if (s.init === 'alog') out[i] = Math.log(1 + (i % cols));
      else if (s.init === 'dtbias') out[i] = Math.log(Math.expm1(0.001 + 0.099 * r()));
      else out[i] = 0.1 * (r() - 0.5);
    }
    return this.transform ? this.transform(n, out) : out;
  }
  async f32(n: string): Promise<Float32Array> {
    const s = this.spec(n);
    if (s.kind === 'q8_0' && s.shape.length === 2) {
      const d = this.gen(n);
      return dequantize('Q8_0', quantizeQ8_0(d), d.length);
    }
    return this.gen(n);
  }
  async raw(n: string): Promise<Uint8Array> {
    return quantizeQ8_0(this.gen(n));
  }
  ggmlType(n: string): string {
    return this.spec(n).kind === 'q8_0' ? 'Q8_0' : 'F32';
  }
  async upload(n: string, b: Backend) {
    const s = this.spec(n);
    const data = this.gen(n);
    if (s.shape.length !== 2 || s.kind === 'f32') return b.tensor(s.shape, 'f32', data);
    if (s.kind === 'f16') return b.tensor(s.shape, 'f16', Uint16Array.from(data, toF16Bits));
    return b.tensor(s.shape, 'q8_0', quantizeQ8_0(data));
  }
}

function llamaSpecs(c: LlamaConfig, kind: Kind): Map<string, Spec> {
  const m = new Map<string, Spec>();
  const lin = (n: string, shape: number[]) => m.set(n, { shape, kind, init: 'linear' });
  lin('model.embed_tokens.weight', [c.vocabSize, c.hiddenSize]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    m.set(`${p}input_layernorm.weight`, { shape: [c.hiddenSize], kind: 'f32', init: 'ones' });
    m.set(`${p}post_attention_layernorm.weight`, { shape: [c.hiddenSize], kind: 'f32', init: 'ones' });
    lin(`${p}self_attn.q_proj.weight`, [c.numHeads * c.headDim, c.hiddenSize]);
    lin(`${p}self_attn.k_proj.weight`, [c.numKvHeads * c.headDim, c.hiddenSize]);
    lin(`${p}self_attn.v_proj.weight`, [c.numKvHeads * c.headDim, c.hiddenSize]);
    lin(`${p}self_attn.o_proj.weight`, [c.hiddenSize, c.numHeads * c.headDim]);
    lin(`${p}mlp.gate_proj.weight`, [c.intermediateSize, c.hiddenSize]);
    lin(`${p}mlp.up_proj.weight`, [c.intermediateSize, c.hiddenSize]);
    lin(`${p}mlp.down_proj.weight`, [c.hiddenSize, c.intermediateSize]);
  }
  m.set('model.norm.weight', { shape: [c.hiddenSize], kind: 'f32', init: 'ones' });
  return m;
}

function mambaSpecs(c: MambaConfig): Map<string, Spec> {
  const m = new Map<string, Spec>();
  const { hiddenSize: H, intermediateSize: I, stateSize: N, timeStepRank: R, convKernel: K } = c;
  const set = (n: string, shape: number[], init: Spec['init']) => m.set(n, { shape, kind: 'f32', init });
  set('backbone.embeddings.weight', [c.vocabSize, H], 'linear');
  for (let i = 0; i < c.numLayers; i++) {
    const p = `backbone.layers.${i}.`;
    set(`${p}norm.weight`, [H], 'ones');
    set(`${p}mixer.in_proj.weight`, [2 * I, H], 'linear');
    set(`${p}mixer.conv1d.weight`, [I, 1, K], 'linear');
    set(`${p}mixer.conv1d.bias`, [I], 'small');
    set(`${p}mixer.x_proj.weight`, [R + 2 * N, I], 'linear');
    set(`${p}mixer.dt_proj.weight`, [I, R], 'linear');
    set(`${p}mixer.dt_proj.bias`, [I], 'dtbias');
    set(`${p}mixer.A_log`, [I, N], 'alog');
    set(`${p}mixer.D`, [I], 'ones');
    set(`${p}mixer.out_proj.weight`, [H, I], 'linear');
  }
  set('backbone.norm_f.weight', [H], 'ones');
  return m;
}

const PROMPT = Array.from({ length: 16 }, (_, i) => (i * 977 + 13) % 1000);

/** Build the model, prefill a 16-token prompt, and time one decode step per run. */
async function decodeSetup(b: Backend, build: (b: Backend) => Promise<CausalLM>) {
  const model = await build(b);
  const state = model.newState();
  const first = model.prefill(PROMPT, state);
  b.free(first);
  const next = b.tensor([1], 'i32');
  let token = 1;
  return {
    storedBytes: model.weightBytes(),
    async run() {
      const logits = model.step(token, state);
      b.argmax(next, logits);
      token = (await b.read(next))[0];
    },
    dispose() {
      b.free(next);
      state.free();
      model.dispose();
    },
  };
}

const llamaParams = (c: LlamaConfig) =>
  c.vocabSize * c.hiddenSize + c.numLayers * (2 * c.hiddenSize + c.hiddenSize * c.headDim * (2 * c.numHeads + 2 * c.numKvHeads) + 3 * c.hiddenSize * c.intermediateSize) + c.hiddenSize;
const mambaParams = (c: MambaConfig) =>
  c.vocabSize * c.hiddenSize + c.numLayers * (c.hiddenSize + 3 * c.intermediateSize * c.hiddenSize + c.intermediateSize * (c.convKernel + 4 + 2 * c.timeStepRank + c.stateSize) + (c.timeStepRank + 2 * c.stateSize) * c.intermediateSize) + c.hiddenSize;

const loadLlama = (kind: Kind, transform?: (n: string, d: Float32Array) => Float32Array, sparse = false) => (b: Backend) =>
  Llama.load(b, SMOLLM2_135M, new GeneratedWeights(`smollm2-135m-shape ${kind}${sparse ? ' pruned' : ''}`, llamaSpecs(SMOLLM2_135M, kind), transform), { contextLength: 2048, sparseLinears: sparse });

const prune80 = (n: string, d: Float32Array) => (/_proj\.weight$/.test(n) ? l1Unstructured(d, 0.8) : d);

export function cases(): BenchCase[] {
  const lp = llamaParams(SMOLLM2_135M);
  const mp = mambaParams(MAMBA_130M);
  const out: BenchCase[] = [];
  for (const kind of ['q8_0', 'f16'] as const) {
    out.push({
      family: 'model',
      op: `decode llama smollm2-135m-shape`,
      shape: `layers 30, hidden 576, ffn 1536, heads 9/3, vocab 49152, pos 16+`,
      dtype: kind,
      backends: ['wasm', 'webgpu'],
      tokens: 1,
      bytes: lp * (kind === 'f16' ? 2 : 34 / 32),
      flops: 2 * lp,
      denseBytes: lp * 4,
      minRuns: 10,
      setup: (b) => decodeSetup(b, loadLlama(kind)),
    });
  }
  out.push({
    family: 'model',
    op: 'decode mamba mamba-130m-shape',
    shape: 'layers 24, hidden 768, state 16, vocab 50280',
    dtype: 'f32',
    backends: ['wasm', 'webgpu'],
    tokens: 1,
    bytes: mp * 4,
    flops: 2 * mp,
    minRuns: 10,
    setup: (b) => decodeSetup(b, (bb) => Mamba.load(bb, MAMBA_130M, new GeneratedWeights('mamba-130m-shape', mambaSpecs(MAMBA_130M)))),
  });
  out.push({
    family: 'model',
    op: 'decode llama smollm2-135m-shape dense',
    shape: 'layers 30, hidden 576, ffn 1536, vocab 49152',
    dtype: 'f32',
    backends: ['wasm'],
    tokens: 1,
    bytes: lp * 4,
    flops: 2 * lp,
    denseBytes: lp * 4,
    minRuns: 10,
    setup: (b) => decodeSetup(b, loadLlama('f32')),
  });
  out.push({
    family: 'model',
    op: 'decode llama smollm2-135m-shape pruned80 sparse',
    shape: 'layers 30, hidden 576, ffn 1536, vocab 49152; block linears 80% zero (l1), embedding/head dense',
    dtype: 'f32+sparse',
    backends: ['wasm'],
    tokens: 1,
    denseBytes: lp * 4,
    minRuns: 10,
    note: 'compare with the dense f32 row: speed-up = dense ms / this ms, memory = storedBytes / denseBytes',
    setup: (b) => decodeSetup(b, loadLlama('f32', prune80, true)),
  });
  return out;
}
