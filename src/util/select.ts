/**
 * Selection without a full sort: reorder `a` so that a[k] holds the value of rank k (0-based,
 * ascending), everything before it is ≤ a[k] and everything after it ≥ a[k]; returns a[k].
 * Iterative quickselect with a median-of-three pivot (random and sorted inputs stay O(n)).
 * Used for magnitude pruning thresholds (engine/prune.ts) and top-k sampling (engine/sampling.ts).
 */
export function selectKth(a: Float32Array | Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    // [lo, j] ≤ pivot ≤ [i, hi]: keep the side that holds rank k
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}
