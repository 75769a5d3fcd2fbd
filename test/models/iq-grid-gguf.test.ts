/**
 * GGUF Llama files whose matrices are IQ3_S, IQ3_XXS, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_S or IQ1_M (the tiny llama of test/helpers/tiny-llamas.ts
 * widened to rows of 256 and 512; every matrix and the tied embedding random valid blocks of the type,
 * norms F32): the matrices load as raw blocks (dtype iq3_s / iq3_xxs / iq2_s / iq2_xs / iq2_xxs / iq1_s / iq1_m — the types used to be refused),
 * the weights take about the bytes of the file's tensors instead of 4 bytes per weight, and the logits
 * of a prompt (prefill, the tiled matmul) and of three decode steps (the matvec) equal those of the
 * same file loaded with every tensor dequantized to f32 on the host (reference exactly; wasm to f32
 * rounding). A second file has 320-wide ffn_down rows: llamaGgufPlan writes them IQ4_NL, as
 * llama-quantize falls back, and the mix loads as stored.
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

const logits = (b: Backend, file: WeightFile, config: Parameters<typeof runModel>[2]) => runModel(b, file, config, { tokens: TOKENS, steps: STEPS, load: { contextLength: 32 } });

describe('GGUF with IQ3_S / IQ3_XXS / IQ2_S / IQ2_XS / IQ2_XXS / IQ1_S / IQ1_M tensors', () => {
  for (const [type, fileType] of [['IQ3_S', 26], ['IQ3_XXS', 23], ['IQ2_S', 28], ['IQ2_XS', 20], ['IQ2_XXS', 19], ['IQ1_S', 24], ['IQ1_M', 31]] as const) {
    for (const ffn of [512, 320]) {
      const fallback = ffn % 256 !== 0;
      const lower = type.toLowerCase() as DType;
      it(`${type}, hidden 256, ffn ${ffn}: matrices stay ${lower}${fallback ? ' (ffn_down IQ4_NL: rows of 320)' : ''} (memory ≈ the tensors' bytes); logits == the same file dequantized to f32 (wasm, reference)`, async () => {
        const g = GgufFile.openSync(tinyGguf(tinyShape('llama', 'smollm', { hidden: 256, ffn }), undefined, type), `tiny.${type}.${ffn}.gguf`);
        expect(g.get('general.file_type')).toBe(fileType); // LLAMA_FTYPE_MOSTLY_IQ3_S = 26, _IQ3_XXS = 23, _IQ2_S = 28, _IQ2_XS = 20, _IQ2_XXS = 19, _IQ1_S = 24, _IQ1_M = 31
        const { weights, stored } = expectMatrixTypes(g, (name) => (fallback && name.endsWith('ffn_down.weight') ? 'IQ4_NL' : type));
        const { config } = ggufLlamaConfig(g);
        const file = new GgufWeights(g);
        const dtype = (n: string): DType => (fallback && n.endsWith('down_proj.weight') ? 'iq4_nl' : lower);
        await expectStoredLikeF32(file, (b, f) => logits(b, f, config), { dtype, label: `${type} ffn ${ffn}`, maxBytes: stored, bytesWhat: 'weights vs the file\'s tensor bytes', weights });
      });
    }
  }
});
