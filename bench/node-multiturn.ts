/**
 * What reusing the previous reply's state buys a chat (ChatGenerateOptions.reuseContext): a
 * four-turn conversation through the chat model manager, the SmolLM2-135M-shaped GGUF
 * (`npm run gen:models`, random weights with a real BPE vocabulary and ChatML template) on the wasm
 * backend, one thread, greedy, 48 reply tokens per turn. Alternates reuse on / off (`--rounds`
 * pairs, so both see the same machine load) and reports the prompt tokens, those taken from the
 * cache, and the prefill time of every turn. (With random weights the replies are noise that BPE
 * re-encodes differently, so the cache is reused up to the previous prompt; a real model's replies
 * usually re-encode to the tokens it produced, and the reuse reaches further.) After the four turns
 * the last message is edited (Edit last: the fourth question asked differently) and answered once
 * more: with reuse, a KV cache rewinds to where the edit begins, and a state that cannot rewind
 * (Mamba-2 / RWKV / the hybrids) resumes from the snapshot where that turn began.
 * Run: `node --import tsx bench/node-multiturn.ts [--model FILE] [--rounds 2] [--out FILE]`; writes
 * bench/results/multiturn.json unless --out says otherwise.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
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

const edited = 'Summarise the three answers above in one sentence.';

type Turn = { promptTokens: number; reusedTokens: number; prefillMs: number; replyTokens: number };
const runs: Array<{ reuse: boolean; totalPrefillMs: number; turns: Turn[]; edit: Turn }> = [];
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
    // Edit last: the fourth question and its reply go, a different one takes its place
    const e = await m.generate([...msgs.slice(0, -2), { role: 'user', content: edited }], { temperature: 0, repetitionPenalty: 1, maxTokens: 48, reuseContext: reuse }, () => {});
    const edit = { promptTokens: e.promptTokens, reusedTokens: e.reusedTokens, prefillMs: e.prefillMs, replyTokens: e.tokens };
    m.dispose();
    const total = turns.reduce((a, t) => a + t.prefillMs, 0);
    runs.push({ reuse, totalPrefillMs: total, turns, edit });
    const show = (t: Turn) => `prompt ${t.promptTokens} (${t.reusedTokens} reused) ${t.prefillMs.toFixed(0)} ms`;
    console.log(`reuse ${reuse ? 'on ' : 'off'}: prefill ${total.toFixed(0)} ms in all | ${turns.map(show).join(' | ')} | edit: ${show(edit)}`);
  }
}
const best = (reuse: boolean) => Math.min(...runs.filter((x) => x.reuse === reuse).map((x) => x.totalPrefillMs));
const bestEdit = (reuse: boolean) => Math.min(...runs.filter((x) => x.reuse === reuse).map((x) => x.edit.prefillMs));
const summary = {
  model: file, backend: 'wasm (1 thread)',
  bestTotalPrefillMs: { reuse: best(true), fresh: best(false) }, ratio: best(false) / best(true),
  bestEditPrefillMs: { reuse: bestEdit(true), fresh: bestEdit(false) }, editRatio: bestEdit(false) / bestEdit(true),
};
console.log(`best of ${rounds}: ${summary.bestTotalPrefillMs.reuse.toFixed(0)} ms with reuse, ${summary.bestTotalPrefillMs.fresh.toFixed(0)} ms without (${summary.ratio.toFixed(2)}×); ` +
  `the edited last message ${summary.bestEditPrefillMs.reuse.toFixed(0)} ms against ${summary.bestEditPrefillMs.fresh.toFixed(0)} ms (${summary.editRatio.toFixed(2)}×)`);
const out = arg('out', 'bench/results/multiturn.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), ...summary, runs }, null, 2) + '\n');
