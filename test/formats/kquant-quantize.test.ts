/**
 * Q4_K / Q6_K quantizers (llama.cpp quantize_row_*_ref without importance matrix): reconstruction
 * error at the level these formats give, and re-quantizing llama-quantize's own output (the
 * k-quant fixtures, dequantized) reproduces nearly every value — the same search, the same grid.
 */
import { describe, expect, it } from 'vitest';
import { dequantize, quantizeQ4_K, quantizeQ6_K } from '../../src/formats/ggml-quants.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { randomF32 } from '../helpers/random.ts';
import { KQUANT_ROOT, fixtureBytes } from './fixtures.ts';

const CASES = [
  { type: 'Q6_K', q: quantizeQ6_K, maxRms: 0.02, minSame: 0.95 },
  { type: 'Q4_K', q: quantizeQ4_K, maxRms: 0.07, minSame: 0.98 },
] as const;

describe('k-quant quantizers', () => {
  for (const { type, q, maxRms, minSame } of CASES) {
    it(`${type}: relative RMS error on uniform data, zero blocks, and shape errors`, () => {
      const x = randomF32(256 * 16, 5);
      const y = dequantize(type, q(x), x.length);
      let se = 0, sx = 0;
      for (let i = 0; i < x.length; i++) {
        se += (x[i] - y[i]) ** 2;
        sx += x[i] ** 2;
      }
      expect(Math.sqrt(se / sx)).toBeLessThan(maxRms);
      expect(Math.sqrt(se / sx)).toBeGreaterThan(maxRms / 20); // it is a lossy format, not a copy
      expect(Array.from(dequantize(type, q(new Float32Array(256)), 256)).every((v) => v === 0)).toBe(true);
      expect(() => q(new Float32Array(100))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    });

    it(`${type}: re-quantizing llama-quantize output reproduces ≥ ${minSame * 100}% of the values`, () => {
      const g = GgufFile.openSync(fixtureBytes(KQUANT_ROOT, `model.${type}.gguf`));
      for (const name of ['blk.0.attn_q.weight', 'blk.0.ffn_up.weight']) {
        const info = g.info(name);
        const deq = dequantize(type, g.rawSync(name), info.size);
        const again = dequantize(type, q(deq), info.size);
        let same = 0;
        for (let i = 0; i < deq.length; i++) if (deq[i] === again[i]) same++;
        expect(same / deq.length, name).toBeGreaterThan(minSame);
      }
    });
  }
});
