/**
 * Runs in the backend-host worker: ops whose dispatch needs more than 65535 workgroups (so a 2-D
 * grid), checked in the worker so no large tensor crosses to Node.
 */
import type { CaseContext } from '../../../src/worker/backend-host.ts';

/** fill + scale + add over n elements on webgpu; returns how many elements are wrong and a sample. */
export async function bigElementwise(args: { n: number }, ctx: CaseContext): Promise<{ wrong: number; first: number[]; last: number[] }> {
  const b = await ctx.backend('webgpu');
  const a = b.tensor([args.n], 'f32');
  const c = b.tensor([args.n], 'f32');
  const bias = b.tensor([3], 'f32', new Float32Array([0.25, 0.5, 0.75]));
  b.fill(a, 1.5);
  b.fill(c, NaN);
  b.scale(c, a, 2); // 3
  b.add(c, c, bias); // in place, broadcast: 3.25, 3.5, 3.75, …
  const out = (await b.read(c)) as Float32Array;
  let wrong = 0;
  for (let i = 0; i < out.length; i++) if (out[i] !== 3 + 0.25 * ((i % 3) + 1)) wrong++;
  for (const t of [a, c, bias]) b.free(t);
  return { wrong, first: Array.from(out.subarray(0, 3)), last: Array.from(out.subarray(out.length - 3)) };
}
