/** Turning raw run times into the reported figures (pure: shared by the worker and unit tests). */
import type { BenchCase, BenchResult } from './cases/types.ts';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median/min ms and throughput at the median: GB/s (1e9 bytes), GFLOP/s, tokens/s. */
export function summarize(timesMs: readonly number[], c: Pick<BenchCase, 'bytes' | 'flops' | 'tokens'>): Pick<BenchResult, 'runs' | 'medianMs' | 'minMs' | 'gbPerS' | 'gflopPerS' | 'tokensPerS'> {
  const med = median(timesMs);
  const out: ReturnType<typeof summarize> = { runs: timesMs.length, medianMs: med, minMs: Math.min(...timesMs) };
  const perS = med > 0 ? 1000 / med : NaN;
  if (c.bytes !== undefined) out.gbPerS = (c.bytes * perS) / 1e9;
  if (c.flops !== undefined) out.gflopPerS = (c.flops * perS) / 1e9;
  if (c.tokens !== undefined) out.tokensPerS = c.tokens * perS;
  return out;
}
