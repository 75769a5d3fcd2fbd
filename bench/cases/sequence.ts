/**
 * Sequence-kernel benchmarks (ops/sequence.ts): Mamba selective-scan prefill at Mamba-130M/370M
 * width (d_inner 1536, state 16, 2048 tokens) and its decode step, causal conv prefill, RWKV-4 WKV,
 * delta-rule memory, RWKV-7 WKV (32 heads of 64, C = 2048) and its bonus, and BitNet ternary matvec (direct + T-MAC LUT) against dense f32 matvec at
 * 2048×2048. The float64 reference backend is left out: it is the oracle, not a contender.
 */
import type { BackendName } from '../../src/backends/backend.ts';
import { quantizeTernary } from '../../src/backends/reference/sequence.ts';
import { ternaryBytes } from '../../src/backends/ops/ternary-layout.ts';
import { randomF32 } from '../../test/helpers/random.ts';
import type { BenchCase } from './types.ts';
import { arena } from './arena.ts';

const FAST: BackendName[] = ['wasm', 'webgpu'];

function scanCase(T: number, I: number, N: number): BenchCase {
  return {
    family: 'sequence',
    op: T === 1 ? 'selectiveScan-step' : 'selectiveScan-prefill',
    shape: `T=${T},I=${I},N=${N}`,
    dtype: 'f32',
    backends: FAST,
    tokens: T,
    // x, dt, z, out [T, I]; B, C [T, N]; state read + written
    bytes: 4 * (4 * T * I + 2 * T * N + 2 * I * N + I * N),
    flops: T * I * N * 7,
    minRuns: T === 1 ? 50 : 5,
    async setup(b) {
      const a = arena(b);
      const A = new Float32Array(I * N);
      for (let i = 0; i < I; i++) for (let n = 0; n < N; n++) A[i * N + n] = -(n + 1);
      const out = a.t([T, I]);
      const x = a.t([T, I], randomF32(T * I, 1));
      const dt = a.t([T, I], randomF32(T * I, 2, -4, 0));
      const at = a.t([I, N], A);
      const bm = a.t([T, N], randomF32(T * N, 3));
      const cm = a.t([T, N], randomF32(T * N, 4));
      const d = a.t([I], randomF32(I, 5));
      const z = a.t([T, I], randomF32(T * I, 6));
      const dtb = a.t([I], randomF32(I, 7, -4, -2));
      const state = a.t([I, N]);
      return { run: () => b.selectiveScan(out, x, dt, at, bm, cm, d, z, dtb, state, true), dispose: () => a.dispose() };
    },
  };
}

function convCase(T: number, C: number, K: number): BenchCase {
  return {
    family: 'sequence',
    op: 'causalConv1d-prefill',
    shape: `T=${T},C=${C},K=${K}`,
    dtype: 'f32',
    backends: FAST,
    tokens: T,
    bytes: 4 * (2 * T * C + 2 * C * K),
    minRuns: 5,
    async setup(b) {
      const a = arena(b);
      const out = a.t([T, C]);
      const x = a.t([T, C], randomF32(T * C, 1));
      const w = a.t([C, K], randomF32(C * K, 2));
      const bias = a.t([C], randomF32(C, 3));
      const state = a.t([C, K]);
      return { run: () => b.causalConv1d(out, x, w, bias, state, true), dispose: () => a.dispose() };
    },
  };
}

function wkvCase(T: number, C: number): BenchCase {
  return {
    family: 'sequence',
    op: T === 1 ? 'wkv4-step' : 'wkv4-prefill',
    shape: `T=${T},C=${C}`,
    dtype: 'f32',
    backends: FAST,
    tokens: T,
    bytes: 4 * (3 * T * C + 8 * C),
    minRuns: T === 1 ? 50 : 5,
    async setup(b) {
      const a = arena(b);
      const st = new Float32Array(3 * C).fill(-1e38, 2 * C);
      const out = a.t([T, C]);
      const k = a.t([T, C], randomF32(T * C, 11, -5, 5));
      const v = a.t([T, C], randomF32(T * C, 12));
      const td = a.t([C], randomF32(C, 13, -3, 1));
      const tf = a.t([C], randomF32(C, 14));
      const state = a.t([3, C], st);
      return { run: () => b.wkv4(out, k, v, td, tf, state), dispose: () => a.dispose() };
    },
  };
}

function deltaCase(T: number, H: number, D: number): BenchCase {
  return {
    family: 'sequence',
    op: 'deltaRule-prefill',
    shape: `T=${T},H=${H},Dk=Dv=${D}`,
    dtype: 'f32',
    backends: FAST,
    tokens: T,
    flops: T * H * D * D * 6,
    minRuns: 5,
    async setup(b) {
      const a = arena(b);
      const out = a.t([T, H, D]);
      const q = a.t([T, H, D], randomF32(T * H * D, 21));
      const k = a.t([T, H, D], randomF32(T * H * D, 22, -0.1, 0.1));
      const v = a.t([T, H, D], randomF32(T * H * D, 23));
      const beta = a.t([T, H], randomF32(T * H, 24, 0, 1));
      const state = a.t([H, D, D]);
      return { run: () => b.deltaRule(out, q, k, v, beta, state), dispose: () => a.dispose() };
    },
  };
}

function wkv7Case(T: number, H: number, N: number): BenchCase {
  const C = H * N;
  return {
    family: 'sequence',
    op: T === 1 ? 'wkv7-step' : 'wkv7-prefill',
    shape: `T=${T},H=${H},N=${N}`,
    dtype: 'f32',
    backends: FAST,
    tokens: T,
    // r, w, k, v, a, b read, out written [T, C]; state read + written
    bytes: 4 * (7 * T * C + 2 * H * N * N),
    flops: T * H * N * N * 8,
    minRuns: T === 1 ? 50 : 5,
    async setup(b) {
      const a = arena(b);
      const out = a.t([T, C]);
      const r = a.t([T, C], randomF32(T * C, 41));
      const w = a.t([T, C], randomF32(T * C, 42, 0.6, 1));
      const k = a.t([T, C], randomF32(T * C, 43));
      const v = a.t([T, C], randomF32(T * C, 44));
      // a = −κ̂, b = κ̂·iclr with |κ̂| ≈ 1 per head: entries ~ 1/√N
      const am = a.t([T, C], randomF32(T * C, 45, -0.2, 0));
      const bm = a.t([T, C], randomF32(T * C, 46, 0, 0.2));
      const state = a.t([H, N, N]);
      return { run: () => b.wkv7(out, r, w, k, v, am, bm, state), dispose: () => a.dispose() };
    },
  };
}

function wkv7BonusCase(T: number, C: number, N: number): BenchCase {
  return {
    family: 'sequence',
    op: 'wkv7Bonus',
    shape: `T=${T},C=${C},N=${N}`,
    dtype: 'f32',
    backends: FAST,
    tokens: T,
    bytes: 4 * (5 * T * C + C),
    minRuns: T === 1 ? 50 : 5,
    async setup(b) {
      const a = arena(b);
      const out = a.t([T, C], randomF32(T * C, 51));
      const r = a.t([T, C], randomF32(T * C, 52));
      const k = a.t([T, C], randomF32(T * C, 53));
      const v = a.t([T, C], randomF32(T * C, 54));
      const u = a.t([C], randomF32(C, 55));
      return { run: () => b.wkv7Bonus(out, r, k, v, u, N), dispose: () => a.dispose() };
    },
  };
}

function matvecCase(M: number, K: number, kind: 'f32' | 'ternary' | 'ternary-lut'): BenchCase {
  return {
    family: 'sequence',
    op: kind === 'f32' ? 'matvec-f32-baseline' : kind === 'ternary' ? 'ternaryMatvec' : 'ternaryMatvecLut',
    shape: `${M}x${K}`,
    dtype: kind === 'f32' ? 'f32' : 'ternary',
    backends: FAST,
    bytes: kind === 'f32' ? M * K * 4 : ternaryBytes(M, K),
    flops: 2 * M * K,
    async setup(b) {
      const a = arena(b);
      const wf = randomF32(M * K, 31);
      const x = a.t([K], randomF32(K, 32));
      const out = a.t([M]);
      if (kind === 'f32') {
        const w = a.t([M, K], wf);
        return { run: () => b.matvec(out, w, x), dispose: () => a.dispose() };
      }
      const w = a.keep(b.tensor([M, K], 'ternary', quantizeTernary(wf, M, K)));
      const run = kind === 'ternary' ? () => b.ternaryMatvec(out, w, x) : () => b.ternaryMatvecLut(out, w, x);
      return { run, dispose: () => a.dispose() };
    },
  };
}

export function cases(): BenchCase[] {
  return [
    scanCase(2048, 1536, 16),
    scanCase(1, 1536, 16),
    convCase(2048, 1536, 4),
    wkvCase(512, 2048),
    wkvCase(1, 2048),
    deltaCase(512, 8, 64),
    wkv7Case(512, 32, 64),
    wkv7Case(1, 32, 64),
    wkv7BonusCase(512, 2048, 64),
    matvecCase(2048, 2048, 'f32'),
    matvecCase(2048, 2048, 'ternary'),
    matvecCase(2048, 2048, 'ternary-lut'),
  ];
}
