/**
 * IQ2_S super-blocks (82 bytes, 256 values: ggml-common.h block_iq2_s, ggml-quants.c
 * dequantize_row_iq2_s): groups of 8 values from iq2s_grid (1024 entries of 8 values 8, 25, 43), one
 * sign bit per value, a 4-bit scale per 16 values. Tested as IQ3 (test/formats/iq3.test.ts): grid
 * entries against ggml-common.h, a hand-written block, gguf-py's goldens bit for bit, bad shapes.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { dequantize } from '../../src/formats/ggml-quants.ts';
import { IQ2S_GRID } from '../../src/formats/iq-grids.ts';
import { expectGgufPyGolden, expectHandBlock } from './block-checks.ts';

// Block B: d = 0.5 (0x3800); scales[0] = 0x31 (values 0..15: dl = 0.5·1.5·0.25 = 0.1875, values 16..31:
// 0.5·3.5·0.25 = 0.4375), every other scale 0 (dl = 0.0625). qs all 0 (iq2s_grid[0]: eight 8s) except
// qs[0] = 1 (iq2s_grid[1] = 0x080808080808082b: 43, then seven 8s); qh[0] = 0x04 gives group 1 the
// index 256 (iq2s_grid[256] = 0x0819081919191919: 25, 25, 25, 25, 25, 8, 25, 8). signs[0] = 0x81
// (values 0 and 7 negative), signs[3] = 0x02 (value 25 negative).
const B = new Uint8Array(82);
B.set([0x00, 0x38]);
B[2] = 1;
B[34] = 0x81;
B[34 + 3] = 0x02;
B[66] = 0x04;
B[74] = 0x31;
const B_VALUES: number[] = Array.from({ length: 256 }, (_, i) => (i < 16 ? 1.5 : i < 32 ? 3.5 : 0.5));
B_VALUES[0] = -8.0625;
B_VALUES[7] = -1.5;
B_VALUES.splice(8, 8, 4.6875, 4.6875, 4.6875, 4.6875, 4.6875, 1.5, 4.6875, 1.5);
B_VALUES[25] = -3.5;

describe('IQ2_S', () => {
  it('grid entries: 0–2 as ggml-common.h writes them (copied by hand), 256 and 1023 as gguf-py\'s grid_hex decodes them', () => {
    expect(IQ2S_GRID.length).toBe(2048);
    const u64 = (i: number) => (BigInt(IQ2S_GRID[2 * i + 1]) << 32n) | BigInt(IQ2S_GRID[2 * i]);
    expect([u64(0), u64(1), u64(2), u64(256), u64(1023)]).toEqual([0x0808080808080808n, 0x080808080808082bn, 0x0808080808081919n, 0x0819081919191919n, 0x2b2b2b2b2b2b2b2bn]);
  });

  it('a hand-written block: dequantize, reference and wasm matvec / matmul give the hand-computed values', async () => {
    await expectHandBlock('IQ2_S', 'iq2_s', B, B_VALUES);
  });

  it('gguf-py: 24 random super-blocks dequantize bit for bit as its dequantize_blocks; reference and wasm (n = 1, 3) ≈ x · that matrix', async () => {
    await expectGgufPyGolden('IQ2_S', 'iq2_s', 82, 70);
  });

  it('rows that are not whole super-blocks are SHAPE_MISMATCH', async () => {
    const wasm = await WasmBackend.create();
    for (const b of [new ReferenceBackend(), wasm] as Backend[]) expect(() => b.tensor([2, 288], 'iq2_s'), b.name).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => dequantize('IQ2_S', new Uint8Array(82), 128)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    wasm.dispose();
  });
});
