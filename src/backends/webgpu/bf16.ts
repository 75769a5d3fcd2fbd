/**
 * BF16 linear layers on the webgpu backend (shaders/bf16.wgsl): W stays raw bfloat16 in a storage
 * buffer (two per u32 word), widened exactly in the shader; one 64-thread workgroup per output.
 * Shapes are validated by the caller (./quant.ts, which routes every raw-block weight dtype).
 */
import type { Tensor } from '../backend.ts';
import { grid, u32 } from './device.ts';
import type { WebGpuBackend } from './backend.ts';
import bf16Wgsl from '../../../shaders/bf16.wgsl?raw';

/** out[N, M] = X[N, K] · Wᵀ for a bf16 W (N = 1: matvec). */
export function bf16Linear(g: WebGpuBackend, op: string, out: Tensor, x: Tensor, w: Tensor, n: number, m: number, k: number): void {
  if (n === 0 || m === 0) return;
  const [gx, gy] = grid(n * m);
  g.gpu.dispatch('bf16', bf16Wgsl, 'matmul_bf16', [u32(m), u32(k), u32(gx), u32(n)], [g.buf(op, out), g.buf(op, w), g.buf(op, x)], [gx, gy]);
}
