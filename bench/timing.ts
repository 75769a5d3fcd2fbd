/**
 * Timing one bench case on one backend, shared by the browser worker (bench/worker.ts) and the
 * Node + Dawn runner for real GPUs (bench/gpu/run.ts): setup, warm-up, timed runs
 * (`run()` then `await backend.flush()`), median/min and derived GB/s, GFLOP/s, tokens/s.
 */
import type { Backend, BackendName } from '../src/backends/backend.ts';
import { ReferenceBackend } from '../src/backends/reference/backend.ts';
import { WasmBackend } from '../src/backends/wasm/backend.ts';
import { WebGpuBackend } from '../src/backends/webgpu/backend.ts';
import type { BenchCase, BenchResult } from './cases/types.ts';
import { summarize } from './stats.ts';

/**
 * A warm-up run slower than this means 20 timed runs would take minutes: time as many as fit in
 * CASE_BUDGET_MS (at least 3) and say so in the result's note.
 */
const SLOW_RUN_MS = 1500;
const CASE_BUDGET_MS = 30_000;
/** Shortest sample worth timing on CPU backends (performance.now() is coarse, 5–100 µs). */
const MIN_SAMPLE_MS = 2;

/** A bench backend and its one-line description for the report's environment. */
export async function createBackend(name: BackendName): Promise<{ backend: Backend; info: string }> {
  switch (name) {
    case 'reference':
      return { backend: new ReferenceBackend(), info: 'plain TypeScript, float64 accumulation' };
    case 'wasm':
      return { backend: await WasmBackend.create(), info: 'WebAssembly SIMD (AssemblyScript), single thread' };
    case 'webgpu': {
      const b = await WebGpuBackend.create();
      const a = b.adapter;
      return { backend: b, info: `${a.vendor || '?'} / ${a.architecture || '?'}${a.description ? ` (${a.description})` : ''}` };
    }
  }
}

export function message(e: unknown): string {
  if (e instanceof Error) return (e as Error & { code?: string }).code ? `${(e as Error & { code?: string }).code}: ${e.message}` : e.message;
  return String(e);
}

export async function timeCase(c: BenchCase, b: Backend, quick: boolean): Promise<BenchResult> {
  const base: BenchResult = { family: c.family, op: c.op, shape: c.shape, dtype: c.dtype, backend: b.name, runs: 0, medianMs: NaN, minMs: NaN };
  if (c.note) base.note = c.note;
  if (c.denseBytes !== undefined) base.denseBytes = c.denseBytes;
  if (c.baseline !== undefined) base.baseline = c.baseline;
  let prepared: Awaited<ReturnType<BenchCase['setup']>> | undefined;
  try {
    prepared = await c.setup(b);
    if (prepared.storedBytes !== undefined) base.storedBytes = prepared.storedBytes;
    // CPU backends finish work inside run() (flush is a no-op): sub-millisecond ops are timed as
    // `reps` back-to-back runs per sample, so timer granularity does not swamp them. WebGPU keeps
    // one run + flush per sample (its flush is the real completion wait).
    let reps = 1;
    const once = async () => {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) await prepared!.run();
      await b.flush();
      return (performance.now() - t0) / reps;
    };
    // Warm-up: pipelines compile, caches fill, JIT tiers up.
    const warm = [await once()];
    if (b.name !== 'webgpu' && warm[0] < MIN_SAMPLE_MS) reps = Math.min(1000, Math.ceil(MIN_SAMPLE_MS / Math.max(warm[0], 0.001)));
    let runs = quick ? 5 : Math.max(20, c.minRuns ?? 20);
    if (warm[0] > SLOW_RUN_MS) {
      // Seconds per run (e.g. big shapes on SwiftShader): fit the runs into CASE_BUDGET_MS.
      runs = Math.min(runs, Math.max(3, Math.floor(CASE_BUDGET_MS / warm[0])));
      base.note = [base.note, `slow: ${runs} runs`].filter(Boolean).join('; ');
    } else if (!quick) warm.push(await once());
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await once());
    Object.assign(base, summarize(times, { bytes: prepared.bytes ?? c.bytes, flops: c.flops, tokens: c.tokens }));
  } catch (e) {
    base.error = message(e);
  } finally {
    try {
      prepared?.dispose();
    } catch (e) {
      base.error ??= `dispose: ${message(e)}`;
    }
  }
  return base;
}

export function describe(r: BenchResult): string {
  const id = `${r.family}/${r.op} ${r.shape} ${r.dtype} [${r.backend}]`;
  if (r.error) return `  ✗ ${id}: ${r.error}`;
  const extra = [r.gbPerS !== undefined && `${r.gbPerS.toFixed(2)} GB/s`, r.gflopPerS !== undefined && `${r.gflopPerS.toFixed(2)} GFLOP/s`, r.tokensPerS !== undefined && `${r.tokensPerS.toFixed(1)} tok/s`].filter(Boolean);
  return `  ✓ ${id}: median ${r.medianMs.toFixed(3)} ms (min ${r.minMs.toFixed(3)}, ${r.runs} runs)${extra.length ? ' · ' + extra.join(' · ') : ''}`;
}

/** The result row of a case whose backend could not be created. */
export function unavailableResult(c: BenchCase, backend: BackendName, why: string): BenchResult {
  return { family: c.family, op: c.op, shape: c.shape, dtype: c.dtype, backend, runs: 0, medianMs: NaN, minMs: NaN, error: `backend unavailable: ${why}` };
}

/** Cases matching the family / op filters (empty filter: all). */
export function selectCases(list: BenchCase[], families: string[], ops: string[]): BenchCase[] {
  return list.filter((c) => (!families.length || families.includes(c.family)) && (!ops.length || ops.some((o) => c.op.includes(o))));
}
