/**
 * Sparse matrix layouts of the wasm backend, built from the CSR interchange format. Each layout is a
 * set of typed arrays that the backend copies into linear memory; assembly/core-sparse.ts walks them.
 * Values are kept as exact f32. The comparison that picked the default is in docs/sparse-matvec.md.
 */
import type { CsrData } from '../backend.ts';

export type SparseLayoutKind =
  /** CSR, u16 byte offsets into x (K ≤ 16384), lane-load gathers: the fastest kernel. */
  | 'csr16'
  /** CSR with u32 column indices (any K). */
  | 'csr32'
  /** Rows as flat runs of 16-entry chunks: u16 window base + u8 offsets into x staged with zero slots (K ≤ 65280). */
  | 'win16';

export const SPARSE_LAYOUTS: readonly SparseLayoutKind[] = ['csr16', 'csr32', 'win16'];

/** Widest matrix win16 can hold: 256 blocks of 255 columns, so every staged slot fits a u16. */
export const WIN16_MAX_COLS = 255 * 256;

export interface SparseLayout {
  kind: SparseLayoutKind;
  rows: number;
  cols: number;
  nnz: number;
  /** Named arrays, copied to linear memory in this order. */
  parts: Record<string, Uint8Array | Uint16Array | Uint32Array | Float32Array>;
  /** Number of 255-column blocks of the staged x (win16; 0 otherwise). */
  blocks: number;
}

/**
 * The layout spmv uses unless asked otherwise. win16 when it stores the matrix in ≤ 90 % of the
 * bytes of the CSR alternative (csr16 for K ≤ 16384, else csr32): it is the smaller layout at
 * 50–90 % sparsity (5.125 B per entry vs 6) but its kernel does a little more work per entry, so
 * it must save at least 10 % to be preferred. Above ~93 % sparsity its chunks get cut short by
 * the 256-column window and padding makes it larger: csr16 / csr32 then.
 */
export function defaultSparseLayout(m: CsrData): SparseLayoutKind {
  const nnz = m.rowPtr[m.rows];
  const csr: SparseLayoutKind = m.cols <= 16384 ? 'csr16' : 'csr32';
  if (m.cols > WIN16_MAX_COLS || nnz === 0) return csr;
  const csrBytes = (csr === 'csr16' ? 6 : 8) * nnz;
  return 82 * win16Chunks(m) <= 0.9 * csrBytes ? 'win16' : csr;
}

/** Whether a layout can hold a matrix of this width. */
export function layoutFits(kind: SparseLayoutKind, cols: number): boolean {
  if (kind === 'csr16') return cols <= 16384;
  if (kind === 'win16') return cols <= WIN16_MAX_COLS;
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
    case 'win16':
      return { ...base, parts: buildWin16(m), blocks: Math.ceil(m.cols / 255) };
  }
}

/** Staged slot of column c: x is staged in blocks of 255 columns + one zero slot (stage_x_blk). */
export const win16Slot = (c: number) => c + Math.floor(c / 255);

/** Bytes of one win16 chunk: 16 f32 values + 16 u8 offsets (the record) + its u16 base. */
export const WIN16_CHUNK_BYTES = 82;

/**
 * Walk the win16 chunks: each row's entries, in CSR order, are cut greedily into chunks of at most
 * sixteen whose staged slots fit one 256-slot window [lo, lo + 255]. Calls emit(lo, from, to) per
 * chunk and endRow(r) after row r; returns the chunk count.
 */
function walkWin16(m: CsrData, emit?: (lo: number, from: number, to: number) => void, endRow?: (r: number, chunks: number) => void): number {
  let c = 0;
  for (let r = 0; r < m.rows; r++) {
    const end = m.rowPtr[r + 1];
    for (let i = m.rowPtr[r]; i < end; ) {
      let lo = win16Slot(m.colIdx[i]);
      let hi = lo;
      let j = i + 1;
      for (; j < end && j - i < 16; j++) {
        const s = win16Slot(m.colIdx[j]);
        if (Math.max(hi, s) - Math.min(lo, s) > 255) break;
        lo = Math.min(lo, s);
        hi = Math.max(hi, s);
      }
      emit?.(lo, i, j);
      c++;
      i = j;
    }
    endRow?.(r, c);
  }
  return c;
}

/** Number of win16 chunks (for the size estimate that picks the default layout). */
export function win16Chunks(m: CsrData): number {
  return walkWin16(m);
}

/**
 * win16 arrays: chunkPtr u32[M + 1], rec (80 bytes per chunk: 16 f32 values, then 16 u8 offsets),
 * base u16[C]. Short chunks are padded with (offset of the window's zero slot, +0): every 256-slot
 * window holds exactly one zero slot, at offset 255 - (lo & 255).
 */
function buildWin16(m: CsrData): SparseLayout['parts'] {
  const chunkPtr = new Uint32Array(m.rows + 1);
  const n = walkWin16(m, undefined, (r, c) => (chunkPtr[r + 1] = c));
  const rec = new Uint8Array(n * 80);
  const val = new Float32Array(rec.buffer);
  const base = new Uint16Array(n);
  let c = 0;
  walkWin16(m, (lo, from, to) => {
    base[c] = lo;
    const o = c * 80 + 64;
    rec.fill(255 - (lo & 255), o, o + 16);
    for (let i = from; i < to; i++) {
      rec[o + i - from] = win16Slot(m.colIdx[i]) - lo;
      val[c * 20 + i - from] = m.values[i];
    }
    c++;
  });
  return { chunkPtr, rec, base };
}

/** The stored non-zero values of a win16 layout in CSR order (padding skipped), from its arrays. */
export function win16Values(rec: Uint8Array, base: Uint16Array, nnz: number): Float32Array {
  const val = new Float32Array(rec.buffer, rec.byteOffset, rec.byteLength / 4);
  const out = new Float32Array(nnz);
  let k = 0;
  for (let c = 0; c < base.length; c++) {
    for (let j = 0; j < 16; j++) if (((base[c] + rec[c * 80 + 64 + j]) & 255) !== 255) out[k++] = val[c * 20 + j];
  }
  return out;
}

export function layoutBytes(l: SparseLayout): number {
  return Object.values(l.parts).reduce((n, a) => n + a.byteLength, 0);
}
