/**
 * Model decode benchmarks on the generated (seeded random) models of real shapes that
 * `npm run gen:models` writes — built here in memory from the same plans
 * (src/formats/synthetic-models.ts), so the weights are identical and no files are needed:
 * - SmolLM2-135M shape (Llama: hidden 576, 30 layers, 9 heads / 3 KV heads, FFN 1536, vocab 49152,
 *   tied head, llama.cpp GGUF layout) as Q8_0 and F16, on wasm and webgpu;
 * - Mamba-130M shape (hidden 768, 24 layers, state 16, vocab 50280, tied head), f32;
 * - RWKV7-World-0.1B, Mamba-2-130M, LFM2-350M, Granite-4.0-H-350M-like, Falcon-H1-Tiny-like and Qwen3.5-0.8B-like shapes from their llama.cpp GGUF plans, Q8_0;
 * - the SmolLM2 shape as dense F32 vs the same weights pruned to 80% (l1_unstructured per block
 *   linear, run as sparse matrices) on wasm: decode tokens/s and backend bytes.
 * One decode run = one step: model.step + device argmax + reading back the token id. One prefill
 * run = a batched 64-token prompt into a fresh state (matmul path), last-position argmax read back.
 */
import type { Backend, DType } from '../../src/backends/backend.ts';
import { dequantize } from '../../src/formats/ggml-quants.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { ggufLlamaConfig } from '../../src/formats/gguf-config.ts';
import { writeGguf } from '../../src/formats/gguf-writer.ts';
import type { LlamaConfig } from '../../src/formats/hf-config.ts';
import { parseHfConfig } from '../../src/formats/hf-config.ts';
import { FALCON_H1_TINY, GRANITE4_H_350M, LFM2_350M, QWEN35_08B, MAMBA_130M, SMOLLM2_135M, llamaGgufPlan, mambaPlan, type GgufTensorPlan, type LlamaGgufType, type LlamaShape } from '../../src/formats/synthetic-models.ts';
import { MAMBA2_130M, mamba2Config, mamba2GgufPlan } from '../../src/formats/mamba2-gguf.ts';
import { RWKV7_01B, rwkv7Config, rwkv7GgufPlan } from '../../src/formats/rwkv7-gguf.ts';
import { l1Unstructured } from '../../src/engine/prune.ts';
import { llamaHfName } from '../../src/models/gguf-weights.ts';
import { Llama } from '../../src/models/llama.ts';
import { Mamba } from '../../src/models/mamba.ts';
import { Mamba2 } from '../../src/models/mamba2.ts';
import { Rwkv7 } from '../../src/models/rwkv7.ts';
import type { CausalLM } from '../../src/models/types.ts';
import type { WeightFile } from '../../src/models/weights.ts';
import { toF16Bits } from '../../src/util/f16.ts';
import type { BenchCase } from './types.ts';

const DTYPE: Record<string, DType> = { F32: 'f32', F16: 'f16', BF16: 'bf16', Q8_0: 'q8_0', Q4_0: 'q4_0' };

/** The plan's tensors as a WeightFile with HF names (bytes made on demand, as the file writer does). */
function planWeights(name: string, tensors: { name: string; hfName: string; shape: number[]; type: string; make(): Uint8Array }[], transform?: (hf: string, f: Float32Array) => Float32Array): WeightFile {
  const by = new Map(tensors.map((t) => [t.hfName, t]));
  const get = (n: string) => {
    const t = by.get(n);
    if (!t) throw new Error(`${name}: no tensor ${n}`);
    return t;
  };
  const f32 = (n: string): Float32Array => {
    const t = get(n);
    const size = t.shape.reduce((a, b) => a * b, 1);
    const f = t.type === 'F32' ? new Float32Array(t.make().slice().buffer) : dequantize(t.type, t.make(), size);
    return transform ? transform(n, f) : f;
  };
  return {
    kind: 'gguf',
    name,
    names: () => [...by.keys()],
    has: (n) => by.has(n),
    shape: (n) => [...get(n).shape],
    dtype: (n) => (transform ? 'f32' : DTYPE[get(n).type]),
    async upload(n, b) {
      const t = get(n);
      if (transform || t.type === 'F32') return b.tensor(t.shape, 'f32', f32(n));
      const bytes = t.make();
      if (t.type === 'F16') return b.tensor(t.shape, 'f16', new Uint16Array(bytes.slice().buffer));
      return b.tensor(t.shape, DTYPE[t.type], bytes);
    },
    f32: async (n) => f32(n),
    f16Bits: async (n) => (get(n).type === 'F16' ? new Uint16Array(get(n).make().slice().buffer) : Uint16Array.from(f32(n), toF16Bits)),
    raw: async (n) => get(n).make(),
    ggmlType: (n) => get(n).type,
  };
}

function llamaConfig(s: LlamaShape): LlamaConfig {
  return {
    family: 'llama', arch: 'llama', vocabSize: s.vocabSize, hiddenSize: s.hidden, intermediateSize: s.ffn, numLayers: s.layers, numHeads: s.heads, numKvHeads: s.kvHeads,
    headDim: s.hidden / s.heads, rmsNormEps: s.rmsEps, ropeTheta: s.ropeTheta, ropeScaling: null, maxPositionEmbeddings: s.contextLength,
    tieWordEmbeddings: true, attentionBias: false, qkvBias: false, qkNorm: false, mlpBias: false, hiddenAct: 'silu', bosTokenId: 1, eosTokenIds: [2],
  };
}

/** The LlamaConfig of the LFM2-350M shape (what ggufLlamaConfig reads from its file). */
function lfm2Config(): LlamaConfig {
  const s = LFM2_350M;
  return { ...llamaConfig(s), arch: 'lfm2', qkNorm: true, rmsNormEps: s.rmsEps, bosTokenId: 1, shortConv: s.shortConv };
}

/** The plan needs a vocabulary for its metadata only; the weights do not depend on it. */
const placeholderVocab = (n: number) => ({ tokens: Array.from({ length: n }, (_, i) => `t${i}`), tokenTypes: new Array(n).fill(1), merges: [], corpusMerges: 0 });

function smollm(type: LlamaGgufType, transform?: (hf: string, f: Float32Array) => Float32Array): WeightFile {
  const plan = llamaGgufPlan(SMOLLM2_135M, type, placeholderVocab(SMOLLM2_135M.vocabSize));
  const tensors = plan.tensors.map((t) => ({ name: t.name, hfName: llamaHfName(t.name) ?? t.name, shape: [...t.ne].reverse(), type: t.type, make: t.make }));
  return planWeights(`${SMOLLM2_135M.name}.${type}`, tensors, transform);
}

/** A GGUF plan's tensors (llama.cpp names, as the RWKV-7 and Mamba-2 models ask for them) as a WeightFile. */
const ggufPlanFile = (name: string, tensors: GgufTensorPlan[]): WeightFile =>
  planWeights(name, tensors.map((t) => ({ name: t.name, hfName: t.name, shape: [...t.ne].reverse(), type: t.type, make: t.make })));
/** Weights a decode step reads, roughly: every tensor but the embedding (one row of it is looked up). */
const planParams = (tensors: GgufTensorPlan[]) => tensors.filter((t) => t.name !== 'token_embd.weight' || !tensors.some((x) => x.name === 'output.weight')).reduce((a, t) => a + t.ne.reduce((x, y) => x * y, 1), 0);

const prune80 = (hf: string, f: Float32Array) => (/_proj\.weight$/.test(hf) ? l1Unstructured(f, 0.8) : f);

const PROMPT = Array.from({ length: 16 }, (_, i) => (i * 977 + 13) % 1000);

/** Build the model, prefill a 16-token prompt, and time one decode step per run. */
async function decodeSetup(b: Backend, build: (b: Backend) => Promise<CausalLM>) {
  const model = await build(b);
  const state = model.newState();
  b.free(model.prefill(PROMPT, state));
  const next = b.tensor([1], 'i32');
  let token = 1;
  return {
    storedBytes: model.weightBytes(),
    async run() {
      b.argmax(next, model.step(token, state));
      token = (await b.read(next))[0];
    },
    dispose() {
      b.free(next);
      state.free();
      model.dispose();
    },
  };
}

/** Time one batched prefill of `n` tokens into a fresh state (logits of the last position only). */
async function prefillSetup(b: Backend, build: (b: Backend) => Promise<CausalLM>, n: number) {
  const model = await build(b);
  const prompt = Array.from({ length: n }, (_, i) => (i * 977 + 13) % 1000);
  const next = b.tensor([1], 'i32');
  return {
    storedBytes: model.weightBytes(),
    async run() {
      const state = model.newState();
      const logits = model.prefill(prompt, state);
      b.argmax(next, logits);
      await b.read(next);
      b.free(logits);
      state.free();
    },
    dispose() {
      b.free(next);
      model.dispose();
    },
  };
}

const S = SMOLLM2_135M;
const llamaParams = S.vocabSize * S.hidden + S.layers * (2 * S.hidden + S.hidden * (S.hidden / S.heads) * (2 * S.heads + 2 * S.kvHeads) + 3 * S.hidden * S.ffn) + S.hidden;
const LLAMA_SHAPE = `layers ${S.layers}, hidden ${S.hidden}, ffn ${S.ffn}, heads ${S.heads}/${S.kvHeads}, vocab ${S.vocabSize}`;
const loadSmollm = (file: () => WeightFile, sparse: boolean | 'speed' = false) => (b: Backend) => Llama.load(b, llamaConfig(S), file(), { contextLength: 1024, sparseLinears: sparse });

/** The SmolLM2-shaped model as dense F32, or its block linears pruned 80 % (l1) and run as sparse matrices (bench/node-pruned.ts). */
export const smollmF32 = (b: Backend, pruned: boolean | 'size' | 'speed'): Promise<Llama> =>
  Llama.load(b, llamaConfig(S), smollm('F32', pruned ? prune80 : undefined), { contextLength: 1024, sparseLinears: pruned });
/** Parameters of the SmolLM2 shape (dense f32 bytes = 4×). */
export const SMOLLM_PARAMS = llamaParams;

export function cases(): BenchCase[] {
  const out: BenchCase[] = [];
  for (const type of ['Q8_0', 'F16', 'BF16'] as const) {
    out.push({
      family: 'model', op: 'decode smollm2-135m-random', shape: LLAMA_SHAPE, dtype: type.toLowerCase(), backends: ['wasm', 'webgpu'], tokens: 1, minRuns: 10,
      bytes: llamaParams * (type === 'Q8_0' ? 34 / 32 : 2), flops: 2 * llamaParams, denseBytes: llamaParams * 4,
      setup: (b) => decodeSetup(b, loadSmollm(() => smollm(type))),
    });
  }
  out.push({
    family: 'model', op: 'prefill 64 smollm2-135m-random', shape: LLAMA_SHAPE, dtype: 'q8_0', backends: ['wasm', 'webgpu'], tokens: 64, minRuns: 5,
    flops: 2 * llamaParams * 64,
    setup: (b) => prefillSetup(b, (bb) => Llama.load(bb, llamaConfig(S), smollm('Q8_0'), { contextLength: 128 }), 64),
  });
  const mp = mambaPlan(MAMBA_130M);
  const mambaConfig = parseHfConfig(mp.config);
  // F32, or every tensor F16 as an F16 Hugging Face checkpoint stores it (per-channel parameters are
  // uploaded as f32 by the model; the matrices stay f16).
  const mambaFile = (type: 'F32' | 'F16' = 'F32') =>
    planWeights(MAMBA_130M.name, mp.tensors.map((t) => ({
      name: t.name, hfName: t.name, shape: t.shape, type,
      make: () => new Uint8Array(type === 'F32' ? t.make().buffer : Uint16Array.from(t.make(), toF16Bits).buffer),
    })));
  const mambaParams = mp.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  out.push({
    family: 'model', op: 'decode mamba-130m-random', shape: `layers ${MAMBA_130M.layers}, hidden ${MAMBA_130M.hidden}, state ${MAMBA_130M.stateSize}, vocab ${MAMBA_130M.vocabSize}`,
    dtype: 'f32', backends: ['wasm', 'webgpu'], tokens: 1, minRuns: 10, bytes: mambaParams * 4, flops: 2 * mambaParams,
    setup: (b) => decodeSetup(b, (bb) => Mamba.load(bb, mambaConfig as Parameters<typeof Mamba.load>[1], mambaFile())),
  });
  out.push({
    family: 'model', op: 'decode mamba-130m-random', shape: `layers ${MAMBA_130M.layers}, hidden ${MAMBA_130M.hidden}, state ${MAMBA_130M.stateSize}, vocab ${MAMBA_130M.vocabSize}`,
    dtype: 'f16', backends: ['wasm', 'webgpu'], tokens: 1, minRuns: 10, bytes: mambaParams * 2, flops: 2 * mambaParams, denseBytes: mambaParams * 4,
    setup: (b) => decodeSetup(b, (bb) => Mamba.load(bb, mambaConfig as Parameters<typeof Mamba.load>[1], mambaFile('F16'))),
  });
  out.push({
    family: 'model', op: 'prefill 64 mamba-130m-random', shape: `layers ${MAMBA_130M.layers}, hidden ${MAMBA_130M.hidden}, state ${MAMBA_130M.stateSize}, vocab ${MAMBA_130M.vocabSize}`,
    dtype: 'f32', backends: ['wasm', 'webgpu'], tokens: 64, minRuns: 5, flops: 2 * mambaParams * 64,
    setup: (b) => prefillSetup(b, (bb) => Mamba.load(bb, mambaConfig as Parameters<typeof Mamba.load>[1], mambaFile()), 64),
  });
  // LFM2-350M (short-convolution and attention layers on the Llama model), Q8_0
  const lfm2 = llamaGgufPlan(LFM2_350M, 'Q8_0', placeholderVocab(LFM2_350M.vocabSize));
  const lfm2File = () => planWeights(LFM2_350M.name, lfm2.tensors.map((t) => ({ name: t.name, hfName: llamaHfName(t.name, 'lfm2') ?? t.name, shape: [...t.ne].reverse(), type: t.type, make: t.make })));
  const lfm2Load = (bb: Backend) => Llama.load(bb, lfm2Config(), lfm2File(), { contextLength: 1024 });
  const lfm2Shape = `layers ${LFM2_350M.layers} (6 attention), hidden ${LFM2_350M.hidden}, ffn ${LFM2_350M.ffn}, vocab ${LFM2_350M.vocabSize}`;
  out.push({
    family: 'model', op: 'decode lfm2-350m-random', shape: lfm2Shape, dtype: 'q8_0', backends: ['wasm', 'webgpu'], tokens: 1, minRuns: 10,
    bytes: planParams(lfm2.tensors) * (34 / 32), flops: 2 * planParams(lfm2.tensors), setup: (b) => decodeSetup(b, lfm2Load),
  });
  out.push({
    family: 'model', op: 'prefill 64 lfm2-350m-random', shape: lfm2Shape, dtype: 'q8_0', backends: ['wasm', 'webgpu'], tokens: 64, minRuns: 5,
    flops: 2 * planParams(lfm2.tensors) * 64, setup: (b) => prefillSetup(b, lfm2Load, 64),
  });
  // Granite-4.0-H-350M-like (Mamba-2 and NoPE attention layers) and Falcon-H1-Tiny-like (attention beside
  // Mamba-2 in every layer) on the Llama model, Q8_0; their configs as ggufLlamaConfig reads them from the plan's metadata
  for (const [m, what] of [[GRANITE4_H_350M, '4 attention, 28 Mamba-2'], [FALCON_H1_TINY, 'attention beside Mamba-2'], [QWEN35_08B, '18 Gated DeltaNet, 6 gated attention']] as const) {
    const plan = llamaGgufPlan(m, 'Q8_0', placeholderVocab(m.vocabSize));
    const config = () => ggufLlamaConfig(GgufFile.openSync(writeGguf(plan.metadata, []), m.name)).config;
    const file = () => planWeights(m.name, plan.tensors.map((t) => ({ name: t.name, hfName: llamaHfName(t.name, m.arch) ?? t.name, shape: [...t.ne].reverse(), type: t.type, make: t.make })));
    const load = (bb: Backend) => Llama.load(bb, config(), file(), { contextLength: 1024 });
    const shape = `layers ${m.layers} (${what}), hidden ${m.hidden}, ffn ${m.ffn}, vocab ${m.vocabSize}`;
    out.push({
      family: 'model', op: `decode ${m.name}`, shape, dtype: 'q8_0', backends: ['wasm', 'webgpu'], tokens: 1, minRuns: 10,
      bytes: planParams(plan.tensors) * (34 / 32), flops: 2 * planParams(plan.tensors), setup: (b) => decodeSetup(b, load),
    });
    out.push({
      family: 'model', op: `prefill 64 ${m.name}`, shape, dtype: 'q8_0', backends: ['wasm', 'webgpu'], tokens: 64, minRuns: 5,
      flops: 2 * planParams(plan.tensors) * 64, setup: (b) => prefillSetup(b, load, 64),
    });
  }
  // RWKV-7 (RWKV7-World-0.1B shape) and Mamba-2 (mamba2-130m shape) from their llama.cpp GGUF plans, Q8_0
  const rwkv7 = rwkv7GgufPlan(RWKV7_01B, 'Q8_0', { kind: 'rwkv', tokens: placeholderVocab(RWKV7_01B.vocabSize).tokens });
  const mamba2 = mamba2GgufPlan(MAMBA2_130M, 'Q8_0', placeholderVocab(MAMBA2_130M.vocabSize));
  for (const [m, load, params] of [
    [RWKV7_01B, (bb: Backend) => Rwkv7.load(bb, rwkv7Config(RWKV7_01B), ggufPlanFile(RWKV7_01B.name, rwkv7.tensors)), planParams(rwkv7.tensors)],
    [MAMBA2_130M, (bb: Backend) => Mamba2.load(bb, mamba2Config(MAMBA2_130M), ggufPlanFile(MAMBA2_130M.name, mamba2.tensors)), planParams(mamba2.tensors)],
  ] as const) {
    const shape = `layers ${m.layers}, hidden ${m.hidden}, vocab ${m.vocabSize}`;
    out.push({
      family: 'model', op: `decode ${m.name}`, shape, dtype: 'q8_0', backends: ['wasm', 'webgpu'], tokens: 1, minRuns: 10, bytes: params * (34 / 32), flops: 2 * params,
      setup: (b) => decodeSetup(b, load),
    });
    out.push({
      family: 'model', op: `prefill 64 ${m.name}`, shape, dtype: 'q8_0', backends: ['wasm', 'webgpu'], tokens: 64, minRuns: 5, flops: 2 * params * 64,
      setup: (b) => prefillSetup(b, load, 64),
    });
  }
  out.push({
    family: 'model', op: 'decode smollm2-135m-random dense', shape: LLAMA_SHAPE, dtype: 'f32', backends: ['wasm'], tokens: 1, minRuns: 10,
    bytes: llamaParams * 4, flops: 2 * llamaParams, denseBytes: llamaParams * 4,
    setup: (b) => decodeSetup(b, loadSmollm(() => smollm('F32'))),
  });
  out.push({
    family: 'model', op: 'decode smollm2-135m-random pruned80 sparse', shape: `${LLAMA_SHAPE}; block linears 80% zero (l1) in the default (smallest) layout, wasm: word8; embedding/head dense`,
    dtype: 'f32+sparse', backends: ['wasm'], tokens: 1, minRuns: 10, denseBytes: llamaParams * 4,
    note: 'vs the dense f32 row: speed-up = dense ms / this ms; memory = stored / dense',
    setup: (b) => decodeSetup(b, loadSmollm(() => smollm('F32', prune80), true)),
  });
  out.push({
    family: 'model', op: 'decode smollm2-135m-random pruned80 speed', shape: `${LLAMA_SHAPE}; block linears 80% zero (l1) in the fastest in-cache layout, wasm: csr16n; embedding/head dense`,
    dtype: 'f32+sparse', backends: ['wasm'], tokens: 1, minRuns: 10, denseBytes: llamaParams * 4,
    note: "sparseLinears: 'speed'; vs the dense f32 row: speed-up = dense ms / this ms; memory = stored / dense",
    setup: (b) => decodeSetup(b, loadSmollm(() => smollm('F32', prune80), 'speed')),
  });
  // Prefill of the same models: matmul for dense, spmm (token tiles of 4) for the pruned linears (word8 by default, csr16n with 'speed').
  for (const pruned of [false, true, 'speed'] as const) {
    out.push({
      family: 'model', op: `prefill 32 smollm2-135m-random ${pruned === 'speed' ? 'pruned80 speed' : pruned ? 'pruned80 sparse' : 'dense'}`, shape: pruned ? `${LLAMA_SHAPE}; block linears 80% zero (l1), embedding/head dense` : LLAMA_SHAPE,
      dtype: pruned ? 'f32+sparse' : 'f32', backends: ['wasm'], tokens: 32, minRuns: 5, flops: 2 * llamaParams * 32,
      setup: (b) => prefillSetup(b, loadSmollm(() => smollm('F32', pruned ? prune80 : undefined), pruned), 32),
    });
  }
  return out;
}
