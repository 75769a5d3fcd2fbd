/**
 * RoPE variants done as the rope op's full-width 'half' RoPE on q / k rows loaded in another order:
 * Qwen3.5's partial rotary (64 of 256 dims) and, for text, its interleaved M-RoPE sections. The model
 * loads q and k rows (and their norms' weights) in `order` and passes `factors` as the op's per-pair
 * frequency divisors; no kernel knows about either.
 */
/**
 * RoPE on the first r of each head's D dims, NEOX pairs (i, i + r/2) (Qwen3.5's partial rotary), as
 * full-width 'half' RoPE, whose pairs are (p, p + D/2): q and k rows (and their norms' weights) are
 * loaded in `order` — new dim p holds old dim order[p] — which puts old pair (i, i + r/2) at
 * (i, i + D/2) and the unrotated dims r … D − 1 in the other places; `factors` give pair i < r/2 the
 * angle pos·θ^(−2i/r) (the rope op turns pair p by pos·θ^(−2p/D) / factor p) and the others none
 * (1e30: an angle below f32 resolution). q·k is unchanged by the same permutation of both.
 */
export function partialRope(D: number, r: number, theta: number, turns: (pair: number) => boolean = () => true, pairFactors?: ArrayLike<number>): { order: number[]; factors: number[] } {
  const half = D / 2;
  const rest = (D - r) / 2;
  const order = new Array<number>(D);
  for (let i = 0; i < r / 2; i++) [order[i], order[half + i]] = [i, r / 2 + i];
  for (let j = 0; j < rest; j++) [order[r / 2 + j], order[half + r / 2 + j]] = [r + j, r + rest + j];
  // pairFactors (Phi-3's LongRoPE rope_factors, one per rotated pair) divide the frequency further
  const factors = Array.from({ length: half }, (_, p) => (p < r / 2 && turns(p) ? theta ** ((2 * p) / r - (2 * p) / D) * (pairFactors?.[p] ?? 1) : 1e30));
  return { order, factors };
}

/**
 * A [heads·D] vector: `scale` on the dims partialRope's order makes rotated (p < r/2, or D/2 ≤ p <
 * D/2 + r/2 in each head), 1 on the others — Phi-3's LongRoPE magnitude, which llama.cpp applies to
 * the rotated pairs' cos and sin (and, rotation being linear, to q and k before it).
 */
export function rotatedScale(heads: number, D: number, r: number, scale: number): Float32Array {
  const out = new Float32Array(heads * D).fill(1);
  for (let h = 0; h < heads; h++) for (let i = 0; i < r / 2; i++) out[h * D + i] = out[h * D + D / 2 + i] = scale;
  return out;
}

/** Qwen3.5's interleaved M-RoPE for text (LlamaConfig.ropeSections): whether rotated pair i turns with the position. */
export function imropeTurns(sections: readonly number[]): (pair: number) => boolean {
  const total = sections.reduce((a, x) => a + x, 0);
  return (i) => {
    const s = i % total;
    return (s % 3 === 0 && s < 3 * sections[0]) || (s % 3 === 1 && s < 3 * sections[1]) || (s % 3 === 2 && s < 3 * sections[2]);
  };
}

/** Row ranges of `heads` heads of D rows each, head h at base(h), its rows in `order` (runs of consecutive rows merged). */
export function headRowRanges(heads: number, base: (h: number) => number, order: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let h = 0; h < heads; h++) {
    for (const d of order) {
      const r = base(h) + d;
      const last = out[out.length - 1];
      if (last && last[1] === r) last[1]++;
      else out.push([r, r + 1]);
    }
  }
  return out;
}
