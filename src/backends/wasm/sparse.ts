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
  | 'win16'
  /** Groups of eight 32-bit words, each an exact f32 magnitude (mantissa + one exponent bit over a per-matrix base) with 2·offset + sign in its low byte; other values as exception records: ~4.25 B per entry of magnitude-pruned rows (sorted rows, K ≤ 65024). */
  | 'word8';

export const SPARSE_LAYOUTS: readonly SparseLayoutKind[] = ['csr16', 'csr16n', 'csr32', 'win16', 'word8'];

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
  /** Number of 255-column blocks of win16's staged x (0 otherwise). */
  blocks: number;
  /** word8: the exponent base its words' exponent bit counts from (0 otherwise). */
  ebase: number;
}

/**
 * The 'size' choice: the smallest of word8 (~4.25 B per entry when the values' exponents are narrow,
 * as magnitude pruning leaves them), win16 (5.125 B) and the CSR alternative (csr16 for K ≤ 16384,
 * else csr32). word8 and win16 do more work per entry than csr16, so they must store the matrix in
 * ≤ 90 % of the CSR bytes to be preferred; above ~93 % sparsity padding makes them larger anyway.
 */
export function smallestSparseLayout(m: CsrData): SparseLayoutKind {
  const nnz = m.rowPtr[m.rows];
  const csr = csrLayoutFor(m.cols);
  if (nnz === 0) return csr;
  const csrBytes = (csr === 'csr16' ? 6 : 8) * nnz + 4 * (m.rows + 1);
  let best: SparseLayoutKind = csr, bestBytes = 0.9 * csrBytes;
  const win16 = m.cols <= WIN16_MAX_COLS ? win16Bytes(m) : Infinity;
  if (win16 <= bestBytes) [best, bestBytes] = ['win16', win16];
  if (word8Bytes(m) <= bestBytes) best = 'word8';
  return best;
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
  if (kind === 'word8') return word8Fits(m);
  return true;
}

export function buildSparseLayout(m: CsrData, kind: SparseLayoutKind): SparseLayout {
  const nnz = m.rowPtr[m.rows];
  const base = { kind, rows: m.rows, cols: m.cols, nnz, ebase: 0 };
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
    case 'word8': {
      const plan = word8Plan(m);
      return { ...base, parts: buildWord8(m, plan), blocks: 0, ebase: plan.ebase };
    }
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

// ---- word8 -----------------------------------------------------------------------------------
// Magnitude pruning keeps the largest weights of a tensor, so their exponents span only a few
// binades. word8 stores each entry as one 32-bit word: the low byte is 2·offset + sign (offset: the
// column in a 128-column window of x staged as (x, −x) pairs), bits 8–30 the mantissa and bit 31 the
// exponent's offset (0/1) from the matrix's base — exact f32 values. Entries whose exponent falls
// outside the base's two binades (and zeros, subnormals, Inf/NaN) are kept exactly in a small
// exception list (row, column, value).

/** Staged column of column c for word8: blocks of 127 columns + one zero column (stage_x_word8). */
export const word8Slot = (c: number) => c + Math.floor(c / 127);

/** Bytes of word8's staged x for K columns: (x, −x) pairs, zero columns, one spare. */
export const word8StageBytes = (k: number) => 8 * (word8Slot(Math.max(k, 1) - 1) + 2);

/**
 * Widest matrix word8 can hold: a window's first staged column is a u16 (65536 columns of 128-column
 * blocks: 127 · 512). It also bounds a row's group count (a u16): columns strictly increase, so a
 * row has at most K entries and at most K groups.
 */
export const WORD8_MAX_COLS = 127 * 512;

const exponentOf = (bits: number) => (bits >>> 23) & 255;

/** The base e of the two exponents [e, e + 1] (within 1 … 254) that hold the most values. */
function word8ExponentBase(values: Float32Array): number {
  const hist = new Float64Array(256);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) hist[exponentOf(bits[i])]++;
  let best = 1, bestCount = -1;
  for (let e = 1; e <= 253; e++) {
    const n = hist[e] + hist[e + 1];
    if (n > bestCount) [best, bestCount] = [e, n];
  }
  return best;
}

/** What word8 makes of a matrix, counted without building it (word8Plan). */
interface Word8Plan {
  fits: boolean;
  ebase: number;
  /** Groups per row (when it fits). */
  groups: Uint16Array;
  totalGroups: number;
  exceptions: number;
  bytes: number;
}

/**
 * The last matrix planned and its plan: `Backend.sparse` asks for the fit, the size and the build
 * of the same matrix in a row (pickSparseLayout, layoutFits, buildSparseLayout); the WASM backend
 * clears it when that call ends (forgetWord8Plan), so a matrix changed in place is planned anew.
 */
let lastPlan: { m: CsrData; plan: Word8Plan } | null = null;

export function forgetWord8Plan(): void {
  lastPlan = null;
}

function word8Plan(m: CsrData): Word8Plan {
  if (lastPlan?.m === m) return lastPlan.plan;
  const plan: Word8Plan = { fits: false, ebase: 1, groups: new Uint16Array(0), totalGroups: 0, exceptions: 0, bytes: Infinity };
  lastPlan = { m, plan };
  if (m.cols > WORD8_MAX_COLS) return plan;
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.rowPtr[r] + 1; p < m.rowPtr[r + 1]; p++) if (m.colIdx[p] <= m.colIdx[p - 1]) return plan;
  }
  plan.ebase = word8ExponentBase(m.values);
  plan.groups = new Uint16Array(m.rows);
  walkWord8(m, plan.ebase, {
    exception: () => plan.exceptions++,
    endRow: (r, n) => {
      plan.groups[r] = n;
      plan.totalGroups += n;
    },
  });
  plan.fits = true;
  plan.bytes = 2 * m.rows + 34 * plan.totalGroups + 12 * plan.exceptions;
  return plan;
}

/** Whether word8 holds m: K ≤ WORD8_MAX_COLS and rows with strictly increasing columns (windows move forward; the read-back merges exceptions by column). */
export function word8Fits(m: CsrData): boolean {
  return word8Plan(m).fits;
}

/** Stored bytes of m as word8, without building it (Infinity where it does not fit). */
export function word8Bytes(m: CsrData): number {
  return word8Plan(m).bytes;
}

/**
 * Walk word8's groups: each row's in-range entries, in CSR order, are cut greedily into runs of at
 * most eight whose staged columns fit the 128-column window that starts at the run's first. Calls
 * group(lo, idx, i, j) for the run idx[i..j) (entry indices), exception(r, p) for every
 * out-of-range entry, endRow(r, groupsInRow).
 */
function walkWord8(
  m: CsrData,
  ebase: number,
  on: {
    group?: (lo: number, idx: number[], i: number, j: number) => void;
    exception?: (r: number, p: number) => void;
    endRow?: (r: number, groups: number) => void;
  },
): void {
  const bits = new Uint32Array(m.values.buffer, m.values.byteOffset, m.values.length);
  const idx: number[] = [];
  for (let r = 0; r < m.rows; r++) {
    let groups = 0;
    idx.length = 0;
    for (let p = m.rowPtr[r]; p < m.rowPtr[r + 1]; p++) {
      const d = exponentOf(bits[p]) - ebase;
      if (d === 0 || d === 1) idx.push(p);
      else on.exception?.(r, p);
    }
    for (let i = 0; i < idx.length; ) {
      const lo = word8Slot(m.colIdx[idx[i]]);
      let j = i + 1;
      while (j < idx.length && j - i < 8 && word8Slot(m.colIdx[idx[j]]) - lo <= 127) j++;
      on.group?.(lo, idx, i, j);
      groups++;
      i = j;
    }
    on.endRow?.(r, groups);
  }
}

/**
 * word8 arrays: groups u16[M], base u16[G], words u32[8G], exc u32[3E]: the exceptions as
 * (row, column, value bits) records, sorted by row. Padding words: 2·(offset of the window's zero column), value bits 0.
 */
function buildWord8(m: CsrData, plan: Word8Plan): SparseLayout['parts'] {
  const { ebase } = plan;
  const groups = plan.groups.slice();
  const base = new Uint16Array(plan.totalGroups);
  const words = new Uint32Array(8 * plan.totalGroups);
  const exc = new Uint32Array(3 * plan.exceptions);
  const bits = new Uint32Array(m.values.buffer, m.values.byteOffset, m.values.length);
  const endZero = word8Slot(m.cols - 1) + 1;
  let g = 0, e = 0;
  walkWord8(m, ebase, {
    group: (lo, idx, i, j) => {
      base[g] = lo;
      // Padding: the window's first zero column — its block's, or the one staged after the last
      // column (a window near the end can reach past the staged x).
      words.fill(2 * Math.min(127 - (lo & 127), endZero - lo), 8 * g, 8 * g + 8);
      for (let k = i; k < j; k++) {
        const b = bits[idx[k]];
        words[8 * g + k - i] = (((exponentOf(b) - ebase) << 31) | ((b & 0x7fffff) << 8) | (2 * (word8Slot(m.colIdx[idx[k]]) - lo)) | (b >>> 31)) >>> 0;
      }
      g++;
    },
    exception: (r, p) => {
      [exc[3 * e], exc[3 * e + 1], exc[3 * e + 2]] = [r, m.colIdx[p], bits[p]];
      e++;
    },
  });
  return { groups, base, words, exc };
}

/** The stored values of a word8 layout in CSR order (padding skipped, exceptions merged by column). */
export function word8Values(
  p: { groups: Uint16Array; base: Uint16Array; words: Uint32Array; exc: Uint32Array },
  ebase: number,
  nnz: number,
  cols: number,
): Float32Array {
  const out = new Float32Array(nnz);
  const outBits = new Uint32Array(out.buffer);
  const fb = new Uint32Array(1);
  let g = 0, k = 0, x = 0;
  for (let r = 0; r < p.groups.length; r++) {
    const row: Array<[number, number]> = [];
    for (const end = g + p.groups[r]; g < end; g++) {
      const lo = p.base[g];
      for (let j = 0; j < 8; j++) {
        const w = p.words[8 * g + j];
        const slot = lo + ((w & 255) >>> 1);
        const col = slot - Math.floor(slot / 128);
        if ((slot & 127) === 127 || col >= cols) continue; // padding: a zero column
        fb[0] = (((w & 1) << 31) | ((w >>> 8) + (ebase << 23))) >>> 0;
        row.push([col, fb[0]]);
      }
    }
    for (; 3 * x < p.exc.length && p.exc[3 * x] === r; x++) row.push([p.exc[3 * x + 1], p.exc[3 * x + 2]]);
    row.sort((a, b) => a[0] - b[0]);
    for (const [, b] of row) outBits[k++] = b;
  }
  return out;
}
