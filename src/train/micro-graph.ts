/**
 * The micro model's forward pass as a differentiable graph over a whole sequence (training and
 * the float64 oracle for the fused inference path in src/models/micro.ts). Memory starts at 0.
 */
import type { MicroConfig } from '../models/micro-config.ts';
import { leaf, Tape, type Node } from './autograd.ts';
import * as op from './ops.ts';

export type Params = Map<string, Node>;

/** Float32 weights → float64 leaf nodes with gradients. */
export function toLeaves(c: MicroConfig, weights: Map<string, Float32Array>, shapes: Array<[string, number[]]>): Params {
  void c;
  const p: Params = new Map();
  for (const [name, shape] of shapes) p.set(name, leaf(Float64Array.from(weights.get(name)!), shape));
  return p;
}

/** logits[T, vocab] for the token sequence ids (causal: row t sees ids[0..t]). */
export function forwardGraph(tp: Tape, c: MicroConfig, p: Params, ids: ArrayLike<number>): Node {
  const P = (n: string) => p.get(n)!;
  let x = op.embed(tp, P('emb'), ids);
  for (let l = 0; l < c.layers; l++) {
    const b = `blocks.${l}.`;
    const h = op.rmsnorm(tp, x, P(b + 'norm1'), c.eps);
    const a = op.windowAttention(tp, op.linear(tp, h, P(b + 'attn.wq')), op.linear(tp, h, P(b + 'attn.wk')), op.linear(tp, h, P(b + 'attn.wv')), P(b + 'attn.bias'), c.heads, c.window);
    const mq = op.l2normHeads(tp, op.linear(tp, h, P(b + 'mem.wq')), c.heads);
    const mk = op.l2normHeads(tp, op.linear(tp, h, P(b + 'mem.wk')), c.heads);
    const mv = op.linear(tp, h, P(b + 'mem.wv'));
    const beta = op.sigmoid(tp, op.linear(tp, h, P(b + 'mem.wbeta'), P(b + 'mem.bbeta')));
    const m = op.deltaRule(tp, mq, mk, mv, beta, c.heads);
    const g = op.sigmoid(tp, op.linear(tp, h, P(b + 'gate.w'), P(b + 'gate.b')));
    x = op.add(tp, x, op.linear(tp, op.add(tp, a, op.mul(tp, g, m)), P(b + 'wo')));
    const h2 = op.rmsnorm(tp, x, P(b + 'norm2'), c.eps);
    const f = op.linear(tp, op.silu(tp, op.linear(tp, h2, P(b + 'mlp.w1'), P(b + 'mlp.b1'))), P(b + 'mlp.w2'), P(b + 'mlp.b2'));
    x = op.add(tp, x, f);
  }
  return op.linear(tp, op.rmsnorm(tp, x, P('normf'), c.eps), P('head.w'), P('head.b'));
}

/** Mean next-token cross-entropy (nats) of predicting ids[1..] from ids[..T−1]. */
export function lossGraph(tp: Tape, c: MicroConfig, p: Params, ids: ArrayLike<number>): Node {
  const inp = Array.from(ids).slice(0, -1);
  const tgt = Array.from(ids).slice(1);
  return op.crossEntropy(tp, forwardGraph(tp, c, p, inp), tgt);
}

export { Tape };
