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
import { describe, expect, it } from 'vitest';
import type { Backend, DType } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { ggufLlamaConfig } from '../../src/formats/gguf-config.ts';
import { GgufWeights } from '../../src/models/gguf-weights.ts';
import type { WeightFile } from '../../src/models/weights.ts';
import { asF32, runModel } from '../helpers/model-runs.ts';
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
      const dtype = type.toLowerCase() as DType;
      const wasm = await WasmBackend.create();
      const outs: Float32Array[] = [];
      for (const b of [wasm, new ReferenceBackend()] as Backend[]) {
        const q = await logits(b, file, config);
        for (const [n, d] of q.dtypes) expect(`${n} ${d}`).toBe(`${n} ${n.endsWith('norm.weight') ? 'f32' : dtype}`);
        expect(q.dtypes.some(([n]) => n === 'model.embed_tokens.weight')).toBe(true);
        const full = await logits(b, asF32(file), config);
        if (b.name === 'wasm') {
          expect(q.bytes, `${type} quantized weights vs file size`).toBeLessThan(1.05 * fileSize);
          expect(full.bytes).toBeGreaterThan(4 * weights);
        }
        const scale = Math.max(...full.out.map(Math.abs));
        let d = 0;
        q.out.forEach((v, i) => (d = Math.max(d, Math.abs(v - full.out[i]))));
        expect(q.out.every(Number.isFinite)).toBe(true);
        expect(d / scale, `${b.name}: ${type} vs f32 logits`).toBeLessThan(b.name === 'reference' ? 1e-12 : 1e-5);
        outs.push(q.out);
      }
      let d = 0;
      outs[0].forEach((v, i) => (d = Math.max(d, Math.abs(v - outs[1][i]))));
      expect(d).toBeLessThan(1e-3);
      wasm.dispose();
    });
  }
});
