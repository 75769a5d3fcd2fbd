/**
 * Magnitude pruning of the micro model's 2-D weight matrices (embedding, head and norms/biases
 * are kept dense): the smallest |w| of each matrix are zeroed, the same fraction per matrix.
 */
import type { Params } from './micro-graph.ts';

export type Masks = Map<string, Uint8Array>;

function prunable(name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && name !== 'emb' && name !== 'head.w' && !name.endsWith('attn.bias');
}

export function magnitudeMasks(params: Params, sparsity: number): Masks {
  const masks: Masks = new Map();
  for (const [name, p] of params) {
    if (!prunable(name, p.shape)) continue;
    const k = Math.floor(sparsity * p.size);
    const mask = new Uint8Array(p.size).fill(1);
    if (k > 0) {
      const order = Array.from({ length: p.size }, (_, i) => i).sort((a, b) => Math.abs(p.data[a]) - Math.abs(p.data[b]));
      for (let i = 0; i < k; i++) mask[order[i]] = 0;
    }
    masks.set(name, mask);
  }
  return masks;
}

export function applyMasks(params: Params, masks: Masks): void {
  for (const [name, mask] of masks) {
    const p = params.get(name)!;
    for (let i = 0; i < p.size; i++) if (!mask[i]) p.data[i] = 0;
  }
}

/** Fraction of zeros across the prunable matrices of a weight map. */
export function measuredSparsity(weights: Map<string, Float32Array>, shapes: Array<[string, number[]]>): number {
  let z = 0, n = 0;
  for (const [name, shape] of shapes) {
    if (!prunable(name, shape)) continue;
    const w = weights.get(name)!;
    for (let i = 0; i < w.length; i++) if (w[i] === 0) z++;
    n += w.length;
  }
  return n === 0 ? 0 : z / n;
}
