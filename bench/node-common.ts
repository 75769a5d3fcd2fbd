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
