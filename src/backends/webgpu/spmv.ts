/** Unstructured-sparse weights on the webgpu backend: CSR in three buffers (shaders/sparse.wgsl). */
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
  const colIdx = upload(m.colIdx as Uint32Array<ArrayBuffer>);
  const bytes = m.values.byteLength + m.rowPtr.byteLength + m.colIdx.byteLength;
  return new GpuTensor('sparse', [m.rows, m.cols], values, bytes, { rowPtr, colIdx }, { valuesBytes: m.values.byteLength, nnz: m.values.length });
}

export function spmv(g: WebGpuBackend, out: Tensor, s: Tensor, x: Tensor): void {
  v.checkBackend('spmv', g.name, out, s, x);
  const { m } = v.spmv('spmv', out, s, x);
  const t = g.own('spmv', s);
  const [gx, gy] = grid(m);
  g.gpu.dispatch('sparse', sparseWgsl, 'spmv_csr', [u32(m), u32(gx)], [g.buf('spmv', out), t.buffer, t.parts.rowPtr, t.parts.colIdx, g.buf('spmv', x)], [gx, gy]);
}
