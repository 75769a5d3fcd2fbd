/**
 * GGUF Llama files whose matrices are IQ4_XS (the tiny llama of test/helpers/tiny-llamas.ts widened
 * to rows of 256 and 512, written by our quantizer; every matrix and the tied embedding IQ4_XS, norms
 * F32): the matrices load as raw blocks (dtype iq4_xs — the type used to be refused), the weights take
 * about the bytes of the file's tensors instead of 4 bytes per weight, and the logits of a prompt
 * (prefill, the tiled matmul) and of three decode steps (the four-row matvec) equal those of the same
 * file loaded with every tensor dequantized to f32 on the host (reference exactly; wasm to f32
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

describe('GGUF with IQ4_XS tensors', () => {
  for (const ffn of [512, 320]) {
    const fallback = ffn % 256 !== 0;
    it(`hidden 256, ffn ${ffn}: matrices stay iq4_xs${fallback ? ' (ffn_down IQ4_NL: rows of 320)' : ''} (memory ≈ the tensors' bytes); logits == the same file dequantized to f32 (wasm, reference)`, async () => {
      const g = GgufFile.openSync(tinyGguf(tinyShape('llama', 'smollm', { hidden: 256, ffn }), undefined, 'IQ4_XS'), `tiny.IQ4_XS.${ffn}.gguf`);
      expect(g.get('general.file_type')).toBe(30); // LLAMA_FTYPE_MOSTLY_IQ4_XS
      const { weights, stored } = expectMatrixTypes(g, (name) => (fallback && name.endsWith('ffn_down.weight') ? 'IQ4_NL' : 'IQ4_XS'));
      const { config } = ggufLlamaConfig(g);
      const file = new GgufWeights(g);
      const dtype = (n: string): DType => (fallback && n.endsWith('down_proj.weight') ? 'iq4_nl' : 'iq4_xs');
      await expectStoredLikeF32(file, (b, f) => logits(b, f, config), { dtype, label: `IQ4_XS ffn ${ffn}`, maxBytes: stored, bytesWhat: 'weights vs the file\'s tensor bytes', weights });
    });
  }
});
