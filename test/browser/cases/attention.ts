/**
 * Attention cases run inside the backend-host worker (test/browser/attention-fixtures.test.ts
 * asserts on what they return): the golden-fixture suite and the random-input checks, on the
 * webgpu backend (or any backend named in args). Fixture files are fetched from the dev server.
 */
import type { BackendName } from '../../../src/backends/backend.ts';
import { sparseConfig } from '../../../src/backends/ops/attention.ts';
import { SparrowError } from '../../../src/errors.ts';
import type { CaseContext } from '../../../src/worker/backend-host.ts';
import { runAttentionFixtures, type CaseResult, type Manifest } from '../../kernels/attention-fixture-runner.ts';
import { runAttentionRandom, type RandomResult } from '../../kernels/attention-random-cases.ts';

/** Every manifest case on `backend`; `base` is the URL folder of the fixtures (ends with /). */
export async function fixtures(args: { backend: BackendName; base: string; only?: string[] }, ctx: CaseContext): Promise<{ ids: string[]; results: CaseResult[] }> {
  const b = await ctx.backend(args.backend);
  const manifest = (await (await fetch(`${args.base}manifest.json`)).json()) as Manifest;
  const load = async (f: string) => {
    const res = await fetch(args.base + f);
    if (!res.ok) throw new Error(`fetch ${args.base + f}: HTTP ${res.status}`);
    return new Float32Array(await res.arrayBuffer());
  };
  return { ids: manifest.cases.map((c) => c.id), results: await runAttentionFixtures(b, manifest, load, args.only) };
}

export async function random(args: { backend: BackendName; tol: number }, ctx: CaseContext): Promise<RandomResult[]> {
  return runAttentionRandom(await ctx.backend(args.backend), await ctx.backend('reference'), args.tol);
}

/** The same bad call on `backend` and on the reference: [code, message] of each. */
export async function errors(args: { backend: BackendName }, ctx: CaseContext): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const name of [args.backend, 'reference'] as const) {
    const b = await ctx.backend(name);
    const t = (...s: number[]) => b.tensor(s);
    try {
      b.sparseAttention(t(4, 3, 8), t(4, 3, 8), t(4, 2, 8), t(4, 2, 8), sparseConfig());
      out.push(['none', '']);
    } catch (e) {
      out.push(e instanceof SparrowError ? [e.code, e.message] : ['not a SparrowError', String(e)]);
    }
  }
  return out;
}
