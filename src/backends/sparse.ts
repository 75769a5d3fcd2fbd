/** Building CSR matrices from dense weights (the interchange format every backend compresses from). */
import type { CsrData } from './backend.ts';

/** Keep the non-zero entries of a row-major [rows, cols] matrix. */
export function csrFromDense(data: Float32Array, rows: number, cols: number): CsrData {
  let nnz = 0;
  for (let i = 0; i < rows * cols; i++) if (data[i] !== 0) nnz++;
  const rowPtr = new Uint32Array(rows + 1);
  const colIdx = new Uint32Array(nnz);
  const values = new Float32Array(nnz);
  let p = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c];
      if (v !== 0) {
        colIdx[p] = c;
        values[p++] = v;
      }
    }
    rowPtr[r + 1] = p;
  }
  return { rows, cols, rowPtr, colIdx, values };
}

/** Expand CSR back to a dense row-major matrix. */
export function csrToDense(m: CsrData): Float32Array {
  const out = new Float32Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.rowPtr[r]; p < m.rowPtr[r + 1]; p++) out[r * m.cols + m.colIdx[p]] = m.values[p];
  }
  return out;
}
