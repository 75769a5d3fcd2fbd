/**
 * IQ4_XS super-blocks (256 values: f16 d, u16 scales_h, 4 bytes scales_l, 128 bytes of nibbles;
 * 8 sub-blocks of 32 with 6-bit scales ls, value d·(ls − 32)·kvalues_iq4nl[nibble]):
 * - blocks written byte by byte, with the values they hold worked out by hand from the format
 *   (ggml-common.h block_iq4_xs / dequantize_row_iq4_xs), through the dequantizer and through the
 *   reference and wasm linear layers (decode matvec with one-hot x, the prefill matmul with X = I);
 * - the quantizer (quantize_iq4_xs without an importance matrix): every value at the level nearest
 *   x/dl at its sub-block's stored scale, the largest sub-block scale stored as −32 (ls = 0), zero
 *   sub-blocks zero, round-trip error close to IQ4_NL's on the same values;
 * - llama.cpp's gguf-py as the oracle (goldens in test/fixtures/gguf-py-32): its dequantization of
 *   random super-blocks, bit for bit, and the wasm kernels against it (gguf-py has no IQ4_XS quantizer).
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { KVALUES_IQ4NL, dequantize, iq4xsScale, quantizeIQ4_NL, quantizeIQ4_XS } from '../../src/formats/ggml-quants.ts';
import { fromF16Bits } from '../../src/util/f16.ts';
import { rng } from '../helpers/random.ts';
import { runLinear } from '../helpers/linear.ts';
import { expectGgufPyGolden, expectLinearGives } from './block-checks.ts';

const K = KVALUES_IQ4NL;

// Block A: d = 0.5 (0x3800); sub-block scales ls = 33, 31, 34, 30, 0, 63, 35, 36, i.e. ls − 32 =
// 1, −1, 2, −2, −32, 31, 3, 4 and dl = 0.5, −0.5, 1, −1, −16, 15.5, 1.5, 2.
//   scales_l (low 4 bits, sub-block 2i in the low nibble of byte i, 2i + 1 in the high one):
//     [1 | 15 << 4, 2 | 14 << 4, 0 | 15 << 4, 3 | 4 << 4] = f1 e2 f0 43;
//   scales_h (high 2 bits, sub-block ib at bits 2·ib): 2, 1, 2, 1, 0, 3, 2, 2
//     = 2 + 1·4 + 2·16 + 1·64 + 0·256 + 3·1024 + 2·4096 + 2·16384 = 0xac66 (bytes 66 ac).
//   qs of sub-block ib, byte j = ((j + ib) & 15) | (15 − j) << 4: element j of the sub-block is
//     dl·kvalues[(j + ib) & 15], element 16 + j is dl·kvalues[15 − j].
const A_DL = [0.5, -0.5, 1, -1, -16, 15.5, 1.5, 2];
const A = Uint8Array.from([
  0x00, 0x38, 0x66, 0xac, 0xf1, 0xe2, 0xf0, 0x43,
  ...Array.from({ length: 128 }, (_, i) => ((i % 16) + (i >> 4)) % 16 | ((15 - (i % 16)) << 4)),
]);
const A_VALUES = A_DL.flatMap((dl, ib) => [
  ...Array.from({ length: 16 }, (_, j) => dl * K[(j + ib) & 15]),
  ...Array.from({ length: 16 }, (_, j) => dl * K[15 - j]),
]);
// A few of them written out: sub-block 0 element 0 = 0.5·−127; sub-block 4 element 0 = −16·kvalues[4]
// = −16·−49; sub-block 5 element 16 = 15.5·113; sub-block 7 element 31 = 2·kvalues[0] = −254.
const A_SPOT: [number, number][] = [[0, -63.5], [128, 784], [176, 1751.5], [255, -254]];

// Block B: a negative d = −0.25 (0xb400), every ls = 40 (scales_l bytes 0x88, scales_h 0xaaaa), so
// dl = −2 everywhere; qs[0] = 0x80 (element 0 → kvalues[0] = −127 → 254, element 16 → kvalues[8] = 1
// → −2), every other byte 0x7f (low nibble 15 → 113 → −226, high nibble 7 → −10 → 20).
const B = Uint8Array.from([0x00, 0xb4, 0xaa, 0xaa, 0x88, 0x88, 0x88, 0x88, 0x80, ...new Array(127).fill(0x7f)]);
const B_VALUES = Array.from({ length: 256 }, (_, i) => {
  const j = i % 32;
  if (i === 0) return 254;
  if (i === 16) return -2;
  return j < 16 ? -226 : 20;
});

describe('hand-written IQ4_XS blocks', () => {
  it('the sub-block scales unpack as written', () => {
    expect(Array.from({ length: 8 }, (_, ib) => iq4xsScale(A, 0, ib))).toEqual([33, 31, 34, 30, 0, 63, 35, 36]);
    expect(Array.from({ length: 8 }, (_, ib) => iq4xsScale(B, 0, ib))).toEqual(new Array(8).fill(40));
  });

  it('dequantize gives the hand-computed values; reference and wasm matvec / matmul give them too', async () => {
    for (const [i, v] of A_SPOT) expect(A_VALUES[i]).toBe(v);
    const wasm = await WasmBackend.create();
    const backends: Backend[] = [new ReferenceBackend(), wasm];
    for (const [name, blk, values] of [['A', A, A_VALUES], ['B', B, B_VALUES]] as const) {
      expect(Array.from(dequantize('IQ4_XS', blk, 256)), `block ${name}`).toEqual(values);
      for (const b of backends) await expectLinearGives(b, 'iq4_xs', blk, values, ` block ${name}`);
    }
    // the blocks side by side in one row, and as two rows (the four-row decode pass and its tail)
    const two = new Uint8Array(272);
    two.set(A);
    two.set(B, 136);
    expect(Array.from(dequantize('IQ4_XS', two, 512))).toEqual([...A_VALUES, ...B_VALUES]);
    const rows5 = new Uint8Array(5 * 272);
    for (let r = 0; r < 5; r++) rows5.set(r % 2 ? [...B, ...A] : [...A, ...B], r * 272);
    const x = new Float32Array(512);
    x[3] = 1;
    x[256 + 17] = 1;
    for (const b of backends) {
      const got = Array.from(await runLinear(b, 'iq4_xs', rows5, 5, 512, x, 1));
      expect(got, `${b.name} 5-row matvec`).toEqual([0, 1, 2, 3, 4].map((r) => (r % 2 ? B_VALUES[3] + A_VALUES[17] : A_VALUES[3] + B_VALUES[17])));
    }
    wasm.dispose();
  });
});

const half = (b: Uint8Array, o: number) => fromF16Bits(b[o] | (b[o + 1] << 8));

/** Test rows of 32-value groups (uniform, gaussian-ish, one-signed, an outlier, constant, zero), 256 per super-block. */
function rows(seed: number): Float32Array {
  const r = rng(seed);
  const groups: number[][] = [];
  for (let i = 0; i < 48; i++) groups.push(Array.from({ length: 32 }, () => (r() - 0.5) * 0.2));
  for (let i = 0; i < 16; i++) groups.push(Array.from({ length: 32 }, () => (r() + r() + r() - 1.5) * 3));
  for (let i = 0; i < 8; i++) groups.push(Array.from({ length: 32 }, () => 5 + r()));
  for (let i = 0; i < 8; i++) groups.push(Array.from({ length: 32 }, (_, j) => (j === 7 ? -40 : r() - 0.5)));
  groups.push(new Array(32).fill(0.3), new Array(32).fill(0)); // 82 groups
  // shuffle the groups so super-blocks mix magnitudes, then pad to whole super-blocks with a zero one
  for (let i = groups.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [groups[i], groups[j]] = [groups[j], groups[i]];
  }
  while (groups.length % 8) groups.push(Array.from({ length: 32 }, () => (r() - 0.5) * 0.01));
  for (let i = 0; i < 8; i++) groups.push(new Array(32).fill(0));
  return Float32Array.from(groups.flat());
}

describe('IQ4_XS quantizer (quantize_iq4_xs, no importance matrix)', () => {
  it('each value gets the level nearest x/dl at its sub-block\'s stored scale; the largest sub-block scale is stored as −32', () => {
    const x = rows(30);
    const qb = quantizeIQ4_XS(x);
    const nb = x.length / 256;
    expect(qb.length).toBe(nb * 136);
    const y = dequantize('IQ4_XS', qb, x.length);
    let exact = 0, total = 0;
    for (let b = 0; b < nb; b++) {
      const d = half(qb, 136 * b);
      const ls = Array.from({ length: 8 }, (_, ib) => iq4xsScale(qb, 136 * b, ib));
      const blk = x.subarray(256 * b, 256 * b + 256);
      if (blk.every((v) => v === 0)) {
        expect(Array.from(y.subarray(256 * b, 256 * b + 256)).every((v) => v === 0), `zero super-block ${b}`).toBe(true);
        continue;
      }
      expect(Math.min(...ls), `super-block ${b}: some sub-block at ls = 0 (l = −32)`).toBe(0);
      for (let ib = 0; ib < 8; ib++) {
        const dl = d * (ls[ib] - 32);
        for (let j = 0; j < 32; j++) {
          const i = 256 * b + 32 * ib + j;
          const got = Math.abs(x[i] - y[i]);
          const best = Math.min(...K.map((k) => Math.abs(x[i] - dl * k)));
          // the levels are chosen at the f32 dl = d·l; the stored f16 d differs by ≤ 2^-11 relative
          expect(got, `super-block ${b} sub-block ${ib} value ${j}`).toBeLessThanOrEqual(best + 2 * 127 * Math.abs(dl) * 2 ** -11 + 1e-7);
          total++;
          if (got <= best) exact++;
        }
      }
    }
    expect(exact / total).toBeGreaterThan(0.99);
    expect(() => quantizeIQ4_XS(new Float32Array(288))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });

  it('a zero sub-block in a non-zero super-block dequantizes to zeros; a zero super-block stores d = −0 as ggml does', () => {
    const x = new Float32Array(512);
    for (let i = 0; i < 256; i++) x[i] = i >= 64 && i < 96 ? 0 : Math.sin(i) * 0.3;
    const qb = quantizeIQ4_XS(x);
    const y = dequantize('IQ4_XS', qb, 512);
    for (let i = 64; i < 96; i++) expect(Math.abs(y[i])).toBe(0);
    expect(iq4xsScale(qb, 0, 2)).toBe(32); // l = 0
    // second super-block: max_scale = 0, d = −0/32 = −0 (f16 0x8000), every ls = 32, every nibble 8 (level 1)
    expect([qb[136], qb[137]]).toEqual([0x00, 0x80]);
    expect(Array.from({ length: 8 }, (_, ib) => iq4xsScale(qb, 136, ib))).toEqual(new Array(8).fill(32));
    expect(Array.from(qb.subarray(136 + 8, 272)).every((v) => v === 0x88)).toBe(true);
    expect(Array.from(y.subarray(256)).every((v) => v === 0)).toBe(true);
  });

  it('round-trip error is close to IQ4_NL\'s (one f16 scale per 32) with 4.25 bits per weight against 4.5', () => {
    const r = rng(31);
    const x = Float32Array.from({ length: 256 * 64 }, () => (r() + r() + r() + r() - 2) * 0.05);
    const xs = dequantize('IQ4_XS', quantizeIQ4_XS(x), x.length);
    const nl = dequantize('IQ4_NL', quantizeIQ4_NL(x), x.length);
    let exs = 0, enl = 0, sx = 0;
    for (let i = 0; i < x.length; i++) {
      exs += (x[i] - xs[i]) ** 2;
      enl += (x[i] - nl[i]) ** 2;
      sx += x[i] ** 2;
    }
    const rxs = Math.sqrt(exs / sx), rnl = Math.sqrt(enl / sx);
    expect(rxs).toBeLessThan(0.12);
    expect(rxs).toBeLessThan(rnl * 1.05);
    expect(rxs).toBeGreaterThan(rnl * 0.95);
  });
});

describe('gguf-py (llama.cpp\'s Python package) as the oracle', () => {
  it('IQ4_XS: 24 random super-blocks dequantize bit for bit as gguf-py\'s dequantize_blocks; wasm (n = 1, 3) ≈ x · that matrix', async () => {
    // the same blocks as a [12, 512] matrix through the wasm decode (four rows per pass) and prefill kernels
    await expectGgufPyGolden('IQ4_XS', 'iq4_xs', 136, 50, false);
  });
});
