/**
 * The opt-in int8-activation decode path (`int8Activations`): for Q2_K…Q6_K and IQ4_XS weights x quantized to
 * llama.cpp's Q8_K blocks (src/backends/reference/q8k.ts has the semantics), for Q8_0 / Q4_0 / Q5_0 /
 * Q4_1 / Q5_1 / IQ4_NL to 32-value Q8_0 / Q8_1 blocks (src/backends/reference/q8-0.ts); integer
 * block dots.
 * - wasm (assembly/quant.ts quantize_q8_k, matvec_q{2,3,4,5,6}_k_q8k) == the reference backend's
 *   TypeScript transcription, bit for bit: the Q8_K bytes and every output (the integer sums are
 *   exact and both apply the f32 scales in the same order), on one thread and split over two;
 * - both within the activation quantization bound of the exact matvec: each q8 is off by at most
 *   |d|/2 = max|x_block|/254, so |y − y_exact| ≤ Σ_blocks max|x_b|/254 · Σ_{j∈b} |w_j| (+ f32
 *   rounding, 2e-6 · Σ|w·x|);
 * - the same for the relaxed-SIMD build (build/sparrow-relaxed.wasm: one relaxed dot-add per 16 bytes,
 *   unsigned weight values and the offset through Σy) as for the plain one;
 * - off by default, and prefill (matmul), f32 and BF16 weights never take it.
 * The same three checks for the 32-value types (the bound there adds the f16 rounding of the scale).
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { quantizeQ8Blocks, type Q8BlockDType } from '../../src/backends/reference/q8-0.ts';
import { quantizeQ8K, type Int8ActivationDType } from '../../src/backends/reference/q8k.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { wasmRelaxedSimdSupported } from '../../src/backends/wasm/module.ts';
import { Q8K_BYTES } from '../../src/backends/wasm/quant.ts';
import { dequantize } from '../../src/formats/ggml-quants.ts';
import { fromF16Bits } from '../../src/util/f16.ts';
import { QUANT_DTYPES, ggmlTypeByName } from '../../src/formats/ggml-types.ts';
import { randomF32 } from '../helpers/random.ts';
import { INT8_DTYPES_32, INT8_DTYPES_K, activations, activations32, int8Builds, int8Case, withoutMinWeights } from '../helpers/int8-activations.ts';
import { runLinear } from '../helpers/linear.ts';
import { randomBlocks } from '../formats/quant-blocks.ts';

/** The exact product (f64 over dequantized W), Σ|w·x| and the quantization bound per row. */
function exact(dtype: Int8ActivationDType, bytes: Uint8Array, m: number, k: number, x: Float32Array) {
  const w = dequantize(ggmlTypeByName(QUANT_DTYPES[dtype]), bytes, m * k);
  const out = new Float64Array(m), mag = new Float64Array(m), bound = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    for (let b = 0; b < k / 256; b++) {
      let amax = 0, wabs = 0;
      for (let j = b * 256; j < (b + 1) * 256; j++) {
        const p = w[r * k + j] * x[j];
        out[r] += p;
        mag[r] += Math.abs(p);
        amax = Math.max(amax, Math.abs(x[j]));
        wabs += Math.abs(w[r * k + j]);
      }
      bound[r] += (amax / 254) * wabs;
    }
  }
  return { out, mag, bound };
}

/**
 * Random blocks of `dtype` at each shape: the int8 matvec on wasm (one thread, and split over two;
 * the plain build, and the relaxed-SIMD one where this runtime supports it — Chromium always does,
 * test/browser/int8-relaxed.test.ts) equals the reference backend's bit for bit, and the reference is
 * within `exactOf`'s bound of the exact product. The bound is loose (errors cancel); relative to
 * Σ|w·x| the error is ~1e-3, never zero.
 */
async function expectInt8LikeReference<D extends Int8ActivationDType | Q8BlockDType>(
  dtype: D,
  exactOf: (dtype: D, bytes: Uint8Array, m: number, k: number, x: Float32Array) => { out: Float64Array; mag: Float64Array; bound: Float64Array },
): Promise<void> {
  const builds = wasmRelaxedSimdSupported() ? [false, true] : [false];
  const runs = await int8Builds(builds, [dtype]);
  expect(runs.map((r) => [r.relaxedSimd, r.threads])).toEqual(builds.flatMap((relaxed) => [[relaxed, 1], [relaxed, 2]]));
  for (const r of runs) expect(r.differences, r.name).toEqual([]);
  const ref = new ReferenceBackend({ int8Activations: true });
  const { shapes, acts } = int8Case(dtype);
  let worstRatio = 0;
  for (const [m, k] of shapes) {
    const bytes = randomBlocks(dtype, m, k, m * 31 + k);
    const x = acts(k, m + k);
    const r = await runLinear(ref, dtype, bytes, m, k, x, 1);
    const { out, mag, bound } = exactOf(dtype, bytes, m, k, x);
    for (let i = 0; i < m; i++) {
      const err = Math.abs(r[i] - out[i]);
      expect(err, `${dtype} [${m},${k}] row ${i}: |int8 − exact| vs bound ${bound[i]}`).toBeLessThanOrEqual(bound[i] + 2e-6 * mag[i]);
      worstRatio = Math.max(worstRatio, err / mag[i]);
    }
  }
  expect(worstRatio).toBeGreaterThan(1e-6);
  expect(worstRatio).toBeLessThan(2e-2);
}

describe('int8 activations (Q8_K) for Q2_K…Q6_K and IQ4_XS decode', () => {
  it('wasm quantize_q8_k writes the reference Q8_K blocks byte for byte', async () => {
    const wasm = await WasmBackend.create();
    for (const k of [256, 768, 2304]) {
      const x = activations(k, k);
      const want = quantizeQ8K(x);
      const xt = wasm.tensor([k], 'f32', x);
      const got = wasm.withScratch((k / 256) * Q8K_BYTES, (y) => {
        (wasm.k.quantize_q8_k as (y: number, x: number, k: number) => void)(y, wasm.ptr('test', xt), k);
        return new Uint8Array(wasm.heap.memory.buffer, y, (k / 256) * Q8K_BYTES).slice();
      });
      const dv = new DataView(got.buffer);
      for (let b = 0; b < k / 256; b++) {
        const o = b * Q8K_BYTES;
        expect(Object.is(dv.getFloat32(o, true), want.d[b]), `k=${k} block ${b} d`).toBe(true);
        expect(Array.from(new Int8Array(got.buffer, o + 4, 256)), `k=${k} block ${b} qs`).toEqual(Array.from(want.qs.subarray(b * 256, (b + 1) * 256)));
        for (let g = 0; g < 16; g++) expect(dv.getInt16(o + 260 + 2 * g, true), `k=${k} block ${b} bsums[${g}]`).toBe(want.bsums[b * 16 + g]);
      }
      wasm.free(xt);
    }
    // the tied block: the first of ±40 is −40, so d = 40/127 > 0 and −40 ↦ −127
    const q = quantizeQ8K(activations(768, 1));
    expect(q.d[2]).toBe(Math.fround(1 / Math.fround(-127 / -40)));
    expect([q.qs[520], q.qs[700]]).toEqual([-127, 127]);
    expect([q.d[1], Math.max(...q.qs.subarray(256, 512).map(Math.abs))]).toEqual([0, 0]);
    wasm.dispose();
  });

  for (const dtype of INT8_DTYPES_K) {
    it(`${dtype}: wasm == reference bit for bit (1 and 2 threads), both within the quantization bound of the exact matvec`, () =>
      expectInt8LikeReference(dtype, exact));
  }

  it('off by default; prefill (n > 1), f32 and BF16 weights ignore it', async () => {
    const exactB = await WasmBackend.create();
    const int8B = await WasmBackend.create({ int8Activations: true });
    expect([exactB.int8Activations, new ReferenceBackend().int8Activations]).toEqual([false, false]);
    const [m, k] = [9, 768];
    for (const dtype of ['q4_k', 'q6_k', 'q5_k', 'q3_k', 'q2_k', 'iq4_xs', 'q4_0', 'q8_0', 'q5_0', 'q4_1', 'q5_1', 'iq4_nl', 'bf16', 'f32'] as const) {
      const bytes = dtype === 'f32' ? randomF32(m * k, 5) : randomBlocks(dtype, m, k, 5);
      for (const n of [1, 3]) {
        const x = activations(n * k, 9);
        const a = await runLinear(exactB, dtype, bytes, m, k, x, n);
        const b = await runLinear(int8B, dtype, bytes, m, k, x, n);
        const same = a.every((v, i) => Object.is(v, b[i]));
        expect(same, `${dtype} n=${n}`).toBe(n > 1 || dtype === 'bf16' || dtype === 'f32');
      }
    }
    exactB.dispose();
    int8B.dispose();
  });
});

/** The exact product (f64 over dequantized W), Σ|w·x| and the int8 path's error bound per row. */
function exact32(dtype: Q8BlockDType, bytes: Uint8Array, m: number, k: number, x: Float32Array) {
  const w = dequantize(ggmlTypeByName(QUANT_DTYPES[dtype]), bytes, m * k);
  const bytesPerBlock = ggmlTypeByName(QUANT_DTYPES[dtype]).typeSize;
  const out = new Float64Array(m), mag = new Float64Array(m), bound = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    for (let b = 0; b < k / 32; b++) {
      const o = (r * (k / 32) + b) * bytesPerBlock;
      const min = dtype === 'q4_1' || dtype === 'q5_1' ? Math.abs(fromF16Bits(bytes[o + 2] | (bytes[o + 3] << 8))) : 0;
      let amax = 0, wabs = 0;
      for (let j = b * 32; j < (b + 1) * 32; j++) {
        const p = w[r * k + j] * x[j];
        out[r] += p;
        mag[r] += Math.abs(p);
        amax = Math.max(amax, Math.abs(x[j]));
        wabs += Math.abs(w[r * k + j]) + 2 * min;
      }
      // each q·dh is off x by ≤ d/2 + the f16 scale's 2^-11 relative (q·d ≤ amax); Q8_1's s by 2^-11 of |d·Σq| ≤ 32·amax
      const e = amax / 254 + amax / 2048;
      bound[r] += e * wabs + (min * 32 * amax) / 2048;
    }
  }
  return { out, mag, bound };
}

describe('int8 activations (Q8_0 / Q8_1 blocks) for Q8_0, Q4_0, Q5_0, Q4_1, Q5_1, IQ4_NL decode', () => {
  it('wasm quantize_q8_32 writes the reference blocks byte for byte', async () => {
    const wasm = await WasmBackend.create();
    for (const k of [32, 128, 896]) {
      const x = activations32(k, k);
      const want = quantizeQ8Blocks(x);
      const nb = k / 32;
      const xt = wasm.tensor([k], 'f32', x);
      const got = wasm.withScratch(8 * nb + k, (y) => {
        (wasm.k.quantize_q8_32 as (y: number, x: number, k: number) => void)(y, wasm.ptr('test', xt), k);
        return new Uint8Array(wasm.heap.memory.buffer, y, 8 * nb + k).slice();
      });
      const dv = new DataView(got.buffer);
      for (let b = 0; b < nb; b++) {
        expect(Object.is(dv.getFloat32(4 * b, true), want.d[b]), `k=${k} block ${b} d`).toBe(true);
        expect(Object.is(dv.getFloat32(4 * (nb + b), true), want.s[b]), `k=${k} block ${b} s`).toBe(true);
      }
      expect(Array.from(new Int8Array(got.buffer, 8 * nb, k))).toEqual(Array.from(want.qs));
      wasm.free(xt);
    }
    // by hand: the tie block rounds half to even with d = 1; the zero block is all zeros; a 1e-4
    // block's scale is an f16 subnormal (a multiple of 2^-24)
    const q = quantizeQ8Blocks(activations32(192, 1));
    expect(Array.from(q.qs.subarray(96, 103))).toEqual([127, 2, -4, 0, 0, 2, -126]);
    expect(q.d[3]).toBe(1);
    expect([q.d[1], q.s[1], Math.max(...q.qs.subarray(32, 64).map(Math.abs))]).toEqual([0, 0, 0]);
    expect(q.d[4] < 2 ** -14 && q.d[4] > 0 && Number.isInteger(q.d[4] * 2 ** 24)).toBe(true);
    let sum = 0;
    for (let j = 0; j < 32; j++) sum += q.qs[96 + j];
    expect(q.s[3]).toBe(Math.fround(sum)); // d = 1 exactly, and |Σq| < 2048 is an exact f16
    wasm.dispose();
  });

  it('Q8_0 tensors remember whether a weight byte is −128 (the relaxed kernel needs |q| ≤ 127); 0x80 in a scale byte does not count', async () => {
    const b = await WasmBackend.create();
    const blocks = withoutMinWeights(randomBlocks('q8_0', 4, 64, 5));
    const at = (t: unknown) => (t as { q8HasMin?: boolean }).q8HasMin;
    const clean = b.tensor([4, 64], 'q8_0', blocks);
    expect(at(clean)).toBe(false);
    const scale = blocks.slice();
    scale[34 * 3 + 1] = 0x80; // a scale's high byte
    expect(at(b.tensor([4, 64], 'q8_0', scale))).toBe(false);
    const min = blocks.slice();
    min[34 * 5 + 33] = 0x80; // the last weight of the last block
    expect(at(b.tensor([4, 64], 'q8_0', min))).toBe(true);
    b.write(clean, min);
    expect(at(clean)).toBe(true);
    b.dispose();
  });

  for (const dtype of INT8_DTYPES_32) {
    it(`${dtype}: wasm == reference bit for bit (1 and 2 threads), both within the quantization bound of the exact matvec`, () =>
      expectInt8LikeReference(dtype, exact32));
  }
});
