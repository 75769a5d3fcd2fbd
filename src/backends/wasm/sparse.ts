/**
 * Sparse matrix layouts of the wasm backend, built from the CSR interchange format. Each layout is a
 * set of typed arrays that the backend copies into linear memory; assembly/core-sparse.ts walks them.
 * Values are kept as exact f32. The comparison that picked the default is in docs/sparse-matvec.md.
 */
import type { CsrData } from '../backend.ts';

export type SparseLayoutKind =
  /** CSR, u16 byte offsets into x (K ≤ 16384), lane-load gathers. */
  | 'csr16'
  /** Same arrays as csr16, scalar walk (for comparison). */
  | 'csr16-scalar'
  /** CSR with u32 column indices (any K). */
  | 'csr32'
  /** Column blocks of 256 with u8 in-block columns and u16 per-(row, block) counts. */
  | 'blk8'
  /** 64-bit occupancy mask per 64 columns + packed values. */
  | 'bitmask'
  /** Blocks of 255 columns, rows as flat runs of 4-entry groups with a u8 block header (padded). */
  | 'blk8p';

export const SPARSE_LAYOUTS: readonly SparseLayoutKind[] = ['csr16', 'csr16-scalar', 'csr32', 'blk8', 'bitmask', 'blk8p'];

export interface SparseLayout {
  kind: SparseLayoutKind;
  rows: number;
  cols: number;
  nnz: number;
  /** Named arrays, copied to linear memory in this order. */
  parts: Record<string, Uint8Array | Uint16Array | Uint32Array | Float32Array>;
  /** Number of column blocks (blk8) or 64-bit mask words per row (bitmask). */
  blocks: number;
}

/** The layout spmv uses unless asked otherwise: the measured winner where it applies. */
export function defaultSparseLayout(m: CsrData): SparseLayoutKind {
  return m.cols <= 65536 && m.cols > 0 ? 'blk8' : 'csr32';
}

/** Whether a layout can hold a matrix of this width. */
export function layoutFits(kind: SparseLayoutKind, cols: number): boolean {
  if (kind === 'csr16' || kind === 'csr16-scalar') return cols <= 16384;
  if (kind === 'blk8') return cols <= 256 * 65536;
  if (kind === 'blk8p') return cols <= 255 * 256;
  return true;
}

export function buildSparseLayout(m: CsrData, kind: SparseLayoutKind): SparseLayout {
  const nnz = m.rowPtr[m.rows];
  const base = { kind, rows: m.rows, cols: m.cols, nnz };
  switch (kind) {
    case 'csr16':
    case 'csr16-scalar': {
      const off = new Uint16Array(nnz);
      for (let i = 0; i < nnz; i++) off[i] = m.colIdx[i] * 4;
      return { ...base, parts: { rowPtr: m.rowPtr.slice(), off, val: m.values.slice() }, blocks: 0 };
    }
    case 'csr32':
      return { ...base, parts: { rowPtr: m.rowPtr.slice(), col: m.colIdx.slice(), val: m.values.slice() }, blocks: 0 };
    case 'blk8': {
      const nb = Math.ceil(m.cols / 256);
      const cnt = new Uint32Array(m.rows * nb);
      const col = new Uint8Array(nnz);
      const val = new Float32Array(nnz);
      // CSR rows need not be sorted by column: bucket each row's entries by block.
      let p = 0;
      for (let r = 0; r < m.rows; r++) {
        const s = m.rowPtr[r];
        const e = m.rowPtr[r + 1];
        for (let i = s; i < e; i++) cnt[r * nb + (m.colIdx[i] >>> 8)]++;
        const start = new Uint32Array(nb);
        for (let b = 0, q = p; b < nb; b++) {
          start[b] = q;
          q += cnt[r * nb + b];
        }
        for (let i = s; i < e; i++) {
          const c = m.colIdx[i];
          const q = start[c >>> 8]++;
          col[q] = c & 255;
          val[q] = m.values[i];
        }
        p += e - s;
      }
      // A (row, block) holds at most 256 distinct columns; only duplicate entries could overflow u16.
      if (cnt.some((c) => c > 65535)) return buildSparseLayout(m, 'csr32');
      return { ...base, parts: { cnt: Uint16Array.from(cnt), col, val }, blocks: nb };
    }
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
    case 'bitmask': {
      const words = Math.ceil(m.cols / 64);
      const mask = new Uint32Array(m.rows * words * 2);
      const val = new Float32Array(nnz);
      let p = 0;
      for (let r = 0; r < m.rows; r++) {
        const rowMask = mask.subarray(r * words * 2, (r + 1) * words * 2);
        const dense = new Float32Array(m.cols);
        for (let i = m.rowPtr[r]; i < m.rowPtr[r + 1]; i++) {
          const c = m.colIdx[i];
          rowMask[c >>> 5] |= 1 << (c & 31);
          dense[c] += m.values[i];
        }
        for (let c = 0; c < m.cols; c++) if (rowMask[c >>> 5] & (1 << (c & 31))) val[p++] = dense[c];
      }
      return { ...base, nnz: p, parts: { mask, val: val.subarray(0, p) }, blocks: words };
    }
  }
}

export function layoutBytes(l: SparseLayout): number {
  return Object.values(l.parts).reduce((n, a) => n + a.byteLength, 0);
}
