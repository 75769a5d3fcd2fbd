/**
 * The wasm SIMD backend inside the browser worker (the same build/sparrow.wasm the app fetches),
 * on a few ops vs the reference backend run in Node on the same seeded inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { toF16Bits } from '../../src/util/f16.ts';
import { maxRelErr, randomF32 } from '../helpers/random.ts';
import type { Int8RelaxedResult } from './cases/int8-relaxed.ts';

let h: BrowserHarness;
beforeAll(async () => {
  h = await openBrowser();
});
afterAll(() => h?.close());

describe('wasm backend in the browser worker', () => {
  it('initialises with SIMD', async () => {
    const info = await h.host.init('wasm');
    expect(info.simd).toBe(true);
  });

  it('matvec (f32, f16), matmul f32, softmax, gelu and rope match the reference', async () => {
    const ref = new ReferenceBackend();
    const [m, k] = [19, 67];
    const w = randomF32(m * k, 1);
    const x = randomF32(k, 2, -3, 3);
    const cases: Array<{ name: string; op: string; ins: Array<{ shape: number[]; dtype: 'f32' | 'f16'; data: Float32Array | Uint16Array }>; out: number[]; extra: unknown[]; scale: number }> = [
      { name: 'matvec f32', op: 'matvec', ins: [{ shape: [m, k], dtype: 'f32', data: w }, { shape: [k], dtype: 'f32', data: x }], out: [m], extra: [], scale: 1 },
      { name: 'matvec f16', op: 'matvec', ins: [{ shape: [m, k], dtype: 'f16', data: Uint16Array.from(w, toF16Bits) }, { shape: [k], dtype: 'f32', data: x }], out: [m], extra: [], scale: 1 },
      // 5 tokens × 19 rows: the 4-row × 2-token register tile (fused multiply-adds in the relaxed build) and its edges
      { name: 'matmul f32', op: 'matmul', ins: [{ shape: [5, k], dtype: 'f32', data: randomF32(5 * k, 4) }, { shape: [m, k], dtype: 'f32', data: w }], out: [5, m], extra: [], scale: 1 },
      { name: 'softmax', op: 'softmax', ins: [{ shape: [1, k], dtype: 'f32', data: x }], out: [1, k], extra: [], scale: 1e-3 },
      { name: 'gelu', op: 'gelu', ins: [{ shape: [k], dtype: 'f32', data: x }], out: [k], extra: [], scale: 1e-3 },
      { name: 'rope', op: 'rope', ins: [{ shape: [1, 64], dtype: 'f32', data: randomF32(64, 3) }], out: [1, 64], extra: [{ pos: 7, headDim: 16, theta: 10000, style: 'half' }], scale: 1 },
    ];
    for (const c of cases) {
      const poison = new Float32Array(c.out.reduce((a, b) => a * b, 1)).fill(NaN);
      const ro = ref.tensor(c.out, 'f32', poison);
      (ref as unknown as Record<string, (...a: unknown[]) => void>)[c.op](ro, ...c.ins.map((i) => ref.tensor(i.shape, i.dtype, i.data)), ...c.extra);
      const wo = await h.host.tensor('wasm', c.out, 'f32', poison);
      const ids = [];
      for (const i of c.ins) ids.push({ t: await h.host.tensor('wasm', i.shape, i.dtype, i.data) });
      await h.host.op('wasm', c.op, [{ t: wo }, ...ids, ...(c.extra as never[])]);
      const got = (await h.host.read('wasm', wo)) as Float32Array;
      // Same tolerance rule as the webgpu suite: 1e-5 relative to max(scale, |ref|).
      expect(maxRelErr(got, (await ref.read(ro)) as Float32Array, c.scale), c.name).toBeLessThanOrEqual(1e-5);
    }
  });

  it('relaxed SIMD: Chromium runs the relaxed build, whose int8 decode kernels equal the reference bit for bit (1 and 2 threads), as the plain build does', async () => {
    const r = (await h.host.runCase('/test/browser/cases/int8-relaxed.ts', 'int8RelaxedSuite', {})) as Int8RelaxedResult;
    expect(r.supported).toBe(true);
    expect(r.runs.map((x) => [x.relaxedSimd, x.threads])).toEqual([[true, 1], [true, 2], [false, 1], [false, 2]]);
    for (const run of r.runs) {
      // six 32-value types (Q8_0 twice: with and without −128 weights) and six Q8_K types
      expect(run.outputs, run.name).toBe(7 * (1 + 4 + 5 + 13 + 7 + 33) + 6 * (1 + 5 + 13 + 7 + 33));
      expect(run.differences, run.name).toEqual([]);
    }
  }, 120_000);

  it('bad input is a SparrowError on the Node side', async () => {
    const table = await h.host.tensor('wasm', [3, 2], 'f32');
    const ids = await h.host.tensor('wasm', [1], 'i32', new Int32Array([3]));
    const out = await h.host.tensor('wasm', [1, 2], 'f32');
    await expect(h.host.op('wasm', 'embedding', [{ t: out }, { t: table }, { t: ids }])).rejects.toMatchObject({ code: 'INDEX_OUT_OF_RANGE' });
  });
});
