/**
 * GGUF Llama files with k-quant matrices (the llama.cpp `llama-quantize --pure` fixtures of
 * test/fixtures/gguf-kquants, one per type Q2_K…Q6_K): every matrix loads as its raw blocks
 * (dtype q2_k … q6_k, the tied embedding / head included, norms f32), the weights take about the
 * file's size instead of 4 bytes per weight, and the logits of a prompt (prefill) and of three decode
 * steps equal those of the same file loaded with every tensor dequantized to f32 (wasm, and the
 * reference backend; wasm's decode kernels round differently from an f32 matvec — scales applied to
 * f32 sums of q·x — hence its tolerance).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import type { Backend, DType } from '../../src/backends/backend.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { ggufLlamaConfig } from '../../src/formats/gguf-config.ts';
import { GgufWeights } from '../../src/models/gguf-weights.ts';
import type { WeightFile } from '../../src/models/weights.ts';
import { expectStoredLikeF32, runModel } from '../helpers/model-runs.ts';
import { KQUANT_ROOT, fixtureBytes } from '../formats/fixtures.ts';

const TOKENS = [1, 7, 3, 12, 5, 9, 2, 250, 31, 64];
/** Decoded one at a time after the prompt: the matvec (decode) kernels, where prefill runs the tiled matmul. */
const STEPS = [17, 200, 4];

/** Load and run as runModel does, with this file's tokens and load options. */
const logits = (b: Backend, file: WeightFile, config: Parameters<typeof runModel>[2]) => runModel(b, file, config, { tokens: TOKENS, steps: STEPS, load: { ropeStyle: 'interleaved', contextLength: 32 } });

describe('GGUF with k-quant tensors', () => {
  for (const type of ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K']) {
    it(`${type}: matrices stay ${type.toLowerCase()} (memory ≈ file size); logits == the same file dequantized to f32 (wasm, reference)`, async () => {
      const fileName = `model.${type}.gguf`;
      const g = GgufFile.openSync(fixtureBytes(KQUANT_ROOT, fileName), fileName);
      const fileSize = statSync(join(KQUANT_ROOT, fileName)).size;
      let weights = 0;
      for (const info of g.tensors.values()) if (info.shape.length === 2) weights += info.size;
      const { config } = ggufLlamaConfig(g);
      const file = new GgufWeights(g);
      await expectStoredLikeF32(file, (b, f) => logits(b, f, config), { dtype: type.toLowerCase() as DType, label: type, maxBytes: fileSize, bytesWhat: 'quantized weights vs file size', weights });
    });
  }
});
