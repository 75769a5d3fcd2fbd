/**
 * Q4_1, Q5_1 and IQ4_NL blocks (32 values each):
 * - blocks written byte by byte, with the values they hold worked out by hand from the format
 *   (ggml-common.h / dequantize_row_*), through the dequantizer and through the reference and wasm
 *   linear layers (decode matvec with one-hot x, and the prefill matmul with X = I: both give W);
 * - the quantizers (quantize_row_q4_1_ref / _q5_1_ref, quantize_iq4_nl): every value within half a
 *   step of its level (plus the f16 rounding of d and m), levels nearest at the stored scale, and
 *   IQ4_NL's scale search never worse than the plain max/127 scale;
 * - llama.cpp's gguf-py as the oracle (goldens in test/fixtures/gguf-py-32): its dequantization of
 *   random blocks, bit for bit (and the wasm kernels against it), and its Q4_1 / Q5_1 quantizer's
 *   bytes (gguf-py has no IQ4_NL quantizer).
 */
import { describe, expect, it } from 'vitest';
import type { Backend, DType } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { KVALUES_IQ4NL, dequantize, quantizeIQ4_NL, quantizeQ4_1, quantizeQ5_0, quantizeQ5_1 } from '../../src/formats/ggml-quants.ts';
import { fromF16Bits } from '../../src/util/f16.ts';
import { rng } from '../helpers/random.ts';
import { runLinear } from '../helpers/linear.ts';
import { fixtureBytes, fixtureF32 } from './fixtures.ts';
import { expectGgufPyGolden } from './block-checks.ts';

/** gguf-py goldens (test/fixtures/gguf-py-32/make.py: llama.cpp's Python package, numpy). */
const GGUF_PY = new URL('../fixtures/gguf-py-32', import.meta.url).pathname;

/** A block from its bytes: f16 halves as [lo, hi] byte pairs, then the rest. */
const bytes = (...parts: number[]) => Uint8Array.from(parts);

// Q4_1: d = 0.5 (0x3800), m = −1 (0xbc00), qs[j] = j | (15 − j) << 4:
// element j = 0.5·j − 1, element 16 + j = 0.5·(15 − j) − 1.
const Q4_1_A = bytes(0x00, 0x38, 0x00, 0xbc, ...Array.from({ length: 16 }, (_, j) => j | ((15 - j) << 4)));
const Q4_1_A_VALUES = [
  -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5,
  6.5, 6, 5.5, 5, 4.5, 4, 3.5, 3, 2.5, 2, 1.5, 1, 0.5, 0, -0.5, -1,
];
// Q4_1 where q·d + m rounds in f32: d = 2^-14 (0x0400), m = 2048 (0x6800), whose f32 ulp is 2^-12.
// qs[0] = 0x21: element 0 has q = 1 (2048 + 2^-14: below half an ulp → 2048), element 16 q = 2
// (2^-13, exactly half an ulp → to even, 2048); qs[1] = 0x63: element 1 q = 3 (0.75 ulp → 2048 + 2^-12),
// element 17 q = 6 (1.5 ulp → to even, 2048 + 2^-11); every other q = 0 → 2048.
const Q4_1_B = bytes(0x00, 0x04, 0x00, 0x68, 0x21, 0x63, ...new Array(14).fill(0));
const Q4_1_B_VALUES = Array.from({ length: 32 }, (_, i) => (i === 1 ? 2048.000244140625 : i === 17 ? 2048.00048828125 : 2048));

// Q5_1: d = 0.25 (0x3400), m = 2 (0x4000), qh = 0xaaaa5555 (bytes 55 55 aa aa: bits 0..15 set for
// even j — elements 0..15 —, bits 16..31 set for odd j — elements 16..31), qs[j] = j | j << 4.
// element j = (j + 16·[j even])·0.25 + 2, element 16 + j = (j + 16·[j odd])·0.25 + 2.
const Q5_1_A = bytes(0x00, 0x34, 0x00, 0x40, 0x55, 0x55, 0xaa, 0xaa, ...Array.from({ length: 16 }, (_, j) => j | (j << 4)));
const Q5_1_A_VALUES = [
  6, 2.25, 6.5, 2.75, 7, 3.25, 7.5, 3.75, 8, 4.25, 8.5, 4.75, 9, 5.25, 9.5, 5.75,
  2, 6.25, 2.5, 6.75, 3, 7.25, 3.5, 7.75, 4, 8.25, 4.5, 8.75, 5, 9.25, 5.5, 9.75,
];

// IQ4_NL: d = 0.5 (0x3800), qs[j] = j | (15 − j) << 4: element j = 0.5·kvalues[j], element 16 + j = 0.5·kvalues[15 − j]
// with kvalues = −127, −104, −83, −65, −49, −35, −22, −10, 1, 13, 25, 38, 53, 69, 89, 113.
const IQ4_NL_A = bytes(0x00, 0x38, ...Array.from({ length: 16 }, (_, j) => j | ((15 - j) << 4)));
const IQ4_NL_A_VALUES = [
  -63.5, -52, -41.5, -32.5, -24.5, -17.5, -11, -5, 0.5, 6.5, 12.5, 19, 26.5, 34.5, 44.5, 56.5,
  56.5, 44.5, 34.5, 26.5, 19, 12.5, 6.5, 0.5, -5, -11, -17.5, -24.5, -32.5, -41.5, -52, -63.5,
];
// IQ4_NL with a negative scale: d = −2 (0xc000), qs[0] = 0x80 (element 0 → kvalues[0] = −127,
// element 16 → kvalues[8] = 1), every other byte 0x7f (low nibble 15 → 113, high nibble 7 → −10).
const IQ4_NL_B = bytes(0x00, 0xc0, 0x80, ...new Array(15).fill(0x7f));
const IQ4_NL_B_VALUES = Array.from({ length: 32 }, (_, i) => (i === 0 ? 254 : i === 16 ? -2 : i < 16 ? -226 : 20));

const HAND: { type: string; dtype: DType; blocks: Uint8Array[]; values: number[][] }[] = [
  { type: 'Q4_1', dtype: 'q4_1', blocks: [Q4_1_A, Q4_1_B], values: [Q4_1_A_VALUES, Q4_1_B_VALUES] },
  { type: 'Q5_1', dtype: 'q5_1', blocks: [Q5_1_A], values: [Q5_1_A_VALUES] },
  { type: 'IQ4_NL', dtype: 'iq4_nl', blocks: [IQ4_NL_A, IQ4_NL_B], values: [IQ4_NL_A_VALUES, IQ4_NL_B_VALUES] },
];

describe('hand-written Q4_1 / Q5_1 / IQ4_NL blocks', () => {
  it('the table is llama.cpp\'s kvalues_iq4nl', () => {
    expect(KVALUES_IQ4NL).toEqual([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]);
  });

  for (const { type, dtype, blocks, values } of HAND) {
    it(`${type}: dequantize gives the hand-computed values; reference and wasm matvec / matmul give them too`, async () => {
      const wasm = await WasmBackend.create();
      const backends: Backend[] = [new ReferenceBackend(), wasm];
      for (const [i, blk] of blocks.entries()) {
        expect(Array.from(dequantize(type, blk, 32)), `${type} block ${i}`).toEqual(values[i]);
        // one row [1, 32]: x = e_j picks w_j (decode kernel), X = I_32 gives all of W (prefill kernel)
        const eye = new Float32Array(32 * 32);
        for (let j = 0; j < 32; j++) eye[33 * j] = 1;
        for (const b of backends) {
          expect(Array.from(await runLinear(b, dtype, blk, 1, 32, eye, 32)), `${b.name} matmul ${type} block ${i}`).toEqual(values[i]);
          const row: number[] = [];
          for (let j = 0; j < 32; j++) row.push((await runLinear(b, dtype, blk, 1, 32, eye.slice(32 * j, 32 * j + 32), 1))[0]);
          expect(row, `${b.name} matvec ${type} block ${i}`).toEqual(values[i]);
        }
      }
      // the blocks side by side in one row: every value lands at its place
      const row = new Uint8Array(blocks.reduce((a, b) => a + b.length, 0));
      blocks.reduce((o, b) => (row.set(b, o), o + b.length), 0);
      expect(Array.from(dequantize(type, row, 32 * blocks.length))).toEqual(values.flat());
      wasm.dispose();
    });
  }
});

/** Stored f16 d (and m) of block i. */
const half = (b: Uint8Array, o: number) => fromF16Bits(b[o] | (b[o + 1] << 8));

/** Test rows: uniform, gaussian-ish, one-signed, with an outlier, constant, all zero. */
function rows(seed: number): Float32Array {
  const r = rng(seed);
  const blocks: number[][] = [];
  for (let i = 0; i < 48; i++) blocks.push(Array.from({ length: 32 }, () => (r() - 0.5) * 0.2));
  for (let i = 0; i < 16; i++) blocks.push(Array.from({ length: 32 }, () => (r() + r() + r() - 1.5) * 3));
  for (let i = 0; i < 8; i++) blocks.push(Array.from({ length: 32 }, () => 5 + r()));
  for (let i = 0; i < 8; i++) blocks.push(Array.from({ length: 32 }, (_, j) => (j === 7 ? -40 : r() - 0.5)));
  blocks.push(new Array(32).fill(0.3), new Array(32).fill(0));
  return Float32Array.from(blocks.flat());
}

describe('Q4_1 / Q5_1 quantizers', () => {
  for (const [type, q, levels, size] of [['Q4_1', quantizeQ4_1, 15, 20], ['Q5_1', quantizeQ5_1, 31, 24]] as const) {
    it(`${type}: |x − deq(q(x))| ≤ d/2 per value (+ the f16 rounding of d and m); min and max of each block kept`, () => {
      const x = rows(levels);
      const qb = q(x);
      expect(qb.length).toBe((x.length / 32) * size);
      const y = dequantize(type, qb, x.length);
      let worstSteps = 0;
      for (let b = 0; b < x.length / 32; b++) {
        const d = half(qb, b * size), m = half(qb, b * size + 2);
        const blk = x.subarray(32 * b, 32 * b + 32);
        const min = Math.min(...blk), max = Math.max(...blk);
        // the quantizer derives its levels from f32 d = (max − min)/levels and min; the file holds them as halves
        const slack = (levels + 1) * Math.abs(d) * 2 ** -10 + Math.abs(m) * 2 ** -10 + 1e-6 * Math.max(Math.abs(min), Math.abs(max));
        for (let j = 0; j < 32; j++) {
          const err = Math.abs(blk[j] - y[32 * b + j]);
          expect(err, `${type} block ${b} value ${j}`).toBeLessThanOrEqual(d / 2 + slack);
          if (d > 0) worstSteps = Math.max(worstSteps, err / d);
        }
        expect(Math.abs(m - min), `${type} block ${b}: m = min`).toBeLessThanOrEqual(Math.abs(min) * 2 ** -11 + 1e-12);
        expect(Math.abs(d * levels - (max - min)), `${type} block ${b}: d = (max − min)/${levels}`).toBeLessThanOrEqual((max - min) * 2 ** -10 + 1e-12);
      }
      expect(worstSteps).toBeGreaterThan(0.4); // lossy: some value is near half a step off
      expect(() => q(new Float32Array(48))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    });
  }

  it('Q5_1 keeps the 5th bit: a ramp of 32 steps comes back exactly', () => {
    const x = Float32Array.from({ length: 32 }, (_, i) => i * 0.125 - 1); // d = 0.125, m = −1: exact halves
    expect(Array.from(dequantize('Q5_1', quantizeQ5_1(x), 32))).toEqual(Array.from(x));
    const x4 = Float32Array.from({ length: 32 }, (_, i) => (i % 16) * 0.25 + 3);
    expect(Array.from(dequantize('Q4_1', quantizeQ4_1(x4), 32))).toEqual(Array.from(x4));
  });
});

describe('IQ4_NL quantizer (quantize_iq4_nl, no importance matrix)', () => {
  it('each value gets the level nearest x/d at the stored scale; zero blocks are zero', () => {
    const x = rows(20);
    const qb = quantizeIQ4_NL(x);
    expect(qb.length).toBe((x.length / 32) * 18);
    const y = dequantize('IQ4_NL', qb, x.length);
    let exact = 0, total = 0;
    for (let b = 0; b < x.length / 32; b++) {
      const d = half(qb, 18 * b);
      for (let j = 0; j < 32; j++) {
        const v = x[32 * b + j];
        const got = Math.abs(v - y[32 * b + j]);
        const best = Math.min(...KVALUES_IQ4NL.map((k) => Math.abs(v - d * k)));
        // the levels are chosen at the f32 scale; the stored f16 d differs by ≤ 2^-11 relative
        expect(got, `block ${b} value ${j}`).toBeLessThanOrEqual(best + 2 * 127 * Math.abs(d) * 2 ** -11 + 1e-7);
        total++;
        if (got <= best) exact++;
      }
    }
    expect(exact / total).toBeGreaterThan(0.99);
    const z = quantizeIQ4_NL(new Float32Array(64));
    expect(Array.from(dequantize('IQ4_NL', z, 64)).every((v) => v === 0)).toBe(true);
    expect(() => quantizeIQ4_NL(new Float32Array(40))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });

  it('the scale search is never worse than max/127 (weighted Σ x²·(x − d·level)², the quantizer\'s own measure)', () => {
    const x = rows(21);
    const qb = quantizeIQ4_NL(x);
    const y = dequantize('IQ4_NL', qb, x.length);
    let better = 0;
    for (let b = 0; b < x.length / 32; b++) {
      const blk = x.subarray(32 * b, 32 * b + 32);
      let max = 0;
      for (const v of blk) if (Math.abs(v) > Math.abs(max)) max = v;
      if (max === 0) continue;
      const d0 = max / 127;
      let e0 = 0, e = 0;
      for (let j = 0; j < 32; j++) {
        const w = blk[j] * blk[j];
        e0 += w * Math.min(...KVALUES_IQ4NL.map((k) => (blk[j] - d0 * k) ** 2));
        e += w * (blk[j] - y[32 * b + j]) ** 2;
      }
      expect(e, `block ${b}`).toBeLessThanOrEqual(e0 * 1.01 + 1e-20);
      if (e < 0.95 * e0) better++;
    }
    expect(better).toBeGreaterThan(10); // the search finds better scales for many blocks
  });

  it('quantize_row_iq4_nl_ref (ntry = −1: one pass, levels at −max/127) differs from quantize_iq4_nl but stays close', () => {
    const x = rows(22);
    const a = dequantize('IQ4_NL', quantizeIQ4_NL(x, -1), x.length);
    const b = dequantize('IQ4_NL', quantizeIQ4_NL(x), x.length);
    let ea = 0, eb = 0, sx = 0;
    for (let i = 0; i < x.length; i++) {
      ea += (x[i] - a[i]) ** 2;
      eb += (x[i] - b[i]) ** 2;
      sx += x[i] ** 2;
    }
    expect(Math.sqrt(ea / sx)).toBeLessThan(0.15);
    expect(Math.sqrt(eb / sx)).toBeLessThan(0.15);
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });
});

describe('gguf-py (llama.cpp\'s Python package) as the oracle', () => {
  for (const [type, dtype, size] of [['Q4_1', 'q4_1', 20], ['Q5_1', 'q5_1', 24], ['IQ4_NL', 'iq4_nl', 18]] as const) {
    it(`${type}: 96 random blocks dequantize bit for bit as gguf-py's dequantize_blocks; wasm (n = 1, 3) ≈ x · that matrix`, async () => {
      // the same blocks as a [12, 256] matrix through the wasm decode and prefill kernels
      await expectGgufPyGolden(type, dtype, size, 40, false, 32);
    });
  }

  // Q5_0's quantizer (quantize_row_q5_0_ref) writes the synthetic Q4_K_M mix's narrow rows
  for (const [type, q] of [['Q4_1', quantizeQ4_1], ['Q5_1', quantizeQ5_1], ['Q5_0', quantizeQ5_0]] as const) {
    it(`${type}: our quantizer writes gguf-py's quantize_blocks bytes, byte for byte`, () => {
      const x = fixtureF32(GGUF_PY, 'input.f32.bin');
      expect(q(x)).toEqual(fixtureBytes(GGUF_PY, `quant.${type}.bin`).slice());
    });
  }
});
