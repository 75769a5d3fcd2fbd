/**
 * BF16 linear layers on the webgpu backend. W stays raw bfloat16 in a storage buffer (two per u32
 * word) and runs the tuned f16 matvec / small-batch / tiled matmul kernels of shaders/matvec.wgsl,
 * compiled with bf16's exact widening instead of unpack2x16float (./linear.ts BF16_MATVEC_WGSL).
 * Reached through ./quant.ts (bf16 is one of the raw-block weight dtypes); ./linear.ts validates.
 */
import type { Tensor } from '../backend.ts';
import type { WebGpuBackend } from './backend.ts';
import * as lin from './linear.ts';

/** out[N, M] = X[N, K] · Wᵀ for a bf16 W (N = 1: matvec). */
export function bf16Linear(g: WebGpuBackend, op: string, out: Tensor, x: Tensor, w: Tensor, n: number): void {
  if (op === 'matvec' && n === 1) lin.matvec(g, out, w, x);
  else lin.matmul(g, out, x, w);
}
