/**
 * Quantized linear layers on the wasm backend (kernels in assembly/quant.ts): the weight tensor
 * holds raw GGML blocks and is never expanded in memory (prefill widens four rows at a time into a
 * 16·K-byte scratch block: matmul_q8_0, and matmul_quant_tiled for the other block types).
 */
import { matmulTokenTile } from './matmul-tile.ts';
import { SparrowError } from '../../errors.ts';
import type { Tensor } from '../backend.ts';
import type { WasmBackend, WasmTensor } from './backend.ts';

type Kernel = (out: number, x: number, w: number, n: number, m: number, k: number, scratch?: number, tile?: number) => void;

/** The kernel of each weight dtype (assembly/quant.ts, assembly/bf16.ts). */
export const KERNELS: Record<string, string> = {
  bf16: 'matmul_bf16', q8_0: 'matmul_q8_0', q4_0: 'matmul_q4_0', q4_1: 'matmul_q4_1', q5_0: 'matmul_q5_0', q5_1: 'matmul_q5_1', iq4_nl: 'matmul_iq4_nl', iq4_xs: 'matmul_iq4_xs', iq3_xxs: 'matmul_iq3_xxs', iq3_s: 'matmul_iq3_s', iq2_s: 'matmul_iq2_s', iq2_xxs: 'matmul_iq2_xxs', iq2_xs: 'matmul_iq2_xs', iq1_s: 'matmul_iq1_s', iq1_m: 'matmul_iq1_m',
  q2_k: 'matmul_q2_k', q3_k: 'matmul_q3_k', q4_k: 'matmul_q4_k', q5_k: 'matmul_q5_k', q6_k: 'matmul_q6_k',
};

/** Block-type codes of assembly/quant.ts matmul_quant_tiled (prefill of these types). */
export const TILED: Record<string, number> = { q4_0: 1, q5_0: 2, q4_k: 3, q6_k: 4, q5_k: 5, q3_k: 6, q2_k: 7, q4_1: 8, q5_1: 9, iq4_nl: 10, iq4_xs: 11, iq3_xxs: 12, iq3_s: 13, iq2_s: 14, iq2_xxs: 15, iq2_xs: 16, iq1_s: 17, iq1_m: 18 };

/**
 * k-quants whose kernel subtracts dmin·m·Σx: the width of the x slices it sums (one sum per scale),
 * computed once per call into a scratch of N · K/width floats shared by every row.
 */
export const SLICE_SUMS: Record<string, number> = { q4_k: 32, q5_k: 32, q2_k: 16 };
export type TiledKernel = (t: number, out: number, x: number, w: number, n: number, m: number, k: number, scratch: number, tile: number, r0: number, r1: number) => void;

/**
 * Decode kernels of the opt-in int8-activation path (WasmBackend.int8Activations): x quantized once
 * per call, then integer block dots per row, as llama.cpp's CPU backend does. The k-quants and IQ4_XS take Q8_K
 * blocks (assembly/quant.ts quantize_q8_k, Q8K_BYTES per 256 values; semantics:
 * src/backends/reference/q8k.ts), the 32-value types Q8_0 / Q8_1 blocks (assembly/quant-q8.ts
 * quantize_q8_32, 9 bytes per 8 values; semantics: src/backends/reference/q8-0.ts).
 */
export const INT8_DOTS: Record<string, string> = {
  q2_k: 'matvec_q2_k_q8k', q3_k: 'matvec_q3_k_q8k', q4_k: 'matvec_q4_k_q8k', q5_k: 'matvec_q5_k_q8k', q6_k: 'matvec_q6_k_q8k',
  iq4_xs: 'matvec_iq4_xs_q8k',
  q8_0: 'matvec_q8_0_q8', q4_0: 'matvec_q4_0_q8', q5_0: 'matvec_q5_0_q8', q4_1: 'matvec_q4_1_q8', q5_1: 'matvec_q5_1_q8', iq4_nl: 'matvec_iq4_nl_q8',
};
export const Q8K_BYTES = 292;

/**
 * The int8 kernel for weight w (undefined: none): INT8_DOTS, except a Q8_0 tensor holding a −128
 * weight byte (WasmTensor.q8HasMin), which takes matvec_q8_0_any_q8 — the relaxed build's Q8_0 kernel
 * moves y's sign onto the weights, and −128 has no positive twin in a byte.
 */
export function int8Kernel(w: Tensor): string | undefined {
  if (w.dtype === 'q8_0' && (w as WasmTensor).q8HasMin !== false) return 'matvec_q8_0_any_q8';
  return INT8_DOTS[w.dtype];
}
type Int8Kernel = (out: number, y: number, w: number, m: number, k: number) => void;

/**
 * Quantize x (K f32 at xp) for `dtype`'s int8 kernel into a scratch, then `f(scratch)`: the int8
 * path's shared activation (Q8_K for the k-quants and IQ4_XS, Q8_0 / Q8_1 blocks for the others).
 */
export function withInt8Activations<T>(b: WasmBackend, dtype: string, xp: number, k: number, f: (y: number) => T): T {
  const q8k = dtype.endsWith('_k') || dtype === 'iq4_xs';
  return b.withScratch(q8k ? (k / 256) * Q8K_BYTES : (k / 32) * 8 + k, (y) => {
    (b.k[q8k ? 'quantize_q8_k' : 'quantize_q8_32'] as (y: number, x: number, k: number) => void)(y, xp, k);
    return f(y);
  });
}

/** out[N, M] = X[N, K] · Wᵀ for a quantized W (shapes already validated by the caller). */
export function quantMatmul(b: WasmBackend, op: string, out: Tensor, x: Tensor, w: Tensor, n: number, m: number, k: number): void {
  const name = KERNELS[w.dtype];
  if (!name) throw new SparrowError('UNSUPPORTED', `${op}: weight dtype ${w.dtype} is not supported by the wasm backend (${Object.keys(KERNELS).join(' | ')})`, { op, dtype: w.dtype });
  const kernel = b.k[name] as Kernel;
  const o = b.ptr(op, out);
  const xp = b.ptr(op, x);
  const wp = b.ptr(op, w);
  if (n === 0 || m === 0) return;
  const int8 = n === 1 && b.int8Activations ? int8Kernel(w) : undefined;
  if (int8) return withInt8Activations(b, w.dtype, xp, k, (y) => (b.k[int8] as Int8Kernel)(o, y, wp, m, k));
  const tiled = TILED[w.dtype];
  if (n > 1 && (tiled || w.dtype === 'q8_0' || w.dtype === 'bf16')) {
    // prefill: four weight rows at a time widened into a 4·K f32 scratch, then the register tile
    const tile = matmulTokenTile(n, k);
    b.withScratch(16 * k, (s) => (tiled ? (b.k.matmul_quant_tiled as TiledKernel)(tiled, o, xp, wp, n, m, k, s, tile, 0, m) : kernel(o, xp, wp, n, m, k, s, tile)));
  } else if (SLICE_SUMS[w.dtype]) b.withScratch(4 * n * (k / SLICE_SUMS[w.dtype]), (s) => kernel(o, xp, wp, n, m, k, s));
  else kernel(o, xp, wp, n, m, k, 0, 0);
}
