/**
 * Llama 3 RoPE scaling: the frequency divisors from a config's rope_scaling ('llama3') by hand, and
 * the two ways a model carries them — a GGUF's rope_freqs.weight tensor, a Hugging Face config's
 * rope_scaling — giving the same logits for the same weights (the HF folder holds the GGUF's Q/K
 * rows un-permuted back to HF order). llama.cpp checks the GGUF side in
 * test/browser/llamacpp-parity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { openModel, type FileData } from '../../src/engine/open-model.ts';
import { writeGguf } from '../../src/formats/gguf-writer.ts';
import { writeSafetensors } from '../../src/formats/safetensors.ts';
import { llamaGgufPlan, type LlamaShape } from '../../src/formats/synthetic-models.ts';
import { llamaHfName, ROPE_FREQS } from '../../src/models/gguf-weights.ts';
import { llama3FreqFactors } from '../../src/formats/rope-scaling.ts';
import type { CausalLM } from '../../src/models/types.ts';
import type { Backend } from '../../src/backends/backend.ts';
import { TINY_VOCAB, tinyGguf, tinyShape } from '../helpers/tiny-llamas.ts';

// headDim 16, θ 10000: wavelengths 6.3, 20, 63, 199, 628, 1987, 6283, 19869 — with an original
// context of 1024 and low / high factors 1 / 4, pairs 0–3 keep their frequency, pair 4 is blended,
// pairs 5–7 are divided by the factor
const SCALING = { type: 'llama3' as const, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 1024, raw: {} };

describe('Llama 3 RoPE scaling', () => {
  it('the divisors by hand', () => {
    const f = llama3FreqFactors(SCALING, 16, 10000);
    const wavelen4 = 2 * Math.PI * Math.pow(10000, 8 / 16); // 628.3
    const smooth = (1024 / wavelen4 - 1) / (4 - 1);
    expect(f.slice(0, 4)).toEqual([1, 1, 1, 1]);
    expect(f[4]).toBeCloseTo(1 / ((1 - smooth) / 8 + smooth), 12);
    expect(f[4]).toBeGreaterThan(1);
    expect(f[4]).toBeLessThan(8);
    expect(f.slice(5)).toEqual([8, 8, 8]);
    expect(() => llama3FreqFactors({ ...SCALING, originalMaxPositionEmbeddings: undefined }, 16, 10000)).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID' }));
  });

  const shape: LlamaShape = tinyShape('llama', 'llama-bpe', { ropeFreqs: llama3FreqFactors(SCALING, 16, 10000) });
  const TOKENS = [5, 77, 300, 12, 599, 42, 42, 180, 256, 7, 3, 511, 9, 10, 11, 12];

  /** The GGUF's tensors as an HF Llama folder: Q/K rows back from llama.cpp's per-head interleave. */
  function hfFolder(scaling: Record<string, unknown> | null): Map<string, FileData> {
    const D = 16;
    const plan = llamaGgufPlan(shape, 'F32', TINY_VOCAB);
    const tensors = plan.tensors.filter((t) => t.name !== ROPE_FREQS).map((t) => {
      const name = llamaHfName(t.name)!;
      const bytes = t.make();
      let data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      const [cols, rows] = t.ne;
      if (/attn_[qk]\.weight$/.test(t.name)) {
        const un = new Float32Array(data.length);
        for (let r = 0; r < rows; r++) {
          const head = Math.floor(r / D);
          const j = r % D; // GGUF row 2i ← HF row i, 2i + 1 ← HF row i + D/2
          const hf = head * D + (j % 2 === 0 ? j / 2 : j / 2 - 0.5 + D / 2);
          un.set(data.subarray(r * cols, (r + 1) * cols), hf * cols);
        }
        data = un;
      }
      return { name, dtype: 'F32' as const, shape: [...t.ne].reverse(), data };
    });
    const config = {
      model_type: 'llama', vocab_size: shape.vocabSize, hidden_size: shape.hidden, intermediate_size: shape.ffn, num_hidden_layers: shape.layers,
      num_attention_heads: shape.heads, num_key_value_heads: shape.kvHeads, rms_norm_eps: shape.rmsEps, rope_theta: shape.ropeTheta,
      max_position_embeddings: shape.contextLength, tie_word_embeddings: true, hidden_act: 'silu', rope_scaling: scaling,
    };
    return new Map<string, FileData>([['config.json', new TextEncoder().encode(JSON.stringify(config))], ['model.safetensors', writeSafetensors(tensors)]]);
  }

  async function logits(b: Backend, m: CausalLM): Promise<Float32Array> {
    const s = m.newState();
    const t = m.prefill(TOKENS, s, { allLogits: true });
    const out = (await b.read(t)) as Float32Array;
    b.free(t);
    s.free();
    m.dispose();
    return out;
  }
  const maxAbs = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

  it("a GGUF's rope_freqs.weight and a config's rope_scaling give the same logits; without them they differ", async () => {
    const wasm = await WasmBackend.create();
    const gguf = await logits(wasm, (await openModel(wasm, new Map([['m.gguf', tinyGguf(shape)]]))).model);
    const hf = await logits(wasm, (await openModel(wasm, hfFolder({ rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 1024 }))).model);
    const plain = await logits(wasm, (await openModel(wasm, hfFolder(null))).model);
    const plainGguf = await logits(wasm, (await openModel(wasm, new Map([['m.gguf', tinyGguf({ ...shape, ropeFreqs: undefined })]]))).model);
    expect(maxAbs(gguf, hf)).toBeLessThan(1e-4);
    expect(maxAbs(plain, plainGguf)).toBeLessThan(1e-4); // the un-permutation is right
    expect(maxAbs(gguf, plainGguf)).toBeGreaterThan(1e-2); // and the scaling matters
  });

  it('a rope_freqs.weight of the wrong length is SHAPE_MISMATCH; other scaling types stay UNSUPPORTED', async () => {
    const wasm = await WasmBackend.create();
    const plan = llamaGgufPlan({ ...shape, ropeFreqs: undefined }, 'F32', TINY_VOCAB);
    const tensors = plan.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, data: t.make() }));
    tensors.push({ name: 'rope_freqs.weight', type: 'F32', ne: [3], data: new Uint8Array(Float32Array.of(1, 2, 3).buffer) });
    await expect(openModel(wasm, new Map([['m.gguf', writeGguf(plan.metadata, tensors)]]))).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    const bad = hfFolder({ rope_type: 'yarn', factor: 4, original_max_position_embeddings: 1024 });
    await expect(openModel(wasm, bad)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});
