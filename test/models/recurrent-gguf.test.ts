/**
 * RWKV-7, Mamba-2, LFM2, Granite 4.0-H, Falcon-H1 and Qwen3.5 from llama.cpp's `rwkv7` / `mamba2` /
 * `lfm2` / `granitehybrid` / `falcon-h1` / `qwen35` GGUF (src/models/rwkv7.ts, mamba2.ts; the others on
 * the Llama model).
 * llama.cpp itself is the oracle of the models' numbers (test/browser/llamacpp-parity.test.ts: the
 * tiny files' next-token probabilities within 1e-5 of llama.cpp's). Here, on the reference and wasm
 * backends: one prefill equals the same tokens stepped one at a time and any split of them (the
 * token shifts, conv windows and recurrent states carry over), wasm equals the reference, quantized
 * files stay quantized and keep close to F32, and bad files get typed errors.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { openModel } from '../../src/engine/open-model.ts';
import { GgufFile, GgufValueType } from '../../src/formats/gguf.ts';
import { ggufModelConfig } from '../../src/formats/gguf-config.ts';
import { kv, writeGguf } from '../../src/formats/gguf-writer.ts';
import { rwkv7GgufPlan } from '../../src/formats/rwkv7-gguf.ts';
import { mamba2GgufPlan } from '../../src/formats/mamba2-gguf.ts';
import { llamaGgufPlan } from '../../src/formats/synthetic-models.ts';
import type { CausalLM } from '../../src/models/types.ts';
import type { WeightMap } from '../../src/models/weights.ts';
import { TINY_MAMBA2, TINY_RWKV7, TINY_VOCAB, tinyGguf, tinyMamba2Gguf, tinyRwkv7Gguf, tinyShape } from '../helpers/tiny-llamas.ts';

type Model = CausalLM & { weights: WeightMap };

const TOKENS = [5, 17, 300, 42, 42, 599, 0, 256, 77, 123, 9, 450];

async function open(b: Backend, file: Uint8Array): Promise<Model> {
  return (await openModel(b, new Map([['m.gguf', file]]))).model as Model;
}

async function logits(b: Backend, m: Model, chunks: number[][]): Promise<Float32Array> {
  const s = m.newState();
  const rows: Float32Array[] = [];
  for (const c of chunks) {
    const t = m.prefill(c, s, { allLogits: true });
    rows.push((await b.read(t)) as Float32Array);
    b.free(t);
  }
  s.free();
  const out = new Float32Array(rows.reduce((a, r) => a + r.length, 0));
  let o = 0;
  for (const r of rows) {
    out.set(r, o);
    o += r.length;
  }
  return out;
}

function maxRel(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    d = Math.max(d, Math.abs(a[i] - b[i]));
  }
  return d / scale;
}

const backends: [string, () => Promise<Backend>][] = [['reference', async () => new ReferenceBackend()], ['wasm', () => WasmBackend.create()]];

/** LFM2 (the Llama model with gated short-convolution layers) as a Q8_0 / F32 file of the tiny shape. */
const tinyLfm2 = (type: 'F32' | 'Q8_0' = 'F32') => tinyGguf(tinyShape('lfm2', 'lfm2'), undefined, type);

/** Granite 4.0-H (the Llama model with Mamba-2 layers and NoPE attention) of the tiny shape; `rope` for Bamba's RoPE. */
const tinyGraniteH = (type: 'F32' | 'Q8_0' = 'F32', rope = false) => tinyGguf(tinyShape('granitehybrid', 'dbrx', { noRope: !rope }), undefined, type);

/** Falcon-H1 (attention beside a Mamba-2 mixer in every layer) of the tiny shape. */
const tinyFalconH1 = (type: 'F32' | 'Q8_0' = 'F32') => tinyGguf(tinyShape('falcon-h1', 'falcon-h1'), undefined, type);

/** Qwen3.5 (Gated DeltaNet layers and gated attention with partial RoPE) of the tiny shape. */
const tinyQwen35 = (type: 'F32' | 'Q8_0' = 'F32') => tinyGguf(tinyShape('qwen35', 'qwen35'), undefined, type);

/** Phi-3 / Phi-4-mini (fused q / k / v and gate / up, partial RoPE, LongRoPE) of the tiny shape: not recurrent, but the same checks. */
const tinyPhi3 = (type: 'F32' | 'Q8_0' = 'F32') => tinyGguf(tinyShape('phi3', 'llama-bpe'), undefined, type);

const ARCHS = [
  { arch: 'phi3', family: 'llama', file: tinyPhi3, q8: ['model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.k_proj.weight', 'model.layers.1.self_attn.v_proj.weight', 'model.layers.1.mlp.gate_up_proj.weight', 'model.embed_tokens.weight'], f32: ['#rope-scale-q', '#rope-scale-k'] },
  { arch: 'qwen35', family: 'llama', file: tinyQwen35, q8: ['model.layers.0.linear_attn.attn_qkv.weight#k', 'model.layers.1.linear_attn.ssm_out.weight', 'model.layers.3.self_attn.q_proj.weight', 'model.layers.3.self_attn.q_proj.weight#gate', 'model.layers.3.self_attn.k_proj.weight'], f32: ['model.layers.2.linear_attn.ssm_a', 'model.layers.0.linear_attn.ssm_conv1d.weight#v'] },
  { arch: 'falcon-h1', family: 'llama', file: tinyFalconH1, q8: ['model.layers.0.mamba.ssm_in.weight#x', 'model.layers.1.self_attn.qkv_proj.weight', 'model.layers.2.mamba.ssm_out.weight'], f32: ['model.layers.2.mamba.ssm_d#ch', 'model.layers.1.post_attention_layernorm.weight'] },
  { arch: 'granitehybrid', family: 'llama', file: tinyGraniteH, q8: ['model.embed_tokens.weight', 'model.layers.0.mamba.ssm_in.weight#z', 'model.layers.1.mamba.ssm_in.weight#dt', 'model.layers.2.self_attn.q_proj.weight', 'model.layers.3.mamba.ssm_out.weight', 'model.layers.3.mlp.down_proj.weight'], f32: ['model.layers.0.mamba.ssm_a#ch', 'model.layers.3.mamba.ssm_conv1d.weight#C'] },
  { arch: 'granitehybrid-rope', family: 'llama', file: (type: 'F32' | 'Q8_0' = 'F32') => tinyGraniteH(type, true), q8: ['model.layers.2.self_attn.qkv_proj.weight'], f32: ['model.layers.1.mamba.ssm_norm.weight'] },
  { arch: 'lfm2', family: 'llama', file: tinyLfm2, q8: ['model.embed_tokens.weight', 'model.layers.0.conv.in_proj.weight#B', 'model.layers.1.conv.in_proj.weight#x', 'model.layers.2.self_attn.q_proj.weight', 'model.layers.3.conv.out_proj.weight'], f32: ['model.layers.0.conv.conv.weight'] },
  { arch: 'rwkv7', file: tinyRwkv7Gguf, q8: ['token_embd.weight', 'output.weight', 'blk.0.time_mix_key.weight', 'blk.2.channel_mix_value.weight'], f32: ['blk.1.time_mix_w1.weight'] },
  { arch: 'mamba2', file: tinyMamba2Gguf, q8: ['token_embd.weight', 'blk.0.ssm_in.weight#z', 'blk.0.ssm_in.weight#x', 'blk.1.ssm_in.weight#C', 'blk.1.ssm_in.weight#dt', 'blk.1.ssm_out.weight'], f32: ['blk.0.ssm_a#ch', 'blk.0.ssm_conv1d.weight#B'] },
] as const;

for (const A of ARCHS) {
  describe(`${A.arch} GGUF`, () => {
    for (const [name, make] of backends) {
      it(`${name}: one prefill = token by token = uneven chunks (states carried)`, async () => {
        const b = await make();
        const m = await open(b, A.file());
        expect(m.family).toBe('family' in A ? A.family : A.arch);
        const whole = await logits(b, m, [TOKENS]);
        const steps = await logits(b, m, TOKENS.map((t) => [t]));
        const chunks = await logits(b, m, [TOKENS.slice(0, 5), TOKENS.slice(5, 6), TOKENS.slice(6)]);
        expect(maxRel(steps, whole)).toBeLessThan(1e-5);
        expect(maxRel(chunks, whole)).toBeLessThan(1e-5);
        // a fresh state forgets: the same tokens again give the same logits
        expect(await logits(b, m, [TOKENS])).toEqual(whole);
        m.dispose();
      });
    }

    it('wasm gives the reference backend\'s logits (F32 and Q8_0 files)', async () => {
      for (const type of ['F32', 'Q8_0'] as const) {
        const file = A.file(type);
        const ref = await open(new ReferenceBackend(), file);
        const wb = await WasmBackend.create();
        const wasm = await open(wb, file);
        const d = maxRel(await logits(wb, wasm, [TOKENS]), await logits(ref.backend, ref, [TOKENS]));
        expect(d, `${type}: max |Δ| / max |logit| ${d}`).toBeLessThan(1e-4);
      }
    });

    it('Q8_0: the big matrices and the embedding stay Q8_0 blocks, within 8-bit error of F32', async () => {
      const b = new ReferenceBackend();
      const q = await open(b, A.file('Q8_0'));
      const f = await open(b, A.file('F32'));
      for (const n of A.q8) expect(q.weights.get(n).dtype, n).toBe('q8_0');
      for (const n of A.f32) expect(q.weights.get(n).dtype, n).toBe('f32');
      const d = maxRel(await logits(b, q, [TOKENS]), await logits(b, f, [TOKENS]));
      expect(d).toBeGreaterThan(0);
      expect(d).toBeLessThan(0.05);
    });
  });
}

describe('lfm2 GGUF', () => {
  it('rewinding into the past starts afresh (the convolution windows cannot go back): position 0, then the same logits as a fresh state', async () => {
    const b = new ReferenceBackend();
    const m = await open(b, tinyLfm2());
    const s = m.newState();
    b.free(m.prefill(TOKENS, s));
    expect(m.rewind!(s, TOKENS.length)).toBe(TOKENS.length); // nothing to forget: kept
    expect(m.rewind!(s, 5)).toBe(0);
    expect(s.position).toBe(0);
    const again = m.prefill(TOKENS.slice(0, 7), s, { allLogits: true });
    expect(await b.read(again)).toEqual(await logits(b, m, [TOKENS.slice(0, 7)]));
    m.dispose();
  });

  it('granitehybrid too: its SSM states cannot go back either; a snapshot restores them and the KV caches (the logits of a state that never went on)', async () => {
    const b = new ReferenceBackend();
    const m = await open(b, tinyGraniteH());
    const s = m.newState();
    b.free(m.prefill(TOKENS.slice(0, 6), s));
    const snap = m.snapshot!(s)!;
    b.free(m.prefill(TOKENS.slice(6), s));
    expect(m.restore!(s, snap)).toBe(6);
    const resumed = m.prefill(TOKENS.slice(6, 9), s, { allLogits: true });
    expect(await b.read(resumed)).toEqual((await logits(b, m, [TOKENS.slice(0, 6), TOKENS.slice(6, 9)])).slice(6 * m.vocabSize));
    expect(m.rewind!(s, 5)).toBe(0);
    snap.free();
    s.free();
    m.dispose();
  });

  it('a missing ssm_norm is TENSOR_MISSING for granitehybrid (llama.cpp requires it), fine for falcon-h1 (optional there)', async () => {
    const without = (shape: Parameters<typeof llamaGgufPlan>[0]) => {
      const p = llamaGgufPlan(shape, 'F32', TINY_VOCAB);
      return writeGguf(p.metadata, p.tensors.filter((t) => !t.name.endsWith('ssm_norm.weight')).map((t) => ({ name: t.name, type: t.type, ne: t.ne, data: t.make() })));
    };
    const b = new ReferenceBackend();
    await expect(open(b, without(tinyShape('granitehybrid', 'dbrx')))).rejects.toMatchObject({ code: 'TENSOR_MISSING' });
    expect(b.memoryBytes()).toBe(0);
    const m = await open(b, without(tinyShape('falcon-h1', 'falcon-h1')));
    expect(m.weights.has('model.layers.0.mamba.ssm_norm.weight')).toBe(false);
    m.dispose();
  });

  it('a sliding window is UNSUPPORTED; a head_count_kv array of another length SHAPE_MISMATCH', async () => {
    const base = tinyShape('lfm2', 'lfm2');
    const cfg = (edit: (m: [string, ReturnType<typeof kv.u32>][]) => void) => () => {
      const g = GgufFile.openSync(tinyGguf(base));
      const meta: [string, ReturnType<typeof kv.u32>][] = [...g.metadata].map(([k, v]) => [k, v as ReturnType<typeof kv.u32>]);
      edit(meta);
      return ggufModelConfig(GgufFile.openSync(writeGguf(meta, [...g.tensors.values()].map((t) => ({ name: t.name, type: t.type.name, ne: t.ne, data: g.rawSync(t.name) })))));
    };
    expect(cfg((m) => m.push(['lfm2.attention.sliding_window', kv.u32(8)]))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(cfg((m) => {
      const i = m.findIndex(([k]) => k === 'lfm2.attention.head_count_kv');
      m[i][1] = kv.arr(GgufValueType.INT32, [0, 0, 2]) as ReturnType<typeof kv.u32>;
    })).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });
});

describe('rwkv7 GGUF errors', () => {
  it('bad files: missing head size or token_embd, ARWKV\'s one token shift, no gate, a head size not dividing the width', async () => {
    const plan = () => rwkv7GgufPlan(TINY_RWKV7, 'F32', { kind: 'bpe', vocab: TINY_VOCAB, pre: 'gpt-2' });
    const build = (edit: (m: ReturnType<typeof plan>['metadata'], t: ReturnType<typeof plan>['tensors']) => void) => {
      const p = plan();
      edit(p.metadata, p.tensors);
      return GgufFile.openSync(writeGguf(p.metadata, p.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, data: t.make() }))));
    };
    const set = (k: string, v: ReturnType<typeof kv.u32>) => (m: ReturnType<typeof plan>['metadata']) => {
      const i = m.findIndex(([n]) => n === k);
      if (i < 0) m.push([k, v]);
      else m[i][1] = v;
    };
    const drop = (k: string) => (m: ReturnType<typeof plan>['metadata']) => void m.splice(m.findIndex(([n]) => n === k), 1);
    expect(() => ggufModelConfig(build(drop('rwkv7.wkv.head_size')))).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID', message: expect.stringContaining('rwkv7.wkv.head_size') }));
    expect(() => ggufModelConfig(build((_, t) => t.splice(t.findIndex((x) => x.name === 'token_embd.weight'), 1)))).toThrow(expect.objectContaining({ code: 'TENSOR_MISSING' }));
    expect(() => ggufModelConfig(build(set('rwkv7.token_shift_count', kv.u32(1))))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => ggufModelConfig(build(set('rwkv7.attention.gate_lora_rank', kv.u32(0))))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => ggufModelConfig(build(set('rwkv7.wkv.head_size', kv.u32(24))))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });

  it('a tensor of the wrong shape is SHAPE_MISMATCH at load and nothing stays allocated', async () => {
    const p = rwkv7GgufPlan(TINY_RWKV7, 'F32', { kind: 'bpe', vocab: TINY_VOCAB, pre: 'gpt-2' });
    const ts = p.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, data: t.make() }));
    const w1 = ts.find((t) => t.name === 'blk.1.time_mix_w1.weight')!;
    w1.ne = [w1.ne[0], w1.ne[1] / 2];
    w1.data = w1.data.slice(0, w1.data.length / 2);
    const b = new ReferenceBackend();
    await expect(openModel(b, new Map([['m.gguf', writeGguf(p.metadata, ts)]]))).rejects.toMatchObject({ code: 'SHAPE_MISMATCH', message: expect.stringContaining('blk.1.time_mix_w1.weight') });
    expect(b.memoryBytes()).toBe(0);
  });
});

describe('mamba2 GGUF errors', () => {
  it('more than one group is UNSUPPORTED; a missing size FORMAT_INVALID; heads not dividing the channels SHAPE_MISMATCH; a wrong A shape at load SHAPE_MISMATCH, nothing left allocated', async () => {
    const plan = () => mamba2GgufPlan(TINY_MAMBA2, 'F32', TINY_VOCAB);
    const bytesOf = (edit: (m: ReturnType<typeof plan>['metadata'], t: ReturnType<typeof plan>['tensors']) => void) => {
      const p = plan();
      edit(p.metadata, p.tensors);
      return writeGguf(p.metadata, p.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, data: t.make() })));
    };
    const set = (k: string, v: ReturnType<typeof kv.u32>) => (m: ReturnType<typeof plan>['metadata']) => {
      m[m.findIndex(([n]) => n === k)][1] = v;
    };
    const cfg = (b: Uint8Array) => () => ggufModelConfig(GgufFile.openSync(b));
    expect(cfg(bytesOf(set('mamba2.ssm.group_count', kv.u32(2))))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(cfg(bytesOf((m) => void m.splice(m.findIndex(([n]) => n === 'mamba2.ssm.state_size'), 1)))).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID', message: expect.stringContaining('mamba2.ssm.state_size') }));
    expect(cfg(bytesOf(set('mamba2.ssm.time_step_rank', kv.u32(7))))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    const badA = bytesOf((_, t) => {
      const a = t.find((x) => x.name === 'blk.1.ssm_a')!;
      const make = a.make;
      a.ne = [2, a.ne[1] / 2];
      a.make = make;
    });
    const b = new ReferenceBackend();
    await expect(openModel(b, new Map([['m.gguf', badA]]))).rejects.toMatchObject({ code: 'SHAPE_MISMATCH', message: expect.stringContaining('blk.1.ssm_a') });
    expect(b.memoryBytes()).toBe(0);
  });
});
