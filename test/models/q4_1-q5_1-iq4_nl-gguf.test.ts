/**
 * GGUF Llama files whose matrices are Q4_1, Q5_1 or IQ4_NL (the tiny llama of
 * test/helpers/tiny-llamas.ts, written by our quantizers; every matrix and the tied embedding in the
 * type, norms F32): the matrices load as raw blocks (dtype q4_1 / q5_1 / iq4_nl — Q4_1 / Q5_1 used
 * to load as f32, IQ4_NL not at all), the weights take about the bytes of the file's tensors instead
 * of 4 bytes per weight, and the logits of a prompt (prefill, the tiled matmul) and of three decode
 * steps (the four-row matvec) equal those of the same file loaded with every tensor dequantized to
 * f32 on the host (reference exactly; wasm to f32 rounding: its kernels apply d and m to f32 sums).
 */
import { describe, expect, it } from 'vitest';
import type { Backend, DType } from '../../src/backends/backend.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { ggufLlamaConfig } from '../../src/formats/gguf-config.ts';
import type { LlamaGgufType } from '../../src/formats/synthetic-models.ts';
import { GgufWeights } from '../../src/models/gguf-weights.ts';
import type { WeightFile } from '../../src/models/weights.ts';
import { expectMatrixTypes, expectStoredLikeF32, runModel } from '../helpers/model-runs.ts';
import { tinyGguf, tinyShape } from '../helpers/tiny-llamas.ts';

const TOKENS = [1, 7, 3, 12, 5, 9, 2, 250, 31, 64];
const STEPS = [17, 200, 4];

/** Load and run as runModel does, with this file's tokens and load options. */
const logits = (b: Backend, file: WeightFile, config: Parameters<typeof runModel>[2]) => runModel(b, file, config, { tokens: TOKENS, steps: STEPS, load: { contextLength: 32 } });

describe('GGUF with Q4_1 / Q5_1 / IQ4_NL tensors', () => {
  for (const type of ['Q4_1', 'Q5_1', 'IQ4_NL'] as LlamaGgufType[]) {
    it(`${type}: matrices stay ${type.toLowerCase()} (memory ≈ the tensors' bytes); logits == the same file dequantized to f32 (wasm, reference)`, async () => {
      const g = GgufFile.openSync(tinyGguf(tinyShape('llama', 'smollm'), undefined, type), `tiny.${type}.gguf`);
      const { weights, stored } = expectMatrixTypes(g, () => type);
      const { config } = ggufLlamaConfig(g);
      const file = new GgufWeights(g);
      await expectStoredLikeF32(file, (b, f) => logits(b, f, config), { dtype: type.toLowerCase() as DType, label: type, maxBytes: stored, bytesWhat: 'weights vs the file\'s tensor bytes', weights });
    });
  }
});
