/**
 * Learned state of the micro model on a backend inside the worker (WebGPU in the browser test):
 * getState after `cut` tokens vs the fused TS model, then save → new instance → load → the
 * continuation's logits vs an uninterrupted run on the same backend.
 */
import type { BackendName } from '../../../src/backends/backend.ts';
import type { CaseContext } from '../../../src/worker/backend-host.ts';
import { initParams, type MicroConfig } from '../../../src/models/micro-config.ts';
import { MicroModel } from '../../../src/models/micro.ts';
import { MicroBackendModel } from '../../../src/models/micro-backend.ts';
import { microWeightsHash } from '../../../src/models/micro-state.ts';

const C: MicroConfig = { vocab: 21, dim: 18, heads: 3, layers: 2, window: 6, ffn: 13, eps: 1e-5 };

export async function microStateRoundTrip(args: { backend: BackendName; cut: number; tokens: number }, ctx: CaseContext): Promise<{ stateErr: number; continueErr: number; continued: number }> {
  const w = initParams(C, 11);
  const h = await microWeightsHash(C, w);
  const b = await ctx.backend(args.backend);
  const toks = Array.from({ length: args.tokens }, (_, i) => (i * 5 + (i >> 2)) % C.vocab);
  const whole = new MicroBackendModel(b, C, w);
  const ref: Float32Array[] = [];
  for (const t of toks) ref.push(Float32Array.from((await b.read(whole.step(t))) as Float32Array));
  const a = new MicroBackendModel(b, C, w), ts = new MicroModel(C, w);
  for (const t of toks.slice(0, args.cut)) a.step(t), ts.step(t);
  const sa = await a.getState(), st = ts.getState();
  let stateErr = 0;
  for (const k of ['keys', 'values', 'mem'] as const) sa[k].forEach((v, l) => v.forEach((x, i) => (stateErr = Math.max(stateErr, Math.abs(x - st[k][l][i])))));
  const c = new MicroBackendModel(b, C, w);
  for (const t of [3, 1, 4, 1, 5]) c.step(t);
  c.loadState(await a.saveState(h), h);
  let continueErr = 0, continued = 0;
  for (let i = args.cut; i < toks.length; i++, continued++) {
    const got = (await b.read(c.step(toks[i]))) as Float32Array;
    got.forEach((x, j) => (continueErr = Math.max(continueErr, Math.abs(x - ref[i][j]))));
  }
  return { stateErr, continueErr, continued };
}
