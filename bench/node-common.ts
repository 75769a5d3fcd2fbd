/** Timing loops shared by the Node model benchmarks (bench/node-llama.ts, bench/node-mamba.ts). */
import type { Backend, Tensor } from '../src/backends/backend.ts';

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
