/**
 * Multi-threaded wasm (src/backends/wasm/threads*.ts): the linear layers split across 2 and 3
 * threads must give bit-identical results to the one-thread backend (same instructions per output
 * element), for every weight dtype, odd row counts and token counts, with NaN-poisoned outputs;
 * a small llama (fixture GGUFs) gives identical logits and greedy tokens; bad options are typed errors.
 * minSplitWork: 0 forces even tiny ops through the pool so every split path runs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { splitRange } from '../../src/backends/wasm/threads.ts';
import { sparseRowRanges } from '../../src/backends/wasm/threads-ops.ts';
import { CSR16N_MIN_ROW, csr16nFits, SPARSE_LAYOUTS, type SparseLayoutKind } from '../../src/backends/wasm/sparse.ts';
import type { CsrData, DType } from '../../src/backends/backend.ts';
import { loadSafetensorsModel } from '../../src/models/load.ts';
import type { WeightMap } from '../../src/models/weights.ts';
import type { CausalLM, ModelState } from '../../src/models/types.ts';
import type { QuantDType } from '../../src/formats/ggml-types.ts';
import { isSparrowError } from '../../src/errors.ts';
import { openModel } from '../../src/cli/model-files.ts';
import { main } from '../../src/cli/main.ts';
import { argmax } from '../../src/engine/sampling.ts';
import { randomF32, rng } from '../helpers/random.ts';
import { toF16Bits } from '../../src/util/f16.ts';
import { randomBlocks } from '../formats/quant-blocks.ts';
import { runLinear } from '../helpers/linear.ts';

let one: WasmBackend;
let two: WasmBackend;
let three: WasmBackend;

beforeAll(async () => {
  one = await WasmBackend.create();
  two = await WasmBackend.create({ threads: 2, minSplitWork: 0 });
  three = await WasmBackend.create({ threads: 3, minSplitWork: 0 });
});
afterAll(() => {
  for (const b of [one, two, three]) b?.dispose();
});

/**
 * Random f16 bit patterns including subnormals, zeros and both signs (no Inf/NaN). 2 % subnormal:
 * under f16.ts's 1/32 limit, so the weights are "prepared" and take the threaded side-list kernels.
 */
function randomHalves(n: number, seed: number): Uint16Array {
  const r = rng(seed);
  return Uint16Array.from({ length: n }, () => {
    const u = r();
    const mag = u < 0.02 ? Math.floor(r() * 0x400) : 0x2000 + Math.floor(r() * 0x2000); // rest |w| ≈ 2^-7..2
    return (r() < 0.5 ? 0x8000 : 0) | mag;
  });
}

function weights(dtype: DType, m: number, k: number, seed: number): Uint8Array | Float32Array | Uint16Array {
  if (dtype === 'f32') return randomF32(m * k, seed);
  if (dtype === 'f16') return randomHalves(m * k, seed);
  return randomBlocks(dtype as QuantDType, m, k, seed);
}

/** Index of the first element whose bits differ (−1 if none): NaN-poisoned rows left unwritten show up here. */
function firstDiff(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

/** All-position logits of a fixed prompt, then 8 greedy tokens by cached steps: what thread counts must agree on. */
async function promptLogitsAndGreedy(b: WasmBackend, m: CausalLM, state: ModelState): Promise<{ logits: Float32Array; tokens: number[] }> {
  const t = m.prefill([1, 5, 9, 17, 33, 65, 129, 3, 7, 11, 13], state, { allLogits: true });
  const logits = (await b.read(t)) as Float32Array;
  b.free(t);
  const tokens: number[] = [];
  let last = logits.subarray(logits.length - m.vocabSize);
  for (let i = 0; i < 8; i++) {
    const next = argmax(last);
    tokens.push(next);
    last = (await b.read(m.step(next, state))) as Float32Array;
  }
  return { logits, tokens };
}

const KS: Record<string, number[]> = { f32: [37, 96], f16: [37, 96], bf16: [37, 96], q8_0: [64], q4_0: [64], q4_1: [64], q5_0: [96], q5_1: [96], iq4_nl: [160], iq4_xs: [512], iq3_xxs: [512], iq3_s: [256], iq2_s: [512], iq2_xxs: [256], iq2_xs: [512], iq1_s: [512], iq1_m: [256], q2_k: [512], q3_k: [256], q4_k: [256], q5_k: [512], q6_k: [256] };

describe('threaded linear layers == one thread, bit for bit', () => {
  for (const dtype of Object.keys(KS) as DType[]) {
    it(`${dtype}: matvec at m = 1, 3, 7, 9, 577 and matmul at n = 2, 3, 5, 33`, async () => {
      for (const k of KS[dtype]) {
        for (const m of [1, 3, 7, 9, 577]) {
          const w = weights(dtype, m, k, m * 31 + k);
          for (const n of m === 577 ? [1, 2, 3, 5, 33] : [1, 3]) {
            const x = randomF32(n * k, n + 7 * m + k);
            const want = await runLinear(one, dtype, w, m, k, x, n);
            expect(want.every((v) => !Number.isNaN(v)), `${dtype} one-thread [${m},${k}] n=${n} wrote every element`).toBe(true);
            for (const b of [two, three]) {
              const got = await runLinear(b, dtype, w, m, k, x, n);
              expect(firstDiff(got, want), `${dtype} ${b.threads} threads [${m},${k}] n=${n}`).toBe(-1);
            }
          }
        }
      }
    });
  }

  it('the pool really ran the jobs (not the one-thread path), for every dtype, matvec and matmul', async () => {
    for (const dtype of Object.keys(KS) as DType[]) {
      const k = KS[dtype][KS[dtype].length - 1];
      for (const n of [1, 5]) {
        const before = three.pool!.stats.jobs;
        await runLinear(three, dtype, weights(dtype, 64, k, 1), 64, k, randomF32(n * k, 2), n);
        expect(three.pool!.stats.jobs, `${dtype} n=${n}`).toBeGreaterThan(before);
      }
    }
  });

  it('splitRange: aligned starts, covers [0, m) exactly once, at most `parts` ranges', () => {
    for (const m of [1, 3, 4, 5, 8, 577, 49152]) {
      for (const parts of [1, 2, 3, 4]) {
        const r = splitRange(m, parts, 4);
        expect(r.length).toBeLessThanOrEqual(parts);
        expect(r[0][0]).toBe(0);
        expect(r[r.length - 1][1]).toBe(m);
        for (let i = 0; i < r.length; i++) {
          expect(r[i][0] % 4).toBe(0);
          expect(r[i][1]).toBeGreaterThan(r[i][0]);
          if (i > 0) expect(r[i][0]).toBe(r[i - 1][1]);
        }
      }
    }
  });
});

/**
 * A CSR matrix whose rows vary like a pruned layer's: empty rows, short rows (below a win16 chunk),
 * and long rows spanning several 255-column windows (k > 255); density ~20 % on average. For
 * csr16n (rows of ≥ 8 entries) short rows are topped up with their first missing columns.
 */
function randomCsr(m: number, k: number, seed: number, layout?: SparseLayoutKind): CsrData {
  const minRow = layout === 'csr16n' ? CSR16N_MIN_ROW : 0;
  const r = rng(seed);
  const rowPtr = new Uint32Array(m + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < m; i++) {
    const kind = r();
    const density = kind < 0.2 ? 0 : kind < 0.5 ? 0.03 : kind < 0.9 ? 0.2 : 0.7;
    for (let c = 0; c < k; c++) {
      if (r() < density) {
        cols.push(c);
        vals.push((r() - 0.5) * 4);
      }
    }
    const row = new Set(cols.slice(rowPtr[i]));
    for (let c = 0; cols.length - rowPtr[i] < minRow; c++) {
      if (row.has(c)) continue;
      cols.push(c);
      vals.push((r() - 0.5) * 4);
    }
    if (minRow) {
      // keep the row sorted (not needed by any layout, but like a pruned row)
      const idx = Array.from({ length: cols.length - rowPtr[i] }, (_, j) => rowPtr[i] + j).sort((a, b) => cols[a] - cols[b]);
      const [cs, vs] = [idx.map((j) => cols[j]), idx.map((j) => vals[j])];
      cols.splice(rowPtr[i], cs.length, ...cs);
      vals.splice(rowPtr[i], vs.length, ...vs);
    }
    rowPtr[i + 1] = cols.length;
  }
  return { rows: m, cols: k, rowPtr, colIdx: Uint32Array.from(cols), values: Float32Array.from(vals) };
}

async function spmvOn(b: WasmBackend, csr: CsrData, layout: SparseLayoutKind, x: Float32Array): Promise<Float32Array> {
  const s = b.sparse(csr, layout);
  // csr16n cannot hold rows under 8 entries: it falls back to csr16 (tested in core-wasm.test.ts)
  expect(b.own('test', s).sparse!.kind).toBe(layout === 'csr16n' && !csr16nFits(csr) ? 'csr16' : layout);
  const xt = b.tensor([csr.cols], 'f32', x);
  const o = b.tensor([csr.rows], 'f32', new Float32Array(csr.rows).fill(NaN));
  b.spmv(o, s, xt);
  const r = (await b.read(o)) as Float32Array;
  for (const t of [s, xt, o]) b.free(t);
  return r;
}

describe('threaded dense attention == one thread, bit for bit', () => {
  // [rows, hq, hkv, d, causal, pos, kvLen, f16 cache]: a decode row against a long cache (the pairs
  // are its heads), a causal prefill block after cached rows, a non-causal pass, GQA / MQA, f16 K/V
  const cases: Array<[number, number, number, number, boolean, number, number, boolean]> = [
    [1, 9, 3, 64, true, 299, 300, false],
    [1, 5, 1, 13, true, 40, 41, true],
    [7, 4, 2, 16, true, 20, 27, false],
    [6, 3, 3, 8, false, 0, 33, false],
    [3, 2, 1, 36, true, 10, 13, true],
  ];
  it('decode rows, prefill blocks, non-causal, GQA / MQA, f16 K/V, soft-capped scores on 1, 2 and 3 threads', async () => {
    for (const [s, hq, hkv, d, causal, pos, kvLen, f16] of cases) for (const softcap of [0, 1.5]) {
      const q = randomF32(s * hq * d, s + hq + d, -3, 3);
      const k = randomF32(kvLen * hkv * d, kvLen + d);
      const v = randomF32(kvLen * hkv * d, kvLen + 2 * d);
      const half = (a: Float32Array) => Uint16Array.from(a, (x) => toF16Bits(x));
      const run = async (b: WasmBackend) => {
        const out = b.tensor([s, hq, d], 'f32', new Float32Array(s * hq * d).fill(NaN));
        const kt = f16 ? b.tensor([kvLen, hkv, d], 'f16', half(k)) : b.tensor([kvLen, hkv, d], 'f32', k);
        const vt = f16 ? b.tensor([kvLen, hkv, d], 'f16', half(v)) : b.tensor([kvLen, hkv, d], 'f32', v);
        const qt = b.tensor([s, hq, d], 'f32', q);
        b.denseAttention(out, qt, kt, vt, { causal, pos, kvLen, softcap });
        const r = (await b.read(out)) as Float32Array;
        for (const t of [out, kt, vt, qt]) b.free(t);
        return r;
      };
      const want = await run(one);
      const label = `s ${s} hq ${hq} hkv ${hkv} d ${d} causal ${causal} pos ${pos} kv ${kvLen} f16 ${f16} softcap ${softcap}`;
      expect(want.every((x) => Number.isFinite(x)), `${label}: one thread wrote every element`).toBe(true);
      for (const b of [two, three]) {
        const jobs = b.pool!.stats.jobs;
        expect(firstDiff(await run(b), want), `${label}, ${b.threads} threads`).toBe(-1);
        expect(b.pool!.stats.jobs, `${label}: the pool ran it`).toBeGreaterThan(jobs);
      }
    }
  });
});

describe('threaded selective scan == one thread, bit for bit', () => {
  // channels split at multiples of 4 across the pool; I not a multiple of 4 (a scalar tail) and I
  // spanning several 64-channel blocks; N = 16 (vector rows), 6 (scalar), and uniform A rows (Mamba-2)
  it('I = 13, 70, 200; N = 6, 16; T = 1, 5; with and without D, z, dt bias; uniform A rows; on 1, 2 and 3 threads', async () => {
    for (const [T, I, N] of [[1, 13, 16], [5, 70, 6], [1, 200, 16], [5, 200, 16]] as const) {
      for (const full of [true, false]) for (const uniform of [false, true]) {
        const x = randomF32(T * I, T + I), dt = randomF32(T * I, I + 3, -2, 1), bm = randomF32(T * N, N + 1), c = randomF32(T * N, N + 2);
        const a = randomF32(I * N, I * N, -3, -0.1);
        if (uniform) for (let ch = 0; ch < I; ch++) a.fill(a[ch * N], ch * N, (ch + 1) * N);
        const d = randomF32(I, I + 7), z = randomF32(T * I, T * I + 1), bias = randomF32(I, I + 9, -1, 1), st0 = randomF32(I * N, 5);
        const run = async (b: WasmBackend) => {
          const ts = [b.tensor([T, I], 'f32', new Float32Array(T * I).fill(NaN)), b.tensor([T, I], 'f32', x), b.tensor([T, I], 'f32', dt), b.tensor([I, N], 'f32', a), b.tensor([T, N], 'f32', bm), b.tensor([T, N], 'f32', c)];
          const opt = full ? [b.tensor([I], 'f32', d), b.tensor([T, I], 'f32', z), b.tensor([I], 'f32', bias)] : [null, null, null];
          const state = b.tensor([I, N], 'f32', st0);
          b.selectiveScan(ts[0], ts[1], ts[2], ts[3], ts[4], ts[5], opt[0], opt[1], opt[2], state, true);
          const r = [(await b.read(ts[0])) as Float32Array, (await b.read(state)) as Float32Array];
          for (const t of [...ts, ...opt, state]) if (t) b.free(t);
          return r;
        };
        const [wantOut, wantState] = await run(one);
        const label = `T ${T} I ${I} N ${N} full ${full} uniform ${uniform}`;
        expect(wantOut.every((v) => Number.isFinite(v)), label).toBe(true);
        for (const b of [two, three]) {
          const jobs = b.pool!.stats.jobs;
          const [out, state] = await run(b);
          expect(firstDiff(out, wantOut), `${label}, ${b.threads} threads: out`).toBe(-1);
          expect(firstDiff(state, wantState), `${label}, ${b.threads} threads: state`).toBe(-1);
          expect(b.pool!.stats.jobs, `${label}: the pool ran it`).toBeGreaterThan(jobs);
        }
      }
    }
  });
});

describe('threaded spmv == one thread, bit for bit', () => {
  for (const layout of SPARSE_LAYOUTS) {
    it(`${layout}: m = 1, 2, 3, 7, 9, 577 (empty, short and long rows; csr16n: ≥ 8), k = 37, 300; Inf in x`, async () => {
      for (const k of [37, 300]) {
        for (const m of [1, 2, 3, 7, 9, 577]) {
          const csr = randomCsr(m, k, m * 131 + k, layout);
          const finite = randomF32(k, m + k);
          const inf = Float32Array.from(finite);
          inf[3] = Infinity;
          inf[k - 2] = -Infinity; // rows touching both give NaN, rows touching one ±Inf
          for (const x of [finite, inf]) {
            const want = await spmvOn(one, csr, layout, x);
            if (x === finite) expect(want.every((v) => Number.isFinite(v)), `${layout} one-thread [${m},${k}] wrote every row`).toBe(true);
            for (const b of [two, three]) {
              const jobs = b.pool!.stats.jobs;
              const got = await spmvOn(b, csr, layout, x);
              expect(firstDiff(got, want), `${layout} ${b.threads} threads [${m},${k}] ${x === inf ? 'Inf' : 'finite'} x`).toBe(-1);
              if (m >= 2) expect(b.pool!.stats.jobs, `${layout} [${m},${k}] went through the pool`).toBeGreaterThan(jobs);
            }
          }
        }
      }
    });
  }

  for (const layout of ['csr16', 'csr16n', 'word8'] as const) {
    it(`${layout} spmm (token tiles of 4): N = 1, 3, 4, 6 rows of x, m = 2, 9, 577, k = 37, 300; bit-identical on 1, 2, 3 threads`, async () => {
      for (const k of [37, 300]) {
        for (const m of [2, 9, 577]) {
          const csr = randomCsr(m, k, m * 17 + k, layout);
          for (const n of [1, 3, 4, 6]) {
            const x = randomF32(n * k, n + m + k);
            const runOn = async (b: WasmBackend) => {
              const s = b.sparse(csr, layout);
              const xt = b.tensor([n, k], 'f32', x);
              const o = b.tensor([n, m], 'f32', new Float32Array(n * m).fill(NaN));
              b.spmm(o, s, xt);
              const r = (await b.read(o)) as Float32Array;
              for (const t of [s, xt, o]) b.free(t);
              return r;
            };
            const want = await runOn(one);
            expect(want.every(Number.isFinite), `${layout} one thread wrote every element`).toBe(true);
            for (const b of [two, three]) {
              const jobs = b.pool!.stats.jobs;
              expect(firstDiff(await runOn(b), want), `${layout} ${b.threads} threads n=${n} [${m},${k}]`).toBe(-1);
              // (with m = 2 one row can hold all the work: then there is nothing to split)
              if (m > 2) expect(b.pool!.stats.jobs, `${layout} n=${n} [${m},${k}] went through the pool`).toBeGreaterThan(jobs);
            }
          }
        }
      }
    });
  }

  it('an all-empty matrix and a matrix with one non-empty row: zeros / the one dot, on every thread count', async () => {
    const empty: CsrData = { rows: 11, cols: 9, rowPtr: new Uint32Array(12), colIdx: new Uint32Array(0), values: new Float32Array(0) };
    const oneRow: CsrData = { rows: 11, cols: 9, rowPtr: Uint32Array.from({ length: 12 }, (_, i) => (i > 7 ? 3 : 0)), colIdx: Uint32Array.of(0, 4, 8), values: Float32Array.of(1, 2, 3) };
    const x = Float32Array.from({ length: 9 }, (_, i) => i + 1);
    for (const layout of SPARSE_LAYOUTS) {
      for (const b of [one, two, three]) {
        expect([...(await spmvOn(b, empty, layout, x))], `${layout} ${b.threads}`).toEqual(new Array(11).fill(0));
        const want = new Array(11).fill(0);
        want[7] = 1 * 1 + 2 * 5 + 3 * 9;
        expect([...(await spmvOn(b, oneRow, layout, x))], `${layout} ${b.threads}`).toEqual(want);
      }
    }
  });

  it('small matrices stay on the calling thread under the default minSplitWork', async () => {
    const b = await WasmBackend.create({ threads: 2 });
    try {
      const jobs = b.pool!.stats.jobs;
      const want = await spmvOn(one, randomCsr(64, 64, 5), 'csr16', randomF32(64, 6));
      expect(firstDiff(await spmvOn(b, randomCsr(64, 64, 5), 'csr16', randomF32(64, 6)), want)).toBe(-1);
      expect(b.pool!.stats.jobs).toBe(jobs);
      const x = randomF32(1000, 8);
      for (const layout of SPARSE_LAYOUTS) {
        const big = randomCsr(577, 1000, 7, layout); // ~115k entries: split
        expect(firstDiff(await spmvOn(b, big, layout, x), await spmvOn(one, big, layout, x)), layout).toBe(-1);
      }
      expect(b.pool!.stats.jobs).toBeGreaterThan(jobs);
    } finally {
      b.dispose();
    }
  });

  it('sparseRowRanges: covers [0, m) once, balances work rather than rows', () => {
    // rows 0..99 hold 100 entries each, rows 100..999 none: equal row counts would give one part all the work
    const cum = (r: number) => 100 * Math.min(r, 100);
    for (const parts of [2, 3, 6]) {
      const r = sparseRowRanges(1000, parts, cum);
      expect(r[0][0]).toBe(0);
      expect(r[r.length - 1][1]).toBe(1000);
      for (let i = 1; i < r.length; i++) expect(r[i][0]).toBe(r[i - 1][1]);
      for (const [r0, r1] of r) {
        expect(r1).toBeGreaterThan(r0);
        expect(cum(r1) - cum(r0)).toBeLessThanOrEqual(10000 / parts + 100); // within one row of even
      }
    }
    expect(sparseRowRanges(1, 3, (r) => r)).toEqual([[0, 1]]);
    expect(sparseRowRanges(5, 3, () => 0)).toEqual([[0, 5]]); // no work at all: one range
  });
});

describe('threaded model forward', () => {
  const dir = join('test', 'fixtures', 'models', 'llama-gqa-tiny');
  for (const file of ['model.Q8_0.gguf', 'model.F16.gguf', 'model.safetensors']) {
    it(`llama-gqa-tiny ${file}: logits and 8 greedy tokens identical on 1, 2 and 3 threads`, async () => {
      const path = file.endsWith('.gguf') ? join(dir, file) : dir;
      const runs: { logits: Float32Array; tokens: number[] }[] = [];
      for (const b of [one, two, three]) {
        const om = await openModel(b, path);
        const m = om.model;
        runs.push(await promptLogitsAndGreedy(b, m, m.newState()));
      }
      for (const r of runs.slice(1)) {
        expect(firstDiff(r.logits, runs[0].logits)).toBe(-1);
        expect(r.tokens).toEqual(runs[0].tokens);
      }
    });
  }
});

describe('threaded pruned model (sparse linears)', () => {
  const dir = join('test', 'fixtures', 'models', 'llama-gqa-tiny-pruned80');
  // Every layout in turn, forced like bench/node-pruned.ts does (the fixture's 64-wide linears are all csr16 by default).
  for (const layout of SPARSE_LAYOUTS) {
    it(`llama-gqa-tiny-pruned80, every linear ${layout}: logits and 8 greedy tokens identical on 1, 2 and 3 threads`, async () => {
      const runs: { logits: Float32Array; tokens: number[]; kinds: string[] }[] = [];
      for (const b of [one, two, three]) {
        const jobs = b.pool?.stats.jobs ?? 0;
        const sparse = b.sparse;
        b.sparse = (csr: CsrData) => sparse.call(b, csr, layout);
        try {
          const m = await loadSafetensorsModel(b, readFileSync(join(dir, 'config.json'), 'utf8'), readFileSync(join(dir, 'model.safetensors')), { sparseLinears: true });
          const kinds = (m as unknown as { weights: WeightMap }).weights.entries().filter(([, t]) => t.dtype === 'sparse').map(([, t]) => b.own('test', t).sparse!.kind);
          expect(kinds.length).toBe(14); // 2 layers × 7 linears
          const state = m.newState();
          const { logits, tokens } = await promptLogitsAndGreedy(b, m, state);
          if (b.pool) expect(b.pool.stats.jobs).toBeGreaterThan(jobs);
          state.free();
          m.dispose();
          runs.push({ logits, tokens, kinds });
        } finally {
          b.sparse = sparse;
        }
      }
      // csr16n takes the linears whose rows all hold ≥ 8 entries; the others fall back to csr16.
      if (layout === 'csr16n') expect(new Set(runs[0].kinds)).toEqual(new Set(['csr16n', 'csr16']));
      else expect(new Set(runs[0].kinds)).toEqual(new Set([layout]));
      expect(runs[0].logits.every((v) => Number.isFinite(v))).toBe(true);
      for (const r of runs.slice(1)) {
        expect(firstDiff(r.logits, runs[0].logits)).toBe(-1);
        expect(r.tokens).toEqual(runs[0].tokens);
      }
    });
  }
});

describe('thread options', () => {
  it('CLI --threads 2: the same logits file as one thread; --threads 0 and --threads with reference: INVALID_ARGUMENT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparrow-threads-'));
    try {
      const io = { out: () => {}, err: () => {} };
      const args = (out: string, ...extra: string[]) => ['logits', '--model', 'test/fixtures/models/llama-gqa-tiny/model.Q8_0.gguf', '--tokens', '1,5,9,17,33', '--out', join(dir, out), ...extra];
      expect(await main(args('a.bin'), io)).toBe(0);
      expect(await main(args('b.bin', '--threads', '2'), io)).toBe(0);
      expect(readFileSync(join(dir, 'b.bin')).equals(readFileSync(join(dir, 'a.bin')))).toBe(true);
      const err: string[] = [];
      expect(await main(args('c.bin', '--threads', '0'), { out: () => {}, err: (s: string) => err.push(s) })).not.toBe(0);
      expect(await main(args('c.bin', '--threads', '2', '--backend', 'reference'), { out: () => {}, err: (s: string) => err.push(s) })).not.toBe(0);
      expect(err.join('')).toMatch(/INVALID_ARGUMENT[\s\S]*threads[\s\S]*INVALID_ARGUMENT[\s\S]*threads/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('threads outside 1..64 or not an integer: INVALID_ARGUMENT naming threads', async () => {
    for (const threads of [0, -1, 1.5, 65, Number.NaN]) {
      const e = await WasmBackend.create({ threads }).catch((x: unknown) => x);
      expect(isSparrowError(e, 'INVALID_ARGUMENT'), String(threads)).toBe(true);
      expect((e as Error).message).toMatch(/threads/);
    }
  });

  it('dispose() terminates every helper thread and drops the pool', async () => {
    // The chat gives each loaded model its own backend and disposes the old one (chat-api.ts
    // unload()): a helper left running would keep the old shared memory (up to 4 GiB, it cannot
    // shrink) alive next to the new model's. Checked by hand in Chromium: reloading the 1.4 GiB
    // Gemma-2-2B-shaped file on 2 threads returns the old memory and leaves one helper Worker.
    const b = await WasmBackend.create({ threads: 3, minSplitWork: 0 });
    const w = b.tensor([64, 32], 'f32', randomF32(64 * 32, 5));
    const x = b.tensor([32], 'f32', randomF32(32, 6));
    b.matvec(b.tensor([64], 'f32'), w, x);
    const handles = [...(b.pool as unknown as { helpers: { terminate(): void }[] }).helpers];
    expect(handles).toHaveLength(2);
    const terminated = new Set<number>();
    handles.forEach((h, i) => {
      const t = h.terminate.bind(h);
      h.terminate = () => {
        terminated.add(i);
        t();
      };
    });
    b.dispose();
    expect([...terminated].sort()).toEqual([0, 1]);
    expect(b.pool).toBeUndefined();
    expect(b.threads).toBe(1);
    expect(b.memoryBytes()).toBe(0);
  });

  it('a helper thread that died: BACKEND_UNAVAILABLE naming it, not a hang', async () => {
    const b = await WasmBackend.create({ threads: 2, minSplitWork: 0, timeoutMs: 2000 });
    const w = b.tensor([64, 32], 'f32', randomF32(64 * 32, 3));
    const x = b.tensor([32], 'f32', randomF32(32, 4));
    const o = b.tensor([64], 'f32');
    // Kill the helper behind the pool's back, as a crash would.
    (b.pool as unknown as { helpers: { terminate(): void }[] }).helpers[0].terminate();
    await new Promise((r) => setTimeout(r, 300));
    let e: unknown;
    try {
      b.matvec(o, w, x);
    } catch (x) {
      e = x;
    }
    expect(isSparrowError(e, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect((e as Error).message).toMatch(/thread 1/);
    b.dispose();
  });
});
