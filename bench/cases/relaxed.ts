/**
 * The relaxed-SIMD build against the plain one (src/backends/wasm/module.ts), side by side in one
 * page: each case makes its own WasmBackend with `relaxedSimd` true or false (the page's wasm backend
 * is not used), so the two builds run the same inputs and the table shows relaxed ÷ plain time.
 * - matvec with 8-bit activations (relaxed dot-adds) for Q4_0, Q5_0, Q4_K, Q6_K, Q5_K at the
 *   Qwen2.5-0.5B (896 / 4864) and Llama-3.2-1B (2048 / 8192) shapes;
 * - exact matvec (fused multiply-adds) for Q4_0, Q8_0, Q5_0, F16, F32 and BF16 weights, and causal dense attention;
 * - a 32-token prefill (fused multiply-adds in the f32 tile; relaxed table lookups) for f32,
 *   Q4_0, IQ4_NL and Q4_K weights.
 * `npm run bench -- --family relaxed --backend wasm`
 */
import type { Backend, Tensor } from '../../src/backends/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import type { QuantDType } from '../../src/formats/ggml-types.ts';
import { storageBytes } from '../../src/backends/validate.ts';
import { randomBlocks } from '../../test/formats/quant-blocks.ts';
import { randomF32 } from '../../test/helpers/random.ts';
import { toF16Bits } from '../../src/util/f16.ts';
import { withoutMinWeights } from '../../test/helpers/int8-activations.ts';
import type { BenchCase } from './types.ts';

const label = (relaxed: boolean) => (relaxed ? 'relaxed SIMD' : 'plain SIMD');

/** Random weights of `dtype` as the backend's tensor() takes them (Q8_0 as llama.cpp writes it: no −128 byte). */
function weightData(dtype: QuantDType | 'f32' | 'f16' | 'bf16', m: number, k: number): Float32Array | Uint16Array | Uint8Array {
  const values = () => randomF32(m * k, 7);
  if (dtype === 'f32') return values();
  if (dtype === 'f16') return Uint16Array.from(values(), toF16Bits);
  if (dtype === 'bf16') return new Uint8Array(Uint16Array.from(values(), (v) => new Uint32Array(Float32Array.of(v).buffer)[0] >>> 16).buffer);
  const blocks = randomBlocks(dtype, m, k, m ^ k);
  return dtype === 'q8_0' ? withoutMinWeights(blocks) : blocks;
}

function abCase(op: string, dtype: QuantDType | 'f32' | 'f16' | 'bf16', n: number, m: number, k: number, relaxed: boolean, int8: boolean): BenchCase {
  const wBytes = storageBytes(dtype, [m, k]);
  return {
    family: 'relaxed',
    op: `${op} (${label(relaxed)})`,
    shape: n === 1 ? `${m}x${k}` : `${n}x${k} · ${m}x${k}ᵀ`,
    dtype,
    backends: ['wasm'],
    bytes: wBytes + 4 * (n * k + n * m),
    flops: 2 * n * m * k,
    ...(n > 1 ? { tokens: n } : {}),
    ...(relaxed ? { baseline: `${op} (${label(false)}) ${n === 1 ? `${m}x${k}` : `${n}x${k} · ${m}x${k}ᵀ`} ${dtype}` } : {}),
    async setup(_page: Backend) {
      const b = await WasmBackend.create({ relaxedSimd: relaxed, int8Activations: int8 });
      const made: Tensor[] = [];
      const t = (x: Tensor) => (made.push(x), x);
      const w = t(b.tensor([m, k], dtype, weightData(dtype, m, k)));
      const x = t(b.tensor(n === 1 ? [k] : [n, k], 'f32', randomF32(n * k, 3)));
      const o = t(b.tensor(n === 1 ? [m] : [n, m]));
      const run = n === 1 ? () => b.matvec(o, w, x) : () => b.matmul(o, x, w);
      return { run, dispose: () => (made.forEach((z) => b.free(z)), b.dispose()), storedBytes: w.byteSize };
    },
  };
}

/** Causal dense attention over `s` tokens (8 heads of 64), as a Llama prefill runs it. */
function denseAttentionCase(s: number, relaxed: boolean): BenchCase {
  const [H, D] = [8, 64];
  const op = 'dense causal attention';
  return {
    family: 'relaxed',
    op: `${op} (${label(relaxed)})`,
    shape: `seq=${s},h=${H},d=${D}`,
    dtype: 'f32',
    backends: ['wasm'],
    flops: ((s * (s + 1)) / 2) * H * 4 * D,
    tokens: s,
    minRuns: 5,
    ...(relaxed ? { baseline: `${op} (${label(false)}) seq=${s},h=${H},d=${D} f32` } : {}),
    async setup(_page: Backend) {
      const b = await WasmBackend.create({ relaxedSimd: relaxed });
      const [q, k, v] = [1, 2, 3].map((seed) => b.tensor([s, H, D], 'f32', randomF32(s * H * D, seed)));
      const o = b.tensor([s, H, D]);
      return { run: () => b.denseAttention(o, q, k, v, { causal: true }), dispose: () => ([q, k, v, o].forEach((t) => b.free(t)), b.dispose()) };
    },
  };
}

export function cases(): BenchCase[] {
  const out: BenchCase[] = [];
  const both = (f: (relaxed: boolean) => BenchCase) => out.push(f(false), f(true));
  for (const dtype of ['q4_0', 'q5_0', 'q8_0'] as const) {
    both((r) => abCase('matvec, 8-bit activations', dtype, 1, 4864, 896, r, true));
    both((r) => abCase('matvec, 8-bit activations', dtype, 1, 896, 4864, r, true));
  }
  for (const dtype of ['q4_k', 'q6_k', 'q5_k'] as const) {
    both((r) => abCase('matvec, 8-bit activations', dtype, 1, 8192, 2048, r, true));
    both((r) => abCase('matvec, 8-bit activations', dtype, 1, 2048, 8192, r, true));
  }
  for (const dtype of ['q4_0', 'q8_0', 'q5_0', 'f16'] as const) both((r) => abCase('matvec, exact', dtype, 1, 4864, 896, r, false));
  both((r) => abCase('matvec, exact', 'f16', 1, 576, 1536, r, false));
  both((r) => abCase('matvec, exact', 'f32', 1, 576, 1536, r, false));
  both((r) => abCase('matvec, exact', 'bf16', 1, 576, 1536, r, false));
  both((r) => denseAttentionCase(1024, r));
  for (const dtype of ['f32', 'q4_0', 'iq4_nl'] as const) both((r) => abCase('prefill matmul', dtype, 32, 4864, 896, r, false));
  for (const dtype of ['q4_k', 'q6_k'] as const) both((r) => abCase('prefill matmul', dtype, 32, 8192, 2048, r, false));
  return out;
}
