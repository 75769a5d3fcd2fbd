/**
 * The int8-activation decode path for the 32-value block types (Q8_0, Q4_0, Q5_0, Q4_1, Q5_1, IQ4_NL;
 * opt-in: `int8Activations` on the reference and wasm backends), in plain TypeScript: the oracle of
 * assembly/quant-q8.ts quantize_q8_32 / matvec_*_q8, which give the same bits. (The k-quants take
 * 256-value Q8_K blocks instead: ./q8k.ts.)
 *
 * Semantics (llama.cpp's CPU decode of these types: vec_dot_type Q8_0, and Q8_1 for Q4_1 / Q5_1):
 *
 * 1. x (K values, K a multiple of 32) → blocks of 32 (quantize_row_q8_0 / _q8_1): amax = max|x|,
 *    d = f32(amax / 127), id = d ? f32(1 / d) : 0, q[j] = round-half-even(f32(x[j] · id)) (|q| ≤ 127),
 *    stored scale dh = f16(d), Q8_1's sum s = f16(f32(d · Σq)). llama.cpp rounds differently per
 *    build: its C reference half away from zero, x86 / ARM half to even, the wasm SIMD build
 *    truncates toward zero; all keep the f16 scale. This is the x86 / ARM choice.
 * 2. Per weight row, f32 sumf = 0 and per block (dx = the weight block's f16 scale, sumi = Σ qw · q
 *    exact in integers, qw the block's integer values: Q8_0 q, Q4_0 nibble − 8, Q5_0 5-bit − 16,
 *    Q4_1 / Q5_1 unsigned 4- / 5-bit, IQ4_NL kvalues_iq4nl[nibble]):
 *    - p = f32(f32(dx · dh) · sumi)                     (ggml_vec_dot_q8_0_q8_0, q4_0, q5_0, iq4_nl)
 *    - p = f32(f32(f32(dx · dh) · sumi) + f32(mx · s))  (Q4_1 / Q5_1, mx the block's f16 min)
 *    - sumf = f32(sumf + p).
 *    llama.cpp's generic C path has the same form; its SIMD paths add p lane-wise and sum the lanes
 *    at the end (a different f32 rounding only).
 *
 * Error against the exact f32 matvec: each q is off by at most d/2 = amax/254 before the f16 scale
 * (relative error ≤ 2^-11 on every q·dh), so |y_int8 − y_exact| ≤ Σ_blocks (amax_b/254 + 2^-11 ·
 * amax_b) · Σ_{j∈b} |w_j| (plus f32 rounding).
 */
import { KVALUES_IQ4NL } from '../../formats/ggml-quants.ts';
import { f16round, fromF16Bits } from '../../util/f16.ts';

const fr = Math.fround;
const h16 = (b: Uint8Array, o: number): number => fromF16Bits(b[o] | (b[o + 1] << 8));

/** x quantized to 32-value blocks: per block the f16-rounded scale d and sum s, and 32 q (block-major). */
export interface Q8Blocks {
  d: Float32Array;
  s: Float32Array;
  qs: Int8Array;
}

/** f32 rounded to an integer, half to even (nearest_int's trick: v + 1.5·2^23 in f32, exact for |v| < 2^22). */
const roundEven = (v: number): number => fr(v + 12582912) - 12582912;

/** quantize_row_q8_0 / _q8_1 with round-half-even (see the module comment); x.length a multiple of 32. */
export function quantizeQ8Blocks(x: ArrayLike<number>): Q8Blocks {
  const nb = x.length / 32;
  const out: Q8Blocks = { d: new Float32Array(nb), s: new Float32Array(nb), qs: new Int8Array(nb * 32) };
  for (let i = 0; i < nb; i++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * i + j]));
    const d = fr(amax / 127);
    const id = d ? fr(1 / d) : 0;
    let sum = 0;
    for (let j = 0; j < 32; j++) {
      const q = roundEven(fr(fr(x[32 * i + j]) * id));
      out.qs[32 * i + j] = q;
      sum += q;
    }
    out.d[i] = f16round(d);
    out.s[i] = f16round(fr(d * sum));
  }
  return out;
}

/** Weight dtypes of this path, with their block bytes and whether a block carries a min (Q4_1 / Q5_1). */
export type Q8BlockDType = 'q8_0' | 'q4_0' | 'q5_0' | 'q4_1' | 'q5_1' | 'iq4_nl';
const LAYOUT: Record<Q8BlockDType, { bytes: number; min: boolean }> = {
  q8_0: { bytes: 34, min: false }, q4_0: { bytes: 18, min: false }, q5_0: { bytes: 22, min: false },
  q4_1: { bytes: 20, min: true }, q5_1: { bytes: 24, min: true }, iq4_nl: { bytes: 18, min: false },
};
export const Q8_BLOCK_DTYPES: ReadonlySet<string> = new Set(Object.keys(LAYOUT));

/** The integer value of element j (0..31) of the block at byte o (Q4_0's nibble layout: j < 16 low nibbles). */
function blockValue(dtype: Q8BlockDType, b: Uint8Array, o: number, j: number): number {
  const nibble = (qs: number) => (j < 16 ? b[qs + j] & 0xf : b[qs + j - 16] >> 4);
  const fifth = (qh: number) => (((b[qh] | (b[qh + 1] << 8) | (b[qh + 2] << 16) | (b[qh + 3] << 24)) >>> j) & 1) << 4;
  switch (dtype) {
    case 'q8_0': return (b[o + 2 + j] << 24) >> 24;
    case 'q4_0': return nibble(o + 2) - 8;
    case 'iq4_nl': return KVALUES_IQ4NL[nibble(o + 2)];
    case 'q5_0': return (nibble(o + 6) | fifth(o + 2)) - 16;
    case 'q4_1': return nibble(o + 4);
    case 'q5_1': return nibble(o + 8) | fifth(o + 4);
  }
}

/** One row (nb blocks from byte `off`) · y, the module's order. */
export function dotQ8Blocks(dtype: Q8BlockDType, b: Uint8Array, off: number, nb: number, y: Q8Blocks): number {
  const { bytes, min } = LAYOUT[dtype];
  let sumf = 0;
  for (let i = 0; i < nb; i++, off += bytes) {
    let sumi = 0;
    for (let j = 0; j < 32; j++) sumi += blockValue(dtype, b, off, j) * y.qs[32 * i + j];
    let p = fr(fr(h16(b, off) * y.d[i]) * sumi);
    if (min) p = fr(p + fr(h16(b, off + 2) * y.s[i]));
    sumf = fr(sumf + p);
  }
  return sumf;
}

/** out[m] = W[m, k] · x for a 32-value block type W with x quantized to Q8 blocks (the module's semantics). */
export function matvecQ8Blocks(dtype: Q8BlockDType, w: Uint8Array, x: ArrayLike<number>, m: number, k: number, out: Float32Array): void {
  const y = quantizeQ8Blocks(x);
  const nb = k / 32;
  for (let r = 0; r < m; r++) out[r] = dotQ8Blocks(dtype, w, r * nb * LAYOUT[dtype].bytes, nb, y);
}
