/**
 * Qwen2 / Qwen3 on the Llama model, and the byte-level BPE pre-tokenizers a GGUF names.
 * - Each architecture's GGUF (written by the synthetic-model writer, F32) gives the same logits on
 *   wasm as on the reference backend, and cached decoding gives the rows of a whole-sequence prefill.
 * - A Qwen2 / Qwen3 Hugging Face folder (config.json + model.safetensors holding the same tensors
 *   under HF names) gives the logits of the GGUF: the config, the tensor names and the RoPE pairing
 *   of both loaders agree (llama.cpp runs these architectures unpermuted, with NEOX RoPE).
 * - tokenizer.ggml.pre picks the split the vocabulary was trained with (digits one by one, in
 *   threes, or in runs), and an unknown one is refused.
 * llama.cpp itself is the oracle in test/browser/llamacpp-parity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { openModel, type FileData } from '../../src/engine/open-model.ts';
import { tokenizerFromGguf } from '../../src/engine/gguf-tokenizer.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { writeGguf } from '../../src/formats/gguf-writer.ts';
import { parseHfConfig } from '../../src/formats/hf-config.ts';
import { writeSafetensors } from '../../src/formats/safetensors.ts';
import { llamaGgufPlan, type LlamaShape } from '../../src/formats/synthetic-models.ts';
import { ggufMetadataRecord, llamaHfName } from '../../src/models/gguf-weights.ts';
import { allLogits, maxAbs } from '../helpers/model-runs.ts';
import { TINY_ARCHS, TINY_VOCAB, tinyGguf, tinyShape } from '../helpers/tiny-llamas.ts';

const ARCHS = TINY_ARCHS;
const shape = tinyShape;
const VOCAB = TINY_VOCAB;
const ggufOf = (s: LlamaShape) => tinyGguf(s);

/** The same tensors as a Hugging Face folder (HF names, [rows, cols] shapes). */
function hfFolderOf(s: LlamaShape): Map<string, FileData> {
  const plan = llamaGgufPlan(s, 'F32', VOCAB);
  const tensors = plan.tensors.map((t) => {
    const name = llamaHfName(t.name);
    if (!name) throw new Error(`no HF name for ${t.name}`);
    const bytes = t.make();
    return { name, dtype: 'F32' as const, shape: [...t.ne].reverse(), data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
  });
  const config = {
    model_type: s.arch, architectures: [s.arch === 'qwen2' ? 'Qwen2ForCausalLM' : 'Qwen3ForCausalLM'],
    vocab_size: s.vocabSize, hidden_size: s.hidden, intermediate_size: s.ffn, num_hidden_layers: s.layers, num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads, head_dim: s.headDim, rms_norm_eps: s.rmsEps, rope_theta: s.ropeTheta, max_position_embeddings: s.contextLength,
    tie_word_embeddings: true, hidden_act: 'silu', use_sliding_window: false,
  };
  return new Map<string, FileData>([
    ['config.json', new TextEncoder().encode(JSON.stringify(config))],
    ['model.safetensors', writeSafetensors(tensors)],
  ]);
}

const TOKENS = [5, 77, 300, 12, 599, 42, 42, 180, 256, 7, 3, 511];

describe('Qwen2 / Qwen3 / Llama GGUF on the Llama model', () => {
  for (const arch of ARCHS) {
    it(`${arch}: wasm = reference, cached decode = prefill rows`, async () => {
      const bytes = ggufOf(shape(arch));
      const ref = new ReferenceBackend();
      const wasm = await WasmBackend.create();
      const { model: mr, config } = await openModel(ref, new Map([['m.gguf', bytes]]));
      const { model: mw } = await openModel(wasm, new Map([['m.gguf', bytes]]));
      expect(config.family === 'llama' && config.arch).toBe(arch);
      const [lr, lw] = [await allLogits(ref, mr, TOKENS), await allLogits(wasm, mw, TOKENS)];
      let scale = 0;
      for (const v of lr) scale = Math.max(scale, Math.abs(v));
      expect(scale).toBeGreaterThan(1); // sharp logits (embedSd 1): a wrong block would show
      expect(maxAbs(lr, lw)).toBeLessThan(1e-4 * scale);
      // the same tokens one at a time through the KV cache
      const s = mw.newState();
      const V = mw.vocabSize;
      let worst = 0;
      for (let i = 0; i < TOKENS.length; i++) {
        const row = (await wasm.read(i === 0 ? mw.prefill([TOKENS[0]], s) : mw.step(TOKENS[i], s))) as Float32Array;
        worst = Math.max(worst, maxAbs(row, lw.subarray(i * V, (i + 1) * V)));
      }
      expect(worst).toBeLessThan(1e-4 * scale);
      s.free();
      mr.dispose();
      mw.dispose();
    });
  }

  for (const arch of ['qwen2', 'qwen3'] as const) {
    it(`${arch}: a Hugging Face folder with the same tensors gives the GGUF's logits`, async () => {
      const wasm = await WasmBackend.create();
      const { model: mg } = await openModel(wasm, new Map([['m.gguf', ggufOf(shape(arch))]]));
      const { model: mh, config } = await openModel(wasm, hfFolderOf(shape(arch)));
      expect(config.family === 'llama' && [config.arch, config.qkvBias, config.qkNorm]).toEqual([arch, arch === 'qwen2', arch === 'qwen3']);
      expect(maxAbs(await allLogits(wasm, mg, TOKENS), await allLogits(wasm, mh, TOKENS))).toBeLessThan(1e-5);
      mg.dispose();
      mh.dispose();
    });
  }

  it('a Qwen2 config with use_sliding_window, and GGUF architectures the model does not run, are UNSUPPORTED', async () => {
    const cfg = { model_type: 'qwen2', vocab_size: 10, hidden_size: 8, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 2, use_sliding_window: true };
    expect(() => parseHfConfig(JSON.stringify(cfg))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringContaining('use_sliding_window') }));
    const plan = llamaGgufPlan(shape('llama'), 'F32', VOCAB);
    plan.metadata[0] = ['general.architecture', { ...plan.metadata[0][1], value: 'gemma' }];
    const bytes = writeGguf(plan.metadata, plan.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, data: t.make() })));
    await expect(openModel(new ReferenceBackend(), new Map([['m.gguf', bytes]]))).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining("'gemma'") });
  });
});

describe('GGUF pre-tokenizers (tokenizer.ggml.pre)', () => {
  const tokenizerFor = (pre: string) => tokenizerFromGguf(ggufMetadataRecord(GgufFile.openSync(ggufOf({ ...shape('llama'), layers: 1, pre }))));
  /** The decoded pieces of `text`. */
  const pieces = (pre: string, text: string) => {
    const tok = tokenizerFor(pre);
    return tok.encode(text).map((id) => tok.decode([id]));
  };
  const digitRuns = (ps: string[]) => ps.map((p) => p.replace(/\D/g, '')).filter((d) => d.length > 0);

  it('the vocabulary has multi-digit tokens, so the splits differ', () => {
    expect(VOCAB.tokens.some((t) => /\d{3,}/.test(t))).toBe(true);
  });

  it("GPT-2 ('gpt-2', and no pre at all) keeps a number whole for BPE", () => {
    expect(digitRuns(pieces('gpt-2', 'In 2024 and 12345')).some((d) => d.length >= 3)).toBe(true);
  });

  it("'smollm' (SmolLM2) and 'qwen2' split every digit", () => {
    for (const pre of ['smollm', 'qwen2', 'deepseek-r1-qwen']) {
      const runs = digitRuns(pieces(pre, 'In 2024 and 12345, 678!'));
      expect(runs.join('')).toBe('202412345678');
      expect(runs.every((d) => d.length === 1)).toBe(true);
    }
  });

  it("'llama-bpe' (Llama 3) splits numbers into runs of at most three digits, from the left", () => {
    const runs = digitRuns(pieces('llama-bpe', 'In 2024 and 12345'));
    expect(runs.join('')).toBe('202412345');
    expect(runs.every((d) => d.length <= 3)).toBe(true);
    // "2024" → "202" | "4" and "12345" → "123" | "45" as pre-tokens: no token crosses those cuts
    for (const number of ['2024', '12345']) {
      const ends = digitRuns(pieces('llama-bpe', number)).map((_, i, rs) => rs.slice(0, i + 1).join('').length);
      expect(ends).toContain(3);
    }
  });

  it('an unknown pre-tokenizer is UNSUPPORTED, naming the known ones', () => {
    expect(() => tokenizerFor('no-such-pre')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringContaining('qwen2') }));
  });
});
