/**
 * Unstructured-sparse weights on the webgpu backend: CSR in three buffers (shaders/sparse.wgsl):
 * f32 values, u32 row pointers, and column indices as u16 pairs when cols ≤ 65536 (else u32).
 */
import type { CsrData, Tensor } from '../backend.ts';
import * as v from '../validate.ts';
import { grid, u32 } from './device.ts';
import { GpuTensor, type WebGpuBackend } from './backend.ts';
import sparseWgsl from '../../../shaders/sparse.wgsl?raw';

/** Upload a CSR matrix: `buffer` holds the values (what `read` returns), parts the index arrays. */
export function sparse(g: WebGpuBackend, m: CsrData): GpuTensor {
  v.csr('sparse', m);
  const upload = (data: Uint32Array<ArrayBuffer> | Float32Array<ArrayBuffer>) => {
    const buf = g.gpu.createBuffer(data.byteLength, 'sparse');
    if (data.byteLength) g.gpu.device.queue.writeBuffer(buf, 0, data);
    return buf;
  };
  const values = upload(m.values as Float32Array<ArrayBuffer>);
  const rowPtr = upload(m.rowPtr as Uint32Array<ArrayBuffer>);
  // Up to 65536 columns, indices fit u16: pack two per u32 word (6 bytes per non-zero, not 8).
  const u16Cols = m.cols <= 65536;
  const cols = u16Cols ? packU16(m.colIdx) : (m.colIdx as Uint32Array<ArrayBuffer>);
  const colIdx = upload(cols);
  const bytes = m.values.byteLength + m.rowPtr.byteLength + cols.byteLength;
  return new GpuTensor('sparse', [m.rows, m.cols], values, bytes, { rowPtr, colIdx }, { valuesBytes: m.values.byteLength, nnz: m.values.length, u16Cols: u16Cols ? 1 : 0 });
}

/** u16 values two per u32 word, entry i in the low half when i is even. */
function packU16(idx: Uint32Array): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(Math.ceil(idx.length / 2));
  for (let i = 0; i < idx.length; i++) out[i >> 1] |= idx[i] << ((i & 1) * 16);
  return out;
}

export function spmv(g: WebGpuBackend, out: Tensor, s: Tensor, x: Tensor): void {
  v.checkBackend('spmv', g.name, out, s, x);
  const { m, k } = v.spmv('spmv', out, s, x);
  dispatch(g, 'spmv', out, s, x, 1, m, k);
}

/** out[N, M] = X[N, K] · Sᵀ: the same shader, one workgroup per (token, row). */
export function spmm(g: WebGpuBackend, out: Tensor, s: Tensor, x: Tensor): void {
  v.checkBackend('spmm', g.name, out, s, x);
  const { n, m, k } = v.spmm('spmm', out, s, x);
  dispatch(g, 'spmm', out, s, x, n, m, k);
}

function dispatch(g: WebGpuBackend, op: string, out: Tensor, s: Tensor, x: Tensor, n: number, m: number, k: number): void {
  const t = g.own(op, s);
  const [gx, gy] = grid(n * m);
  g.gpu.dispatch('sparse', sparseWgsl, 'spmv_csr', [u32(m), u32(gx), u32(t.meta.u16Cols), u32(n), u32(k)], [g.buf(op, out), t.buffer, t.parts.rowPtr, t.parts.colIdx, g.buf(op, x)], [gx, gy]);
}
