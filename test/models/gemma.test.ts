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
    const name = llamaHfName(t.name, 'gemma3');
    if (!name) throw new Error(`no HF name for ${t.name}`);
    const bytes = t.make();
    const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice();
    if (name.endsWith('norm.weight')) for (let i = 0; i < data.length; i++) data[i] -= 1; // exact: w + 1 ∈ [0.5, 2]
    out.set(name, { shape: [...t.ne].reverse(), data });
  }
  return out;
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
 * (1 + w). Returns the logits of every position.
 */
function gemma3Float64(c: Record<string, unknown>, w: Map<string, { data: Float32Array }>, tokens: number[]): Float64Array {
  const [H, nh, nkv, D, I, L] = ['hidden_size', 'num_attention_heads', 'num_key_value_heads', 'head_dim', 'intermediate_size', 'num_hidden_layers'].map((k) => c[k] as number);
  const eps = c.rms_norm_eps as number;
  const V = c.vocab_size as number;
  const W = (n: string) => w.get(n)!.data;
  const types = c.layer_types as string[] | undefined;
  const sliding = (l: number) => (types ? types[l] === 'sliding_attention' : (l + 1) % (c.sliding_window_pattern as number) !== 0);
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
    const base = local ? (c.rope_local_base_freq as number) : (c.rope_theta as number);
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
    const heads = (v: Float64Array, n: number, normW: Float32Array, pos: number) => Array.from({ length: n }, (_, hh) => rope(rms(v.subarray(hh * D, (hh + 1) * D), normW), pos));
    const q: Float64Array[][] = [];
    const k: Float64Array[][] = [];
    const vv: Float64Array[][] = [];
    for (let t = 0; t < T; t++) {
      const h = rms(x[t], p('input_layernorm.weight'));
      q.push(heads(mv(p('self_attn.q_proj.weight'), h, nh * D), nh, p('self_attn.q_norm.weight'), t));
      k.push(heads(mv(p('self_attn.k_proj.weight'), h, nkv * D), nkv, p('self_attn.k_norm.weight'), t));
      const v = mv(p('self_attn.v_proj.weight'), h, nkv * D);
      vv.push(Array.from({ length: nkv }, (_, hh) => v.subarray(hh * D, (hh + 1) * D)));
    }
    const next: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const a = new Float64Array(nh * D);
      for (let hh = 0; hh < nh; hh++) {
        const g = Math.floor(hh / (nh / nkv));
        const keys = [...Array(t + 1).keys()].filter((j) => !local || t - j < (c.sliding_window as number));
        const sc = keys.map((j) => q[t][hh].reduce((s, qv, d) => s + qv * k[j][g][d], 0) * (c.query_pre_attn_scalar as number) ** -0.5);
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
  x.forEach((xt, t) => out.set(mv(E, rms(xt, W('model.norm.weight')), V), t * V));
  return out;
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
    // back to 14 tokens (the chat engine reuses a prefix this way; the local caches, 16 rows, still
    // hold positions 7…13), then other tokens as one block
    expect(mw.rewind!(s, 14)).toBe(14);
    const other = [9, 8, 7, 6, 5, 4, 3, 2, 1, 400];
    const rest = mw.prefill(other, s, { allLogits: true });
    const fresh = await allLogits(wasm, mw, [...TOKENS.slice(0, 14), ...other]);
    expect(maxAbs(await row(rest), fresh.subarray(14 * V))).toBeLessThan(1e-5 * scale);
    wasm.free(rest);
    s.free();
    mr.dispose();
    mw.dispose();
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
