/**
 * Runs every case of the sparse-attention golden manifest on one Backend and reports the largest
 * absolute difference per case. Shared by the Node suite (reference, wasm) and the browser suite
 * (webgpu, through the worker's runCase), so both check exactly the same things. Files are read
 * through `load`, which is fs in Node and fetch in the browser.
 */
import type { Backend, Tensor } from '../../src/backends/backend.ts';
import { createKvCache, freeKvCache, type FastGrnnGate, type SparseAttentionConfig } from '../../src/backends/ops/attention.ts';
import { maxAbsErr } from '../helpers/random.ts';

export interface ManifestCase {
  id: string;
  kind: string;
  input: string;
  config?: Record<string, unknown>;
  causal?: boolean;
  output: string;
  output_shape: number[];
  prefill?: number;
  cache_capacity?: number;
  top_k?: number;
  keep_mask?: string;
  salience?: string;
  gate?: { input_dim: number; hidden_dim: number; zeta: number; nu: number; w_gate: string; u_gate: string; w_update: string; u_update: string; bias_gate: string; bias_update: string };
}
export interface Manifest {
  inputs: { name: string; seq: number; q_heads: number; kv_heads: number; dim: number; files: { q: string; k: string; v: string } }[];
  cases: ManifestCase[];
}
export interface CaseResult {
  id: string;
  kind: string;
  /** Largest |ours − golden| over the output. */
  maxAbs: number;
  /** Extra checks (salience error, keep-mask mismatches) where the case has them. */
  salienceMaxAbs?: number;
  maskMismatches?: number;
  /** Set when the case could not be run (unknown kind, thrown error). */
  error?: string;
}

export type Loader = (file: string) => Promise<Float32Array>;

export function toConfig(c: Record<string, unknown>): SparseAttentionConfig {
  return {
    window: c.window as number,
    blockSize: c.block_size as number,
    globalTokens: c.global_tokens as number[],
    causal: c.causal as boolean,
    useLogStride: c.use_log_stride as boolean,
    useLandmarks: c.use_landmarks as boolean,
    sortCandidates: c.sort_candidates as boolean,
  };
}

const poisoned = (n: number) => new Float32Array(n).fill(NaN);

export async function runAttentionFixtures(b: Backend, manifest: Manifest, load: Loader, only?: string[]): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of manifest.cases) {
    if (only && !only.includes(c.id)) continue;
    const live: Tensor[] = [];
    const t = (shape: number[], data: Float32Array) => {
      const x = b.tensor(shape, 'f32', data);
      live.push(x);
      return x;
    };
    try {
      const inp = manifest.inputs.find((i) => i.name === c.input);
      if (!inp) throw new Error(`unknown input ${c.input}`);
      const [qd, kd, vd, want] = await Promise.all([load(inp.files.q), load(inp.files.k), load(inp.files.v), load(c.output)]);
      const S = inp.seq;
      const qShape = [S, inp.q_heads, inp.dim];
      const kvShape = [S, inp.kv_heads, inp.dim];
      const out = t(c.output_shape, poisoned(want.length));
      const r: CaseResult = { id: c.id, kind: c.kind, maxAbs: Infinity };
      switch (c.kind) {
        case 'forward':
        case 'forward_gqa':
        // forward_flash accumulates the same candidate multiset in another order (spec 1.7): it
        // differs from forward by ≤ 1.8e-7, far inside the tolerance, so forward is checked against it.
        case 'forward_flash':
          b.sparseAttention(out, t(qShape, qd), t(kvShape, kd), t(kvShape, vd), toConfig(c.config!));
          break;
        case 'dense':
          b.denseAttention(out, t(qShape, qd), t(kvShape, kd), t(kvShape, vd), { causal: c.causal! });
          break;
        case 'decode':
        case 'decode_f16': {
          const cfg = toConfig(c.config!);
          const cache = createKvCache(b, { capacity: c.cache_capacity!, kvHeads: inp.kv_heads, dim: inp.dim, blockSize: cfg.blockSize, dtype: c.kind === 'decode_f16' ? 'f16' : 'f32' });
          const row = inp.kv_heads * inp.dim;
          const qrow = inp.q_heads * inp.dim;
          const pre = c.prefill!;
          // f32 cache: prefill with one multi-row append (append_all); f16 cache: per token (try_append).
          const step = c.kind === 'decode_f16' ? 1 : pre;
          for (let p = 0; p < pre; p += step) {
            const n = Math.min(step, pre - p);
            b.kvAppend(cache, t([n, inp.kv_heads, inp.dim], kd.slice(p * row, (p + n) * row)), t([n, inp.kv_heads, inp.dim], vd.slice(p * row, (p + n) * row)));
          }
          const o1 = t([1, inp.q_heads, inp.dim], poisoned(qrow));
          const got = new Float32Array(want.length);
          for (let p = pre; p < S; p++) {
            b.kvAppend(cache, t([1, inp.kv_heads, inp.dim], kd.slice(p * row, (p + 1) * row)), t([1, inp.kv_heads, inp.dim], vd.slice(p * row, (p + 1) * row)));
            b.sparseDecode(o1, t([1, inp.q_heads, inp.dim], qd.slice(p * qrow, (p + 1) * qrow)), cache, cfg);
            got.set((await b.read(o1)) as Float32Array, (p - pre) * qrow);
          }
          freeKvCache(b, cache);
          b.write(out, got);
          break;
        }
        case 'forward_gated': {
          const cfg = toConfig(c.config!);
          const wantMask = await load(c.keep_mask!);
          let keep: Tensor;
          if (c.gate) {
            const g = c.gate;
            const [wg, ug, wu, uu, bg, bu, sal] = await Promise.all([g.w_gate, g.u_gate, g.w_update, g.u_update, g.bias_gate, g.bias_update, c.salience!].map(load));
            const gate: FastGrnnGate = {
              wGate: t([g.hidden_dim, g.input_dim], wg),
              uGate: t([g.hidden_dim, g.hidden_dim], ug),
              wUpdate: t([g.hidden_dim, g.input_dim], wu),
              uUpdate: t([g.hidden_dim, g.hidden_dim], uu),
              bGate: t([g.hidden_dim], bg),
              bUpdate: t([g.hidden_dim], bu),
              zeta: g.zeta,
              nu: g.nu,
            };
            const salT = t([S], poisoned(S));
            const kT = t(kvShape, kd);
            b.fastgrnnSalience(salT, kT, gate);
            r.salienceMaxAbs = maxAbsErr((await b.read(salT)) as Float32Array, sal);
            keep = t([S], poisoned(S));
            b.topkMask(keep, salT, c.top_k!);
            const got = (await b.read(keep)) as Float32Array;
            r.maskMismatches = got.reduce((n, x, i) => n + (x === wantMask[i] ? 0 : 1), 0);
          } else {
            keep = t([S], wantMask);
          }
          b.sparseAttentionGated(out, t(qShape, qd), t(kvShape, kd), t(kvShape, vd), keep, cfg);
          break;
        }
        default:
          throw new Error(`unknown case kind '${c.kind}': the suite must be taught this kind`);
      }
      r.maxAbs = maxAbsErr((await b.read(out)) as Float32Array, want);
      results.push(r);
    } catch (e) {
      results.push({ id: c.id, kind: c.kind, maxAbs: Infinity, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    } finally {
      for (const x of live) b.free(x);
    }
  }
  return results;
}
