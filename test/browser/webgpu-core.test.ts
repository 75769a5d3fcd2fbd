/**
 * WebGPU core ops in a real browser (Chromium, SwiftShader in CI) vs the reference backend run in
 * Node on the same seeded inputs. Every op is swept over 1×1, odd sizes (not multiples of 4 or of
 * the workgroup size) and batches > 1; outputs are poisoned with NaN (i32: a sentinel) first.
 * Also: typed errors through the worker, ids validated on the GPU, in-place calls, 2-D grids, and
 * a lost device (DEVICE_LOST, then a fresh device works).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import type { CsrData, DType, Tensor, TensorData } from '../../src/backends/backend.ts';
import { csrFromDense } from '../../src/backends/sparse.ts';
import { toF16Bits } from '../../src/util/f16.ts';
import { maxRelErr, randomF32, rng } from '../helpers/random.ts';

let h: BrowserHarness;
beforeAll(async () => {
  h = await openBrowser();
  await h.host.init('webgpu');
});
afterAll(async () => {
  console.log(`webgpu vs reference, worst error per op (|gpu − ref| / (scale + |ref|)): ${JSON.stringify(worstByOp)}`);
  await h?.close();
});
const worstByOp: Record<string, number> = {};

// ---- a tiny DSL: run one op on both backends with the same arguments -------------------------
type Arg = { kind: 'in'; shape: number[]; dtype: DType; data: TensorData } | { kind: 'out'; shape: number[]; dtype: DType } | { kind: 'sparse'; csr: CsrData } | { kind: 'value'; v: unknown };
const I = (shape: number[], data: TensorData, dtype: DType = 'f32'): Arg => ({ kind: 'in', shape, dtype, data });
const O = (shape: number[], dtype: DType = 'f32'): Arg => ({ kind: 'out', shape, dtype });
const S = (csr: CsrData): Arg => ({ kind: 'sparse', csr });
const V = (v: unknown): Arg => ({ kind: 'value', v });

const poison = (shape: number[], dtype: DType): TensorData => {
  const n = shape.reduce((a, b) => a * b, 1);
  return dtype === 'i32' ? new Int32Array(n).fill(-7) : dtype === 'f16' ? new Uint16Array(n).fill(0x7e00) : new Float32Array(n).fill(NaN);
};

/** Run op on reference (Node) and webgpu (browser worker); return [gpu, ref] outputs in order. */
async function both(op: string, args: Arg[]): Promise<Array<[Float32Array | Int32Array, Float32Array | Int32Array]>> {
  const ref = new ReferenceBackend();
  const refArgs: unknown[] = [];
  const gpuArgs: unknown[] = [];
  const outs: Array<{ r: Tensor; g: number }> = [];
  const ids: number[] = [];
  for (const a of args) {
    if (a.kind === 'value') {
      refArgs.push(a.v);
      gpuArgs.push(a.v);
    } else if (a.kind === 'sparse') {
      refArgs.push(ref.sparse(a.csr));
      const id = await h.host.sparse('webgpu', a.csr);
      ids.push(id);
      gpuArgs.push({ t: id });
    } else {
      const data = a.kind === 'in' ? a.data : poison(a.shape, a.dtype);
      const r = ref.tensor(a.shape, a.dtype, data);
      const g = await h.host.tensor('webgpu', a.shape, a.dtype, data);
      ids.push(g);
      refArgs.push(r);
      gpuArgs.push({ t: g });
      if (a.kind === 'out') outs.push({ r, g });
    }
  }
  (ref as unknown as Record<string, (...x: unknown[]) => void>)[op](...refArgs);
  await h.host.op('webgpu', op, gpuArgs as never);
  const res: Array<[Float32Array | Int32Array, Float32Array | Int32Array]> = [];
  for (const o of outs) res.push([(await h.host.read('webgpu', o.g)) as Float32Array, (await ref.read(o.r)) as Float32Array]);
  for (const id of ids) await h.host.free('webgpu', id);
  return res;
}

/** Worst |gpu − ref| / (scale + |ref|) over all outputs; NaN anywhere fails (Infinity). */
async function err(op: string, args: Arg[], scale: number): Promise<number> {
  let worst = 0;
  for (const [g, r] of await both(op, args)) worst = Math.max(worst, maxRelErr(g, r, scale));
  worstByOp[op] = Math.max(worstByOp[op] ?? 0, worst);
  return worst;
}

const f16Of = (x: Float32Array) => Uint16Array.from(x, toF16Bits);
/** Raw little-endian bf16 bytes of x (truncated: the high 16 bits of each f32). */
const bf16Of = (x: Float32Array) => {
  const u = new Uint32Array(Float32Array.from(x).buffer);
  const out = new Uint8Array(2 * x.length);
  for (let i = 0; i < x.length; i++) [out[2 * i], out[2 * i + 1]] = [(u[i] >>> 16) & 0xff, u[i] >>> 24];
  return out;
};
const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

// Tolerances. Sums of products (matvec, norms) are compared at 1e-5 relative to max(1, |ref|): the
// reference accumulates in f64, the GPU in f32 in another order. Transcendentals use 1e-5 relative
// down to |ref| ≈ 1e-3 (scale 1e-3): WGSL only bounds exp/log to a few ULP (plus 2|x| ULP for exp),
// and SwiftShader's exp lands within a few 1e-7 of the f64 value.
const SUM = 1;
const TRANS = 1e-3;
const TOL = 1e-5;

describe('webgpu core ops vs reference', () => {
  it('add / mul with broadcasting (same size, divisor, scalar)', async () => {
    for (const [a, b, seed] of [[[1], [1], 1], [[7], [7], 2], [[3, 37], [37], 3], [[5, 257], [1], 4], [[2, 3, 5], [15], 5]] as Array<[number[], number[], number]>) {
      for (const op of ['add', 'mul']) {
        const e = await err(op, [O(a), I(a, randomF32(prod(a), seed)), I(b, randomF32(prod(b), seed + 50))], 1e-6);
        expect(e, `${op} ${a} ${b}`).toBeLessThanOrEqual(1e-6);
      }
    }
  });

  it('lerp = a + (b − a)·t with t per row and of full size; in place on a and on b', async () => {
    for (const [shape, tn, seed] of [[[1], 1, 1], [[7], 7, 2], [[3, 37], 37, 3], [[3, 37], 111, 4], [[2, 300], 300, 5]] as Array<[number[], number, number]>) {
      const n = prod(shape);
      const [x, y, t] = [randomF32(n, seed, -2, 2), randomF32(n, seed + 50, -2, 2), randomF32(tn, seed + 90, 0, 1)];
      expect(await err('lerp', [O(shape), I(shape, x), I(shape, y), I([tn], t)], SUM), `lerp ${shape} t ${tn}`).toBeLessThanOrEqual(TOL);
      const ref = new ReferenceBackend();
      const want = ref.tensor(shape, 'f32');
      ref.lerp(want, ref.tensor(shape, 'f32', x), ref.tensor(shape, 'f32', y), ref.tensor([tn], 'f32', t));
      for (const inPlace of [0, 1]) {
        const ab = [await h.host.tensor('webgpu', shape, 'f32', x), await h.host.tensor('webgpu', shape, 'f32', y)];
        const tt = await h.host.tensor('webgpu', [tn], 'f32', t);
        await h.host.op('webgpu', 'lerp', [{ t: ab[inPlace] }, { t: ab[0] }, { t: ab[1] }, { t: tt }]);
        const got = (await h.host.read('webgpu', ab[inPlace])) as Float32Array;
        expect(maxRelErr(got, (await ref.read(want)) as Float32Array, SUM), `lerp ${shape} in place on ${inPlace ? 'b' : 'a'}`).toBeLessThanOrEqual(TOL);
        for (const id of [...ab, tt]) await h.host.free('webgpu', id);
      }
    }
  });

  it('scale, silu, gelu, sigmoid, exp, softplus, relu, tanh on odd sizes', async () => {
    for (const n of [1, 7, 1000]) {
      const x = randomF32(n, 10 + n, -6, 6);
      // Edge values: 0, the gelu/erf branch points (|x|/√2 = 0.9, 4.5) and the softplus threshold.
      if (n === 1000) x.set([0, 0.9 * Math.SQRT2, -0.9 * Math.SQRT2, 4.5 * Math.SQRT2, -4.5 * Math.SQRT2, 20, 20.5, -20, -30, 30, 1e-8, -1e-8]);
      expect(await err('scale', [O([n]), I([n], x), V(-0.37)], 1e-6), 'scale').toBeLessThanOrEqual(1e-6);
      for (const op of ['silu', 'gelu', 'sigmoid', 'exp', 'softplus', 'relu', 'tanh']) {
        const e = await err(op, [O([n]), I([n], x)], TRANS);
        expect(e, `${op} n=${n}`).toBeLessThanOrEqual(TOL);
      }
      expect(await err('siluMul', [O([n]), I([n], x), I([n], randomF32(n, 20 + n, -2, 2))], TRANS), `siluMul n=${n}`).toBeLessThanOrEqual(TOL);
      // stacked [g | u] rows (swiglu): 1 row of 1, 1 row of 3, 2 rows of 250
      const [rows, w] = n === 1000 ? [2, 250] : [1, Math.max(1, n >> 1)];
      expect(await err('swiglu', [O([rows, w]), I([rows, 2 * w], randomF32(2 * rows * w, 30 + n, -6, 6))], TRANS), `swiglu ${rows}x${w}`).toBeLessThanOrEqual(TOL);
    }
  });

  it('geluTanhMul (GeGLU gate, tanh GELU) across [-12, 12] and on odd sizes', async () => {
    const x = Float32Array.from({ length: 4801 }, (_, i) => -12 + i * 0.005); // both |x| = 10 cut-offs
    const ones = new Float32Array(4801).fill(1);
    expect(await err('geluTanhMul', [O([4801]), I([4801], x), I([4801], ones)], TRANS)).toBeLessThanOrEqual(TOL);
    for (const n of [1, 7, 1000]) {
      expect(await err('geluTanhMul', [O([n]), I([n], randomF32(n, 40 + n, -6, 6)), I([n], randomF32(n, 60 + n, -2, 2))], TRANS), `n=${n}`).toBeLessThanOrEqual(TOL);
    }
  });

  it('tanh across [-12, 12] (dense sweep: the polynomial / exp branch point 0.625 and the cut-off 9), tiny and huge values', async () => {
    const x = Float32Array.from({ length: 4801 }, (_, i) => -12 + i * 0.005);
    x.set([0.625, -0.625, Math.fround(0.625 + 1e-7), 9, -9, 9.5, 1e-7, -3e-30, 0, 80, -1e30]);
    expect(await err('tanh', [O([4801]), I([4801], x)], TRANS)).toBeLessThanOrEqual(TOL);
  });

  it('gelu matches erf GELU across [-10, 10] (dense sweep)', async () => {
    const x = Float32Array.from({ length: 4001 }, (_, i) => -10 + i * 0.005);
    expect(await err('gelu', [O([4001]), I([4001], x)], TRANS)).toBeLessThanOrEqual(TOL);
  });

  it('matvec f32 / f16 (odd k included)', async () => {
    // k % 4 == 0 and k % 8 == 0 take the vectorised kernels; the others the scalar ones.
    for (const [m, k] of [[1, 1], [7, 13], [33, 65], [300, 257], [5, 1030], [3, 12], [9, 64], [17, 72]]) {
      const w = randomF32(m * k, m * 100 + k);
      const x = randomF32(k, k);
      expect(await err('matvec', [O([m]), I([m, k], w), I([k], x)], SUM), `f32 ${m}x${k}`).toBeLessThanOrEqual(TOL);
      expect(await err('matvec', [O([m]), I([m, k], f16Of(w), 'f16'), I([k], x)], SUM), `f16 ${m}x${k}`).toBeLessThanOrEqual(TOL);
    }
  });

  it('matmul f32 / f16: small batches (≤ 8) and 64×64 tiles (> 8)', async () => {
    for (const n of [1, 3, 8, 9, 21]) {
      for (const [m, k] of [[1, 1], [7, 13], [33, 65], [17, 40]]) {
        const w = randomF32(m * k, m * 7 + k + n);
        const x = randomF32(n * k, n * 31 + k);
        expect(await err('matmul', [O([n, m]), I([n, k], x), I([m, k], w)], SUM), `f32 n=${n} ${m}x${k}`).toBeLessThanOrEqual(TOL);
        expect(await err('matmul', [O([n, m]), I([n, k], x), I([m, k], f16Of(w), 'f16')], SUM), `f16 n=${n} ${m}x${k}`).toBeLessThanOrEqual(TOL);
      }
    }
    // Several 64×64 output tiles in both directions, ragged edges.
    for (const [n, m, k] of [[70, 131, 19]]) {
      const w = randomF32(m * k, m * 7 + k + n);
        const x = randomF32(n * k, n * 31 + k);
        expect(await err('matmul', [O([n, m]), I([n, k], x), I([m, k], w)], SUM), `f32 n=${n} ${m}x${k}`).toBeLessThanOrEqual(TOL);
        expect(await err('matmul', [O([n, m]), I([n, k], x), I([m, k], f16Of(w), 'f16')], SUM), `f16 n=${n} ${m}x${k}`).toBeLessThanOrEqual(TOL);
    }
  });

  it('spmv on CSR (80% zeros, empty rows, 1×1, > 65536 columns)', async () => {
    for (const [m, k, density] of [[1, 1, 1], [7, 13, 0.3], [50, 300, 0.2], [9, 70, 0]]) {
      const r = rng(m * 13 + k);
      const dense = randomF32(m * k, m + k).map((v) => (r() < density ? v : 0));
      if (m === 50) dense.fill(0, 3 * k, 5 * k); // two empty rows
      const x = randomF32(k, k + 1);
      expect(await err('spmv', [O([m]), S(csrFromDense(dense, m, k)), I([k], x)], SUM), `${m}x${k}`).toBeLessThanOrEqual(TOL);
    }
    // More than 65536 columns: u32 column indices instead of packed u16 pairs.
    const k = 70_001;
    const wide: CsrData = { rows: 2, cols: k, rowPtr: Uint32Array.of(0, 3, 5), colIdx: Uint32Array.of(0, 65536, 70_000, 1, 65535), values: Float32Array.of(1, 2, 3, 4, 5) };
    expect(await err('spmv', [O([2]), S(wide), I([k], randomF32(k, 9))], SUM), 'wide').toBeLessThanOrEqual(TOL);
  });

  it('spmm on CSR: N = 1, 3, 5 rows of x', async () => {
    for (const [n, m, k] of [[1, 7, 13], [3, 50, 300], [5, 9, 70]]) {
      const r = rng(n * 7 + m * 13 + k);
      const dense = randomF32(m * k, m + k).map((v) => (r() < 0.2 ? v : 0));
      if (m === 50) dense.fill(0, 3 * k, 5 * k); // two empty rows
      const x = randomF32(n * k, n + k + 1);
      expect(await err('spmm', [O([n, m]), S(csrFromDense(dense, m, k)), I([n, k], x)], SUM), `${n}x${m}x${k}`).toBeLessThanOrEqual(TOL);
    }
  });

  it('rmsnorm, layernorm, softmax over rows (d < and > workgroup size)', async () => {
    for (const [rows, d] of [[1, 1], [3, 7], [2, 300], [4, 1025]]) {
      const x = randomF32(rows * d, rows * 1000 + d, -3, 3);
      const w = randomF32(d, d + 1, 0.5, 1.5);
      const b = randomF32(d, d + 2);
      expect(await err('rmsnorm', [O([rows, d]), I([rows, d], x), I([d], w), V(1e-5)], SUM), `rmsnorm ${rows}x${d}`).toBeLessThanOrEqual(TOL);
      // both outputs (the sum and the normed rows) against the reference
      const r2 = randomF32(rows * d, rows * 1000 + d + 7, -1, 1);
      expect(await err('addRmsnorm', [O([rows, d]), O([rows, d]), I([rows, d], x), I([rows, d], r2), I([d], w), V(1e-5)], SUM), `addRmsnorm ${rows}x${d}`).toBeLessThanOrEqual(TOL);
      expect(await err('layernorm', [O([rows, d]), I([rows, d], x), I([d], w), I([d], b), V(1e-5)], SUM), `layernorm ${rows}x${d}`).toBeLessThanOrEqual(TOL);
      expect(await err('softmax', [O([rows, d]), I([rows, d], x)], TRANS), `softmax ${rows}x${d}`).toBeLessThanOrEqual(TOL);
    }
  });

  it('argmax: first index wins ties, rows > 1', async () => {
    for (const [rows, v] of [[1, 1], [3, 7], [2, 300], [3, 1027]]) {
      // Quantized values make ties likely; the last row puts the maximum twice.
      const x = randomF32(rows * v, rows + v).map((a) => Math.round(a * 8) / 8);
      x[(rows - 1) * v + Math.floor(v / 2)] = 5;
      x[(rows - 1) * v + v - 1] = 5;
      const [[g, r]] = await both('argmax', [O([rows], 'i32'), I([rows, v], x)]);
      expect(Array.from(g), `${rows}x${v}`).toEqual(Array.from(r));
    }
  });

  it('argmax with NaN, ±Inf and ±0 like the scalar scan (NaN skipped unless in column 0)', async () => {
    const rows = [
      [1, 5, 5, 2, 5, 0, 1],
      [NaN, 3, 4, 9, 1, 1, 1],
      [1, NaN, 4, 9, 9, NaN, 1],
      [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
      [-0, 0, -1, -2, -3, -4, -5],
      [0, 1, 2, 3, 4, 5, 6],
      [6, 5, 4, 3, 2, 1, Infinity],
    ];
    const [[g, r]] = await both('argmax', [O([rows.length], 'i32'), I([rows.length, 7], Float32Array.from(rows.flat()))]);
    expect(Array.from(r)).toEqual([1, 0, 3, 0, 0, 6, 6]);
    expect(Array.from(g)).toEqual(Array.from(r));
  });

  it('softmax with large logits and −Inf (masked) entries; layernorm with a large common offset', async () => {
    for (const [rows, d] of [[2, 7], [3, 300]]) {
      const x = randomF32(rows * d, rows + d, -30, 30);
      for (let i = 0; i < rows; i++) x[i * d + 1] = -Infinity;
      expect(await err('softmax', [O([rows, d]), I([rows, d], x)], TRANS), `softmax ${rows}x${d}`).toBeLessThanOrEqual(TOL);
      // mean ≫ spread: a one-pass E[x²] − E[x]² variance would lose every digit here. Two-pass is
      // exact up to the f32 mean itself (ulp(1000) = 6e-5, i.e. ~2e-4 of the 0.29 spread): 1e-3.
      const y = randomF32(rows * d, rows * d, 1000, 1001);
      const w = new Float32Array(d).fill(1);
      expect(await err('layernorm', [O([rows, d]), I([rows, d], y), I([d], w), I([d], new Float32Array(d)), V(1e-5)], SUM)).toBeLessThanOrEqual(1e-3);
    }
  });

  it('f16 zeros, subnormals, max and ±Inf halves convert exactly (embedding, matvec)', async () => {
    const halves = Uint16Array.from([0x0000, 0x8000, 0x0001, 0x83ff, 0x03ff, 0x7bff, 0xfbff, 0x3c00, 0x7c00, 0xfc00]);
    const [[g, r]] = await both('embedding', [O([1, 10]), I([1, 10], halves, 'f16'), I([1], new Int32Array([0]), 'i32')]);
    expect(Array.from(g)).toEqual(Array.from(r));
    expect(r[8]).toBe(Infinity);
    // A weight row holding +Inf gives +Inf (x > 0); the others stay finite and accurate.
    const w = f16Of(randomF32(3 * 9, 4));
    w[9 + 4] = 0x7c00;
    w[2] = 0x0001;
    const x = randomF32(9, 5, 0.5, 1);
    const [[gm, rm]] = await both('matvec', [O([3]), I([3, 9], w, 'f16'), I([9], x)]);
    expect(gm[1]).toBe(Infinity);
    expect(maxRelErr([gm[0], gm[2]], [rm[0], rm[2]], SUM)).toBeLessThanOrEqual(TOL);
  });

  it('rope: both styles, several heads, positions incl. beyond the cached table', async () => {
    for (const style of ['half', 'interleaved'] as const) {
      for (const [rows, heads, headDim, pos] of [[1, 1, 2, 0], [3, 2, 6, 5], [2, 3, 64, 1000], [1, 2, 8, 70000]]) {
        const x = randomF32(rows * heads * headDim, rows + heads + headDim + pos);
        const e = await err('rope', [O([rows, heads * headDim]), I([rows, heads * headDim], x), V({ pos, headDim, theta: 10000, style })], SUM);
        expect(e, `${style} ${rows}x${heads}x${headDim} @${pos}`).toBeLessThanOrEqual(TOL);
      }
    }
  });

  it('rope and ropeQkv with per-pair frequency divisors (Llama 3 scaling)', async () => {
    for (const style of ['half', 'interleaved'] as const) {
      for (const [rows, heads, headDim, pos] of [[3, 2, 6, 5], [2, 3, 64, 1000], [1, 2, 8, 70000]]) {
        const freqFactors = Array.from({ length: headDim / 2 }, (_, i) => 1.3 + (i % 5) * 1.7);
        const x = randomF32(rows * heads * headDim, rows + heads + headDim + pos + 1);
        const e = await err('rope', [O([rows, heads * headDim]), I([rows, heads * headDim], x), V({ pos, headDim, theta: 500000, style, freqFactors })], SUM);
        expect(e, `${style} ${rows}x${heads}x${headDim} @${pos}`).toBeLessThanOrEqual(TOL);
        const [qW, kW] = [heads * headDim, headDim];
        const xq = randomF32(rows * (qW + 2 * kW), pos + 3);
        const eq = await err('ropeQkv', [O([rows, qW]), O([rows, kW]), O([rows, kW]), I([rows, qW + 2 * kW], xq), V({ pos, headDim, theta: 500000, style, freqFactors })], SUM);
        expect(eq, `qkv ${style} ${rows}x${heads}x${headDim} @${pos}`).toBeLessThanOrEqual(TOL);
      }
    }
  });

  it('ropeQkv: stacked [q | k | v] rows split and rotated in one dispatch (GQA widths, both styles)', async () => {
    for (const style of ['half', 'interleaved'] as const) {
      for (const [rows, hq, hkv, headDim, pos] of [[1, 1, 1, 2, 0], [3, 4, 2, 6, 5], [2, 9, 3, 64, 1000], [1, 2, 1, 8, 70000]]) {
        const [qW, kW] = [hq * headDim, hkv * headDim];
        const x = randomF32(rows * (qW + 2 * kW), rows + hq + headDim + pos);
        const e = await err('ropeQkv', [O([rows, qW]), O([rows, kW]), O([rows, kW]), I([rows, qW + 2 * kW], x), V({ pos, headDim, theta: 10000, style })], SUM);
        expect(e, `${style} ${rows}x(${hq}+${hkv})x${headDim} @${pos}`).toBeLessThanOrEqual(TOL);
      }
    }
  });

  it('embedding from f32 and f16 tables (odd d)', async () => {
    for (const [vocab, d, ids] of [[1, 1, [0]], [11, 7, [3, 0, 10, 3, 5]], [50, 33, [49, 1]]] as Array<[number, number, number[]]>) {
      const t = randomF32(vocab * d, vocab + d);
      const idArr = Int32Array.from(ids);
      expect(await err('embedding', [O([ids.length, d]), I([vocab, d], t), I([ids.length], idArr, 'i32')], SUM)).toBe(0);
      expect(await err('embedding', [O([ids.length, d]), I([vocab, d], f16Of(t), 'f16'), I([ids.length], idArr, 'i32')], SUM)).toBe(0);
    }
  });

  it('bf16 weights: matvec / matmul (scalar, 8-wide, small-batch, tiled; odd k: rows start mid-word), embedding exact, ±Inf/NaN/±0/subnormal', async () => {
    // k % 8 == 0 takes the vectorised kernels; n > 8 the 64×64 tiled matmul.
    for (const [m, k] of [[1, 1], [7, 13], [33, 65], [5, 130], [9, 64], [70, 72]]) {
      const w = bf16Of(randomF32(m * k, m * 100 + k));
      for (const n of [1, 3, 11]) {
        const x = randomF32(n * k, k + n);
        const e = n === 1 ? await err('matvec', [O([m]), I([m, k], w, 'bf16'), I([k], x)], SUM) : await err('matmul', [O([n, m]), I([n, k], x), I([m, k], w, 'bf16')], SUM);
        expect(e, `bf16 ${m}x${k} n=${n}`).toBeLessThanOrEqual(TOL);
      }
    }
    for (const [vocab, d, ids] of [[1, 1, [0]], [11, 7, [3, 0, 10, 3, 5]]] as Array<[number, number, number[]]>) {
      const t = bf16Of(randomF32(vocab * d, vocab + d));
      expect(await err('embedding', [O([ids.length, d]), I([vocab, d], t, 'bf16'), I([ids.length], Int32Array.from(ids), 'i32')], SUM)).toBe(0);
    }
    // 0, −0, smallest subnormal, 1, −2, max finite, +Inf, −Inf (NaN checked separately)
    const special = new Uint8Array(new Uint16Array([0x0000, 0x8000, 0x0001, 0x3f80, 0xc000, 0x7f7f, 0x7f80, 0xff80, 0x7fc0]).buffer);
    const [[g, r]] = await both('embedding', [O([1, 9]), I([1, 9], special, 'bf16'), I([1], new Int32Array([0]), 'i32')]);
    expect(Array.from(g.subarray(3, 8))).toEqual(Array.from(r.subarray(3, 8)));
    expect([g[0], g[1], g[6], g[7]]).toEqual([0, -0, Infinity, -Infinity]);
    expect(g[8]).toBeNaN();
    const w = bf16Of(randomF32(3 * 9, 4));
    [w[2 * 13], w[2 * 13 + 1]] = [0x80, 0x7f]; // row 1, column 4: +Inf
    const [[gm, rm]] = await both('matvec', [O([3]), I([3, 9], w, 'bf16'), I([9], randomF32(9, 5, 0.5, 1))]);
    expect(gm[1]).toBe(Infinity);
    expect(maxRelErr([gm[0], gm[2]], [rm[0], rm[2]], SUM)).toBeLessThanOrEqual(TOL);
  });

  it('copy f32 / i32 / f16 at odd offsets, and fill', async () => {
    const src = randomF32(37, 1);
    expect(await err('copy', [O([41]), V(3), I([37], src), V(5), V(29)], 1e-6)).toBe(0);
    const isrc = Int32Array.from({ length: 37 }, (_, i) => i * 3 - 50);
    const [[gi, ri]] = await both('copy', [O([41], 'i32'), V(0), I([37], isrc, 'i32'), V(1), V(36)]);
    expect(Array.from(gi)).toEqual(Array.from(ri));
    for (const [dOff, sOff, count] of [[0, 0, 37], [1, 0, 5], [3, 2, 30], [4, 5, 1], [40, 36, 1], [0, 0, 0]]) {
      const [[g, r]] = await both('copy', [O([41], 'f16'), V(dOff), I([37], f16Of(src), 'f16'), V(sOff), V(count)]);
      // Untouched halves keep the NaN poison on both sides; compare bit-for-bit via NaN-aware equality.
      expect(maxRelErr(g, r), `f16 ${dOff} ${sOff} ${count}`).toBe(0);
    }
    expect(await err('fill', [O([13]), V(-2.5)], 1e-6)).toBe(0);
    const [[gf, rf]] = await both('fill', [O([5], 'i32'), V(42)]);
    expect(Array.from(gf)).toEqual(Array.from(rf));
  });
});

describe('webgpu specifics', () => {
  it('in-place calls (out aliases an input) give the same result', async () => {
    // Dedicated in-place kernels (binary, unary, rope) and the generic scratch path (rmsnorm, add
    // with out aliasing b, siluMul / geluTanhMul with out aliasing u, addRmsnorm with sum aliasing a).
    const x = randomF32(300, 9);
    const b = randomF32(300, 10);
    const ones = new Float32Array(100).fill(1);
    const rope = { pos: 3, headDim: 10, theta: 10000, style: 'half' as const };
    const a = await h.host.tensor('webgpu', [3, 100], 'f32', x);
    const bb = await h.host.tensor('webgpu', [3, 100], 'f32', b);
    const w = await h.host.tensor('webgpu', [100], 'f32', ones);
    await h.host.op('webgpu', 'add', [{ t: a }, { t: a }, { t: bb }]);
    await h.host.op('webgpu', 'silu', [{ t: a }, { t: a }]);
    await h.host.op('webgpu', 'mul', [{ t: a }, { t: a }, { t: bb }]);
    await h.host.op('webgpu', 'scale', [{ t: a }, { t: a }, 3]);
    await h.host.op('webgpu', 'rope', [{ t: a }, { t: a }, rope]);
    await h.host.op('webgpu', 'rmsnorm', [{ t: a }, { t: a }, { t: w }, 1e-6]);
    await h.host.op('webgpu', 'add', [{ t: bb }, { t: a }, { t: bb }]);
    // fused ops in place: siluMul on u (scratch path), addRmsnorm with sum aliasing a (scratch path)
    const n2 = await h.host.tensor('webgpu', [3, 100], 'f32');
    await h.host.op('webgpu', 'siluMul', [{ t: bb }, { t: a }, { t: bb }]);
    await h.host.op('webgpu', 'geluTanhMul', [{ t: bb }, { t: a }, { t: bb }]);
    await h.host.op('webgpu', 'geluTanhMul', [{ t: a }, { t: a }, { t: bb }]);
    await h.host.op('webgpu', 'addRmsnorm', [{ t: a }, { t: n2 }, { t: a }, { t: bb }, { t: w }, 1e-6]);
    const got = [(await h.host.read('webgpu', a)) as Float32Array, (await h.host.read('webgpu', bb)) as Float32Array, (await h.host.read('webgpu', n2)) as Float32Array];
    const ref = new ReferenceBackend();
    const ra = ref.tensor([3, 100], 'f32', x);
    const rb = ref.tensor([3, 100], 'f32', b);
    ref.add(ra, ra, rb);
    ref.silu(ra, ra);
    ref.mul(ra, ra, rb);
    ref.scale(ra, ra, 3);
    ref.rope(ra, ra, rope);
    ref.rmsnorm(ra, ra, ref.tensor([100], 'f32', ones), 1e-6);
    ref.add(rb, ra, rb);
    const rn = ref.tensor([3, 100], 'f32');
    ref.siluMul(rb, ra, rb);
    ref.geluTanhMul(rb, ra, rb);
    ref.geluTanhMul(ra, ra, rb);
    ref.addRmsnorm(ra, rn, ra, rb, ref.tensor([100], 'f32', ones), 1e-6);
    expect(maxRelErr(got[0], (await ref.read(ra)) as Float32Array, SUM)).toBeLessThanOrEqual(TOL);
    expect(maxRelErr(got[1], (await ref.read(rb)) as Float32Array, SUM)).toBeLessThanOrEqual(TOL);
    expect(maxRelErr(got[2], (await ref.read(rn)) as Float32Array, SUM)).toBeLessThanOrEqual(TOL);
    // copy within one tensor (overlapping ranges, memmove semantics like TypedArray.set)
    const c = await h.host.tensor('webgpu', [10], 'f32', Float32Array.from({ length: 10 }, (_, i) => i));
    await h.host.op('webgpu', 'copy', [{ t: c }, 2, { t: c }, 0, 6]);
    expect(Array.from((await h.host.read('webgpu', c)) as Float32Array)).toEqual([0, 1, 0, 1, 2, 3, 4, 5, 8, 9]);
  });

  it('2-D dispatch grids: more than 65535 workgroups (elementwise, checked in the worker)', async () => {
    // 65538 workgroups of 256 threads (a multiple of 3 so the broadcast bias divides it). Row kernels
    // share the same grid() split, but 65536 rows of 256-thread workgroups take ~45 s on SwiftShader.
    const n = 65536 * 256 + 302;
    const r = (await h.host.runCase('/test/browser/cases/webgpu-grid.ts', 'bigElementwise', { n })) as { wrong: number; last: number[] };
    expect(r.wrong).toBe(0);
    expect(r.last).toEqual([3.25, 3.5, 3.75].map((_, i) => 3 + 0.25 * (((n - 3 + i) % 3) + 1)));
  });

});

describe('bad input through the worker', () => {
  it('overlapping read-backs of several sizes through the pooled staging buffers each get their own values', async () => {
    const r = (await h.host.runCase('/test/browser/cases/webgpu-grid.ts', 'overlappingReads', { rounds: 4 })) as { wrong: number; reads: number };
    expect(r.reads).toBe(28);
    expect(r.wrong).toBe(0);
  });

  it('empty tensors are no-ops, like the reference', async () => {
    expect(await err('add', [O([0]), I([0], new Float32Array(0)), I([0], new Float32Array(0))], 1e-6)).toBe(0);
    expect(await err('gelu', [O([0, 3]), I([0, 3], new Float32Array(0))], 1e-6)).toBe(0);
    expect(await err('matvec', [O([0]), I([0, 5], new Float32Array(0)), I([5], randomF32(5, 1))], SUM)).toBe(0);
    expect(await err('matvec', [O([3]), I([3, 0], new Float32Array(0)), I([0], new Float32Array(0))], SUM)).toBe(0);
    expect(await err('matmul', [O([0, 3]), I([0, 4], new Float32Array(0)), I([3, 4], randomF32(12, 2))], SUM)).toBe(0);
    expect(await err('rmsnorm', [O([0, 4]), I([0, 4], new Float32Array(0)), I([4], randomF32(4, 3)), V(1e-5)], SUM)).toBe(0);
    expect(await err('embedding', [O([0, 4]), I([3, 4], randomF32(12, 4)), I([0], new Int32Array(0), 'i32')], SUM)).toBe(0);
  });

  it('writing a sparse matrix is refused like on the reference backend', async () => {
    const s = await h.host.sparse('webgpu', { rows: 1, cols: 2, rowPtr: new Uint32Array([0, 1]), colIdx: new Uint32Array([1]), values: new Float32Array([2]) });
    await expect(h.host.write('webgpu', s, new Uint8Array(12))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'write: sparse matrices are immutable' });
    expect(Array.from(new Float32Array(((await h.host.read('webgpu', s)) as Uint8Array).buffer))).toEqual([2]);
  });

  it('a shape mismatch is a SparrowError with code and message; the worker keeps working', async () => {
    const a = await h.host.tensor('webgpu', [2, 3], 'f32');
    const w = await h.host.tensor('webgpu', [4, 5], 'f32');
    const o = await h.host.tensor('webgpu', [4], 'f32');
    await expect(h.host.op('webgpu', 'matvec', [{ t: o }, { t: w }, { t: a }])).rejects.toMatchObject({
      name: 'SparrowError',
      code: 'SHAPE_MISMATCH',
      message: expect.stringMatching(/matvec: x must have 5 elements \(w \[4, 5\], x \[2, 3\]\)/),
    });
    expect(await err('add', [O([3]), I([3], new Float32Array([1, 2, 3])), I([1], new Float32Array([1]))], 1e-6)).toBe(0);
  });

  it('every bad call throws the same SparrowError (code and message) as on the reference backend', async () => {
    const rows = (await h.host.runCase('/test/browser/cases/webgpu-bad-input.ts', 'badInput', {})) as Array<{ name: string; reference: string; webgpu: string }>;
    expect(rows.length).toBeGreaterThan(30);
    // Dtype support is backend-specific, so those messages differ (as in test/kernels/bad-input).
    const codeOnly = new Set(['matvec i32 weight', 'fill of f16']);
    const mismatches = rows.filter((r) => (codeOnly.has(r.name) ? r.webgpu.split(':')[0] !== r.reference.split(':')[0] : r.webgpu !== r.reference));
    for (const r of rows) expect(r.reference, r.name).toMatch(/^[A-Z_]+: /);
    expect(mismatches).toEqual([]);
  });

  it('an out-of-range token id throws INDEX_OUT_OF_RANGE (never garbage); the worker keeps working', async () => {
    const table = await h.host.tensor('webgpu', [4, 3], 'f32', randomF32(12, 5));
    const ids = await h.host.tensor('webgpu', [2], 'i32', new Int32Array([1, 4]));
    const out = await h.host.tensor('webgpu', [2, 3], 'f32');
    await expect(h.host.op('webgpu', 'embedding', [{ t: out }, { t: table }, { t: ids }])).rejects.toMatchObject({
      code: 'INDEX_OUT_OF_RANGE',
      message: expect.stringContaining('embedding: id 4 at 1 is outside the vocabulary [0, 4)'),
    });
    await h.host.write('webgpu', ids, new Int32Array([-1, 0]));
    await expect(h.host.op('webgpu', 'embedding', [{ t: out }, { t: table }, { t: ids }])).rejects.toMatchObject({ code: 'INDEX_OUT_OF_RANGE' });
    expect(await err('add', [O([2]), I([2], new Float32Array([1, 2])), I([2], new Float32Array([3, 4]))], 1e-6)).toBe(0);
  });

  it('ids computed on the GPU are range-checked by the kernel (error at the next read)', async () => {
    // argmax over 10 logits picks id 9; the table only has 5 rows.
    const logits = await h.host.tensor('webgpu', [1, 10], 'f32', Float32Array.from({ length: 10 }, (_, i) => i));
    const ids = await h.host.tensor('webgpu', [1], 'i32');
    await h.host.op('webgpu', 'argmax', [{ t: ids }, { t: logits }]);
    const table = await h.host.tensor('webgpu', [5, 4], 'f32', randomF32(20, 6));
    const out = await h.host.tensor('webgpu', [1, 4], 'f32', new Float32Array(4).fill(NaN));
    await h.host.op('webgpu', 'embedding', [{ t: out }, { t: table }, { t: ids }]);
    await expect(h.host.read('webgpu', out)).rejects.toMatchObject({ code: 'INDEX_OUT_OF_RANGE', message: expect.stringContaining('id 9 at 0') });
    // The kernel wrote zeros, not another row, and the flag was reset.
    expect(Array.from((await h.host.read('webgpu', out)) as Float32Array)).toEqual([0, 0, 0, 0]);
  });

  it('a lost device gives DEVICE_LOST (no hang); init then builds a working device', async () => {
    const a = await h.host.tensor('webgpu', [4], 'f32', new Float32Array([1, 2, 3, 4]));
    await h.host.testLoseDevice();
    await expect(h.host.op('webgpu', 'scale', [{ t: a }, { t: a }, 2])).rejects.toMatchObject({ code: 'DEVICE_LOST' });
    await expect(h.host.read('webgpu', a)).rejects.toMatchObject({ code: 'DEVICE_LOST' });
    await expect(h.host.flush('webgpu')).rejects.toMatchObject({ code: 'DEVICE_LOST' });
    await expect(h.host.tensor('webgpu', [4], 'f32')).rejects.toMatchObject({ code: 'DEVICE_LOST' });
    const info = await h.host.init('webgpu');
    expect(info.adapter).toBeDefined();
    expect(await err('scale', [O([4]), I([4], new Float32Array([1, 2, 3, 4])), V(2)], 1e-6)).toBe(0);
  });
});
