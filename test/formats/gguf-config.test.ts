import { describe, expect, it } from 'vitest';
import { GgufFile, GgufValueType } from '../../src/formats/gguf.ts';
import { ggufLlamaConfig, shortestF32 } from '../../src/formats/gguf-config.ts';
import { parseHfConfig } from '../../src/formats/hf-config.ts';
import { kv, writeGguf } from '../../src/formats/gguf-writer.ts';
import { isSparrowError } from '../../src/errors.ts';
import { tinyGguf, tinyShape } from '../helpers/tiny-llamas.ts';
import { MODEL_ROOT, KQUANT_ROOT, fixtureBytes, fixtureJson } from './fixtures.ts';

describe('GGUF llama metadata → LlamaConfig', () => {
  it('llama-gqa-tiny GGUF gives the same config as its config.json', () => {
    const hf = parseHfConfig(fixtureJson(MODEL_ROOT, 'llama-gqa-tiny', 'config.json'));
    for (const t of ['F32', 'Q8_0', 'Q4_0']) {
      const m = ggufLlamaConfig(GgufFile.openSync(fixtureBytes(MODEL_ROOT, 'llama-gqa-tiny', `model.${t}.gguf`)));
      expect(m.config).toEqual(hf);
      expect(m.weightLayout).toBe('gguf');
      expect(m.tokenizer).toMatchObject({ model: 'llama', bosId: 1, eosId: 2, unkId: 0, addBos: false, addEos: false, merges: null });
      expect(m.tokenizer!.tokens.length).toBe(256);
      expect(m.tokenizer!.tokenTypes!.every((x) => x === 6)).toBe(true);
      expect(Object.keys(m.tokenizer!.raw)).toContain('tokenizer.ggml.scores');
    }
  });
  it('k-quant fixture (256 hidden, 4/2 heads, untied?)', () => {
    const g = GgufFile.openSync(fixtureBytes(KQUANT_ROOT, 'model.Q4_K.gguf'));
    const m = ggufLlamaConfig(g);
    expect(m.config).toMatchObject({ hiddenSize: 256, intermediateSize: 512, numHeads: 4, numKvHeads: 2, headDim: 64, numLayers: 1, vocabSize: 256 });
    expect(m.config.tieWordEmbeddings).toBe(!g.has('output.weight'));
  });
  it('shortestF32 recovers decimal literals', () => {
    expect(shortestF32(Math.fround(1e-5))).toBe(1e-5);
    expect(shortestF32(Math.fround(1e-6))).toBe(1e-6);
    expect(shortestF32(Math.fround(100000))).toBe(100000);
  });
  it('typed errors: other architecture, missing keys, token ids out of range', () => {
    const mk = (kvs: [string, ReturnType<typeof kv.str>][]) => GgufFile.openSync(writeGguf(kvs, []), 'x.gguf');
    const code = (g: GgufFile) => {
      try {
        ggufLlamaConfig(g);
        return 'ok';
      } catch (e) {
        if (!isSparrowError(e)) throw e;
        expect(e.message).toContain('x.gguf');
        return e.code;
      }
    };
    expect(code(mk([['general.architecture', kv.str('mamba')]]))).toBe('UNSUPPORTED');
    expect(code(mk([['general.architecture', kv.str('llama')]]))).toBe('FORMAT_INVALID');
    const base: [string, ReturnType<typeof kv.str>][] = [
      ['general.architecture', kv.str('llama')], ['llama.embedding_length', kv.u32(8)], ['llama.attention.head_count', kv.u32(2)],
      ['llama.feed_forward_length', kv.u32(16)], ['llama.block_count', kv.u32(1)], ['llama.vocab_size', kv.u32(3)],
    ];
    expect(code(mk(base))).toBe('ok');
    expect(code(mk([...base, ['llama.attention.head_count_kv', kv.u32(3)]]))).toBe('SHAPE_MISMATCH');
    expect(code(mk([...base, ['tokenizer.ggml.model', kv.str('gpt2')], ['tokenizer.ggml.tokens', kv.arr(8, ['a', 'b', 'c'])], ['tokenizer.ggml.eos_token_id', kv.u32(7)]]))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(mk([...base, ['tokenizer.ggml.model', kv.str('gpt2')], ['tokenizer.ggml.tokens', kv.arr(8, ['a', 'b'])]]))).toBe('SHAPE_MISMATCH');
  });
});

describe('GGUF granite metadata', () => {
  const base: [string, ReturnType<typeof kv.str>][] = [
    ['general.architecture', kv.str('granite')], ['granite.embedding_length', kv.u32(64)], ['granite.block_count', kv.u32(2)], ['granite.feed_forward_length', kv.u32(96)],
    ['granite.attention.head_count', kv.u32(4)], ['granite.vocab_size', kv.u32(32)], ['granite.logit_scale', kv.f32(8)], ['granite.residual_scale', kv.f32(0.22)],
    ['granite.embedding_scale', kv.f32(12)], ['granite.attention.scale', kv.f32(0.015625)],
  ];
  const config = (edit: (m: typeof base) => void = () => {}) => {
    const m = base.map(([k, v]) => [k, v] as (typeof base)[number]);
    edit(m);
    return ggufLlamaConfig(GgufFile.openSync(writeGguf(m, []), 'g.gguf')).config;
  };
  it('reads the four multipliers (residual, embedding and attention optional, logit required)', () => {
    expect(config().granite).toEqual({ embedding: 12, residual: 0.22, attention: 0.015625, logit: 8 });
    const some = config((m) => m.splice(m.findIndex(([k]) => k === 'granite.residual_scale'), 1));
    expect(some.granite).toEqual({ embedding: 12, residual: 0, attention: 0.015625, logit: 8 });
  });
  it('no logit_scale: FORMAT_INVALID; experts: UNSUPPORTED (none: fine); rope.scaling.finetuned switches RoPE (absent: on)', () => {
    expect(() => config((m) => m.splice(m.findIndex(([k]) => k === 'granite.logit_scale'), 1))).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID', message: expect.stringContaining('granite.logit_scale') }));
    expect(() => config((m) => m.push(['granite.expert_count', kv.u32(8)]))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(config((m) => m.push(['granite.expert_count', kv.u32(0)])).granite).toBeDefined();
    expect(config().noRopeLayers).toBeUndefined();
    expect(config((m) => m.push(['granite.rope.scaling.finetuned', kv.bool(true)])).noRopeLayers).toBeUndefined();
    expect(config((m) => m.push(['granite.rope.scaling.finetuned', kv.bool(false)])).noRopeLayers).toEqual([true, true]);
    expect(() => config((m) => m.push(['granite.rope.scaling.finetuned', kv.u32(0)]))).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID' }));
  });
});

describe('GGUF granitehybrid metadata (Granite 4.0-H)', () => {
  const H = (k: string) => `granitehybrid.${k}`;
  const base: [string, ReturnType<typeof kv.str>][] = [
    ['general.architecture', kv.str('granitehybrid')], [H('embedding_length'), kv.u32(64)], [H('block_count'), kv.u32(4)], [H('feed_forward_length'), kv.u32(96)],
    [H('attention.head_count'), kv.u32(4)], [H('attention.head_count_kv'), kv.arr(GgufValueType.INT32, [0, 0, 2, 0]) as ReturnType<typeof kv.str>], [H('vocab_size'), kv.u32(32)],
    [H('ssm.conv_kernel'), kv.u32(4)], [H('ssm.inner_size'), kv.u32(128)], [H('ssm.state_size'), kv.u32(16)], [H('ssm.time_step_rank'), kv.u32(8)], [H('ssm.group_count'), kv.u32(1)],
    [H('rope.scaling.finetuned'), kv.bool(false)], [H('residual_scale'), kv.f32(0.22)], [H('expert_count'), kv.u32(0)],
  ];
  const config = (edit: (m: typeof base) => void = () => {}) => {
    const m = base.map(([k, v]) => [k, v] as (typeof base)[number]);
    edit(m);
    return ggufLlamaConfig(GgufFile.openSync(writeGguf(m, []), 'g.gguf')).config;
  };
  const set = (k: string, v: ReturnType<typeof kv.str>) => (m: typeof base) => void (m[m.findIndex(([n]) => n === H(k))][1] = v);
  it('reads the Mamba-2 layers (head_count_kv 0), their sizes, NoPE and the optional multipliers (no logit scale: 0, not applied)', () => {
    const c = config();
    expect(c.mamba2).toEqual({ layers: [true, true, false, true], intermediateSize: 128, stateSize: 16, convKernel: 4, numHeads: 8, groups: 1 });
    expect(c.numKvHeads).toBe(2);
    expect(c.noRopeLayers).toEqual([true, true, true, true]);
    expect(c.granite).toEqual({ embedding: 0, residual: 0.22, attention: 0, logit: 0 });
    expect(c.shortConv).toBeUndefined();
  });
  it('several groups or experts: UNSUPPORTED; heads not dividing the channels, a head_count_kv array of another length: SHAPE_MISMATCH; a missing ssm size: FORMAT_INVALID', () => {
    expect(() => config(set('ssm.group_count', kv.u32(2)))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => config(set('expert_count', kv.u32(4)))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => config(set('ssm.time_step_rank', kv.u32(7)))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => config(set('attention.head_count_kv', kv.arr(GgufValueType.INT32, [0, 2, 0]) as ReturnType<typeof kv.str>))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => config(set('attention.head_count_kv', kv.arr(GgufValueType.INT32, [0, 2, 4, 0]) as ReturnType<typeof kv.str>))).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID' }));
    expect(() => config((m) => m.splice(m.findIndex(([k]) => k === H('ssm.state_size')), 1))).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID', message: expect.stringContaining('ssm.state_size') }));
  });
  it('an attention bias on any layer (here the third; the first has none) is refused at load, not dropped', () => {
    // the config flags it; Llama.load refuses it (UNSUPPORTED) before uploading anything
    // (the last layer's norm too: a file must hold tensors for the block_count it declares)
    const g = (names: string[]) => GgufFile.openSync(writeGguf(base, [...names, 'blk.3.attn_norm.weight'].map((name) => ({ name, type: 'F32', ne: [8], data: new Uint8Array(32) }))), 'g.gguf');
    expect(ggufLlamaConfig(g(['blk.2.attn_output.bias'])).config.attentionBias).toBe(true);
    expect(ggufLlamaConfig(g(['blk.0.ssm_conv1d.bias'])).config.attentionBias).toBe(false);
    // …and one declaring more layers than it has is FORMAT_INVALID, an absurd count SIZE_LIMIT
    expect(() => ggufLlamaConfig(GgufFile.openSync(writeGguf(base, [{ name: 'blk.2.attn_norm.weight', type: 'F32', ne: [8], data: new Uint8Array(32) }]), 'g.gguf'))).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID' }));
    const huge = base.map(([k, v]) => [k, k === H('block_count') ? kv.u32(1 << 20) : v] as (typeof base)[number]);
    expect(() => ggufLlamaConfig(GgufFile.openSync(writeGguf(huge, []), 'g.gguf'))).toThrow(expect.objectContaining({ code: 'SIZE_LIMIT' }));
  });
});

describe('GGUF smollm3 metadata', () => {
  it('no RoPE on every fourth layer (llama.cpp fixes the step at 4; no key), Q / K permuted as for llama', () => {
    const g = GgufFile.openSync(tinyGguf(tinyShape('smollm3', 'llama-bpe', { layers: 8 })), 's.gguf');
    const { config, weightLayout } = ggufLlamaConfig(g);
    expect(config.noRopeLayers).toEqual([false, false, false, true, false, false, false, true]);
    expect(weightLayout).toBe('gguf');
  });
});

describe('GGUF falcon-h1 metadata', () => {
  it('a Mamba-2 mixer beside attention in every layer (its norm optional), the head size from key_length, RoPE on', () => {
    const { config } = ggufLlamaConfig(GgufFile.openSync(tinyGguf(tinyShape('falcon-h1', 'falcon-h1')), 'f.gguf'));
    expect(config.mamba2).toEqual({ layers: [true, true, true], intermediateSize: 96, stateSize: 16, convKernel: 4, numHeads: 6, groups: 1, parallel: true, normOptional: true });
    expect(config.headDim).toBe(16);
    expect(config.noRopeLayers).toBeUndefined();
    expect(config.granite).toBeUndefined();
  });
});

describe('GGUF qwen35 metadata', () => {
  const file = (edit: (m: [string, ReturnType<typeof kv.u32>][]) => void = () => {}) => {
    const g = GgufFile.openSync(tinyGguf(tinyShape('qwen35', 'qwen35')), 'q.gguf');
    const meta = [...g.metadata].map(([k, v]) => [k, v] as [string, ReturnType<typeof kv.u32>]);
    edit(meta);
    return ggufLlamaConfig(GgufFile.openSync(writeGguf(meta, []), 'q.gguf')).config;
  };
  const set = (k: string, v: ReturnType<typeof kv.u32>) => (m: [string, ReturnType<typeof kv.u32>][]) => void (m[m.findIndex(([n]) => n === `qwen35.${k}`)][1] = v);
  it('Gated DeltaNet on all but every fourth layer, their sizes, gated attention, partial RoPE and its sections', () => {
    const c = file();
    expect(c.gatedDeltaNet).toEqual({ layers: [true, true, true, false], kHeads: 2, vHeads: 4, headDim: 16, convKernel: 4 });
    expect(c).toMatchObject({ attnOutputGate: true, rotaryDim: 8, ropeSections: [2, 1, 1, 0], headDim: 32, qkNorm: true, numLayers: 4 });
    // a multi-token-prediction block is not counted; an explicit list of recurrent layers is read
    expect(file((m) => m.push(['qwen35.nextn_predict_layers', kv.u32(1)])).numLayers).toBe(3);
    expect(file((m) => m.push(['qwen35.attention.recurrent_layers', kv.arr(GgufValueType.BOOL, [true, false, true, false]) as ReturnType<typeof kv.u32>])).gatedDeltaNet!.layers).toEqual([true, false, true, false]);
  });
  it('bad sizes: value heads of another size UNSUPPORTED; heads not dividing SHAPE_MISMATCH; bad sections or rotary dims FORMAT_INVALID', () => {
    expect(() => file(set('ssm.inner_size', kv.u32(100)))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => file(set('ssm.group_count', kv.u32(3)))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => file(set('rope.dimension_sections', kv.arr(GgufValueType.INT32, [2, 2]) as ReturnType<typeof kv.u32>))).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID' }));
    expect(() => file(set('rope.dimension_count', kv.u32(64)))).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID' }));
  });
});

describe('GGUF phi3 metadata', () => {
  it('the head size is width / heads (rope.dimension_count is the rotated part), LongRoPE from its keys; experts are refused', () => {
    const bytes = tinyGguf(tinyShape('phi3', 'llama-bpe'));
    const { config } = ggufLlamaConfig(GgufFile.openSync(bytes, 'p.gguf'));
    expect(config).toMatchObject({ headDim: 16, rotaryDim: 12, longRope: { attnFactor: 1.19, originalContext: 4096 } });
    const g = GgufFile.openSync(bytes, 'p.gguf');
    const moe = writeGguf([...g.metadata], ['blk.0.ffn_gate_inp.weight', 'blk.1.attn_norm.weight'].map((name) => ({ name, type: 'F32', ne: [4], data: new Uint8Array(16) })));
    expect(() => ggufLlamaConfig(GgufFile.openSync(moe, 'p.gguf'))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });
});
