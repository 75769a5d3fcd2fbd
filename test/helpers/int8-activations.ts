/**
 * Inputs of the int8-activation kernel tests, shared by the Node suite (test/kernels/quant-int8.test.ts)
 * and the browser one (test/browser/cases/int8-relaxed.ts): activations that hit every corner of the
 * activation quantizers, the shapes per block family, and the bit-for-bit comparison with the reference.
 */
import type { Backend } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import type { Q8BlockDType } from '../../src/backends/reference/q8-0.ts';
import type { Int8ActivationDType } from '../../src/backends/reference/q8k.ts';
import { randomBlocks } from '../formats/quant-blocks.ts';
import { runLinear } from './linear.ts';
import { randomF32 } from './random.ts';

/** Types whose int8 path quantizes x to Q8_K (256-value blocks). */
export const INT8_DTYPES_K = ['q4_k', 'q6_k', 'q5_k', 'q3_k', 'q2_k', 'iq4_xs'] as const;
/** Types whose int8 path quantizes x to 32-value Q8_0 / Q8_1 blocks. */
export const INT8_DTYPES_32 = ['q8_0', 'q4_0', 'q5_0', 'q4_1', 'q5_1', 'iq4_nl'] as const;

/** Random x with a different magnitude per 256-block, one all-zero block and one with a tied ±max. */
export function activations(k: number, seed: number): Float32Array {
  const x = randomF32(k, seed);
  for (let b = 0; b < k / 256; b++) {
    const s = [1, 0.01, 30, 0.5, 1e-4][b % 5];
    for (let j = 0; j < 256; j++) x[b * 256 + j] *= s;
  }
  if (k >= 512) x.fill(0, 256, 512);
  if (k >= 768) {
    x[520] = -40; // first of largest |x|: max < 0, so d > 0 in this block
    x[700] = 40;
  }
  return x;
}

/**
 * Activations for the 32-value blocks: a different magnitude per block (1e-4 gives an f16-subnormal
 * scale), an all-zero block, a block of exact ties (amax 127: d = 1, so 2.5 → 2, −3.5 → −4, 0.5 → 0).
 */
export function activations32(k: number, seed: number): Float32Array {
  const x = randomF32(k, seed);
  for (let b = 0; b < k / 32; b++) {
    const s = [1, 0.01, 30, 0.5, 1e-4, 3][b % 6];
    for (let j = 0; j < 32; j++) x[b * 32 + j] *= s;
  }
  if (k >= 64) x.fill(0, 32, 64);
  if (k >= 128) x.set([127, 2.5, -3.5, 0.5, -0.5, 1.5, -126.5], 96);
  return x;
}

/** Shapes ([m, k]) and activations of a type's cases. */
export function int8Case(dtype: Int8ActivationDType | Q8BlockDType): { shapes: [number, number][]; acts: (k: number, seed: number) => Float32Array } {
  return (INT8_DTYPES_32 as readonly string[]).includes(dtype)
    ? { shapes: [[1, 32], [4, 64], [5, 128], [13, 800], [7, 2048], [33, 896]], acts: activations32 }
    : { shapes: [[1, 256], [5, 512], [13, 768], [7, 2304], [33, 1280]], acts: activations };
}

/**
 * The int8 matvec of random `dtype` blocks (seeded per shape) on `b` against `ref` (both with
 * int8Activations on): how many outputs were compared, and one message per output whose bits differ
 * (none: bit-identical).
 */
export async function int8Differences(ref: Backend, b: Backend, dtype: Int8ActivationDType | Q8BlockDType): Promise<{ outputs: number; differences: string[] }> {
  const { shapes, acts } = int8Case(dtype);
  const bad: string[] = [];
  let outputs = 0;
  for (const [m, k] of shapes) {
    const random = randomBlocks(dtype, m, k, m * 31 + k);
    // Q8_0 twice: random bytes (with −128 weights: the general kernel) and as llama.cpp writes them
    // (|q| ≤ 127: the relaxed build's sign-transfer kernel, WasmTensor.q8HasMin)
    const variants: [string, Uint8Array][] = dtype === 'q8_0' ? [['', random], [' |q|≤127', withoutMinWeights(random)]] : [['', random]];
    for (const [label, bytes] of variants) {
      const x = acts(k, m + k);
      const r = await runLinear(ref, dtype, bytes, m, k, x, 1);
      const w = await runLinear(b, dtype, bytes, m, k, x, 1);
      outputs += m;
      for (let i = 0; i < m; i++) if (!Object.is(w[i], r[i])) bad.push(`${dtype}${label} [${m},${k}] row ${i}: ${w[i]} vs reference ${r[i]}`);
    }
  }
  return { outputs, differences: bad };
}

/** Q8_0 blocks with every −128 weight byte made −127 (as llama.cpp's quantizer writes them); scales untouched. */
export function withoutMinWeights(q8: Uint8Array): Uint8Array {
  const out = q8.slice();
  for (let i = 0; i < out.length; i++) if (i % 34 >= 2 && out[i] === 0x80) out[i] = 0x81;
  return out;
}

/** One wasm backend's bit-for-bit comparison with the reference int8 path (int8Builds). */
export interface Int8BuildRun {
  name: string;
  /** What the backend reports it runs (must equal the build asked for). */
  relaxedSimd: boolean;
  threads: number;
  outputs: number;
  differences: string[];
}

/**
 * For each wasm build (relaxed SIMD or not) on one thread and on two, int8Differences of every dtype
 * against the reference backend's int8 path: the Node suite (plain build) and the browser case
 * (both builds) check the same runs.
 */
export async function int8Builds(builds: readonly boolean[], dtypes: readonly (Int8ActivationDType | Q8BlockDType)[]): Promise<Int8BuildRun[]> {
  const ref = new ReferenceBackend({ int8Activations: true });
  const runs: Int8BuildRun[] = [];
  for (const relaxedSimd of builds) {
    for (const threads of [1, 2]) {
      const b = await WasmBackend.create({ threads, minSplitWork: 0, int8Activations: true, relaxedSimd });
      const differences: string[] = [];
      let outputs = 0;
      for (const dtype of dtypes) {
        const d = await int8Differences(ref, b, dtype);
        outputs += d.outputs;
        differences.push(...d.differences);
      }
      runs.push({ name: `${relaxedSimd ? 'relaxed' : 'plain'} build, ${b.threads} thread(s)`, relaxedSimd: b.relaxedSimd, threads: b.threads, outputs, differences });
      b.dispose();
    }
  }
  return runs;
}
