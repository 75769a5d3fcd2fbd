/**
 * The int8-activation decode path for k-quant and IQ4_XS weights (Q2_K…Q6_K, IQ4_XS; opt-in:
 * `int8Activations` on the reference and wasm backends), in plain TypeScript: the oracle of
 * assembly/quant.ts quantize_q8_k / matvec_q{2,3,4,5,6}_k_q8k / matvec_iq4_xs_q8k, which give the
 * same bits. (IQ4_XS's dot: dotIQ4XSQ8K below.)
 *
 * Semantics (llama.cpp's CPU decode of k-quant files, ggml-quants.c / arch quants.c):
 *
 * 1. x (K values, K a multiple of 256) → Q8_K blocks, quantize_row_q8_K_ref: per 256 values,
 *    max = the first value of largest |x| (signed), iscale = f32(−127 / max), q[j] =
 *    min(127, nearest_int(f32(iscale · x[j]))) with nearest_int rounding half to even,
 *    d = f32(1 / iscale) (so d < 0 when max > 0), bsums[i] = Σ of q over each 16 values. A block of
 *    zeros gets d = 0, q = 0, bsums = 0.
 * 2. Per weight row, f32 sumf = 0 and per super-block b (all products below are f32 products,
 *    the integer sums exact in i32):
 *    - Q4_K (ggml_vec_dot_q4_K_q8_K): sc[j], m[j] the 6-bit scales / mins (get_scale_min_k4),
 *      d = y.d · f16(x.d), dmin = y.d · f16(x.dmin),
 *      sumf −= dmin · f32(Σ_j m[j] · (bsums[2j] + bsums[2j+1]));
 *      sumf += d · f32(Σ_j sc[j] · Σ_{l<32} q4[32j+l] · q8[32j+l]).
 *    - Q6_K (ggml_vec_dot_q6_K_q8_K): d = y.d · f16(x.d),
 *      sumf += d · f32(Σ_{j<16} sc[j] · Σ_{l<16} (q6[16j+l] − 32) · q8[16j+l]).
 *    - Q5_K (ggml_vec_dot_q5_K_q8_K): as Q4_K with q5 = q4 | (bit j of qh[l]) << 4 (0..31), the
 *      same two steps per block in the same order (llama.cpp's wasm simd128 and NEON paths both).
 *    - Q3_K (ggml_vec_dot_q3_K_q8_K): sc[j] the 16 signed 6-bit scales (−32..31), q3 = (2 bits) − 4
 *      where the hmask bit is clear (−4..3), d = y.d · f16(x.d),
 *      sumf += d · f32(Σ_{j<16} sc[j] · Σ_{l<16} q3[16j+l] · q8[16j+l]) (NEON's "sum += d * isum").
 *    - Q2_K (ggml_vec_dot_q2_K_q8_K): sc[j] = scales[j] & 15, m[j] = scales[j] >> 4 per 16 values,
 *      dall = y.d · f16(x.d), dmin = y.d · f16(x.dmin),
 *      sumf += f32(dall · f32(Σ_j sc[j] · Σ_{l<16} q2·q8) − dmin · f32(Σ_j m[j] · bsums[j])): the one
 *      expression of llama.cpp's wasm simd128 (and generic) path, "sumf += dall * isum - dmin * summs"
 *      (NEON instead adds −dmin·summs and d·isum to sumf as two steps).
 *    This is the per-block order of llama.cpp's SIMD paths (NEON, wasm simd128 for Q4_K / Q5_K /
 *    Q2_K, s390x: "sumf += d * (sumi1 + sumi2)"). Its generic C path (and the wasm simd128 one for
 *    Q3_K / Q6_K) has the same integer sums but spreads d·aux32 over eight f32 lane accumulators
 *    (sums[8]) added at the end: a different f32 rounding only.
 *
 * Error against the exact f32 matvec: each q8 is off by at most |d|/2, |d| = max|x_block|/127,
 * so |y_int8 − y_exact| ≤ Σ_blocks (max|x_b| / 254) · Σ_{j∈b} |w_j| (plus f32 rounding).
 */
import { fromF16Bits } from '../../util/f16.ts';
import { KVALUES_IQ4NL, q3kScales, scaleMinK4 } from '../../formats/ggml-quants.ts';

const fr = Math.fround;
const h16 = (b: Uint8Array, o: number): number => fromF16Bits(b[o] | (b[o + 1] << 8));

/** x quantized to Q8_K: per block d, 256 q (block-major) and 16 bsums. */
export interface Q8K {
  d: Float32Array;
  qs: Int8Array;
  bsums: Int16Array;
}

/** quantize_row_q8_K_ref (see the module comment); x.length a multiple of 256. */
export function quantizeQ8K(x: ArrayLike<number>): Q8K {
  const nb = x.length / 256;
  const d = new Float32Array(nb);
  const qs = new Int8Array(nb * 256);
  const bsums = new Int16Array(nb * 16);
  for (let i = 0; i < nb; i++) {
    const o = i * 256;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 256; j++) {
      const ax = Math.abs(x[o + j]);
      if (ax > amax) {
        amax = ax;
        max = x[o + j];
      }
    }
    if (!amax) continue; // d, q and bsums stay 0
    const iscale = fr(-127 / fr(max));
    for (let j = 0; j < 256; j++) {
      // nearest_int: f32(v + 1.5·2^23) rounds v to an integer, half to even; the subtraction is exact
      const v = fr(fr(iscale * fr(x[o + j])) + 12582912) - 12582912;
      qs[o + j] = Math.min(127, v);
    }
    for (let g = 0; g < 16; g++) {
      let s = 0;
      for (let l = 0; l < 16; l++) s += qs[o + 16 * g + l];
      bsums[i * 16 + g] = s;
    }
    d[i] = fr(1 / iscale);
  }
  return { d, qs, bsums };
}

/**
 * ggml_vec_dot_q4_K_q8_K / ggml_vec_dot_q5_K_q8_K: one Q4_K (144-byte) or Q5_K (176-byte) row (nb
 * super-blocks from byte `off`) · y. Q5_K's values are Q4_K's nibbles (qs at byte 48 instead of 16)
 * with a fifth bit, bit j of qh[l] (byte 16 + l), and the same two steps per block in the same order.
 */
function dotQ45KQ8K(b: Uint8Array, off: number, nb: number, y: Q8K, q5: boolean): number {
  const [bytes, qs] = q5 ? [176, 48] : [144, 16];
  let sumf = 0;
  for (let i = 0; i < nb; i++, off += bytes) {
    const d = fr(y.d[i] * h16(b, off));
    const dmin = fr(y.d[i] * h16(b, off + 2));
    let smin = 0;
    let isum = 0;
    for (let j = 0; j < 8; j++) {
      const [sc, m] = scaleMinK4(b, off + 4, j);
      smin += m * (y.bsums[16 * i + 2 * j] + y.bsums[16 * i + 2 * j + 1]);
      // sub-block j: the low nibbles of bytes 32·(j>>1) .. +31 when j is even, the high ones when odd
      const q = off + qs + 32 * (j >> 1);
      const shift = (j & 1) * 4;
      let s = 0;
      for (let l = 0; l < 32; l++) {
        const fifth = q5 ? ((b[off + 16 + l] >> j) & 1) << 4 : 0;
        s += (((b[q + l] >> shift) & 0xf) | fifth) * y.qs[256 * i + 32 * j + l];
      }
      isum += sc * s;
    }
    sumf = fr(sumf - fr(dmin * fr(smin)));
    sumf = fr(sumf + fr(d * fr(isum)));
  }
  return sumf;
}

/** ggml_vec_dot_q4_K_q8_K: one Q4_K row (nb super-blocks from byte `off`) · y. */
export const dotQ4KQ8K = (b: Uint8Array, off: number, nb: number, y: Q8K): number => dotQ45KQ8K(b, off, nb, y, false);

/** ggml_vec_dot_q6_K_q8_K: one Q6_K row (nb super-blocks from byte `off`) · y. */
export function dotQ6KQ8K(b: Uint8Array, off: number, nb: number, y: Q8K): number {
  let sumf = 0;
  for (let i = 0; i < nb; i++, off += 210) {
    const d = fr(y.d[i] * h16(b, off + 208));
    let isum = 0;
    for (let n = 0; n < 2; n++) {
      const ql = off + 64 * n, qh = off + 128 + 32 * n, sc = off + 192 + 8 * n, yq = 256 * i + 128 * n;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = b[qh + l];
        const q1 = ((b[ql + l] & 0xf) | ((h & 3) << 4)) - 32;
        const q2 = ((b[ql + l + 32] & 0xf) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((b[ql + l] >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((b[ql + l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32;
        const s = (c: number) => (b[sc + c] << 24) >> 24;
        isum += s(is) * q1 * y.qs[yq + l] + s(is + 2) * q2 * y.qs[yq + l + 32] + s(is + 4) * q3 * y.qs[yq + l + 64] + s(is + 6) * q4 * y.qs[yq + l + 96];
      }
    }
    sumf = fr(sumf + fr(d * fr(isum)));
  }
  return sumf;
}

/** ggml_vec_dot_q5_K_q8_K: one Q5_K row (nb super-blocks from byte `off`) · y. */
export const dotQ5KQ8K = (b: Uint8Array, off: number, nb: number, y: Q8K): number => dotQ45KQ8K(b, off, nb, y, true);

/** ggml_vec_dot_q3_K_q8_K: one Q3_K row (nb super-blocks from byte `off`) · y. */
export function dotQ3KQ8K(b: Uint8Array, off: number, nb: number, y: Q8K): number {
  const sc = new Int32Array(16);
  let sumf = 0;
  for (let i = 0; i < nb; i++, off += 110) {
    const d = fr(y.d[i] * h16(b, off + 108));
    q3kScales(b, off + 96, sc);
    let isum = 0;
    // value e = 128n + 32j + l: bits 2j.. of qs[32n + l] (byte 32 + …), minus 4 unless bit 4n + j of hmask[l]
    for (let n = 0; n < 2; n++) {
      for (let j = 0; j < 4; j++) {
        for (let l = 0; l < 32; l++) {
          const e = 128 * n + 32 * j + l;
          const q = ((b[off + 32 + 32 * n + l] >> (2 * j)) & 3) - ((b[off + l] >> (4 * n + j)) & 1 ? 0 : 4);
          isum += sc[e >> 4] * q * y.qs[256 * i + e];
        }
      }
    }
    sumf = fr(sumf + fr(d * fr(isum)));
  }
  return sumf;
}

/** ggml_vec_dot_q2_K_q8_K: one Q2_K row (nb super-blocks from byte `off`) · y. */
export function dotQ2KQ8K(b: Uint8Array, off: number, nb: number, y: Q8K): number {
  let sumf = 0;
  for (let i = 0; i < nb; i++, off += 84) {
    const dall = fr(y.d[i] * h16(b, off + 80));
    const dmin = fr(y.d[i] * h16(b, off + 82));
    let summs = 0;
    for (let j = 0; j < 16; j++) summs += y.bsums[16 * i + j] * (b[off + j] >> 4);
    let isum = 0;
    // value e = 128n + 32j + l: bits 2j.. of qs[32n + l] (byte 16 + …), scale byte e >> 4
    for (let n = 0; n < 2; n++) {
      for (let j = 0; j < 4; j++) {
        for (let l = 0; l < 32; l++) {
          const e = 128 * n + 32 * j + l;
          isum += (b[off + (e >> 4)] & 0xf) * ((b[off + 16 + 32 * n + l] >> (2 * j)) & 3) * y.qs[256 * i + e];
        }
      }
    }
    sumf = fr(sumf + fr(fr(dall * fr(isum)) - fr(dmin * fr(summs))));
  }
  return sumf;
}

/**
 * ggml_vec_dot_iq4_xs_q8_K: one IQ4_XS row (nb super-blocks from byte `off`) · y. Sub-block ib's
 * scale ls = nibble ib%2 of scales_l[ib/2] | bits 2ib.. of scales_h << 4; values kvalues_iq4nl[nibble]
 * in Q4_0's layout; d4d8 = f16(x.d) · y.d, sumf += d4d8 · f32(Σ_ib (ls − 32) · Σ_{l<32} v·q8) (the
 * integer sum of the super-block, as llama.cpp's NEON / AVX2 paths; its generic C path scales each
 * pair of sub-blocks in f32).
 */
export function dotIQ4XSQ8K(b: Uint8Array, off: number, nb: number, y: Q8K): number {
  let sumf = 0;
  for (let i = 0; i < nb; i++, off += 136) {
    const d4d8 = fr(h16(b, off) * y.d[i]);
    const sh = b[off + 2] | (b[off + 3] << 8);
    let isum = 0;
    for (let ib = 0; ib < 8; ib++) {
      const ls = ((b[off + 4 + (ib >> 1)] >> (4 * (ib & 1))) & 0xf) | (((sh >> (2 * ib)) & 3) << 4);
      let s = 0;
      for (let l = 0; l < 16; l++) {
        const q = b[off + 8 + 16 * ib + l];
        s += KVALUES_IQ4NL[q & 0xf] * y.qs[256 * i + 32 * ib + l] + KVALUES_IQ4NL[q >> 4] * y.qs[256 * i + 32 * ib + 16 + l];
      }
      isum += (ls - 32) * s;
    }
    sumf = fr(sumf + fr(d4d8 * fr(isum)));
  }
  return sumf;
}

/** Weight dtypes with a Q8_K int8-activation decode path. */
export type Int8ActivationDType = 'q2_k' | 'q3_k' | 'q4_k' | 'q5_k' | 'q6_k' | 'iq4_xs';
export const INT8_ACTIVATION_DTYPES: ReadonlySet<string> = new Set<Int8ActivationDType>(['q2_k', 'q3_k', 'q4_k', 'q5_k', 'q6_k', 'iq4_xs']);

const Q8K_DOTS: Record<Int8ActivationDType, [number, typeof dotQ4KQ8K]> = {
  q2_k: [84, dotQ2KQ8K], q3_k: [110, dotQ3KQ8K], q4_k: [144, dotQ4KQ8K], q5_k: [176, dotQ5KQ8K], q6_k: [210, dotQ6KQ8K], iq4_xs: [136, dotIQ4XSQ8K],
};

/** out[m] = W[m, k] · x for a Q2_K…Q6_K or IQ4_XS W with x quantized to Q8_K (the module's semantics). */
export function matvecQ8K(dtype: Int8ActivationDType, w: Uint8Array, x: ArrayLike<number>, m: number, k: number, out: Float32Array): void {
  const y = quantizeQ8K(x);
  const nb = k / 256;
  const [bytes, dot] = Q8K_DOTS[dtype];
  for (let r = 0; r < m; r++) out[r] = dot(w, r * nb * bytes, nb, y);
}
