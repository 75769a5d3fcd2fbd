/**
 * Quantized linear layers on the webgpu backend (shaders/quant.wgsl): W holds raw GGML blocks in a
 * storage buffer (read as u32 words). Each output element gets `lanes` threads of a 64-thread
 * workgroup (quantLanes), so a workgroup computes 64 / lanes outputs.
 */
import { SparrowError } from '../../errors.ts';
import type { Tensor } from '../backend.ts';
import * as v from '../validate.ts';
import { grid, u32 } from './device.ts';
import type { WebGpuBackend } from './backend.ts';
import quantWgsl from '../../../shaders/quant.wgsl?raw';
import { bf16Linear } from './bf16.ts';
import { IQ_TABLE, IQ_TABLE_WGSL } from './iq-table.ts';

/** The shader with its lookup tables' word offsets (iq-table.ts) in front. */
const QUANT_WGSL = IQ_TABLE_WGSL + quantWgsl;
/** The types whose kernels read the lookup tables (binding 4). */
const TABLE_TYPES = new Set(['iq4_nl', 'iq4_xs', 'iq3_xxs', 'iq3_s', 'iq2_s', 'iq2_xxs', 'iq2_xs', 'iq1_s', 'iq1_m']);

const ENTRIES: Record<string, string> = {
  q8_0: 'matmul_q8_0', q4_0: 'matmul_q4_0', q4_1: 'matmul_q4_1', q5_0: 'matmul_q5_0', q5_1: 'matmul_q5_1', iq4_nl: 'matmul_iq4_nl', iq4_xs: 'matmul_iq4_xs', iq3_xxs: 'matmul_iq3_xxs', iq3_s: 'matmul_iq3_s', iq2_s: 'matmul_iq2_s', iq2_xxs: 'matmul_iq2_xxs', iq2_xs: 'matmul_iq2_xs', iq1_s: 'matmul_iq1_s', iq1_m: 'matmul_iq1_m',
  q2_k: 'matmul_q2_k', q3_k: 'matmul_q3_k', q4_k: 'matmul_q4_k', q5_k: 'matmul_q5_k', q6_k: 'matmul_q6_k',
};

function entry(op: string, w: Tensor): string {
  const e = ENTRIES[w.dtype];
  if (!e) throw new SparrowError('UNSUPPORTED', `${op}: weight dtype ${w.dtype} is not supported by the webgpu backend (bf16 | ${Object.keys(ENTRIES).join(' | ')})`, { op, dtype: w.dtype });
  return e;
}

/**
 * Threads per output element: the largest power of two ≤ the row's 32-element units, within
 * [4, 64]. Every lane then has at least one unit (down to K = 128), and short rows share a
 * workgroup instead of leaving most of its threads idle.
 */
export function quantLanes(k: number): number {
  if (quantLanesControl.fixed) return quantLanesControl.fixed;
  const units = Math.max(1, Math.floor(k / 32));
  let lanes = 4;
  while (lanes < 64 && lanes * 2 <= units) lanes *= 2;
  return lanes;
}

/** Switch for side-by-side benchmarks only (bench/cases/quant.ts): a fixed lane count, e.g. 64 = one output per workgroup as before. */
export const quantLanesControl: { fixed?: 4 | 8 | 16 | 32 | 64 } = {};

function dispatch(g: WebGpuBackend, op: string, out: Tensor, x: Tensor, w: Tensor, n: number, m: number, k: number): void {
  if (w.dtype === 'bf16') return bf16Linear(g, op, out, x, w, n);
  const name = entry(op, w);
  if (n === 0 || m === 0) return;
  const lanes = quantLanes(k);
  const [gx, gy] = grid(Math.ceil((n * m * lanes) / 64));
  const buffers = [g.buf(op, out), g.buf(op, w), g.buf(op, x)];
  if (TABLE_TYPES.has(w.dtype)) buffers.push(g.gpu.tableBuffer('iq-table', IQ_TABLE));
  g.gpu.dispatch('quant', QUANT_WGSL, name, [u32(m), u32(k), u32(gx), u32(n), u32(lanes), u32(0), u32(0), u32(0)], buffers, [gx, gy]);
}

/** out[M] = W[M,K] · x[K] for a quantized W. */
export function quantMatvec(g: WebGpuBackend, out: Tensor, w: Tensor, x: Tensor): void {
  v.checkBackend('matvec', g.name, out, w, x);
  const { m, k } = v.matvec('matvec', out, w, x);
  dispatch(g, 'matvec', out, x, w, 1, m, k);
}

/** out[N,M] = X[N,K] · Wᵀ for a quantized W. */
export function quantMatmul(g: WebGpuBackend, out: Tensor, x: Tensor, w: Tensor): void {
  v.checkBackend('matmul', g.name, out, x, w);
  const { n, m, k } = v.matmul('matmul', out, x, w);
  dispatch(g, 'matmul', out, x, w, n, m, k);
}
