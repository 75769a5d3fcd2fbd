/**
 * Candidate sets of the sparse attention (spec 1.2 / 1.3), as plain ordered lists. Used by the
 * reference backend and by tests (checked against the fixtures' candidates.json); the wasm and WGSL
 * kernels re-derive the same lists with range checks instead of sets.
 */
import type { SparseAttentionConfig } from './attention.ts';

/** Window end for query i: i (causal) or min(i + W, S − 1). */
export function windowRange(i: number, s: number, c: SparseAttentionConfig): [number, number] {
  return [Math.max(0, i - c.window), c.causal ? i : Math.min(i + c.window, s - 1)];
}

/**
 * T(i, S): window ascending, globals in config order, log-stride i−s (and i+s non-causal); repeats
 * skipped. `keep` (gated forward): a token outside the window that is neither i nor global is kept
 * only if keep(j).
 */
export function tokenCandidates(i: number, s: number, c: SparseAttentionConfig, keep?: (j: number) => boolean): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const add = (j: number) => {
    if (!seen.has(j)) {
      seen.add(j);
      out.push(j);
    }
  };
  const [lo, hi] = windowRange(i, s, c);
  for (let j = lo; j <= hi; j++) add(j);
  for (const g of c.globalTokens) if (g < s && (!c.causal || g <= i)) add(g);
  if (c.useLogStride) {
    for (let st = 1; st < s; st *= 2) {
      if (i >= st) add(i - st);
      if (!c.causal && i + st < s) add(i + st);
    }
  }
  const filtered = keep ? out.filter((j) => j === i || (j >= lo && j <= hi) || c.globalTokens.includes(j) || keep(j)) : out;
  return c.sortCandidates ? filtered.sort((a, b) => a - b) : filtered;
}

/** L(i, S): landmark blocks (local, then block strides), repeats skipped. */
export function blockCandidates(i: number, s: number, c: SparseAttentionConfig): number[] {
  if (!c.useLandmarks) return [];
  const b = c.blockSize;
  const nb = Math.ceil(s / b);
  const cur = Math.floor(i / b);
  const avail = c.causal ? Math.floor((i + 1) / b) : nb;
  if (avail === 0) return [];
  const pivot = c.causal ? avail - 1 : cur;
  const out: number[] = [];
  const add = (x: number) => {
    if (!out.includes(x)) out.push(x);
  };
  for (let x = Math.max(0, pivot - 1); x <= Math.min(pivot + 1, avail - 1); x++) if (c.causal || x !== cur) add(x);
  if (c.useLogStride) {
    for (let st = 1; st < nb; st *= 2) {
      if (pivot >= st && (c.causal || pivot - st !== cur)) add(pivot - st);
      if (!c.causal && pivot + st < nb && pivot + st !== cur) add(pivot + st);
    }
  }
  return c.sortCandidates ? out.sort((a, b2) => a - b2) : out;
}
