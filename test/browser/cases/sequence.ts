/**
 * Sequence ops on WebGPU vs the reference backend, run inside the backend-host worker
 * (test/browser/sequence.test.ts asserts on the returned errors). Small shapes: SwiftShader is slow.
 */
import type { Backend } from '../../../src/backends/backend.ts';
import { quantizeTernary } from '../../../src/backends/reference/sequence.ts';
import type { CaseContext } from '../../../src/worker/backend-host.ts';
import { maxRelErr, maxScaledErr } from '../../helpers/random.ts';
import {
  chained, convIn, deltaIn, deltaSlice, everyStep, runConv, runDelta, runScan, runTernary, runWkv, runWkv7, runWkv7Bonus, scanIn, scanSlice, ternaryIn,
  wkv7BonusIn, wkv7In, wkv7Slice, wkvIn, wkvSlice,
  type ConvIn,
} from '../../kernels/sequence-cases.ts';

/** Error allowed per sequenceVsReference entry (test/browser/sequence.test.ts, bench/gpu/run.ts). */
export const sequenceTol = (name: string): number => (name.startsWith('ternary') ? 1e-5 : 3e-5);

type Result = { out: Float32Array; state: Float32Array };
const scaled = maxScaledErr;
const err = (a: Result, b: Result) => Math.max(scaled(a.out, b.out), scaled(a.state, b.state));

/**
 * Per case: webgpu (or args.backend) vs reference (scale-relative error of out and state), chained vs
 * whole runs on it, and for ternary the element-wise relative error and LUT == direct bit equality.
 */
export async function sequenceVsReference(args: { backend?: 'webgpu' | 'wasm' } | undefined, ctx: CaseContext): Promise<Record<string, number>> {
  const ref = await ctx.backend('reference');
  // `gpu`: the backend under test — webgpu, or wasm (in Chromium the relaxed-SIMD build: T-MAC's lookups differ there)
  const gpu = await ctx.backend(args?.backend ?? 'webgpu');
  const r: Record<string, number> = {};

  // T = 1 is the one-dispatch decode kernel (conv1d_step): many channels, and K = 1
  for (const [T, C, K] of [[1, 1, 4], [1, 70, 4], [1, 9, 1], [7, 5, 4], [9, 13, 3], [300, 3, 4]]) {
    for (const [bias, act] of [[true, true], [false, false]] as const) {
      const p = convIn(T, C, K, T * 100 + C, bias, act);
      r[`conv T${T} C${C} K${K} bias=${bias} silu=${act}`] = err(await runConv(gpu, p), await runConv(ref, p));
    }
  }
  const cp = convIn(8, 7, 4, 42, true, true);
  const cslice = (q: ConvIn, a: number, b: number): ConvIn => ({ ...q, T: b - a, x: q.x.slice(a * q.C, b * q.C) });
  const crun = (b: Backend, q: ConvIn, s?: Float32Array) => runConv(b, q, q.x, q.T, s);
  r['conv steps == prefill'] = err(await chained(gpu, cp, everyStep(cp.T), cslice, crun, cp.state), await crun(gpu, cp));

  let seed = 1;
  // T > 32 takes the chunked path (3 dispatches), including a partial last chunk
  for (const [T, I, N] of [[1, 1, 1], [6, 7, 5], [11, 9, 16], [3, 70, 17], [32, 3, 4], [33, 5, 16], [150, 7, 5], [64, 66, 3]]) {
    for (const o of [{ d: true, z: true, bias: true, sp: true }, { d: false, z: false, bias: false, sp: false }]) {
      const p = scanIn(T, I, N, seed++ * 31, o);
      r[`scan T${T} I${I} N${N} full=${o.d}`] = err(await runScan(gpu, p), await runScan(ref, p));
    }
  }
  const sp = scanIn(9, 5, 16, 77, { d: true, z: true, bias: true, sp: true });
  r['scan steps == prefill'] = err(await chained(gpu, sp, everyStep(sp.T), scanSlice, runScan, sp.state), await runScan(gpu, sp));
  r['scan prefill+step == longer prefill'] = err(await chained(gpu, sp, [8], scanSlice, runScan, sp.state), await runScan(gpu, sp));
  const lp = scanIn(100, 6, 16, 78, { d: true, z: true, bias: true, sp: true });
  r['scan chunked prefill == 1-token steps'] = err(await chained(gpu, lp, everyStep(lp.T), scanSlice, runScan, lp.state), await runScan(gpu, lp));
  r['scan chunked 70 + chunked 30 == 100'] = err(await chained(gpu, lp, [70], scanSlice, runScan, lp.state), await runScan(gpu, lp));

  for (const [T, C] of [[1, 1], [9, 7], [13, 70]]) {
    for (const fresh of [true, false]) {
      const p = wkvIn(T, C, T * 13 + C, fresh);
      r[`wkv T${T} C${C} fresh=${fresh}`] = err(await runWkv(gpu, p), await runWkv(ref, p));
    }
  }
  const wp = wkvIn(10, 6, 99, true);
  r['wkv steps == prefill'] = err(await chained(gpu, wp, everyStep(wp.T), wkvSlice, runWkv, wp.state), await runWkv(gpu, wp));

  for (const [T, H, DK, DV] of [[1, 1, 1, 1], [4, 3, 5, 7], [5, 2, 8, 6], [2, 5, 13, 20]]) {
    const p = deltaIn(T, H, DK, DV, T * 7 + DK);
    r[`delta T${T} H${H} Dk${DK} Dv${DV}`] = err(await runDelta(gpu, p), await runDelta(ref, p));
  }
  const dp = deltaIn(7, 2, 6, 5, 3);
  r['delta steps == prefill'] = err(await chained(gpu, dp, everyStep(dp.T), deltaSlice, runDelta, dp.state), await runDelta(gpu, dp));

  // RWKV-7: odd head sizes with 1..3 heads, the real N = 64 (C = 2048 at H = 32), all on WebGPU's
  // wkv7_small, and N = 130 (the general wkv7: three 64-row workgroups / column chunks); decode (T = 1)
  // and prefill. Mutations tried on shaders/sequence.wgsl, each failing the webgpu run, then restored:
  // in wkv7_small, no sa·b term, out read from S before the update, sa dropped, the state row not
  // written back; in the tiled wkv7 (N = 130 here), no sa·b term, out read from S before the update,
  // a's tile ignoring the column chunk, the barrier before re-staging the tile removed; in the bonus, head 0 used for every head, the tree reduction starting at 16
  // (half the partial sums lost), only the first 64 channels of a head updated (caught by N = 130).
  // Measured webgpu (SwiftShader) errors: ≤ 4e-7 (scaled).
  for (const [T, H, N] of [[1, 1, 1], [1, 1, 4], [5, 3, 4], [4, 2, 8], [3, 3, 12], [6, 2, 5], [1, 2, 64], [4, 2, 64], [1, 32, 64], [2, 1, 130]]) {
    const p = wkv7In(T, H, N, T * 17 + H * 5 + N);
    r[`wkv7 T${T} H${H} N${N}`] = err(await runWkv7(gpu, p), await runWkv7(ref, p));
  }
  const w7 = wkv7In(7, 3, 12, 135);
  r['wkv7 steps == prefill'] = err(await chained(gpu, w7, everyStep(w7.T), wkv7Slice, runWkv7, w7.state), await runWkv7(gpu, w7));
  r['wkv7 prefill + step == longer prefill'] = err(await chained(gpu, w7, [6], wkv7Slice, runWkv7, w7.state), await runWkv7(gpu, w7));
  const w64 = wkv7In(4, 2, 64, 136);
  r['wkv7 N64 steps == prefill'] = err(await chained(gpu, w64, everyStep(w64.T), wkv7Slice, runWkv7, w64.state), await runWkv7(gpu, w64));
  for (const [T, C, N] of [[1, 4, 4], [3, 15, 5], [2, 7, 1], [2, 36, 12], [2, 128, 64], [2, 260, 130]]) {
    const p = wkv7BonusIn(T, C, N, T * 31 + C + N);
    r[`wkv7Bonus T${T} C${C} N${N}`] = err(await runWkv7Bonus(gpu, p), await runWkv7Bonus(ref, p));
  }

  for (const [M, K, R] of [[1, 1, 1], [7, 13, 1], [33, 130, 3], [16, 64, 2], [70, 300, 1]]) {
    const p = ternaryIn(M, K, R, M * 1000 + K);
    const packed = quantizeTernary(p.w, M, K);
    const want = await runTernary(ref, p, packed, false);
    const direct = await runTernary(gpu, p, packed, false);
    const lut = await runTernary(gpu, p, packed, true);
    r[`ternary M${M} K${K} R${R}`] = maxRelErr(direct, want, 1e-5);
    r[`ternary-lut M${M} K${K} R${R}`] = maxRelErr(lut, want, 1e-5);
    r[`ternary lut==direct bits M${M} K${K}`] = direct.every((x, i) => Object.is(x, lut[i])) ? 0 : 1;
  }
  return r;
}

/** Bad calls for sequenceErrors: all SHAPE_MISMATCH on the reference backend. */
const badCalls: Record<string, (b: Backend) => void> = {
  scan: (b) => b.selectiveScan(b.tensor([2, 3]), b.tensor([2, 3]), b.tensor([2, 3]), b.tensor([3, 4]), b.tensor([2, 4]), b.tensor([2, 4]), null, null, null, b.tensor([4, 3]), true),
  wkv7: (b) => b.wkv7(b.tensor([2, 8]), b.tensor([2, 8]), b.tensor([2, 8]), b.tensor([2, 7]), b.tensor([2, 8]), b.tensor([2, 8]), b.tensor([2, 8]), b.tensor([2, 4, 4])),
  wkv7Bonus: (b) => b.wkv7Bonus(b.tensor([2, 8]), b.tensor([2, 8]), b.tensor([2, 8]), b.tensor([2, 8]), b.tensor([4]), 4),
};

/**
 * Error code and message of a bad call (args.op: a key of badCalls, default the selective scan) on
 * webgpu and on the reference backend.
 */
export async function sequenceErrors(args: { op?: string } | undefined, ctx: CaseContext): Promise<Array<[string, string]>> {
  const call = badCalls[args?.op ?? 'scan'];
  const out: Array<[string, string]> = [];
  for (const name of ['webgpu', 'reference'] as const) {
    const b = await ctx.backend(name);
    try {
      call(b);
      out.push(['none', '']);
    } catch (e) {
      out.push([(e as { code?: string }).code ?? 'untyped', (e as Error).message]);
    }
  }
  return out;
}
