/**
 * IQ1_S (50-byte) and IQ1_M (56-byte) super-blocks of 256 values (ggml-common.h block_iq1_s /
 * block_iq1_m, ggml-quants.c dequantize_row_iq1_s / _iq1_m): groups of 8 values from iq1s_grid (2048
 * entries of -1, 0, +1, an 11-bit index), value dl·(grid + delta), delta = ±0.125 (IQ1S_DELTA) per 32
 * (IQ1_S) or per group (IQ1_M), dl = d·(2s + 1) with a 3-bit s per 32 (IQ1_S) or per 16 (IQ1_M, whose
 * f16 d is spread over the top nibbles of its four scale words). Tested as IQ3 / IQ2: grid entries, a
 * hand-written block per type, gguf-py's goldens bit for bit, bad shapes.
 */
import { describe, expect, it } from 'vitest';
import { IQ1S_GRID } from '../../src/formats/iq-grids.ts';
import { type BlockCase, itChecksBlockTypes } from './block-checks.ts';

// iq1s_grid[1] = [+1, then seven −1], [256] = [−1, 0, +1, 0, +1, −1, 0, −1], [0] = eight −1.
const G256 = [-1, 0, 1, 0, 1, -1, 0, -1];

// IQ1_S block X: d = 0.5; sub-block 0: qs = 1, 0, 0, 0, qh[0] = 0xa008 (group 1's high index bits 1:
// entry 256; scale 2: dl = 0.5·5 = 2.5; bit 15: delta −0.125); every other sub-block zero (dl = 0.5,
// delta +0.125, entry 0: 0.5·(−0.875) = −0.4375).
const X = new Uint8Array(50);
X.set([0x00, 0x38, 1]);
X.set([0x08, 0xa0], 34);
const X_VALUES: number[] = Array.from({ length: 256 }, (_, i) => (i < 32 ? 2.5 * -1.125 : -0.4375));
X_VALUES[0] = 2.5 * 0.875;
G256.forEach((g, j) => (X_VALUES[8 + j] = 2.5 * (g - 0.125)));

// IQ1_M block M: d = 0.5 (f16 0x3800: nibbles 0, 0, 8, 3 in the top nibbles of scale words 0..3);
// word 0 = 0x000a: sub-block 0's scales 2 (values 0..15: dl = 2.5) and 1 (16..31: dl = 1.5); qs = 1, 0,
// 0, 0; qh[0] = 0x18 (group 0: delta −, group 1: entry 256, delta +), qh[1] = 0x80 (group 3: delta −);
// every other sub-block zero (dl = 0.5, delta +: −0.4375).
const M = new Uint8Array(56);
M[0] = 1;
M.set([0x18, 0x80], 32);
M.set([0x0a, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x30], 48);
const M_VALUES: number[] = Array.from({ length: 256 }, (_, i) => (i < 8 ? 2.5 * -1.125 : i < 24 ? 1.5 * -0.875 : i < 32 ? 1.5 * -1.125 : -0.4375));
M_VALUES[0] = 2.5 * 0.875;
G256.forEach((g, j) => (M_VALUES[8 + j] = 2.5 * (g + 0.125)));

const CASES: BlockCase[] = [['IQ1_S', 'iq1_s', 50, X, X_VALUES], ['IQ1_M', 'iq1_m', 56, M, M_VALUES]];

describe('IQ1_S / IQ1_M', () => {
  it('grid entries 0–2 as ggml-common.h writes them (copied by hand); every byte is −1, 0 or +1', () => {
    expect(IQ1S_GRID.length).toBe(4096);
    const u64 = (i: number) => (BigInt(IQ1S_GRID[2 * i + 1]) << 32n) | BigInt(IQ1S_GRID[2 * i]);
    expect([u64(0), u64(1), u64(2)]).toEqual([0xffffffffffffffffn, 0xffffffffffffff01n, 0xffffffffffff0000n]);
    const bytes = new Uint8Array(IQ1S_GRID.buffer, IQ1S_GRID.byteOffset, IQ1S_GRID.byteLength);
    expect([...new Set(bytes)].sort((a, b) => a - b)).toEqual([0, 1, 255]);
  });

  itChecksBlockTypes(CASES, 80);
});
