import { describe, expect, it } from 'vitest';
import { GgufFile } from '../../src/formats/gguf.ts';
import { ggufLlamaConfig, shortestF32 } from '../../src/formats/gguf-config.ts';
import { parseHfConfig } from '../../src/formats/hf-config.ts';
import { kv, writeGguf } from '../../src/formats/gguf-writer.ts';
import { isSparrowError } from '../../src/errors.ts';
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
  it('no logit_scale: FORMAT_INVALID; no RoPE (rope.scaling.finetuned false) or experts: UNSUPPORTED', () => {
    expect(() => config((m) => m.splice(m.findIndex(([k]) => k === 'granite.logit_scale'), 1))).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID', message: expect.stringContaining('granite.logit_scale') }));
    expect(() => config((m) => m.push(['granite.rope.scaling.finetuned', kv.bool(false)]))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => config((m) => m.push(['granite.expert_count', kv.u32(8)]))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });
});
