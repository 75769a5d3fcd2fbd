/**
 * Tiny random models of the three architectures the Llama model runs (llama, qwen2, qwen3) and of
 * Gemma 3 and Gemma 2, as GGUF files from the synthetic-model writer, with a byte-level BPE vocabulary whose
 * merges include numbers (so pre-tokenizers that split digits differently give different tokens;
 * the Gemmas get it SentencePiece-style). The embedding has standard deviation 1, so next-token
 * distributions are sharp: a wrong block changes the top tokens, not just the third decimal of a
 * near-uniform distribution.
 */
import { writeGguf } from '../../src/formats/gguf-writer.ts';
import { parseMambaConfig } from '../../src/formats/hf-config.ts';
import { mambaGgufPlan, type MambaGgufType } from '../../src/formats/mamba-gguf.ts';
import { mamba2GgufPlan, type Mamba2GgufType, type Mamba2Shape } from '../../src/formats/mamba2-gguf.ts';
import { rwkv7GgufPlan, type Rwkv7GgufType, type Rwkv7Shape, type Rwkv7Vocab } from '../../src/formats/rwkv7-gguf.ts';
import { buildBpeVocab, type BpeVocab } from '../../src/formats/synthetic-bpe.ts';
import { llamaGgufPlan, mambaPlan, type LlamaGgufType, type LlamaShape, type MambaShape } from '../../src/formats/synthetic-models.ts';

export const TINY_ARCHS = ['llama', 'qwen2', 'qwen3'] as const;
/** The Llama model's architectures, and gemma3 / gemma2 (the Gemma model). */
export type TinyArch = (typeof TINY_ARCHS)[number] | 'gemma3' | 'gemma2' | 'lfm2' | 'granite' | 'granitehybrid' | 'smollm3' | 'falcon-h1' | 'qwen35' | 'ernie4_5' | 'phi3' | 'exaone';

/**
 * Gemma 3 in small: six layers, so that llama.cpp's default pattern makes layers 0–4 sliding-window
 * (local) and layer 5 global; a window of 8 positions, shorter than the prompts; head dim 32, not
 * hidden / heads (16), as Gemma's 256 is not 1152 / 4; local RoPE base 10000, global 1e6; the
 * vocabulary SentencePiece-style with BOS and no space prefix, as Gemma's converter writes it.
 */
const GEMMA3_TINY: Partial<LlamaShape> = { layers: 6, headDim: 32, slidingWindow: 8, ropeTheta: 1_000_000, spm: true };

/**
 * Gemma 2 in small: four layers, so that llama.cpp's fixed pattern makes 0 and 2 sliding-window
 * layers and 1 and 3 global; a window of 8 positions; head dim 32; one RoPE base (10000); soft-caps
 * small enough to bend this model's numbers (Gemma 2's 50 and 30 would leave scores of ~1 and logits
 * of ~15 nearly untouched): attention 1.5, final 8.
 */
const GEMMA2_TINY: Partial<LlamaShape> = { layers: 4, headDim: 32, slidingWindow: 8, spm: true, attnSoftcap: 1.5, finalSoftcap: 8 };

/**
 * LFM2 in small: four layers, the third attention (GQA, q / k norms) and the others gated short
 * convolutions of length 3, as LFM2-350M mixes them; Llama 3's split ('lfm2').
 */
const LFM2_TINY: Partial<LlamaShape> = { layers: 4, shortConv: { layers: [true, true, false, true], kernel: 3 }, ropeTheta: 1_000_000 };

/**
 * Granite in small: Granite's four multipliers, far enough from 1 that dropping any changes the top
 * tokens (Granite 3.3 2B: embedding 12, residual 0.22, attention 1/64, logit 8).
 */
const GRANITE_TINY: Partial<LlamaShape> = { granite: { embedding: 3, residual: 0.4, attention: 0.09, logit: 2.5 }, embedSd: 0.3 };

/**
 * Granite 4.0-H in small: four layers, the third attention without RoPE (GQA) and the others Mamba-2
 * mixers (inner 128 = 2 × hidden, 8 SSM heads of 16, state 16, conv 4), as Granite-4.0-H-350M mixes
 * them; Granite's multipliers as in GRANITE_TINY.
 */
const GRANITEH_TINY: Partial<LlamaShape> = { ...GRANITE_TINY, layers: 4, mamba2: { layers: [true, true, false, true], stateSize: 16, headDim: 16, convKernel: 4 }, noRope: true };

/**
 * Falcon-H1 in small: three layers, each attention (GQA, RoPE) beside a Mamba-2 mixer of 96 channels
 * (not 2 × hidden, as Falcon-H1's mamba_d_ssm: 6 SSM heads of 16, state 16, conv 4), Llama 3's split.
 */
const FALCONH1_TINY: Partial<LlamaShape> = { layers: 3, mamba2: { layers: [true, true, true], stateSize: 16, headDim: 16, convKernel: 4, inner: 96 } };

/**
 * Qwen3.5 in small: four layers, the first three Gated DeltaNet (2 q / k heads tiled over 4 value heads
 * of 16, conv 4), the fourth gated attention (4 heads of 32, 2 KV heads, q / k norms) with RoPE on 8 of
 * each head's 32 dims, as Qwen3.5 rotates 64 of 256.
 */
const QWEN35_TINY: Partial<LlamaShape> = { layers: 4, headDim: 32, rotaryDim: 8, gatedDeltaNet: { layers: [true, true, true, false], kHeads: 2, vHeads: 4, headDim: 16, convKernel: 4 } };

/**
 * Phi-3 / Phi-4-mini in small: RoPE on 12 of each head's 16 dims (Phi-4-mini: 96 of 128), LongRoPE
 * divisors far from 1 (so the short / long choice shows), the magnitude 1.19 (Phi-4-mini's
 * √(1 + ln 32 / ln 4096)); the original context 4096 (longer than the tiny context: the short
 * factors are used; PHI3_LONG_CONTEXT below makes it shorter). Not named "…phi3…": llama.cpp sets
 * Phi-3 token attributes by general.name and then wants `</s>`, `<unk>`, `<s>` in the vocabulary.
 */
const PHI3_TINY: Partial<LlamaShape> = {
  name: 'tiny-phi4-mini',
  rotaryDim: 12,
  longRope: { attnFactor: 1.19, originalContext: 4096, long: [1, 1.5, 3, 6, 12, 24], short: [1, 1.1, 1.3, 1.8, 2.5, 4] },
};
/** The same with an original context of 128, shorter than the 256-token contexts of both engines: the long factors. */
export const PHI3_LONG_CONTEXT: Partial<LlamaShape> = { longRope: { ...PHI3_TINY.longRope!, originalContext: 128 } };

// SmolLM3 in small: four layers, so that the fourth (llama.cpp's fixed step of 4) has no RoPE.

export function tinyShape(arch: TinyArch, pre?: string, extra: Partial<LlamaShape> = {}): LlamaShape {
  return {
    name: `tiny-${arch}`, arch, vocabSize: 600, hidden: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 96, ropeTheta: 10000, rmsEps: 1e-6,
    contextLength: 256, embedSd: 0.3, headDim: arch === 'qwen3' ? 32 : undefined, pre,
    ...(arch === 'gemma3' ? GEMMA3_TINY : arch === 'gemma2' ? GEMMA2_TINY : arch === 'lfm2' ? LFM2_TINY : arch === 'granite' ? GRANITE_TINY : arch === 'granitehybrid' ? GRANITEH_TINY : arch === 'smollm3' ? { layers: 4 } : arch === 'falcon-h1' ? FALCONH1_TINY : arch === 'qwen35' ? QWEN35_TINY : arch === 'phi3' ? PHI3_TINY : {}),
    ...extra,
  };
}

const CORPUS = 'In 2024 the 12 kings met 365 days. He said: "it\'s 2024, 12345 and 678!"\n'.repeat(20) + 'the quick brown fox jumps over the lazy dog. '.repeat(30);
export const TINY_VOCAB: BpeVocab = buildBpeVocab(CORPUS, 600, ['<|endoftext|>', '<|im_start|>', '<|im_end|>']);
/**
 * A vocabulary that learned whole cased words ("CamelCaseWord", "McDonald"): a split that keeps them
 * whole (Llama 3's) and one that cuts them at their capitals (GPT-4o's) give different token counts.
 */
export const CASED_VOCAB: BpeVocab = buildBpeVocab(CORPUS + "CamelCaseWord McDonald's XMLHttpRequest ".repeat(40), 600, ['<|endoftext|>', '<|im_start|>', '<|im_end|>']);

/** The GGUF file of a tiny shape; `type` quantizes every matrix, the tied embedding included (norms stay F32). */
export function tinyGguf(s: LlamaShape, vocab: BpeVocab = TINY_VOCAB, type: LlamaGgufType = 'F32'): Uint8Array {
  const plan = llamaGgufPlan(s, type, vocab);
  return writeGguf(plan.metadata, plan.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, data: t.make() })));
}

/** Mamba in small (llama.cpp's `mamba` GGUF, the tiny vocabulary with GPT-2's split): two layers of width 64. */
export const TINY_MAMBA: MambaShape = { name: 'tiny-mamba', vocabSize: 600, hidden: 64, layers: 2, stateSize: 16, convKernel: 4, expand: 2, embedSd: 0.15 };

/** The tiny Mamba as llama.cpp's converter would write it; `type` for its matrices and embedding. */
export function tinyMambaGguf(type: MambaGgufType = 'F32', s: MambaShape = TINY_MAMBA, vocab: BpeVocab = TINY_VOCAB): Uint8Array {
  const hf = mambaPlan(s);
  const plan = mambaGgufPlan(s.name, parseMambaConfig(hf.config), hf.tensors, type, vocab, 'gpt-2');
  return writeGguf(plan.metadata, plan.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, data: t.make() })));
}

/**
 * RWKV-7 in small (llama.cpp's `rwkv7` GGUF): three layers (so the value residual of layers 1 and 2
 * mixes in layer 0's v) of width 64, four heads of 16, low ranks 16 / 16 / 8 / 16, and a head
 * sharp enough that a wrong block changes the top tokens.
 */
export const TINY_RWKV7: Rwkv7Shape = { name: 'tiny-rwkv7', vocabSize: 600, hidden: 64, layers: 3, headSize: 16, ffn: 128, decayRank: 16, iclrRank: 16, valueRank: 8, gateRank: 16, headSd: 0.3 };

export function tinyRwkv7Gguf(type: Rwkv7GgufType = 'F32', s: Rwkv7Shape = TINY_RWKV7, vocab: Rwkv7Vocab = { kind: 'bpe', vocab: TINY_VOCAB, pre: 'gpt-2' }): Uint8Array {
  const plan = rwkv7GgufPlan(s, type, vocab);
  return writeGguf(plan.metadata, plan.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, data: t.make() })));
}

/** Python's repr(bytes)[2:-1], as convert_hf_to_gguf.py's _set_vocab_rwkv_world stores each token. */
export function reprBytes(b: Uint8Array): string {
  const dq = b.includes(0x27) && !b.includes(0x22); // repr switches to double quotes: ' unescaped
  let s = '';
  for (const c of b) {
    if (c === 0x5c) s += '\\\\';
    else if (c === 0x27 && !dq) s += "\\'";
    else if (c === 0x09) s += '\\t';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s;
}

/**
 * An RWKV World-style vocabulary of `size` tokens: id 0 `<s>`, the 256 single bytes, then the
 * corpus' most frequent words and word pieces (with their leading space, newlines, digits,
 * multi-byte UTF-8), stored escaped as the converter stores them.
 */
export function rwkvWorldTokens(size = 600): string[] {
  const enc = new TextEncoder();
  const out: string[] = ['<s>'];
  const seen = new Set<string>();
  const add = (b: Uint8Array) => {
    const r = reprBytes(b);
    if (!seen.has(r) && out.length < size) {
      seen.add(r);
      out.push(r);
    }
  };
  for (let c = 0; c < 256; c++) add(Uint8Array.of(c));
  const text = `${CORPUS} Ünïcödé — “quotes” \\back\\slash it's\n\n`;
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/ ?[\p{L}']+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\n+/gu)) {
    const w = m[0];
    counts.set(w, (counts.get(w) ?? 0) + 1);
    for (let i = 2; i < w.length; i++) counts.set(w.slice(0, i), (counts.get(w.slice(0, i)) ?? 0) + 1);
  }
  for (const [w] of [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) add(enc.encode(w));
  for (let i = out.length; i < size; i++) out.push(`[PAD${i}]`);
  return out;
}

/** Mamba-2 in small (llama.cpp's `mamba2` GGUF): two layers of width 64, 8 heads of 16 channels, state 16. */
export const TINY_MAMBA2: Mamba2Shape = { name: 'tiny-mamba2', vocabSize: 600, hidden: 64, layers: 2, stateSize: 16, convKernel: 4, headDim: 16, embedSd: 0.15 };

export function tinyMamba2Gguf(type: Mamba2GgufType = 'F32', s: Mamba2Shape = TINY_MAMBA2): Uint8Array {
  const plan = mamba2GgufPlan(s, type, TINY_VOCAB);
  return writeGguf(plan.metadata, plan.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, data: t.make() })));
}
