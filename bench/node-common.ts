/** Timing loops and the SmolLM2-shaped weights shared by the Node model benchmarks (bench/node-llama.ts, node-mamba.ts, node-bf16.ts, node-f16.ts). */
import type { Backend, DType, Tensor } from '../src/backends/backend.ts';
import type { LlamaConfig } from '../src/formats/hf-config.ts';
import { SMOLLM2_135M, llamaGgufPlan, type LlamaGgufType } from '../src/formats/synthetic-models.ts';
import { llamaHfName } from '../src/models/gguf-weights.ts';
import type { CausalLM } from '../src/models/types.ts';
import type { WeightFile } from '../src/models/weights.ts';

const S = SMOLLM2_135M;
export const GGML_DTYPE: Record<string, DType> = { F32: 'f32', F16: 'f16', BF16: 'bf16', Q8_0: 'q8_0', Q4_0: 'q4_0' };
/** The plan needs a vocabulary for its metadata only; the weights do not depend on it. */
export const VOCAB = { tokens: Array.from({ length: S.vocabSize }, (_, i) => `t${i}`), tokenTypes: new Array(S.vocabSize).fill(1), merges: [], corpusMerges: 0 };

/**
 * The `npm run gen:models` SmolLM2-135M plan of one weight type as a WeightFile with HF names, bytes
 * made on demand (identical to models/generated/*.gguf without writing it).
 */
export function smollmPlanFile(type: LlamaGgufType): WeightFile {
  const plan = llamaGgufPlan(S, type, VOCAB);
  const by = new Map(plan.tensors.map((t) => [llamaHfName(t.name) ?? t.name, { shape: [...t.ne].reverse(), type: t.type, make: t.make }]));
  const get = (n: string) => by.get(n) ?? (() => { throw new Error(`no tensor ${n}`); })();
  return {
    kind: 'gguf', name: `${S.name}.${type}`,
    names: () => [...by.keys()], has: (n) => by.has(n), shape: (n) => [...get(n).shape], dtype: (n) => GGML_DTYPE[get(n).type],
    async upload(n, b) {
      const t = get(n);
      const bytes = t.make();
      if (t.type === 'F32') return b.tensor(t.shape, 'f32', new Float32Array(bytes.slice().buffer));
      if (t.type === 'F16') return b.tensor(t.shape, 'f16', new Uint16Array(bytes.slice().buffer));
      return b.tensor(t.shape, GGML_DTYPE[t.type], bytes);
    },
    // only the F32 norm gains are read as f32 (uploadParam)
    f32: async (n) => {
      if (get(n).type !== 'F32') throw new Error(`${n}: f32 view not needed`);
      return new Float32Array(get(n).make().slice().buffer);
    },
    raw: async (n) => get(n).make(),
    ggmlType: (n) => get(n).type,
  };
}

/** The HF config of the SmolLM2-135M shape. */
export const SMOLLM_CONFIG: LlamaConfig = {
  family: 'llama', arch: 'llama', vocabSize: S.vocabSize, hiddenSize: S.hidden, intermediateSize: S.ffn, numLayers: S.layers, numHeads: S.heads, numKvHeads: S.kvHeads,
  headDim: S.hidden / S.heads, rmsNormEps: S.rmsEps, ropeTheta: S.ropeTheta, ropeScaling: null, maxPositionEmbeddings: S.contextLength,
  tieWordEmbeddings: true, attentionBias: false, qkvBias: false, qkNorm: false, mlpBias: false, hiddenAct: 'silu', bosTokenId: 1, eosTokenIds: [2],
};

/**
 * `n` greedy decode steps from `token`, each timed as the user sees it: `step(token)` (the model's
 * forward, returning logits), the device argmax into `next` and reading the token id back, which
 * waits for all queued work. Returns the per-step times in ms, sorted ascending (so [0] is the
 * fastest step and [length >> 1] the median).
 */
export async function timeGreedySteps(b: Backend, step: (token: number) => Tensor, next: Tensor, token: number, n: number): Promise<number[]> {
  const steps: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    b.argmax(next, step(token));
    token = (await b.read(next))[0];
    steps.push(performance.now() - t0);
  }
  return steps.sort((x, y) => x - y);
}

/**
 * Prefill `prompt` on a fresh state, then `steps` + 1 greedy decode steps (model.step, device argmax
 * into `next`, read-back). Step 0 warms the model's weights and is not timed. Returns the greedy
 * token sequence and, per timed step, wall and CPU milliseconds (CPU time is less disturbed than
 * wall time on a shared machine).
 */
export async function greedyDecode(b: Backend, model: CausalLM, prompt: number[], next: Tensor, steps: number): Promise<{ tokens: number[]; wall: number[]; cpu: number[] }> {
  const state = model.newState();
  const logits = model.prefill(prompt, state);
  b.argmax(next, logits);
  b.free(logits);
  let token = (await b.read(next))[0];
  const tokens = [token];
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i <= steps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    b.argmax(next, model.step(token, state));
    token = (await b.read(next))[0];
    const c = process.cpuUsage(c0);
    if (i > 0) {
      wall.push(performance.now() - t0);
      cpu.push((c.user + c.system) / 1000);
    }
    tokens.push(token);
  }
  state.free();
  return { tokens, wall, cpu };
}

/**
 * Mean ms per call of `f` over `reps` back-to-back calls, the best of `runs` such runs, after one
 * warm-up call. For synchronous work only (wasm ops run as they are enqueued); the best run is the
 * one least disturbed by other load on a shared machine.
 */
export function bestMsPerCall(f: () => void, runs: number, reps: number): number {
  f();
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) f();
    best = Math.min(best, (performance.now() - t0) / reps);
  }
  return best;
}

/**
 * --ops profiling: wraps every backend method (read excluded) of an instance so that, while `on`,
 * each call adds its wall time (JS validation + kernel) and a count under `key(name, args)`. Nested
 * calls (ops built from ops) count in the outer one only.
 */
export class OpProfiler {
  on = false;
  readonly ms = new Map<string, number>();
  readonly calls = new Map<string, number>();

  constructor(private readonly key: (name: string, args: unknown[]) => string = (name) => name) {}

  /** Instrument `b`, an instance of the class whose prototype is `proto`. */
  instrument(b: object, proto: object): void {
    const methods = proto as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const f = methods[name];
      if (typeof f !== 'function' || name === 'constructor' || name === 'read' || name.startsWith('_')) continue;
      const self = this;
      (b as Record<string, unknown>)[name] = function (this: unknown, ...a: unknown[]) {
        if (!self.on) return (f as (...x: unknown[]) => unknown).apply(this, a);
        self.on = false;
        const key = self.key(name, a);
        const t0 = performance.now();
        try {
          return (f as (...x: unknown[]) => unknown).apply(this, a);
        } finally {
          self.ms.set(key, (self.ms.get(key) ?? 0) + performance.now() - t0);
          self.calls.set(key, (self.calls.get(key) ?? 0) + 1);
          self.on = true;
        }
      };
    }
  }

  /** Keys by total time, slowest first. */
  sorted(): Array<[string, number]> {
    return [...this.ms].sort((x, y) => y[1] - x[1]);
  }

  clear(): void {
    this.ms.clear();
    this.calls.clear();
  }
}
