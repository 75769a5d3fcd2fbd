/**
 * IQ3_XXS (98-byte) and IQ3_S (110-byte) super-blocks of 256 values: grid-coded 3-bit weights
 * (ggml-common.h block_iq3_xxs / block_iq3_s, ggml-quants.c dequantize_row_iq3_xxs / _iq3_s):
 * - the grid tables (src/formats/iq-grids.ts, written by scripts/gen-iq-grids.py from gguf-py)
 *   against entries of ggml-common.h copied by hand, and ksigns_iq2xs's parity rule;
 * - one hand-written block per type with the values worked out by hand from the format, through the
 *   dequantizer and the reference and wasm linear layers (matvec with one-hot x, prefill with X = I);
 * - llama.cpp's gguf-py as the oracle (goldens in test/fixtures/gguf-py-32): its dequantization of
 *   random super-blocks bit for bit, and the wasm kernels against it;
 * - rows that are not whole super-blocks are SHAPE_MISMATCH.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { dequantize } from '../../src/formats/ggml-quants.ts';
import { IQ3S_GRID, IQ3XXS_GRID, KSIGNS_IQ2XS } from '../../src/formats/iq-grids.ts';
import { expectGgufPyGolden, expectHandBlock } from './block-checks.ts';

// IQ3_S block S: d = 0.5 (0x3800); scales[0] = 0x21 (sub-block 0: s = 1, db = 0.5·3 = 1.5; sub-block 1:
// s = 2, db = 2.5), scales[1] = 0xf0 (sub-block 2: db = 0.5, sub-block 3: s = 15, db = 15.5), the rest
// db = 0.5. qs all 0 (iq3s_grid[0] = 0x01010101: four 1s) except qs[0] = 1 (iq3s_grid[1] = 0x01010103:
// 3, 1, 1, 1) and qs[9] = 0 with qh[1] = 0x02 (sub-block 1, group 1 → index 256, iq3s_grid[256] =
// 0x05090507: 7, 5, 9, 5). signs[0] = 0x01 (value 0 negative), signs[4] = 0x80 (sub-block 1 value 7).
const S = new Uint8Array(110);
S.set([0x00, 0x38]);
S[2] = 1;
S[66 + 1] = 0x02;
S[74] = 0x01;
S[74 + 4] = 0x80;
S.set([0x21, 0xf0, 0x00, 0x00], 106);
const S_VALUES: number[] = Array.from({ length: 256 }, (_, i) => [1.5, 2.5, 0.5, 15.5, 0.5, 0.5, 0.5, 0.5][i >> 5]);
S_VALUES[0] = -4.5;
S_VALUES.splice(36, 4, 17.5, 12.5, 22.5, -12.5);

// IQ3_XXS block X: d = 0.5; sub-block 0's u32 = 3 << 28 | 1 (db = 0.5·3.5·0.5 = 0.875; group 0's sign
// index 1 → ksigns 0x81: values 0 and 7 negative), sub-block 1's = 15 << 28 | 3 << 7 (db = 3.875;
// group 1's sign index 3 → 0x03: values 8, 9 negative), the rest 0 (db = 0.125). qs all 0
// (iq3xxs_grid[0] = 0x04040404: four 4s) except qs[0] = 1 (iq3xxs_grid[1] = 0x04040414: 20, 4, 4, 4)
// and qs[11] = 255 (sub-block 1 values 12..15: iq3xxs_grid[255] = 0x3e341c04: 4, 28, 52, 62).
const X = new Uint8Array(98);
X.set([0x00, 0x38]);
X[2] = 1;
X[2 + 8 + 3] = 255;
new DataView(X.buffer).setUint32(66, (3 << 28) | 1, true);
new DataView(X.buffer).setUint32(70, ((15 << 28) | (3 << 7)) >>> 0, true);
const X_VALUES: number[] = Array.from({ length: 256 }, (_, i) => (i < 32 ? 3.5 : i < 64 ? 15.5 : 0.5));
X_VALUES[0] = -17.5;
X_VALUES[7] = -3.5;
X_VALUES[32 + 8] = -15.5;
X_VALUES[32 + 9] = -15.5;
X_VALUES.splice(32 + 12, 4, 15.5, 108.5, 201.5, 240.25);

describe('IQ3 grid tables', () => {
  it('match ggml-common.h entries copied by hand; ksigns_iq2xs is i | parity(i) << 7', () => {
    expect([IQ3XXS_GRID.length, IQ3S_GRID.length, KSIGNS_IQ2XS.length]).toEqual([256, 512, 128]);
    expect(Array.from(IQ3XXS_GRID.subarray(0, 4))).toEqual([0x04040404, 0x04040414, 0x04040424, 0x04040c0c]);
    expect(IQ3XXS_GRID[255]).toBe(0x3e341c04);
    expect(Array.from(IQ3S_GRID.subarray(0, 4))).toEqual([0x01010101, 0x01010103, 0x01010105, 0x0101010b]);
    expect(Array.from(IQ3S_GRID.subarray(504, 512))).toEqual([0x0f090307, 0x0f090501, 0x0f090b01, 0x0f0b0505, 0x0f0b0905, 0x0f0d0105, 0x0f0d0703, 0x0f0f0101]);
    const parity = (i: number) => i.toString(2).split('').filter((c) => c === '1').length & 1;
    expect(Array.from(KSIGNS_IQ2XS)).toEqual(Array.from({ length: 128 }, (_, i) => i | (parity(i) << 7)));
  });
});

describe('hand-written IQ3_S / IQ3_XXS blocks', () => {
  for (const [type, dtype, blk, values] of [['IQ3_S', 'iq3_s', S, S_VALUES], ['IQ3_XXS', 'iq3_xxs', X, X_VALUES]] as const) {
    it(`${type}: dequantize gives the hand-computed values; reference and wasm matvec / matmul give them too`, async () => {
      await expectHandBlock(type, dtype, blk, values);
    });
  }
});

describe('gguf-py (llama.cpp\'s Python package) as the oracle', () => {
  for (const [type, dtype, size] of [['IQ3_XXS', 'iq3_xxs', 98], ['IQ3_S', 'iq3_s', 110]] as const) {
    it(`${type}: 24 random super-blocks dequantize bit for bit as gguf-py's dequantize_blocks; reference and wasm (n = 1, 3) ≈ x · that matrix`, async () => {
      await expectGgufPyGolden(type, dtype, size, 60);
    });
  }
});

describe('bad shapes', () => {
  it('rows that are not whole 256-value super-blocks are SHAPE_MISMATCH on every backend; short data is refused', async () => {
    const wasm = await WasmBackend.create();
    for (const b of [new ReferenceBackend(), wasm] as Backend[]) {
      for (const [dtype, size] of [['iq3_xxs', 98], ['iq3_s', 110]] as const) {
        expect(() => b.tensor([2, 288], dtype), `${b.name} ${dtype}`).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
        expect(() => b.tensor([2, 256], dtype, new Uint8Array(2 * size - 1)), `${b.name} ${dtype} short`).toThrow(expect.objectContaining({ name: 'SparrowError' }));
      }
    }
    expect(() => dequantize('IQ3_S', new Uint8Array(110), 128)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => dequantize('IQ3_XXS', new Uint8Array(97), 256)).toThrow(expect.objectContaining({ code: 'INDEX_OUT_OF_RANGE' }));
    wasm.dispose();
  });
});
