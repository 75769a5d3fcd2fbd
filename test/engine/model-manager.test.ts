/**
 * The chat model manager in Node on the reference backend: a GGUF with a ChatML template renders
 * the conversation through it (prompt ids == tokenizer(template(messages))); stop strings cut the
 * reply exactly where an unstopped run shows them, and the streamed pieces never show a stop
 * string or anything after it; picked-file sets that are not a model get a clear typed error.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { classifyFiles, openModelFiles } from '../../src/engine/model-manager.ts';
import { renderChat } from '../../src/engine/chat-template.ts';
import { tokenizerFromGguf } from '../../src/engine/gguf-tokenizer.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { writeGguf } from '../../src/formats/gguf-writer.ts';
import { buildBpeVocab } from '../../src/formats/synthetic-bpe.ts';
import { llamaGgufPlan, type LlamaShape } from '../../src/formats/synthetic-models.ts';
import { ggufMetadataRecord } from '../../src/models/gguf-weights.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHAPE: LlamaShape = { name: 'chatml-tiny', vocabSize: 320, hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 64, ropeTheta: 10000, rmsEps: 1e-5, contextLength: 256 };
const CORPUS = 'the quick brown fox jumps over the lazy dog. hello world, how are you today? '.repeat(20);

function chatGguf(): Uint8Array {
  const vocab = buildBpeVocab(CORPUS, SHAPE.vocabSize, ['<|endoftext|>', '<|im_start|>', '<|im_end|>']);
  const plan = llamaGgufPlan(SHAPE, 'F32', vocab);
  return writeGguf(plan.metadata, plan.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, data: t.make() })));
}

describe('model manager', () => {
  it('renders the conversation with the GGUF chat template', async () => {
    const bytes = chatGguf();
    const m = await openModelFiles(new ReferenceBackend(), 'reference', [{ name: 'chatml.gguf', blob: new Blob([bytes as BlobPart]) }]);
    expect(m.info).toMatchObject({ family: 'llama', format: 'gguf', chatTemplate: true, vocabSize: 320 });
    const messages = [
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'hi there' },
      { role: 'user', content: 'how are you?' },
    ];
    const tok = tokenizerFromGguf(ggufMetadataRecord(await GgufFile.open(bytes)));
    const want = tok.encode(renderChat(tok.chatTemplate!, messages), { addSpecialTokens: false });
    expect(renderChat(tok.chatTemplate!, messages)).toContain('<|im_start|>assistant\n');
    const r = await m.generate(messages, { maxTokens: 5, temperature: 0, repetitionPenalty: 1 }, () => {});
    expect(r.promptTokens).toBe(want.length);
    expect(want.filter((id) => tok.idToToken(id) === '<|im_start|>')).toHaveLength(4);
    m.dispose();
  });

  it('stop strings cut the reply where the unstopped run shows them; streamed pieces never show them', async () => {
    const files = ['config.json', 'model.safetensors'].map((n) => ({ name: n, blob: new Blob([readFileSync(join(ROOT, 'test/fixtures/models/mamba-tiny', n))]) }));
    const m = await openModelFiles(new ReferenceBackend(), 'reference', files);
    const opts = { maxTokens: 40, temperature: 1, topK: 20, seed: 7 };
    const full = await m.generate([{ role: 'user', content: 'abc' }], opts, () => {});
    expect(full.finishReason).toBe('length');
    // A 2-character stop string taken from the middle of the unstopped reply.
    const at = Math.floor(full.text.length / 2);
    const stop = full.text.slice(at, at + 2);
    const cut = full.text.indexOf(stop);
    let streamed = '';
    const r = await m.generate([{ role: 'user', content: 'abc' }], { ...opts, stop: [stop] }, (d) => {
      streamed += d;
      expect(streamed.includes(stop)).toBe(false);
    });
    expect(r.finishReason).toBe('stop');
    expect(r.text).toBe(full.text.slice(0, cut));
    expect(streamed).toBe(r.text);
    m.dispose();
  });

  it('names what is missing when the picked files are not a model', () => {
    const f = (name: string) => ({ name, blob: new Blob(['x']) });
    expect(() => classifyFiles([f('model.safetensors')])).toThrow(/config\.json \+ one \.safetensors/);
    expect(() => classifyFiles([f('a.gguf'), f('config.json')])).toThrow(/one \.gguf file on its own/);
    expect(classifyFiles([f('config.json'), f('model.safetensors'), f('tokenizer.json')])).toEqual({ format: 'safetensors', name: 'model.safetensors' });
    let caught: unknown;
    try {
      classifyFiles([]);
    } catch (e) {
      caught = e;
    }
    expect((caught as { code?: string } | undefined)?.code).toBe('INVALID_ARGUMENT');
  });
});

describe('model manager progress', () => {
  it('reports bytes read up to the file size, then tensors uploaded ending at done == total', async () => {
    const files = ['config.json', 'model.safetensors'].map((n) => ({ name: n, blob: new Blob([readFileSync(join(ROOT, 'test/fixtures/models/rwkv4-tiny', n))]) }));
    const events: Array<{ phase: string; done: number; total: number }> = [];
    const m = await openModelFiles(new ReferenceBackend(), 'reference', files, (p) => events.push({ ...p }));
    const reads = events.filter((e) => e.phase === 'read');
    const uploads = events.filter((e) => e.phase === 'upload');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((e) => e.done <= e.total)).toBe(true);
    expect(uploads.length).toBeGreaterThan(1);
    // Reading (headers) comes before uploading; upload counts only grow; the last one is complete.
    expect(events.findIndex((e) => e.phase === 'upload')).toBeGreaterThan(events.findIndex((e) => e.phase === 'read'));
    for (let i = 1; i < uploads.length; i++) expect(uploads[i].done).toBeGreaterThanOrEqual(uploads[i - 1].done);
    const last = uploads[uploads.length - 1];
    expect(last.done).toBe(last.total);
    expect(last.done).toBe(uploads.length - 1);
    m.dispose();
  });
});
