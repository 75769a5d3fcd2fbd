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

/**
 * Read-backs share pooled staging buffers (device.ts): reads of several sizes (below and above the
 * pooled size, odd byte counts) in flight at once and one after another, with writes between
 * rounds, must each return their own tensor's current values. Returns the wrong elements.
 */
export async function overlappingReads(args: { rounds: number }, ctx: CaseContext): Promise<{ wrong: number; reads: number }> {
  const b = await ctx.backend('webgpu');
  const sizes = [1, 3, 1000, 16384, 20000, 7];
  const ts = sizes.map((n) => b.tensor([n], 'f32'));
  let wrong = 0, reads = 0;
  for (let r = 0; r < args.rounds; r++) {
    ts.forEach((t, i) => b.fill(t, r * 10 + i));
    const outs = (await Promise.all(ts.map((t) => b.read(t)))) as Float32Array[];
    const more = (await b.read(ts[r % ts.length])) as Float32Array;
    outs.push(more);
    reads += outs.length;
    outs.forEach((o, i) => {
      const k = i < ts.length ? i : r % ts.length;
      if (o.length !== sizes[k]) wrong += sizes[k];
      else for (const x of o) if (x !== r * 10 + k) wrong++;
    });
  }
  for (const t of ts) b.free(t);
  return { wrong, reads };
}
