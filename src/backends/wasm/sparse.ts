/**
 * Sparse matrix layouts of the wasm backend, built from the CSR interchange format. Each layout is a
 * set of typed arrays that the backend copies into linear memory; assembly/core-sparse.ts walks them.
 * Values are kept as exact f32. The comparison that picked the default is in docs/sparse-matvec.md.
 */
import type { CsrData, SparsePreference } from '../backend.ts';

export type SparseLayoutKind =
  /** CSR, u16 byte offsets into x (K ≤ 16384) + row pointers: the fastest kernel (broadcast + blend gathers). */
  | 'csr16'
  /** csr16 with no row pointers (K ≤ 4096, every row ≥ 8 entries): row lengths in the offsets' spare top bits, 6 B per entry and nothing else. */
  | 'csr16n'
  /** CSR with u32 column indices (any K). */
  | 'csr32'
  /** Rows as flat runs of 16-entry chunks + a tail of 4-entry groups: u16 window base + u8 offsets into x staged with zero slots (K ≤ 65280). */
  | 'win16';

export const SPARSE_LAYOUTS: readonly SparseLayoutKind[] = ['csr16', 'csr16n', 'csr32', 'win16'];

/** Widest matrix csr16n can hold: its byte offsets need bits 0–13, bits 14–15 carry row lengths. */
export const CSR16N_MAX_COLS = 4096;

/** Fewest entries a csr16n row can have: its length is spread over its first eight offsets. */
export const CSR16N_MIN_ROW = 8;

/** Widest matrix csr16 can hold: its u16 offsets are byte offsets (4 · column) into x. */
export const CSR16_MAX_COLS = 16384;

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
 * The 'size' choice. win16 when it stores the matrix in ≤ 90 % of the
 * bytes of the CSR alternative (csr16 for K ≤ 16384, else csr32): it is the smaller layout at
 * 50–90 % sparsity (5.125 B per entry vs 6) but its kernel does a little more work per entry, so
 * it must save at least 10 % to be preferred. Above ~93 % sparsity its chunks get cut short by
 * the 256-column window and padding makes it larger: csr16 / csr32 then.
 */
export function smallestSparseLayout(m: CsrData): SparseLayoutKind {
  const nnz = m.rowPtr[m.rows];
  const csr = csrLayoutFor(m.cols);
  if (m.cols > WIN16_MAX_COLS || nnz === 0) return csr;
  const csrBytes = (csr === 'csr16' ? 6 : 8) * nnz + 4 * (m.rows + 1);
  return win16Bytes(m) <= 0.9 * csrBytes ? 'win16' : csr;
}

/**
 * The layout for a preference: 'speed' (Backend.sparse's default) → csr16n where it fits (no
 * row pointers, the csr16 kernel), else csr16 (csr32 for K > 16384): their kernel is 10–20 % faster
 * than win16's (more on short rows, docs/sparse-matvec.md); 'size' → smallestSparseLayout.
 */
export function pickSparseLayout(m: CsrData, prefer: SparsePreference): SparseLayoutKind {
  if (prefer === 'size') return smallestSparseLayout(m);
  return csr16nFits(m) ? 'csr16n' : csrLayoutFor(m.cols);
}

/** The CSR layout for a width: csr16 where its offsets fit, else csr32. */
function csrLayoutFor(cols: number): SparseLayoutKind {
  return cols <= CSR16_MAX_COLS ? 'csr16' : 'csr32';
}

/**
 * Whether csr16n can hold this matrix: K ≤ 4096 and every row has 8 … 65535 entries (its length
 * code has 16 bits; more than K entries only happen with repeated columns, which CSR allows).
 */
export function csr16nFits(m: CsrData): boolean {
  if (m.cols > CSR16N_MAX_COLS) return false;
  for (let r = 0; r < m.rows; r++) {
    const n = m.rowPtr[r + 1] - m.rowPtr[r];
    if (n < CSR16N_MIN_ROW || n > 0xffff) return false;
  }
  return true;
}

/** Whether a layout can hold this matrix (its width; csr16n also its row lengths). */
export function layoutFits(kind: SparseLayoutKind, m: CsrData): boolean {
  const cols = m.cols;
  if (kind === 'csr16') return cols <= CSR16_MAX_COLS;
  if (kind === 'csr16n') return csr16nFits(m);
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
    case 'csr16n':
      return { ...base, parts: { off: csr16nOffsets(m), val: m.values.slice() }, blocks: 0 };
    case 'csr32':
      return { ...base, parts: { rowPtr: m.rowPtr.slice(), col: m.colIdx.slice(), val: m.values.slice() }, blocks: 0 };
    case 'win16':
      return { ...base, parts: buildWin16(m), blocks: Math.ceil(m.cols / 255) };
  }
}

/** csr16n's offsets: 4·col, plus bits 2j, 2j+1 of the row's length in the top two bits of its j-th entry (j < 8). */
function csr16nOffsets(m: CsrData): Uint16Array {
  const off = new Uint16Array(m.rowPtr[m.rows]);
  for (let r = 0; r < m.rows; r++) {
    const [p0, p1] = [m.rowPtr[r], m.rowPtr[r + 1]];
    for (let p = p0; p < p1; p++) off[p] = m.colIdx[p] * 4;
    for (let j = 0; j < CSR16N_MIN_ROW; j++) off[p0 + j] |= (((p1 - p0) >> (2 * j)) & 3) << 14;
  }
  return off;
}

/** Row lengths of a csr16n layout, decoded from its offsets (what spmv_csr16n reads per row). */
export function csr16nRowLengths(off: Uint16Array, rows: number): Uint32Array {
  const len = new Uint32Array(rows);
  let p = 0;
  for (let r = 0; r < rows; r++) {
    let n = 0;
    for (let j = 0; j < CSR16N_MIN_ROW; j++) n |= (off[p + j] >> 14) << (2 * j);
    len[r] = n;
    p += n;
  }
  return len;
}

/** Staged slot of column c: x is staged in blocks of 255 columns + one zero slot (stage_x_blk). */
export const win16Slot = (c: number) => c + Math.floor(c / 255);

/**
 * Walk the win16 chunks: each row's entries, in CSR order, are cut greedily into runs of at most
 * sixteen whose staged slots fit one 256-slot window [lo, lo + 255]. Every run is a chunk except a
 * row's last run when it holds fewer than sixteen entries: that one is the row's tail (groups of 4).
 * Calls chunk(lo, from, to) / tail(r, lo, from, to) and endRow(r, chunks, groups).
 */
function walkWin16(
  m: CsrData,
  on: {
    chunk?: (lo: number, from: number, to: number) => void;
    tail?: (r: number, lo: number, from: number, to: number) => void;
    endRow?: (r: number, chunks: number, groups: number) => void;
  } = {},
): { chunks: number; groups: number } {
  let c = 0, g = 0;
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
      if (j === end && j - i < 16) {
        on.tail?.(r, lo, i, j);
        g += Math.ceil((j - i) / 4);
      } else {
        on.chunk?.(lo, i, j);
        c++;
      }
      i = j;
    }
    on.endRow?.(r, c, g);
  }
  return { chunks: c, groups: g };
}

/** Stored bytes of m as win16, without building it (picks the default layout). */
export function win16Bytes(m: CsrData): number {
  const { chunks, groups } = walkWin16(m);
  return 82 * chunks + 20 * groups + 10 * m.rows + 8;
}

/**
 * win16 arrays: chunkPtr u32[M + 1], rec (80 bytes per chunk: 16 f32 values, then 16 u8 offsets),
 * base u16[C], tailPtr u32[M + 1], tail (20 bytes per group: 4 f32, 4 u8 offsets), tailBase u16[M].
 * Padding entries hold the offset of the window's zero slot and +0: every 256-slot window holds
 * exactly one zero slot, at offset 255 - (lo & 255).
 */
function buildWin16(m: CsrData): SparseLayout['parts'] {
  const chunkPtr = new Uint32Array(m.rows + 1);
  const tailPtr = new Uint32Array(m.rows + 1);
  const n = walkWin16(m, { endRow: (r, c, g) => ((chunkPtr[r + 1] = c), (tailPtr[r + 1] = g)) });
  const rec = new Uint8Array(n.chunks * 80);
  const val = new Float32Array(rec.buffer);
  const base = new Uint16Array(n.chunks);
  const tail = new Uint8Array(n.groups * 20);
  const tval = new Float32Array(tail.buffer);
  const tailBase = new Uint16Array(m.rows);
  let c = 0;
  walkWin16(m, {
    chunk: (lo, from, to) => {
      base[c] = lo;
      const o = c * 80 + 64;
      rec.fill(255 - (lo & 255), o, o + 16);
      for (let i = from; i < to; i++) {
        rec[o + i - from] = win16Slot(m.colIdx[i]) - lo;
        val[c * 20 + i - from] = m.values[i];
      }
      c++;
    },
    tail: (r, lo, from, to) => {
      tailBase[r] = lo;
      const g0 = tailPtr[r];
      for (let g = g0; g < tailPtr[r + 1]; g++) tail.fill(255 - (lo & 255), g * 20 + 16, g * 20 + 20);
      for (let i = from; i < to; i++) {
        const k = i - from;
        const g = g0 + (k >> 2);
        tail[g * 20 + 16 + (k & 3)] = win16Slot(m.colIdx[i]) - lo;
        tval[g * 5 + (k & 3)] = m.values[i];
      }
    },
  });
  return { chunkPtr, rec, base, tailPtr, tail, tailBase };
}

/** The stored non-zero values of a win16 layout in CSR order (padding skipped), from its arrays. */
export function win16Values(p: { chunkPtr: Uint32Array; rec: Uint8Array; base: Uint16Array; tailPtr: Uint32Array; tail: Uint8Array; tailBase: Uint16Array }, rows: number, nnz: number): Float32Array {
  const val = new Float32Array(p.rec.buffer, p.rec.byteOffset, p.rec.byteLength / 4);
  const tval = new Float32Array(p.tail.buffer, p.tail.byteOffset, p.tail.byteLength / 4);
  const out = new Float32Array(nnz);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = p.chunkPtr[r]; c < p.chunkPtr[r + 1]; c++) {
      for (let j = 0; j < 16; j++) if (((p.base[c] + p.rec[c * 80 + 64 + j]) & 255) !== 255) out[k++] = val[c * 20 + j];
    }
    for (let g = p.tailPtr[r]; g < p.tailPtr[r + 1]; g++) {
      for (let j = 0; j < 4; j++) if (((p.tailBase[r] + p.tail[g * 20 + 16 + j]) & 255) !== 255) out[k++] = tval[g * 5 + j];
    }
  }
  return out;
}

export function layoutBytes(l: SparseLayout): number {
  return Object.values(l.parts).reduce((n, a) => n + a.byteLength, 0);
}
