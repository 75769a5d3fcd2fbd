/**
 * The bench worker: loads every bench/cases/*.ts module, and for each case × backend runs setup,
 * warm-up and timed runs (`run()` then `await backend.flush()`), reporting each result as it goes.
 * A case that throws (e.g. an op not implemented yet on a backend) is recorded with `error`.
 */
import type { Backend, BackendName } from '../src/backends/backend.ts';
import { ReferenceBackend } from '../src/backends/reference/backend.ts';
import { WasmBackend } from '../src/backends/wasm/backend.ts';
import { WebGpuBackend } from '../src/backends/webgpu/backend.ts';
import type { BenchCase, BenchResult } from './cases/types.ts';
import type { BenchEnvironment, BenchOptions, WorkerMessage } from './messages.ts';
import { summarize } from './stats.ts';

type CaseModule = { cases(): BenchCase[] | Promise<BenchCase[]> };
const modules = import.meta.glob<CaseModule>(['./cases/*.ts', '!./cases/types.ts']);

const ALL_BACKENDS: BackendName[] = ['reference', 'wasm', 'webgpu'];
/**
 * A warm-up run slower than this means 20 timed runs would take minutes: time as many as fit in
 * CASE_BUDGET_MS (at least 3) and say so in the result's note.
 */
const SLOW_RUN_MS = 1500;
const CASE_BUDGET_MS = 30_000;
/** Shortest sample worth timing on CPU backends (performance.now() is coarse, 5–100 µs). */
const MIN_SAMPLE_MS = 2;

const post = (m: WorkerMessage) => postMessage(m);
const progress = (text: string) => post({ type: 'progress', text });

async function createBackend(name: BackendName): Promise<{ backend: Backend; info: string }> {
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

function message(e: unknown): string {
  if (e instanceof Error) return (e as Error & { code?: string }).code ? `${(e as Error & { code?: string }).code}: ${e.message}` : e.message;
  return String(e);
}

async function timeCase(c: BenchCase, b: Backend, quick: boolean): Promise<BenchResult> {
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

function describe(r: BenchResult): string {
  const id = `${r.family}/${r.op} ${r.shape} ${r.dtype} [${r.backend}]`;
  if (r.error) return `  ✗ ${id}: ${r.error}`;
  const extra = [r.gbPerS !== undefined && `${r.gbPerS.toFixed(2)} GB/s`, r.gflopPerS !== undefined && `${r.gflopPerS.toFixed(2)} GFLOP/s`, r.tokensPerS !== undefined && `${r.tokensPerS.toFixed(1)} tok/s`].filter(Boolean);
  return `  ✓ ${id}: median ${r.medianMs.toFixed(3)} ms (min ${r.minMs.toFixed(3)}, ${r.runs} runs)${extra.length ? ' · ' + extra.join(' · ') : ''}`;
}

async function main(opts: BenchOptions): Promise<void> {
  const cases: BenchCase[] = [];
  for (const [path, load] of Object.entries(modules)) {
    // A broken case module (mid-edit, missing export) is reported and skipped, not fatal.
    let list: BenchCase[];
    try {
      const mod = await load();
      if (typeof mod.cases !== 'function') throw new Error('it exports no cases()');
      list = await mod.cases();
    } catch (e) {
      progress(`skipping ${path}: ${message(e)}`);
      continue;
    }
    for (const c of list) {
      if (opts.families.length && !opts.families.includes(c.family)) continue;
      if (opts.ops.length && !opts.ops.some((o) => c.op.includes(o))) continue;
      cases.push(c);
    }
  }
  const wanted = ALL_BACKENDS.filter((n) => (opts.backends.length ? opts.backends.includes(n) : true) && cases.some((c) => c.backends.includes(n)));
  progress(`${cases.length} cases, backends: ${wanted.join(', ') || 'none'}${opts.quick ? ' (quick)' : ''}`);

  const environment: BenchEnvironment = { userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency, backends: {} };
  const results: BenchResult[] = [];
  // One backend at a time, so a backend's memory is released before the next one allocates.
  for (const name of wanted) {
    const mine = cases.filter((c) => c.backends.includes(name));
    let created: { backend: Backend; info: string } | undefined;
    let unavailable: string | undefined;
    try {
      created = await createBackend(name);
      environment.backends[name] = created.info;
      progress(`${name}: ${created.info} — ${mine.length} cases`);
    } catch (e) {
      unavailable = message(e);
      environment.backends[name] = `unavailable: ${unavailable}`;
      progress(`${name}: unavailable (${unavailable})`);
    }
    for (const c of mine) {
      const r = created
        ? await timeCase(c, created.backend, opts.quick)
        : { family: c.family, op: c.op, shape: c.shape, dtype: c.dtype, backend: name, runs: 0, medianMs: NaN, minMs: NaN, error: `backend unavailable: ${unavailable}` };
      results.push(r);
      post({ type: 'result', result: r });
      progress(describe(r));
    }
    created?.backend.dispose();
  }
  post({ type: 'done', environment, results });
}

onmessage = (e: MessageEvent<BenchOptions>) => {
  main(e.data).catch((err: unknown) => post({ type: 'fatal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
};
