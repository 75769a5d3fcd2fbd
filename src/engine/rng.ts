/**
 * Seeded PRNG for sampling (mulberry32: 32-bit state, full 2^32 period, well-mixed output).
 * Sampling must be reproducible — same seed → same token stream on every backend and runtime —
 * so the engine never uses Math.random.
 */
export class Rng {
  private s: number;

  constructor(seed: number) {
    // Fold seeds above 2^32 into the state so nearby large seeds still differ.
    this.s = ((seed >>> 0) ^ Math.floor(seed / 4294967296)) >>> 0;
  }

  nextU32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }
}
