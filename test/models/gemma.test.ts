/**
 * Gemma 3 (src/models/gemma.ts) beyond the llama.cpp oracle (test/browser/llamacpp-parity.test.ts):
 * - the tiny GGUF (test/helpers/tiny-llamas.ts: six layers, 0–4 sliding over 8 positions, 5 global)
 *   gives the same logits on wasm as on the reference backend; cached decoding and a rewound state
 *   give the rows of one prefill, past the window;
 * - a Hugging Face folder (config.json gemma3_text + model.safetensors under HF names, norms stored
 *   as HF stores them: w, applied as 1 + w, where the GGUF holds w + 1) holding the same weights
 *   gives the GGUF's logits, for both ways a config names the sliding layers and both RoPE layouts;
 * - an independent float64 forward written from transformers' modeling_gemma3 (below) gives the
 *   reference backend's logits on a folder where query_pre_attn_scalar ≠ head_dim (which no GGUF
 *   can say) and the global layers scale RoPE linearly;
 * - configs and files with what the model does not implement are UNSUPPORTED.
 * Gemma 2 (the same model, arch gemma2: no q/k norms, one RoPE base, the even layers sliding, both
 * soft-caps) the same way: wasm = reference and cached decode on its tiny GGUF, an HF folder
 * (model_type gemma2) against the GGUF, the float64 forward (modeling_gemma2's soft-caps) against
 * the reference backend, its configs.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { openModel, type FileData } from '../../src/engine/open-model.ts';
import { ggufLlamaConfig } from '../../src/formats/gguf-config.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { kv, writeGguf } from '../../src/formats/gguf-writer.ts';
import { parseHfConfig, type LlamaConfig } from '../../src/formats/hf-config.ts';
import { writeSafetensors } from '../../src/formats/safetensors.ts';
import { llamaGgufPlan, type LlamaShape } from '../../src/formats/synthetic-models.ts';
import { llamaHfName } from '../../src/models/gguf-weights.ts';
import type { CausalLM } from '../../src/models/types.ts';
import { allLogits, maxAbs } from '../helpers/model-runs.ts';
import { TINY_VOCAB, tinyGguf, tinyShape } from '../helpers/tiny-llamas.ts';

const SHAPE = tinyShape('gemma3', 'smollm');
const LINEAR = tinyShape('gemma3', 'smollm', { slidingWindowPattern: 3, ropeLinearFactor: 8 });
const GEMMA2 = tinyShape('gemma2', 'smollm');
const TOKENS = [5, 77, 300, 12, 599, 42, 42, 180, 256, 7, 3, 511, 90, 91, 92, 17, 250, 400, 8, 64];

function scaleOf(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** The GGUF plan's tensors under HF names and shapes; norms back to HF's w (the GGUF holds w + 1). */
function hfTensors(s: LlamaShape): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of llamaGgufPlan(s, 'F32', TINY_VOCAB).tensors) {
    const name = llamaHfName(t.name, s.arch ?? 'gemma3');
    if (!name) throw new Error(`no HF name for ${t.name}`);
    const bytes = t.make();
    const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice();
    if (name.endsWith('norm.weight')) for (let i = 0; i < data.length; i++) data[i] -= 1; // exact: w + 1 ∈ [0.5, 2]
    out.set(name, { shape: [...t.ne].reverse(), data });
  }
  return out;
}

/** config.json of a Gemma 2 shape, as transformers writes a Gemma2Config (layer_types: transformers ≥ 4.53; rope5: transformers 5). */
function hfConfig2(s: LlamaShape, opts: { layerTypes?: boolean; rope5?: boolean; qpas?: number } = {}): Record<string, unknown> {
  const c: Record<string, unknown> = {
    model_type: 'gemma2', architectures: ['Gemma2ForCausalLM'], vocab_size: s.vocabSize, hidden_size: s.hidden, intermediate_size: s.ffn,
    num_hidden_layers: s.layers, num_attention_heads: s.heads, num_key_value_heads: s.kvHeads, head_dim: s.headDim, rms_norm_eps: s.rmsEps,
    max_position_embeddings: s.contextLength, sliding_window: s.slidingWindow, query_pre_attn_scalar: opts.qpas ?? s.headDim,
    hidden_activation: 'gelu_pytorch_tanh', final_logit_softcapping: s.finalSoftcap, attn_logit_softcapping: s.attnSoftcap, tie_word_embeddings: true,
    bos_token_id: 2, eos_token_id: [1, 107], attention_bias: false, cache_implementation: 'hybrid',
  };
  if (opts.rope5) c.rope_parameters = { rope_type: 'default', rope_theta: s.ropeTheta };
  else c.rope_theta = s.ropeTheta;
  if (opts.layerTypes) c.layer_types = Array.from({ length: s.layers }, (_, i) => ((i + 1) % 2 ? 'sliding_attention' : 'full_attention'));
  return c;
}

/** config.json of the shape, as transformers writes a Gemma3TextConfig (older layout unless `layout`). */
function hfConfig(s: LlamaShape, opts: { layerTypes?: boolean; rope5?: boolean; qpas?: number } = {}): Record<string, unknown> {
  const period = s.slidingWindowPattern ?? 6;
  const c: Record<string, unknown> = {
    model_type: 'gemma3_text', architectures: ['Gemma3ForCausalLM'], vocab_size: s.vocabSize, hidden_size: s.hidden, intermediate_size: s.ffn,
    num_hidden_layers: s.layers, num_attention_heads: s.heads, num_key_value_heads: s.kvHeads, head_dim: s.headDim, rms_norm_eps: s.rmsEps,
    max_position_embeddings: s.contextLength, sliding_window: s.slidingWindow, query_pre_attn_scalar: opts.qpas ?? s.headDim,
    hidden_activation: 'gelu_pytorch_tanh', final_logit_softcapping: null, attn_logit_softcapping: null, tie_word_embeddings: true,
    bos_token_id: 2, eos_token_id: [1, 106],
  };
  const scaling = s.ropeLinearFactor ? { rope_type: 'linear', factor: s.ropeLinearFactor } : null;
  if (opts.rope5) {
    c.rope_parameters = { full_attention: { rope_type: scaling ? 'linear' : 'default', rope_theta: s.ropeTheta, ...(scaling ? { factor: scaling.factor } : {}) }, sliding_attention: { rope_type: 'default', rope_theta: 10000 } };
  } else Object.assign(c, { rope_theta: s.ropeTheta, rope_local_base_freq: 10000, rope_scaling: scaling });
  if (opts.layerTypes) c.layer_types = Array.from({ length: s.layers }, (_, i) => ((i + 1) % period ? 'sliding_attention' : 'full_attention'));
  else c.sliding_window_pattern = period;
  return c;
}

function hfFolder(s: LlamaShape, config: Record<string, unknown>): Map<string, FileData> {
  const tensors = [...hfTensors(s)].map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: t.data }));
  return new Map<string, FileData>([
    ['config.json', new TextEncoder().encode(JSON.stringify(config))],
    ['model.safetensors', writeSafetensors(tensors)],
  ]);
}

/**
 * Gemma3ForCausalLM's forward in float64, line by line from transformers' modeling_gemma3 (eager
 * attention), on HF tensors: embedding · √hidden; per layer input norm, q/k/v, per-head q_norm /
 * k_norm, rotate_half RoPE (local base on sliding layers, global base and linear scaling on the
 * others), causal softmax(q·k · query_pre_attn_scalar^−½) with keys q − k < sliding_window on
 * sliding layers, o_proj, post-attention norm, residual; pre-feedforward norm, down(gelu_tanh(gate) ·
 * up), post-feedforward norm, residual; final norm; tied head. Every RMSNorm is x / √(mean x² + ε) ·
 * (1 + w). Returns the logits of every position. A Gemma 2 config (model_type gemma2, modeling_gemma2)
 * has no q/k norms, rope_theta on every layer, the even layers sliding (or layer_types), scores
 * cap · tanh(score / cap) before the mask and logits cap · tanh(logit / cap) (null caps: none).
 */
function gemma3Float64(c: Record<string, unknown>, w: Map<string, { data: Float32Array }>, tokens: number[]): Float64Array {
  const [H, nh, nkv, D, I, L] = ['hidden_size', 'num_attention_heads', 'num_key_value_heads', 'head_dim', 'intermediate_size', 'num_hidden_layers'].map((k) => c[k] as number);
  const eps = c.rms_norm_eps as number;
  const V = c.vocab_size as number;
  const W = (n: string) => w.get(n)!.data;
  const types = c.layer_types as string[] | undefined;
  const g2 = c.model_type === 'gemma2';
  const sliding = (l: number) => (types ? types[l] === 'sliding_attention' : g2 ? l % 2 === 0 : (l + 1) % (c.sliding_window_pattern as number) !== 0);
  const [attnCap, finalCap] = [c.attn_logit_softcapping as number | null, c.final_logit_softcapping as number | null];
  const softcap = (x: number, cap: number | null) => (cap ? cap * Math.tanh(x / cap) : x);
  const scaling = c.rope_scaling as { factor: number } | null;
  const rms = (x: ArrayLike<number>, wt: Float32Array) => {
    let ss = 0;
    for (let i = 0; i < x.length; i++) ss += x[i] * x[i];
    const r = 1 / Math.sqrt(ss / x.length + eps);
    return Float64Array.from(x, (v, i) => v * r * (1 + wt[i]));
  };
  const mv = (m: Float32Array, x: ArrayLike<number>, rows: number) => {
    const cols = x.length;
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let a = 0;
      for (let j = 0; j < cols; j++) a += m[r * cols + j] * x[j];
      out[r] = a;
    }
    return out;
  };
  const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  const T = tokens.length;
  const E = W('model.embed_tokens.weight');
  let x: Float64Array[] = tokens.map((t) => Float64Array.from(E.subarray(t * H, (t + 1) * H), (v) => v * Math.fround(Math.sqrt(H))));
  for (let l = 0; l < L; l++) {
    const p = (n: string) => W(`model.layers.${l}.${n}`);
    const local = sliding(l);
    const base = local && !g2 ? (c.rope_local_base_freq as number) : (c.rope_theta as number);
    const factor = !local && scaling ? scaling.factor : 1;
    const rope = (v: Float64Array, pos: number) => {
      for (let i = 0; i < D / 2; i++) {
        const ang = (pos * (1 / base ** ((2 * i) / D))) / factor;
        const [a, b] = [v[i], v[i + D / 2]];
        v[i] = a * Math.cos(ang) - b * Math.sin(ang);
        v[i + D / 2] = b * Math.cos(ang) + a * Math.sin(ang);
      }
      return v;
    };
    const heads = (v: Float64Array, n: number, normW: Float32Array | undefined, pos: number) =>
      Array.from({ length: n }, (_, hh) => rope(normW ? rms(v.subarray(hh * D, (hh + 1) * D), normW) : v.slice(hh * D, (hh + 1) * D), pos));
    const q: Float64Array[][] = [];
    const k: Float64Array[][] = [];
    const vv: Float64Array[][] = [];
    for (let t = 0; t < T; t++) {
      const h = rms(x[t], p('input_layernorm.weight'));
      q.push(heads(mv(p('self_attn.q_proj.weight'), h, nh * D), nh, g2 ? undefined : p('self_attn.q_norm.weight'), t));
      k.push(heads(mv(p('self_attn.k_proj.weight'), h, nkv * D), nkv, g2 ? undefined : p('self_attn.k_norm.weight'), t));
      const v = mv(p('self_attn.v_proj.weight'), h, nkv * D);
      vv.push(Array.from({ length: nkv }, (_, hh) => v.subarray(hh * D, (hh + 1) * D)));
    }
    const next: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const a = new Float64Array(nh * D);
      for (let hh = 0; hh < nh; hh++) {
        const g = Math.floor(hh / (nh / nkv));
        const keys = [...Array(t + 1).keys()].filter((j) => !local || t - j < (c.sliding_window as number));
        const sc = keys.map((j) => softcap(q[t][hh].reduce((s, qv, d) => s + qv * k[j][g][d], 0) * (c.query_pre_attn_scalar as number) ** -0.5, attnCap));
        const mx = Math.max(...sc);
        const e = sc.map((s) => Math.exp(s - mx));
        const z = e.reduce((s, v) => s + v, 0);
        keys.forEach((j, n) => {
          for (let d = 0; d < D; d++) a[hh * D + d] += (e[n] / z) * vv[j][g][d];
        });
      }
      const o = rms(mv(p('self_attn.o_proj.weight'), a, H), p('post_attention_layernorm.weight'));
      const x1 = x[t].map((v, i) => v + o[i]);
      const h = rms(x1, p('pre_feedforward_layernorm.weight'));
      const gate = mv(p('mlp.gate_proj.weight'), h, I);
      const up = mv(p('mlp.up_proj.weight'), h, I);
      const m = rms(mv(p('mlp.down_proj.weight'), gate.map((gv, i) => geluTanh(gv) * up[i]), H), p('post_feedforward_layernorm.weight'));
      next.push(x1.map((v, i) => v + m[i]));
    }
    x = next;
  }
  const out = new Float64Array(T * V);
  x.forEach((xt, t) => out.set(mv(E, rms(xt, W('model.norm.weight')), V).map((v) => softcap(v, finalCap)), t * V));
  return out;
}


/**
 * The wasm model's logits of TOKENS equal the reference model's; its decode steps equal the prefill's
 * rows; a rewind to 14 tokens (the chat engine reuses a prefix this way; the local caches, 16 rows,
 * still hold positions 7…13) followed by other tokens as one block equals a fresh run. Disposes both
 * models; returns the logits' scale.
 */
async function expectWasmLikeReference(ref: ReferenceBackend, wasm: WasmBackend, mr: CausalLM, mw: CausalLM): Promise<number> {
  const [lr, lw] = [await allLogits(ref, mr, TOKENS), await allLogits(wasm, mw, TOKENS)];
  const scale = scaleOf(lr);
  expect(scale).toBeGreaterThan(1);
  expect(maxAbs(lr, lw)).toBeLessThan(1e-5 * scale);
  const V = mw.vocabSize;
  const s = mw.newState();
  let worst = 0;
  const row = async (t: ReturnType<CausalLM['step']>) => (await wasm.read(t)) as Float32Array;
  const first = mw.prefill(TOKENS.slice(0, 3), s);
  worst = Math.max(worst, maxAbs(await row(first), lw.subarray(2 * V, 3 * V)));
  wasm.free(first);
  for (let i = 3; i < TOKENS.length; i++) worst = Math.max(worst, maxAbs(await row(mw.step(TOKENS[i], s)), lw.subarray(i * V, (i + 1) * V)));
  expect(worst).toBeLessThan(1e-5 * scale);
  expect(mw.rewind!(s, 14)).toBe(14);
  const other = [9, 8, 7, 6, 5, 4, 3, 2, 1, 400];
  const rest = mw.prefill(other, s, { allLogits: true });
  const fresh = await allLogits(wasm, mw, [...TOKENS.slice(0, 14), ...other]);
  expect(maxAbs(await row(rest), fresh.subarray(14 * V))).toBeLessThan(1e-5 * scale);
  wasm.free(rest);
  s.free();
  mr.dispose();
  mw.dispose();
  return scale;
}

describe('Gemma 3 GGUF', () => {
  it('wasm = reference; cached decode and a rewound state = the prefill rows (past the 8-position window)', async () => {
    const bytes = tinyGguf(SHAPE);
    const ref = new ReferenceBackend();
    const wasm = await WasmBackend.create();
    const { model: mr, config } = await openModel(ref, new Map([['m.gguf', bytes]]));
    const { model: mw } = await openModel(wasm, new Map([['m.gguf', bytes]]));
    const g = (config as LlamaConfig).gemma!;
    expect([mr.family, (config as LlamaConfig).arch, g.slidingWindow, g.slidingLayers, g.ropeLocalTheta]).toEqual(['gemma3', 'gemma3', 8, [true, true, true, true, true, false], 10000]);
    await expectWasmLikeReference(ref, wasm, mr, mw);
  });
});

describe('Gemma 3 from a Hugging Face folder', () => {
  const cases: [string, LlamaShape, Parameters<typeof hfConfig>[1]][] = [
    ['sliding_window_pattern 6', SHAPE, {}],
    ['layer_types', SHAPE, { layerTypes: true }],
    ['period 3, linear RoPE scaling (rope_scaling)', LINEAR, {}],
    ['period 3, linear RoPE scaling (transformers 5 rope_parameters, layer_types)', LINEAR, { rope5: true, layerTypes: true }],
  ];
  for (const [label, s, opts] of cases) {
    it(`${label}: the same weights give the GGUF's logits`, async () => {
      const wasm = await WasmBackend.create();
      const { model: mg, config: cg } = await openModel(wasm, new Map([['m.gguf', tinyGguf(s)]]));
      const { model: mh, config: ch } = await openModel(wasm, hfFolder(s, hfConfig(s, opts)));
      const [g, h] = [cg as LlamaConfig, ch as LlamaConfig];
      expect(h.gemma!.slidingLayers).toEqual(g.gemma!.slidingLayers);
      expect([h.ropeScaling?.type ?? null, h.ropeScaling?.factor ?? null]).toEqual([g.ropeScaling?.type ?? null, g.ropeScaling?.factor ?? null]);
      expect(h.gemma!.attentionScale).toBeCloseTo(g.gemma!.attentionScale, 15);
      const lg = await allLogits(wasm, mg, TOKENS);
      expect(maxAbs(lg, await allLogits(wasm, mh, TOKENS))).toBeLessThan(1e-5 * scaleOf(lg));
      mg.dispose();
      mh.dispose();
    });
  }

  it('an independent float64 forward (modeling_gemma3) gives the reference backend’s logits, with query_pre_attn_scalar ≠ head_dim', async () => {
    const config = hfConfig(LINEAR, { qpas: 20 });
    const ref = new ReferenceBackend();
    const { model } = await openModel(ref, hfFolder(LINEAR, config));
    const tokens = TOKENS.slice(0, 14);
    const got = await allLogits(ref, model, tokens);
    const want = gemma3Float64(config, hfTensors(LINEAR), tokens);
    const scale = scaleOf(want);
    expect(scale).toBeGreaterThan(1);
    expect(maxAbs(got, want)).toBeLessThan(2e-5 * scale);
    // and the scalar matters: head_dim's scale gives other logits
    const { model: m2 } = await openModel(ref, hfFolder(LINEAR, hfConfig(LINEAR)));
    expect(maxAbs(await allLogits(ref, m2, tokens), want)).toBeGreaterThan(1e-2 * scale);
    model.dispose();
    m2.dispose();
  });
});

describe('Gemma 3 configs', () => {
  /** A GGUF holding only metadata (the config reader needs no tensors). */
  const meta = (entries: [string, ReturnType<typeof kv.u32>][]) => {
    const plan = llamaGgufPlan(SHAPE, 'F32', TINY_VOCAB);
    const keys = new Map(plan.metadata);
    for (const [k, v] of entries) keys.set(k, v);
    return ggufLlamaConfig(GgufFile.openSync(writeGguf([...keys], [])));
  };

  it('GGUF: llama.cpp’s sliding-window pattern (period, 0, a per-layer array, no window), rope.freq_base_swa, the 27B scale', () => {
    expect(meta([]).config.gemma!.slidingLayers).toEqual([true, true, true, true, true, false]);
    expect(meta([['gemma3.attention.sliding_window_pattern', kv.u32(2)]]).config.gemma!.slidingLayers).toEqual([true, false, true, false, true, false]);
    expect(meta([['gemma3.attention.sliding_window_pattern', kv.u32(0)]]).config.gemma!.slidingLayers).toEqual(new Array(6).fill(true));
    const arr = [false, true, true, false, true, true];
    expect(meta([['gemma3.attention.sliding_window_pattern', kv.arr(7 /* BOOL */, arr)]]).config.gemma!.slidingLayers).toEqual(arr);
    expect(meta([['gemma3.attention.sliding_window', kv.u32(0)]]).config.gemma!.slidingLayers).toEqual(new Array(6).fill(false));
    expect(meta([['gemma3.rope.freq_base_swa', kv.f32(20000)]]).config.gemma!.ropeLocalTheta).toBe(20000);
    const c = meta([]).config;
    expect([c.headDim, c.gemma!.attentionScale, c.qkNorm, c.hiddenAct]).toEqual([32, 1 / Math.sqrt(32), true, 'gelu_pytorch_tanh']);
    // Gemma 3 27B: 62 layers, 5376 / 32 heads = 168 = its query_pre_attn_scalar (head_dim is 128)
    expect(meta([['gemma3.block_count', kv.u32(62)]]).config.gemma!.attentionScale).toBe(1 / Math.sqrt(64 / 4));
  });

  it('HF: sliding_window_pattern and layer_types name the same layers; Gemma 3 1B’s config', () => {
    const oneB = {
      architectures: ['Gemma3ForCausalLM'], model_type: 'gemma3_text', attention_bias: false, attention_dropout: 0.0, attn_logit_softcapping: null, bos_token_id: 2,
      cache_implementation: 'hybrid', eos_token_id: [1, 106], final_logit_softcapping: null, head_dim: 256, hidden_activation: 'gelu_pytorch_tanh', hidden_size: 1152,
      initializer_range: 0.02, intermediate_size: 6912, max_position_embeddings: 32768, num_attention_heads: 4, num_hidden_layers: 26, num_key_value_heads: 1,
      pad_token_id: 0, query_pre_attn_scalar: 256, rms_norm_eps: 1e-6, rope_local_base_freq: 10000, rope_scaling: null, rope_theta: 1000000, sliding_window: 512,
      sliding_window_pattern: 6, torch_dtype: 'bfloat16', use_cache: true, vocab_size: 262144,
    };
    const c = parseHfConfig(oneB) as LlamaConfig;
    expect([c.arch, c.headDim, c.numKvHeads, c.ropeTheta, c.gemma!.ropeLocalTheta, c.gemma!.slidingWindow, c.gemma!.attentionScale, c.tieWordEmbeddings]).toEqual(['gemma3', 256, 1, 1e6, 10000, 512, 1 / 16, true]);
    expect(c.gemma!.slidingLayers.map((x, i) => (x ? '' : i)).filter((x) => x !== '')).toEqual([5, 11, 17, 23]);
    const types = c.gemma!.slidingLayers.map((x) => (x ? 'sliding_attention' : 'full_attention'));
    expect((parseHfConfig({ ...oneB, sliding_window_pattern: undefined, layer_types: types }) as LlamaConfig).gemma!.slidingLayers).toEqual(c.gemma!.slidingLayers);
  });

  it('what the model does not implement is UNSUPPORTED, with a clear message', async () => {
    const base = hfConfig(SHAPE);
    const refused: [Record<string, unknown>, string][] = [
      [{ ...base, final_logit_softcapping: 30 }, 'final_logit_softcapping'],
      [{ ...base, attn_logit_softcapping: 50 }, 'attn_logit_softcapping'],
      [{ ...base, hidden_activation: 'gelu' }, "hidden_activation 'gelu'"],
      [{ ...base, rope_scaling: { rope_type: 'yarn', factor: 4 } }, "RoPE scaling 'yarn'"],
      [{ ...base, rope_scaling: { rope_type: 'dynamic', factor: 4 } }, "RoPE scaling 'dynamic'"],
      [{ ...base, use_bidirectional_attention: true }, 'bidirectional'],
      [{ ...base, attention_bias: true }, 'biases'],
      [{ ...base, model_type: 'gemma3', architectures: ['Gemma3ForConditionalGeneration'] }, 'multimodal'],
    ];
    for (const [cfg, text] of refused) expect(() => parseHfConfig(cfg), text).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringContaining(text) }));
    // GGUF: soft-capping, and RoPE scaling other than linear
    const gguf = (extra: [string, ReturnType<typeof kv.str>][]) => {
      const plan = llamaGgufPlan(SHAPE, 'F32', TINY_VOCAB);
      return writeGguf([...plan.metadata, ...extra], plan.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, data: t.make() })));
    };
    const ref = new ReferenceBackend();
    await expect(openModel(ref, new Map([['m.gguf', gguf([['gemma3.final_logit_softcapping', kv.f32(30)]])]]))).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('soft-capping') });
    await expect(openModel(ref, new Map([['m.gguf', gguf([['gemma3.rope.scaling.type', kv.str('yarn')], ['gemma3.rope.scaling.factor', kv.f32(4)]])]]))).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining("'yarn'") });
    await expect(openModel(ref, new Map([['m.gguf', tinyGguf(SHAPE)]]), { attention: 'sparse' })).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('sparse attention') });
  });
});

describe('Gemma 2 GGUF', () => {
  it('config as llama.cpp reads it; wasm = reference; cached decode and a rewound state = the prefill rows (past the 8-position window)', async () => {
    const bytes = tinyGguf(GEMMA2);
    const ref = new ReferenceBackend();
    const wasm = await WasmBackend.create();
    const { model: mr, config } = await openModel(ref, new Map([['m.gguf', bytes]]));
    const { model: mw } = await openModel(wasm, new Map([['m.gguf', bytes]]));
    const c = config as LlamaConfig;
    const g = c.gemma!;
    expect([mr.family, c.arch, c.qkNorm, g.slidingWindow, g.slidingLayers, g.ropeLocalTheta, c.ropeTheta, g.attnSoftcap, g.finalSoftcap, g.attentionScale]).toEqual(['gemma2', 'gemma2', false, 8, [true, false, true, false], 10000, 10000, 1.5, 8, 1 / Math.sqrt(32)]);
    const scale = await expectWasmLikeReference(ref, wasm, mr, mw);
    expect(scale).toBeLessThan(8); // the final cap holds
  });

  it('GGUF metadata: llama.cpp’s defaults (window 4096, caps 50 / 30) when the keys are absent, the 27B scale, rope.freq_base_swa', () => {
    const meta = (drop: string[], entries: [string, ReturnType<typeof kv.u32>][] = []) => {
      const keys = new Map(llamaGgufPlan(GEMMA2, 'F32', TINY_VOCAB).metadata);
      for (const k of drop) keys.delete(k);
      for (const [k, v] of entries) keys.set(k, v);
      return ggufLlamaConfig(GgufFile.openSync(writeGguf([...keys], []))).config;
    };
    const d = meta(['gemma2.attention.sliding_window', 'gemma2.attn_logit_softcapping', 'gemma2.final_logit_softcapping']).gemma!;
    expect([d.slidingWindow, d.slidingLayers, d.attnSoftcap, d.finalSoftcap]).toEqual([4096, [true, false, true, false], 50, 30]);
    expect(meta([], [['gemma2.attention.sliding_window', kv.u32(0)]]).gemma!.slidingLayers).toEqual([false, false, false, false]);
    expect(meta([], [['gemma2.rope.freq_base_swa', kv.f32(20000)]]).gemma!.ropeLocalTheta).toBe(20000);
    // Gemma 2 27B: 46 layers, 4608 / 32 heads = 144 = its query_pre_attn_scalar (head_dim is 128)
    expect(meta([], [['gemma2.block_count', kv.u32(46)]]).gemma!.attentionScale).toBe(1 / Math.sqrt(64 / 4));
    expect(() => meta([], [['gemma2.attn_logit_softcapping', kv.f32(-1)]])).toThrow(/attn_logit_softcapping/);
  });
});

describe('Gemma 2 from a Hugging Face folder', () => {
  const cases: [string, Parameters<typeof hfConfig2>[1]][] = [
    ['even layers sliding (no layer_types)', {}],
    ['layer_types, transformers 5 rope_parameters', { layerTypes: true, rope5: true }],
  ];
  for (const [label, opts] of cases) {
    it(`${label}: the same weights give the GGUF's logits`, async () => {
      const wasm = await WasmBackend.create();
      const { model: mg, config: cg } = await openModel(wasm, new Map([['m.gguf', tinyGguf(GEMMA2)]]));
      const { model: mh, config: ch } = await openModel(wasm, hfFolder(GEMMA2, hfConfig2(GEMMA2, opts)));
      const [g, h] = [cg as LlamaConfig, ch as LlamaConfig];
      expect([mh.family, h.arch, h.qkNorm, h.gemma!.slidingLayers, h.gemma!.slidingWindow, h.gemma!.attnSoftcap, h.gemma!.finalSoftcap]).toEqual(['gemma2', 'gemma2', false, g.gemma!.slidingLayers, 8, 1.5, 8]);
      expect(h.gemma!.attentionScale).toBeCloseTo(g.gemma!.attentionScale, 15);
      const lg = await allLogits(wasm, mg, TOKENS);
      expect(maxAbs(lg, await allLogits(wasm, mh, TOKENS))).toBeLessThan(1e-5 * scaleOf(lg));
      mg.dispose();
      mh.dispose();
    });
  }

  it('an independent float64 forward (modeling_gemma2, both soft-caps) gives the reference backend’s logits, with query_pre_attn_scalar ≠ head_dim; each cap matters', async () => {
    const config = hfConfig2(GEMMA2, { qpas: 20 });
    const ref = new ReferenceBackend();
    const tokens = TOKENS.slice(0, 14);
    const want = gemma3Float64(config, hfTensors(GEMMA2), tokens);
    const scale = scaleOf(want);
    const run = async (cfg: Record<string, unknown>) => {
      const { model } = await openModel(ref, hfFolder(GEMMA2, cfg));
      try {
        return await allLogits(ref, model, tokens);
      } finally {
        model.dispose();
      }
    };
    expect(scale).toBeGreaterThan(1);
    expect(maxAbs(await run(config), want)).toBeLessThan(2e-5 * scale);
    // without either cap (null: none), or with head_dim's scale, the logits move well past that
    for (const k of ['attn_logit_softcapping', 'final_logit_softcapping', 'query_pre_attn_scalar']) {
      expect(maxAbs(await run({ ...config, [k]: k === 'query_pre_attn_scalar' ? 32 : null }), want), k).toBeGreaterThan(1e-2 * scale);
    }
  });
});

describe('Gemma 2 configs', () => {
  it('HF: google/gemma-2-2b-it’s config; transformers’ defaults (caps 50 / 30, window 4096, even layers sliding); null caps = none', () => {
    const twoB = {
      architectures: ['Gemma2ForCausalLM'], attention_bias: false, attention_dropout: 0.0, attn_logit_softcapping: 50.0, bos_token_id: 2, cache_implementation: 'hybrid',
      eos_token_id: [1, 107], final_logit_softcapping: 30.0, head_dim: 256, hidden_act: 'gelu_pytorch_tanh', hidden_activation: 'gelu_pytorch_tanh', hidden_size: 2304,
      initializer_range: 0.02, intermediate_size: 9216, max_position_embeddings: 8192, model_type: 'gemma2', num_attention_heads: 8, num_hidden_layers: 26,
      num_key_value_heads: 4, pad_token_id: 0, query_pre_attn_scalar: 256, rms_norm_eps: 1e-6, rope_theta: 10000.0, sliding_window: 4096, torch_dtype: 'float32',
      use_cache: true, vocab_size: 256000,
    };
    const c = parseHfConfig(twoB) as LlamaConfig;
    expect([c.arch, c.qkNorm, c.headDim, c.numHeads, c.numKvHeads, c.ropeTheta, c.ropeScaling, c.gemma!.ropeLocalTheta, c.gemma!.slidingWindow, c.gemma!.attentionScale, c.gemma!.attnSoftcap, c.gemma!.finalSoftcap, c.tieWordEmbeddings, c.eosTokenIds]).toEqual(
      ['gemma2', false, 256, 8, 4, 10000, null, 10000, 4096, 1 / 16, 50, 30, true, [1, 107]],
    );
    expect(c.gemma!.slidingLayers).toEqual(Array.from({ length: 26 }, (_, i) => i % 2 === 0));
    const bare = parseHfConfig({ model_type: 'gemma2', hidden_size: 64, intermediate_size: 96, num_hidden_layers: 3 }) as LlamaConfig;
    expect([bare.vocabSize, bare.numHeads, bare.numKvHeads, bare.headDim, bare.gemma!.attnSoftcap, bare.gemma!.finalSoftcap, bare.gemma!.slidingWindow, bare.gemma!.slidingLayers]).toEqual([256000, 8, 4, 256, 50, 30, 4096, [true, false, true]]);
    const off = parseHfConfig({ ...twoB, attn_logit_softcapping: null, final_logit_softcapping: null }) as LlamaConfig;
    expect([off.gemma!.attnSoftcap, off.gemma!.finalSoftcap]).toEqual([0, 0]);
  });

  it('what the model does not implement is UNSUPPORTED', async () => {
    const base = hfConfig2(GEMMA2);
    const refused: [Record<string, unknown>, string][] = [
      [{ ...base, hidden_activation: 'gelu' }, "hidden_activation 'gelu'"],
      [{ ...base, rope_scaling: { rope_type: 'linear', factor: 4 } }, "RoPE scaling 'linear'"],
      [{ ...base, attention_bias: true }, 'biases'],
      [{ ...base, use_bidirectional_attention: true }, 'bidirectional'],
    ];
    for (const [cfg, text] of refused) expect(() => parseHfConfig(cfg), text).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringContaining(text) }));
    const plan = llamaGgufPlan(GEMMA2, 'F32', TINY_VOCAB);
    const gguf = writeGguf([...plan.metadata, ['gemma2.rope.scaling.type', kv.str('linear')], ['gemma2.rope.scaling.factor', kv.f32(4)]], plan.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, data: t.make() })));
    await expect(openModel(new ReferenceBackend(), new Map([['m.gguf', gguf]]))).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining("RoPE scaling 'linear'") });
  });
});
