/**
 * The wasm sparse forward's four-rows-at-a-time kernel (assembly/attention-tiled.ts) against the
 * reference backend, on the shapes where its tiling can go wrong: S not a multiple of the 4-row group,
 * of the 8-key panel or of the block; S = 1, 2, B − 1; windows 0 … 3 (rows of a group share no window
 * key) and windows ≥ S; non-causal; GQA / MQA; several globals; head dims that are not multiples of
 * 4 / 8 / 16; gated; sorted candidates. Outputs are NaN-poisoned before the kernel runs. The row kernel
 * (kept for benchmarks) runs the same cases. A last check puts ±Inf into K and V rows: rows whose
 * candidate set excludes those keys must stay finite (masked keys never enter a sum).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { sparseAttentionWith, type SparseKernel } from '../../src/backends/wasm/attention.ts';
import { sparseConfig, type SparseAttentionConfig } from '../../src/backends/ops/attention.ts';
import type { Backend } from '../../src/backends/backend.ts';
import { fixtureRandomF32 } from '../helpers/random.ts';
import { withTensors } from '../helpers/tensors.ts';

interface Case {
  name: string;
  s: number;
  hq: number;
  hkv: number;
  d: number;
  cfg: SparseAttentionConfig;
  gated?: boolean;
}

const cases: Case[] = [];
const base = { window: 6, blockSize: 4, globalTokens: [0], causal: true, useLogStride: true, useLandmarks: true };
let seed = 7;
for (const s of [1, 2, 3, 5, 9, 17, 31, 45])
  for (const causal of [true, false]) cases.push({ name: `S=${s} causal=${causal}`, s, hq: 2, hkv: 2, d: 8, cfg: sparseConfig({ ...base, causal }) });
for (const window of [0, 1, 2, 3, 4, 5, 7, 8, 64])
  for (const causal of [true, false]) cases.push({ name: `W=${window} causal=${causal}`, s: 37, hq: 2, hkv: 1, d: 12, cfg: sparseConfig({ ...base, window, causal }) });
for (const d of [1, 3, 4, 5, 7, 8, 13, 16, 17, 36, 64]) cases.push({ name: `d=${d}`, s: 23, hq: 3, hkv: 3, d, cfg: sparseConfig({ ...base, window: 9, blockSize: 5 }) });
for (const [hq, hkv] of [[4, 2], [6, 1], [8, 8], [6, 3]])
  for (const causal of [true, false]) cases.push({ name: `GQA ${hq}/${hkv} causal=${causal}`, s: 50, hq, hkv, d: 16, cfg: sparseConfig({ ...base, window: 11, blockSize: 8, causal }) });
for (const blockSize of [1, 3, 7, 8, 60])
  cases.push({ name: `B=${blockSize} (S=B−1 too)`, s: 59, hq: 2, hkv: 2, d: 8, cfg: sparseConfig({ ...base, blockSize, window: 10 }) });
for (const s of [3, 6, 7]) cases.push({ name: `S=B−1=${s}`, s, hq: 2, hkv: 1, d: 4, cfg: sparseConfig({ ...base, blockSize: s + 1 }) });
cases.push({ name: 'globals 0,5,33,5,99 causal', s: 70, hq: 2, hkv: 2, d: 8, cfg: sparseConfig({ ...base, window: 8, globalTokens: [0, 5, 33, 5, 99] }) });
cases.push({ name: 'globals 69,3 non-causal', s: 70, hq: 2, hkv: 2, d: 8, cfg: sparseConfig({ ...base, window: 8, globalTokens: [69, 3], causal: false }) });
cases.push({ name: 'no globals, no log-stride', s: 41, hq: 2, hkv: 2, d: 8, cfg: sparseConfig({ ...base, globalTokens: [], useLogStride: false }) });
cases.push({ name: 'no landmarks', s: 41, hq: 2, hkv: 2, d: 8, cfg: sparseConfig({ ...base, useLandmarks: false }) });
cases.push({ name: 'sorted candidates', s: 41, hq: 2, hkv: 2, d: 8, cfg: sparseConfig({ ...base, sortCandidates: true, causal: false }) });
cases.push({ name: 'window ≥ S non-causal', s: 21, hq: 2, hkv: 2, d: 8, cfg: sparseConfig({ ...base, window: 1000, causal: false }) });
cases.push({ name: 'anchor-like W64 B32 S=203', s: 203, hq: 2, hkv: 2, d: 64, cfg: sparseConfig({ ...base, window: 64, blockSize: 32 }) });
for (const causal of [true, false]) cases.push({ name: `gated causal=${causal}`, s: 66, hq: 2, hkv: 2, d: 8, cfg: sparseConfig({ ...base, window: 5, causal }), gated: true });

async function run(b: Backend, c: Case, q: Float32Array, k: Float32Array, v: Float32Array, keep: Float32Array | undefined, kernel?: SparseKernel): Promise<Float32Array> {
  return withTensors(b, async (t) => {
    const out = t([c.s, c.hq, c.d], new Float32Array(c.s * c.hq * c.d).fill(NaN));
    const args = [out, t([c.s, c.hq, c.d], q), t([c.s, c.hkv, c.d], k), t([c.s, c.hkv, c.d], v)] as const;
    const kt = keep ? t([c.s], keep) : undefined;
    if (kernel) sparseAttentionWith(b as WasmBackend, kernel, ...args, c.cfg, kt);
    else if (kt) b.sparseAttentionGated(...args, kt, c.cfg);
    else b.sparseAttention(...args, c.cfg);
    return (await b.read(out)) as Float32Array;
  });
}

/** Max |a − b|; a non-finite value on one side only counts as Infinity, matching non-finite values as 0. */
function maxAbs(a: Float32Array, b: Float32Array): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) {
      if (Number.isFinite(a[i]) !== Number.isFinite(b[i])) return Infinity;
      continue;
    }
    w = Math.max(w, Math.abs(a[i] - b[i]));
  }
  return w;
}

describe('wasm sparse forward, tiled kernel vs reference', () => {
  let wasm: WasmBackend;
  const ref = new ReferenceBackend();
  const results: { name: string; kernel: string; err: number }[] = [];
  beforeAll(async () => {
    wasm = await WasmBackend.create();
    for (const c of cases) {
      const sd = seed++ * 3;
      const q = fixtureRandomF32(c.s * c.hq * c.d, sd, 4);
      const k = fixtureRandomF32(c.s * c.hkv * c.d, sd + 1, 1);
      const v = fixtureRandomF32(c.s * c.hkv * c.d, sd + 2, 1);
      const keep = c.gated ? fixtureRandomF32(c.s, sd + 3, 1).map((x) => (x > 0 ? 1 : 0)) : undefined;
      const want = await run(ref, c, q, k, v, keep);
      for (const kernel of ['tiled', 'rowwise', undefined] as const) {
        results.push({ name: c.name, kernel: kernel ?? 'default', err: maxAbs(await run(wasm, c, q, k, v, keep, kernel), want) });
      }
    }
  }, 60_000);

  it('covers the awkward shapes', () => expect(results.length).toBe(cases.length * 3));
  it('every case within 2e-6 of the reference, on both kernels', () => {
    expect(results.filter((r) => !(r.err <= 2e-6))).toEqual([]);
  });

  it('±Inf in K/V rows reach exactly the rows whose candidates include them', async () => {
    // S = 300, W = 8, no landmarks: row i sees i−8 … i, global 0, and i − 16, i − 32, …; key 150 is
    // outside most rows' sets but inside the band of the 4-row groups around it.
    const c: Case = { name: 'inf', s: 300, hq: 2, hkv: 2, d: 8, cfg: sparseConfig({ ...base, window: 8, useLandmarks: false }) };
    const q = fixtureRandomF32(c.s * c.hq * c.d, 91, 4);
    const k = fixtureRandomF32(c.s * c.hkv * c.d, 92, 1);
    const v = fixtureRandomF32(c.s * c.hkv * c.d, 93, 1);
    for (let x = 0; x < c.hkv * c.d; x++) v[150 * c.hkv * c.d + x] = x % 2 ? Infinity : -Infinity;
    const want = await run(ref, c, q, k, v, undefined);
    const got = await run(wasm, c, q, k, v, undefined, 'tiled');
    let finite = 0;
    for (let i = 0; i < c.s; i++) if (Number.isFinite(want[i * c.hq * c.d])) finite++;
    expect(finite).toBeGreaterThan(250); // most rows do not see key 150 …
    expect(finite).toBeLessThan(c.s - 10); // (rows 150 … 158, 166, 182, … do)
    expect(maxAbs(got, want)).toBeLessThanOrEqual(2e-6); // … and stay finite and right on wasm too
  });
});
