/**
 * A GGUF fetched from the dev server, run on a backend inside the backend-host worker: the logits of
 * every position of one prefill (test/browser/llamacpp-parity.test.ts compares them with Node's
 * wasm run of the same file).
 */
import type { BackendName } from '../../../src/backends/backend.ts';
import type { CaseContext } from '../../../src/worker/backend-host.ts';
import { openModel } from '../../../src/engine/open-model.ts';

export async function ggufLogits(args: { url: string; tokens: number[]; backend: BackendName }, ctx: CaseContext): Promise<Float32Array> {
  const b = await ctx.backend(args.backend);
  const r = await fetch(args.url);
  if (!r.ok) throw new Error(`fetch ${args.url}: HTTP ${r.status}`);
  const { model } = await openModel(b, new Map([['model.gguf', await r.arrayBuffer()]]));
  const s = model.newState();
  try {
    const t = model.prefill(args.tokens, s, { allLogits: true });
    const out = (await b.read(t)) as Float32Array;
    b.free(t);
    return out;
  } finally {
    s.free();
    model.dispose();
  }
}
