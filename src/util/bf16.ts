/**
 * bfloat16: the high 16 bits of an IEEE f32 (same exponent range, 8-bit significand). Widening is
 * exact (bits << 16); narrowing rounds to nearest, ties to even, like torch's .to(torch.bfloat16).
 */
const f = new Float32Array(1);
const u = new Uint32Array(f.buffer);

/** f32 → bf16 bits, round to nearest even; NaN stays a (quiet) NaN of the same sign. */
export function toBf16Bits(v: number): number {
  f[0] = v;
  const x = u[0];
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x0040;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** bf16 bits → the exact f32 value. */
export function fromBf16Bits(b: number): number {
  u[0] = (b & 0xffff) << 16;
  return f[0];
}

/** Little-endian bf16 bytes of x (the layout of a safetensors BF16 / GGUF BF16 tensor). */
export function encodeBf16(x: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(x.length * 2);
  for (let i = 0; i < x.length; i++) {
    const b = toBf16Bits(x[i]);
    out[2 * i] = b & 0xff;
    out[2 * i + 1] = b >> 8;
  }
  return out;
}
