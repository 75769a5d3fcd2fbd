/**
 * RwkvForCausalLM (RWKV-4). Per block: LayerNorm → time mix (token shift, k/v/r projections, WKV,
 * receptance gate, output) → residual → LayerNorm → channel mix (token shift, σ(r) ⊙ W_v relu(W_k)²)
 * → residual. Block 0 first applies pre_ln to the embeddings. State per layer, as HF keeps it:
 * ffn shift, attention shift [H] and the WKV (num, den, max) [3, C], max starting at −1e30.
 *
 * rescale_every: HF halves weights/activations every N blocks at inference to stay inside fp16;
 * in f32 this changes nothing but the LayerNorm eps contribution, so it is not applied.
 */
import { SparrowError } from '../errors.ts';
import type { Backend, Tensor } from '../backends/backend.ts';
import type { RwkvConfig } from '../formats/hf-config.ts';
import { linear } from './linear.ts';
import { loadLinear, type LinearLoadOptions } from './linear-weights.ts';
import { need, type ModelBackend } from './ops.ts';
import { Scratch } from './scratch.ts';
import { RecurrentLM, RecurrentState, headRows } from './forward-lm.ts';
import type { CausalLM } from './types.ts';
import { WeightMap, expectShape, uploadChecked, uploadParam, type WeightFile } from './weights.ts';

const B = (i: number, s: string) => `rwkv.blocks.${i}.${s}`;

export class RwkvState extends RecurrentState {
  constructor(
    b: Backend,
    readonly ffnShift: Tensor[],
    readonly attShift: Tensor[],
    /** [3, C]: num, den, max. */
    readonly wkv: Tensor[],
    vocab: number,
  ) {
    super(b, vocab);
  }
  protected tensors(): Tensor[] {
    return [...this.ffnShift, ...this.attShift, ...this.wkv];
  }
}

export interface RwkvOptions extends LinearLoadOptions {}

export class Rwkv extends RecurrentLM<RwkvState> implements CausalLM {
  readonly family = 'rwkv' as const;
  private readonly b: ModelBackend;

  private constructor(
    readonly backend: Backend,
    readonly config: RwkvConfig,
    readonly weights: WeightMap,
  ) {
    super(config);
    this.b = need(backend, 'wkv4');
  }

  static linearNames(c: RwkvConfig): string[] {
    const out: string[] = [];
    for (let i = 0; i < c.numLayers; i++) {
      for (const p of ['key', 'value', 'receptance', 'output']) out.push(B(i, `attention.${p}.weight`));
      for (const p of ['key', 'value', 'receptance']) out.push(B(i, `feed_forward.${p}.weight`));
    }
    return out;
  }

  static async load(backend: Backend, config: RwkvConfig, file: WeightFile, opts: RwkvOptions = {}): Promise<Rwkv> {
    const c = config;
    const { hiddenSize: H, attentionHiddenSize: C, intermediateSize: F } = c;
    const w = new WeightMap(backend);
    try {
      const put = async (name: string, shape: number[]) => w.set(name, await uploadChecked(file, name, shape, backend));
      const param = async (name: string, shape: number[]) => w.set(name, await uploadParam(file, name, shape, backend));
      const lin = async (name: string, shape: [number, number]) => w.set(name, await loadLinear(file, name, shape, backend, opts));
      /** time_mix μ [1,1,H] (the token shift mixes x·μ + x_prev·(1 − μ)). */
      const mix = async (name: string) => {
        expectShape(file, name, [H]);
        w.set(name, backend.tensor([H], 'f32', Float32Array.from(await file.f32(name))));
      };
      await put('rwkv.embeddings.weight', [c.vocabSize, H]);
      for (let i = 0; i < c.numLayers; i++) {
        if (i === 0) {
          await param(B(0, 'pre_ln.weight'), [H]);
          await param(B(0, 'pre_ln.bias'), [H]);
        }
        for (const ln of ['ln1', 'ln2']) {
          await param(B(i, `${ln}.weight`), [H]);
          await param(B(i, `${ln}.bias`), [H]);
        }
        await param(B(i, 'attention.time_decay'), [C]);
        await param(B(i, 'attention.time_first'), [C]);
        for (const m of ['key', 'value', 'receptance']) await mix(B(i, `attention.time_mix_${m}`));
        await lin(B(i, 'attention.key.weight'), [C, H]);
        await lin(B(i, 'attention.value.weight'), [C, H]);
        await lin(B(i, 'attention.receptance.weight'), [C, H]);
        await lin(B(i, 'attention.output.weight'), [H, C]);
        for (const m of ['key', 'receptance']) await mix(B(i, `feed_forward.time_mix_${m}`));
        await lin(B(i, 'feed_forward.key.weight'), [F, H]);
        await lin(B(i, 'feed_forward.receptance.weight'), [H, H]);
        await lin(B(i, 'feed_forward.value.weight'), [H, F]);
      }
      await param('rwkv.ln_out.weight', [H]);
      await param('rwkv.ln_out.bias', [H]);
      if (file.has('head.weight')) await put('head.weight', [c.vocabSize, H]);
      else if (!c.tieWordEmbeddings) throw new SparrowError('TENSOR_MISSING', `${file.name}: head.weight is missing and tie_word_embeddings is false`, { tensor: 'head.weight' });
    } catch (e) {
      w.dispose();
      throw e;
    }
    return new Rwkv(backend, c, w);
  }

  newState(): RwkvState {
    const c = this.config;
    const C = c.attentionHiddenSize;
    const init = new Float32Array(3 * C);
    init.fill(-1e30, 2 * C); // max starts at HF's model-level −1e30; num = den = 0
    const b = this.backend;
    return new RwkvState(
      b,
      Array.from({ length: c.numLayers }, () => b.tensor([c.hiddenSize], 'f32')),
      Array.from({ length: c.numLayers }, () => b.tensor([c.hiddenSize], 'f32')),
      Array.from({ length: c.numLayers }, () => b.tensor([3, C], 'f32', init)),
      c.vocabSize,
    );
  }

  protected forward(tokens: readonly number[], s: RwkvState, logits: Tensor, lastOnly: boolean, hidden?: Tensor): void {
    const b = this.b;
    const c = this.config;
    const n = tokens.length;
    if (n === 0) throw new SparrowError('INVALID_ARGUMENT', 'rwkv: no tokens to run');
    const { hiddenSize: H, attentionHiddenSize: C, intermediateSize: F } = c;
    const eps = c.layerNormEps;
    const W = (name: string) => this.weights.get(name);
    const scratch = n === 1 ? s.scratch : new Scratch(b);
    scratch.reset();
    const t = (shape: number[]) => scratch.get(shape);
    try {
      const ids = scratch.get([n], 'i32');
      b.write(ids, Int32Array.from(tokens));
      const e = t([n, H]);
      b.embedding(e, W('rwkv.embeddings.weight'), ids);
      // Residual stream ping-pongs between two buffers (no op writes a tensor it reads).
      let x = t([n, H]);
      let x2 = t([n, H]);
      b.layernorm(x, e, W(B(0, 'pre_ln.weight')), W(B(0, 'pre_ln.bias')), eps);
      const residual = (o: Tensor) => {
        b.add(x2, x, o);
        [x, x2] = [x2, x];
      };
      const h = t([n, H]);
      const prev = t([n, H]);
      const mixed = t([n, H]);
      const k = t([n, C]);
      const v = t([n, C]);
      const r = t([n, C]);
      const rs = t([n, C]);
      const wkv = t([n, C]);
      const wkvr = t([n, C]);
      const o = t([n, H]);
      const fk = t([n, F]);
      const fk2 = t([n, F]);
      const ft1 = t([n, F]);
      const fr = t([n, H]);
      const frs = t([n, H]);
      const o2 = t([n, H]);
      /** prev = [shift, h_0 … h_{n−2}], then shift ← h_{n−1} (RWKV's token shift). */
      const shift = (state: Tensor) => {
        b.copy(prev, 0, state, 0, H);
        if (n > 1) b.copy(prev, H, h, 0, (n - 1) * H);
        b.copy(state, 0, h, (n - 1) * H, H);
      };
      /** mixed = h·μ + prev·(1 − μ) = prev + (h − prev)·μ: one lerp instead of mul, mul, add. */
      const mix = (name: string) => b.lerp(mixed, prev, h, W(name));
      for (let i = 0; i < c.numLayers; i++) {
        // Time mix.
        b.layernorm(h, x, W(B(i, 'ln1.weight')), W(B(i, 'ln1.bias')), eps);
        shift(s.attShift[i]);
        mix(B(i, 'attention.time_mix_key'));
        linear(b, k, mixed, W(B(i, 'attention.key.weight')), n);
        mix(B(i, 'attention.time_mix_value'));
        linear(b, v, mixed, W(B(i, 'attention.value.weight')), n);
        mix(B(i, 'attention.time_mix_receptance'));
        linear(b, r, mixed, W(B(i, 'attention.receptance.weight')), n);
        b.sigmoid(rs, r);
        b.wkv4(wkv, k, v, W(B(i, 'attention.time_decay')), W(B(i, 'attention.time_first')), s.wkv[i]);
        b.mul(wkvr, wkv, rs);
        linear(b, o, wkvr, W(B(i, 'attention.output.weight')), n);
        residual(o);
        // Channel mix.
        b.layernorm(h, x, W(B(i, 'ln2.weight')), W(B(i, 'ln2.bias')), eps);
        shift(s.ffnShift[i]);
        mix(B(i, 'feed_forward.time_mix_key'));
        linear(b, fk, mixed, W(B(i, 'feed_forward.key.weight')), n);
        b.relu(ft1, fk);
        b.mul(fk2, ft1, ft1); // relu(k)²
        mix(B(i, 'feed_forward.time_mix_receptance'));
        linear(b, fr, mixed, W(B(i, 'feed_forward.receptance.weight')), n);
        b.sigmoid(frs, fr);
        linear(b, o, fk2, W(B(i, 'feed_forward.value.weight')), n);
        b.mul(o2, o, frs);
        residual(o2);
        if (hidden) b.copy(hidden, i * n * H, x, 0, n * H);
      }
      const rows = lastOnly ? 1 : n;
      const last = headRows(b, x, n, H, lastOnly, scratch);
      const hn = t([rows, H]);
      b.layernorm(hn, last, W('rwkv.ln_out.weight'), W('rwkv.ln_out.bias'), eps);
      if (hidden) b.copy(hidden, c.numLayers * n * H, hn, 0, n * H);
      linear(b, logits, hn, this.weights.has('head.weight') ? W('head.weight') : W('rwkv.embeddings.weight'), rows);
      s.position += n;
    } finally {
      if (scratch !== s.scratch) scratch.free();
    }
  }
}
