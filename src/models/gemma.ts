/**
 * Gemma 3 text (Gemma3ForCausalLM; GGUF general.architecture gemma3), as transformers'
 * modeling_gemma3 and llama.cpp's build_gemma3 run it:
 *   x = embedding · √hidden
 *   per layer: h = norm(x); a = attention(h); x += norm(a)          (input, post-attention norms)
 *              h = norm(x); m = down(gelu_tanh(gate h) ⊙ up h); x += norm(m)   (pre-, post-feedforward)
 *   logits = head(norm(x)), the head tied to the embedding unless the file has one.
 * Attention: GQA; q and k RMS-normalised per head before RoPE (NEOX pairing, no Q/K permutation in
 * GGUF files); scores scaled by config.gemma.attentionScale; sliding-window (local) layers see the
 * last slidingWindow positions and rotate with the local RoPE base, the others are global and use
 * ropeTheta, with linear RoPE scaling when the config has it (the larger models).
 *
 * Gemma 2 (Gemma2ForCausalLM; GGUF gemma2, llama.cpp's build_gemma2_iswa) is the same block without
 * the per-head q / k norms (config.qkNorm false), one RoPE base on every layer, the even layers
 * sliding, and two soft-caps: attention scores cap · tanh(score / cap) before the softmax
 * (gemma.attnSoftcap, denseAttention's softcap) and the logits cap · tanh(logit / cap)
 * (gemma.finalSoftcap: scale, tanh, scale, as llama.cpp's graph).
 *
 * RMSNorm weights: Hugging Face stores w and applies (1 + w); llama.cpp's converter writes w + 1 into
 * the GGUF. Both load here as the GGUF's plain weight (1 is added to a safetensors file's norms).
 * KV caches: a global layer's holds every position (capacity contextLength). A sliding-window layer's
 * holds only the last rows it needs, `slidingCacheRows` of them (default 2 · window, at most
 * contextLength): positions [localStart, localStart + length), keys stored already rotated with their
 * absolute positions. When an append would overflow it, the rows the next queries still see (at least
 * window − 1, more when there is room: see localSteps) move to the front and localStart advances; a
 * batch longer than the free rows runs its local attention in several steps (the projections and
 * the MLP still run the whole batch at once). Attention is the same denseAttention with the same
 * window, its queries' positions counted from localStart. Gemma 3 1B (window 512, 22 of 26 layers
 * local) keeps 1024 rows in each local layer instead of the context length.
 */
import { SparrowError } from '../errors.ts';
import type { Backend, Tensor } from '../backends/backend.ts';
import { createKvCache, freeKvCache, type KvCache } from '../backends/ops/attention.ts';
import type { Gemma3Params, LlamaConfig } from '../formats/hf-config.ts';
import { ForwardLM, checkKvRoom } from './forward-lm.ts';
import { linear } from './linear.ts';
import { loadLinear } from './linear-weights.ts';
import { LlamaState, type LlamaOptions } from './llama.ts';
import { need, type ModelBackend } from './ops.ts';
import { Scratch } from './scratch.ts';
import { embedTokens, hostEmbeddingOf, type HostEmbedding } from './token-embedding.ts';
import type { CausalLM, ModelState } from './types.ts';
import { WeightMap, expectShape, uploadChecked, type WeightFile } from './weights.ts';

export type GemmaOptions = Pick<LlamaOptions, 'kvDtype' | 'attention' | 'contextLength' | 'sparseLinears'> & {
  /**
   * Rows of a sliding-window layer's KV cache: at least the window (default 2 · window); capped at
   * contextLength, where the cache holds every position as a global layer's does (no row ever moves).
   */
  slidingCacheRows?: number;
};

/**
 * One step of a sliding-window layer's attention in a forward of n rows: drop the oldest `drop`
 * cached rows (the rest move to the front), then append and attend rows [r0, r1) of the batch; the
 * cache's row 0 then holds position `start`.
 */
export interface LocalStep {
  r0: number;
  r1: number;
  drop: number;
  start: number;
}

/**
 * The steps of a forward of n rows for a local cache of `rows` rows holding `length` rows from
 * position `start` (all local layers hold the same positions, so one plan serves them all). A step
 * that has to drop rows keeps the last window − 1 (what the next query sees besides itself) and,
 * room permitting, more: as many as leave room for the rest of the batch or, when that is short (a
 * decode step), for half the rows a shift can free — so decoding moves rows once every
 * ~(rows − window) / 2 tokens, and a state can always rewind a few hundred tokens (Gemma 3 1B: ≥ 256).
 */
export function localSteps(start: number, length: number, n: number, rows: number, window: number): LocalStep[] {
  const out: LocalStep[] = [];
  const half = Math.ceil((rows - window + 1) / 2);
  let len = length;
  for (let r = 0; r < n; ) {
    const rest = n - r;
    let drop = 0;
    if (len + rest > rows) {
      const keep = Math.min(len, Math.max(window - 1, rows - Math.max(rest, half)));
      drop = len - keep;
      len = keep;
      start += drop;
    }
    const m = Math.min(rest, rows - len);
    out.push({ r0: r, r1: r + m, drop, start });
    len += m;
    r += m;
  }
  return out;
}

/** LlamaState with where the sliding-window caches start, and the buffer their rows move through. */
export class GemmaState extends LlamaState {
  /** Absolute position of row 0 of every sliding-window cache. */
  localStart = 0;
  constructor(
    private readonly gb: Backend,
    caches: KvCache[],
    vocab: number,
    /** [rows − 1, kvHeads, dim] in the cache dtype, when the local caches are short enough to shift. */
    readonly shiftTmp: Tensor | null,
  ) {
    super(gb, caches, vocab);
  }
  override bytes(): number {
    return super.bytes() + (this.shiftTmp?.byteSize ?? 0);
  }
  override free(): void {
    super.free();
    if (this.shiftTmp) this.gb.free(this.shiftTmp);
  }
}

const L = (i: number, s: string) => `model.layers.${i}.${s}`;
const EMBED = 'model.embed_tokens.weight';
/** Every RMSNorm weight of a layer, in the order the block applies them. */
const LAYER_NORMS = ['input_layernorm', 'post_attention_layernorm', 'pre_feedforward_layernorm', 'post_feedforward_layernorm'];

export class Gemma3 extends ForwardLM<GemmaState> implements CausalLM {
  protected readonly hiddenStages: number;
  readonly family: 'gemma3' | 'gemma2';
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  private readonly b: ModelBackend;
  private readonly capacity: number;
  /** Rows of a sliding-window layer's cache (= capacity: they never shift). */
  readonly localRows: number;
  private readonly g: Gemma3Params;

  private constructor(
    readonly backend: Backend,
    readonly config: LlamaConfig,
    readonly weights: WeightMap,
    readonly opts: GemmaOptions,
    private readonly hostEmbed: HostEmbedding | undefined,
    /** Linear RoPE scaling of the global layers, as per-pair divisors (all the factor). */
    private readonly globalFreqFactors: number[] | undefined,
  ) {
    super();
    this.g = config.gemma!;
    this.family = config.arch === 'gemma2' ? 'gemma2' : 'gemma3';
    this.hiddenStages = config.numLayers + 2;
    this.b = need(backend, 'denseAttention', 'kvAppend');
    this.vocabSize = config.vocabSize;
    this.hiddenSize = config.hiddenSize;
    this.numLayers = config.numLayers;
    this.capacity = opts.contextLength ?? Math.min(config.maxPositionEmbeddings, 4096);
    const w = this.g.slidingWindow;
    this.localRows = this.g.slidingLayers.some((x) => x) ? Math.min(this.capacity, opts.slidingCacheRows ?? 2 * w) : this.capacity;
  }

  /** Refuse what this model does not implement, before anything is uploaded. */
  static check(c: LlamaConfig, opts: GemmaOptions = {}): Gemma3Params {
    const g = c.gemma;
    if ((c.arch !== 'gemma3' && c.arch !== 'gemma2') || !g) throw new SparrowError('INVALID_ARGUMENT', `gemma3: not a Gemma 3 or Gemma 2 config (arch ${c.arch})`);
    if (c.ropeScaling && (c.ropeScaling.type !== 'linear' || c.arch === 'gemma2')) {
      throw new SparrowError('UNSUPPORTED', `${c.arch}: RoPE scaling '${c.ropeScaling.type}' is not implemented (linear, on Gemma 3's global layers, is)`, { ropeType: c.ropeScaling.type });
    }
    if (c.qkNorm !== (c.arch === 'gemma3')) throw new SparrowError('UNSUPPORTED', `${c.arch}: per-head q / k norms ${c.qkNorm ? 'are' : 'are not'} expected`, { qkNorm: c.qkNorm });
    for (const [k, v] of [['attnSoftcap', g.attnSoftcap], ['finalSoftcap', g.finalSoftcap]] as const) {
      if (!(Number.isFinite(v) && v >= 0)) throw new SparrowError('FORMAT_INVALID', `${c.arch}: ${k} ${v} must be ≥ 0 (0: none)`, { [k]: v });
    }
    if (c.hiddenAct !== 'gelu_pytorch_tanh') throw new SparrowError('UNSUPPORTED', `gemma3: activation '${c.hiddenAct}' is not implemented (gelu_pytorch_tanh is)`);
    if (c.attentionBias || c.qkvBias || c.mlpBias) throw new SparrowError('UNSUPPORTED', 'gemma3: biases are not implemented');
    if (opts.attention === 'sparse') throw new SparrowError('UNSUPPORTED', "gemma3: sparse attention is not implemented (dense, with the model's own sliding window, is)", { attention: 'sparse' });
    if (g.slidingLayers.length !== c.numLayers) throw new SparrowError('FORMAT_INVALID', `gemma3: ${g.slidingLayers.length} layer types for ${c.numLayers} layers`);
    if (g.slidingLayers.some((x) => x) && !(g.slidingWindow >= 1)) throw new SparrowError('FORMAT_INVALID', `gemma3: sliding window ${g.slidingWindow} must be ≥ 1`);
    const rows = opts.slidingCacheRows;
    if (rows !== undefined && !(Number.isInteger(rows) && rows >= Math.max(1, g.slidingWindow))) {
      throw new SparrowError('INVALID_ARGUMENT', `gemma3: slidingCacheRows must be an integer ≥ the sliding window ${g.slidingWindow}, got ${rows}`, { slidingCacheRows: rows });
    }
    return g;
  }

  static async load(backend: Backend, config: LlamaConfig, file: WeightFile, opts: GemmaOptions = {}): Promise<Gemma3> {
    const c = config;
    Gemma3.check(c, opts);
    const w = new WeightMap(backend);
    const H = c.hiddenSize;
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    // Safetensors files store the norms as HF does (applied as 1 + w); GGUF files hold 1 + w already
    const shift = file.kind === 'gguf' ? 0 : 1;
    const norm = async (name: string, n: number) => {
      expectShape(file, name, [n]);
      const v = await file.f32(name);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = v[i] + shift;
      w.set(name, backend.tensor([n], 'f32', out));
    };
    const lin = async (name: string, shape: [number, number]) => w.set(name, await loadLinear(file, name, shape, backend, { sparse: opts.sparseLinears }));
    let hostEmbed: HostEmbedding | undefined;
    try {
      w.set(EMBED, await uploadChecked(file, EMBED, [c.vocabSize, H], backend));
      for (let i = 0; i < c.numLayers; i++) {
        for (const n of LAYER_NORMS) await norm(L(i, `${n}.weight`), H);
        if (c.qkNorm) {
          await norm(L(i, 'self_attn.q_norm.weight'), c.headDim);
          await norm(L(i, 'self_attn.k_norm.weight'), c.headDim);
        }
        await lin(L(i, 'self_attn.q_proj.weight'), [qDim, H]);
        await lin(L(i, 'self_attn.k_proj.weight'), [kvDim, H]);
        await lin(L(i, 'self_attn.v_proj.weight'), [kvDim, H]);
        await lin(L(i, 'self_attn.o_proj.weight'), [H, qDim]);
        await lin(L(i, 'mlp.gate_proj.weight'), [c.intermediateSize, H]);
        await lin(L(i, 'mlp.up_proj.weight'), [c.intermediateSize, H]);
        await lin(L(i, 'mlp.down_proj.weight'), [H, c.intermediateSize]);
      }
      await norm('model.norm.weight', H);
      if (file.has('lm_head.weight')) w.set('lm_head.weight', await uploadChecked(file, 'lm_head.weight', [c.vocabSize, H], backend));
      else if (!c.tieWordEmbeddings) throw new SparrowError('TENSOR_MISSING', `${file.name}: lm_head.weight is missing and tie_word_embeddings is false`, { tensor: 'lm_head.weight' });
      hostEmbed = await hostEmbeddingOf(file, EMBED, w.get(EMBED).dtype, H, c.arch);
    } catch (e) {
      w.dispose();
      throw e;
    }
    // linear RoPE scaling (HF inv_freq / factor; llama.cpp freq_scale = 1 / factor on the global layers)
    const factors = c.ropeScaling?.type === 'linear' ? new Array<number>(c.headDim / 2).fill(c.ropeScaling.factor) : undefined;
    return new Gemma3(backend, c, w, { ...opts, kvDtype: opts.kvDtype ?? 'f32' }, hostEmbed, factors);
  }

  /** Most tokens one state holds: the KV cache capacity (contextLength). */
  get contextLength(): number {
    return this.capacity;
  }

  /**
   * Keep the state's first `position` tokens. The global caches hold every position; a sliding-window
   * cache must still hold the window − 1 positions before `position` (the next token's keys): when it
   * has dropped some of them the state goes back to 0 (no token kept), and the caller runs the
   * prefix again.
   */
  rewind(state: ModelState, position: number): number {
    const s = state as GemmaState;
    let keep = Math.max(0, Math.min(Math.floor(position), s.position));
    if (s.localStart > 0 && keep - (this.g.slidingWindow - 1) < s.localStart) keep = 0;
    if (keep === 0) s.localStart = 0;
    s.caches.forEach((c, i) => (c.length = this.g.slidingLayers[i] ? keep - s.localStart : keep));
    s.position = keep;
    return keep;
  }

  private get head(): Tensor {
    return this.weights.has('lm_head.weight') ? this.weights.get('lm_head.weight') : this.weights.get(EMBED);
  }

  newState(): GemmaState {
    const c = this.config;
    const kv = { kvHeads: c.numKvHeads, dim: c.headDim, dtype: this.opts.kvDtype };
    const caches: KvCache[] = [];
    let tmp: Tensor | null = null;
    try {
      for (let i = 0; i < c.numLayers; i++) caches.push(createKvCache(this.backend, { ...kv, capacity: this.g.slidingLayers[i] ? this.localRows : this.capacity }));
      if (this.localRows < this.capacity) tmp = this.backend.tensor([Math.max(1, this.localRows - 1), c.numKvHeads, c.headDim], this.opts.kvDtype);
      return new GemmaState(this.backend, caches, c.vocabSize, tmp);
    } catch (e) {
      for (const k of caches) freeKvCache(this.backend, k);
      if (tmp) this.backend.free(tmp);
      throw e;
    }
  }

  /** Drop the oldest `drop` rows of a sliding-window cache: the rest move to the front (through tmp). */
  private shift(cache: KvCache, tmp: Tensor, drop: number): void {
    const row = cache.kvHeads * cache.dim;
    const keep = cache.length - drop;
    for (const t of [cache.k, cache.v]) {
      this.b.copy(tmp, 0, t, drop * row, keep * row);
      this.b.copy(t, 0, tmp, 0, keep * row);
    }
    cache.length = keep;
  }

  /** Run n tokens at positions state.position … + n − 1; write logits of all rows or only the last. */
  protected forward(tokens: readonly number[], s: GemmaState, logits: Tensor, lastOnly: boolean, hidden?: Tensor): void {
    const b = this.b;
    const c = this.config;
    const g = this.g;
    const n = tokens.length;
    if (n === 0) throw new SparrowError('INVALID_ARGUMENT', 'gemma3: no tokens to run');
    checkKvRoom('gemma3', s.position, n, this.capacity);
    const localLen = s.position - s.localStart;
    s.caches.forEach((k, i) => {
      const want = g.slidingLayers[i] ? localLen : s.position;
      if (k.length !== want) throw new SparrowError('INVALID_ARGUMENT', `gemma3: layer ${i}'s KV cache holds ${k.length} rows where the state's position says ${want} (not a state of this model?)`, { layer: i, length: k.length, expected: want });
    });
    const H = c.hiddenSize;
    const D = c.headDim;
    const eps = c.rmsNormEps;
    const pos = s.position;
    const scratch = n === 1 ? s.scratch : new Scratch(b);
    scratch.reset();
    const t = (shape: number[]) => scratch.get(shape);
    try {
      // the residual stream ping-pongs between two buffers (no op writes a tensor it reads)
      let x = t([n, H]);
      let x2 = t([n, H]);
      embedTokens(b, x, tokens, this.weights.get(EMBED), this.hostEmbed, this.vocabSize, scratch);
      b.scale(x, x, Math.fround(Math.sqrt(H)));
      if (hidden) b.copy(hidden, 0, x, 0, n * H);
      const h = t([n, H]);
      const o = t([n, H]);
      const on = t([n, H]);
      const [q, k, v, a] = [t([n, c.numHeads * D]), t([n, c.numKvHeads * D]), t([n, c.numKvHeads * D]), t([n, c.numHeads * D])];
      const [qr, kr] = [t([n, c.numHeads * D]), t([n, c.numKvHeads * D])];
      const [gate, up, gu] = [t([n, c.intermediateSize]), t([n, c.intermediateSize]), t([n, c.intermediateSize])];
      // per-head norms: rows [n·heads, D] in, normed rows out, back to [n, heads·D]
      const heads = (hs: number) => [t([n * hs, D]), t([n * hs, D]), t([n, hs * D])];
      const [qHeads, kHeads] = c.qkNorm ? [heads(c.numHeads), heads(c.numKvHeads)] : [[], []];
      const headNorm = (src: Tensor, w: Tensor, [rows, normed, out]: Tensor[]): Tensor => {
        b.copy(rows, 0, src, 0, src.size);
        b.rmsnorm(normed, rows, w, eps);
        b.copy(out, 0, normed, 0, src.size);
        return out;
      };
      /** x += norm(sub-block output); h = the next norm of the new stream (one op). */
      const residualNorm = (out: Tensor, postNorm: Tensor, nextNorm: Tensor) => {
        b.rmsnorm(on, out, postNorm, eps);
        b.addRmsnorm(x2, h, x, on, nextNorm, eps);
        [x, x2] = [x2, x];
      };
      const W = (i: number, name: string) => this.weights.get(L(i, name));
      // the sliding-window layers' steps (one, the whole batch, unless their caches fill up)
      const steps = localSteps(s.localStart, localLen, n, this.localRows, g.slidingWindow);
      const qW = c.numHeads * D;
      const kW = c.numKvHeads * D;
      const parts = new Map<number, Tensor[]>();
      for (const st of steps) {
        const m = st.r1 - st.r0;
        if (m < n && !parts.has(m)) parts.set(m, [t([m, qW]), t([m, kW]), t([m, kW]), t([m, qW])]);
      }
      const attendLocal = (cache: KvCache) => {
        for (const st of steps) {
          if (st.drop > 0) this.shift(cache, s.shiftTmp!, st.drop);
          const opts = { causal: true, pos: pos + st.r0 - st.start, headDim: D, scale: g.attentionScale, window: g.slidingWindow, softcap: g.attnSoftcap };
          const m = st.r1 - st.r0;
          if (m === n) {
            b.kvAppend(cache, kr, v);
            b.denseAttention(a, qr, cache.k, cache.v, { ...opts, kvLen: cache.length });
            continue;
          }
          const [qs, ks, vs, as] = parts.get(m)!;
          b.copy(qs, 0, qr, st.r0 * qW, m * qW);
          b.copy(ks, 0, kr, st.r0 * kW, m * kW);
          b.copy(vs, 0, v, st.r0 * kW, m * kW);
          b.kvAppend(cache, ks, vs);
          b.denseAttention(as, qs, cache.k, cache.v, { ...opts, kvLen: cache.length });
          b.copy(a, st.r0 * qW, as, 0, m * qW);
        }
      };
      b.rmsnorm(h, x, W(0, 'input_layernorm.weight'), eps);
      for (let i = 0; i < c.numLayers; i++) {
        const local = g.slidingLayers[i];
        const rope = local
          ? { pos, headDim: D, theta: g.ropeLocalTheta, style: 'half' as const }
          : { pos, headDim: D, theta: c.ropeTheta, style: 'half' as const, freqFactors: this.globalFreqFactors };
        linear(b, q, h, W(i, 'self_attn.q_proj.weight'), n);
        linear(b, k, h, W(i, 'self_attn.k_proj.weight'), n);
        linear(b, v, h, W(i, 'self_attn.v_proj.weight'), n);
        b.rope(qr, c.qkNorm ? headNorm(q, W(i, 'self_attn.q_norm.weight'), qHeads) : q, rope);
        b.rope(kr, c.qkNorm ? headNorm(k, W(i, 'self_attn.k_norm.weight'), kHeads) : k, rope);
        const cache = s.caches[i];
        if (local) attendLocal(cache);
        else {
          b.kvAppend(cache, kr, v);
          b.denseAttention(a, qr, cache.k, cache.v, { causal: true, pos, kvLen: cache.length, headDim: D, scale: g.attentionScale, softcap: g.attnSoftcap });
        }
        linear(b, o, a, W(i, 'self_attn.o_proj.weight'), n);
        residualNorm(o, W(i, 'post_attention_layernorm.weight'), W(i, 'pre_feedforward_layernorm.weight'));
        linear(b, gate, h, W(i, 'mlp.gate_proj.weight'), n);
        linear(b, up, h, W(i, 'mlp.up_proj.weight'), n);
        b.geluTanhMul(gu, gate, up);
        linear(b, o, gu, W(i, 'mlp.down_proj.weight'), n);
        // the next layer's input norm, or the final norm after the last layer
        residualNorm(o, W(i, 'post_feedforward_layernorm.weight'), i + 1 < c.numLayers ? W(i + 1, 'input_layernorm.weight') : this.weights.get('model.norm.weight'));
        if (hidden) b.copy(hidden, (i + 1) * n * H, x, 0, n * H);
      }
      // h holds the final norm of every row
      if (hidden) b.copy(hidden, (c.numLayers + 1) * n * H, h, 0, n * H);
      let last = h;
      if (lastOnly && n > 1) {
        last = t([1, H]);
        b.copy(last, 0, h, (n - 1) * H, H);
      }
      linear(b, logits, last, this.head, lastOnly ? 1 : n);
      if (g.finalSoftcap > 0) {
        // Gemma 2's final soft-capping, as llama.cpp's graph: scale by 1/cap, tanh, scale by cap
        b.scale(logits, logits, Math.fround(1 / g.finalSoftcap));
        b.tanh(logits, logits);
        b.scale(logits, logits, g.finalSoftcap);
      }
      s.position += n;
      s.localStart = steps[steps.length - 1].start;
    } finally {
      if (scratch !== s.scratch) scratch.free();
    }
  }
}
