/**
 * llama-quantize's Q4_K_M mix on rows too narrow for 256-value blocks (Qwen2.5-0.5B's 896, SmolLM2's
 * 576, the tiny llama's 64 / 128): each tensor takes the fallback of its Q4_K_M type (llama_tensor_get_type:
 * Q4_K → Q5_0, Q6_K → Q8_0), so a real file of such a model is mostly Q5_0 and Q8_0. The writer
 * (llamaGgufPlan) makes that mix; the matrices load as stored blocks (q5_0 / q8_0) and the logits of a
 * prompt and three decode steps equal those of the same file dequantized to f32 (reference exactly,
 * wasm to f32 rounding). llama.cpp itself reads the same file in test/browser/llamacpp-parity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, DType } from '../../src/backends/backend.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { ggufLlamaConfig } from '../../src/formats/gguf-config.ts';
import { GgufWeights } from '../../src/models/gguf-weights.ts';
import type { WeightFile } from '../../src/models/weights.ts';
import { expectMatrixTypes, expectStoredLikeF32, runModel } from '../helpers/model-runs.ts';
import { tinyGguf, tinyShape } from '../helpers/tiny-llamas.ts';

const TOKENS = [1, 7, 3, 12, 5, 9, 2, 250, 31, 64];
const STEPS = [17, 200, 4];

/** llama.cpp's use_more_bits(i, n): the layers whose attn_v / ffn_down Q4_K_M gives Q6_K. */
const moreBits = (i: number, n: number) => i < Math.floor(n / 8) || i >= Math.floor((7 * n) / 8) || (i - Math.floor(n / 8)) % 3 === 2;

describe('GGUF Q4_K_M mix with rows narrower than 256', () => {
  it('tensors take the Q5_0 / Q8_0 fallbacks, load as stored, and give the f32 logits (wasm, reference)', async () => {
    const shape = tinyShape('llama', 'smollm', { layers: 9 });
    const g = GgufFile.openSync(tinyGguf(shape, undefined, 'Q4_K_M'), 'tiny.Q4_K_M.narrow.gguf');
    expect(g.get('general.file_type')).toBe(15); // LLAMA_FTYPE_MOSTLY_Q4_K_M
    const { weights, stored, seen } = expectMatrixTypes(g, (name) => {
      const m = /^blk\.(\d+)\.(attn_v|ffn_down)\./.exec(name);
      return name === 'token_embd.weight' || (m && moreBits(Number(m[1]), shape.layers)) ? 'Q8_0' : 'Q5_0';
    });
    expect([...seen].sort()).toEqual(['Q5_0', 'Q8_0']);
    const { config } = ggufLlamaConfig(g);
    const dtype = (n: string): DType => {
      const m = /layers\.(\d+)\.(self_attn\.v_proj|mlp\.down_proj)\./.exec(n);
      return n === 'model.embed_tokens.weight' || (m && moreBits(Number(m[1]), shape.layers)) ? 'q8_0' : 'q5_0';
    };
    const logits = (b: Backend, file: WeightFile) => runModel(b, file, config, { tokens: TOKENS, steps: STEPS, load: { contextLength: 32 } });
    await expectStoredLikeF32(new GgufWeights(g), logits, { dtype, label: 'Q4_K_M narrow', maxBytes: stored, bytesWhat: 'weights vs the file\'s tensor bytes', weights });
  });
});
