/**
 * Every core op on the wasm backend against the reference backend (float64 accumulation), on fresh
 * seeded random inputs over a sweep of shapes: 1×1, odd sizes, sizes not multiples of 4, batches.
 * Outputs are poisoned (NaN / −999) before each run, so an element a kernel forgets to write fails.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend, CsrData, DType, RopeOptions, Tensor, TensorData } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend, type WasmTensor } from '../../src/backends/wasm/backend.ts';
import { SPARSE_LAYOUTS, WIN16_MAX_COLS, WORD8_MAX_COLS, csr16nFits, smallestSparseLayout, word8Fits, type SparseLayoutKind } from '../../src/backends/wasm/sparse.ts';
import { csrFromDense, csrToDense } from '../../src/backends/sparse.ts';
import { f32ToF16Array, fromF16Bits } from '../../src/util/f16.ts';
import { randomF32, rng } from '../helpers/random.ts';

let ref: ReferenceBackend;
let wasm: WasmBackend;
beforeAll(async () => {
  ref = new ReferenceBackend();
  wasm = await WasmBackend.create();
});

type Out = Float32Array | Int32Array;

/** Run `f` on both backends with the same inputs; the output tensor starts poisoned. */
async function both(
  inputs: Array<{ shape: number[]; dtype?: DType; data: TensorData }>,
  out: { shape: number[]; dtype?: 'f32' | 'i32' },
  f: (b: Backend, o: Tensor, ...ins: Tensor[]) => void,
): Promise<{ want: Out; got: Out }> {
  const res: Out[] = [];
  for (const b of [ref, wasm] as Backend[]) {
    const ins = inputs.map((i) => b.tensor(i.shape, i.dtype ?? 'f32', i.data));
    const n = out.shape.reduce((a, c) => a * c, 1);
    const o = out.dtype === 'i32' ? b.tensor(out.shape, 'i32', new Int32Array(n).fill(-999)) : b.tensor(out.shape, 'f32', new Float32Array(n).fill(NaN));
    f(b, o, ...ins);
    res.push((await b.read(o)) as Out);
    for (const t of [o, ...ins]) b.free(t);
  }
  return { want: res[0], got: res[1] };
}

/** Worst |got − want| / (atol + rtol·|want|); equal values (incl. ±Inf) and NaN-vs-NaN count as 0. */
function worst(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number): number {
  expect(got.length).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    if (got[i] === want[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i]))) continue;
    const e = Math.abs(got[i] - want[i]) / (atol + rtol * Math.abs(want[i]));
    if (!(e <= w)) w = Number.isNaN(e) ? Infinity : e;
  }
  return w;
}

/** |got − want| ≤ rtol · Σ|w||x| per output element: the right scale for f32 dot products. */
function expectDots(got: ArrayLike<number>, want: ArrayLike<number>, absScale: ArrayLike<number>, rtol = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] === want[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i]))) continue;
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= rtol * absScale[i] + 1e-30)) expect.fail(`element ${i}: got ${got[i]}, want ${want[i]} (scale ${absScale[i]})`);
  }
}

/** Σ_k |W[m,k]|·|X[n,k]| for output [n, m]. */
function absDots(w: Float32Array, x: Float32Array, n: number, m: number, k: number): Float64Array {
  const s = new Float64Array(n * m);
  for (let t = 0; t < n; t++) for (let r = 0; r < m; r++) {
    let a = 0;
    for (let j = 0; j < k; j++) a += Math.abs(w[r * k + j] * x[t * k + j]);
    s[t * m + r] = a;
  }
  return s;
}

const ODD = [1, 2, 3, 4, 7, 13, 33, 65, 257];

describe('wasm core: matvec / matmul', () => {
  const shapes: Array<[number, number]> = [[1, 1], [1, 7], [7, 1], [7, 13], [13, 7], [4, 8], [5, 16], [33, 65], [65, 257], [257, 33], [9, 1031]];

  for (const dtype of ['f32', 'f16'] as const) {
    it(`matvec ${dtype} weights`, async () => {
      for (const [m, k] of shapes) {
        const wf = randomF32(m * k, m * 1000 + k);
        const w = dtype === 'f32' ? wf : f32ToF16Array(wf);
        const wEff = dtype === 'f32' ? wf : Float32Array.from(w as Uint16Array, fromF16Bits);
        const x = randomF32(k, k + 17, -2, 2);
        const { want, got } = await both([{ shape: [m, k], dtype, data: w }, { shape: [k], data: x }], { shape: [m] }, (b, o, wt, xt) => b.matvec(o, wt, xt));
        expectDots(got, want, absDots(wEff, x, 1, m, k));
      }
    });

    it(`matmul ${dtype} weights, batches 1..17, several token tiles (K = 4099 → tile 15)`, async () => {
      for (const [n, m, k] of [[1, 7, 13], [2, 4, 8], [3, 13, 7], [5, 33, 65], [17, 9, 31], [4, 65, 257], [6, 1, 1], [17, 5, 4099]] as const) {
        const wf = randomF32(m * k, n + m * 31 + k);
        const w = dtype === 'f32' ? wf : f32ToF16Array(wf);
        const wEff = dtype === 'f32' ? wf : Float32Array.from(w as Uint16Array, fromF16Bits);
        const x = randomF32(n * k, n * 7 + k, -2, 2);
        const { want, got } = await both([{ shape: [n, k], data: x }, { shape: [m, k], dtype, data: w }], { shape: [n, m] }, (b, o, xt, wt) => b.matmul(o, xt, wt));
        expectDots(got, want, absDots(wEff, x, n, m, k));
      }
    });
  }

  it('matvec f16 with |x| ≥ 2^15 (the non-prescaled path) and with NaN in x', async () => {
    const m = 6, k = 21;
    const wf = randomF32(m * k, 41);
    const w = f32ToF16Array(wf);
    const wEff = Float32Array.from(w, fromF16Bits);
    for (const big of [40000, 3e30, NaN]) {
      const x = randomF32(k, 42, -2, 2);
      x[5] = big;
      const { want, got } = await both([{ shape: [m, k], dtype: 'f16', data: w }, { shape: [k], data: x }], { shape: [m] }, (b, o, wt, xt) => b.matvec(o, wt, xt));
      expectDots(got, want, absDots(wEff, x, 1, m, k));
    }
  });

  it('f16 weights with zeros, subnormals, Inf and NaN halves are converted exactly', async () => {
    const m = 9, k = 37;
    const w = f32ToF16Array(randomF32(m * k, 5));
    const specials = [0x0000, 0x8000, 0x0001, 0x83ff, 0x03ff, 0x7bff, 0xfbff];
    for (let i = 0; i < specials.length; i++) w[i * 11] = specials[i];
    w[4 * k + 3] = 0x7c00; // +Inf in row 4
    w[6 * k + 20] = 0x7e00; // NaN in row 6
    w[8 * k + 36] = 0xfc00; // −Inf in the last (tail) row and column
    const x = randomF32(k, 6, 0.5, 1); // positive: Inf·x stays Inf
    for (const op of ['matvec', 'matmul'] as const) {
      const { want, got } = await both([{ shape: [m, k], dtype: 'f16', data: w }, { shape: [k], data: x }], { shape: [m] }, (b, o, wt, xt) =>
        op === 'matvec' ? b.matvec(o, wt, xt) : b.matmul(o, xt, wt),
      );
      expect([got[4], got[6], got[8]]).toEqual([Infinity, NaN, -Infinity]);
      expectDots(got, want, absDots(Float32Array.from(w, (h) => (Number.isFinite(fromF16Bits(h)) ? fromF16Bits(h) : 0)), x, 1, m, k));
    }
  });
});

describe('wasm core: sparse matvec', () => {
  function sparseCsr(m: number, k: number, sparsity: number, seed: number, emptyRows: number[] = []): CsrData {
    const r = rng(seed);
    const d = randomF32(m * k, seed + 1);
    for (let i = 0; i < d.length; i++) if (r() < sparsity || emptyRows.includes(Math.floor(i / k))) d[i] = 0;
    return csrFromDense(d, m, k);
  }

  /**
   * A magnitude-pruned matrix, as `sparrow prune` makes them: bell-shaped values (sum of three
   * uniforms), the `sparsity` fraction with the smallest |w| set to 0 over the whole tensor.
   */
  function prunedCsr(m: number, k: number, sparsity: number, seed: number): CsrData {
    const r = rng(seed);
    const d = Float32Array.from({ length: m * k }, () => (r() + r() + r() - 1.5) * 0.05);
    const cut = Float32Array.from(d, Math.abs).sort()[Math.round(sparsity * d.length)];
    for (let i = 0; i < d.length; i++) if (Math.abs(d[i]) < cut) d[i] = 0;
    return csrFromDense(d, m, k);
  }

  /** The same matrix with each row topped up to `n` entries (its first unused columns, value 1), where K allows. */
  function withMinRow(m: CsrData, n: number): CsrData {
    const d = csrToDense(m);
    for (let r = 0; r < m.rows; r++) {
      let have = m.rowPtr[r + 1] - m.rowPtr[r];
      for (let c = 0; c < m.cols && have < n; c++) if (d[r * m.cols + c] === 0) (d[r * m.cols + c] = 1), have++;
    }
    return csrFromDense(d, m.rows, m.cols);
  }

  const layouts: Array<SparseLayoutKind | 'default'> = ['default', ...SPARSE_LAYOUTS];
  for (const layout of layouts) {
    it(`spmv (${layout} layout) at 0/50/80/95/100% sparsity with empty rows (csr16n: rows of ≥ 8 where K ≥ 8)`, async () => {
      for (const [m, k] of [[1, 1], [7, 13], [33, 65], [65, 257], [20, 600]] as const) {
        for (const sparsity of [0, 0.5, 0.8, 0.95, 1]) {
          let csr = sparseCsr(m, k, sparsity, m * 100 + k + sparsity * 1000, m > 3 && layout !== 'csr16n' ? [0, 2, m - 1] : []);
          if (layout === 'csr16n') csr = withMinRow(csr, 8);
          const x = randomF32(k, k * 3, -2, 2);
          const res: Out[] = [];
          for (const b of [ref, wasm] as Backend[]) {
            const s = b === wasm && layout !== 'default' ? wasm.sparse(csr, layout) : b.sparse(csr);
            // the layout asked for is the one used (csr16n needs K ≥ 8 for rows of 8)
            if (b === wasm && layout !== 'default') expect((s as WasmTensor).sparse!.kind).toBe(layout === 'csr16n' && k < 8 ? 'csr16' : layout);
            const xt = b.tensor([k], 'f32', x);
            const o = b.tensor([m], 'f32', new Float32Array(m).fill(NaN));
            b.spmv(o, s, xt);
            res.push((await b.read(o)) as Float32Array);
            for (const t of [s, xt, o]) b.free(t);
          }
          const scale = new Float64Array(m);
          for (let r = 0; r < m; r++) for (let p = csr.rowPtr[r]; p < csr.rowPtr[r + 1]; p++) scale[r] += Math.abs(csr.values[p] * x[csr.colIdx[p]]);
          expectDots(res[1], res[0], scale);
        }
      }
    });
  }

  it('spmm (N rows of x) on every layout: N = 1 … 9 (token tiles of 4 and their tails), odd shapes, K above and below 4096', async () => {
    for (const layout of SPARSE_LAYOUTS) {
      for (const [m, k, sparsity] of [[9, 13, 0.5], [37, 300, 0.8], [20, 4096, 0.9], [6, 5000, 0.95]] as const) {
        const csr = withMinRow(sparseCsr(m, k, sparsity, m * 7 + k), 8);
        for (const n of [1, 2, 3, 4, 5, 8, 9]) {
          const x = randomF32(n * k, n * 100 + k, -2, 2);
          const res: Float32Array[] = [];
          for (const b of [ref, wasm] as Backend[]) {
            const s = b === wasm ? wasm.sparse(csr, layout) : b.sparse(csr);
            const xt = b.tensor([n, k], 'f32', x);
            const o = b.tensor([n, m], 'f32', new Float32Array(n * m).fill(NaN));
            b.spmm(o, s, xt);
            res.push((await b.read(o)) as Float32Array);
            for (const t of [s, xt, o]) b.free(t);
          }
          const scale = new Float64Array(n * m);
          for (let t = 0; t < n; t++) for (let r = 0; r < m; r++) for (let p = csr.rowPtr[r]; p < csr.rowPtr[r + 1]; p++) scale[t * m + r] += Math.abs(csr.values[p] * x[t * k + csr.colIdx[p]]);
          expectDots(res[1], res[0], scale);
        }
      }
    }
  });

  it('wide matrices (K > 16384) fall back to u32 column indices; unsorted CSR rows work', async () => {
    const m = 3, k = 20000;
    const csr = sparseCsr(m, k, 0.99, 77);
    // reverse each row's entries: CSR does not promise sorted columns
    for (let r = 0; r < m; r++) {
      const [s, e] = [csr.rowPtr[r], csr.rowPtr[r + 1]];
      csr.colIdx.subarray(s, e).reverse();
      csr.values.subarray(s, e).reverse();
    }
    const x = randomF32(k, 78);
    for (const layout of layouts) {
      const res: Float32Array[] = [];
      for (const b of [ref, wasm] as Backend[]) {
        const s = b === wasm && layout !== 'default' ? wasm.sparse(csr, layout) : b.sparse(csr);
        const o = b.tensor([m], 'f32', new Float32Array(m).fill(NaN));
        b.spmv(o, s, b.tensor([k], 'f32', x));
        res.push((await b.read(o)) as Float32Array);
      }
      expect(worst(res[1], res[0], 1e-5, 1e-5)).toBeLessThanOrEqual(1);
    }
  });

  /** spmv on ref and on wasm with `layout`; returns [want, got] and the layout wasm used. */
  async function spmvBoth(csr: CsrData, x: Float32Array, layout: SparseLayoutKind | 'default'): Promise<[Float32Array, Float32Array, string]> {
    const res: Float32Array[] = [];
    let kind = '';
    for (const b of [ref, wasm] as Backend[]) {
      const s = b === wasm && layout !== 'default' ? wasm.sparse(csr, layout) : b.sparse(csr);
      if (b === wasm) kind = (s as WasmTensor).sparse!.kind;
      const xt = b.tensor([csr.cols], 'f32', x);
      const o = b.tensor([csr.rows], 'f32', new Float32Array(csr.rows).fill(NaN));
      b.spmv(o, s, xt);
      res.push((await b.read(o)) as Float32Array);
      for (const t of [s, xt, o]) b.free(t);
    }
    return [res[0], res[1], kind];
  }

  it('win16: rows with long gaps and clusters (chunks cut by the 256-column window, padded), up to K = 65280; wider falls back to csr32', async () => {
    for (const k of [300, 4096, 20000, WIN16_MAX_COLS, WIN16_MAX_COLS + 1]) {
      const m = 9;
      const rowPtr = new Uint32Array(m + 1);
      const cols: number[] = [];
      const r = rng(k);
      for (let i = 0; i < m; i++) {
        // row i: gaps of ~(i+1)·60 columns, runs of up to 20 adjacent columns, the last column.
        for (let c = i % 3; c < k; c += 1 + Math.floor(r() * (i + 1) * 60)) {
          const run = i % 2 ? 1 + Math.floor(r() * 20) : 1;
          for (let j = 0; j < run && c < k; j++, c++) cols.push(c);
        }
        if (cols[cols.length - 1] !== k - 1) cols.push(k - 1);
        rowPtr[i + 1] = cols.length;
      }
      rowPtr[m] = rowPtr[m - 1] = rowPtr[m - 2]; // two empty rows at the end
      const csr: CsrData = { rows: m, cols: k, rowPtr, colIdx: Uint32Array.from(cols.slice(0, rowPtr[m])), values: randomF32(rowPtr[m], k + 1) };
      const x = randomF32(k, k + 2, -2, 2);
      const [want, got, kind] = await spmvBoth(csr, x, 'win16');
      expect(kind).toBe(k <= WIN16_MAX_COLS ? 'win16' : 'csr32');
      expect(worst(got, want, 1e-5, 1e-5), `K = ${k}`).toBeLessThanOrEqual(1);
      expect(got[m - 1]).toBe(0);
    }
  });

  it('Inf/NaN in x at columns with no stored entry do not reach the result (padding is exact); at stored columns they do, as in CSR', async () => {
    const m = 40, k = 700;
    // columns 0, 254, 255, 256 and 699 are pruned in every row (254/255 straddle a staging block edge)
    const pruned = [0, 254, 255, 256, 699];
    const d = randomF32(m * k, 5);
    const r = rng(4);
    for (let i = 0; i < d.length; i++) if (r() < 0.8 || pruned.includes(i % k) || Math.floor(i / k) === 3) d[i] = 0;
    const csr = csrFromDense(d, m, k);
    const x = randomF32(k, 6, -1, 1);
    [Infinity, NaN, -Infinity, NaN, Infinity].forEach((v, i) => (x[pruned[i]] = v));
    for (const layout of ['default', ...SPARSE_LAYOUTS] as const) {
      const [want, got] = await spmvBoth(csr, x, layout);
      expect(want.every(Number.isFinite)).toBe(true);
      expect(worst(got, want, 1e-5, 1e-5), layout).toBeLessThanOrEqual(1);
    }
    // Inf at a stored column: rows that hold it become ±Inf (or NaN where ±Inf meet), as the reference says.
    const y = x.slice();
    y[csr.colIdx[csr.rowPtr[0]]] = Infinity;
    for (const layout of ['default', ...SPARSE_LAYOUTS] as const) {
      const [want, got] = await spmvBoth(csr, y, layout);
      expect(want.some((v) => !Number.isFinite(v))).toBe(true);
      for (let i = 0; i < m; i++) {
        if (Number.isFinite(want[i])) expect(Math.abs(got[i] - want[i]), `${layout} row ${i}`).toBeLessThan(1e-4);
        else expect(got[i], `${layout} row ${i}`).toBe(want[i]);
      }
    }
  });

  it("'size' layout: win16 where it is >= 10% smaller than CSR (50-90 % zero), csr16 / csr32 otherwise", () => {
    expect(smallestSparseLayout(sparseCsr(16, 4096, 0.8, 1))).toBe('win16');
    expect(smallestSparseLayout(sparseCsr(16, 4096, 0.5, 2))).toBe('win16');
    expect(smallestSparseLayout(sparseCsr(16, 4096, 0.97, 3))).toBe('csr16');
    expect(smallestSparseLayout(sparseCsr(4, 20000, 0.8, 4))).toBe('win16');
    expect(smallestSparseLayout(sparseCsr(4, 20000, 0.999, 5))).toBe('csr32');
    expect(smallestSparseLayout(sparseCsr(2, WIN16_MAX_COLS + 1, 0.8, 6))).toBe('csr32');
    expect(smallestSparseLayout(sparseCsr(4, 64, 1, 7))).toBe('csr16');
  });

  it("prefer 'speed' (the default) picks csr16n (csr16 with a short row or K > 4096, csr32 for K > 16384), 'size' the smallest; all match the reference", async () => {
    for (const [csr, want] of [
      [sparseCsr(16, 4096, 0.8, 4096), ['csr16n', 'win16']],
      [sparseCsr(16, 300, 0.8, 300, [3]), ['csr16', smallestSparseLayout(sparseCsr(16, 300, 0.8, 300, [3]))]], // an empty row
      [sparseCsr(16, 4097, 0.8, 4097), ['csr16', 'win16']],
      [sparseCsr(4, 20000, 0.8, 20000), ['csr32', 'win16']],
    ] as const) {
      const k = csr.cols;
      const x = randomF32(k, k + 1, -1, 1);
      for (const [i, prefer] of (['speed', 'size'] as const).entries()) {
        const s = wasm.sparse(csr, prefer);
        expect((s as WasmTensor).sparse!.kind).toBe(want[i]);
        if (prefer === 'speed') expect((wasm.sparse(csr) as WasmTensor).sparse!.kind).toBe(want[i]); // the default
        const [wantY, gotY] = await spmvBoth(csr, x, (s as WasmTensor).sparse!.kind);
        expect(worst(gotY, wantY, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
        wasm.free(s);
      }
    }
  });

  it('csr16n: rows of 8 … K entries (lengths in the offsets\' top bits), K up to 4096, unsorted rows, Inf at pruned columns; 6 B per entry, values read back in CSR order', async () => {
    for (const k of [8, 9, 577, 4096]) {
      // row lengths around every boundary the kernel and the length code have: 8 (the minimum), the
      // 8-entry step ± 1, powers of 4 (a new length digit), K (a dense row) and random ones.
      const lens = [8, 9, 15, 16, 17, 63, 64, 65, 255, 256, 1023, 1024, 4095, 4096].filter((n) => n <= k);
      const r = rng(k);
      for (let i = 0; i < 12; i++) lens.push(8 + Math.floor(r() * (k - 7)));
      const rowPtr = new Uint32Array(lens.length + 1);
      const cols: number[] = [];
      for (const [i, n] of lens.entries()) {
        // n distinct columns of [0, k), in random order (CSR rows need not be sorted)
        const all = Array.from({ length: k }, (_, c) => c);
        for (let j = 0; j < n; j++) {
          const t = j + Math.floor(r() * (k - j));
          [all[j], all[t]] = [all[t], all[j]];
        }
        cols.push(...all.slice(0, n));
        rowPtr[i + 1] = cols.length;
      }
      const csr: CsrData = { rows: lens.length, cols: k, rowPtr, colIdx: Uint32Array.from(cols), values: randomF32(cols.length, k + 3) };
      const x = randomF32(k, k + 4, -2, 2);
      const [want, got, kind] = await spmvBoth(csr, x, 'csr16n');
      expect(kind).toBe('csr16n');
      expect(worst(got, want, 1e-5, 1e-5), `K = ${k}`).toBeLessThanOrEqual(1);
      const s = wasm.sparse(csr, 'csr16n');
      expect(s.byteSize).toBe(6 * cols.length);
      expect(new Float32Array((await wasm.read(s)).slice().buffer)).toEqual(csr.values);
      wasm.free(s);
    }
    // Inf / NaN at columns no row stores never reach the result (nothing is padded)
    const csr = sparseCsr(40, 600, 0.8, 12);
    for (let r = 0; r < 40; r++) for (let p = csr.rowPtr[r]; p < csr.rowPtr[r + 1]; p++) if (csr.colIdx[p] === 7 || csr.colIdx[p] === 599) csr.values[p] = 0;
    const x = randomF32(600, 13, -1, 1);
    const kept = csrFromDense(csrToDense(csr), 40, 600); // drop the zeroed entries
    [x[7], x[599]] = [Infinity, NaN];
    const [want, got, kind] = await spmvBoth(kept, x, 'csr16n');
    expect(kind).toBe('csr16n');
    expect(want.every(Number.isFinite)).toBe(true);
    expect(worst(got, want, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
  });

  it('csr16n is refused (falls back to csr16) for a row under 8 or over 65535 entries (repeated columns) or K > 4096', async () => {
    // 70,000 entries in one row of a 16-wide matrix (repeated columns): the length code would wrap
    const n = 70000;
    const dup: CsrData = { rows: 1, cols: 16, rowPtr: Uint32Array.of(0, n), colIdx: Uint32Array.from({ length: n }, (_, i) => i % 16), values: randomF32(n, 16) };
    expect(csr16nFits(dup)).toBe(false);
    const [want, got, kind] = await spmvBoth(dup, randomF32(16, 17), 'csr16n');
    expect(kind).toBe('csr16');
    expect(worst(got, want, 1e-4, 1e-4)).toBeLessThanOrEqual(1);
    const d = randomF32(8 * 100, 14);
    for (let c = 7; c < 100; c++) d[c] = 0; // row 0 keeps 7 entries
    const seven = csrFromDense(d, 8, 100);
    d[7] = 1; // row 0 keeps 8
    expect(csr16nFits(csrFromDense(d, 8, 100))).toBe(true);
    expect(csr16nFits(seven)).toBe(false);
    expect(csr16nFits(sparseCsr(4, 4097, 0.5, 15))).toBe(false);
    for (const m of [seven, sparseCsr(4, 4097, 0.5, 15)]) {
      const s = wasm.sparse(m, 'csr16n');
      expect((s as WasmTensor).sparse!.kind).toBe('csr16');
      wasm.free(s);
    }
  });

  it('win16 stores 80 %-zero 4096-wide rows in <= 27 % of dense f32 and reads its values back in CSR order', async () => {
    const csr = sparseCsr(32, 4096, 0.8, 11);
    const s = wasm.sparse(csr, 'win16');
    expect(s.byteSize / (32 * 4096 * 4)).toBeLessThanOrEqual(0.27);
    expect(new Float32Array((await wasm.read(s)).slice().buffer)).toEqual(csr.values);
    wasm.free(s);
  });

  it('sparse storage is smaller than dense and reads back its values (a magnitude-pruned matrix)', async () => {
    const csr = prunedCsr(64, 300, 0.8, 9);
    for (const layout of SPARSE_LAYOUTS) {
      const s = wasm.sparse(csr, layout);
      expect((s as WasmTensor).sparse!.kind).toBe(layout);
      expect(s.byteSize).toBeLessThan((layout === 'csr32' ? 0.41 : 0.31) * 64 * 300 * 4);
      expect(s.dtype).toBe('sparse');
      expect(new Float32Array((await wasm.read(s)).slice().buffer)).toEqual(csr.values);
      wasm.free(s);
    }
  });

  it("word8: magnitude-pruned SmolLM2-shaped matrices at 80 / 90 % in <= 4.45 / 4.65 B per entry (no exceptions), 'size' picks it, values read back in CSR order", async () => {
    for (const [m, k] of [[576, 576], [96, 1536], [64, 4096]] as const) {
      for (const sparsity of [0.8, 0.9]) {
        const csr = prunedCsr(m, k, sparsity, m + k + sparsity);
        const nnz = csr.values.length;
        expect(smallestSparseLayout(csr)).toBe('word8');
        const s = wasm.sparse(csr, 'size');
        const info = (s as WasmTensor).sparse!;
        expect(info.kind).toBe('word8');
        expect(info.lengths.exc).toBe(0); // the kept values span ≤ 2 binades
        // 4 B per entry + a u16 window base per 8 + padding at row ends: well under csr16n's 6 B
        expect(s.byteSize / nnz, `[${m}, ${k}] at ${sparsity}`).toBeLessThanOrEqual(sparsity === 0.8 ? 4.45 : 4.65);
        expect(new Float32Array((await wasm.read(s)).slice().buffer)).toEqual(csr.values);
        wasm.free(s);
        const x = randomF32(k, k, -2, 2);
        const [want, got] = await spmvBoth(csr, x, 'word8');
        const scale = new Float64Array(m);
        for (let r = 0; r < m; r++) for (let p = csr.rowPtr[r]; p < csr.rowPtr[r + 1]; p++) scale[r] += Math.abs(csr.values[p] * x[csr.colIdx[p]]);
        expectDots(got, want, scale);
      }
    }
  });

  it('word8: exceptions (values over many binades, ±0, subnormals, ±Inf, NaN stored), windows reaching past x (K around multiples of 127, last columns), long gaps, empty and one-entry rows', async () => {
    for (const k of [1, 126, 127, 128, 254, 255, 256, 381, 1536, 5000]) {
      const r = rng(k);
      const rowPtr = [0];
      const cols: number[] = [];
      for (let i = 0; i < 12; i++) {
        if (i === 3) { rowPtr.push(cols.length); continue; } // empty row
        if (i === 4) cols.push(k - 1); // one entry, the last column
        else if (i === 5) cols.push(0);
        else {
          // gaps up to (i+1)·40 columns, always ending in one of the last three columns
          for (let c = Math.floor(r() * 3); c < k - 3; c += 1 + Math.floor(r() * (i + 1) * 40)) cols.push(c);
          cols.push(k - 1 - (i % 3));
          // keep the row strictly increasing (k small: the tail column may repeat)
          const row = [...new Set(cols.splice(rowPtr[rowPtr.length - 1]))].filter((c) => c >= 0 && c < k).sort((a, b) => a - b);
          cols.push(...row);
        }
        rowPtr.push(cols.length);
      }
      const nnz = cols.length;
      // mostly one binade, with every kind of exception sprinkled in
      const vals = Float32Array.from({ length: nnz }, (_, i) => (r() < 0.5 ? -1 : 1) * (0.5 + r() * 0.4) * (i % 7 === 0 ? 2 ** Math.floor(r() * 40 - 20) : 1));
      const special = [0, -0, 1e-42, -3e-41, 3e38, -3.4e38];
      for (let i = 0; i < special.length && 5 * i < nnz; i++) vals[5 * i] = special[i];
      const csr: CsrData = { rows: rowPtr.length - 1, cols: k, rowPtr: Uint32Array.from(rowPtr), colIdx: Uint32Array.from(cols), values: vals };
      expect(word8Fits(csr)).toBe(true);
      const x = randomF32(k, k + 1, -1, 1);
      const [want, got, kind] = await spmvBoth(csr, x, 'word8');
      expect(kind).toBe('word8');
      expect(worst(got, want, 1e-5, 1e-30), `K = ${k}`).toBeLessThanOrEqual(1);
      const s = wasm.sparse(csr, 'word8');
      if (nnz > 10) expect((s as WasmTensor).sparse!.lengths.exc).toBeGreaterThan(0);
      expect(new Float32Array((await wasm.read(s)).slice().buffer)).toEqual(csr.values);
      wasm.free(s);
      // Inf / NaN as stored values: rows holding them become ±Inf / NaN, as the reference says
      const bad = { ...csr, values: vals.slice() };
      bad.values[0] = Infinity;
      if (nnz > 2) bad.values[nnz - 1] = NaN;
      const [want2, got2] = await spmvBoth(bad, x, 'word8');
      for (let i = 0; i < csr.rows; i++) {
        if (Number.isFinite(want2[i])) expect(Math.abs(got2[i] - want2[i]), `K = ${k} row ${i}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want2[i])));
        else expect(got2[i], `K = ${k} row ${i}`).toBe(want2[i]);
      }
    }
  });

  it('word8 is refused (csr16 / csr32 instead) for unsorted rows, repeated columns and K > 65024', async () => {
    const unsorted: CsrData = { rows: 1, cols: 10, rowPtr: Uint32Array.of(0, 3), colIdx: Uint32Array.of(5, 2, 7), values: Float32Array.of(0.5, 0.6, 0.7) };
    const repeated: CsrData = { rows: 1, cols: 10, rowPtr: Uint32Array.of(0, 3), colIdx: Uint32Array.of(2, 2, 7), values: Float32Array.of(0.5, 0.6, 0.7) };
    const wide = prunedCsr(2, WORD8_MAX_COLS + 1, 0.99, 3);
    expect(word8Fits(prunedCsr(2, WORD8_MAX_COLS, 0.99, 3))).toBe(true);
    for (const [csr, fallback] of [[unsorted, 'csr16'], [repeated, 'csr16'], [wide, 'csr32']] as const) {
      expect(word8Fits(csr)).toBe(false);
      const [want, got, kind] = await spmvBoth(csr, randomF32(csr.cols, 5, -1, 1), 'word8');
      expect(kind).toBe(fallback);
      expect(worst(got, want, 1e-5, 1e-6)).toBeLessThanOrEqual(1);
    }
  });
});

describe('wasm core: elementwise', () => {
  const SPECIAL = [0, -0, 1e-8, -1e-8, 0.5, -0.5, 1, -1, 1.5, -1.5, 3, -3, 19.9, 20, 20.5, -20, 50, -50, -87, -88, 88, 88.7, 89, -104, -110, 200, -200, Infinity, -Infinity, NaN];

  for (const op of ['add', 'mul'] as const) {
    it(`${op} with full-size and broadcast b`, async () => {
      for (const [as, bs] of [[[1], [1]], [[7], [7]], [[13], [1]], [[5, 7], [7]], [[3, 4, 5], [20]], [[257], [257]], [[4, 65], [65]], [[6, 6], [2]]] as const) {
        const na = (as as readonly number[]).reduce((p, c) => p * c, 1);
        const nb = (bs as readonly number[]).reduce((p, c) => p * c, 1);
        const a = randomF32(na, na + 1, -10, 10);
        const b = randomF32(nb, nb + 2, -10, 10);
        const { want, got } = await both([{ shape: [...as], data: a }, { shape: [...bs], data: b }], { shape: [...as] }, (be, o, at, bt) => be[op](o, at, bt));
        expect(worst(got, want, 0, 0)).toBe(0); // one f32 rounding: bit-identical
      }
    });
  }

  it('scale', async () => {
    for (const n of ODD) {
      const a = randomF32(n, n, -5, 5);
      for (const s of [0, -1.5, 3.25e-3, 1e20]) {
        const { want, got } = await both([{ shape: [n], data: a }], { shape: [n] }, (b, o, at) => b.scale(o, at, s));
        // s is rounded to f32 before the multiply: two roundings, so up to ~1.2e-7 relative
        expect(worst(got, want, 2.5e-7, 0)).toBeLessThanOrEqual(1);
      }
    }
    // scale factors outside f32 range with inputs that bring x·s back into it
    const a = Float32Array.of(1e38, -3e37, 1e-30, 1, 0, -2.5e-20, 7e12);
    for (const s of [1e-50, -1e-45, 1e45, 3e-39]) {
      const { want, got } = await both([{ shape: [a.length], data: a }], { shape: [a.length] }, (b, o, at) => b.scale(o, at, s));
      expect(worst(got, want, 4e-7, 1e-44), `s = ${s}`).toBeLessThanOrEqual(1);
    }
  });

  const unary = ['silu', 'gelu', 'sigmoid', 'exp', 'softplus', 'relu', 'tanh'] as const;
  for (const op of unary) {
    it(`${op} on random values, all sizes, and special values`, async () => {
      for (const n of [...ODD, 1000]) {
        for (const [lo, hi] of [[-3, 3], [-30, 30]]) {
          const a = randomF32(n, n * 7 + hi, lo, hi);
          const { want, got } = await both([{ shape: [n], data: a }], { shape: [n] }, (b, o, at) => b[op](o, at));
          expect(worst(got, want, 2e-6, 1e-7), `${op} n=${n} range ±${hi}`).toBeLessThanOrEqual(1);
        }
      }
      const a = Float32Array.from(SPECIAL);
      const { want, got } = await both([{ shape: [a.length], data: a }], { shape: [a.length] }, (b, o, at) => b[op](o, at));
      for (let i = 0; i < a.length; i++) {
        // subnormal results (e^−88, silu(−104)…) only need absolute accuracy
        expect(worst([got[i]], [want[i]], 2e-6, 1e-30 + (Math.abs(want[i]) < 1.2e-38 ? 1e-38 : 0)), `${op}(${a[i]}) = ${got[i]}, want ${want[i]}`).toBeLessThanOrEqual(1);
      }
    });
  }

  it('siluMul = silu(g)·u: vs the reference, in place on g and on u', async () => {
    for (const n of [...ODD, 1000]) {
      const g = randomF32(n, n * 3 + 1, -8, 8);
      const u = randomF32(n, n * 3 + 2, -2, 2);
      const { want, got } = await both([{ shape: [n], data: g }, { shape: [n], data: u }], { shape: [n] }, (b, o, gt, ut) => b.siluMul(o, gt, ut));
      expect(worst(got, want, 2e-6, 1e-7), `n=${n}`).toBeLessThanOrEqual(1);
      for (const inPlace of ['g', 'u'] as const) {
        const [gt, ut] = [wasm.tensor([n], 'f32', g), wasm.tensor([n], 'f32', u)];
        wasm.siluMul(inPlace === 'g' ? gt : ut, gt, ut);
        const r = (await wasm.read(inPlace === 'g' ? gt : ut)) as Float32Array;
        expect(worst(r, want, 2e-6, 1e-7), `n=${n} in place on ${inPlace}`).toBeLessThanOrEqual(1);
        wasm.free(gt);
        wasm.free(ut);
      }
    }
  });

  it('lerp = a + (b − a)·t: by hand, then wasm vs the reference with t broadcast per row or of full size, and in place on a and on b', async () => {
    const hand = await both([{ shape: [2, 2], data: Float32Array.of(1, -2, 4, 0) }, { shape: [2, 2], data: Float32Array.of(3, 2, 0, 8) }, { shape: [2], data: Float32Array.of(0.25, 0.5) }], { shape: [2, 2] }, (b, o, a, bb, t) => b.lerp(o, a, bb, t));
    expect(Array.from(hand.want)).toEqual([1.5, 0, 3, 4]);
    expect(Array.from(hand.got)).toEqual([1.5, 0, 3, 4]);
    for (const [rows, cols] of [[1, 1], [1, 7], [3, 5], [4, 64], [2, 1003]]) {
      const n = rows * cols;
      const a = randomF32(n, n * 5 + 1, -2, 2);
      const bv = randomF32(n, n * 5 + 2, -2, 2);
      for (const tn of [cols, n]) {
        const t = randomF32(tn, n * 5 + tn, 0, 1);
        const ins = [{ shape: [rows, cols], data: a }, { shape: [rows, cols], data: bv }, { shape: [tn], data: t }];
        const { want, got } = await both(ins, { shape: [rows, cols] }, (b, o, at, bt, tt) => b.lerp(o, at, bt, tt));
        expect(worst(got, want, 2e-6, 1e-6), `${rows}x${cols}, t of ${tn}`).toBeLessThanOrEqual(1);
        for (const inPlace of ['a', 'b'] as const) {
          const [at, bt, tt] = [wasm.tensor([rows, cols], 'f32', a), wasm.tensor([rows, cols], 'f32', bv), wasm.tensor([tn], 'f32', t)];
          const o = inPlace === 'a' ? at : bt;
          wasm.lerp(o, at, bt, tt);
          expect(worst((await wasm.read(o)) as Float32Array, want, 2e-6, 1e-6), `${rows}x${cols} in place on ${inPlace}`).toBeLessThanOrEqual(1);
          for (const x of [at, bt, tt]) wasm.free(x);
        }
      }
    }
  });

  it('geluTanhMul = gelu_tanh(g)·u: the reference by hand, wasm vs the reference (random, special values, in place)', async () => {
    // torch.nn.functional.gelu(x, approximate='tanh') at a few points (½x(1 + tanh(√(2/π)(x + 0.044715x³))));
    // erf GELU differs by ~1.5e-4 at ±1, so the op is not the exact one
    const xs = Float32Array.of(1, -1, 2, 0.5, -3, -0.25);
    const hand = [0.8411919906082768, -0.15880800939172324, 1.954597694087775, 0.34571400982514394, -0.0036373920817729943, -0.100324649298315];
    const ones = new Float32Array(xs.length).fill(1);
    const { want: refHand } = await both([{ shape: [xs.length], data: xs }, { shape: [xs.length], data: ones }], { shape: [xs.length] }, (b, o, gt, ut) => b.geluTanhMul(o, gt, ut));
    hand.forEach((h, i) => expect(Math.abs(refHand[i] - h), `x = ${xs[i]}`).toBeLessThan(1e-7));
    expect(Math.abs(refHand[0] - 0.8413447460685429)).toBeGreaterThan(1e-4); // erf GELU(1)
    for (const n of [...ODD, 1000]) {
      const g = randomF32(n, n * 3 + 5, -8, 8);
      const u = randomF32(n, n * 3 + 6, -2, 2);
      const { want, got } = await both([{ shape: [n], data: g }, { shape: [n], data: u }], { shape: [n] }, (b, o, gt, ut) => b.geluTanhMul(o, gt, ut));
      expect(worst(got, want, 2e-6, 1e-7), `n=${n}`).toBeLessThanOrEqual(1);
      for (const inPlace of ['g', 'u'] as const) {
        const [gt, ut] = [wasm.tensor([n], 'f32', g), wasm.tensor([n], 'f32', u)];
        wasm.geluTanhMul(inPlace === 'g' ? gt : ut, gt, ut);
        const r = (await wasm.read(inPlace === 'g' ? gt : ut)) as Float32Array;
        expect(worst(r, want, 2e-6, 1e-7), `n=${n} in place on ${inPlace}`).toBeLessThanOrEqual(1);
        wasm.free(gt);
        wasm.free(ut);
      }
    }
    const a = Float32Array.from(SPECIAL);
    const { want, got } = await both([{ shape: [a.length], data: a }, { shape: [a.length], data: new Float32Array(a.length).fill(1) }], { shape: [a.length] }, (b, o, gt, ut) => b.geluTanhMul(o, gt, ut));
    for (let i = 0; i < a.length; i++) expect(worst([got[i]], [want[i]], 2e-6, 1e-30), `gelu_tanh(${a[i]}) = ${got[i]}, want ${want[i]}`).toBeLessThanOrEqual(1);
    // a dense grid: absolute error over max(1, |x|) as the erf GELU's check
    const m = 4001;
    const grid = Float32Array.from({ length: m }, (_, i) => -10 + (20 * i) / (m - 1));
    const dense = await both([{ shape: [m], data: grid }, { shape: [m], data: new Float32Array(m).fill(1) }], { shape: [m] }, (b, o, gt, ut) => b.geluTanhMul(o, gt, ut));
    let e = 0;
    for (let i = 0; i < m; i++) e = Math.max(e, Math.abs(dense.got[i] - dense.want[i]) / Math.max(1, Math.abs(grid[i])));
    expect(e).toBeLessThan(3e-7);
  });

  it('swiglu on stacked [g | u] rows: vs the reference and equal to siluMul of the halves', async () => {
    for (const [r, I] of [[1, 1], [1, 7], [3, 13], [2, 64], [5, 33]]) {
      const gu = randomF32(r * 2 * I, r * 31 + I, -8, 8);
      const { want, got } = await both([{ shape: [r, 2 * I], data: gu }], { shape: [r, I] }, (b, o, x) => b.swiglu(o, x));
      expect(worst(got, want, 2e-6, 1e-7), `${r}x${I}`).toBeLessThanOrEqual(1);
      const g = new Float32Array(r * I);
      const u = new Float32Array(r * I);
      for (let i = 0; i < r; i++) {
        g.set(gu.subarray(i * 2 * I, i * 2 * I + I), i * I);
        u.set(gu.subarray(i * 2 * I + I, (i + 1) * 2 * I), i * I);
      }
      const halves = await both([{ shape: [r, I], data: g }, { shape: [r, I], data: u }], { shape: [r, I] }, (b, o, gt, ut) => b.siluMul(o, gt, ut));
      expect(Array.from(got)).toEqual(Array.from(halves.got));
      expect(Array.from(want)).toEqual(Array.from(halves.want));
    }
  });

  it('gelu matches exact erf GELU to ~1e-7 absolute on a dense grid', async () => {
    const n = 4001;
    const a = Float32Array.from({ length: n }, (_, i) => -10 + (20 * i) / (n - 1));
    const { want, got } = await both([{ shape: [n], data: a }], { shape: [n] }, (b, o, at) => b.gelu(o, at));
    let maxAbsErrOverX = 0;
    for (let i = 0; i < n; i++) maxAbsErrOverX = Math.max(maxAbsErrOverX, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(a[i])));
    expect(maxAbsErrOverX).toBeLessThan(3e-7);
  });
});

describe('wasm core: row-wise', () => {
  const rowShapes: Array<[number, number]> = [[1, 1], [1, 7], [3, 13], [2, 33], [5, 65], [1, 257], [4, 1024], [3, 6]];

  it('rmsnorm', async () => {
    for (const [r, d] of rowShapes) {
      for (const eps of [1e-5, 1e-6]) {
        const x = randomF32(r * d, r * d, -3, 3);
        const w = randomF32(d, d + 5, 0.5, 1.5);
        const { want, got } = await both([{ shape: [r, d], data: x }, { shape: [d], data: w }], { shape: [r, d] }, (b, o, xt, wt) => b.rmsnorm(o, xt, wt, eps));
        expect(worst(got, want, 1e-5, 1e-6)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('addRmsnorm: sum and normed rows vs the reference, and bit-equal to add + rmsnorm on wasm', async () => {
    for (const [r, d] of rowShapes) {
      const a = randomF32(r * d, r * d + 11, -3, 3);
      const bb = randomF32(r * d, r * d + 12, -1, 1);
      const w = randomF32(d, d + 13, 0.5, 1.5);
      const outs: Float32Array[][] = [];
      for (const b of [ref, wasm] as Backend[]) {
        const [at, bt, wt] = [b.tensor([r, d], 'f32', a), b.tensor([r, d], 'f32', bb), b.tensor([d], 'f32', w)];
        const [sum, out] = [b.tensor([r, d], 'f32', new Float32Array(r * d).fill(NaN)), b.tensor([r, d], 'f32', new Float32Array(r * d).fill(NaN))];
        b.addRmsnorm(sum, out, at, bt, wt, 1e-5);
        outs.push([(await b.read(sum)) as Float32Array, (await b.read(out)) as Float32Array]);
        if (b === wasm) {
          // the two ops it stands for, on the same backend: identical bits
          b.add(sum, at, bt);
          b.rmsnorm(out, sum, wt, 1e-5);
          expect(Array.from(outs[1][0])).toEqual(Array.from((await b.read(sum)) as Float32Array));
          expect(Array.from(outs[1][1])).toEqual(Array.from((await b.read(out)) as Float32Array));
        }
        for (const t of [at, bt, wt, sum, out]) b.free(t);
      }
      expect(worst(outs[1][0], outs[0][0], 1e-6, 1e-7)).toBeLessThanOrEqual(1);
      expect(worst(outs[1][1], outs[0][1], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
    }
  });

  it('layernorm', async () => {
    for (const [r, d] of rowShapes) {
      const x = randomF32(r * d, r * d + 1, -3, 5);
      const w = randomF32(d, d + 6, 0.5, 1.5);
      const bias = randomF32(d, d + 7);
      const { want, got } = await both([{ shape: [r, d], data: x }, { shape: [d], data: w }, { shape: [d], data: bias }], { shape: [r, d] }, (b, o, xt, wt, bt) =>
        b.layernorm(o, xt, wt, bt, 1e-5),
      );
      expect(worst(got, want, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
    }
  });

  it('layernorm on rows with a large common offset (mean ≫ spread)', async () => {
    for (const [r, d] of [[2, 7], [3, 64], [1, 1000]] as const) {
      const x = randomF32(r * d, r * d + 11).map((v, i) => 1000 + 1000 * Math.floor(i / d) + v);
      const w = new Float32Array(d).fill(1);
      const bias = new Float32Array(d);
      const { want, got } = await both([{ shape: [r, d], data: x }, { shape: [d], data: w }, { shape: [d], data: bias }], { shape: [r, d] }, (b, o, xt, wt, bt) =>
        b.layernorm(o, xt, wt, bt, 1e-5),
      );
      expect(worst(got, want, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
    }
  });

  it('softmax, including large logits and −Inf (masked) entries', async () => {
    for (const [r, d] of rowShapes) {
      for (const spread of [1, 30]) {
        const x = randomF32(r * d, r * d + spread, -spread, spread);
        if (d > 2) for (let i = 0; i < r; i++) x[i * d + 1] = -Infinity;
        if (r > 1 && d > 5) x[d + 5] = NaN; // a NaN poisons its whole row (as in the reference)
        const { want, got } = await both([{ shape: [r, d], data: x }], { shape: [r, d] }, (b, o, xt) => b.softmax(o, xt));
        expect(worst(got, want, 1e-5, 1e-7)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('rope, both styles, odd head counts, large positions, in place', async () => {
    for (const [rows, heads, headDim] of [[1, 1, 2], [3, 2, 6], [2, 3, 8], [5, 1, 10], [2, 4, 64], [1, 2, 130]] as const) {
      for (const style of ['half', 'interleaved'] as const) {
        for (const pos of [0, 7, 4093]) {
          const opts: RopeOptions = { pos, headDim, theta: pos === 7 ? 500000 : 10000, style };
          const x = randomF32(rows * heads * headDim, rows + heads + headDim + pos);
          const { want, got } = await both([{ shape: [rows, heads * headDim], data: x }], { shape: [rows, heads * headDim] }, (b, o, xt) => b.rope(o, xt, opts));
          expect(worst(got, want, 1e-5, 1e-6), `${style} ${rows}x${heads}x${headDim} pos ${pos}`).toBeLessThanOrEqual(1);
          // in place: out === x
          const t = wasm.tensor([rows, heads * headDim], 'f32', x);
          wasm.rope(t, t, opts);
          expect(worst((await wasm.read(t)) as Float32Array, want, 1e-5, 1e-6)).toBeLessThanOrEqual(1);
          wasm.free(t);
        }
      }
    }
  });

  it('rope with per-pair frequency divisors (Llama 3 scaling): the reference by hand, wasm vs the reference', async () => {
    // headDim 4: pair 0 turns by pos·1/f0, pair 1 by pos·θ^(−1/2)/f1
    const r = ref.tensor([1, 4], 'f32', Float32Array.of(1, 1, 0, 0));
    const o = ref.tensor([1, 4], 'f32');
    ref.rope(o, r, { pos: 3, headDim: 4, theta: 100, style: 'half', freqFactors: [2, 8] });
    const [a0, a1] = [3 / 2, (3 * 0.1) / 8];
    expect(Array.from((await ref.read(o)) as Float32Array)).toEqual(Array.from(Float32Array.of(Math.cos(a0), Math.cos(a1), Math.sin(a0), Math.sin(a1))));
    for (const [rows, heads, headDim] of [[1, 1, 2], [3, 2, 6], [2, 4, 64]] as const) {
      const freqFactors = Array.from({ length: headDim / 2 }, (_, i) => 1.3 + (i % 5) * 1.7);
      for (const style of ['half', 'interleaved'] as const) {
        for (const pos of [0, 7, 4093]) {
          const opts: RopeOptions = { pos, headDim, theta: 500000, style, freqFactors };
          const x = randomF32(rows * heads * headDim, rows + heads + headDim + pos + 1);
          const { want, got } = await both([{ shape: [rows, heads * headDim], data: x }], { shape: [rows, heads * headDim] }, (b, o2, xt) => b.rope(o2, xt, opts));
          expect(worst(got, want, 1e-5, 1e-6), `${style} ${rows}x${heads}x${headDim} pos ${pos}`).toBeLessThanOrEqual(1);
          // the divisors change the result (pos 0 rotates nothing)
          const plain = await both([{ shape: [rows, heads * headDim], data: x }], { shape: [rows, heads * headDim] }, (b, o2, xt) => b.rope(o2, xt, { ...opts, freqFactors: undefined }));
          if (pos > 0) expect(worst(plain.want, want, 1e-5, 1e-6)).toBeGreaterThan(1);
          // ropeQkv takes them too
          const [qW, kW] = [heads * headDim, headDim];
          const xq = randomF32(rows * (qW + 2 * kW), pos + 3);
          const outs: Float32Array[] = [];
          for (const b of [ref, wasm] as Backend[]) {
            const [q, k, v, qkv] = [b.tensor([rows, qW], 'f32'), b.tensor([rows, kW], 'f32'), b.tensor([rows, kW], 'f32'), b.tensor([rows, qW + 2 * kW], 'f32', xq)];
            b.ropeQkv(q, k, v, qkv, opts);
            outs.push(Float32Array.of(...((await b.read(q)) as Float32Array), ...((await b.read(k)) as Float32Array)));
            for (const t of [q, k, v, qkv]) b.free(t);
          }
          expect(worst(outs[1], outs[0], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
        }
      }
    }
    expect(() => ref.rope(o, r, { pos: 0, headDim: 4, theta: 100, style: 'half', freqFactors: [1] })).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => wasm.rope(wasm.tensor([1, 4], 'f32'), wasm.tensor([1, 4], 'f32'), { pos: 0, headDim: 4, theta: 100, style: 'half', freqFactors: [1, 0] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('ropeQkv: [q | k | v] rows split and rotated, vs the reference, both styles, GQA widths', async () => {
    for (const [rows, hq, hkv, headDim] of [[1, 1, 1, 2], [3, 4, 2, 6], [2, 9, 3, 64], [5, 3, 3, 10]] as const) {
      for (const style of ['half', 'interleaved'] as const) {
        for (const pos of [0, 4093]) {
          const opts: RopeOptions = { pos, headDim, theta: 10000, style };
          const [qW, kW] = [hq * headDim, hkv * headDim];
          const x = randomF32(rows * (qW + 2 * kW), rows + hq + headDim + pos);
          const outs: Float32Array[][] = [];
          for (const b of [ref, wasm] as Backend[]) {
            const [q, k, v, qkv] = [b.tensor([rows, qW], 'f32'), b.tensor([rows, kW], 'f32'), b.tensor([rows, kW], 'f32'), b.tensor([rows, qW + 2 * kW], 'f32', x)];
            b.ropeQkv(q, k, v, qkv, opts);
            outs.push([(await b.read(q)) as Float32Array, (await b.read(k)) as Float32Array, (await b.read(v)) as Float32Array]);
            for (const t of [q, k, v, qkv]) b.free(t);
          }
          for (let i = 0; i < 3; i++) expect(worst(outs[1][i], outs[0][i], 1e-5, 1e-6), `${style} ${rows}x(${hq}+${hkv})x${headDim} pos ${pos} part ${i}`).toBeLessThanOrEqual(1);
          // v is copied exactly
          expect(Array.from(outs[1][2])).toEqual(Array.from(outs[0][2]));
        }
      }
    }
  });

  it('argmax: first index wins ties; NaNs are skipped unless in column 0 (like a scalar > scan)', async () => {
    for (const [r, v] of [[1, 1], [3, 7], [2, 64], [4, 1001], [1, 13]] as const) {
      const x = randomF32(r * v, r * v + 3);
      const { want, got } = await both([{ shape: [r, v], data: x }], { shape: [r], dtype: 'i32' }, (b, o, xt) => b.argmax(o, xt));
      expect([...got]).toEqual([...want]);
    }
    const rows = [
      [1, 5, 5, 2, 5, 0, 1],
      [NaN, 3, 4, 9, 1, 1, 1],
      [1, NaN, 4, 9, 9, NaN, 1],
      [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
      [-0, 0, -1, -2, -3, -4, -5],
      [0, 1, 2, 3, 4, 5, 6],
      [6, 5, 4, 3, 2, 1, 7],
    ];
    const x = Float32Array.from(rows.flat());
    const { want, got } = await both([{ shape: [rows.length, 7], data: x }], { shape: [rows.length], dtype: 'i32' }, (b, o, xt) => b.argmax(o, xt));
    expect([...got]).toEqual([...want]);
    expect([...got]).toEqual([1, 0, 3, 0, 0, 6, 6]);
  });

  it('embedding with f32 and f16 tables', async () => {
    for (const [vocab, d, n] of [[1, 1, 1], [7, 3, 5], [100, 13, 9], [50, 64, 3], [33, 65, 4]] as const) {
      const r = rng(vocab * d);
      const ids = Int32Array.from({ length: n }, () => Math.floor(r() * vocab));
      const tf = randomF32(vocab * d, vocab + d);
      for (const dtype of ['f32', 'f16'] as const) {
        const table = dtype === 'f32' ? tf : f32ToF16Array(tf);
        const { want, got } = await both([{ shape: [vocab, d], dtype, data: table }, { shape: [n], dtype: 'i32', data: ids }], { shape: [n, d] }, (b, o, tt, it_) =>
          b.embedding(o, tt, it_),
        );
        expect(worst(got, want, 0, 0)).toBe(0);
      }
    }
  });
});

describe('wasm core: copy / fill / memcopy', () => {
  it('copy between and within tensors of each element dtype (overlapping ranges move like memmove)', async () => {
    for (const dtype of ['f32', 'i32', 'f16'] as const) {
      const n = 37;
      const data = dtype === 'f32' ? randomF32(n, 1) : dtype === 'i32' ? Int32Array.from(randomF32(n, 2), (v) => Math.round(v * 1000)) : f32ToF16Array(randomF32(n, 3));
      for (const [dOff, sOff, count, same] of [[0, 0, 37, false], [3, 5, 13, false], [36, 0, 1, false], [0, 0, 0, false], [2, 0, 30, true], [0, 5, 30, true]] as const) {
        const res: Out[] = [];
        for (const b of [ref, wasm] as Backend[]) {
          const src = b.tensor([n], dtype, data);
          const dst = same ? src : b.tensor([n], dtype, dtype === 'f16' ? new Uint16Array(n).fill(0x7e00) : dtype === 'f32' ? new Float32Array(n).fill(NaN) : new Int32Array(n).fill(-999));
          b.copy(dst, dOff, src, sOff, count);
          res.push((await b.read(dst)) as Out);
        }
        expect([...res[1]], `${dtype} ${dOff} ${sOff} ${count} ${same}`).toEqual([...res[0]]);
      }
    }
  });

  it('fill f32 and i32', async () => {
    for (const n of ODD) {
      for (const [dtype, value] of [['f32', 1.5], ['f32', NaN], ['f32', -Infinity], ['f32', 0.1], ['i32', 7], ['i32', -3], ['i32', 3.7]] as const) {
        const res: Out[] = [];
        for (const b of [ref, wasm] as Backend[]) {
          const t = b.tensor([n], dtype);
          b.fill(t, value);
          res.push((await b.read(t)) as Out);
        }
        expect([...res[1]]).toEqual([...res[0]]);
      }
    }
  });

  it('memcopy_f32 copies every element (benchmark ceiling kernel)', async () => {
    for (const n of [...ODD, 1000, 4099]) {
      const src = wasm.tensor([n], 'f32', randomF32(n, n));
      const dst = wasm.tensor([n], 'f32', new Float32Array(n).fill(NaN));
      wasm.memcopy(dst, src);
      expect([...((await wasm.read(dst)) as Float32Array)]).toEqual([...((await wasm.read(src)) as Float32Array)]);
      wasm.free(src);
      wasm.free(dst);
    }
  });
});
