/**
 * Sparse matrix layouts of the wasm backend, built from the CSR interchange format. Each layout is a
 * set of typed arrays that the backend copies into linear memory; assembly/core-sparse.ts walks them.
 * Values are kept as exact f32. The comparison that picked the default is in docs/sparse-matvec.md.
 */
import type { CsrData } from '../backend.ts';

export type SparseLayoutKind =
  /** CSR, u16 byte offsets into x (K ≤ 16384), lane-load gathers. */
  | 'csr16'
  /** CSR with u32 column indices (any K). */
  | 'csr32'
  /** Blocks of 255 columns, rows as flat runs of 4-entry groups with a u8 block header (padded). */
  | 'blk8p';

export const SPARSE_LAYOUTS: readonly SparseLayoutKind[] = ['csr16', 'csr32', 'blk8p'];

export interface SparseLayout {
  kind: SparseLayoutKind;
  rows: number;
  cols: number;
  nnz: number;
  /** Named arrays, copied to linear memory in this order. */
  parts: Record<string, Uint8Array | Uint16Array | Uint32Array | Float32Array>;
  /** Number of 255-column blocks (blk8p). */
  blocks: number;
}

/** The layout spmv uses unless asked otherwise: the measured winner where it applies. */
export function defaultSparseLayout(m: CsrData): SparseLayoutKind {
  return m.cols <= 16384 ? 'csr16' : 'csr32';
}

/** Whether a layout can hold a matrix of this width. */
export function layoutFits(kind: SparseLayoutKind, cols: number): boolean {
  if (kind === 'csr16') return cols <= 16384;
  if (kind === 'blk8p') return cols <= 255 * 256;
  return true;
}

export function buildSparseLayout(m: CsrData, kind: SparseLayoutKind): SparseLayout {
  const nnz = m.rowPtr[m.rows];
  const base = { kind, rows: m.rows, cols: m.cols, nnz };
  switch (kind) {
    case 'csr16': {
      const off = new Uint16Array(nnz);
      for (let i = 0; i < nnz; i++) off[i] = m.colIdx[i] * 4;
      return { ...base, parts: { rowPtr: m.rowPtr.slice(), off, val: m.values.slice() }, blocks: 0 };
    }
    case 'csr32':
      return { ...base, parts: { rowPtr: m.rowPtr.slice(), col: m.colIdx.slice(), val: m.values.slice() }, blocks: 0 };
    case 'blk8p': {
      const nb = Math.ceil(m.cols / 255);
      // First pass: groups per row (each (row, block) run padded to a multiple of 4).
      const grpPtr = new Uint32Array(m.rows + 1);
      const perBlock = new Uint32Array(nb);
      for (let r = 0; r < m.rows; r++) {
        perBlock.fill(0);
        for (let i = m.rowPtr[r]; i < m.rowPtr[r + 1]; i++) perBlock[Math.floor(m.colIdx[i] / 255)]++;
        let g = 0;
        for (let b = 0; b < nb; b++) g += Math.ceil(perBlock[b] / 4);
        grpPtr[r + 1] = grpPtr[r] + g;
      }
      const groups = grpPtr[m.rows];
      const hdr = new Uint8Array(groups);
      const col = new Uint8Array(groups * 4).fill(255);
      const val = new Float32Array(groups * 4);
      const start = new Uint32Array(nb);
      for (let r = 0; r < m.rows; r++) {
        perBlock.fill(0);
        for (let i = m.rowPtr[r]; i < m.rowPtr[r + 1]; i++) perBlock[Math.floor(m.colIdx[i] / 255)]++;
        let g = grpPtr[r];
        for (let b = 0; b < nb; b++) {
          start[b] = g * 4;
          const ng = Math.ceil(perBlock[b] / 4);
          hdr.fill(b, g, g + ng);
          g += ng;
        }
        for (let i = m.rowPtr[r]; i < m.rowPtr[r + 1]; i++) {
          const b = Math.floor(m.colIdx[i] / 255);
          const q = start[b]++;
          col[q] = m.colIdx[i] - 255 * b;
          val[q] = m.values[i];
        }
      }
      return { ...base, parts: { grpPtr, hdr, col, val }, blocks: nb };
    }
  }
}

export function layoutBytes(l: SparseLayout): number {
  return Object.values(l.parts).reduce((n, a) => n + a.byteLength, 0);
}
