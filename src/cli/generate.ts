/** `sparrow generate`: stream a continuation of a text prompt. */
import { SparrowError } from '../errors.ts';
import { renderChat } from '../engine/chat-template.ts';
import { generate } from '../engine/generate.ts';
import { number, parse, required, sparseLayout } from './args.ts';
import { cliBackend } from './backend.ts';
import type { Io } from './main.ts';
import { openModel } from './model-files.ts';

export async function runGenerate(argv: string[], io: Io): Promise<void> {
  const v = parse('generate', argv, {
    model: { type: 'string' },
    prompt: { type: 'string' },
    'max-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    'repetition-penalty': { type: 'string' },
    seed: { type: 'string' },
    stop: { type: 'string', multiple: true },
    chat: { type: 'boolean' },
    system: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    'int8-activations': { type: 'boolean' },
    'sparse-layout': { type: 'string' },
  });
  const prompt = required('generate', v, 'prompt');
  const b = await cliBackend(v.backend as string | undefined, number('generate', v, 'threads', { int: true }), v['int8-activations'] === true);
  try {
    const { model, tokenizer } = await openModel(b, required('generate', v, 'model'), { sparseLayout: sparseLayout('generate', v) });
    if (!tokenizer) throw new SparrowError('UNSUPPORTED', 'generate: this model has no tokenizer (add tokenizer.json to the folder)');
    let text = prompt;
    if (v.chat) {
      // Wrap the prompt as a user turn with the model's chat template (+ the assistant header).
      if (!tokenizer.chatTemplate) throw new SparrowError('UNSUPPORTED', 'generate --chat: this model has no chat template');
      const messages = [...(typeof v.system === 'string' ? [{ role: 'system', content: v.system }] : []), { role: 'user', content: prompt }];
      const tok = (id: number | undefined) => (id === undefined ? '' : (tokenizer.idToToken(id) ?? ''));
      text = renderChat(tokenizer.chatTemplate, messages, { bosToken: tok(tokenizer.bosTokenId), eosToken: tok(tokenizer.eosTokenId) });
    }
    let ids = tokenizer.encode(text);
    if (ids.length === 0 && tokenizer.bosTokenId !== undefined) ids = [tokenizer.bosTokenId];
    const ac = new AbortController();
    const onSigint = () => ac.abort();
    process.once('SIGINT', onSigint);
    let printed = 0;
    try {
      const r = await generate(
        model,
        ids,
        {
          maxTokens: number('generate', v, 'max-tokens', { int: true }) ?? 64,
          temperature: number('generate', v, 'temperature') ?? 0,
          topK: number('generate', v, 'top-k', { int: true }),
          topP: number('generate', v, 'top-p'),
          repetitionPenalty: number('generate', v, 'repetition-penalty'),
          seed: number('generate', v, 'seed', { int: true }),
          stop: v.stop as string[] | undefined,
          signal: ac.signal,
          // Print the newly decoded text; hold back a trailing U+FFFD (a UTF-8 sequence still open).
          onToken: (_t, text) => {
            const stable = text.endsWith('\uFFFD') ? text.slice(0, -1) : text;
            if (stable.length > printed) {
              io.out(stable.slice(printed));
              printed = stable.length;
            }
          },
        },
        tokenizer,
      );
      if (r.text.length > printed) io.out(r.text.slice(printed));
      const tps = r.tokens.length > 1 ? ((r.tokens.length - 1) / r.decodeMs) * 1000 : 0;
      io.err(`\n[${r.tokens.length} tokens, finish: ${r.finishReason}, prompt ${r.promptTokens} tokens in ${r.prefillMs.toFixed(1)} ms, decode ${tps.toFixed(1)} tokens/s, ${b.name}]\n`);
    } finally {
      process.off('SIGINT', onSigint);
    }
  } finally {
    b.dispose();
  }
}
