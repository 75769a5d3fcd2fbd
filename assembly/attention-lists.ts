// Shared pieces of the sparse attention kernels (assembly/attention.ts row by row, assembly/attention-tiled.ts
// four rows at a time): flags, the f32x4 dot, and the per-query candidate lists of the spec (1.2, 1.3).
// Not re-exported by assembly/index.ts: these are helpers, not kernels.

import { fmadd } from './relaxed';

// flags of the sparse kernels
export const CAUSAL: i32 = 1;
export const LOG_STRIDE: i32 = 2;
export const LANDMARKS: i32 = 4;
export const SORT: i32 = 8;
export const GATED: i32 = 16;
export const KV_F16: i32 = 32;

// ---- vector helpers ----------------------------------------------------------------------------

// @ts-ignore: decorator
@inline
export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** a · b over d floats: four independent f32x4 accumulators (a single chain is add-latency bound). */
export function dot(a: usize, b: usize, d: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let x = 0;
  for (; x + 16 <= d; x += 16) {
    const o = <usize>x << 2;
    a0 = fmadd(v128.load(a + o), v128.load(b + o), a0);
    a1 = fmadd(v128.load(a + o, 16), v128.load(b + o, 16), a1);
    a2 = fmadd(v128.load(a + o, 32), v128.load(b + o, 32), a2);
    a3 = fmadd(v128.load(a + o, 48), v128.load(b + o, 48), a3);
  }
  for (; x + 4 <= d; x += 4) {
    const o = <usize>x << 2;
    a0 = fmadd(v128.load(a + o), v128.load(b + o), a0);
  }
  let s = hsum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; x < d; x++) s += load<f32>(a + (<usize>x << 2)) * load<f32>(b + (<usize>x << 2));
  return s;
}

// ---- candidate lists ---------------------------------------------------------------------------

export function isGlobal(j: i32, g: usize, ng: i32): bool {
  for (let x = 0; x < ng; x++) if (load<i32>(g + (<usize>x << 2)) == j) return true;
  return false;
}

export function insertionSort(p: usize, n: i32): void {
  for (let a = 1; a < n; a++) {
    const key = load<i32>(p + (<usize>a << 2));
    let b = a - 1;
    while (b >= 0 && load<i32>(p + (<usize>b << 2)) > key) {
      store<i32>(p + (<usize>(b + 1) << 2), load<i32>(p + (<usize>b << 2)));
      b--;
    }
    store<i32>(p + (<usize>(b + 1) << 2), key);
  }
}

export let nTok: i32 = 0;
export let nBlk: i32 = 0;

/**
 * T(i, S) into toks and L(i, S) into blks (spec 1.2, 1.3); sets nTok / nBlk. Dedup by construction:
 * window = a range; globals skip the range and earlier globals; log-stride tokens skip the range and
 * the globals (they are distinct from each other); blocks dedup by a scan of the short list.
 */
export function candidates(i: i32, s: i32, w: i32, bsize: i32, g: usize, ng: i32, flags: i32, keep: usize, toks: usize, blks: usize): void {
  const causal = (flags & CAUSAL) != 0;
  const lo = max(0, i - w);
  const hi = causal ? i : min(i + w, s - 1);
  let n = 0;
  for (let j = lo; j <= hi; j++) store<i32>(toks + (<usize>(n++) << 2), j);
  for (let x = 0; x < ng; x++) {
    const gj = load<i32>(g + (<usize>x << 2));
    if (gj >= s || (causal && gj > i) || (gj >= lo && gj <= hi) || isGlobal(gj, g, x)) continue;
    store<i32>(toks + (<usize>(n++) << 2), gj);
  }
  if (flags & LOG_STRIDE) {
    for (let st = 1; st < s; st <<= 1) {
      for (let side = 0; side < 2; side++) {
        if (side == 1 && causal) break;
        const j = side == 0 ? i - st : i + st;
        if (j < 0 || j >= s || (j >= lo && j <= hi) || isGlobal(j, g, ng)) continue;
        if ((flags & GATED) && load<f32>(keep + (<usize>j << 2)) == 0) continue;
        store<i32>(toks + (<usize>(n++) << 2), j);
      }
    }
  }
  if (flags & SORT) insertionSort(toks, n);
  nTok = n;

  let m = 0;
  if (flags & LANDMARKS) {
    const nb = (s + bsize - 1) / bsize;
    const cur = i / bsize;
    const avail = causal ? (i + 1) / bsize : nb;
    if (avail > 0) {
      const pivot = causal ? avail - 1 : cur;
      for (let b = max(0, pivot - 1); b <= min(pivot + 1, avail - 1); b++) {
        if (!causal && b == cur) continue;
        store<i32>(blks + (<usize>(m++) << 2), b);
      }
      if (flags & LOG_STRIDE) {
        for (let st = 1; st < nb; st <<= 1) {
          for (let side = 0; side < 2; side++) {
            if (side == 1 && causal) break;
            const b = side == 0 ? pivot - st : pivot + st;
            if (b < 0 || b >= nb || (!causal && b == cur)) continue;
            let dup = false;
            for (let y = 0; y < m; y++) if (load<i32>(blks + (<usize>y << 2)) == b) dup = true;
            if (!dup) store<i32>(blks + (<usize>(m++) << 2), b);
          }
        }
      }
      if (flags & SORT) insertionSort(blks, m);
    }
  }
  nBlk = m;
}

/** Most candidates one query can have: window 2W+1, globals, 2·31 log-stride tokens; 3 + 2·31 blocks. */
// @ts-ignore: decorator
@inline
export function maxTokens(w: i32, ng: i32): i32 {
  return 2 * w + 1 + ng + 64 + 8;
}
// @ts-ignore: decorator
@inline
export const MAX_BLOCKS: i32 = 3 + 64 + 8;

