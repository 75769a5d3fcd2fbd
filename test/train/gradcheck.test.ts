import { describe, expect, it } from 'vitest';
import { leaf, Tape, type Node } from '../../src/train/autograd.ts';
import * as op from '../../src/train/ops.ts';
import { forwardGraph, lossGraph, toLeaves } from '../../src/train/micro-graph.ts';
import { initParams, paramShapes, type MicroConfig } from '../../src/models/micro-config.ts';

function rng(seed: number) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
}
function rand(shape: number[], seed: number, scale = 1): Node {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return leaf(Float64Array.from({ length: n }, () => r() * scale), shape);
}

/**
 * Compare analytic gradients of loss = Σ proj ⊙ f(inputs) with central differences for every
 * input element. Relative error |a − n| / max(|a|, |n|) must stay below 1e-3 (absolute 1e-7
 * for gradients that are ~0).
 */
function check(inputs: Node[], f: (tp: Tape) => Node): number {
  const lossOf = () => {
    const tp = new Tape();
    const out = f(tp);
    const r = rng(99);
    let s = 0;
    for (let i = 0; i < out.size; i++) s += r() * out.data[i];
    return s;
  };
  for (const x of inputs) x.grad.fill(0);
  const tp = new Tape();
  const out = f(tp);
  const r = rng(99);
  for (let i = 0; i < out.size; i++) out.grad[i] = r();
  tp.backward(out, false);
  let worst = 0;
  const analytic = inputs.map((x) => Float64Array.from(x.grad));
  const h = 1e-5;
  inputs.forEach((x, xi) => {
    for (let i = 0; i < x.size; i++) {
      const keep = x.data[i];
      x.data[i] = keep + h;
      const lp = lossOf();
      x.data[i] = keep - h;
      const lm = lossOf();
      x.data[i] = keep;
      const num = (lp - lm) / (2 * h);
      const a = analytic[xi][i];
      const err = Math.abs(a - num);
      const rel = err / Math.max(Math.abs(a), Math.abs(num), 1e-12);
      if (err > 1e-7) worst = Math.max(worst, rel);
    }
  });
  return worst;
}

describe('gradcheck: micro model ops (central differences, relative error < 1e-3)', () => {
  const T = 7, D = 6, H = 2;
  it('linear with bias', () => {
    const x = rand([T, 5], 1), w = rand([3, 5], 2), b = rand([3], 3);
    expect(check([x, w, b], (tp) => op.linear(tp, x, w, b))).toBeLessThan(1e-3);
  });
  it('embed, add, mul, sigmoid, silu', () => {
    const tab = rand([5, D], 4), a = rand([T, D], 5), b = rand([T, D], 6);
    const ids = [0, 3, 3, 1, 4, 2, 0];
    expect(check([tab, a, b], (tp) => op.mul(tp, op.silu(tp, op.add(tp, op.embed(tp, tab, ids), a)), op.sigmoid(tp, b)))).toBeLessThan(1e-3);
  });
  it('rmsnorm', () => {
    const x = rand([T, D], 7), g = rand([D], 8);
    expect(check([x, g], (tp) => op.rmsnorm(tp, x, g, 1e-5))).toBeLessThan(1e-3);
  });
  it('l2normHeads', () => {
    const x = rand([T, D], 9);
    expect(check([x], (tp) => op.l2normHeads(tp, x, H))).toBeLessThan(1e-3);
  });
  it('windowAttention (window shorter than the sequence)', () => {
    const q = rand([T, D], 10), k = rand([T, D], 11), v = rand([T, D], 12), bias = rand([H, 3], 13);
    expect(check([q, k, v, bias], (tp) => op.windowAttention(tp, q, k, v, bias, H, 3))).toBeLessThan(1e-3);
  });
  it('deltaRule (BPTT through the memory)', () => {
    const q = rand([T, D], 14), k = rand([T, D], 15, 0.6), v = rand([T, D], 16), beta = leaf(Float64Array.from({ length: T * H }, (_, i) => 0.2 + 0.6 * ((i * 7) % 5) / 5), [T, H]);
    expect(check([q, k, v, beta], (tp) => op.deltaRule(tp, q, k, v, beta, H))).toBeLessThan(1e-3);
  });
  it('crossEntropy', () => {
    const l = rand([T, 5], 17);
    expect(check([l], (tp) => op.crossEntropy(tp, l, [0, 1, 2, 3, 4, 0, 1]))).toBeLessThan(1e-3);
  });
  it('whole micro model (2 layers, every parameter)', () => {
    const c: MicroConfig = { vocab: 7, dim: 6, heads: 2, layers: 2, window: 3, ffn: 5, eps: 1e-5 };
    const shapes = paramShapes(c);
    const w = initParams(c, 5);
    // random non-trivial values for norms/biases too
    const r = rng(3);
    for (const a of w.values()) for (let i = 0; i < a.length; i++) a[i] += 0.3 * r();
    const p = toLeaves(c, w, shapes);
    const ids = [1, 4, 6, 0, 2, 2, 5, 3];
    expect(check([...p.values()], (tp) => lossGraph(tp, c, p, ids))).toBeLessThan(1e-3);
    expect(check([...p.values()], (tp) => forwardGraph(tp, c, p, ids))).toBeLessThan(1e-3);
  });
});
