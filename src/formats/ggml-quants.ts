/**
 * Reference dequantization (and a few quantizers) of GGML block types, transcribed from llama.cpp
 * ggml-quants.c `dequantize_row_*` / `quantize_row_*_ref`.
 *
 * Arithmetic is float32 step by step (Math.fround after every operation the C code performs in
 * float), in the same order as the C code and gguf-py's numpy dequantizer, so results are
 * bit-identical to llama.cpp: e.g. Q4_K computes d1 = f32(d·sc), m1 = f32(dmin·m), y = f32(f32(d1·q) − m1).
 * (Products of two float32 values formed in float64 and then rounded equal the float32 product.)
 */
import { SparrowError } from '../errors.ts';
import { fromF16Bits, toF16Bits } from '../util/f16.ts';
import { type GgmlTypeInfo, QK_K, ggmlTypeByName } from './ggml-types.ts';
import { IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID, KSIGNS_IQ2XS } from './iq-grids.ts';

const fr = Math.fround;

/** Block layouts (byte offsets inside one block), for kernels that read blocks directly. */
export const BLOCK = {
  Q8_0: { size: 34, d: 0, qs: 2 },
  Q4_0: { size: 18, d: 0, qs: 2 },
  Q4_1: { size: 20, d: 0, m: 2, qs: 4 },
  Q5_0: { size: 22, d: 0, qh: 2, qs: 6 },
  Q5_1: { size: 24, d: 0, m: 2, qh: 4, qs: 8 },
  IQ4_NL: { size: 18, d: 0, qs: 2 },
  IQ4_XS: { size: 136, d: 0, scalesH: 2, scalesL: 4, qs: 8 },
  IQ3_XXS: { size: 98, d: 0, qs: 2, scalesAndSigns: 66 },
  IQ3_S: { size: 110, d: 0, qs: 2, qh: 66, signs: 74, scales: 106 },
  IQ2_S: { size: 82, d: 0, qs: 2, signs: 34, qh: 66, scales: 74 },
  IQ2_XXS: { size: 66, d: 0, qs: 2 },
  IQ2_XS: { size: 74, d: 0, qs: 2, scales: 66 },
  IQ1_S: { size: 50, d: 0, qs: 2, qh: 34 },
  IQ1_M: { size: 56, qs: 0, qh: 32, scales: 48 },
  Q2_K: { size: 84, scales: 0, qs: 16, d: 80, dmin: 82 },
  Q3_K: { size: 110, hmask: 0, qs: 32, scales: 96, d: 108 },
  Q4_K: { size: 144, d: 0, dmin: 2, scales: 4, qs: 16 },
  Q5_K: { size: 176, d: 0, dmin: 2, scales: 4, qh: 16, qs: 48 },
  Q6_K: { size: 210, ql: 0, qh: 128, scales: 192, d: 208 },
} as const;

type Row = (b: Uint8Array, off: number, nBlocks: number, y: Float32Array, yo: number) => void;

const h16 = (b: Uint8Array, o: number): number => fromF16Bits(b[o] | (b[o + 1] << 8));
const i8 = (v: number): number => (v << 24) >> 24;

const rowQ8_0: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 34, yo += 32) {
    const d = h16(b, off);
    for (let j = 0; j < 32; j++) y[yo + j] = i8(b[off + 2 + j]) * d;
  }
};

const rowQ4_0: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 18, yo += 32) {
    const d = h16(b, off);
    for (let j = 0; j < 16; j++) {
      const q = b[off + 2 + j];
      y[yo + j] = ((q & 0x0f) - 8) * d;
      y[yo + j + 16] = ((q >> 4) - 8) * d;
    }
  }
};

/**
 * Q4_1 / Q5_1 (dequantize_row_q4_1 / _q5_1): x = q·d + m with d, m halves widened to f32. q·d is
 * exact in f32 (q < 32, d has 11 significant bits); the sum rounds once, as in llama.cpp without
 * FMA contraction (gguf-py's numpy, llama.cpp's WebAssembly build) — a compiler that fuses q·d + m
 * into an FMA gets the same value, the product being exact.
 */
const rowQ4_1: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 20, yo += 32) {
    const d = h16(b, off);
    const m = h16(b, off + 2);
    for (let j = 0; j < 16; j++) {
      const q = b[off + 4 + j];
      y[yo + j] = fr((q & 0x0f) * d) + m;
      y[yo + j + 16] = fr((q >> 4) * d) + m;
    }
  }
};

const rowQ5_0: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 22, yo += 32) {
    const d = h16(b, off);
    const qh = (b[off + 2] | (b[off + 3] << 8) | (b[off + 4] << 16) | (b[off + 5] << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      const xh0 = ((qh >>> j) << 4) & 0x10;
      const xh1 = (qh >>> (j + 12)) & 0x10;
      const q = b[off + 6 + j];
      y[yo + j] = (((q & 0x0f) | xh0) - 16) * d;
      y[yo + j + 16] = (((q >> 4) | xh1) - 16) * d;
    }
  }
};

const rowQ5_1: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 24, yo += 32) {
    const d = h16(b, off);
    const m = h16(b, off + 2);
    const qh = (b[off + 4] | (b[off + 5] << 8) | (b[off + 6] << 16) | (b[off + 7] << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      const xh0 = ((qh >>> j) << 4) & 0x10;
      const xh1 = (qh >>> (j + 12)) & 0x10;
      const q = b[off + 8 + j];
      y[yo + j] = fr(((q & 0x0f) | xh0) * d) + m;
      y[yo + j + 16] = fr(((q >> 4) | xh1) * d) + m;
    }
  }
};

/** IQ4_NL's 16 non-linear levels (ggml-common.h kvalues_iq4nl). */
export const KVALUES_IQ4NL: readonly number[] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

/** IQ4_NL (dequantize_row_iq4_nl): Q4_0's nibble layout, value d · kvalues_iq4nl[nibble] (exact in f32). */
const rowIQ4_NL: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 18, yo += 32) {
    const d = h16(b, off);
    for (let j = 0; j < 16; j++) {
      const q = b[off + 2 + j];
      y[yo + j] = d * KVALUES_IQ4NL[q & 0x0f];
      y[yo + j + 16] = d * KVALUES_IQ4NL[q >> 4];
    }
  }
};

/**
 * The 6-bit scale ls (0..63) of sub-block ib (0..7) of the IQ4_XS block at o: low 4 bits from
 * scales_l[ib/2] (nibble ib%2), high 2 bits from the u16 scales_h (bits 2·ib, 2·ib + 1).
 */
export function iq4xsScale(b: Uint8Array, o: number, ib: number): number {
  const sh = b[o + 2] | (b[o + 3] << 8);
  return ((b[o + 4 + (ib >> 1)] >> (4 * (ib & 1))) & 0xf) | (((sh >> (2 * ib)) & 3) << 4);
}

/**
 * IQ3_XXS (dequantize_row_iq3_xxs; 98 bytes: f16 d, qs[64] grid indices, 8 u32 scales_and_signs):
 * 8 sub-blocks of 32 values. Sub-block ib's u32 aux (bytes 66 + 4·ib): db = d·(0.5 + aux>>28)·0.5;
 * its values 8l … 8l + 7 (l = 0..3) are the 4 bytes of iq3xxs_grid[qs[8ib + 2l]] then of
 * iq3xxs_grid[qs[8ib + 2l + 1]], value j negated when bit j of ksigns_iq2xs[(aux >> 7l) & 127] is set.
 * Every product is exact in f32 (db has at most 16 significant bits, grid values 6), so the order of
 * the two multiplications does not matter.
 */
const rowIQ3_XXS: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 98) {
    const d = h16(b, off);
    for (let ib = 0; ib < 8; ib++) {
      const a = off + 66 + 4 * ib;
      const aux = (b[a] | (b[a + 1] << 8) | (b[a + 2] << 16) | (b[a + 3] << 24)) >>> 0;
      const db = fr(fr(d * fr(0.5 + (aux >>> 28))) * 0.5);
      for (let l = 0; l < 4; l++, yo += 8) {
        const signs = KSIGNS_IQ2XS[(aux >>> (7 * l)) & 127];
        const g1 = IQ3XXS_GRID[b[off + 2 + 8 * ib + 2 * l]];
        const g2 = IQ3XXS_GRID[b[off + 2 + 8 * ib + 2 * l + 1]];
        for (let j = 0; j < 4; j++) {
          y[yo + j] = fr(db * ((g1 >>> (8 * j)) & 0xff)) * (signs & (1 << j) ? -1 : 1);
          y[yo + j + 4] = fr(db * ((g2 >>> (8 * j)) & 0xff)) * (signs & (1 << (j + 4)) ? -1 : 1);
        }
      }
    }
  }
};

/**
 * IQ3_S (dequantize_row_iq3_s; 110 bytes: f16 d, qs[64], qh[8], signs[32], scales[4]): 8 sub-blocks
 * of 32 values. Sub-block ib: db = d·(1 + 2·s) with s the low (even ib) or high (odd ib) nibble of
 * scales[ib/2]; its values 4k … 4k + 3 (k = 0..7) are the 4 bytes of iq3s_grid[qs[8ib + k] | (bit k
 * of qh[ib]) << 8]; value v (0..31) negated when bit v%8 of signs[4ib + v/8] is set. Exact in f32.
 */
const rowIQ3_S: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 110) {
    const d = h16(b, off);
    for (let ib = 0; ib < 8; ib++) {
      const db = fr(d * (1 + 2 * ((b[off + 106 + (ib >> 1)] >> (4 * (ib & 1))) & 0xf)));
      const qh = b[off + 66 + ib];
      for (let k = 0; k < 8; k++, yo += 4) {
        const g = IQ3S_GRID[b[off + 2 + 8 * ib + k] | (((qh >> k) & 1) << 8)];
        const signs = b[off + 74 + 4 * ib + (k >> 1)] >> (4 * (k & 1));
        for (let j = 0; j < 4; j++) y[yo + j] = fr(db * ((g >>> (8 * j)) & 0xff)) * (signs & (1 << j) ? -1 : 1);
      }
    }
  }
};

/**
 * IQ2_S (dequantize_row_iq2_s; 82 bytes: f16 d, qs[32], signs[32], qh[8], scales[8]): 32 groups of 8
 * values. Group g = 4·ib + l (sub-block ib = 0..7, l = 0..3): the 8 bytes of iq2s_grid[qs[g] | (bits
 * 2l, 2l + 1 of qh[ib]) << 8], value j negated when bit j of signs[g] is set, times dl = d·(0.5 + s)·0.25
 * with s the low (l < 2) or high nibble of scales[ib]. Exact in f32 (dl ≤ 16 significant bits, grid
 * values 8, 25, 43).
 */
const rowIQ2_S: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 82) {
    const d = h16(b, off);
    for (let ib = 0; ib < 8; ib++) {
      const sc = b[off + 74 + ib];
      const db = [fr(fr(d * fr(0.5 + (sc & 0xf))) * 0.25), fr(fr(d * fr(0.5 + (sc >> 4))) * 0.25)];
      const qh = b[off + 66 + ib];
      for (let l = 0; l < 4; l++, yo += 8) {
        const g = 4 * ib + l;
        const idx = b[off + 2 + g] | (((qh >> (2 * l)) & 3) << 8);
        const signs = b[off + 34 + g];
        for (let j = 0; j < 8; j++) {
          const v = (IQ2S_GRID[2 * idx + (j >> 2)] >>> (8 * (j & 3))) & 0xff;
          y[yo + j] = fr(db[l >> 1] * v) * (signs & (1 << j) ? -1 : 1);
        }
      }
    }
  }
};

/** Value j (0..7) of entry idx of an 8-value grid stored as u32 pairs. */
const grid8 = (g: Uint32Array, idx: number, j: number): number => (g[2 * idx + (j >> 2)] >>> (8 * (j & 3))) & 0xff;

/**
 * IQ2_XXS (dequantize_row_iq2_xxs; 66 bytes: f16 d, 8 × (u32 a, u32 b) at 2): sub-block ib's groups
 * l = 0..3 of 8 values are iq2xxs_grid[byte l of a] with signs ksigns_iq2xs[(b >> 7l) & 127], times
 * db = d·(0.5 + b >> 28)·0.25. Exact in f32.
 */
const rowIQ2_XXS: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 66) {
    const d = h16(b, off);
    for (let ib = 0; ib < 8; ib++) {
      const o = off + 2 + 8 * ib;
      const aux1 = (b[o + 4] | (b[o + 5] << 8) | (b[o + 6] << 16) | (b[o + 7] << 24)) >>> 0;
      const db = fr(fr(d * fr(0.5 + (aux1 >>> 28))) * 0.25);
      for (let l = 0; l < 4; l++, yo += 8) {
        const signs = KSIGNS_IQ2XS[(aux1 >>> (7 * l)) & 127];
        for (let j = 0; j < 8; j++) y[yo + j] = fr(db * grid8(IQ2XXS_GRID, b[o + l], j)) * (signs & (1 << j) ? -1 : 1);
      }
    }
  }
};

/**
 * IQ2_XS (dequantize_row_iq2_xs; 74 bytes: f16 d, qs u16[32] at 2, scales[8] at 66): group g = 4ib + l
 * is iq2xs_grid[qs[g] & 511] with signs ksigns_iq2xs[qs[g] >> 9], times d·(0.5 + s)·0.25 with s the low
 * (l < 2) or high nibble of scales[ib]. Exact in f32.
 */
const rowIQ2_XS: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 74) {
    const d = h16(b, off);
    for (let ib = 0; ib < 8; ib++) {
      const sc = b[off + 66 + ib];
      const db = [fr(fr(d * fr(0.5 + (sc & 0xf))) * 0.25), fr(fr(d * fr(0.5 + (sc >> 4))) * 0.25)];
      for (let l = 0; l < 4; l++, yo += 8) {
        const q = b[off + 2 + 2 * (4 * ib + l)] | (b[off + 3 + 2 * (4 * ib + l)] << 8);
        const signs = KSIGNS_IQ2XS[q >> 9];
        for (let j = 0; j < 8; j++) y[yo + j] = fr(db[l >> 1] * grid8(IQ2XS_GRID, q & 511, j)) * (signs & (1 << j) ? -1 : 1);
      }
    }
  }
};

/** ggml-common.h IQ1S_DELTA (IQ1M_DELTA is the same 0.125): the shift of every IQ1 grid value. */
export const IQ1_DELTA = 0.125;

/** Value j (0..7) of iq1s_grid entry idx as -1, 0 or +1 (int8 bytes 0xff, 0x00, 0x01). */
const grid1 = (idx: number, j: number): number => ((IQ1S_GRID[2 * idx + (j >> 2)] >>> (8 * (j & 3))) << 24) >> 24;

/**
 * IQ1_S (dequantize_row_iq1_s; 50 bytes: f16 d, qs[32] at 2, qh u16[8] at 34): sub-block ib's qh word
 * holds four 3-bit high index parts (bits 3l..3l+2 for group l), a 3-bit scale s (bits 12..14) and the
 * delta's sign (bit 15); group g = 4ib + l is iq1s_grid[qs[g] | high << 8], value
 * dl·(grid + delta), dl = d·(2s + 1), delta = ∓0.125. Exact in f32 (11 + 4 and 4 significant bits).
 */
const rowIQ1_S: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 50) {
    const d = h16(b, off);
    for (let ib = 0; ib < 8; ib++) {
      const qh = b[off + 34 + 2 * ib] | (b[off + 35 + 2 * ib] << 8);
      const dl = fr(d * (2 * ((qh >> 12) & 7) + 1));
      const delta = qh & 0x8000 ? -IQ1_DELTA : IQ1_DELTA;
      for (let l = 0; l < 4; l++, yo += 8) {
        const idx = b[off + 2 + 4 * ib + l] | (((qh >> (3 * l)) & 7) << 8);
        for (let j = 0; j < 8; j++) y[yo + j] = fr(dl * (grid1(idx, j) + delta));
      }
    }
  }
};

/** IQ1_M's f16 d: the top nibbles of its four u16 scale words (word k holds bits 4k..4k+3). */
export function iq1mD(b: Uint8Array, off: number): number {
  let u = 0;
  for (let k = 0; k < 4; k++) u |= (b[off + 49 + 2 * k] >> 4) << (4 * k);
  return fromF16Bits(u);
}

/**
 * IQ1_M (dequantize_row_iq1_m; 56 bytes: qs[32] at 0, qh[16] at 32, scales u16[4] at 48): group
 * g = 4ib + l is iq1s_grid[qs[g] | (nibble l of qh[2ib..2ib+1]) & 7 << 8], delta ∓0.125 by that
 * nibble's bit 3; a 3-bit scale per 16 values (scale j = bits 3(j & 3).. of word j >> 2), dl = d·(2s + 1)
 * with d the f16 spread over the words' top nibbles (iq1mD). Exact in f32.
 */
const rowIQ1_M: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 56) {
    const d = iq1mD(b, off);
    for (let ib = 0; ib < 8; ib++) {
      const sc = b[off + 48 + 2 * (ib >> 1)] | (b[off + 49 + 2 * (ib >> 1)] << 8);
      for (let l = 0; l < 4; l++, yo += 8) {
        const s = (sc >> (6 * (ib & 1) + 3 * (l >> 1))) & 7;
        const dl = fr(d * (2 * s + 1));
        const h = (b[off + 32 + 2 * ib + (l >> 1)] >> (4 * (l & 1))) & 15;
        const idx = b[off + 4 * ib + l] | ((h & 7) << 8);
        const delta = h & 8 ? -IQ1_DELTA : IQ1_DELTA;
        for (let j = 0; j < 8; j++) y[yo + j] = fr(dl * (grid1(idx, j) + delta));
      }
    }
  }
};

/**
 * IQ4_XS (dequantize_row_iq4_xs): 256 values in 8 sub-blocks of 32, each IQ4_NL's nibble layout
 * (low nibbles the first 16 values, high nibbles the next 16) with its own scale dl = d·(ls − 32)
 * (exact in f32: 11 × 6 significant bits); value dl·kvalues_iq4nl[nibble], one rounding.
 */
const rowIQ4_XS: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 136) {
    const d = h16(b, off);
    for (let ib = 0; ib < 8; ib++, yo += 32) {
      const dl = fr(d * (iq4xsScale(b, off, ib) - 32));
      const q = off + 8 + 16 * ib;
      for (let j = 0; j < 16; j++) {
        y[yo + j] = dl * KVALUES_IQ4NL[b[q + j] & 0x0f];
        y[yo + j + 16] = dl * KVALUES_IQ4NL[b[q + j] >> 4];
      }
    }
  }
};

const rowQ2_K: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 84) {
    const d = h16(b, off + 80);
    const min = h16(b, off + 82);
    let q = off + 16;
    let is = 0;
    for (let n = 0; n < QK_K; n += 128) {
      for (let shift = 0; shift < 8; shift += 2) {
        for (let half = 0; half < 32; half += 16) {
          const sc = b[off + is++];
          const dl = fr(d * (sc & 0xf));
          const ml = fr(min * (sc >> 4));
          for (let l = 0; l < 16; l++) y[yo++] = fr(dl * ((b[q + half + l] >> shift) & 3)) - ml;
        }
      }
      q += 32;
    }
  }
};

/** Unpack Q3_K's 12 bytes of 6-bit scales into 16 signed values (the aux[] dance in C). */
export function q3kScales(b: Uint8Array, o: number, out: Int32Array): void {
  for (let j = 0; j < 16; j++) {
    const low = j < 8 ? (b[o + (j & 7)] >> 0) & 0xf : (b[o + (j & 7)] >> 4) & 0xf;
    const high = (b[o + 8 + (j & 3)] >> (2 * (j >> 2))) & 3;
    out[j] = (low | (high << 4)) - 32;
  }
}

const q3scratch = new Int32Array(16);
const rowQ3_K: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 110) {
    const dAll = h16(b, off + 108);
    q3kScales(b, off + 96, q3scratch);
    let q = off + 32;
    let m = 1;
    let is = 0;
    for (let n = 0; n < QK_K; n += 128) {
      for (let shift = 0; shift < 8; shift += 2) {
        for (let half = 0; half < 32; half += 16) {
          const dl = fr(dAll * q3scratch[is++]);
          for (let l = 0; l < 16; l++) {
            const qv = ((b[q + half + l] >> shift) & 3) - (b[off + half + l] & m ? 0 : 4);
            y[yo++] = dl * qv;
          }
        }
        m <<= 1;
      }
      q += 32;
    }
  }
};

/** get_scale_min_k4: 6-bit scale and min j (0..7) of a Q4_K/Q5_K block's 12 scale bytes at o. */
export function scaleMinK4(b: Uint8Array, o: number, j: number): [number, number] {
  if (j < 4) return [b[o + j] & 63, b[o + j + 4] & 63];
  return [(b[o + j + 4] & 0xf) | ((b[o + j - 4] >> 6) << 4), (b[o + j + 4] >> 4) | ((b[o + j] >> 6) << 4)];
}

const rowQ4_K: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 144) {
    const d = h16(b, off);
    const min = h16(b, off + 2);
    let q = off + 16;
    for (let j = 0, is = 0; j < QK_K; j += 64, is += 2, q += 32) {
      const [sc1, m1s] = scaleMinK4(b, off + 4, is);
      const [sc2, m2s] = scaleMinK4(b, off + 4, is + 1);
      const d1 = fr(d * sc1), m1 = fr(min * m1s);
      const d2 = fr(d * sc2), m2 = fr(min * m2s);
      for (let l = 0; l < 32; l++) y[yo++] = fr(d1 * (b[q + l] & 0xf)) - m1;
      for (let l = 0; l < 32; l++) y[yo++] = fr(d2 * (b[q + l] >> 4)) - m2;
    }
  }
};

const rowQ5_K: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 176) {
    const d = h16(b, off);
    const min = h16(b, off + 2);
    const qh = off + 16;
    let ql = off + 48;
    let u1 = 1, u2 = 2;
    for (let j = 0, is = 0; j < QK_K; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
      const [sc1, m1s] = scaleMinK4(b, off + 4, is);
      const [sc2, m2s] = scaleMinK4(b, off + 4, is + 1);
      const d1 = fr(d * sc1), m1 = fr(min * m1s);
      const d2 = fr(d * sc2), m2 = fr(min * m2s);
      for (let l = 0; l < 32; l++) y[yo++] = fr(d1 * ((b[ql + l] & 0xf) + (b[qh + l] & u1 ? 16 : 0))) - m1;
      for (let l = 0; l < 32; l++) y[yo++] = fr(d2 * ((b[ql + l] >> 4) + (b[qh + l] & u2 ? 16 : 0))) - m2;
    }
  }
};

const rowQ6_K: Row = (b, off, nb, y, yo) => {
  for (let i = 0; i < nb; i++, off += 210) {
    const d = h16(b, off + 208);
    let ql = off, qh = off + 128, sc = off + 192;
    for (let n = 0; n < QK_K; n += 128, yo += 128, ql += 64, qh += 32, sc += 8) {
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = b[qh + l];
        const q1 = ((b[ql + l] & 0xf) | ((h & 3) << 4)) - 32;
        const q2 = ((b[ql + l + 32] & 0xf) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((b[ql + l] >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((b[ql + l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32;
        y[yo + l] = fr(d * i8(b[sc + is])) * q1;
        y[yo + l + 32] = fr(d * i8(b[sc + is + 2])) * q2;
        y[yo + l + 64] = fr(d * i8(b[sc + is + 4])) * q3;
        y[yo + l + 96] = fr(d * i8(b[sc + is + 6])) * q4;
      }
    }
  }
};

const rowF32: Row = (b, off, n, y, yo) => {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < n; i++) y[yo + i] = dv.getFloat32(off + 4 * i, true);
};
const rowF16: Row = (b, off, n, y, yo) => {
  for (let i = 0; i < n; i++) y[yo + i] = h16(b, off + 2 * i);
};
const rowBF16: Row = (b, off, n, y, yo) => {
  const u = new Uint32Array(1);
  const f = new Float32Array(u.buffer);
  for (let i = 0; i < n; i++) {
    u[0] = (b[off + 2 * i] | (b[off + 2 * i + 1] << 8)) << 16;
    y[yo + i] = f[0];
  }
};

const ROWS: Record<string, Row> = {
  F32: rowF32, F16: rowF16, BF16: rowBF16, Q8_0: rowQ8_0, Q4_0: rowQ4_0, Q4_1: rowQ4_1, Q5_0: rowQ5_0, Q5_1: rowQ5_1,
  IQ4_NL: rowIQ4_NL, IQ4_XS: rowIQ4_XS, IQ3_XXS: rowIQ3_XXS, IQ3_S: rowIQ3_S, IQ2_S: rowIQ2_S, IQ2_XXS: rowIQ2_XXS, IQ2_XS: rowIQ2_XS, IQ1_S: rowIQ1_S, IQ1_M: rowIQ1_M,
  Q2_K: rowQ2_K, Q3_K: rowQ3_K, Q4_K: rowQ4_K, Q5_K: rowQ5_K, Q6_K: rowQ6_K,
};

export function canDequantize(type: GgmlTypeInfo | string): boolean {
  return (typeof type === 'string' ? type : type.name) in ROWS;
}

/**
 * Dequantize `n` elements (a multiple of the block size) starting at byte `off` of `src` into
 * `out` at `outOffset`. `src` holds raw GGML blocks exactly as in a GGUF file.
 */
export function dequantize(type: GgmlTypeInfo | string, src: Uint8Array, n: number, out = new Float32Array(n), outOffset = 0, off = 0): Float32Array {
  const t = typeof type === 'string' ? ggmlTypeByName(type) : type;
  const row = ROWS[t.name];
  if (!row) throw new SparrowError('UNSUPPORTED', `dequantize: ggml type ${t.name} is not supported (${Object.keys(ROWS).join(', ')} are)`, { ggmlType: t.name });
  if (n % t.blockSize !== 0) throw new SparrowError('SHAPE_MISMATCH', `dequantize: ${n} elements is not a multiple of the ${t.name} block size ${t.blockSize}`, { ggmlType: t.name });
  const blocks = n / t.blockSize;
  if (off + blocks * t.typeSize > src.length || outOffset + n > out.length) {
    throw new SparrowError('INDEX_OUT_OF_RANGE', `dequantize: ${n} ${t.name} elements need ${blocks * t.typeSize} bytes at ${off} (have ${src.length}) and ${n} outputs at ${outOffset} (have ${out.length})`, { ggmlType: t.name });
  }
  row(src, off, t.blockSize === 1 ? n : blocks, out, outOffset);
  return out;
}

// ---- quantizers (quantize_row_*_ref) ---------------------------------------------------------

/** C roundf: half away from zero. */
const roundf = (x: number): number => (x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5));

export function quantizeQ8_0(x: ArrayLike<number>): Uint8Array {
  if (x.length % 32 !== 0) throw new SparrowError('SHAPE_MISMATCH', `quantizeQ8_0: ${x.length} values is not a multiple of 32`);
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 34);
  for (let i = 0; i < nb; i++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(fr(x[i * 32 + j])));
    const d = fr(amax / 127);
    const id = d ? fr(1 / d) : 0;
    const h = toF16Bits(d);
    out[i * 34] = h & 0xff;
    out[i * 34 + 1] = h >> 8;
    for (let j = 0; j < 32; j++) out[i * 34 + 2 + j] = roundf(fr(fr(x[i * 32 + j]) * id)) & 0xff;
  }
  return out;
}

/** The first of x[o … o + n) with the largest |x| (f32), signed — the `max` of quantize_row_q4_0_ref / _q5_0_ref. */
function firstAbsMax(x: ArrayLike<number>, o: number, n: number): number {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < n; j++) {
    const v = fr(x[o + j]);
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  return max;
}

export function quantizeQ4_0(x: ArrayLike<number>): Uint8Array {
  if (x.length % 32 !== 0) throw new SparrowError('SHAPE_MISMATCH', `quantizeQ4_0: ${x.length} values is not a multiple of 32`);
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 18);
  for (let i = 0; i < nb; i++) {
    const max = firstAbsMax(x, i * 32, 32);
    const d = fr(max / -8);
    const id = d ? fr(1 / d) : 0;
    const h = toF16Bits(d);
    out[i * 18] = h & 0xff;
    out[i * 18 + 1] = h >> 8;
    for (let j = 0; j < 16; j++) {
      const x0 = fr(fr(x[i * 32 + j]) * id);
      const x1 = fr(fr(x[i * 32 + 16 + j]) * id);
      const xi0 = Math.min(15, Math.trunc(fr(x0 + 8.5)));
      const xi1 = Math.min(15, Math.trunc(fr(x1 + 8.5)));
      out[i * 18 + 2 + j] = xi0 | (xi1 << 4);
    }
  }
  return out;
}

/**
 * quantize_row_q5_0_ref: d = max / −16 (max = the first value of largest |x|), q = min(31,
 * (int8)(x/d + 16.5)) — the low nibbles as Q4_0's, the fifth bits into the u32 qh (bit j for value j).
 */
export function quantizeQ5_0(x: ArrayLike<number>): Uint8Array {
  if (x.length % 32 !== 0) throw new SparrowError('SHAPE_MISMATCH', `quantizeQ5_0: ${x.length} values is not a multiple of 32`);
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 22);
  for (let i = 0; i < nb; i++) {
    const max = firstAbsMax(x, i * 32, 32);
    const d = fr(max / -16);
    const id = d ? fr(1 / d) : 0;
    const h = toF16Bits(d);
    const o = i * 22;
    out[o] = h & 0xff;
    out[o + 1] = h >> 8;
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const xi0 = Math.min(31, Math.trunc(fr(fr(fr(x[i * 32 + j]) * id) + 16.5)));
      const xi1 = Math.min(31, Math.trunc(fr(fr(fr(x[i * 32 + 16 + j]) * id) + 16.5)));
      out[o + 6 + j] = (xi0 & 0xf) | ((xi1 & 0xf) << 4);
      qh |= ((xi0 >> 4) << j) | ((xi1 >> 4) << (j + 16));
    }
    out[o + 2] = qh & 0xff;
    out[o + 3] = (qh >>> 8) & 0xff;
    out[o + 4] = (qh >>> 16) & 0xff;
    out[o + 5] = (qh >>> 24) & 0xff;
  }
  return out;
}

const FLT_MAX = 3.4028234663852886e38;

/** quantize_row_q4_1_ref / quantize_row_q5_1_ref: d = (max − min)/(2^bits − 1), m = min, q = ⌊(x − min)/d + ½⌋. */
function quantizeMinScale(x: ArrayLike<number>, bits: 4 | 5): Uint8Array {
  const size = bits === 4 ? 20 : 24;
  const name = bits === 4 ? 'quantizeQ4_1' : 'quantizeQ5_1';
  if (x.length % 32 !== 0) throw new SparrowError('SHAPE_MISMATCH', `${name}: ${x.length} values is not a multiple of 32`);
  const nb = x.length / 32;
  const out = new Uint8Array(nb * size);
  for (let i = 0; i < nb; i++) {
    const o = i * size;
    let min = FLT_MAX;
    let max = -FLT_MAX;
    for (let j = 0; j < 32; j++) {
      const v = fr(x[i * 32 + j]);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    // d and id stay float32: the stored halves are rounded from them, the levels are not
    const d = fr(fr(max - min) / ((1 << bits) - 1));
    const id = d ? fr(1 / d) : 0;
    setHalf(out, o, d);
    setHalf(out, o + 2, min);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = fr(fr(fr(x[i * 32 + j]) - min) * id);
      const x1 = fr(fr(fr(x[i * 32 + 16 + j]) - min) * id);
      // Q4_1: MIN(15, (int8_t)(x + 0.5f)); Q5_1: (uint8_t)(x + 0.5f), no clamp (x ≤ 31 + a few ulps)
      const xi0 = bits === 4 ? Math.min(15, Math.trunc(fr(x0 + 0.5))) : Math.trunc(fr(x0 + 0.5)) & 0xff;
      const xi1 = bits === 4 ? Math.min(15, Math.trunc(fr(x1 + 0.5))) : Math.trunc(fr(x1 + 0.5)) & 0xff;
      out[o + size - 16 + j] = (xi0 & 0x0f) | ((xi1 & 0x0f) << 4);
      if (bits === 5) qh |= (((xi0 & 0x10) >> 4) << j) | (((xi1 & 0x10) >> 4) << (j + 16));
    }
    if (bits === 5) {
      out[o + 4] = qh & 0xff;
      out[o + 5] = (qh >>> 8) & 0xff;
      out[o + 6] = (qh >>> 16) & 0xff;
      out[o + 7] = (qh >>> 24) & 0xff;
    }
  }
  return out;
}

/** quantize_row_q4_1_ref: 20-byte blocks {f16 d, f16 m, 16 nibble bytes}. */
export function quantizeQ4_1(x: ArrayLike<number>): Uint8Array {
  return quantizeMinScale(x, 4);
}

/** quantize_row_q5_1_ref: 24-byte blocks {f16 d, f16 m, u32 qh (5th bits), 16 nibble bytes}. */
export function quantizeQ5_1(x: ArrayLike<number>): Uint8Array {
  return quantizeMinScale(x, 5);
}

/**
 * best_index_int8(16, kvalues_iq4nl, x): the index of the level nearest x (binary search; a tie
 * goes to the upper level), float32 differences as in C.
 */
export function bestIndexIQ4(x: number): number {
  const val = KVALUES_IQ4NL;
  if (x <= val[0]) return 0;
  if (x >= val[15]) return 15;
  let ml = 0, mu = 15;
  while (mu - ml > 1) {
    const mav = (ml + mu) >> 1;
    if (x < val[mav]) mu = mav;
    else ml = mav;
  }
  return fr(x - val[mu - 1]) < fr(val[mu] - x) ? mu - 1 : mu;
}

/**
 * One block_size-32 group of quantize_row_iq4_nl_impl without quant_weights: weights x², a first
 * scale max/127, then the scales (t − 127)/max for t ∈ [−ntry, ntry] (negative: the largest value
 * goes to −127), keeping the least-squares scale Σwqx/Σwq² with the largest (Σwqx)²/Σwq². Writes
 * the first pass's levels to L[lo…] (left as they were when the group is all below GROUP_MAX_EPS,
 * as the C `continue` does) and returns the scale (0 for such a group).
 */
function iq4GroupScale(x: Float32Array, xo: number, weight: Float32Array, L: Uint8Array, lo: number, ntry: number): number {
  const K = KVALUES_IQ4NL;
  for (let j = 0; j < 32; j++) weight[j] = fr(x[xo + j] * x[xo + j]);
  let amax = 0, max = 0;
  for (let j = 0; j < 32; j++) {
    const ax = Math.abs(x[xo + j]);
    if (ax > amax) {
      amax = ax;
      max = x[xo + j];
    }
  }
  if (amax < GROUP_MAX_EPS) return 0;
  let d = ntry > 0 ? fr(-max / K[0]) : fr(max / K[0]);
  let id = fr(1 / d);
  let sumqx = 0, sumq2 = 0;
  for (let j = 0; j < 32; j++) {
    const l = bestIndexIQ4(fr(id * x[xo + j]));
    L[lo + j] = l;
    const q = K[l], w = weight[j];
    sumqx = fr(sumqx + fr(fr(w * q) * x[xo + j]));
    sumq2 = fr(sumq2 + fr(fr(w * q) * q));
  }
  d = fr(sumqx / sumq2);
  let best = fr(d * sumqx);
  for (let itry = -ntry; itry <= ntry; itry++) {
    id = fr((itry + K[0]) / max);
    sumqx = sumq2 = 0;
    for (let j = 0; j < 32; j++) {
      const q = K[bestIndexIQ4(fr(id * x[xo + j]))], w = weight[j];
      sumqx = fr(sumqx + fr(fr(w * q) * x[xo + j]));
      sumq2 = fr(sumq2 + fr(fr(w * q) * q));
    }
    if (sumq2 > 0 && fr(sumqx * sumqx) > fr(best * sumq2)) {
      d = fr(sumqx / sumq2);
      best = fr(d * sumqx);
    }
  }
  return d;
}

/**
 * IQ4_NL: quantize_row_iq4_nl_impl(32, 32, x, …, kvalues_iq4nl, quant_weights = NULL, ntry) per block.
 * ntry = 7 is quantize_iq4_nl (what llama-quantize writes, here without an importance matrix): the
 * group search of iq4GroupScale, and finally every value to its nearest level at that scale.
 * ntry = −1 is quantize_row_iq4_nl_ref (one pass at −max/127, levels not recomputed).
 */
export function quantizeIQ4_NL(xs: ArrayLike<number>, ntry = 7): Uint8Array {
  if (xs.length % 32 !== 0) throw new SparrowError('SHAPE_MISMATCH', `quantizeIQ4_NL: ${xs.length} values is not a multiple of 32`);
  const x = Float32Array.from(xs);
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 18);
  const L = new Uint8Array(32); // reused across blocks, as the C caller's L[]
  const weight = new Float32Array(32);
  for (let i = 0; i < nb; i++) {
    const xo = i * 32, o = i * 18;
    const scale = iq4GroupScale(x, xo, weight, L, 0, ntry);
    setHalf(out, o, scale);
    if (ntry > 0) {
      const id = scale ? fr(1 / scale) : 0;
      for (let j = 0; j < 32; j++) L[j] = bestIndexIQ4(fr(id * x[xo + j]));
    }
    for (let j = 0; j < 16; j++) out[o + 2 + j] = L[j] | (L[j + 16] << 4);
  }
  return out;
}

/**
 * IQ4_XS: quantize_iq4_xs without an importance matrix (quantize_row_iq4_nl_impl(256, 32, …, ntry 7)
 * per super-block, which quantize_row_iq4_xs_ref also is): each group of 32 gets iq4GroupScale's
 * scale; the super-block scale is d = −max/32 for the group scale max of largest magnitude (the f16
 * d stored, the float32 d used below); each group's scale is l = nearest_int(scale/d) clamped to
 * [−32, 31] (stored as l + 32) and its values go to the nearest level at dl = d·l (float32).
 */
export function quantizeIQ4_XS(xs: ArrayLike<number>): Uint8Array {
  if (xs.length % QK_K !== 0) throw new SparrowError('SHAPE_MISMATCH', `quantizeIQ4_XS: ${xs.length} values is not a multiple of ${QK_K}`);
  const x = Float32Array.from(xs);
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * 136);
  const L = new Uint8Array(QK_K); // reused across super-blocks, as the C caller's L[]
  const weight = new Float32Array(32);
  const scales = new Float32Array(8);
  for (let i = 0; i < nb; i++) {
    const xo = i * QK_K, o = i * 136;
    let maxScale = 0, amaxScale = 0;
    for (let ib = 0; ib < 8; ib++) {
      const d = iq4GroupScale(x, xo + 32 * ib, weight, L, 32 * ib, 7);
      scales[ib] = d;
      if (Math.abs(d) > amaxScale) {
        amaxScale = Math.abs(d);
        maxScale = d;
      }
    }
    const d = fr(-maxScale / 32);
    setHalf(out, o, d);
    const id = d ? fr(1 / d) : 0;
    let sh = 0;
    for (let ib = 0; ib < 8; ib++) {
      let l = nearestInt(fr(id * scales[ib]));
      l = Math.max(-32, Math.min(31, l));
      const dl = fr(d * l);
      const idl = dl ? fr(1 / dl) : 0;
      for (let j = 0; j < 32; j++) L[32 * ib + j] = bestIndexIQ4(fr(idl * x[xo + 32 * ib + j]));
      l += 32;
      out[o + 4 + (ib >> 1)] |= (l & 0xf) << (4 * (ib & 1));
      sh |= (l >> 4) << (2 * ib);
    }
    out[o + 2] = sh & 0xff;
    out[o + 3] = sh >> 8;
    for (let ib = 0; ib < 8; ib++) {
      for (let j = 0; j < 16; j++) out[o + 8 + 16 * ib + j] = L[32 * ib + j] | (L[32 * ib + 16 + j] << 4);
    }
  }
  return out;
}

/** GGML f16 row (raw bytes) from float values, as the F16 GGUF type stores it. */
export function encodeF16(x: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(x.length * 2);
  for (let i = 0; i < x.length; i++) {
    const h = toF16Bits(x[i]);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >> 8;
  }
  return out;
}

// ---- k-quant quantizers (quantize_row_q6_K_ref / quantize_row_q4_K_ref, no importance matrix) ----
// Float steps are rounded to float32 like the C code; llama.cpp builds may contract a·b + c into
// FMAs, so results can differ from a given llama-quantize binary in the last bit of a scale.

const f32b = new Float32Array(1);
const i32b = new Int32Array(f32b.buffer);
/** llama.cpp nearest_int: round half to even via the 1.5·2^23 trick (|v| < 2^22). */
function nearestInt(v: number): number {
  f32b[0] = fr(v) + 12582912;
  return (i32b[0] & 0x007fffff) - 0x00400000;
}
const GROUP_MAX_EPS = 1e-15;

/** make_qx_quants(n, nmax, x, L, rmse_type = 1, qw = NULL): signed levels L ∈ [0, 2·nmax), returns the scale. */
function makeQxQuants(n: number, nmax: number, x: Float32Array, xo: number, L: Uint8Array, lo: number): number {
  let max = 0, amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]);
    if (ax > amax) {
      amax = ax;
      max = x[xo + i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    L.fill(0, lo, lo + n);
    return 0;
  }
  let iscale = fr(-nmax / max);
  let sumlx = 0, suml2 = 0;
  for (let i = 0; i < n; i++) {
    const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(fr(iscale * x[xo + i]))));
    L[lo + i] = l + nmax;
    const w = fr(x[xo + i] * x[xo + i]);
    sumlx = fr(sumlx + fr(fr(w * x[xo + i]) * l));
    suml2 = fr(suml2 + fr(fr(w * l) * l));
  }
  let scale = suml2 ? fr(sumlx / suml2) : 0;
  let best = fr(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = fr(-fr(nmax + fr(0.1 * is)) / max);
    sumlx = suml2 = 0;
    for (let i = 0; i < n; i++) {
      const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(fr(iscale * x[xo + i]))));
      const w = fr(x[xo + i] * x[xo + i]);
      sumlx = fr(sumlx + fr(fr(w * x[xo + i]) * l));
      suml2 = fr(suml2 + fr(fr(w * l) * l));
    }
    if (suml2 > 0 && fr(sumlx * sumlx) > fr(best * suml2)) {
      for (let i = 0; i < n; i++) L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(fr(iscale * x[xo + i]))));
      scale = fr(sumlx / suml2);
      best = fr(scale * sumlx);
    }
  }
  return scale;
}

function setHalf(out: Uint8Array, o: number, v: number): number {
  const h = toF16Bits(v);
  out[o] = h & 0xff;
  out[o + 1] = h >> 8;
  return fromF16Bits(h);
}

export function quantizeQ6_K(xs: ArrayLike<number>): Uint8Array {
  if (xs.length % QK_K !== 0) throw new SparrowError('SHAPE_MISMATCH', `quantizeQ6_K: ${xs.length} values is not a multiple of ${QK_K}`);
  const x = Float32Array.from(xs);
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * 210);
  const L = new Uint8Array(QK_K);
  const scales = new Float32Array(16);
  for (let i = 0; i < nb; i++) {
    const xo = i * QK_K, y = i * 210;
    let maxScale = 0, maxAbs = 0;
    for (let ib = 0; ib < 16; ib++) {
      const s = makeQxQuants(16, 32, x, xo + 16 * ib, L, 16 * ib);
      scales[ib] = s;
      if (Math.abs(s) > maxAbs) {
        maxAbs = Math.abs(s);
        maxScale = s;
      }
    }
    if (maxAbs < GROUP_MAX_EPS) continue; // all-zero block (d = 0)
    const iscale = fr(-128 / maxScale);
    const d = setHalf(out, y + 208, fr(1 / iscale));
    for (let ib = 0; ib < 16; ib++) out[y + 192 + ib] = Math.min(127, nearestInt(fr(iscale * scales[ib]))) & 0xff;
    for (let j = 0; j < 16; j++) {
      const dj = fr(d * i8(out[y + 192 + j]));
      if (!dj) continue;
      for (let ii = 0; ii < 16; ii++) L[16 * j + ii] = Math.max(-32, Math.min(31, nearestInt(fr(x[xo + 16 * j + ii] / dj)))) + 32;
    }
    for (let j = 0, ql = y, qh = y + 128; j < QK_K; j += 128, ql += 64, qh += 32) {
      for (let l = 0; l < 32; l++) {
        const [a, b, c, e] = [L[j + l], L[j + l + 32], L[j + l + 64], L[j + l + 96]];
        out[ql + l] = (a & 0xf) | ((c & 0xf) << 4);
        out[ql + l + 32] = (b & 0xf) | ((e & 0xf) << 4);
        out[qh + l] = (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6);
      }
    }
  }
  return out;
}

/** make_qkx2_quants(n, nmax, x, w, L, &min, Laux, rmin = −1, rdelta = 0.1, nstep = 20, use_mad = false). */
function makeQkx2Quants(n: number, nmax: number, x: Float32Array, xo: number, w: Float32Array, L: Uint8Array, lo: number): [number, number] {
  let min = x[xo], max = x[xo];
  let sumW = w[0];
  let sumX = fr(sumW * x[xo]);
  for (let i = 1; i < n; i++) {
    if (x[xo + i] < min) min = x[xo + i];
    if (x[xo + i] > max) max = x[xo + i];
    sumW = fr(sumW + w[i]);
    sumX = fr(sumX + fr(w[i] * x[xo + i]));
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0, lo, lo + n);
    return [0, -min];
  }
  let iscale = fr(nmax / fr(max - min));
  let scale = fr(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = Math.max(0, Math.min(nmax, nearestInt(fr(iscale * fr(x[xo + i] - min)))));
    L[lo + i] = l;
    const diff = fr(fr(fr(scale * l) + min) - x[xo + i]);
    bestError = fr(bestError + fr(w[i] * fr(diff * diff)));
  }
  const aux = new Uint8Array(n);
  for (let is = 0; is <= 20; is++) {
    iscale = fr(fr(fr(-1 + fr(0.1 * is)) + nmax) / fr(max - min));
    let sumL = 0, sumL2 = 0, sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = Math.max(0, Math.min(nmax, nearestInt(fr(iscale * fr(x[xo + i] - min)))));
      aux[i] = l;
      sumL = fr(sumL + fr(w[i] * l));
      sumL2 = fr(sumL2 + fr(fr(w[i] * l) * l));
      sumXL = fr(sumXL + fr(fr(w[i] * l) * x[xo + i]));
    }
    const D = fr(fr(sumW * sumL2) - fr(sumL * sumL));
    if (D > 0) {
      let thisScale = fr(fr(fr(sumW * sumXL) - fr(sumX * sumL)) / D);
      let thisMin = fr(fr(fr(sumL2 * sumX) - fr(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = fr(sumXL / sumL2);
      }
      let cur = 0;
      for (let i = 0; i < n; i++) {
        const diff = fr(fr(fr(thisScale * aux[i]) + thisMin) - x[xo + i]);
        cur = fr(cur + fr(w[i] * fr(diff * diff)));
      }
      if (cur < bestError) {
        L.set(aux, lo);
        bestError = cur;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  return [scale, -min];
}

export function quantizeQ4_K(xs: ArrayLike<number>): Uint8Array {
  if (xs.length % QK_K !== 0) throw new SparrowError('SHAPE_MISMATCH', `quantizeQ4_K: ${xs.length} values is not a multiple of ${QK_K}`);
  const x = Float32Array.from(xs);
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * 144);
  const L = new Uint8Array(QK_K);
  const w = new Float32Array(32);
  const scales = new Float32Array(8);
  const mins = new Float32Array(8);
  for (let i = 0; i < nb; i++) {
    const xo = i * QK_K, y = i * 144;
    let maxScale = 0, maxMin = 0;
    for (let j = 0; j < 8; j++) {
      let sumX2 = 0;
      for (let l = 0; l < 32; l++) sumX2 = fr(sumX2 + fr(x[xo + 32 * j + l] * x[xo + 32 * j + l]));
      const avX = fr(Math.sqrt(fr(sumX2 / 32)));
      for (let l = 0; l < 32; l++) w[l] = fr(avX + Math.abs(x[xo + 32 * j + l]));
      [scales[j], mins[j]] = makeQkx2Quants(32, 15, x, xo + 32 * j, w, L, 32 * j);
      if (scales[j] > maxScale) maxScale = scales[j];
      if (mins[j] > maxMin) maxMin = mins[j];
    }
    const invScale = maxScale > 0 ? fr(63 / maxScale) : 0;
    const invMin = maxMin > 0 ? fr(63 / maxMin) : 0;
    const s = y + 4;
    for (let j = 0; j < 8; j++) {
      const ls = Math.min(63, nearestInt(fr(invScale * scales[j])) & 0xff);
      const lm = Math.min(63, nearestInt(fr(invMin * mins[j])) & 0xff);
      if (j < 4) {
        out[s + j] = ls;
        out[s + j + 4] = lm;
      } else {
        out[s + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
        out[s + j - 4] |= (ls >> 4) << 6;
        out[s + j] |= (lm >> 4) << 6;
      }
    }
    const d = setHalf(out, y, fr(maxScale / 63));
    const dmin = setHalf(out, y + 2, fr(maxMin / 63));
    for (let j = 0; j < 8; j++) {
      const [sc, m] = scaleMinK4(out, s, j);
      const dj = fr(d * sc);
      if (!dj) continue;
      const dm = fr(dmin * m);
      for (let ii = 0; ii < 32; ii++) L[32 * j + ii] = Math.max(0, Math.min(15, nearestInt(fr(fr(x[xo + 32 * j + ii] + dm) / dj))));
    }
    for (let j = 0, q = y + 16; j < QK_K; j += 64, q += 32) for (let l = 0; l < 32; l++) out[q + l] = L[j + l] | (L[j + l + 32] << 4);
  }
  return out;
}
