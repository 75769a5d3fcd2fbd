/**
 * GGUF Llama files that mix tensor types as llama-quantize's IQ3_M, IQ2_M, IQ3_XXS and IQ2_XXS file
 * types do (llama_tensor_get_type_impl of ggml-org/llama.cpp src/llama-quant.cpp; the writer's
 * llamaMixType): the tiny llama widened to rows of 256 / 512, eight layers so that "the first eighth"
 * (layer 0's ffn_down) takes its own type, 4 heads over 2 KV heads (n_gqa 2 < 4). IQ3_M and IQ2_M are
 * written with an untied head (token_embd and output.weight take different types), the XXS mixes tied
 * (the embedding takes the output's Q5_K). Every matrix loads in its stored type (the table below,
 * spelled out from llama-quant.cpp, not from the writer) and the logits of a prompt and three decode
 * steps equal those of the same file dequantized to f32 (reference exactly; wasm to f32 rounding).
 * Q2_K / Q5_K tensors are random valid blocks, as the grid types (no quantizer for them here).
 */
import { describe, expect, it } from 'vitest';
import type { Backend, DType } from '../../src/backends/backend.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { ggufLlamaConfig } from '../../src/formats/gguf-config.ts';
import type { IqMix } from '../../src/formats/synthetic-models.ts';
import { GgufWeights } from '../../src/models/gguf-weights.ts';
import type { WeightFile } from '../../src/models/weights.ts';
import { expectMatrixTypes, expectStoredLikeF32, runModel } from '../helpers/model-runs.ts';
import { tinyGguf, tinyShape } from '../helpers/tiny-llamas.ts';

const TOKENS = [1, 7, 3, 12, 5, 9, 2, 250, 31, 64];
const STEPS = [17, 200, 4];
const LAYERS = 8;

// [file_type, untied, embd, output, q / k, v, o, gate / up, down in layer 0, down elsewhere]
const MIXES: Record<IqMix, [number, boolean, string, string | undefined, string, string, string, string, string, string]> = {
  IQ3_M: [27, true, 'IQ3_S', 'Q6_K', 'IQ3_S', 'Q4_K', 'Q4_K', 'IQ3_S', 'Q4_K', 'IQ3_S'],
  IQ2_M: [29, true, 'IQ3_S', 'Q5_K', 'IQ2_S', 'IQ3_S', 'IQ3_S', 'IQ2_S', 'IQ3_S', 'IQ2_S'],
  IQ3_XXS_MIX: [23, false, 'Q5_K', undefined, 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ3_XXS', 'IQ3_XXS', 'IQ3_XXS'],
  IQ2_XXS_MIX: [19, false, 'Q5_K', undefined, 'IQ2_XXS', 'Q2_K', 'IQ2_XXS', 'IQ2_XXS', 'Q2_K', 'IQ2_XXS'],
};

function expected(mix: IqMix, gguf: string): string {
  const [, , embd, output, qk, v, o, gateUp, down0, down] = MIXES[mix];
  if (gguf === 'token_embd.weight') return embd;
  if (gguf === 'output.weight') return output!;
  const m = /^blk\.(\d+)\.(\w+)\.weight$/.exec(gguf)!;
  return { attn_q: qk, attn_k: qk, attn_v: v, attn_output: o, ffn_gate: gateUp, ffn_up: gateUp, ffn_down: m[1] === '0' ? down0 : down }[m[2]]!;
}

/** Hugging Face name (as the llama loader keeps it) → llama.cpp name; q / k / v and gate / up stack into one tensor where their types agree (qkv, gate_up: the first's). */
function ggufName(hf: string): string {
  if (hf === 'model.embed_tokens.weight') return 'token_embd.weight';
  if (hf === 'lm_head.weight') return 'output.weight';
  const m = /^model\.layers\.(\d+)\.(self_attn|mlp)\.(\w+)_proj\.weight$/.exec(hf);
  if (!m) throw new Error(`unexpected weight ${hf}`);
  return `blk.${m[1]}.${{ q: 'attn_q', k: 'attn_k', v: 'attn_v', o: 'attn_output', gate: 'ffn_gate', up: 'ffn_up', down: 'ffn_down', qkv: 'attn_q', gate_up: 'ffn_gate' }[m[3]]}.weight`;
}

const logits = (b: Backend, file: WeightFile, config: Parameters<typeof runModel>[2]) => runModel(b, file, config, { tokens: TOKENS, steps: STEPS, load: { contextLength: 32 } });

describe('GGUF with llama-quantize\'s IQ mixes (IQ3_M, IQ2_M, IQ3_XXS, IQ2_XXS file types)', () => {
  for (const mix of Object.keys(MIXES) as IqMix[]) {
    const [fileType, untied] = MIXES[mix];
    it(`${mix}: every matrix in llama-quantize's type for it, kept as stored; logits == the same file dequantized to f32 (wasm, reference)`, async () => {
      const g = GgufFile.openSync(tinyGguf(tinyShape('llama', 'smollm', { hidden: 256, ffn: 512, layers: LAYERS, untied }), undefined, mix), `tiny.${mix}.gguf`);
      expect(g.get('general.file_type')).toBe(fileType);
      const { weights, stored, seen } = expectMatrixTypes(g, (name) => expected(mix, name));
      expect(g.tensors.has('output.weight')).toBe(untied);
      expect(seen.size).toBeGreaterThanOrEqual(3);
      const { config } = ggufLlamaConfig(g);
      const file = new GgufWeights(g);
      const dtype = (n: string) => expected(mix, ggufName(n)).toLowerCase() as DType;
      await expectStoredLikeF32(file, (b, f) => logits(b, f, config), { dtype, label: mix, maxBytes: stored, bytesWhat: 'weights vs the file\'s tensor bytes', weights });
    });
  }
});
