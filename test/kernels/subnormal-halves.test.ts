/**
 * The wasm linear kernels on weights whose halves are subnormal (|h| < 2^-14): Q8_0 blocks with
 * subnormal scales (a small down projection has them in every block) and F16 matrices with many
 * subnormal / zero halves mixed with normal ones, an Inf/NaN row, and shapes that are not
 * multiples of 4, against a float64 oracle. The kernels avoid subnormal f32 arithmetic for speed
 * (docs/wasm-llm-speed.md); these checks pin down that the fast paths stay exact. Also covers the
 * Q8_0 prefill matmul over several token tiles (large K → small tile).
 */
import { describe, expect, it } from 'vitest';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { quantOracle } from '../formats/quant-blocks.ts';
import { randomF32, rng } from '../helpers/random.ts';
import { f16LinearOracle, runLinear } from '../helpers/linear.ts';
import { worstRelExactNonFinite } from '../helpers/expect-linear.ts';

/** Q8_0 blocks with random quants and subnormal (and a few normal) f16 scales. */
function q8Blocks(rows: number, k: number, seed: number): Uint8Array {
  const r = rng(seed);
  const nb = rows * (k / 32);
  const out = new Uint8Array(nb * 34);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
  for (let b = 0; b < nb; b++) {
    const h = r() < 0.8 ? 1 + Math.floor(r() * 0x3fe) : 0x0400 + Math.floor(r() * 0x2000); // subnormal or small normal
    const s = r() < 0.5 ? 0x8000 : 0;
    out[b * 34] = (h | s) & 0xff;
    out[b * 34 + 1] = (h | s) >> 8;
  }
  return out;
}

describe('wasm linear kernels on subnormal halves', () => {
  it('Q8_0 with subnormal block scales: matvec and matmul (several token tiles) match the f64 oracle', async () => {
    const b = await WasmBackend.create();
    for (const [m, k, ns] of [[7, 96, [1, 3, 5]], [33, 160, [1, 2]], [5, 16384, [1, 9]]] as const) {
      const bytes = q8Blocks(m, k, m * 31 + k);
      for (const n of ns) {
        const x = randomF32(n * k, n + k);
        const { out, mag } = quantOracle('q8_0', bytes, m, k, x, n);
        const what = `q8_0 [${m},${k}] n=${n}`;
        expect(worstRelExactNonFinite(await runLinear(b, 'q8_0', bytes, m, k, x, n), out, mag, what), what).toBeLessThan(2e-6);
      }
    }
    b.dispose();
  });

  it('F16 with ~5% subnormal and zero halves, one Inf/NaN row, odd shapes: matvec and matmul exact to f32 rounding', async () => {
    const b = await WasmBackend.create();
    for (const [m, k] of [[9, 40], [13, 203], [64, 576]] as const) {
      const r = rng(m * 7 + k);
      const w = new Uint16Array(m * k);
      for (let i = 0; i < w.length; i++) {
        const u = r();
        const h = u < 0.04 ? 1 + Math.floor(r() * 0x3fe) : u < 0.05 ? 0 : 0x1000 + Math.floor(r() * 0x2c00); // subnormal, zero, normal
        w[i] = h | (r() < 0.5 ? 0x8000 : 0);
      }
      w[2 * k + 3] = 0x7c00; // +Inf in row 2
      w[5 * k + k - 1] = 0x7e00; // NaN in row 5
      for (const n of [1, 3]) {
        for (const scale of [1, 1e5]) {
          // x beyond 2^15 exercises the un-prescaled matvec path.
          const x = randomF32(n * k, n * 3 + k).map((v) => v * scale);
          const { out, mag } = f16LinearOracle(w, m, k, x, n);
          const what = `f16 [${m},${k}] n=${n} scale=${scale}`;
          expect(worstRelExactNonFinite(await runLinear(b, 'f16', w, m, k, x, n), out, mag, what), what).toBeLessThan(2e-6);
        }
      }
    }
    b.dispose();
  });

  it("F16 side list: memoryBytes counts it while the weight is prepared and not after its halves are restored", async () => {
    const b = await WasmBackend.create();
    const [m, k] = [16, 64];
    const r = rng(5);
    const w = new Uint16Array(m * k);
    let subnormal = 0;
    for (let i = 0; i < w.length; i++) {
      const sub = r() < 0.02; // under 1/32 of the matrix, else the weight keeps the checked kernel and no list
      w[i] = sub ? 1 + Math.floor(r() * 0x3fe) : 0x1000 + Math.floor(r() * 0x2c00);
      subnormal += sub ? 1 : 0;
    }
    const wt = b.tensor([m, k], 'f16', w);
    const xt = b.tensor([k], 'f32', randomF32(k, 9));
    const o = b.tensor([m], 'f32');
    const plain = b.memoryBytes();
    const values = await b.read(wt);
    b.matvec(o, wt, xt); // prepares the weight: subnormal halves move to the side list
    expect(subnormal).toBeGreaterThan(0);
    expect(b.memoryBytes() - plain).toBe(4 * (m + 1) + 8 * subnormal);
    expect(await b.read(wt)).toEqual(values); // reading restores the original halves and frees the list
    expect(b.memoryBytes()).toBe(plain);
    b.dispose();
  });
});
