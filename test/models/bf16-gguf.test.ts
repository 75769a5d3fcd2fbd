/**
 * BF16 beyond safetensors: the f32 → bf16 rounding helper (src/util/bf16.ts) against hand-checked
 * bit patterns, and a GGUF Llama with BF16 matrices (GGML type 30, written by the synthetic-model
 * writer) that loads with every matrix kept bf16 — the tied embedding / head included — and gives
 * the logits of the same file loaded as f32, on wasm and reference.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { ggufLlamaConfig } from '../../src/formats/gguf-config.ts';
import { writeGguf } from '../../src/formats/gguf-writer.ts';
import { buildBpeVocab } from '../../src/formats/synthetic-bpe.ts';
import { llamaGgufPlan, type LlamaShape } from '../../src/formats/synthetic-models.ts';
import { GgufWeights } from '../../src/models/gguf-weights.ts';
import type { WeightFile } from '../../src/models/weights.ts';
import { asF32, runModel } from '../helpers/model-runs.ts';
import { encodeBf16, fromBf16Bits, toBf16Bits } from '../../src/util/bf16.ts';

const bitsOf = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0];
const f32Of = (bits: number) => new Float32Array(Uint32Array.of(bits).buffer)[0];

describe('f32 → bf16 rounding', () => {
  it('round to nearest, ties to even; ±0, ±Inf, NaN, subnormals; widening exact', () => {
    expect(toBf16Bits(1)).toBe(0x3f80);
    expect(toBf16Bits(f32Of(0x3f808000))).toBe(0x3f80); // tie, even stays
    expect(toBf16Bits(f32Of(0x3f818000))).toBe(0x3f82); // tie, odd rounds up
    expect(toBf16Bits(f32Of(0x3f808001))).toBe(0x3f81); // above the tie
    expect(toBf16Bits(f32Of(0xbf807fff))).toBe(0xbf80); // below the tie, negative
    expect(toBf16Bits(0)).toBe(0x0000);
    expect(toBf16Bits(-0)).toBe(0x8000);
    expect(toBf16Bits(Infinity)).toBe(0x7f80);
    expect(toBf16Bits(-Infinity)).toBe(0xff80);
    expect(toBf16Bits(f32Of(0x7f7fffff))).toBe(0x7f80); // f32 max rounds to +Inf, as torch does
    expect(Number.isNaN(fromBf16Bits(toBf16Bits(NaN)))).toBe(true);
    expect(Number.isNaN(fromBf16Bits(toBf16Bits(f32Of(0x7f800001))))).toBe(true); // a NaN whose payload sits in the low half
    expect(toBf16Bits(f32Of(0x00010000))).toBe(0x0001); // subnormal kept
    for (let b = 0; b < 0x10000; b += 97) {
      const v = fromBf16Bits(b);
      if (!Number.isNaN(v)) {
        expect(bitsOf(v)).toBe(b << 16 >>> 0);
        expect(toBf16Bits(v)).toBe(b);
      }
    }
    expect(Array.from(encodeBf16([1, -2]))).toEqual([0x80, 0x3f, 0x00, 0xc0]);
  });
});

const SHAPE: LlamaShape = { name: 'bf16-tiny', vocabSize: 300, hidden: 40, layers: 2, heads: 4, kvHeads: 2, ffn: 72, ropeTheta: 10000, rmsEps: 1e-5, contextLength: 64 };
const TOKENS = [1, 7, 3, 12, 5, 9, 2, 250];

/** Load and run as runModel does, with this file's tokens and load options. */
const logits = (b: Backend, file: WeightFile, config: Parameters<typeof runModel>[2]) => runModel(b, file, config, { tokens: TOKENS,  load: { ropeStyle: 'interleaved', contextLength: 64 } });

describe('GGUF with BF16 tensors', () => {
  it('matrices upload as bf16 (tied embedding included), norms f32; logits == the same file as f32 (wasm, reference)', async () => {
    const vocab = buildBpeVocab('the quick brown fox jumps over the lazy dog. '.repeat(30), SHAPE.vocabSize, ['<|endoftext|>']);
    const plan = llamaGgufPlan(SHAPE, 'BF16', vocab);
    const g = await GgufFile.open(writeGguf(plan.metadata, plan.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, data: t.make() }))), 'bf16-tiny.gguf');
    expect(g.info('blk.0.ffn_up.weight').type.id).toBe(30);
    const { config } = ggufLlamaConfig(g);
    const file = new GgufWeights(g);
    const wasm = await WasmBackend.create();
    const outs: Float32Array[] = [];
    for (const b of [wasm, new ReferenceBackend()] as Backend[]) {
      const half = await logits(b, file, config);
      for (const [n, d] of half.dtypes) expect(`${n} ${d}`).toBe(`${n} ${n.endsWith('norm.weight') ? 'f32' : 'bf16'}`);
      expect(half.dtypes.some(([n]) => n === 'model.embed_tokens.weight')).toBe(true);
      const full = await logits(b, asF32(file), config);
      if (b.name === 'wasm') expect(half.bytes / full.bytes).toBeLessThan(0.6);
      const scale = Math.max(...full.out.map(Math.abs));
      let d = 0;
      half.out.forEach((v, i) => (d = Math.max(d, Math.abs(v - full.out[i]))));
      expect(half.out.every(Number.isFinite)).toBe(true);
      expect(d / scale, `${b.name}: bf16 vs f32 logits`).toBeLessThan(b.name === 'reference' ? 1e-12 : 2e-5);
      outs.push(half.out);
    }
    let d = 0;
    outs[0].forEach((v, i) => (d = Math.max(d, Math.abs(v - outs[1][i]))));
    expect(d).toBeLessThan(1e-3);
    wasm.dispose();
  });
});
