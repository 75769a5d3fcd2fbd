/**
 * The synthetic model generator (scripts/gen-models.ts): small shapes through the same code paths
 * as the full-size models — files parse with our readers, configs match the requested shape, the
 * BPE vocabulary is consistent and round-trips text, and the models run with finite logits.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GgufFile } from '../../src/formats/gguf.ts';
import { ggufLlamaConfig } from '../../src/formats/gguf-config.ts';
import { dequantize, canDequantize } from '../../src/formats/ggml-quants.ts';
import { parseHfConfig } from '../../src/formats/hf-config.ts';
import { SafetensorsFile } from '../../src/formats/safetensors.ts';
import { buildBpeVocab, byteToUnicode } from '../../src/formats/synthetic-bpe.ts';
import { SMOLLM2_135M, type LlamaShape, type MambaShape } from '../../src/formats/synthetic-models.ts';
import { SPECIALS, corpusText, writeLlamaGguf, writeMamba } from '../../scripts/gen-models.ts';
import { tokenizerFromGguf } from '../../src/engine/gguf-tokenizer.ts';
import { ggufMetadataRecord } from '../../src/models/gguf-weights.ts';
import { openModel } from '../../src/cli/model-files.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';

const dir = mkdtempSync(join(tmpdir(), 'sparrow-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const corpus = corpusText(new URL('../../data/text/tinyshakespeare.txt', import.meta.url).pathname).slice(0, 200_000);
const SMALL: LlamaShape = { ...SMOLLM2_135M, name: 'tiny-llama', vocabSize: 600, hidden: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128 };

describe('BPE vocabulary', () => {
  it('full SmolLM2 size: 49152 unique tokens, 256 byte tokens, every merge joins two earlier tokens', () => {
    const v = buildBpeVocab(corpus, SMOLLM2_135M.vocabSize, SPECIALS);
    expect(v.tokens.length).toBe(49152);
    expect(new Set(v.tokens).size).toBe(49152);
    expect(v.tokens.slice(3, 259)).toEqual(byteToUnicode());
    expect(v.corpusMerges).toBeGreaterThan(500); // learned from text, not only synthetic
    const id = new Map(v.tokens.map((t, i) => [t, i]));
    const bad: string[] = [];
    v.merges.forEach((m, i) => {
      const parts = m.split(' ');
      const res = id.get(parts.join(''));
      // one new token per merge, in merge order, made of two earlier tokens
      const ok = parts.length === 2 && res === 259 + i && id.get(parts[0])! < res && id.get(parts[1])! < res;
      if (!ok && bad.length < 5) bad.push(`${i}: ${m}`);
    });
    expect(bad).toEqual([]);
  });
});

describe('generated GGUF Llama (small shape, same code path)', () => {
  for (const type of ['F16', 'Q8_0', 'Q4_0'] as const) {
    it(`${type}: parses, config = shape, tensors dequantize finite, llama.cpp-style metadata`, () => {
      const path = join(dir, `tiny.${type}.gguf`);
      const bytes = writeLlamaGguf(path, SMALL, type, corpus);
      const g = GgufFile.openSync(readFileSync(path), path);
      expect(g.source.size).toBe(bytes);
      const { config, tokenizer } = ggufLlamaConfig(g);
      expect(config).toMatchObject({ vocabSize: 600, hiddenSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16, intermediateSize: 128, ropeTheta: 100000, rmsNormEps: 1e-5, tieWordEmbeddings: true, bosTokenId: 1, eosTokenIds: [2] });
      expect(tokenizer).toMatchObject({ model: 'gpt2', pre: 'smollm', bosId: 1, eosId: 2 });
      expect(tokenizer!.merges!.length).toBe(600 - 259);
      expect(g.info('blk.1.ffn_down.weight').type.name).toBe(type);
      expect(g.info('blk.0.attn_norm.weight').type.name).toBe('F32');
      expect(g.has('output.weight')).toBe(false);
      for (const t of g.tensors.values()) {
        expect(canDequantize(t.type)).toBe(true);
        expect(dequantize(t.type, g.rawSync(t.name), t.size).every(Number.isFinite)).toBe(true);
      }
    });
  }

  it('the embedded tokenizer round-trips text (engine GGUF tokenizer)', () => {
    const g = GgufFile.openSync(readFileSync(join(dir, 'tiny.Q8_0.gguf')));
    const tok = tokenizerFromGguf(ggufMetadataRecord(g));
    const text = 'To be, or not to be: that is the question. 42 ünïcödé ✓';
    const ids = tok.encode(text);
    expect(ids.length).toBeLessThan(new TextEncoder().encode(text).length); // merges were applied
    expect(tok.decode(ids)).toBe(text);
  });

  it('runs: prefill on wasm gives finite logits for every quantization', async () => {
    const wasm = await WasmBackend.create();
    for (const type of ['F16', 'Q8_0', 'Q4_0']) {
      const { model } = await openModel(wasm, join(dir, `tiny.${type}.gguf`));
      const state = model.newState();
      const logits = model.prefill([1, 50, 300, 599], state);
      const out = (await wasm.read(logits)) as Float32Array;
      expect(out.length).toBe(600);
      expect(out.every(Number.isFinite), type).toBe(true);
      wasm.free(logits);
      state.free();
      model.dispose();
    }
    wasm.dispose();
  });
});

describe('generated Mamba (small shape, same code path)', () => {
  const SMALL_MAMBA: MambaShape = { name: 'tiny-mamba', vocabSize: 320, hidden: 64, layers: 2, stateSize: 16, convKernel: 4, expand: 2 };
  it('config.json parses to the shape, safetensors has HF names/shapes, the model runs finite', async () => {
    const d = join(dir, 'mamba');
    writeMamba(d, SMALL_MAMBA, corpus, 317);
    const c = parseHfConfig(JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')));
    expect(c).toMatchObject({ family: 'mamba', vocabSize: 320, hiddenSize: 64, numLayers: 2, stateSize: 16, convKernel: 4, intermediateSize: 128, timeStepRank: 4, tieWordEmbeddings: true });
    const st = SafetensorsFile.openSync(readFileSync(join(d, 'model.safetensors')));
    expect(st.info('backbone.layers.1.mixer.x_proj.weight').shape).toEqual([4 + 32, 128]);
    expect(st.info('backbone.layers.0.mixer.conv1d.weight').shape).toEqual([128, 1, 4]);
    expect(st.names().length).toBe(2 + 2 * 10);
    const ref = new ReferenceBackend();
    const { model, tokenizer } = await openModel(ref, d);
    expect(tokenizer!.vocabSize).toBe(317);
    expect(tokenizer!.eosTokenId).toBe(0);
    const text = 'Now is the winter of our discontent';
    expect(tokenizer!.decode(tokenizer!.encode(text))).toBe(text);
    const logits = model.prefill([0, 5, 319], model.newState());
    const out = (await ref.read(logits)) as Float32Array;
    expect(out.length).toBe(320);
    expect(out.every(Number.isFinite)).toBe(true);
  });
});
