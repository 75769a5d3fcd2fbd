/**
 * Free-core check for thread benchmarks on a shared machine: total spin-loop iterations of n worker
 * threads in 300 ms over those of one. ≈ n means n free cores; ≈ 1 means the threads time-share one
 * core, and no thread-count comparison taken then says anything about parallel speed (docs/threads.md).
 */
import { Worker } from 'node:worker_threads';

async function spinIterations(n: number): Promise<number> {
  const src = `let x = 0; const t = performance.now(); while (performance.now() - t < 300) x++; require('node:worker_threads').parentPort.postMessage(x);`;
  const counts = await Promise.all(
    Array.from({ length: n }, () => new Promise<number>((res) => {
      const w = new Worker(src, { eval: true });
      w.once('message', (c: number) => (res(c), void w.terminate()));
    })),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Iterations of `n` spinning threads / iterations of one, rounded to 2 decimals. */
export async function freeCoreRatio(n: number): Promise<number> {
  const base = await spinIterations(1);
  return +((await spinIterations(n)) / base).toFixed(2);
}
