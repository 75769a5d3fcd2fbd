/** `sparrow logits`: full-sequence logits of a token list, written as raw float32 [seq, vocab]. */
import { writeFileSync } from 'node:fs';
import { SparrowError } from '../errors.ts';
import { number, parse, required, sparseLayout, tokenList } from './args.ts';
import { cliBackend } from './backend.ts';
import type { Io } from './main.ts';
import { openModel } from './model-files.ts';

export async function runLogits(argv: string[], io: Io): Promise<void> {
  const v = parse('logits', argv, { model: { type: 'string' }, tokens: { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' }, threads: { type: 'string' }, 'int8-activations': { type: 'boolean' }, 'sparse-layout': { type: 'string' } });
  const tokens = tokenList('logits', required('logits', v, 'tokens'));
  const outPath = required('logits', v, 'out');
  const modelPath = required('logits', v, 'model');
  const b = await cliBackend(v.backend as string | undefined, number('logits', v, 'threads', { int: true }), v['int8-activations'] === true);
  try {
    const { model } = await openModel(b, modelPath, { sparseLayout: sparseLayout('logits', v) });
    for (const t of tokens) {
      if (t >= model.vocabSize) throw new SparrowError('INDEX_OUT_OF_RANGE', `logits: token ${t} is outside the vocabulary (${model.vocabSize})`, { token: t });
    }
    const state = model.newState();
    const t = model.prefill(tokens, state, { allLogits: true });
    const data = (await b.read(t)) as Float32Array;
    writeFileSync(outPath, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    io.out(`wrote ${outPath}: float32 [${tokens.length}, ${model.vocabSize}] (${b.name} backend)\n`);
  } finally {
    b.dispose();
  }
}
