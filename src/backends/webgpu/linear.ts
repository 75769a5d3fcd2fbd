/** Linear layers on the webgpu backend: matvec and matmul, f32 or f16 weights (shaders/matvec.wgsl). */
import { SparrowError } from '../../errors.ts';
import type { Tensor } from '../backend.ts';
import * as v from '../validate.ts';
import { grid, u32 } from './device.ts';
import type { WebGpuBackend } from './backend.ts';
import matvecWgsl from '../../../shaders/matvec.wgsl?raw';

/** Batches up to this many rows read each weight row once (matmul_small_*); larger ones tile. */
const SMALL_BATCH = 8;

function weightKind(op: string, w: Tensor): 'f32' | 'f16' {
  v.checkDtype(op, 'weight', w, ['f32', 'f16']);
  return w.dtype as 'f32' | 'f16';
}

/** Weight rows per matvec / small-matmul workgroup (must match ROWS in shaders/matvec.wgsl). */
const ROWS = 8;
/** Output tile edge of matmul_tiled (TT in shaders/matvec.wgsl). */
const TILE = 64;

/** out[M] = W[M,K] · x[K]. */
export function matvec(g: WebGpuBackend, out: Tensor, w: Tensor, x: Tensor): void {
  v.checkBackend('matvec', g.name, out, w, x);
  const { m, k } = v.matvec('matvec', out, w, x);
  const kind = weightKind('matvec', w);
  if (m === 0) return;
  // Vector loads need k to fill whole vec4 (f32) / vec4<u32> = 8 halves (f16) per row.
  const entry = kind === 'f32' ? (k % 4 === 0 ? 'matvec_f32_v4' : 'matvec_f32') : k % 8 === 0 ? 'matvec_f16_v8' : 'matvec_f16';
  const [gx, gy] = grid(Math.ceil(m / ROWS));
  g.gpu.dispatch('matvec', matvecWgsl, entry, [u32(m), u32(k), u32(gx), u32(1)], [g.buf('matvec', out), g.buf('matvec', w), g.buf('matvec', x)], [gx, gy]);
}

/** out[N,M] = X[N,K] · W[M,K]ᵀ. */
export function matmul(g: WebGpuBackend, out: Tensor, x: Tensor, w: Tensor): void {
  v.checkBackend('matmul', g.name, out, x, w);
  const { n, m, k } = v.matmul('matmul', out, x, w);
  const kind = weightKind('matmul', w);
  if (n === 0 || m === 0) return;
  const bufs = [g.buf('matmul', out), g.buf('matmul', w), g.buf('matmul', x)];
  if (n <= SMALL_BATCH) {
    const [gx, gy] = grid(Math.ceil(m / ROWS));
    g.gpu.dispatch('matvec', matvecWgsl, `matmul_small_${kind}`, [u32(m), u32(k), u32(gx), u32(n)], bufs, [gx, gy]);
    return;
  }
  const tx = Math.ceil(m / TILE);
  const ty = Math.ceil(n / TILE);
  if (tx > 65535 || ty > 65535) {
    throw new SparrowError('SIZE_LIMIT', `matmul: [${n}, ${k}] · [${m}, ${k}]ᵀ needs ${tx} × ${ty} tiles, above the 65535 per-dimension dispatch limit`, { op: 'matmul', n, m });
  }
  g.gpu.dispatch('matvec', matvecWgsl, `matmul_tiled_${kind}`, [u32(m), u32(k), u32(tx), u32(n)], bufs, [tx, ty]);
}
