/**
 * Fused single-token inference of the micro model (plain TypeScript, float32 storage): one call
 * per token, keeping a ring buffer of the last `window` keys/values for attention and the
 * delta-rule memory M (per layer and head, dh×dh). The memory is the model's inner loop: it is
 * written on every token while `adapt` is true (test-time learning), and can be frozen, reset,
 * snapshotted and restored. Same math as src/train/micro-graph.ts (checked in test/train).
 */
import { SparrowError } from '../errors.ts';
import { checkConfig, paramShapes, type MicroConfig } from './micro-config.ts';
import { checkMicroState, decodeMicroState, encodeMicroState } from './micro-state.ts';

export interface MicroState {
  pos: number;
  /** Per layer: [window, dim] keys and values (ring buffer indexed by pos % window). */
  keys: Float32Array[];
  values: Float32Array[];
  /** Per layer: [heads, dh, dh] delta-rule memories. */
  mem: Float32Array[];
}

interface Layer {
  norm1: Float32Array; wq: Float32Array; wk: Float32Array; wv: Float32Array; bias: Float32Array;
  mwq: Float32Array; mwk: Float32Array; mwv: Float32Array; wbeta: Float32Array; bbeta: Float32Array;
  gw: Float32Array; gb: Float32Array; wo: Float32Array; norm2: Float32Array;
  w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: Float32Array;
}

export class MicroModel {
  /** When false the memory is read but never written (adaptation off). */
  adapt = true;
  state: MicroState;
  readonly logits: Float32Array;
  private readonly layers: Layer[];
  private readonly emb: Float32Array;
  private readonly normf: Float32Array;
  private readonly headW: Float32Array;
  private readonly headB: Float32Array;
  // scratch
  private x: Float32Array; private h: Float32Array; private q: Float32Array; private a: Float32Array;
  private mq: Float32Array; private mk: Float32Array; private mv: Float32Array; private m: Float32Array;
  private g: Float32Array; private u: Float32Array; private f: Float32Array; private e: Float32Array;
  private p: Float32Array;

  constructor(readonly config: MicroConfig, weights: Map<string, Float32Array>) {
    checkConfig(config);
    for (const [name, shape] of paramShapes(config)) {
      const w = weights.get(name);
      const n = shape.reduce((a, b) => a * b, 1);
      if (!w) throw new SparrowError('TENSOR_MISSING', `micro: weight "${name}" is missing`);
      if (w.length !== n) throw new SparrowError('SHAPE_MISMATCH', `micro: weight "${name}" has ${w.length} values, expected [${shape.join(', ')}]`);
    }
    const W = (n: string) => weights.get(n)!;
    this.emb = W('emb');
    this.normf = W('normf');
    this.headW = W('head.w');
    this.headB = W('head.b');
    this.layers = [];
    for (let l = 0; l < config.layers; l++) {
      const b = `blocks.${l}.`;
      this.layers.push({
        norm1: W(b + 'norm1'), wq: W(b + 'attn.wq'), wk: W(b + 'attn.wk'), wv: W(b + 'attn.wv'), bias: W(b + 'attn.bias'),
        mwq: W(b + 'mem.wq'), mwk: W(b + 'mem.wk'), mwv: W(b + 'mem.wv'), wbeta: W(b + 'mem.wbeta'), bbeta: W(b + 'mem.bbeta'),
        gw: W(b + 'gate.w'), gb: W(b + 'gate.b'), wo: W(b + 'wo'), norm2: W(b + 'norm2'),
        w1: W(b + 'mlp.w1'), b1: W(b + 'mlp.b1'), w2: W(b + 'mlp.w2'), b2: W(b + 'mlp.b2'),
      });
    }
    const d = config.dim;
    [this.x, this.h, this.q, this.a, this.mq, this.mk, this.mv, this.m, this.g, this.u] = Array.from({ length: 10 }, () => new Float32Array(d));
    this.f = new Float32Array(config.ffn);
    this.e = new Float32Array(d / config.heads);
    this.p = new Float32Array(config.window);
    this.logits = new Float32Array(config.vocab);
    this.state = this.freshState();
  }

  freshState(): MicroState {
    const c = this.config;
    const dh = c.dim / c.heads;
    return {
      pos: 0,
      keys: this.layers.map(() => new Float32Array(c.window * c.dim)),
      values: this.layers.map(() => new Float32Array(c.window * c.dim)),
      mem: this.layers.map(() => new Float32Array(c.heads * dh * dh)),
    };
  }

  /** Forget everything (context and memory). */
  reset(): void {
    this.state = this.freshState();
  }

  /** Only the memory back to zero (the context window is kept). */
  resetMemory(): void {
    for (const m of this.state.mem) m.fill(0);
  }

  snapshot(): MicroState {
    const s = this.state;
    return { pos: s.pos, keys: s.keys.map((k) => k.slice()), values: s.values.map((v) => v.slice()), mem: s.mem.map((m) => m.slice()) };
  }

  restore(s: MicroState): void {
    this.state = { pos: s.pos, keys: s.keys.map((k) => k.slice()), values: s.values.map((v) => v.slice()), mem: s.mem.map((m) => m.slice()) };
  }

  /** Copy of the learned state in the layout shared with MicroWasm (micro-state.ts). */
  getState(): MicroState {
    return this.snapshot();
  }

  /** Replace the learned state (checked against the config first: SHAPE_MISMATCH). */
  setState(s: MicroState): void {
    checkMicroState(this.config, s, 'micro.setState');
    this.restore(s);
  }

  /** The learned state as a self-describing file tied to `modelHash` (micro-state.ts). */
  saveState(modelHash: string): Uint8Array {
    return encodeMicroState(this.config, this.getState(), modelHash);
  }

  /** Restore from saveState bytes; a bad file throws (FORMAT_INVALID / SHAPE_MISMATCH) and changes nothing. */
  loadState(bytes: Uint8Array, modelHash: string): void {
    this.setState(decodeMicroState(bytes, this.config, modelHash));
  }

  /** Feed one token; returns the logits of the next token (a view, overwritten by the next call). */
  step(token: number): Float32Array {
    const c = this.config;
    if (!Number.isInteger(token) || token < 0 || token >= c.vocab) {
      throw new SparrowError('INDEX_OUT_OF_RANGE', `micro.step: token ${token} outside vocab [0, ${c.vocab})`);
    }
    const d = c.dim, H = c.heads, dh = d / H, W = c.window;
    const x = this.x, h = this.h;
    x.set(this.emb.subarray(token * d, token * d + d));
    const pos = this.state.pos;
    const slot = pos % W;
    const n = Math.min(pos + 1, W);
    const scale = 1 / Math.sqrt(dh);
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l];
      const K = this.state.keys[l], V = this.state.values[l], M = this.state.mem[l];
      rmsnorm(h, x, L.norm1, c.eps);
      matvec(this.q, L.wq, h, d, d);
      matvec(K.subarray(slot * d, slot * d + d), L.wk, h, d, d);
      matvec(V.subarray(slot * d, slot * d + d), L.wv, h, d, d);
      // sliding-window attention over the ring buffer (relative distance r = pos − j)
      const a = this.a, p = this.p;
      a.fill(0);
      for (let hd = 0; hd < H; hd++) {
        const o = hd * dh;
        let mx = -Infinity;
        for (let r = 0; r < n; r++) {
          const ks = ((pos - r) % W) * d + o;
          let s = 0;
          for (let i = 0; i < dh; i++) s += this.q[o + i] * K[ks + i];
          s = s * scale + L.bias[hd * W + r];
          p[r] = s;
          if (s > mx) mx = s;
        }
        let z = 0;
        for (let r = 0; r < n; r++) z += p[r] = Math.exp(p[r] - mx);
        const iz = 1 / z;
        for (let r = 0; r < n; r++) {
          const w = p[r] * iz;
          const vs = ((pos - r) % W) * d + o;
          for (let i = 0; i < dh; i++) a[o + i] += w * V[vs + i];
        }
      }
      // delta-rule memory: write (if adapting) then read
      matvec(this.mq, L.mwq, h, d, d);
      matvec(this.mk, L.mwk, h, d, d);
      matvec(this.mv, L.mwv, h, d, d);
      l2normHeads(this.mq, H, dh);
      l2normHeads(this.mk, H, dh);
      const m = this.m, e = this.e, mk = this.mk, mv = this.mv, mq = this.mq;
      for (let hd = 0; hd < H; hd++) {
        const o = hd * dh;
        const Mo = hd * dh * dh;
        if (this.adapt) {
          let bz = L.bbeta[hd];
          for (let i = 0; i < d; i++) bz += L.wbeta[hd * d + i] * h[i];
          const beta = 1 / (1 + Math.exp(-bz));
          for (let i = 0; i < dh; i++) {
            let s = 0;
            for (let j = 0; j < dh; j++) s += M[Mo + i * dh + j] * mk[o + j];
            e[i] = beta * (s - mv[o + i]);
          }
          for (let i = 0; i < dh; i++) {
            const ei = e[i];
            for (let j = 0; j < dh; j++) M[Mo + i * dh + j] -= ei * mk[o + j];
          }
        }
        for (let i = 0; i < dh; i++) {
          let s = 0;
          for (let j = 0; j < dh; j++) s += M[Mo + i * dh + j] * mq[o + j];
          m[o + i] = s;
        }
      }
      matvec(this.g, L.gw, h, d, d);
      const u = this.u;
      for (let i = 0; i < d; i++) u[i] = a[i] + m[i] / (1 + Math.exp(-(this.g[i] + L.gb[i])));
      matvecAdd(x, L.wo, u, d, d);
      rmsnorm(h, x, L.norm2, c.eps);
      matvec(this.f, L.w1, h, c.ffn, d);
      for (let i = 0; i < c.ffn; i++) {
        const v = this.f[i] + L.b1[i];
        this.f[i] = v / (1 + Math.exp(-v));
      }
      matvecAdd(x, L.w2, this.f, d, c.ffn);
      for (let i = 0; i < d; i++) x[i] += L.b2[i];
    }
    rmsnorm(h, x, this.normf, c.eps);
    matvec(this.logits, this.headW, h, c.vocab, d);
    for (let i = 0; i < c.vocab; i++) this.logits[i] += this.headB[i];
    this.state.pos = pos + 1;
    return this.logits;
  }
}

/** −log p(token) in nats from logits (log-sum-exp). */
export function nll(logits: Float32Array, token: number): number {
  let mx = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > mx) mx = logits[i];
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i] - mx);
  return Math.log(z) + mx - logits[token];
}

function matvec(out: Float32Array, w: Float32Array, x: Float32Array, m: number, k: number): void {
  for (let r = 0; r < m; r++) {
    let s = 0;
    const o = r * k;
    for (let j = 0; j < k; j++) s += w[o + j] * x[j];
    out[r] = s;
  }
}

function matvecAdd(out: Float32Array, w: Float32Array, x: Float32Array, m: number, k: number): void {
  for (let r = 0; r < m; r++) {
    let s = 0;
    const o = r * k;
    for (let j = 0; j < k; j++) s += w[o + j] * x[j];
    out[r] += s;
  }
}

function rmsnorm(out: Float32Array, x: Float32Array, g: Float32Array, eps: number): void {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i] * x[i];
  const r = 1 / Math.sqrt(ss / x.length + eps);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * r * g[i];
}

function l2normHeads(x: Float32Array, heads: number, dh: number): void {
  for (let hd = 0; hd < heads; hd++) {
    let ss = 0;
    for (let i = 0; i < dh; i++) ss += x[hd * dh + i] ** 2;
    const r = 1 / Math.sqrt(ss + 1e-6);
    for (let i = 0; i < dh; i++) x[hd * dh + i] *= r;
  }
}
