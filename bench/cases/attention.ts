/**
 * Attention benchmarks at the spec's native anchor workload (sparse-attention.md, "Native speed
 * anchor"): heads 8, dim 64, window 64, block 32, globals [0], causal, log-stride + landmarks,
 * xorshift32 seed 0x00C0FFEE (q amp 4, k/v amp 1). Native single core: forward 33.3 / 175.1 /
 * 778.5 ms, decode 28.3 / 29.7 / 33.2 µs/step, dense 518 / 13,338 / 230,765 ms at 1k / 4k / 16k.
 * Cases: sparse forward (and, wasm only, the same on the row-at-a-time kernel it replaced), dense causal attention (same shapes), FastGRNN-gated forward (top 8,
 * hidden 16) and per-token decode (append + sparseDecode) against a cache of 1k / 4k / 16k rows.
 */
import type { Backend, BackendName, Tensor } from '../../src/backends/backend.ts';
import { createKvCache, freeKvCache, sparseConfig, type KvCache } from '../../src/backends/ops/attention.ts';
import { blockCandidates, tokenCandidates } from '../../src/backends/ops/attention-candidates.ts';
import type { BenchCase } from './types.ts';
import { sparseAttentionWith } from '../../src/backends/wasm/attention.ts';
import type { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { arena } from './arena.ts';
import { denseSplitControl } from '../../src/backends/webgpu/attention.ts';

const H = 8;
const D = 64;
const SEQS = [1024, 4096, 16384];
const CFG = sparseConfig({ window: 64, blockSize: 32, globalTokens: [0], causal: true, useLogStride: true, useLandmarks: true });
const FAST: BackendName[] = ['wasm', 'webgpu'];

/** Seeded q, k, v ([s, H·D] each) shared by these cases and bench/node-attention.ts. */
export function inputs(s: number): [Float32Array, Float32Array, Float32Array] {
  let x = 0x00c0ffee;
  const next = (amp: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return amp * ((x >>> 8) / 8388608 - 1);
  };
  const n = s * H * D;
  return [Float32Array.from({ length: n }, () => next(4)), Float32Array.from({ length: n }, () => next(1)), Float32Array.from({ length: n }, () => next(1))];
}

/** Candidates per head over all queries (the crate's estimate_sparse_edges). */
function sparseEdges(s: number): number {
  let n = 0;
  for (let i = 0; i < s; i++) n += tokenCandidates(i, s, CFG).length + blockCandidates(i, s, CFG).length;
  return n;
}

function isSoftwareGpu(b: Backend): boolean {
  const a = (b as Backend & { adapter?: { architecture?: string; description?: string } }).adapter;
  return b.name === 'webgpu' && /swiftshader/i.test(`${a?.architecture ?? ''} ${a?.description ?? ''}`);
}

/** One (query, head, candidate): a D-wide dot and a D-wide axpy. */
const flopsPerEdge = 4 * D;

export function cases(): BenchCase[] {
  const out: BenchCase[] = [];
  for (const s of SEQS) {
    const shape = `seq=${s},h=${H},d=${D}`;
    /** A sparse-forward case on the shared inputs; `forward` runs one pass into `o`. */
    const sparseCase = (op: string, backends: BackendName[], forward: (b: Backend, o: Tensor, q: Tensor, k: Tensor, v: Tensor) => void): BenchCase => ({
      family: 'attention',
      op,
      shape,
      dtype: 'f32',
      backends,
      flops: sparseEdges(s) * H * flopsPerEdge,
      tokens: s,
      minRuns: s >= 16384 ? 5 : 20,
      async setup(b) {
        const a = arena(b);
        const [qd, kd, vd] = inputs(s);
        const [q, k, v, o] = [a.t([s, H, D], qd), a.t([s, H, D], kd), a.t([s, H, D], vd), a.t([s, H, D])];
        return { run: () => forward(b, o, q, k, v), dispose: a.dispose };
      },
    });
    out.push(sparseCase('sparse forward', FAST, (b, o, q, k, v) => b.sparseAttention(o, q, k, v, CFG)));
    // The row-at-a-time wasm kernel the four-row one replaced (issue #3), same inputs, for a side-by-side ratio.
    out.push(sparseCase('sparse forward (row kernel)', ['wasm'], (b, o, q, k, v) => sparseAttentionWith(b as WasmBackend, 'rowwise', o, q, k, v, CFG)));
    out.push({
      family: 'attention',
      op: 'dense causal',
      shape,
      dtype: 'f32',
      // wasm dense at 16384 runs ~1.5 min per pass: measured once with bench/node-attention.ts --dense16k instead.
      backends: s >= 16384 ? ['webgpu'] : FAST,
      note: s >= 16384 ? 'slow O(S²): wasm figure from bench/node-attention.ts --dense16k (docs/attention.md)' : undefined,
      flops: ((s * (s + 1)) / 2) * H * flopsPerEdge,
      tokens: s,
      minRuns: 3,
      async setup(b) {
        if (s >= 16384 && isSoftwareGpu(b)) throw new Error('skipped: O(S²) dense at 16384 on a software (SwiftShader) adapter would take hours');
        const a = arena(b);
        const [qd, kd, vd] = inputs(s);
        const [q, k, v, o] = [a.t([s, H, D], qd), a.t([s, H, D], kd), a.t([s, H, D], vd), a.t([s, H, D])];
        return { run: () => b.denseAttention(o, q, k, v, { causal: true }), dispose: a.dispose };
      },
    });
    if (s <= 4096) {
      out.push({
        family: 'attention',
        op: 'gated forward (FastGRNN top 8 / hidden 16)',
        shape,
        dtype: 'f32',
        backends: FAST,
        tokens: s,
        async setup(b) {
          const a = arena(b);
          const [qd, kd, vd] = inputs(s);
          const [q, k, v, o] = [a.t([s, H, D], qd), a.t([s, H, D], kd), a.t([s, H, D], vd), a.t([s, H, D])];
          const small = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.05);
          const gate = {
            wGate: a.t([16, D], small(16 * D, 1)),
            uGate: a.t([16, 16], small(256, 2)),
            wUpdate: a.t([16, D], small(16 * D, 3)),
            uUpdate: a.t([16, 16], small(256, 4)),
            bGate: a.t([16]),
            bUpdate: a.t([16]),
            zeta: 1,
            nu: 0,
          };
          const sal = a.t([s]);
          const keep = a.t([s]);
          return {
            run: () => {
              b.fastgrnnSalience(sal, k, gate);
              b.topkMask(keep, sal, 8);
              b.sparseAttentionGated(o, q, k, v, keep, CFG);
            },
            dispose: a.dispose,
          };
        },
      });
    }
    /** A per-token decode step against a cache of s rows (s − 1 cached, the last appended each run); `attend` reads it. */
    const decodeCase = (op: string, backends: BackendName[], attend: (b: Backend, o: Tensor, q: Tensor, cache: KvCache) => void): BenchCase => ({
      family: 'attention',
      op,
      shape: `cache=${s},h=${H},d=${D}`,
      dtype: 'f32',
      backends,
      tokens: 1,
      async setup(b) {
        const a = arena(b);
        const [qd, kd, vd] = inputs(s);
        const row = H * D;
        const cache = createKvCache(b, { capacity: s + 1, kvHeads: H, dim: D, blockSize: CFG.blockSize });
        b.kvAppend(cache, a.t([s - 1, H, D], kd.subarray(0, (s - 1) * row)), a.t([s - 1, H, D], vd.subarray(0, (s - 1) * row)));
        const [q1, k1, v1, o1] = [a.t([1, H, D], qd.subarray((s - 1) * row)), a.t([1, H, D], kd.subarray((s - 1) * row)), a.t([1, H, D], vd.subarray((s - 1) * row)), a.t([1, H, D])];
        return {
          run: () => {
            cache.length = s - 1; // the same step again: the cache stays at s rows
            b.kvAppend(cache, k1, v1);
            attend(b, o1, q1, cache);
          },
          dispose: () => {
            freeKvCache(b, cache);
            a.dispose();
          },
        };
      },
    });
    out.push(decodeCase('decode step (append + sparseDecode)', FAST, (b, o, q, cache) => b.sparseDecode(o, q, cache, CFG)));
    // Dense decode: one query row of H heads against the whole cache. On webgpu that is H pairs, so
    // the split-K path (denseSplit); the 'one workgroup per head' variant turns it off for a
    // side-by-side ratio in one run.
    const dense = (b: Backend, o: Tensor, q: Tensor, cache: KvCache) => b.denseAttention(o, q, cache.k, cache.v, { causal: true, pos: s - 1, kvLen: s });
    out.push(decodeCase('dense decode step (append + denseAttention)', FAST, dense));
    out.push(
      decodeCase('dense decode step (one workgroup per head)', ['webgpu'], (b, o, q, cache) => {
        denseSplitControl.enabled = false;
        try {
          dense(b, o, q, cache);
        } finally {
          denseSplitControl.enabled = true;
        }
      }),
    );
  }
  return out;
}
