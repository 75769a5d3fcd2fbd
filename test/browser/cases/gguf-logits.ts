/**
 * A GGUF fetched from the dev server, run on a backend inside the backend-host worker: the logits of
 * every position of one prefill (test/browser/llamacpp-parity.test.ts compares them with Node's
 * wasm run of the same file). With `decodeFrom`, only the first decodeFrom tokens are a prefill and
 * the rest go one decode step at a time through the KV cache (the same rows). `load`: the model's
 * load options (e.g. a KV cache dtype, Gemma 3's slidingCacheRows).
 */
import type { BackendName } from '../../../src/backends/backend.ts';
import type { CaseContext } from '../../../src/worker/backend-host.ts';
import { openModel } from '../../../src/engine/open-model.ts';
import type { LoadOptions } from '../../../src/models/load.ts';

export async function ggufLogits(args: { url: string; tokens: number[]; backend: BackendName; decodeFrom?: number; load?: LoadOptions }, ctx: CaseContext): Promise<Float32Array> {
  const b = await ctx.backend(args.backend);
  const r = await fetch(args.url);
  if (!r.ok) throw new Error(`fetch ${args.url}: HTTP ${r.status}`);
  const { model } = await openModel(b, new Map([['model.gguf', await r.arrayBuffer()]]), args.load);
  const s = model.newState();
  try {
    const n = args.decodeFrom ?? args.tokens.length;
    const t = model.prefill(args.tokens.slice(0, n), s, { allLogits: true });
    const out = new Float32Array(args.tokens.length * model.vocabSize);
    out.set((await b.read(t)) as Float32Array);
    b.free(t);
    for (let i = n; i < args.tokens.length; i++) out.set((await b.read(model.step(args.tokens[i], s))) as Float32Array, i * model.vocabSize);
    return out;
  } finally {
    s.free();
    model.dispose();
  }
}
