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
import { kv, writeGguf } from '../../src/formats/gguf-writer.ts';
import { buildBpeVocab } from '../../src/formats/synthetic-bpe.ts';
import { llamaGgufPlan, type LlamaShape } from '../../src/formats/synthetic-models.ts';
import { ggufMetadataRecord } from '../../src/models/gguf-weights.ts';
import { rwkvWorldTokens, tinyGguf, tinyMambaGguf, tinyRwkv7Gguf, tinyShape } from '../helpers/tiny-llamas.ts';

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

  it('enableThinking reaches the template as enable_thinking (Qwen3 / 3.5 style): false adds the empty reasoning block, absent leaves the template default', async () => {
    const g = GgufFile.openSync(chatGguf());
    const template = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n{% endif %}{% endif %}";
    const kvs = [...g.metadata].map(([k, v]) => [k, k === 'tokenizer.chat_template' ? kv.str(template) : v] as [string, typeof v]);
    const bytes = writeGguf(kvs, [...g.tensors.values()].map((x) => ({ name: x.name, type: x.type.name, ne: x.ne, data: g.rawSync(x.name) })));
    const m = await openModelFiles(new ReferenceBackend(), 'reference', [{ name: 'think.gguf', blob: new Blob([bytes as BlobPart]) }]);
    const tok = tokenizerFromGguf(ggufMetadataRecord(GgufFile.openSync(bytes)));
    const messages = [{ role: 'user', content: 'hello' }];
    const count = (enableThinking?: boolean) => tok.encode(renderChat(template, messages, { enableThinking }), { addSpecialTokens: false }).length;
    expect(renderChat(template, messages, { enableThinking: false })).toMatch(/assistant\n<think>\n\n<\/think>\n\n$/);
    expect(renderChat(template, messages)).toMatch(/assistant\n$/);
    const greedy = { maxTokens: 1, temperature: 0 };
    expect((await m.generate(messages, { ...greedy, enableThinking: false }, () => {})).promptTokens).toBe(count(false));
    expect((await m.generate(messages, greedy, () => {})).promptTokens).toBe(count());
    expect(count(false)).toBeGreaterThan(count());
    await expect(m.generate(messages, { ...greedy, enableThinking: 'false' as unknown as boolean }, () => {})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
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

describe('model manager: multi-turn context', () => {
  const GREEDY = { temperature: 0, repetitionPenalty: 1 };
  const chatml = () => openModelFiles(new ReferenceBackend(), 'reference', [{ name: 'chatml.gguf', blob: new Blob([chatGguf() as BlobPart]) }]);
  const tok = async () => tokenizerFromGguf(ggufMetadataRecord(await GgufFile.open(chatGguf())));
  const ids = (t: Awaited<ReturnType<typeof tok>>, messages: Array<{ role: string; content: string }>) => t.encode(renderChat(t.chatTemplate!, messages), { addSpecialTokens: false });
  const prefix = (a: number[], b: number[]) => {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return i;
  };

  it('a reply continues from the previous reply’s KV cache and says what a fresh run says', async () => {
    const m = await chatml();
    const fresh = await chatml();
    const t = await tok();
    const turn1 = [{ role: 'user', content: 'hello world' }];
    const r1 = await m.generate(turn1, { ...GREEDY, maxTokens: 12 }, () => {});
    expect(r1.reusedTokens).toBe(0);
    const turn2 = [...turn1, { role: 'assistant', content: r1.text }, { role: 'user', content: 'how are you today?' }];
    const r2 = await m.generate(turn2, { ...GREEDY, maxTokens: 12 }, () => {});
    const f2 = await fresh.generate(turn2, { ...GREEDY, maxTokens: 12, reuseContext: false }, () => {});
    const p1 = ids(t, turn1);
    const p2 = ids(t, turn2);
    // the first turn's prompt tokens that the second prompt repeats were not run again
    expect(prefix(p1, p2)).toBeGreaterThan(5);
    expect(r2.reusedTokens).toBeGreaterThanOrEqual(prefix(p1, p2));
    expect(r2.promptTokens).toBe(p2.length);
    expect(f2.reusedTokens).toBe(0);
    expect(r2.text).toBe(f2.text);
    expect(r2.tokens).toBe(f2.tokens);
    // the same conversation again: everything but the last prompt token comes from the cache
    const r3 = await m.generate(turn2, { ...GREEDY, maxTokens: 12 }, () => {});
    expect(r3.reusedTokens).toBe(p2.length - 1);
    expect(r3.text).toBe(r2.text);
    m.dispose();
    fresh.dispose();
  });

  it('LFM2 (attention and short-convolution layers): a chat that cannot keep its convolution windows starts afresh and says what a fresh run says', async () => {
    const file = () => [{ name: 'lfm2.gguf', blob: new Blob([tinyGguf(tinyShape('lfm2', 'lfm2')) as BlobPart]) }];
    const m = await openModelFiles(new ReferenceBackend(), 'reference', file());
    expect(m.info).toMatchObject({ family: 'lfm2', format: 'gguf', chatTemplate: true, numLayers: 4 });
    const fresh = await openModelFiles(new ReferenceBackend(), 'reference', file());
    const turn1 = [{ role: 'user', content: 'In 2024 the kings' }];
    const r1 = await m.generate(turn1, { ...GREEDY, maxTokens: 6 }, () => {});
    const turn2 = [...turn1, { role: 'assistant', content: r1.text }, { role: 'user', content: 'the quick brown fox' }];
    for (const turn of [turn2, turn2, turn1]) {
      const r = await m.generate(turn, { ...GREEDY, maxTokens: 6 }, () => {});
      const f = await fresh.generate(turn, { ...GREEDY, maxTokens: 6, reuseContext: false }, () => {});
      expect(r.text).toBe(f.text);
      expect(r.tokens).toBe(f.tokens);
    }
    m.dispose();
    fresh.dispose();
  });

  it('a plain continuation of an RWKV World model starts without BOS, as llama.cpp runs it (the file declares BOS 0)', async () => {
    const bytes = tinyRwkv7Gguf('F32', undefined, { kind: 'rwkv', tokens: rwkvWorldTokens() });
    // the same vocabulary without a chat template: a plain continuation
    const meta = ggufMetadataRecord(await GgufFile.open(bytes));
    expect(meta['tokenizer.ggml.bos_token_id']).toBe(0);
    const g = await GgufFile.open(bytes);
    const kvs = [...g.metadata].filter(([k]) => k !== 'tokenizer.chat_template');
    const plain = writeGguf(kvs, [...g.tensors.values()].map((x) => ({ name: x.name, type: x.type.name, ne: x.ne, data: g.rawSync(x.name) })));
    const m = await openModelFiles(new ReferenceBackend(), 'reference', [{ name: 'rwkv7.gguf', blob: new Blob([plain as BlobPart]) }]);
    const tok = tokenizerFromGguf(ggufMetadataRecord(GgufFile.openSync(plain)));
    const r = await m.generate([{ role: 'user', content: 'the king' }], { ...GREEDY, maxTokens: 1 }, () => {});
    expect(r.promptTokens).toBe(tok.encode('the king').length);
    m.dispose();
  });

  const mambaFiles = () => ['config.json', 'model.safetensors'].map((n) => ({ name: n, blob: new Blob([readFileSync(join(ROOT, 'test/fixtures/models/mamba-tiny', n))]) }));
  /** Models whose state cannot rewind (all the way), each with a first message. */
  const SNAPSHOT_CASES: [string, () => { name: string; blob: Blob }[], string][] = [
    ['mamba', mambaFiles, 'abcdefgh'],
    ['rwkv7', () => [{ name: 'rwkv7.gguf', blob: new Blob([tinyRwkv7Gguf('F32', undefined, { kind: 'rwkv', tokens: rwkvWorldTokens() }) as BlobPart]) }], 'In 2024 the kings'],
    ['lfm2', () => [{ name: 'lfm2.gguf', blob: new Blob([tinyGguf(tinyShape('lfm2', 'lfm2')) as BlobPart]) }], 'In 2024 the kings'],
    ['granitehybrid', () => [{ name: 'granite-h.gguf', blob: new Blob([tinyGguf(tinyShape('granitehybrid', 'dbrx')) as BlobPart]) }], 'In 2024 the kings'],
    ['falcon-h1', () => [{ name: 'falcon-h1.gguf', blob: new Blob([tinyGguf(tinyShape('falcon-h1', 'falcon-h1')) as BlobPart]) }], 'In 2024 the kings'],
    ['qwen35', () => [{ name: 'qwen35.gguf', blob: new Blob([tinyGguf(tinyShape('qwen35', 'qwen35')) as BlobPart]) }], 'In 2024 the kings'],
  ];

  it('Regenerate on a state that cannot rewind (Mamba, RWKV-7, LFM2, Granite 4.0-H, Falcon-H1, Qwen3.5) resumes from the snapshot at the prompt\'s end, and says what a fresh run says', async () => {
    for (const [name, files, text] of SNAPSHOT_CASES) {
      const m = await openModelFiles(new ReferenceBackend(), 'reference', files());
      const fresh = await openModelFiles(new ReferenceBackend(), 'reference', files());
      const turn = [{ role: 'user', content: text }];
      const opts = { maxTokens: 6, temperature: 1, seed: 5 };
      const r1 = await m.generate(turn, opts, () => {});
      expect(r1.reusedTokens, name).toBe(0);
      for (const seed of [6, 7]) {
        // Regenerate: the same prompt, a new draw
        const r = await m.generate(turn, { ...opts, seed }, () => {});
        expect(r.reusedTokens, `${name}: resumed from the snapshot`).toBe(r1.promptTokens - 1);
        const f = await fresh.generate(turn, { ...opts, seed, reuseContext: false }, () => {});
        expect(r.text, name).toBe(f.text);
      }
      m.dispose();
      fresh.dispose();
    }
  });

  it('editing the last message on a state that cannot rewind resumes where that message\'s turn began (the same six models), not from the first token, and says what a fresh run says; Regenerate still resumes at the prompt\'s end', async () => {
    for (const [name, files, text] of SNAPSHOT_CASES) {
      const m = await openModelFiles(new ReferenceBackend(), 'reference', files());
      const fresh = await openModelFiles(new ReferenceBackend(), 'reference', files());
      const opts = { ...GREEDY, maxTokens: 4 };
      const turn1 = [{ role: 'user', content: text }];
      const r1 = await m.generate(turn1, opts, () => {});
      // a template-less model continues the last message alone: the second one extends the first
      const second = (s: string) => [...turn1, { role: 'assistant', content: r1.text }, { role: 'user', content: m.info.chatTemplate ? `the quick ${s} fox` : `${text}ij${s}` }];
      const r2 = await m.generate(second('brown'), opts, () => {});
      expect(r2.reusedTokens, `${name}: the second turn continues the first`).toBeGreaterThan(0);
      // the second message edited: its turn's start is the latest snapshot the new prompt still holds
      const edited = second('red');
      const r3 = await m.generate(edited, opts, () => {});
      expect(r3.reusedTokens, `${name}: resumed where the edited turn began`).toBe(r2.reusedTokens);
      const f3 = await fresh.generate(edited, { ...opts, reuseContext: false }, () => {});
      expect([r3.text, r3.tokens], name).toEqual([f3.text, f3.tokens]);
      const r4 = await m.generate(edited, opts, () => {});
      expect(r4.reusedTokens, `${name}: Regenerate after the edit`).toBe(r3.promptTokens - 1);
      expect(r4.text, name).toBe(f3.text);
      m.dispose();
      fresh.dispose();
    }
  });

  it('a state that cannot rewind keeps at most four snapshots, counted in its memory (Mamba: each one recurrent state)', async () => {
    const m = await openModelFiles(new ReferenceBackend(), 'reference', mambaFiles());
    // each turn extends the last (one more snapshot at its prompt's end); the state's own size is constant
    const bytes: number[] = [];
    let text = 'ab';
    for (let i = 0; i < 7; i++) {
      await m.generate([{ role: 'user', content: text }], { ...GREEDY, maxTokens: 2 }, () => {});
      text += 'cd';
      bytes.push(m.memory().stateBytes);
    }
    const snap = bytes[1] - bytes[0];
    expect(snap).toBeGreaterThan(0);
    expect(bytes).toEqual([0, 1, 2, 3, 3, 3, 3].map((n) => bytes[0] + n * snap));
    m.dispose();
  });

  it('a recurrent state is taken over only when the new prompt extends what it consumed', async () => {
    const files = ['config.json', 'model.safetensors'].map((n) => ({ name: n, blob: new Blob([readFileSync(join(ROOT, 'test/fixtures/models/mamba-tiny', n))]) }));
    const m = await openModelFiles(new ReferenceBackend(), 'reference', files);
    const fresh = await openModelFiles(new ReferenceBackend(), 'reference', files);
    // maxTokens 1: the one reply token is never stepped, so the state holds exactly the prompt
    const r1 = await m.generate([{ role: 'user', content: 'abc' }], { ...GREEDY, maxTokens: 1 }, () => {});
    const r2 = await m.generate([{ role: 'user', content: 'abcdef' }], { ...GREEDY, maxTokens: 8 }, () => {});
    expect(r2.reusedTokens).toBe(r1.promptTokens);
    expect(r2.text).toBe((await fresh.generate([{ role: 'user', content: 'abcdef' }], { ...GREEDY, maxTokens: 8 }, () => {})).text);
    // a prompt that does not extend it: a mamba state cannot go back, so it resumes from the latest
    // snapshot it still holds (the first prompt's end but its last token: 'ab')…
    const r3 = await m.generate([{ role: 'user', content: 'abX' }], { ...GREEDY, maxTokens: 8 }, () => {});
    expect(r3.reusedTokens).toBe(r1.promptTokens - 1);
    expect(r3.text).toBe((await fresh.generate([{ role: 'user', content: 'abX' }], { ...GREEDY, maxTokens: 8, reuseContext: false }, () => {})).text);
    // …or, sharing less than any snapshot, starts afresh
    const r4 = await m.generate([{ role: 'user', content: 'X' }], { ...GREEDY, maxTokens: 8 }, () => {});
    expect(r4.reusedTokens).toBe(0);
    expect(r4.text).toBe((await fresh.generate([{ role: 'user', content: 'X' }], { ...GREEDY, maxTokens: 8, reuseContext: false }, () => {})).text);
    m.dispose();
    fresh.dispose();
  });

  it('a Mamba GGUF (llama.cpp layout) chats like its Hugging Face folder: GGUF tokenizer, recurrent state taken over', async () => {
    const m = await openModelFiles(new ReferenceBackend(), 'reference', [{ name: 'mamba.Q8_0.gguf', blob: new Blob([tinyMambaGguf('Q8_0') as BlobPart]) }]);
    expect(m.info).toMatchObject({ family: 'mamba', format: 'gguf', vocabSize: 600, numLayers: 2, hiddenSize: 64, chatTemplate: false });
    expect(m.info.contextLength).toBeUndefined();
    const fresh = await openModelFiles(new ReferenceBackend(), 'reference', [{ name: 'mamba.Q8_0.gguf', blob: new Blob([tinyMambaGguf('Q8_0') as BlobPart]) }]);
    const r1 = await m.generate([{ role: 'user', content: 'In 2024 the' }], { ...GREEDY, maxTokens: 1 }, () => {});
    const r2 = await m.generate([{ role: 'user', content: 'In 2024 the 12 kings' }], { ...GREEDY, maxTokens: 6 }, () => {});
    expect(r2.reusedTokens).toBe(r1.promptTokens);
    expect(r2.tokens).toBe(6);
    expect(r2.text).toBe((await fresh.generate([{ role: 'user', content: 'In 2024 the 12 kings' }], { ...GREEDY, maxTokens: 6, reuseContext: false }, () => {})).text);
    m.dispose();
    fresh.dispose();
  });

  it('an RWKV-7 GGUF with an RWKV World vocabulary chats through llama.cpp\'s rwkv-world template and takes its state over', async () => {
    const file = () => [{ name: 'rwkv7.gguf', blob: new Blob([tinyRwkv7Gguf('F32', undefined, { kind: 'rwkv', tokens: rwkvWorldTokens() }) as BlobPart]) }];
    const m = await openModelFiles(new ReferenceBackend(), 'reference', file());
    expect(m.info).toMatchObject({ family: 'rwkv7', format: 'gguf', vocabSize: 600, numLayers: 3, hiddenSize: 64, chatTemplate: true });
    const tok = tokenizerFromGguf(ggufMetadataRecord(await GgufFile.open(new Uint8Array(await file()[0].blob.arrayBuffer()))));
    const first = [{ role: 'user', content: 'the king' }];
    const r1 = await m.generate(first, { ...GREEDY, maxTokens: 1 }, () => {});
    expect(r1.promptTokens).toBe(tok.encode('User: the king\n\nAssistant:', { addSpecialTokens: false }).length);
    // the next turn's prompt extends what the state consumed (the one reply token was never stepped)
    const second = [...first, { role: 'assistant', content: r1.text }, { role: 'user', content: 'the fox' }];
    const r2 = await m.generate(second, { ...GREEDY, maxTokens: 4 }, () => {});
    const fresh = await openModelFiles(new ReferenceBackend(), 'reference', file());
    const want = await fresh.generate(second, { ...GREEDY, maxTokens: 4, reuseContext: false }, () => {});
    expect(r2.text).toBe(want.text);
    expect(r2.reusedTokens).toBeGreaterThan(0);
    // streamed piece by piece (a token is a byte string: split UTF-8 is held back until complete)
    const pieces: string[] = [];
    const r3 = await fresh.generate([{ role: 'user', content: 'Ünïcödé' }], { maxTokens: 60, temperature: 1.5, seed: 3 }, (d) => pieces.push(d));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(r3.text);
    expect(pieces.every((p) => !p.includes('\uFFFD')) || r3.text.includes('\uFFFD')).toBe(true);
    m.dispose();
    fresh.dispose();
  });

  it('the oldest turns are left out when the chat outgrows the context (system message kept)', async () => {
    const m = await chatml(); // context 256 tokens
    const t = await tok();
    const system = { role: 'system', content: 'be brief' };
    const turns: Array<{ role: string; content: string }> = [];
    for (let i = 0; i < 12; i++) turns.push({ role: 'user', content: `hello world, how are you today? ${i}` }, { role: 'assistant', content: 'the quick brown fox jumps over the lazy dog.' });
    turns.push({ role: 'user', content: 'hello?' });
    const all = [system, ...turns];
    const maxTokens = 16;
    const room = 256 - maxTokens;
    expect(ids(t, all).length).toBeGreaterThan(room);
    // expected: the most recent whole turns that fit after the system message
    let k = 0;
    while (ids(t, [system, ...turns.slice(k)]).length > room) k += 2;
    const r = await m.generate(all, { ...GREEDY, maxTokens }, () => {});
    expect(r.promptTokens).toBe(ids(t, [system, ...turns.slice(k)]).length);
    expect(r.trimmedTokens).toBe(ids(t, all).length - r.promptTokens);
    m.dispose();
  });

  it('a plain continuation longer than the context keeps its end', async () => {
    const DIR = join(ROOT, 'test/fixtures/models/llama-gqa-tiny'); // byte vocabulary, context 512, BOS 1
    const files = ['config.json', 'model.safetensors'].map((n) => ({ name: n, blob: new Blob([readFileSync(join(DIR, n))]) }));
    const m = await openModelFiles(new ReferenceBackend(), 'reference', files);
    const text = 'the quick brown fox jumps over the lazy dog. '.repeat(20); // 900 bytes
    const r = await m.generate([{ role: 'user', content: text }], { ...GREEDY, maxTokens: 8 }, () => {});
    expect(r.promptTokens).toBe(512 - 8);
    expect(r.trimmedTokens).toBe(text.length + 1 - (512 - 8));
    // the same as asking with only the kept end of the text (BOS + its last 503 bytes)
    const tail = await m.generate([{ role: 'user', content: text.slice(text.length - 503) }], { ...GREEDY, maxTokens: 8, reuseContext: false }, () => {});
    expect(tail.trimmedTokens).toBe(0);
    expect(r.text).toBe(tail.text);
    m.dispose();
  });

  it('a message longer than the whole context is SIZE_LIMIT, and the chat goes on', async () => {
    const m = await chatml();
    const long = 'hello world, how are you today? '.repeat(60);
    await expect(m.generate([{ role: 'user', content: long }], { ...GREEDY, maxTokens: 8 }, () => {})).rejects.toMatchObject({ code: 'SIZE_LIMIT' });
    const r = await m.generate([{ role: 'user', content: 'hello' }], { ...GREEDY, maxTokens: 4 }, () => {});
    expect(r.tokens).toBeGreaterThan(0);
    m.dispose();
  });

  it('a reply that fills the KV cache ends with finishReason "context"', async () => {
    const m = await chatml(); // context 256; maxTokens 300 leaves the prompt 128 tokens
    const r = await m.generate([{ role: 'user', content: 'hello world, how are you today? '.repeat(6) }], { ...GREEDY, maxTokens: 300 }, () => {});
    expect(r.promptTokens).toBeLessThanOrEqual(128);
    expect(r.finishReason).toBe('context');
    // every position of the cache holds a token; the last reply token is output, not stepped
    expect(r.tokens).toBe(256 - r.promptTokens + 1);
    m.dispose();
  });

  it('load options: a shorter context and an f16 KV cache (half the state memory); bad values are INVALID_ARGUMENT', async () => {
    const bytes = chatGguf();
    const open = (o: Record<string, unknown>) => openModelFiles(new ReferenceBackend(), 'reference', [{ name: 'chatml.gguf', blob: new Blob([bytes as BlobPart]) }], undefined, undefined, o);
    const full = await open({});
    const small = await open({ contextLength: 64, kvCache: 'f16' });
    expect(full.info).toMatchObject({ contextLength: 256, kvCache: 'f32' });
    expect(small.info).toMatchObject({ contextLength: 64, kvCache: 'f16' });
    const msgs = [{ role: 'user', content: 'hello world, how are you today? '.repeat(4) }];
    const r = await small.generate(msgs, { ...GREEDY, maxTokens: 8 }, () => {});
    expect(r.promptTokens).toBeLessThanOrEqual(64 - 8);
    // the KV rows: 2 layers × (k, v) × kv heads 2 × head dim 8 — 256 f32 rows against 64 f16 rows
    await full.generate(msgs, { ...GREEDY, maxTokens: 8 }, () => {});
    const rowsBytes = (rows: number, bytes: number) => 2 * 2 * rows * 2 * 8 * bytes;
    expect(full.memory().stateBytes - small.memory().stateBytes).toBeGreaterThanOrEqual(rowsBytes(256, 4) - rowsBytes(64, 2));
    // sparse attention (window 128): the same greedy reply as dense while the chat fits the window
    const sparse = await open({ attention: 'sparse' });
    expect(sparse.info).toMatchObject({ attention: 'sparse' });
    expect(full.info).toMatchObject({ attention: 'dense' });
    const short = [{ role: 'user', content: 'hello world' }];
    const dense1 = await full.generate(short, { ...GREEDY, maxTokens: 12, reuseContext: false }, () => {});
    const sparse1 = await sparse.generate(short, { ...GREEDY, maxTokens: 12 }, () => {});
    expect(dense1.promptTokens + dense1.tokens).toBeLessThan(128);
    expect(sparse1.text).toBe(dense1.text);
    // … and something else once the prompt is longer than the window (the option reaches the model)
    const long = [{ role: 'user', content: 'the quick brown fox jumps over the lazy dog. '.repeat(12) }];
    // (sampled: this random model's greedy reply is one repeated token either way)
    const sampled = { temperature: 1.5, topK: 0, repetitionPenalty: 1, seed: 3, maxTokens: 24, reuseContext: false };
    const dense2 = await full.generate(long, sampled, () => {});
    const sparse2 = await sparse.generate(long, sampled, () => {});
    expect(dense2.promptTokens).toBeGreaterThan(128);
    expect(sparse2.text).not.toBe(dense2.text);
    sparse.dispose();
    for (const bad of [{ contextLength: 8 }, { contextLength: 100.5 }, { kvCache: 'f8' }, { attention: 'flash' }]) {
      await expect(open(bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    full.dispose();
    small.dispose();
    // a recurrent model has no context limit to report
    const files = ['config.json', 'model.safetensors'].map((n) => ({ name: n, blob: new Blob([readFileSync(join(ROOT, 'test/fixtures/models/mamba-tiny', n))]) }));
    const mamba = await openModelFiles(new ReferenceBackend(), 'reference', files, undefined, undefined, { contextLength: 64 });
    expect(mamba.info.contextLength).toBeUndefined();
    mamba.dispose();
  });

  it('two replies at once each run on their own state, and no state is left behind', async () => {
    const b = new ReferenceBackend();
    const m = await openModelFiles(b, 'reference', [{ name: 'chatml.gguf', blob: new Blob([chatGguf() as BlobPart]) }]);
    const ask = (content: string) => m.generate([{ role: 'user', content }], { ...GREEDY, maxTokens: 6 }, () => {});
    const before = b.memoryBytes();
    await ask('hello'); // one state is kept after a reply
    const oneKept = b.memoryBytes();
    expect(oneKept).toBeGreaterThan(before);
    const [r1, r2] = await Promise.all([ask('hello world'), ask('how are you today?')]);
    expect(r1.tokens + r2.tokens).toBeGreaterThan(0);
    expect(b.memoryBytes()).toBe(oneKept); // still exactly one state kept
    m.dispose();
  });
});