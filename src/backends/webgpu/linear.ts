/**
 * Linear layers on the webgpu backend: matvec and matmul, f32, f16 or bf16 weights (shaders/matvec.wgsl).
 * bf16 runs the f16 kernels compiled with the half-unpacking swapped for bf16's (BF16_MATVEC_WGSL):
 * both pack two 16-bit elements per u32 word, so the loads, tiling and odd-K handling are shared.
 */
import { SparrowError } from '../../errors.ts';
import type { Tensor } from '../backend.ts';
import * as v from '../validate.ts';
import { grid, u32 } from './device.ts';
import type { WebGpuBackend } from './backend.ts';
import matvecWgsl from '../../../shaders/matvec.wgsl?raw';

/** Batches up to this many rows read each weight row once (matmul_small_*); larger ones tile. */
const SMALL_BATCH = 8;

/**
 * matvec.wgsl with every unpack2x16float (f16 pair → vec2<f32>) replaced by the exact bf16 widening:
 * low half `bitcast<f32>(w << 16u)`, high half `bitcast<f32>(w & 0xffff0000u)` (no shader-f16 needed).
 */
export const BF16_MATVEC_WGSL = `${matvecWgsl.replaceAll('unpack2x16float(', 'unpack2xbf16(')}
fn unpack2xbf16(w: u32) -> vec2<f32> { return vec2<f32>(bitcast<f32>(w << 16u), bitcast<f32>(w & 0xffff0000u)); }
`;

/** Entry-name suffix of the kernel family for a weight ('f16' kernels serve bf16 via BF16_MATVEC_WGSL). */
function weightKind(op: string, w: Tensor): 'f32' | 'f16' {
  v.checkDtype(op, 'weight', w, ['f32', 'f16', 'bf16']);
  return w.dtype === 'f32' ? 'f32' : 'f16';
}

/** [pipeline family, shader source] for a weight. */
const shader = (w: Tensor): [string, string] => (w.dtype === 'bf16' ? ['matvec-bf16', BF16_MATVEC_WGSL] : ['matvec', matvecWgsl]);

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
  g.gpu.dispatch(...shader(w), entry, [u32(m), u32(k), u32(gx), u32(1)], [g.buf('matvec', out), g.buf('matvec', w), g.buf('matvec', x)], [gx, gy]);
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
    g.gpu.dispatch(...shader(w), `matmul_small_${kind}`, [u32(m), u32(k), u32(gx), u32(n)], bufs, [gx, gy]);
    return;
  }
  const tx = Math.ceil(m / TILE);
  const ty = Math.ceil(n / TILE);
  if (tx > 65535 || ty > 65535) {
    throw new SparrowError('SIZE_LIMIT', `matmul: [${n}, ${k}] · [${m}, ${k}]ᵀ needs ${tx} × ${ty} tiles, above the 65535 per-dimension dispatch limit`, { op: 'matmul', n, m });
  }
  g.gpu.dispatch(...shader(w), `matmul_tiled_${kind}`, [u32(m), u32(k), u32(tx), u32(n)], bufs, [tx, ty]);
}
