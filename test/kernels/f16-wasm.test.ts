/**
 * F16 linear weights on the wasm backend after "preparation" (src/backends/wasm/f16.ts): at first
 * use as a linear weight, nonzero subnormal halves move into a side list and +0 is stored in their
 * place; the check-free matvec kernel (assembly/f16-matvec.ts) plus the side-list fix-up must still
 * equal a float64 oracle on the ORIGINAL halves — for subnormal, ±0, max-normal, Inf and NaN halves,
 * huge and non-finite x, shapes that are not multiples of 4/8/16 — and every other use of the
 * tensor (read, write, copy, embedding lookups of a tied table, prefill matmul) must see the
 * original data.
 */
import { describe, expect, it } from 'vitest';
import { WasmBackend, type WasmTensor } from '../../src/backends/wasm/backend.ts';
import { setF16Preparation } from '../../src/backends/wasm/f16.ts';
import { fromF16Bits, toF16Bits } from '../../src/util/f16.ts';
import { rng } from '../helpers/random.ts';
import { f16LinearOracle } from '../helpers/linear.ts';
import { worstRelExactNonFinite } from '../helpers/expect-linear.ts';

/** Random halves: normals of several magnitudes, ~1.5 % nonzero subnormals of both signs, ±0, ±max-normal. */
function halves(n: number, seed: number): Uint16Array {
  const r = rng(seed);
  const h = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    const sign = r() < 0.5 ? 0x8000 : 0;
    if (u < 0.015) h[i] = sign | (1 + Math.floor(r() * 0x3ff)); // nonzero subnormal
    else if (u < 0.05) h[i] = sign; // ±0
    else if (u < 0.052) h[i] = sign | 0x7bff; // ±65504
    else if (u < 0.06) h[i] = sign | 0x0400; // smallest normal
    else h[i] = toF16Bits((r() * 2 - 1) * 10 ** (-2 + 2 * r())); // |v| < 6.1e-5 (subnormal) ~0.1 %
  }
  return h;
}

function subnormalCount(h: Uint16Array): number {
  let c = 0;
  for (const v of h) if ((v & 0x7fff) !== 0 && (v & 0x7fff) < 0x400) c++;
  return c;
}

/** Relative error against the oracle; non-finite expected outputs must match exactly (NaN = NaN). */
function expectClose(got: Float32Array, w: Uint16Array, m: number, k: number, x: Float32Array, n: number, what: string): void {
  const { out, mag } = f16LinearOracle(w, m, k, x, n);
  expect(worstRelExactNonFinite(got, out, mag, what), what).toBeLessThan(2e-6);
}

function xs(k: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: k }, () => (r() * 2 - 1) * scale);
}

async function matvec(b: WasmBackend, w: WasmTensor, x: Float32Array, m: number): Promise<Float32Array> {
  const xt = b.tensor([x.length], 'f32', x);
  const o = b.tensor([m], 'f32', new Float32Array(m).fill(NaN));
  b.matvec(o, w, xt);
  const r = (await b.read(o)) as Float32Array;
  b.free(xt);
  b.free(o);
  return r;
}

async function matmul(b: WasmBackend, w: WasmTensor, x: Float32Array, n: number, m: number, k: number): Promise<Float32Array> {
  const xt = b.tensor([n, k], 'f32', x);
  const o = b.tensor([n, m], 'f32', new Float32Array(n * m).fill(NaN));
  b.matmul(o, xt, w);
  const r = (await b.read(o)) as Float32Array;
  b.free(xt);
  b.free(o);
  return r;
}

const SHAPES: [number, number][] = [[1, 1], [3, 5], [4, 8], [5, 16], [7, 17], [13, 24], [9, 31], [33, 40], [66, 67], [131, 96], [5, 576], [64, 1000]];

describe('wasm f16 linear weights with a subnormal side list', () => {
  it('matvec matches the f64 oracle on odd shapes, stays right on repeated calls, and moved every subnormal half', async () => {
    const b = await WasmBackend.create();
    let withSideList = 0;
    for (const [m, k] of SHAPES) {
      const h = halves(m * k, m * 1000 + k);
      const w = b.tensor([m, k], 'f16', h) as WasmTensor;
      for (let rep = 0; rep < 2; rep++) {
        const x = xs(k, 7 + rep);
        expectClose(await matvec(b, w, x, m), h, m, k, x, 1, `[${m},${k}] call ${rep}`);
      }
      // A side list only up to 1/32 subnormal halves (tiny matrices may have more): else the checked kernel.
      const sub = subnormalCount(h);
      if (sub * 32 <= m * k) expect(w.f16plan?.count, `[${m},${k}] side list`).toBe(sub);
      else expect(w.f16plan, `[${m},${k}] ${sub} subnormal halves`).toBeNull();
      if (w.f16plan && w.f16plan.count > 0) withSideList++;
      b.free(w);
    }
    expect(withSideList, 'shapes that ran the side-list path').toBeGreaterThanOrEqual(SHAPES.length - 3);
    b.dispose();
  });

  it('huge x (≥ 2^15, the exact widening) and Inf/NaN in x match the oracle on the original halves', async () => {
    const b = await WasmBackend.create();
    for (const [m, k] of [[7, 17], [33, 40], [12, 576]] as [number, number][]) {
      const h = halves(m * k, 31 * m + k);
      const w = b.tensor([m, k], 'f16', h) as WasmTensor;
      const normal = xs(k, 3);
      expectClose(await matvec(b, w, normal, m), h, m, k, normal, 1, `[${m},${k}] normal x`);
      const huge = xs(k, 4, 1e5);
      huge[0] = 40000;
      expectClose(await matvec(b, w, huge, m), h, m, k, huge, 1, `[${m},${k}] huge x`);
      for (const special of [Infinity, -Infinity, NaN]) {
        // Inf at a column where some row holds a subnormal (prepared storage has 0 there: 0·Inf = NaN).
        const col = h.findIndex((v) => (v & 0x7fff) !== 0 && (v & 0x7fff) < 0x400) % k;
        const x = xs(k, 5);
        x[col] = special;
        expectClose(await matvec(b, w, x, m), h, m, k, x, 1, `[${m},${k}] x[${col}] = ${special}`);
        if (subnormalCount(h) * 32 <= m * k) expect(w.f16plan?.count, 'the side list stays').toBe(subnormalCount(h));
        expectClose(await matvec(b, w, normal, m), h, m, k, normal, 1, `[${m},${k}] normal x after ${special}`);
      }
      b.free(w);
    }
    b.dispose();
  });

  it('weights holding Inf/NaN halves (or mostly subnormal ones) keep the checked kernel and match the oracle', async () => {
    const b = await WasmBackend.create();
    const [m, k] = [9, 37];
    const h = halves(m * k, 99);
    h[5] = 0x7c00; // +Inf in row 0
    h[k * 3 + 20] = 0xfc00; // −Inf in row 3
    h[k * 7 + 36] = 0x7e00; // NaN in row 7 (tail column)
    const w = b.tensor([m, k], 'f16', h) as WasmTensor;
    const x = xs(k, 1);
    expectClose(await matvec(b, w, x, m), h, m, k, x, 1, 'Inf/NaN weights');
    expect(w.f16plan).toBeNull();
    b.free(w);
    // Mostly subnormal halves: not worth a side list, the checked kernel runs instead.
    const dense = halves(m * k, 98).map((v, i) => (i % 3 ? (v & 0x8000) | (1 + (i % 0x3ff)) : v));
    const wd = b.tensor([m, k], 'f16', dense) as WasmTensor;
    expectClose(await matvec(b, wd, x, m), dense, m, k, x, 1, 'mostly subnormal weights');
    expect(wd.f16plan).toBeNull();
    b.free(wd);
    b.dispose();
  });

  it('read, copy and write of a prepared weight see the original halves', async () => {
    const b = await WasmBackend.create();
    const [m, k] = [13, 24];
    const h = halves(m * k, 5);
    const w = b.tensor([m, k], 'f16', h) as WasmTensor;
    const x = xs(k, 2);
    await matvec(b, w, x, m);
    expect(w.f16plan?.count).toBeGreaterThan(0);
    const back = (await b.read(w)) as Float32Array;
    expect(Array.from(back)).toEqual(Array.from(h, fromF16Bits));
    expectClose(await matvec(b, w, x, m), h, m, k, x, 1, 'after read');
    const c = b.tensor([m, k], 'f16');
    b.copy(c, 0, w, 0, m * k);
    expect(Array.from((await b.read(c)) as Float32Array)).toEqual(Array.from(h, fromF16Bits));
    const h2 = halves(m * k, 6);
    await matvec(b, w, x, m);
    b.write(w, h2);
    expectClose(await matvec(b, w, x, m), h2, m, k, x, 1, 'after write');
    for (const t of [w, c]) b.free(t);
    b.dispose();
  });

  it('embedding lookups of a prepared (tied) table return the original rows', async () => {
    const b = await WasmBackend.create();
    const [vocab, d] = [37, 20];
    const h = halves(vocab * d, 11);
    const table = b.tensor([vocab, d], 'f16', h) as WasmTensor;
    const ids = Int32Array.from({ length: 2 * vocab }, (_, i) => (i * 7) % vocab);
    const want = Float32Array.from({ length: ids.length * d }, (_, i) => fromF16Bits(h[ids[Math.floor(i / d)] * d + (i % d)]));
    for (let rep = 0; rep < 2; rep++) {
      const x = xs(d, rep);
      expectClose(await matvec(b, table, x, vocab), h, vocab, d, x, 1, `head ${rep}`);
      expect(table.f16plan?.count).toBe(subnormalCount(h));
      const it = b.tensor([ids.length], 'i32', ids);
      const o = b.tensor([ids.length, d], 'f32', new Float32Array(ids.length * d).fill(NaN));
      b.embedding(o, table, it);
      expect(Array.from((await b.read(o)) as Float32Array)).toEqual(Array.from(want));
      b.free(it);
      b.free(o);
    }
    b.free(table);
    b.dispose();
  });

  it('prefill matmul on a prepared weight matches the oracle (also with Inf/NaN in X) and equals the unprepared matmul bit for bit', async () => {
    const b = await WasmBackend.create();
    for (const [n, m, k] of [[3, 7, 17], [33, 13, 40], [5, 66, 67]] as [number, number, number][]) {
      const h = halves(m * k, n + m + k);
      const w = b.tensor([m, k], 'f16', h) as WasmTensor;
      const x1 = xs(k, 1);
      expectClose(await matvec(b, w, x1, m), h, m, k, x1, 1, `[${m},${k}] prepare`);
      const x = xs(n * k, 9);
      expectClose(await matmul(b, w, x, n, m, k), h, m, k, x, n, `[${n},${m},${k}] matmul`);
      const col = h.findIndex((v) => (v & 0x7fff) !== 0 && (v & 0x7fff) < 0x400) % k;
      x[k + col] = Infinity;
      x[col] = NaN;
      expectClose(await matmul(b, w, x, n, m, k), h, m, k, x, n, `[${n},${m},${k}] matmul, non-finite X`);
      expectClose(await matvec(b, w, x1, m), h, m, k, x1, 1, `[${m},${k}] matvec after`);
      // The side list goes back into the widened rows: bit-identical to the unprepared matmul.
      const prepared = await matmul(b, w, x, n, m, k);
      expect(w.f16plan?.count).toBe(subnormalCount(h));
      setF16Preparation(false);
      try {
        const plain = await matmul(b, w, x, n, m, k);
        expect(w.f16plan).toBeUndefined();
        expect(Array.from(prepared).map((v) => Object.is(v, -0) ? 0 : v)).toEqual(Array.from(plain).map((v) => Object.is(v, -0) ? 0 : v));
      } finally {
        setF16Preparation(true);
      }
      b.free(w);
    }
    b.dispose();
  });
});
