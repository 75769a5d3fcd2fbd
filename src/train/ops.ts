/**
 * Differentiable ops of the micro model (forward + backward), on the Tape of autograd.ts.
 * Shapes: sequences are [T, D] row-major; multi-head tensors keep heads contiguous inside D.
 * Each backward is the hand-derived adjoint of its forward; gradcheck.test.ts verifies them all
 * against central finite differences.
 */
import type { Node, Tape } from './autograd.ts';

/** out[t, :] = table[ids[t], :] */
export function embed(tp: Tape, table: Node, ids: ArrayLike<number>): Node {
  const d = table.shape[1];
  const T = ids.length;
  const out = new Float64Array(T * d);
  for (let t = 0; t < T; t++) out.set(table.data.subarray(ids[t] * d, ids[t] * d + d), t * d);
  const n = tp.node(out, [T, d], () => {
    for (let t = 0; t < T; t++) for (let j = 0; j < d; j++) table.grad[ids[t] * d + j] += n.grad[t * d + j];
  });
  return n;
}

/** y[T, M] = x[T, K] · W[M, K]ᵀ (+ b[M]) */
export function linear(tp: Tape, x: Node, w: Node, b?: Node): Node {
  const [T, K] = x.shape;
  const M = w.shape[0];
  const X = x.data, W = w.data;
  const out = new Float64Array(T * M);
  for (let t = 0; t < T; t++) {
    for (let m = 0; m < M; m++) {
      let s = b ? b.data[m] : 0;
      const xo = t * K, wo = m * K;
      for (let k = 0; k < K; k++) s += X[xo + k] * W[wo + k];
      out[t * M + m] = s;
    }
  }
  const n = tp.node(out, [T, M], () => {
    const G = n.grad;
    for (let t = 0; t < T; t++) {
      for (let m = 0; m < M; m++) {
        const g = G[t * M + m];
        if (g === 0) continue;
        const xo = t * K, wo = m * K;
        for (let k = 0; k < K; k++) {
          x.grad[xo + k] += g * W[wo + k];
          w.grad[wo + k] += g * X[xo + k];
        }
        if (b) b.grad[m] += g;
      }
    }
  });
  return n;
}

export function add(tp: Tape, a: Node, b: Node): Node {
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] + b.data[i];
  const n = tp.node(out, a.shape, () => {
    for (let i = 0; i < out.length; i++) {
      a.grad[i] += n.grad[i];
      b.grad[i] += n.grad[i];
    }
  });
  return n;
}

export function mul(tp: Tape, a: Node, b: Node): Node {
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] * b.data[i];
  const n = tp.node(out, a.shape, () => {
    for (let i = 0; i < out.length; i++) {
      a.grad[i] += n.grad[i] * b.data[i];
      b.grad[i] += n.grad[i] * a.data[i];
    }
  });
  return n;
}

export function sigmoid(tp: Tape, a: Node): Node {
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-a.data[i]));
  const n = tp.node(out, a.shape, () => {
    for (let i = 0; i < out.length; i++) a.grad[i] += n.grad[i] * out[i] * (1 - out[i]);
  });
  return n;
}

/** SiLU x·σ(x). */
export function silu(tp: Tape, a: Node): Node {
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] / (1 + Math.exp(-a.data[i]));
  const n = tp.node(out, a.shape, () => {
    for (let i = 0; i < out.length; i++) {
      const s = 1 / (1 + Math.exp(-a.data[i]));
      a.grad[i] += n.grad[i] * s * (1 + a.data[i] * (1 - s));
    }
  });
  return n;
}

/** Rows of x[T, D]: x · rsqrt(mean(x²) + eps) · g[D]. */
export function rmsnorm(tp: Tape, x: Node, g: Node, eps: number): Node {
  const [T, D] = x.shape;
  const out = new Float64Array(T * D);
  const r = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let ss = 0;
    for (let j = 0; j < D; j++) ss += x.data[t * D + j] ** 2;
    r[t] = 1 / Math.sqrt(ss / D + eps);
    for (let j = 0; j < D; j++) out[t * D + j] = x.data[t * D + j] * r[t] * g.data[j];
  }
  const n = tp.node(out, [T, D], () => {
    for (let t = 0; t < T; t++) {
      let dot = 0;
      for (let j = 0; j < D; j++) dot += n.grad[t * D + j] * g.data[j] * x.data[t * D + j];
      const c = (r[t] ** 3 * dot) / D;
      for (let j = 0; j < D; j++) {
        const i = t * D + j;
        x.grad[i] += n.grad[i] * g.data[j] * r[t] - x.data[i] * c;
        g.grad[j] += n.grad[i] * x.data[i] * r[t];
      }
    }
  });
  return n;
}

/** Per head: each dh-long segment of every row scaled to unit L2 norm (keys/queries of the delta rule). */
export function l2normHeads(tp: Tape, x: Node, heads: number, eps = 1e-6): Node {
  const [T, D] = x.shape;
  const dh = D / heads;
  const out = new Float64Array(T * D);
  const inv = new Float64Array(T * heads);
  for (let s = 0; s < T * heads; s++) {
    let ss = 0;
    for (let j = 0; j < dh; j++) ss += x.data[s * dh + j] ** 2;
    inv[s] = 1 / Math.sqrt(ss + eps);
    for (let j = 0; j < dh; j++) out[s * dh + j] = x.data[s * dh + j] * inv[s];
  }
  const n = tp.node(out, [T, D], () => {
    for (let s = 0; s < T * heads; s++) {
      let dot = 0;
      for (let j = 0; j < dh; j++) dot += n.grad[s * dh + j] * out[s * dh + j];
      for (let j = 0; j < dh; j++) x.grad[s * dh + j] += (n.grad[s * dh + j] - out[s * dh + j] * dot) * inv[s];
    }
  });
  return n;
}

/**
 * Causal sliding-window attention: row t of head h attends to rows max(0, t−W+1)..t with logits
 * q·k/√dh + bias[h, t−j] (a learned bias per relative distance, the only position signal).
 */
export function windowAttention(tp: Tape, q: Node, k: Node, v: Node, bias: Node, heads: number, window: number): Node {
  const [T, D] = q.shape;
  const dh = D / heads;
  const scale = 1 / Math.sqrt(dh);
  const out = new Float64Array(T * D);
  const probs = new Float64Array(T * heads * window);
  for (let t = 0; t < T; t++) {
    const j0 = Math.max(0, t - window + 1);
    for (let h = 0; h < heads; h++) {
      const p = probs.subarray((t * heads + h) * window, (t * heads + h + 1) * window);
      let mx = -Infinity;
      for (let j = j0; j <= t; j++) {
        let s = 0;
        for (let c = 0; c < dh; c++) s += q.data[t * D + h * dh + c] * k.data[j * D + h * dh + c];
        p[t - j] = s * scale + bias.data[h * window + (t - j)];
        if (p[t - j] > mx) mx = p[t - j];
      }
      let z = 0;
      for (let j = j0; j <= t; j++) z += p[t - j] = Math.exp(p[t - j] - mx);
      for (let j = j0; j <= t; j++) {
        p[t - j] /= z;
        for (let c = 0; c < dh; c++) out[t * D + h * dh + c] += p[t - j] * v.data[j * D + h * dh + c];
      }
    }
  }
  const n = tp.node(out, [T, D], () => {
    const dp = new Float64Array(window);
    for (let t = 0; t < T; t++) {
      const j0 = Math.max(0, t - window + 1);
      for (let h = 0; h < heads; h++) {
        const p = probs.subarray((t * heads + h) * window, (t * heads + h + 1) * window);
        const go = t * D + h * dh;
        let sum = 0;
        for (let j = j0; j <= t; j++) {
          let s = 0;
          for (let c = 0; c < dh; c++) {
            s += n.grad[go + c] * v.data[j * D + h * dh + c];
            v.grad[j * D + h * dh + c] += p[t - j] * n.grad[go + c];
          }
          dp[t - j] = s;
          sum += p[t - j] * s;
        }
        for (let j = j0; j <= t; j++) {
          const ds = p[t - j] * (dp[t - j] - sum);
          bias.grad[h * window + (t - j)] += ds;
          for (let c = 0; c < dh; c++) {
            q.grad[go + c] += ds * scale * k.data[j * D + h * dh + c];
            k.grad[j * D + h * dh + c] += ds * scale * q.data[go + c];
          }
        }
      }
    }
  });
  return n;
}

/**
 * Delta-rule associative memory per head (DeltaNet): starting from M = 0 (dh×dh),
 *   M_t = M_{t−1} − β_t (M_{t−1} k_t − v_t) k_tᵀ,   o_t = M_t q_t.
 * beta is [T, heads] (already in (0,1)). The backward pass runs the recurrence in reverse with
 * the stored states (BPTT): dM_{t−1} = dM_t (I − β k kᵀ).
 */
export function deltaRule(tp: Tape, q: Node, k: Node, v: Node, beta: Node, heads: number): Node {
  const [T, D] = q.shape;
  const dh = D / heads;
  const S = dh * dh;
  const states = new Float64Array((T + 1) * heads * S); // states[t] = M after t steps
  const out = new Float64Array(T * D);
  const e = new Float64Array(dh);
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < heads; h++) {
      const M0 = states.subarray((t * heads + h) * S, (t * heads + h + 1) * S);
      const M1 = states.subarray(((t + 1) * heads + h) * S, ((t + 1) * heads + h + 1) * S);
      const o = t * D + h * dh;
      const b = beta.data[t * heads + h];
      for (let i = 0; i < dh; i++) {
        let s = 0;
        for (let j = 0; j < dh; j++) s += M0[i * dh + j] * k.data[o + j];
        e[i] = s - v.data[o + i];
      }
      for (let i = 0; i < dh; i++) for (let j = 0; j < dh; j++) M1[i * dh + j] = M0[i * dh + j] - b * e[i] * k.data[o + j];
      for (let i = 0; i < dh; i++) {
        let s = 0;
        for (let j = 0; j < dh; j++) s += M1[i * dh + j] * q.data[o + j];
        out[o + i] = s;
      }
    }
  }
  const n = tp.node(out, [T, D], () => {
    const G = new Float64Array(heads * S); // dL/dM_t flowing back
    const Gk = new Float64Array(dh);
    for (let t = T - 1; t >= 0; t--) {
      for (let h = 0; h < heads; h++) {
        const M0 = states.subarray((t * heads + h) * S, (t * heads + h + 1) * S);
        const M1 = states.subarray(((t + 1) * heads + h) * S, ((t + 1) * heads + h + 1) * S);
        const g = G.subarray(h * S, (h + 1) * S);
        const o = t * D + h * dh;
        const b = beta.data[t * heads + h];
        // o_t = M_t q_t
        for (let i = 0; i < dh; i++) {
          const dO = n.grad[o + i];
          for (let j = 0; j < dh; j++) {
            g[i * dh + j] += dO * q.data[o + j];
            q.grad[o + j] += M1[i * dh + j] * dO;
          }
        }
        // M_t = M_{t−1} − β e kᵀ with e = M_{t−1} k − v
        for (let i = 0; i < dh; i++) {
          let s = 0, gk = 0;
          for (let j = 0; j < dh; j++) {
            s += M0[i * dh + j] * k.data[o + j];
            gk += g[i * dh + j] * k.data[o + j];
          }
          e[i] = s - v.data[o + i];
          Gk[i] = gk;
        }
        let dBeta = 0;
        for (let i = 0; i < dh; i++) {
          dBeta -= e[i] * Gk[i];
          v.grad[o + i] += b * Gk[i];
        }
        beta.grad[t * heads + h] += dBeta;
        for (let j = 0; j < dh; j++) {
          let s = 0;
          for (let i = 0; i < dh; i++) s += g[i * dh + j] * e[i] + M0[i * dh + j] * Gk[i];
          k.grad[o + j] -= b * s;
        }
        for (let i = 0; i < dh; i++) for (let j = 0; j < dh; j++) g[i * dh + j] -= b * Gk[i] * k.data[o + j];
      }
    }
  });
  return n;
}

/** Mean cross-entropy of logits[T, V] against targets (−log softmax at the target), in nats. */
export function crossEntropy(tp: Tape, logits: Node, targets: ArrayLike<number>): Node {
  const [T, V] = logits.shape;
  const probs = new Float64Array(T * V);
  let loss = 0;
  for (let t = 0; t < T; t++) {
    let mx = -Infinity;
    for (let j = 0; j < V; j++) mx = Math.max(mx, logits.data[t * V + j]);
    let z = 0;
    for (let j = 0; j < V; j++) z += probs[t * V + j] = Math.exp(logits.data[t * V + j] - mx);
    for (let j = 0; j < V; j++) probs[t * V + j] /= z;
    loss -= Math.log(probs[t * V + targets[t]]);
  }
  const n = tp.node(new Float64Array([loss / T]), [1], () => {
    const g = n.grad[0] / T;
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < V; j++) logits.grad[t * V + j] += g * (probs[t * V + j] - (j === targets[t] ? 1 : 0));
    }
  });
  return n;
}
