/** runCase smoke: runs inside the backend-host worker against real backend instances. */
import type { CaseContext } from '../../../src/worker/backend-host.ts';

/** Sum x + y elementwise on the named backend and return the result as a plain array. */
export async function addOnBackend(args: { backend: 'reference' | 'wasm' | 'webgpu'; x: number[]; y: number[] }, ctx: CaseContext): Promise<number[]> {
  const b = await ctx.backend(args.backend);
  const n = args.x.length;
  const x = b.tensor([n], 'f32', Float32Array.from(args.x));
  const y = b.tensor([n], 'f32', Float32Array.from(args.y));
  const o = b.tensor([n], 'f32', new Float32Array(n).fill(NaN));
  b.add(o, x, y);
  const r = Array.from(await b.read(o));
  for (const t of [x, y, o]) b.free(t);
  return r;
}
