/** Adam (Kingma & Ba) with bias correction, optional decoupled weight decay and grad-norm clipping. */
import type { Node } from './autograd.ts';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Clip the global gradient L2 norm to this value (0 = off). */
  clip?: number;
}

export class Adam {
  private m: Float64Array[];
  private v: Float64Array[];
  private t = 0;
  constructor(
    readonly params: Node[],
    public opts: AdamOptions,
  ) {
    this.m = params.map((p) => new Float64Array(p.size));
    this.v = params.map((p) => new Float64Array(p.size));
  }

  /** Apply one update from the accumulated grads, then zero them. Returns the pre-clip grad norm. */
  step(): number {
    const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, clip = 0 } = this.opts;
    let sq = 0;
    for (const p of this.params) for (let i = 0; i < p.size; i++) sq += p.grad[i] * p.grad[i];
    const norm = Math.sqrt(sq);
    const k = clip > 0 && norm > clip ? clip / norm : 1;
    this.t++;
    const c1 = 1 - beta1 ** this.t, c2 = 1 - beta2 ** this.t;
    this.params.forEach((p, pi) => {
      const m = this.m[pi], v = this.v[pi];
      const decay = weightDecay > 0 && p.shape.length === 2 ? weightDecay : 0;
      for (let i = 0; i < p.size; i++) {
        const g = p.grad[i] * k;
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        p.data[i] -= lr * ((m[i] / c1) / (Math.sqrt(v[i] / c2) + eps) + decay * p.data[i]);
        p.grad[i] = 0;
      }
    });
    return norm;
  }
}
