import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { generate, generateStream } from '../../src/engine/generate.ts';
import { ByteTokenizer } from '../../src/engine/tokenizer.ts';
import { isSparrowError } from '../../src/errors.ts';
import { loadSafetensorsModel } from '../../src/models/load.ts';
import type { CausalLM } from '../../src/models/types.ts';

const DIR = 'test/fixtures/models/rwkv4-tiny';
const man = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8'));
const prompt: number[] = man.inputs.seq17.token_ids;
const golden: number[] = man.generation.generated_token_ids;
const tok = new ByteTokenizer();
let model: CausalLM;

beforeAll(async () => {
  model = await loadSafetensorsModel(new ReferenceBackend(), readFileSync(join(DIR, 'config.json'), 'utf8'), readFileSync(join(DIR, 'model.safetensors')));
});

describe('generate', () => {
  it('greedy decoding reproduces the Hugging Face continuation and streams every token', async () => {
    const streamed: number[] = [];
    const r = await generate(model, prompt, { maxTokens: 32, onToken: (t) => streamed.push(t) }, tok);
    expect(r.tokens).toEqual(golden);
    expect(streamed).toEqual(golden);
    expect(r.finishReason).toBe('length');
    expect(r.promptTokens).toBe(17);
    expect(r.text).toBe(tok.decode(golden));
    expect(model.backend.memoryBytes()).toBe(model.weightBytes()); // state and scratch freed
  });

  it('stops at a stop token (not emitted) and at a stop string (text cut before it)', async () => {
    const r1 = await generate(model, prompt, { maxTokens: 32, stopTokens: [golden[5]] }, tok);
    expect(r1.tokens).toEqual(golden.slice(0, 5));
    expect(r1.finishReason).toBe('eos');
    const stop = tok.decode(golden.slice(7, 9));
    const r2 = await generate(model, prompt, { maxTokens: 32, stop: [stop] }, tok);
    expect(r2.finishReason).toBe('stop');
    expect(r2.text).toBe(tok.decode(golden).slice(0, tok.decode(golden).indexOf(stop)));
  });

  it('same seed → same sampled tokens; a different seed differs', async () => {
    const o = { maxTokens: 24, temperature: 1.2, topP: 0.95 };
    const a = await generate(model, prompt, { ...o, seed: 11 });
    const b = await generate(model, prompt, { ...o, seed: 11 });
    const c = await generate(model, prompt, { ...o, seed: 12 });
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens).not.toEqual(c.tokens);
    expect(a.tokens).not.toEqual(golden.slice(0, 24));
  });

  it('an AbortSignal cancels with ABORTED, before or during decoding', async () => {
    const pre = new AbortController();
    pre.abort();
    await expect(generate(model, prompt, { signal: pre.signal })).rejects.toSatisfy((e: unknown) => isSparrowError(e, 'ABORTED'));
    const ac = new AbortController();
    const seen: number[] = [];
    await expect(
      generate(model, prompt, {
        maxTokens: 32,
        signal: ac.signal,
        onToken: (t) => {
          seen.push(t);
          if (seen.length === 3) ac.abort();
        },
      }),
    ).rejects.toSatisfy((e: unknown) => isSparrowError(e, 'ABORTED'));
    expect(seen).toEqual(golden.slice(0, 3));
    expect(model.backend.memoryBytes()).toBe(model.weightBytes());
  });

  it('a timer (like a Stop message to a worker) can abort a running generation', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    setTimeout(() => ac.abort(), 20);
    await expect(generate(model, prompt, { maxTokens: 5000, signal: ac.signal, onToken: (t) => seen.push(t) })).rejects.toSatisfy((e: unknown) => isSparrowError(e, 'ABORTED'));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(5000);
  });

  it('generateStream yields the same tokens and can be left early', async () => {
    const got: number[] = [];
    for await (const ev of generateStream(model, prompt, { maxTokens: 10 }, tok)) got.push(ev.token);
    expect(got).toEqual(golden.slice(0, 10));
    const early: number[] = [];
    for await (const ev of generateStream(model, prompt, { maxTokens: 32 })) {
      early.push(ev.token);
      if (early.length === 4) break;
    }
    expect(early).toEqual(golden.slice(0, 4));
    expect(model.backend.memoryBytes()).toBe(model.weightBytes());
  });

  it('rejects bad prompts and options with typed errors', async () => {
    await expect(generate(model, [])).rejects.toSatisfy((e: unknown) => isSparrowError(e, 'INVALID_ARGUMENT'));
    await expect(generate(model, [300])).rejects.toSatisfy((e: unknown) => isSparrowError(e, 'INDEX_OUT_OF_RANGE'));
    await expect(generate(model, [1], { maxTokens: -1 })).rejects.toSatisfy((e: unknown) => isSparrowError(e, 'INVALID_ARGUMENT'));
    await expect(generate(model, [1], { stop: ['x'] })).rejects.toSatisfy((e: unknown) => isSparrowError(e, 'INVALID_ARGUMENT'));
    await expect(generate(model, [1], { temperature: -2 })).rejects.toSatisfy((e: unknown) => isSparrowError(e, 'INVALID_ARGUMENT'));
  });
});
