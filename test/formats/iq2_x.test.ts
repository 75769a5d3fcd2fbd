/**
 * IQ2_XXS (66-byte) and IQ2_XS (74-byte) super-blocks of 256 values (ggml-common.h block_iq2_xxs /
 * block_iq2_xs, ggml-quants.c dequantize_row_iq2_xxs / _iq2_xs): groups of 8 values from iq2xxs_grid
 * (256 entries) / iq2xs_grid (512), 7 stored sign bits per group (ksigns_iq2xs), a 4-bit scale per 32
 * (IQ2_XXS) or per 16 (IQ2_XS). Tested as IQ3 / IQ2_S: grid entries, a hand-written block per type,
 * gguf-py's goldens bit for bit, bad shapes.
 */
import { describe, expect, it } from 'vitest';
import { IQ2XS_GRID, IQ2XXS_GRID } from '../../src/formats/iq-grids.ts';
import { type BlockCase, itChecksBlockTypes } from './block-checks.ts';

// IQ2_XXS block X: d = 0.5; sub-block 0: grid bytes 1, 0, 0, 0 (iq2xxs_grid[1] = 0x080808080808082b:
// 43 then seven 8s; [0] eight 8s) and aux = 3 << 28 | 1 (db = 0.5·3.5·0.25 = 0.4375; group 0's signs
// ksigns[1] = 0x81: values 0 and 7 negative); every other sub-block zero (db = 0.0625, eight 8s → 0.5).
const X = new Uint8Array(66);
X.set([0x00, 0x38, 1]);
new DataView(X.buffer).setUint32(6, (3 << 28) | 1, true);
const X_VALUES: number[] = Array.from({ length: 256 }, (_, i) => (i < 32 ? 3.5 : 0.5));
X_VALUES[0] = -18.8125;
X_VALUES[7] = -3.5;

// IQ2_XS block S: d = 0.5; qs[0] = 1 | 3 << 9 (iq2xs_grid[1]: 43 then seven 8s; signs ksigns[3] = 0x03:
// values 0, 1 negative); scales[0] = 0x21 (values 0..15: dl = 0.5·1.5·0.25 = 0.1875, 16..31: 0.3125),
// the rest 0 (dl = 0.0625).
const S = new Uint8Array(74);
S.set([0x00, 0x38, 0x01, 0x06]);
S[66] = 0x21;
const S_VALUES: number[] = Array.from({ length: 256 }, (_, i) => (i < 16 ? 1.5 : i < 32 ? 2.5 : 0.5));
S_VALUES[0] = -8.0625;
S_VALUES[1] = -1.5;

const CASES: BlockCase[] = [['IQ2_XXS', 'iq2_xxs', 66, X, X_VALUES], ['IQ2_XS', 'iq2_xs', 74, S, S_VALUES]];

describe('IQ2_XXS / IQ2_XS', () => {
  it('grid entries 0–2 as ggml-common.h writes them (copied by hand)', () => {
    expect([IQ2XXS_GRID.length, IQ2XS_GRID.length]).toEqual([512, 1024]);
    for (const g of [IQ2XXS_GRID, IQ2XS_GRID]) {
      const u64 = (i: number) => (BigInt(g[2 * i + 1]) << 32n) | BigInt(g[2 * i]);
      expect([u64(0), u64(1), u64(2)]).toEqual([0x0808080808080808n, 0x080808080808082bn, 0x0808080808081919n]);
    }
  });

  itChecksBlockTypes(CASES, 80);
});
