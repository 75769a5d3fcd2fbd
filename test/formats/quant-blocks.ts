/** Test data for quantized kernels: random GGML blocks with sane scales, and a float64 oracle. */
import { dequantize } from '../../src/formats/ggml-quants.ts';
import { QUANT_DTYPES, type QuantDType, ggmlTypeByName } from '../../src/formats/ggml-types.ts';
import { toF16Bits } from '../../src/util/f16.ts';
import { rng } from '../helpers/random.ts';

/**
 * Random GGML blocks: every byte random except the f16 scales, which get small positive values, and
 * Q4_1 / Q5_1's f16 mins m, which get either sign at about the size of the values q·d (as a real
 * block's m = min ≈ −(levels/2)·d), so that Σ w·x has cancellation between d·Σq·x and m·Σx.
 * (IQ1_M's d is spread over the top nibbles of its scale words; it is set there.)
 */
export function randomBlocks(dtype: QuantDType, rows: number, k: number, seed: number): Uint8Array {
  const t = ggmlTypeByName(QUANT_DTYPES[dtype]);
  const r = rng(seed);
  if (dtype === 'bf16') return randomBf16Bytes(rows * k, seed);
  const nb = rows * (k / t.blockSize);
  const out = new Uint8Array(nb * t.typeSize);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
  const setHalf = (o: number, v: number) => {
    const h = toF16Bits(v);
    out[o] = h & 0xff;
    out[o + 1] = h >> 8;
  };
  const scaleOffsets: Record<QuantDType, number[]> = {
    bf16: [], q8_0: [0], q4_0: [0], q4_1: [0], q5_0: [0], q5_1: [0], iq4_nl: [0], iq4_xs: [0], iq3_xxs: [0], iq3_s: [0], iq2_s: [0], iq2_xxs: [0], iq2_xs: [0], iq1_s: [0], iq1_m: [], q2_k: [80, 82], q3_k: [108], q4_k: [0, 2], q5_k: [0, 2], q6_k: [208],
  };
  const minOffsets: Partial<Record<QuantDType, number>> = { q4_1: 2, q5_1: 2 };
  for (let b = 0; b < nb; b++) {
    for (const o of scaleOffsets[dtype]) setHalf(b * t.typeSize + o, 0.002 + 0.02 * r());
    const mo = minOffsets[dtype];
    if (mo !== undefined) setHalf(b * t.typeSize + mo, (r() - 0.6) * 0.4);
    if (dtype === 'iq1_m') {
      // IQ1_M's f16 d sits in the top nibbles of its four u16 scale words (word k: bits 4k..4k+3)
      const h = toF16Bits(0.002 + 0.02 * r());
      for (let k = 0; k < 4; k++) {
        const o = b * t.typeSize + 49 + 2 * k;
        out[o] = (out[o] & 0x0f) | (((h >> (4 * k)) & 0xf) << 4);
      }
    }
  }
  return out;
}

/**
 * Random BF16 weights as raw little-endian bytes: |w| ≈ 2^-8..2 (both signs), 2 % zeros, 2 % f32
 * subnormals (bf16 keeps f32's exponent range, so they exist); no Inf/NaN.
 */
export function randomBf16Bytes(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const bits = new Uint16Array(n);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < n; i++) {
    const p = r();
    const sign = r() < 0.5 ? 0x8000 : 0;
    if (p < 0.02) bits[i] = sign;
    else if (p < 0.04) bits[i] = sign | (1 + Math.floor(r() * 0x7f)); // exponent 0: subnormal
    else {
      f[0] = Math.pow(2, -8 + 9 * r());
      bits[i] = sign | (u[0] >>> 16);
    }
  }
  return new Uint8Array(bits.buffer);
}

/** Dense f64 oracle: out[i, r] = Σ_j dequant(W)[r, j] · x[i, j], plus Σ|w·x| per output for tolerances. */
export function quantOracle(dtype: QuantDType, bytes: Uint8Array, m: number, k: number, x: Float32Array, n: number) {
  return denseOracle(dequantize(ggmlTypeByName(QUANT_DTYPES[dtype]), bytes, m * k), m, k, x, n);
}

/** The same oracle for an already dequantized W [m, k] (e.g. llama.cpp's own dequantization of a fixture). */
export function denseOracle(w: Float32Array, m: number, k: number, x: Float32Array, n: number) {
  const out = new Float64Array(n * m);
  const mag = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < m; r++) {
      let s = 0, a = 0;
      for (let j = 0; j < k; j++) {
        s += w[r * k + j] * x[i * k + j];
        a += Math.abs(w[r * k + j] * x[i * k + j]);
      }
      out[i * m + r] = s;
      mag[i * m + r] = a;
    }
  return { out, mag };
}

/** Worst |got − want| / (Σ|w·x| + 1e-6): error relative to the magnitude the sum was formed from. */
export function worstRel(got: ArrayLike<number>, want: Float64Array, mag: Float64Array): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / (mag[i] + 1e-6);
    if (!(d <= e)) e = Number.isNaN(d) ? Infinity : d;
  }
  return e;
}
