/**
 * A minimal reverse-mode autodiff over float64 row-major tensors, just large enough to train the
 * micro model (src/models/micro.ts): each op computes its forward value eagerly and records a
 * closure that accumulates gradients into its inputs. Float64 so finite-difference checks are
 * meaningful (test/train/gradcheck.test.ts).
 */
export class Node {
  grad: Float64Array;
  constructor(
    readonly data: Float64Array,
    readonly shape: readonly number[],
    /** Accumulates this node's grad into its parents' grads. */
    readonly back: (() => void) | null = null,
  ) {
    this.grad = new Float64Array(data.length);
  }
  get size(): number {
    return this.data.length;
  }
}

/** Records nodes in creation order; `backward` walks them in reverse. */
export class Tape {
  private nodes: Node[] = [];
  node(data: Float64Array, shape: readonly number[], back: (() => void) | null): Node {
    const n = new Node(data, shape, back);
    this.nodes.push(n);
    return n;
  }
  /**
   * Seed d(loss)/d(loss) = 1 (unless the caller already seeded the output's grad: seed = false)
   * and propagate. Parameter grads accumulate (zero them between steps).
   */
  backward(loss: Node, seed = true): void {
    if (seed) loss.grad[0] += 1;
    for (let i = this.nodes.length - 1; i >= 0; i--) this.nodes[i].back?.();
  }
}

/** A leaf (parameter) node that is not on any tape: its grad persists across steps. */
export function leaf(data: Float64Array, shape: readonly number[]): Node {
  return new Node(data, shape, null);
}
