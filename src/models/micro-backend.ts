/**
 * The micro model's single-token step written against the Backend interface only (core ops +
 * the sequence family's deltaRule), so it runs unchanged on the reference, wasm and WebGPU
 * backends. It is the portable path; MicroWasm (micro-wasm.ts) is the fast fused one.
 *
 * Layout choices that keep everything expressible with the seam's ops:
 * - Attention keys per head are a shift register K_h [window, dh] (row r = the token r steps
 *   back), kept by ping-pong copies, so the learned relative bias adds directly; values are kept
 *   transposed (Vt_h [dh, window]) so the weighted sum is a matvec. Rows not yet filled are
 *   masked by a bias of −1e30 (the bias table is rewritten only during the first `window` steps).
 * - Per-head L2 normalisation = rmsnorm over [heads, dh] rows with unit weight and eps/dh, then
 *   a scale by 1/√dh (identical to x / √(‖x‖² + 1e-6)).
 * - Adaptation off = β forced to 0 (deltaRule then leaves M unchanged and reads M q).
 * No op writes into one of its inputs (WebGPU forbids binding one buffer read and read-write).
 */
import type { Backend, Tensor } from '../backends/backend.ts';
import { checkConfig, paramShapes, type MicroConfig } from './micro-config.ts';
import { SparrowError } from '../errors.ts';
import type { MicroState } from './micro.ts';
import { checkMicroState, decodeMicroState, encodeMicroState } from './micro-state.ts';

interface LayerT {
  norm1: Tensor; wq: Tensor; wk: Tensor; wv: Tensor; bias: Float32Array;
  mwq: Tensor; mwk: Tensor; mwv: Tensor; wbeta: Tensor; bbeta: Tensor;
  gw: Tensor; gb: Tensor; wo: Tensor; norm2: Tensor; w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor;
  /** Per head ping-pong shift registers. */
  K: Tensor[][]; Vt: Tensor[][];
  /** Per head masked bias [window]. */
  biasT: Tensor[];
  state: Tensor;
  ones: Tensor;
}

export class MicroBackendModel {
  adapt = true;
  pos = 0;
  private flip = 0;
  private layers: LayerT[] = [];
  private emb: Tensor; private normf: Tensor; private headW: Tensor; private headB: Tensor;
  private ids: Tensor;
  // scratch (each op gets its own output tensor)
  private t: Record<string, Tensor> = {};
  readonly logits: Tensor;

  constructor(readonly b: Backend, readonly config: MicroConfig, weights: Map<string, Float32Array>) {
    checkConfig(config);
    const c = config, d = c.dim, H = c.heads, dh = d / H, W = c.window;
    for (const [name, shape] of paramShapes(c)) {
      if (weights.get(name)?.length !== shape.reduce((a, x) => a * x, 1)) throw new SparrowError('SHAPE_MISMATCH', `micro-backend: weight "${name}" missing or not [${shape.join(', ')}]`);
    }
    const up = (name: string, shape: number[]) => b.tensor(shape, 'f32', weights.get(name)!);
    this.emb = up('emb', [c.vocab, d]);
    this.normf = up('normf', [d]);
    this.headW = up('head.w', [c.vocab, d]);
    this.headB = up('head.b', [c.vocab]);
    this.ids = b.tensor([1], 'i32');
    for (let l = 0; l < c.layers; l++) {
      const p = `blocks.${l}.`;
      const L: LayerT = {
        norm1: up(p + 'norm1', [d]), wq: up(p + 'attn.wq', [d, d]), wk: up(p + 'attn.wk', [d, d]), wv: up(p + 'attn.wv', [d, d]),
        bias: weights.get(p + 'attn.bias')!,
        mwq: up(p + 'mem.wq', [d, d]), mwk: up(p + 'mem.wk', [d, d]), mwv: up(p + 'mem.wv', [d, d]),
        wbeta: up(p + 'mem.wbeta', [H, d]), bbeta: up(p + 'mem.bbeta', [H]),
        gw: up(p + 'gate.w', [d, d]), gb: up(p + 'gate.b', [d]), wo: up(p + 'wo', [d, d]), norm2: up(p + 'norm2', [d]),
        w1: up(p + 'mlp.w1', [c.ffn, d]), b1: up(p + 'mlp.b1', [c.ffn]), w2: up(p + 'mlp.w2', [d, c.ffn]), b2: up(p + 'mlp.b2', [d]),
        K: Array.from({ length: H }, () => [b.tensor([W, dh]), b.tensor([W, dh])]),
        Vt: Array.from({ length: H }, () => [b.tensor([dh, W]), b.tensor([dh, W])]),
        biasT: Array.from({ length: H }, () => b.tensor([W])),
        state: b.tensor([H, dh, dh]),
        ones: b.tensor([dh], 'f32', new Float32Array(dh).fill(1)),
      };
      this.layers.push(L);
    }
    const T = (name: string, shape: number[]) => (this.t[name] = b.tensor(shape));
    for (const n of ['x0', 'x1', 'x2', 'x3', 'h', 'h2', 'q', 'k', 'v', 'a', 'mq', 'mk', 'mv', 'g0', 'g', 'gm', 'u', 'o', 'f2', 'f3', 'hf']) T(n, [1, d]);
    for (const n of ['mq3', 'mk3', 'mqn', 'mkn', 'mv3', 'm3']) T(n, [1, H, dh]);
    T('beta0', [1, H]); T('beta1', [1, H]); T('beta', [1, H]);
    T('f0', [1, c.ffn]); T('f1', [1, c.ffn]);
    T('qh', [dh]); T('s0', [W]); T('s1', [W]); T('p', [1, W]); T('ah', [dh]);
    T('l0', [1, c.vocab]);
    this.logits = b.tensor([1, c.vocab]);
    this.reset();
  }

  reset(): void {
    for (const L of this.layers) {
      for (const pair of [...L.K, ...L.Vt]) for (const t of pair) this.b.fill(t, 0);
      this.b.fill(L.state, 0);
    }
    this.pos = 0;
    this.flip = 0;
  }

  resetMemory(): void {
    for (const L of this.layers) this.b.fill(L.state, 0);
  }

  /**
   * The learned state in MicroModel's layout (micro-state.ts), read back from the backend: shift
   * register row r (r tokens back) ↔ ring slot (pos − 1 − r) mod window; Vt is transposed back.
   */
  async getState(): Promise<MicroState> {
    const c = this.config, d = c.dim, H = c.heads, dh = d / H, W = c.window;
    const cur = 1 - this.flip; // the pair written by the last step
    const s: MicroState = { pos: this.pos, keys: [], values: [], mem: [] };
    for (const L of this.layers) {
      const keys = new Float32Array(W * d), values = new Float32Array(W * d);
      for (let h = 0; h < H; h++) {
        const K = (await this.b.read(L.K[h][cur])) as Float32Array;
        const Vt = (await this.b.read(L.Vt[h][cur])) as Float32Array;
        for (let r = 0; r < Math.min(this.pos, W); r++) {
          const slot = (this.pos - 1 - r) % W;
          for (let i = 0; i < dh; i++) {
            keys[slot * d + h * dh + i] = K[r * dh + i];
            values[slot * d + h * dh + i] = Vt[i * W + r];
          }
        }
      }
      s.keys.push(keys);
      s.values.push(values);
      s.mem.push(Float32Array.from((await this.b.read(L.state)) as Float32Array));
    }
    return s;
  }

  /** Replace the learned state (checked first: SHAPE_MISMATCH); inverse of getState. */
  setState(s: MicroState): void {
    checkMicroState(this.config, s, 'micro-backend.setState');
    const c = this.config, d = c.dim, H = c.heads, dh = d / H, W = c.window;
    const cur = 1 - this.flip; // the next step reads this pair as its "previous" one
    this.layers.forEach((L, l) => {
      for (let h = 0; h < H; h++) {
        const K = new Float32Array(W * dh), Vt = new Float32Array(dh * W), m = new Float32Array(W);
        for (let r = 0; r < Math.min(s.pos, W); r++) {
          const slot = (s.pos - 1 - r) % W;
          for (let i = 0; i < dh; i++) {
            K[r * dh + i] = s.keys[l][slot * d + h * dh + i];
            Vt[i * W + r] = s.values[l][slot * d + h * dh + i];
          }
        }
        this.b.write(L.K[h][cur], K);
        this.b.write(L.Vt[h][cur], Vt);
        // the step only rewrites the bias mask while pos < window: set it for the restored position
        for (let r = 0; r < W; r++) m[r] = r <= Math.min(s.pos, W - 1) ? L.bias[h * W + r] : -1e30;
        this.b.write(L.biasT[h], m);
      }
      this.b.write(L.state, s.mem[l]);
    });
    this.pos = s.pos;
  }

  /** The learned state as a self-describing file tied to `modelHash` (async: reads the backend). */
  async saveState(modelHash: string): Promise<Uint8Array> {
    return encodeMicroState(this.config, await this.getState(), modelHash);
  }

  /** Restore from saveState bytes (any micro model's); a bad file throws and changes nothing. */
  loadState(bytes: Uint8Array, modelHash: string): void {
    this.setState(decodeMicroState(bytes, this.config, modelHash));
  }

  /** Enqueue one token's step; read `logits` afterwards. */
  step(token: number): Tensor {
    const b = this.b, c = this.config, t = this.t;
    const d = c.dim, H = c.heads, dh = d / H, W = c.window;
    if (!Number.isInteger(token) || token < 0 || token >= c.vocab) throw new SparrowError('INDEX_OUT_OF_RANGE', `micro-backend.step: token ${token} outside vocab [0, ${c.vocab})`);
    b.write(this.ids, new Int32Array([token]));
    b.embedding(t.x0, this.emb, this.ids);
    let x = t.x0;
    const cur = this.flip, prev = 1 - this.flip;
    for (const L of this.layers) {
      if (this.pos < W) {
        // relative bias with not-yet-filled rows masked out (constant once the window is full)
        for (let h = 0; h < H; h++) {
          const m = new Float32Array(W);
          for (let r = 0; r < W; r++) m[r] = r <= this.pos ? L.bias[h * W + r] : -1e30;
          b.write(L.biasT[h], m);
        }
      }
      b.rmsnorm(t.h, x, L.norm1, c.eps);
      b.matmul(t.q, t.h, L.wq);
      b.matmul(t.k, t.h, L.wk);
      b.matmul(t.v, t.h, L.wv);
      for (let h = 0; h < H; h++) {
        const K = L.K[h][cur], Kp = L.K[h][prev], V = L.Vt[h][cur], Vp = L.Vt[h][prev];
        b.copy(K, 0, t.k, h * dh, dh);
        b.copy(K, dh, Kp, 0, (W - 1) * dh);
        // Vt: shift every row right by one column, then write the new column 0
        b.copy(V, 1, Vp, 0, dh * W - 1);
        for (let i = 0; i < dh; i++) b.copy(V, i * W, t.v, h * dh + i, 1);
        b.copy(t.qh, 0, t.q, h * dh, dh);
        b.matvec(t.s0, K, t.qh);
        b.scale(t.s1, t.s0, 1 / Math.sqrt(dh));
        b.add(t.p, t.s1, L.biasT[h]);
        b.softmax(t.s0, t.p);
        b.matvec(t.ah, V, t.s0);
        b.copy(t.a, h * dh, t.ah, 0, dh);
      }
      // delta-rule memory
      b.matmul(t.mq, t.h, L.mwq);
      b.matmul(t.mk, t.h, L.mwk);
      b.matmul(t.mv, t.h, L.mwv);
      b.copy(t.mq3, 0, t.mq, 0, d);
      b.copy(t.mk3, 0, t.mk, 0, d);
      b.copy(t.mv3, 0, t.mv, 0, d);
      const l2eps = 1e-6 / dh;
      b.rmsnorm(t.m3, t.mq3, L.ones, l2eps);
      b.scale(t.mqn, t.m3, 1 / Math.sqrt(dh));
      b.rmsnorm(t.m3, t.mk3, L.ones, l2eps);
      b.scale(t.mkn, t.m3, 1 / Math.sqrt(dh));
      if (this.adapt) {
        b.matmul(t.beta0, t.h, L.wbeta);
        b.add(t.beta1, t.beta0, L.bbeta);
        b.sigmoid(t.beta, t.beta1);
      } else b.fill(t.beta, 0);
      b.deltaRule(t.m3, t.mqn, t.mkn, t.mv3, t.beta, L.state);
      // gate and residual
      b.matmul(t.g0, t.h, L.gw);
      b.add(t.g, t.g0, L.gb);
      b.sigmoid(t.g0, t.g);
      b.mul(t.gm, t.g0, t.m3);
      b.add(t.u, t.a, t.gm);
      b.matmul(t.o, t.u, L.wo);
      const x1 = x === t.x0 ? t.x1 : t.x0;
      b.add(x1, x, t.o);
      b.rmsnorm(t.h2, x1, L.norm2, c.eps);
      b.matmul(t.f0, t.h2, L.w1);
      b.add(t.f1, t.f0, L.b1);
      b.silu(t.f0, t.f1);
      b.matmul(t.f2, t.f0, L.w2);
      b.add(t.f3, t.f2, L.b2);
      const x2 = x1 === t.x2 ? t.x3 : t.x2;
      b.add(x2, x1, t.f3);
      x = x2;
    }
    b.rmsnorm(t.hf, x, this.normf, c.eps);
    b.matmul(t.l0, t.hf, this.headW);
    b.add(this.logits, t.l0, this.headB);
    this.pos++;
    this.flip = prev;
    return this.logits;
  }
}
