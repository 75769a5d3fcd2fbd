/**
 * What reusing the previous reply's state buys a chat (ChatGenerateOptions.reuseContext): a
 * four-turn conversation through the chat model manager, the SmolLM2-135M-shaped GGUF
 * (`npm run gen:models`, random weights with a real BPE vocabulary and ChatML template) on the wasm
 * backend, one thread, greedy, 48 reply tokens per turn. Alternates reuse on / off (`--rounds`
 * pairs, so both see the same machine load) and reports the prompt tokens, those taken from the
 * cache, and the prefill time of every turn. (With random weights the replies are noise that BPE
 * re-encodes differently, so the cache is reused up to the previous prompt; a real model's replies
 * usually re-encode to the tokens it produced, and the reuse reaches further.)
 * Run: `node --import tsx bench/node-multiturn.ts [--model FILE] [--rounds 2]`; writes bench/results/multiturn.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { WasmBackend } from '../src/backends/wasm/backend.ts';
import { openModelFiles } from '../src/engine/model-manager.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const file = arg('model', 'models/generated/smollm2-135m-random.Q8_0.gguf');
const rounds = Number(arg('rounds', '2'));
if (!existsSync(file)) throw new Error(`${file} is missing: run npm run gen:models first`);
const blob = new Blob([readFileSync(file)]);
const userTurns = [
  'Tell me about the history of the printing press and how it changed Europe in the fifteenth and sixteenth centuries.',
  'What about its effect on science, universities and the spread of new ideas?',
  'And how did the church and the states react to all of this printed material?',
  'Summarise the three answers above in a few short sentences, please.',
];

const runs: Array<{ reuse: boolean; totalPrefillMs: number; turns: Array<{ promptTokens: number; reusedTokens: number; prefillMs: number; replyTokens: number }> }> = [];
for (let r = 0; r < rounds; r++) {
  for (const reuse of [true, false]) {
    const m = await openModelFiles(await WasmBackend.create(), 'wasm', [{ name: file, blob }]);
    const msgs = [{ role: 'system', content: 'You are a helpful assistant.' }];
    const turns = [];
    for (const u of userTurns) {
      msgs.push({ role: 'user', content: u });
      const g = await m.generate(msgs, { temperature: 0, repetitionPenalty: 1, maxTokens: 48, reuseContext: reuse }, () => {});
      msgs.push({ role: 'assistant', content: g.text });
      turns.push({ promptTokens: g.promptTokens, reusedTokens: g.reusedTokens, prefillMs: g.prefillMs, replyTokens: g.tokens });
    }
    m.dispose();
    const total = turns.reduce((a, t) => a + t.prefillMs, 0);
    runs.push({ reuse, totalPrefillMs: total, turns });
    console.log(`reuse ${reuse ? 'on ' : 'off'}: prefill ${total.toFixed(0)} ms in all | ` + turns.map((t) => `prompt ${t.promptTokens} (${t.reusedTokens} reused) ${t.prefillMs.toFixed(0)} ms`).join(' | '));
  }
}
const best = (reuse: boolean) => Math.min(...runs.filter((x) => x.reuse === reuse).map((x) => x.totalPrefillMs));
const summary = { model: file, backend: 'wasm (1 thread)', bestTotalPrefillMs: { reuse: best(true), fresh: best(false) }, ratio: best(false) / best(true) };
console.log(`best of ${rounds}: ${summary.bestTotalPrefillMs.reuse.toFixed(0)} ms with reuse, ${summary.bestTotalPrefillMs.fresh.toFixed(0)} ms without (${summary.ratio.toFixed(2)}×)`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/multiturn.json', JSON.stringify({ date: new Date().toISOString(), ...summary, runs }, null, 2) + '\n');
