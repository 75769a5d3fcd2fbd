import { describe, expect, it } from 'vitest';
import { paramShapes, type MicroConfig } from '../../src/models/micro-config.ts';
import { train, type TrainProgress } from '../../src/train/loop.ts';
import { measuredSparsity } from '../../src/train/prune.ts';

const C: MicroConfig = { vocab: 8, dim: 12, heads: 2, layers: 1, window: 8, ffn: 16, eps: 1e-5 };
// a periodic token pattern: easy to learn, so the loss must fall well below log2(8) = 3 bits
const tokens = Array.from({ length: 4000 }, (_, i) => [0, 1, 2, 3, 2, 1, 5, 7][i % 8]);

describe('outer-loop training', () => {
  it('Adam drives the loss down and reports progress', () => {
    const seen: TrainProgress[] = [];
    const r = train(C, tokens, { steps: 150, seqLen: 24, batch: 2, lr: 1e-2, every: 50, heldOut: tokens.slice(0, 200), onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.step)).toEqual([50, 100, 150]);
    expect(seen[0].bpt).toBeLessThan(3);
    expect(seen[2].heldOutBpt!).toBeLessThan(0.5);
    expect(r.weights.get('emb')!.every(Number.isFinite)).toBe(true);
  });

  it('gradual magnitude pruning reaches the requested sparsity', () => {
    const r = train(C, tokens, { steps: 60, seqLen: 16, batch: 1, lr: 1e-2, sparsity: 0.8, every: 60 });
    expect(measuredSparsity(r.weights, paramShapes(C))).toBeCloseTo(0.8, 1);
  });

  it('stops early when asked', () => {
    let n = 0;
    const r = train(C, tokens, { steps: 1000, seqLen: 8, batch: 1, lr: 1e-3, every: 1, shouldStop: () => ++n > 3 });
    expect(r.history.length).toBeLessThan(5);
  });
});
