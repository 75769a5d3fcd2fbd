/** Scalar float64 math for the reference backend: simple, obviously right, no speed tricks. */

/** erf(x) to ~1e-13: Taylor series near 0, continued fraction for erfc in the tails. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 3) {
    // erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 8) return Math.sign(x);
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
  let f = ax;
  for (let n = 80; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const silu = (x: number): number => x * sigmoid(x);
export const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
/** GELU's tanh approximation (torch gelu(approximate='tanh'), HF gelu_pytorch_tanh). */
export const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
/** torch.nn.functional.softplus with beta 1, threshold 20. */
export const softplus = (x: number): number => (x > 20 ? x : Math.log1p(Math.exp(x)));
