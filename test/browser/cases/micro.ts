/**
 * Micro model (src/models/micro-backend.ts) on a backend inside the worker vs the fused TS step
 * (src/models/micro.ts): max |Δlogit| over 16 tokens (memory adapting for 12, then frozen).
 */
import type { BackendName } from '../../../src/backends/backend.ts';
import type { CaseContext } from '../../../src/worker/backend-host.ts';
import { initParams, type MicroConfig } from '../../../src/models/micro-config.ts';
import { MicroModel } from '../../../src/models/micro.ts';
import { MicroBackendModel } from '../../../src/models/micro-backend.ts';

/** Worst |Δlogit| allowed (test/browser/micro.test.ts, bench/gpu/run.ts). */
export const MICRO_TOL = 1e-4;

const C: MicroConfig = { vocab: 21, dim: 18, heads: 3, layers: 2, window: 6, ffn: 13, eps: 1e-5 };

export async function microVsTs(args: { backend: BackendName }, ctx: CaseContext): Promise<{ maxErr: number; tokens: number }> {
  const w = initParams(C, 11);
  let s = 5;
  for (const a of w.values()) for (let i = 0; i < a.length; i++) a[i] += 0.2 * (((s = (s * 16807) % 2147483647) / 2147483647) - 0.5);
  const b = await ctx.backend(args.backend);
  const ref = new MicroModel(C, w);
  const m = new MicroBackendModel(b, C, w);
  let worst = 0;
  const tokens = 16;
  for (let t = 0; t < tokens; t++) {
    ref.adapt = m.adapt = t < 12;
    const tok = (t * 5 + (t >> 2)) % C.vocab;
    const want = ref.step(tok);
    const got = (await b.read(m.step(tok))) as Float32Array;
    for (let j = 0; j < C.vocab; j++) worst = Math.max(worst, Math.abs(got[j] - want[j]));
  }
  return { maxErr: worst, tokens };
}
