/**
 * RWKV-7 ("Goose"), as llama.cpp runs its `rwkv7` GGUF files (llm_build_rwkv7 /
 * build_rwkv7_time_mix / build_rwkv7_channel_mix). Per block, with x̃ the LayerNormed input and
 * x̃₋ the previous token's (the token shift):
 *
 * time mix — six interpolations x_c = x̃ + (x̃₋ − x̃)·μ_c (c = r, w, k, v, a, g), then
 *   r = W_r x_r,  k = W_k x_k,  v = W_v x_v
 *   w = exp(−e^−½ · σ(w0 + W2 tanh(W1 x_w)))                 per-channel decay, in (0, 1)
 *   v ← v + (v_first − v) · σ(v0 + V2 V1 x_v)                 layers > 0; v_first = layer 0's v
 *   a = σ(a0 + A2 A1 x_a)                                      in-context learning rate
 *   g = G2 σ(G1 x_g)                                           output gate
 *   κ̂ = per-head L2-normalised k ⊙ k_k;  k ← k + (a − 1) ⊙ k ⊙ k_a
 *   y = wkv7(r, w, k, v, −κ̂, κ̂ ⊙ a)                           the generalized delta rule (state [H, N, N])
 *   y = GroupNorm_H(y, ε 64e−5) ⊙ ln_x.w + ln_x.b + v · Σ_head(r ⊙ k ⊙ r_k)
 *   out = W_o (y ⊙ g)
 * channel mix — x_k = x̃ + (x̃₋ − x̃)·μ_k,  out = W_v relu(W_k x_k)²
 * with a LayerNorm on the embeddings first (token_embd_norm) and an untied head.
 *
 * Weights keep llama.cpp's names (blk.N.time_mix_*, …): there is no Hugging Face reader yet.
 * The per-head norms run as the row norms on an [n·H, N] copy of the activations.
 */
import { SparrowError } from '../errors.ts';
import type { Backend, Tensor } from '../backends/backend.ts';
import type { Rwkv7Config } from '../formats/hf-config.ts';
import { linear } from './linear.ts';
import { loadLinear, type LinearLoadOptions } from './linear-weights.ts';
import { need, type ModelBackend } from './ops.ts';
import { Scratch } from './scratch.ts';
import { RecurrentLM, RecurrentState, headRows } from './forward-lm.ts';
import { embedTokens, hostEmbeddingOf, type HostEmbedding } from './token-embedding.ts';
import type { CausalLM } from './types.ts';
import { WeightMap, expectShape, uploadChecked, uploadParam, type WeightFile } from './weights.ts';

const L = (i: number, s: string) => `blk.${i}.${s}`;
const EMBED = 'token_embd.weight';
/** The six token-shift interpolations of the time mix, in the order of time_mix_lerp_fused. */
const LERPS = ['r', 'w', 'k', 'v', 'a', 'g'] as const;
/** e^−½: RWKV-7's decay is exp(−e^−½ · σ(·)). */
const DECAY_SCALE = -Math.exp(-0.5);
/** llama.cpp's GroupNorm ε for the WKV output (ggml_norm(cur, 64e-5)). */
const GROUP_NORM_EPS = 64e-5;
/** ggml_l2_norm's ε: x / max(‖x‖, 1e-12). */
const L2_EPS = 1e-12;

export class Rwkv7State extends RecurrentState {
  constructor(
    b: Backend,
    /** Per layer: the previous token's LayerNormed input of the time mix and of the channel mix [C]. */
    readonly attShift: Tensor[],
    readonly ffnShift: Tensor[],
    /** Per layer: the WKV state [H, N, N]. */
    readonly wkv: Tensor[],
    vocab: number,
  ) {
    super(b, vocab);
  }
  protected tensors(): Tensor[] {
    return [...this.attShift, ...this.ffnShift, ...this.wkv];
  }
}

export interface Rwkv7Options extends LinearLoadOptions {}

export class Rwkv7 extends RecurrentLM<Rwkv7State> implements CausalLM {
  readonly family = 'rwkv7' as const;
  private readonly b: ModelBackend;

  private constructor(
    readonly backend: Backend,
    readonly config: Rwkv7Config,
    readonly weights: WeightMap,
    /** A block-quantized table (Q8_0, …) is looked up on the host. */
    private readonly hostEmbed: HostEmbedding | undefined,
  ) {
    super(config);
    this.b = need(backend, 'wkv7', 'wkv7Bonus');
  }

  static linearNames(c: Rwkv7Config): string[] {
    const out: string[] = [];
    for (let i = 0; i < c.numLayers; i++) {
      for (const p of ['receptance', 'key', 'value', 'output']) out.push(L(i, `time_mix_${p}.weight`));
      for (const p of ['key', 'value']) out.push(L(i, `channel_mix_${p}.weight`));
    }
    return out;
  }

  static async load(backend: Backend, config: Rwkv7Config, file: WeightFile, opts: Rwkv7Options = {}): Promise<Rwkv7> {
    const c = config;
    const { hiddenSize: C, intermediateSize: F } = c;
    const H = C / c.headSize;
    const w = new WeightMap(backend);
    try {
      const param = async (name: string, shape: number[]) => w.set(name, await uploadParam(file, name, shape, backend));
      const lin = async (name: string, shape: [number, number]) => w.set(name, await loadLinear(file, name, shape, backend, opts));
      const norm = async (name: string) => {
        await param(`${name}.weight`, [C]);
        await param(`${name}.bias`, [C]);
      };
      w.set(EMBED, await uploadChecked(file, EMBED, [c.vocabSize, C], backend));
      await norm('token_embd_norm');
      for (let i = 0; i < c.numLayers; i++) {
        await norm(L(i, 'attn_norm'));
        await norm(L(i, 'attn_norm_2'));
        const fused = L(i, 'time_mix_lerp_fused.weight');
        expectShape(file, fused, [LERPS.length, 1, 1, C]);
        const mu = await file.f32(fused);
        LERPS.forEach((x, j) => w.set(`${fused}#${x}`, backend.tensor([C], 'f32', mu.slice(j * C, (j + 1) * C))));
        // low-rank projections: x → rank (…1) → C (…2), plus a per-channel offset (…0) where there is one
        const lora = async (p: string, rank: number, offset: boolean) => {
          await lin(L(i, `time_mix_${p}1.weight`), [rank, C]);
          await lin(L(i, `time_mix_${p}2.weight`), [C, rank]);
          if (offset) await param(L(i, `time_mix_${p}0.weight`), [C]);
        };
        await lora('w', c.decayLoraRank, true);
        await lora('a', c.iclrLoraRank, true);
        // layer 0's v0 / v1 / v2 are never used (v_first is its own v); llama.cpp still requires them
        if (i > 0) await lora('v', c.valueLoraRank, true);
        await lora('g', c.gateLoraRank, false);
        for (const p of ['k_k', 'k_a', 'r_k']) await param(L(i, `time_mix_${p}.weight`), [C]);
        for (const p of ['receptance', 'key', 'value', 'output']) await lin(L(i, `time_mix_${p}.weight`), [C, C]);
        await norm(L(i, 'time_mix_ln'));
        await param(L(i, 'channel_mix_lerp_k.weight'), [C]);
        await lin(L(i, 'channel_mix_key.weight'), [F, C]);
        await lin(L(i, 'channel_mix_value.weight'), [C, F]);
      }
      await norm('output_norm');
      await lin('output.weight', [c.vocabSize, C]);
      // the per-head norms' unit gain and zero bias
      w.set('#ones', backend.tensor([c.headSize], 'f32', new Float32Array(c.headSize).fill(1)));
      w.set('#zeros', backend.tensor([c.headSize], 'f32', new Float32Array(c.headSize)));
      if (!Number.isInteger(H)) throw new SparrowError('SHAPE_MISMATCH', `rwkv7: hidden size ${C} is not a multiple of head size ${c.headSize}`);
      const hostEmbed = await hostEmbeddingOf(file, EMBED, w.get(EMBED).dtype, C, 'rwkv7');
      return new Rwkv7(backend, c, w, hostEmbed);
    } catch (e) {
      w.dispose();
      throw e;
    }
  }

  newState(): Rwkv7State {
    const c = this.config;
    const b = this.backend;
    const H = c.hiddenSize / c.headSize;
    const per = (shape: number[]) => Array.from({ length: c.numLayers }, () => b.tensor(shape, 'f32'));
    return new Rwkv7State(b, per([c.hiddenSize]), per([c.hiddenSize]), per([H, c.headSize, c.headSize]), c.vocabSize);
  }

  protected forward(tokens: readonly number[], s: Rwkv7State, logits: Tensor, lastOnly: boolean, hidden?: Tensor): void {
    const b = this.b;
    const c = this.config;
    const n = tokens.length;
    if (n === 0) throw new SparrowError('INVALID_ARGUMENT', 'rwkv7: no tokens to run');
    const { hiddenSize: C, intermediateSize: F, headSize: N } = c;
    const H = C / N;
    const eps = c.layerNormEps;
    const W = (name: string) => this.weights.get(name);
    const scratch = n === 1 ? s.scratch : new Scratch(b);
    scratch.reset();
    const t = (shape: number[]) => scratch.get(shape);
    try {
      const e = t([n, C]);
      embedTokens(b, e, tokens, W(EMBED), this.hostEmbed, c.vocabSize, scratch);
      // Residual stream ping-pongs between two buffers (no op writes a tensor it reads).
      let x = t([n, C]);
      let x2 = t([n, C]);
      b.layernorm(x, e, W('token_embd_norm.weight'), W('token_embd_norm.bias'), eps);
      const residual = (o: Tensor) => {
        b.add(x2, x, o);
        [x, x2] = [x2, x];
      };
      const h = t([n, C]);
      const prev = t([n, C]);
      const xs = Object.fromEntries(LERPS.map((m) => [m, t([n, C])])) as Record<(typeof LERPS)[number], Tensor>;
      const r = t([n, C]);
      const k = t([n, C]);
      const v = t([n, C]);
      const vFirst = t([n, C]);
      const vMixed = t([n, C]);
      const kNew = t([n, C]);
      const dec = t([n, C]);
      const a = t([n, C]);
      const g = t([n, C]);
      const kk = t([n, C]);
      const negKk = t([n, C]);
      const kkA = t([n, C]);
      const tmp = t([n, C]);
      const tmp2 = t([n, C]);
      const y = t([n, C]);
      const o = t([n, C]);
      const heads = t([n * H, N]);
      const heads2 = t([n * H, N]);
      const loraOf = (rank: number) => t([n, rank]);
      const lw = loraOf(c.decayLoraRank), lw2 = loraOf(c.decayLoraRank);
      const la = loraOf(c.iclrLoraRank);
      const lv = loraOf(c.valueLoraRank);
      const lg = loraOf(c.gateLoraRank), lg2 = loraOf(c.gateLoraRank);
      const fk = t([n, F]);
      const fk2 = t([n, F]);
      /** prev = [shift, h_0 … h_{n−2}], then shift ← h_{n−1} (the token shift). */
      const shift = (state: Tensor) => {
        b.copy(prev, 0, state, 0, C);
        if (n > 1) b.copy(prev, C, h, 0, (n - 1) * C);
        b.copy(state, 0, h, (n - 1) * C, C);
      };
      /** out = h + (prev − h) · μ: the token-shift interpolation, one op (not sub, mul, add). */
      const lerp = (out: Tensor, mu: Tensor) => b.lerp(out, h, prev, mu);
      /** out = up(act(down(x))) (+ offset): a low-rank projection. */
      const lowRank = (out: Tensor, xin: Tensor, down: string, up: string, mid: Tensor, act?: (o: Tensor, i: Tensor) => void, midAct?: Tensor) => {
        linear(b, mid, xin, W(down), n);
        let m = mid;
        if (act && midAct) {
          act(midAct, mid);
          m = midAct;
        }
        linear(b, out, m, W(up), n);
      };
      for (let i = 0; i < c.numLayers; i++) {
        // ---- time mix
        b.layernorm(h, x, W(L(i, 'attn_norm.weight')), W(L(i, 'attn_norm.bias')), eps);
        shift(s.attShift[i]);
        const fused = L(i, 'time_mix_lerp_fused.weight');
        for (const m of LERPS) lerp(xs[m], W(`${fused}#${m}`));
        linear(b, r, xs.r, W(L(i, 'time_mix_receptance.weight')), n);
        // decay w = exp(−e^−½ σ(w0 + W2 tanh(W1 x_w)))
        lowRank(tmp, xs.w, L(i, 'time_mix_w1.weight'), L(i, 'time_mix_w2.weight'), lw, (oo, ii) => b.tanh(oo, ii), lw2);
        b.add(tmp2, tmp, W(L(i, 'time_mix_w0.weight')));
        b.sigmoid(tmp, tmp2);
        b.scale(tmp2, tmp, DECAY_SCALE);
        b.exp(dec, tmp2);
        linear(b, k, xs.k, W(L(i, 'time_mix_key.weight')), n);
        // layer 0's v is v_first itself; later layers mix toward it
        let vv = vFirst;
        if (i === 0) linear(b, vFirst, xs.v, W(L(i, 'time_mix_value.weight')), n);
        else {
          linear(b, v, xs.v, W(L(i, 'time_mix_value.weight')), n);
          // v += (v_first − v) · σ(v0 + V2 V1 x_v)
          lowRank(tmp, xs.v, L(i, 'time_mix_v1.weight'), L(i, 'time_mix_v2.weight'), lv);
          b.add(tmp2, tmp, W(L(i, 'time_mix_v0.weight')));
          b.sigmoid(y, tmp2);
          b.lerp(vMixed, v, vFirst, y);
          vv = vMixed;
        }
        // a = σ(a0 + A2 A1 x_a)
        lowRank(tmp, xs.a, L(i, 'time_mix_a1.weight'), L(i, 'time_mix_a2.weight'), la);
        b.add(tmp2, tmp, W(L(i, 'time_mix_a0.weight')));
        b.sigmoid(a, tmp2);
        // g = G2 σ(G1 x_g)
        lowRank(g, xs.g, L(i, 'time_mix_g1.weight'), L(i, 'time_mix_g2.weight'), lg, (oo, ii) => b.sigmoid(oo, ii), lg2);
        // κ̂ = l2norm_head(k ⊙ k_k): rmsnorm over each head's N channels gives x·√N / √(Σx² + N·ε'),
        // so with ε' = ε²/N and a 1/√N scale it is x / √(Σx² + ε²) ≈ x / max(‖x‖, ε)
        // (elementwise ops go by size, so they read and write the [n·H, N] view of [n, C] directly)
        b.mul(heads, k, W(L(i, 'time_mix_k_k.weight')));
        b.rmsnorm(heads2, heads, W('#ones'), (L2_EPS * L2_EPS) / N);
        b.scale(kk, heads2, 1 / Math.sqrt(N));
        // k ← k + (a − 1) ⊙ k ⊙ k_a = k + (k ⊙ a − k) ⊙ k_a, one lerp (llama.cpp: k + (a ⊙ ka − ka), ka = k ⊙ k_a)
        b.mul(tmp, k, a);
        b.lerp(kNew, k, tmp, W(L(i, 'time_mix_k_a.weight')));
        b.scale(negKk, kk, -1);
        b.mul(kkA, kk, a);
        b.wkv7(y, r, dec, kNew, vv, negKk, kkA, s.wkv[i]);
        // GroupNorm over each head, then the layer's gain and bias, then the bonus
        b.copy(heads, 0, y, 0, n * C);
        b.layernorm(heads2, heads, W('#ones'), W('#zeros'), GROUP_NORM_EPS);
        b.mul(tmp2, heads2, W(L(i, 'time_mix_ln.weight')));
        b.add(y, tmp2, W(L(i, 'time_mix_ln.bias')));
        b.wkv7Bonus(y, r, kNew, vv, W(L(i, 'time_mix_r_k.weight')), N);
        b.mul(tmp, y, g);
        linear(b, o, tmp, W(L(i, 'time_mix_output.weight')), n);
        residual(o);
        // ---- channel mix
        b.layernorm(h, x, W(L(i, 'attn_norm_2.weight')), W(L(i, 'attn_norm_2.bias')), eps);
        shift(s.ffnShift[i]);
        lerp(xs.k, W(L(i, 'channel_mix_lerp_k.weight')));
        linear(b, fk, xs.k, W(L(i, 'channel_mix_key.weight')), n);
        b.relu(fk2, fk);
        b.mul(fk, fk2, fk2); // relu(k)²
        linear(b, o, fk, W(L(i, 'channel_mix_value.weight')), n);
        residual(o);
        if (hidden) b.copy(hidden, i * n * C, x, 0, n * C);
      }
      const rows = lastOnly ? 1 : n;
      const last = headRows(b, x, n, C, lastOnly, scratch);
      const hn = t([rows, C]);
      b.layernorm(hn, last, W('output_norm.weight'), W('output_norm.bias'), eps);
      if (hidden) b.copy(hidden, c.numLayers * n * C, hn, 0, n * C);
      linear(b, logits, hn, W('output.weight'), rows);
      s.position += n;
    } finally {
      if (scratch !== s.scratch) scratch.free();
    }
  }
}
