/**
 * npm run gen:models — write randomly initialised, full-size models into models/generated/
 * (git-ignored), streaming tensor by tensor (no file is ever held in memory whole):
 *   smollm2-135m-random.{F16,Q8_0,Q4_0}.gguf  SmolLM2-135M shape, llama.cpp layout, real BPE vocab
 *   mamba-130m-random/{config.json,model.safetensors,tokenizer.json}  Mamba-130M shape, HF layout (F32)
 * Options: --out DIR, --only llama|mamba, --types F16,Q8_0,Q4_0, --corpus FILE (BPE training text).
 * No downloads: the vocabulary is learned from the repo's text corpus (data/text) and padded with
 * synthetic merges; weights come from a seeded PRNG.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ggufLayout } from '../src/formats/gguf-writer.ts';
import { safetensorsHeader } from '../src/formats/safetensors.ts';
import { buildBpeVocab } from '../src/formats/synthetic-bpe.ts';
import { ggufTokenizerJson } from '../src/engine/gguf-tokenizer.ts';
import { MAMBA_130M, SMOLLM2_135M, llamaGgufPlan, mambaPlan, type LlamaGgufType, type LlamaShape, type MambaShape } from '../src/formats/synthetic-models.ts';

export const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

/** BPE training text: --corpus, else the repo's corpus (data/text), else README.md, else a pangram. */
export function corpusText(path: string | undefined): string {
  for (const p of [path, 'data/text/tinyshakespeare.txt', 'README.md'].filter(Boolean) as string[]) if (existsSync(p)) return readFileSync(p, 'utf8');
  return 'the quick brown fox jumps over the lazy dog. '.repeat(100);
}

function writeAll(fd: number, b: Uint8Array): void {
  for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
}

export function writeLlamaGguf(path: string, shape: LlamaShape, type: LlamaGgufType, corpus: string): number {
  const vocab = buildBpeVocab(corpus, shape.vocabSize, SPECIALS);
  const plan = llamaGgufPlan(shape, type, vocab);
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

function main(): void {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: 'models/generated' }, only: { type: 'string' }, types: { type: 'string', default: 'F16,Q8_0,Q4_0' }, corpus: { type: 'string' } },
  });
  const out = values.out!;
  mkdirSync(out, { recursive: true });
  if (values.only !== 'mamba') {
    const corpus = corpusText(values.corpus);
    for (const type of values.types!.split(',') as LlamaGgufType[]) {
      const t0 = performance.now();
      const path = join(out, `${SMOLLM2_135M.name}.${type}.gguf`);
      const bytes = writeLlamaGguf(path, SMOLLM2_135M, type, corpus);
      console.log(`wrote ${path} (${(bytes / 2 ** 20).toFixed(1)} MiB, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }
  if (values.only !== 'llama') {
    const t0 = performance.now();
    const dir = join(out, MAMBA_130M.name);
    const bytes = writeMamba(dir, MAMBA_130M, corpusText(values.corpus), 50277);
    console.log(`wrote ${dir}/ (${(bytes / 2 ** 20).toFixed(1)} MiB, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
