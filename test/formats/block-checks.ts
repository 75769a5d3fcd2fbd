/**
 * The two checks the GGML block types' tests run (iq1, iq2_s, iq2_x, iq3, iq4_xs; the gguf-py goldens
 * also q4_1-q5_1-iq4_nl):
 * - a hand-written super-block whose values were worked out by hand, through the dequantizer and
 *   the reference and wasm linear layers (prefill with X = I, decode with a one-hot x per column);
 * - gguf-py's dequantize_blocks of 24 random super-blocks (test/fixtures/gguf-py-32) bit for bit,
 *   and the same blocks as a [12, 512] matrix through the decode and prefill kernels.
 */
import { expect, it } from 'vitest';
import type { Backend, DType } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { dequantize } from '../../src/formats/ggml-quants.ts';
import { randomF32 } from '../helpers/random.ts';
import { runLinear } from '../helpers/linear.ts';
import { fixtureBytes, fixtureF32 } from './fixtures.ts';
import { denseOracle, worstRel } from './quant-blocks.ts';

const GGUF_PY = new URL('../fixtures/gguf-py-32', import.meta.url).pathname;

/** The identity [256, 256]: row j is the one-hot x of column j. */
const EYE = (() => {
  const eye = new Float32Array(256 * 256);
  for (let j = 0; j < 256; j++) eye[257 * j] = 1;
  return eye;
})();

/** One 256-value super-block `blk` through `b`'s matmul (X = I) and matvec (one-hot x per column) gives `values` exactly. */
export async function expectLinearGives(b: Backend, dtype: DType, blk: Uint8Array, values: number[], label = ''): Promise<void> {
  expect(Array.from(await runLinear(b, dtype, blk, 1, 256, EYE, 256)), `${b.name} matmul${label}`).toEqual(values);
  const row: number[] = [];
  for (let j = 0; j < 256; j++) row.push((await runLinear(b, dtype, blk, 1, 256, EYE.slice(256 * j, 256 * j + 256), 1))[0]);
  expect(row, `${b.name} matvec${label}`).toEqual(values);
}

/** A hand-written block: dequantize, then the reference and wasm linear layers, each give `values` exactly. */
export async function expectHandBlock(type: string, dtype: DType, blk: Uint8Array, values: number[]): Promise<void> {
  expect(Array.from(dequantize(type, blk, 256))).toEqual(values);
  const wasm = await WasmBackend.create();
  try {
    for (const b of [new ReferenceBackend(), wasm] as Backend[]) await expectLinearGives(b, dtype, blk, values);
  } finally {
    wasm.dispose();
  }
}

/** The golden files' layouts: 24 super-blocks of 256 as a [12, 512] matrix, or 96 blocks of 32 as [12, 256]. */
const GOLDEN = { 256: { blocks: 24, cols: 512 }, 32: { blocks: 96, cols: 256 } } as const;

/**
 * gguf-py's goldens of `type` (random.<TYPE>.bin: blocks of `blockValues` values in `size` bytes;
 * dequant.<TYPE>.bin): dequantize bit for bit; the same blocks as a [12, cols] matrix through wasm
 * (and, unless `reference` is false, the reference backend) with x drawn from `seed` + n, n = 1 and 3,
 * within 2e-6 (reference 1e-7) of x · that matrix.
 */
export async function expectGgufPyGolden(type: string, dtype: DType, size: number, seed: number, reference = true, blockValues: 256 | 32 = 256): Promise<void> {
  const { blocks, cols } = GOLDEN[blockValues];
  const raw = fixtureBytes(GGUF_PY, `random.${type}.bin`).slice();
  const want = fixtureF32(GGUF_PY, `dequant.${type}.bin`);
  expect(raw.length).toBe(blocks * size);
  const got = dequantize(type, raw, blocks * blockValues);
  let diff = 0;
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) diff++;
  expect(diff, `${type}: values differing from gguf-py`).toBe(0);
  const wasm = await WasmBackend.create();
  try {
    for (const n of [1, 3]) {
      const x = randomF32(n * cols, seed + n);
      const { out, mag } = denseOracle(want, 12, cols, x, n);
      if (reference) expect(worstRel(await runLinear(new ReferenceBackend(), dtype, raw, 12, cols, x, n), out, mag), `${type} reference n=${n}`).toBeLessThan(1e-7);
      expect(worstRel(await runLinear(wasm, dtype, raw, 12, cols, x, n), out, mag), `${type} wasm n=${n}`).toBeLessThan(2e-6);
    }
  } finally {
    wasm.dispose();
  }
}

/** One block type's case: GGUF name, dtype, bytes per super-block, a hand-written super-block and its 256 values. */
export type BlockCase = readonly [type: string, dtype: DType, size: number, blk: Uint8Array, values: number[]];

/**
 * Registers, per case, the hand-written block (plus bad shapes refused: a row not a whole number of
 * super-blocks, data one byte short) and gguf-py's goldens with x drawn from `seed` + n.
 */
export function itChecksBlockTypes(cases: readonly BlockCase[], seed: number): void {
  for (const [type, dtype, size, blk, values] of cases) {
    it(`${type}: a hand-written block through dequantize and the reference and wasm matvec / matmul`, async () => {
      await expectHandBlock(type, dtype, blk, values);
      const wasm = await WasmBackend.create();
      try {
        expect(() => wasm.tensor([2, 288], dtype)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
        expect(() => new ReferenceBackend().tensor([2, 256], dtype, new Uint8Array(2 * size - 1))).toThrow(expect.objectContaining({ name: 'SparrowError' }));
      } finally {
        wasm.dispose();
      }
    });

    it(`${type}: gguf-py's dequantize_blocks of 24 random super-blocks bit for bit; reference and wasm (n = 1, 3) ≈ x · that matrix`, async () => {
      await expectGgufPyGolden(type, dtype, size, seed);
    });
  }
}
