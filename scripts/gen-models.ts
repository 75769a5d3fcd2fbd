/**
 * npm run gen:models — write randomly initialised, full-size models into models/generated/
 * (git-ignored), streaming tensor by tensor (no file is ever held in memory whole):
 *   smollm2-135m-random.{F16,Q8_0,Q4_0}.gguf  SmolLM2-135M shape, llama.cpp layout, real BPE vocab
 *   mamba-130m-random/{config.json,model.safetensors,tokenizer.json}  Mamba-130M shape, HF layout (F32)
 *   mamba-130m-random.{type}.gguf  (--only mamba) the same model in llama.cpp's mamba GGUF (e.g. --types Q8_0,F16)
 *   lfm2-350m-random.{type}.gguf  (--only lfm2) LFM2-350M shape: short-convolution and attention layers
 *   granite4-h-350m-random.{type}.gguf  (--only granite-h) a Granite-4.0-H-350M-like shape: Mamba-2 and NoPE attention layers
 *   falcon-h1-tiny-random.{type}.gguf  (--only falcon-h1) a Falcon-H1-Tiny-90M-like shape: attention beside Mamba-2 in every layer
 *   qwen3.5-0.8b-random.{type}.gguf  (--only qwen35) a Qwen3.5-0.8B-like shape: Gated DeltaNet and gated attention layers
 *   mamba2-130m-random.{type}.gguf  (--only mamba2) state-spaces/mamba2-130m shape, llama.cpp's mamba2 GGUF
 *   rwkv7-0.1b-random.{type}.gguf  (--only rwkv7) RWKV7-World-0.1B shape, llama.cpp's rwkv7 GGUF (e.g. --types Q8_0,F16)
 *   qwen2.5-0.5b-random.{type}.gguf  (--only qwen) Qwen2.5-0.5B shape, qwen2 architecture
 *   gemma3-1b-random.{type}.gguf  (--only gemma3) Gemma-3-1B shape, SentencePiece vocabulary (e.g. --types Q8_0)
 *   gemma2-2b-random.{type}.gguf  (--only gemma2) Gemma-2-2B shape, soft-capping (e.g. --types Q4_0)
 *   llama3.2-1b-random.{type}.gguf  (--only llama32) Llama-3.2-1B shape, Llama 3 RoPE scaling (e.g. --types Q4_K_M)
 * Options: --out DIR, --only llama|qwen|qwen35|llama32|gemma3|gemma2|lfm2|granite-h|falcon-h1|mamba|mamba2|rwkv7, --types F16,Q8_0,Q4_0, --corpus FILE (BPE training text).
 * No downloads: the vocabulary is learned from the repo's text corpus (data/text) and padded with
 * synthetic merges; weights come from a seeded PRNG.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ggufLayout } from '../src/formats/gguf-writer.ts';
import { safetensorsHeader } from '../src/formats/safetensors.ts';
import { buildBpeVocab, padVocab } from '../src/formats/synthetic-bpe.ts';
import type { GgufKV } from '../src/formats/gguf.ts';
import { parseMambaConfig } from '../src/formats/hf-config.ts';
import { mambaGgufPlan, type MambaGgufType } from '../src/formats/mamba-gguf.ts';
import { RWKV7_01B, rwkv7GgufPlan, type Rwkv7GgufType, type Rwkv7Shape } from '../src/formats/rwkv7-gguf.ts';
import { MAMBA2_130M, mamba2GgufPlan, type Mamba2GgufType, type Mamba2Shape } from '../src/formats/mamba2-gguf.ts';
import { ggufTokenizerJson } from '../src/engine/gguf-tokenizer.ts';
import { FALCON_H1_TINY, QWEN35_08B, GEMMA2_2B, GEMMA3_1B, GRANITE4_H_350M, LFM2_350M, LLAMA32_1B, MAMBA_130M, QWEN25_05B, SMOLLM2_135M, llamaGgufPlan, mambaPlan, type GgufTensorPlan, type LlamaGgufType, type LlamaShape, type MambaShape } from '../src/formats/synthetic-models.ts';

export const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

/** BPE training text: --corpus, else the repo's corpus (data/text), else README.md, else a pangram. */
export function corpusText(path: string | undefined): string {
  for (const p of [path, 'data/text/tinyshakespeare.txt', 'README.md'].filter(Boolean) as string[]) if (existsSync(p)) return readFileSync(p, 'utf8');
  return 'the quick brown fox jumps over the lazy dog. '.repeat(100);
}

function writeAll(fd: number, b: Uint8Array): void {
  for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
}

/** The largest vocabulary buildBpeVocab learns (its pair keys are 16-bit). */
const MAX_BPE_VOCAB = 65536;

export function writeLlamaGguf(path: string, shape: LlamaShape, type: LlamaGgufType, corpus: string): number {
  const vocab = padVocab(buildBpeVocab(corpus, Math.min(shape.vocabSize, MAX_BPE_VOCAB), SPECIALS), shape.vocabSize);

  return writeGgufPlan(path, llamaGgufPlan(shape, type, vocab));
}

/**
 * A Mamba in llama.cpp's `mamba` GGUF (as convert_hf_to_gguf.py writes it from the HF folder that
 * writeMamba makes): the same weights, `type` for the matrices, the same vocabulary (tokenVocab
 * tokens, padded to the embedding's rows).
 */
export function writeMambaGguf(path: string, shape: MambaShape, type: MambaGgufType, corpus: string, tokenVocab = shape.vocabSize): number {
  const hf = mambaPlan(shape);
  const vocab = buildBpeVocab(corpus, Math.min(tokenVocab, shape.vocabSize, MAX_BPE_VOCAB), NEOX_SPECIALS);
  return writeGgufPlan(path, mambaGgufPlan(shape.name, parseMambaConfig(hf.config), hf.tensors, type, vocab, 'gpt-2'));
}

/** An RWKV-7 in llama.cpp's rwkv7 GGUF, with a byte-level BPE vocabulary (GPT-2's split) of the shape's size. */
export function writeRwkv7Gguf(path: string, shape: Rwkv7Shape, type: Rwkv7GgufType, corpus: string): number {
  const vocab = padVocab(buildBpeVocab(corpus, Math.min(shape.vocabSize, MAX_BPE_VOCAB), SPECIALS), shape.vocabSize);
  return writeGgufPlan(path, rwkv7GgufPlan(shape, type, { kind: 'bpe', vocab, pre: 'gpt-2' }));
}

/** A Mamba-2 in llama.cpp's mamba2 GGUF, with a byte-level BPE vocabulary (GPT-2's split) padded to the embedding's rows. */
export function writeMamba2Gguf(path: string, shape: Mamba2Shape, type: Mamba2GgufType, corpus: string, tokenVocab = shape.vocabSize): number {
  const vocab = padVocab(buildBpeVocab(corpus, Math.min(tokenVocab, shape.vocabSize, MAX_BPE_VOCAB), NEOX_SPECIALS), shape.vocabSize, 5);
  return writeGgufPlan(path, mamba2GgufPlan(shape, type, vocab));
}

/** Stream a GGUF plan to `path`, tensor by tensor. */
function writeGgufPlan(path: string, plan: { metadata: [string, GgufKV][]; tensors: GgufTensorPlan[] }): number {
  const layout = ggufLayout(plan.metadata, plan.tensors);
  const fd = openSync(path, 'w');
  try {
    writeAll(fd, layout.header);
    plan.tensors.forEach((t, i) => {
      const data = t.make();
      if (data.length !== layout.tensors[i].byteLength) throw new Error(`${t.name}: ${data.length} bytes, layout says ${layout.tensors[i].byteLength}`);
      writeAll(fd, data);
      if (layout.tensors[i].padAfter) writeAll(fd, new Uint8Array(layout.tensors[i].padAfter));
    });
  } finally {
    closeSync(fd);
  }
  return layout.totalBytes;
}

/** GPT-NeoX's special tokens, as Mamba's tokenizer has them (ids 0 and 1). */
export const NEOX_SPECIALS = ['<|endoftext|>', '<|padding|>'];

/**
 * Mamba folder: config.json, model.safetensors (F32) and, given a corpus, a byte-level BPE
 * tokenizer.json + tokenizer_config.json (tokenVocab tokens; the embedding is padded beyond it,
 * as Mamba-130M pads 50277 to 50280).
 */
export function writeMamba(dir: string, shape: MambaShape, corpus?: string, tokenVocab = shape.vocabSize): number {
  const plan = mambaPlan(shape);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(plan.config, null, 2) + '\n');
  if (corpus !== undefined) {
    const v = buildBpeVocab(corpus, Math.min(tokenVocab, shape.vocabSize), NEOX_SPECIALS);
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(ggufTokenizerJson({ model: 'gpt2', tokens: v.tokens, tokenTypes: v.tokenTypes, merges: v.merges })));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', pad_token: '<|padding|>', unk_token: '<|endoftext|>', add_bos_token: false }, null, 2) + '\n');
  }
  const tensors = [...plan.tensors].sort((a, b) => (a.name < b.name ? -1 : 1)); // save_pretrained order
  const { header, slots, dataBytes } = safetensorsHeader(tensors.map((t) => ({ name: t.name, dtype: 'F32' as const, shape: t.shape })), { format: 'pt' });
  const fd = openSync(join(dir, 'model.safetensors'), 'w');
  try {
    writeAll(fd, header);
    tensors.forEach((t, i) => {
      const f = t.make();
      writeAll(fd, new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
      if (slots[i] > f.byteLength) writeAll(fd, new Uint8Array(slots[i] - f.byteLength));
    });
  } finally {
    closeSync(fd);
  }
  return header.length + dataBytes;
}

/** Write one file per entry of `types` (`write` returns its bytes) and say what was written. */
function writeEach<T extends string>(types: string, each: (type: T) => { path: string; write: () => number }): void {
  for (const type of types.split(',') as T[]) {
    const t0 = performance.now();
    const { path, write } = each(type);
    const bytes = write();
    console.log(`wrote ${path} (${(bytes / 2 ** 20).toFixed(1)} MiB, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

function main(): void {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: 'models/generated' }, only: { type: 'string' }, types: { type: 'string', default: 'F16,Q8_0,Q4_0' }, corpus: { type: 'string' } },
  });
  const out = values.out!;
  const types = values.types!;
  const known = ['llama', 'qwen', 'qwen35', 'llama32', 'gemma3', 'gemma2', 'lfm2', 'granite-h', 'falcon-h1', 'mamba', 'mamba2', 'rwkv7'];
  if (values.only !== undefined && !known.includes(values.only)) throw new Error(`gen:models: --only ${values.only}: expected one of ${known.join(', ')}`);
  mkdirSync(out, { recursive: true });
  const corpus = corpusText(values.corpus);
  const gguf = (name: string, type: string) => join(out, `${name}.${type}.gguf`);
  if (values.only === 'mamba2') {
    writeEach<Mamba2GgufType>(types, (t) => ({ path: gguf(MAMBA2_130M.name, t), write: () => writeMamba2Gguf(gguf(MAMBA2_130M.name, t), MAMBA2_130M, t, corpus, 50277) }));
    return;
  }
  if (values.only === 'rwkv7') {
    writeEach<Rwkv7GgufType>(types, (t) => ({ path: gguf(RWKV7_01B.name, t), write: () => writeRwkv7Gguf(gguf(RWKV7_01B.name, t), RWKV7_01B, t, corpus) }));
    return;
  }
  // --only llama | qwen | llama32 | gemma3 | gemma2 | mamba; without it SmolLM2 and Mamba (the larger
  // shapes are opt-in: 0.3–2.5 GB a file)
  const llamas: Record<string, LlamaShape> = { qwen: QWEN25_05B, llama32: LLAMA32_1B, gemma3: GEMMA3_1B, gemma2: GEMMA2_2B, lfm2: LFM2_350M, 'granite-h': GRANITE4_H_350M, 'falcon-h1': FALCON_H1_TINY, qwen35: QWEN35_08B, llama: SMOLLM2_135M };
  const shape = values.only === undefined ? SMOLLM2_135M : llamas[values.only];
  if (shape) writeEach<LlamaGgufType>(types, (t) => ({ path: gguf(shape.name, t), write: () => writeLlamaGguf(gguf(shape.name, t), shape, t, corpus) }));
  if (values.only === undefined || values.only === 'mamba') {
    const dir = join(out, MAMBA_130M.name);
    writeEach('folder', () => ({ path: `${dir}/`, write: () => writeMamba(dir, MAMBA_130M, corpus, 50277) }));
  }
  // --only mamba also writes the same model as llama.cpp GGUF files, one per --types entry
  if (values.only === 'mamba') {
    writeEach<MambaGgufType>(types, (t) => ({ path: gguf(MAMBA_130M.name, t), write: () => writeMambaGguf(gguf(MAMBA_130M.name, t), MAMBA_130M, t, corpus, 50277) }));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
