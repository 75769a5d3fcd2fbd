/**
 * Quantized matvec (weights kept as GGML blocks): Q8_0 / Q4_0 at SmolLM-135M's shapes (576/1536
 * hidden/FFN, 49152 vocabulary head); the k-quants Q2_K…Q6_K against Q8_0 at the down projection's
 * 576×1536 (their K must be a multiple of 256, which SmolLM2's 576 is not) and at 2048²; every type
 * at 4096², compared with the dense f32/f16 matvec cases in core.ts; and a 32-token prefill matmul
 * at 2048² on wasm. Q4_1 / Q5_1 / IQ4_NL against Q4_0 / Q5_0 / Q8_0 at the same shapes, and IQ4_XS
 * beside IQ4_NL where K is a multiple of 256. Bytes = the weight as stored (the quantity that bounds a matvec).
 */
import type { Backend, BackendName, Tensor } from '../../src/backends/backend.ts';
import type { QuantDType } from '../../src/formats/ggml-types.ts';
import { storageBytes } from '../../src/backends/validate.ts';
import { randomBlocks } from '../../test/formats/quant-blocks.ts';
import { randomF32 } from '../../test/helpers/random.ts';
import type { BenchCase } from './types.ts';
import { quantLanesControl } from '../../src/backends/webgpu/quant.ts';

const FAST: BackendName[] = ['wasm', 'webgpu'];

/** `oneOutputPerWorkgroup`: webgpu with 64 lanes per output (the kernel before quantLanes), for a side-by-side ratio. */
function matvecCase(dtype: QuantDType, m: number, k: number, backends: BackendName[], oneOutputPerWorkgroup = false): BenchCase {
  const wBytes = storageBytes(dtype, [m, k]);
  return {
    family: 'quant',
    op: oneOutputPerWorkgroup ? 'matvec (one output per workgroup)' : 'matvec',
    shape: `${m}x${k}`,
    dtype,
    backends,
    bytes: wBytes + 4 * (m + k),
    flops: 2 * m * k,
    denseBytes: 4 * m * k,
    async setup(b: Backend) {
      const made: Tensor[] = [];
      const t = (x: Tensor) => (made.push(x), x);
      const w = t(b.tensor([m, k], dtype, randomBlocks(dtype, m, k, m ^ k)));
      const x = t(b.tensor([k], 'f32', randomF32(k, 3)));
      const o = t(b.tensor([m]));
      const run = oneOutputPerWorkgroup
        ? () => {
            quantLanesControl.fixed = 64;
            b.matvec(o, w, x);
            quantLanesControl.fixed = undefined;
          }
        : () => b.matvec(o, w, x);
      return { run, dispose: () => made.forEach((z) => b.free(z)), storedBytes: w.byteSize };
    },
  };
}

/** Prefill: X[n, k] · Wᵀ (wasm: four rows dequantized per token tile, then the f32 register tile). */
function matmulCase(dtype: QuantDType, n: number, m: number, k: number, backends: BackendName[]): BenchCase {
  const wBytes = storageBytes(dtype, [m, k]);
  return {
    family: 'quant',
    op: 'matmul',
    shape: `${n}x${k} · ${m}x${k}ᵀ`,
    dtype,
    backends,
    bytes: wBytes + 4 * (n * k + n * m),
    flops: 2 * n * m * k,
    denseBytes: 4 * m * k,
    tokens: n,
    async setup(b: Backend) {
      const made: Tensor[] = [];
      const t = (x: Tensor) => (made.push(x), x);
      const w = t(b.tensor([m, k], dtype, randomBlocks(dtype, m, k, m ^ k)));
      const x = t(b.tensor([n, k], 'f32', randomF32(n * k, 5)));
      const o = t(b.tensor([n, m]));
      return { run: () => b.matmul(o, x, w), dispose: () => made.forEach((z) => b.free(z)), storedBytes: w.byteSize };
    },
  };
}

export function cases(): BenchCase[] {
  const out: BenchCase[] = [];
  for (const dtype of ['q8_0', 'q4_0'] as const) {
    out.push(matvecCase(dtype, 576, 1536, ['reference', ...FAST]), matvecCase(dtype, 1536, 576, FAST), matvecCase(dtype, 49152, 576, FAST));
    // K = 576 rows are 18 blocks: the shapes where several outputs now share a workgroup
    out.push(matvecCase(dtype, 1536, 576, ['webgpu'], true), matvecCase(dtype, 49152, 576, ['webgpu'], true));
  }
  // (Q8_0's 576×1536 is above)
  for (const dtype of ['q2_k', 'q3_k', 'q4_k', 'q5_k', 'q6_k'] as const) out.push(matvecCase(dtype, 576, 1536, FAST));
  for (const dtype of ['q8_0', 'q2_k', 'q3_k', 'q4_k', 'q5_k', 'q6_k'] as const) out.push(matvecCase(dtype, 2048, 2048, FAST));
  for (const dtype of ['q8_0', 'q4_0', 'q2_k', 'q3_k', 'q4_k', 'q5_k', 'q6_k'] as const) out.push(matvecCase(dtype, 4096, 4096, FAST));
  // a 32-token prefill chunk through the same weights (wasm only: SwiftShader would take minutes)
  for (const dtype of ['q8_0', 'q2_k', 'q3_k', 'q4_k', 'q5_k', 'q6_k'] as const) out.push(matmulCase(dtype, 32, 2048, 2048, ['wasm']));
  // the 32-value types llama.cpp falls back to for rows not a multiple of 256 (Q5_1 in Q5_K_M files,
  // IQ4_NL in the Q2_K / Q3_K mixes; Q4_1 / Q5_1 files), against Q4_0 / Q5_0 / Q8_0 at the same
  // shapes: SmolLM2's 576×1536 (down) and 1536×576 (gate / up), 2048², 4096², and the 2048² prefill
  out.push(matvecCase('q5_0', 576, 1536, FAST), matvecCase('q5_0', 1536, 576, FAST));
  for (const dtype of ['q4_1', 'q5_1', 'iq4_nl'] as const) out.push(matvecCase(dtype, 576, 1536, FAST), matvecCase(dtype, 1536, 576, FAST));
  // IQ4_XS (256-wide super-blocks: not at K = 576) beside IQ4_NL
  out.push(matvecCase('iq4_xs', 576, 1536, FAST));
  for (const dtype of ['q4_0', 'q5_0', 'q4_1', 'q5_1', 'iq4_nl', 'iq4_xs'] as const) out.push(matvecCase(dtype, 2048, 2048, FAST));
  for (const dtype of ['q5_0', 'q4_1', 'q5_1', 'iq4_nl', 'iq4_xs'] as const) out.push(matvecCase(dtype, 4096, 4096, FAST));
  for (const dtype of ['q4_0', 'q5_0', 'q4_1', 'q5_1', 'iq4_nl', 'iq4_xs'] as const) out.push(matmulCase(dtype, 32, 2048, 2048, ['wasm']));
  // IQ3_S / IQ3_XXS / IQ2_S / IQ2_XS / IQ2_XXS / IQ1_S / IQ1_M (grid-coded super-blocks; IQ3_M / IQ3_XXS / IQ2_* / IQ1_* files) beside Q3_K and IQ4_XS
  for (const dtype of ['iq3_s', 'iq3_xxs', 'iq2_s', 'iq2_xs', 'iq2_xxs', 'iq1_s', 'iq1_m'] as const) out.push(matvecCase(dtype, 2048, 2048, FAST), matvecCase(dtype, 4096, 4096, FAST), matmulCase(dtype, 32, 2048, 2048, ['wasm']));
  return out;
}
