/**
 * Storage layout of a 'ternary' (BitNet b1.58) weight tensor of logical shape [M, K]:
 *
 *   bytes 0..3    f32 γ = max(mean|W|, 1e-5), the absmean scale (dequantized W = W_q · γ)
 *   bytes 4..7    u32 M        bytes 8..11   u32 K        bytes 12..15  zero
 *   then M rows of ROW_STRIDE(K) = ceil(K/64)·16 bytes each (16-byte aligned for v128 loads)
 *
 * Row byte g holds the 4 weights of columns 4g..4g+3 as two bit planes (2 bits per weight):
 * bit i of the low nibble is set when W_q[m, 4g+i] = +1, bit i of the high nibble when it is −1.
 * Both nibbles are 4-bit indexes into a T-MAC subset-sum table, and the straight kernels decode a
 * weight as ((b >> i) & 1) − ((b >> (4+i)) & 1). Padding columns/bytes are zero (weight 0).
 */
export const TERNARY_HEADER_BYTES = 16;

export function ternaryRowStride(k: number): number {
  return Math.ceil(k / 64) * 16;
}

export function ternaryBytes(m: number, k: number): number {
  return TERNARY_HEADER_BYTES + m * ternaryRowStride(k);
}
