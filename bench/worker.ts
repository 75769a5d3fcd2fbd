/**
 * The bench worker: loads every bench/cases/*.ts module, and for each case × backend runs setup,
 * warm-up and timed runs (`run()` then `await backend.flush()`), reporting each result as it goes.
 * A case that throws (e.g. an op not implemented yet on a backend) is recorded with `error`.
 */
import type { Backend, BackendName } from '../src/backends/backend.ts';
import type { BenchCase, BenchResult } from './cases/types.ts';
import type { BenchEnvironment, BenchOptions, WorkerMessage } from './messages.ts';
import { createBackend, describe, message, selectCases, timeCase, unavailableResult } from './timing.ts';

type CaseModule = { cases(): BenchCase[] | Promise<BenchCase[]> };
const modules = import.meta.glob<CaseModule>(['./cases/*.ts', '!./cases/types.ts']);

const ALL_BACKENDS: BackendName[] = ['reference', 'wasm', 'webgpu'];
const post = (m: WorkerMessage) => postMessage(m);
const progress = (text: string) => post({ type: 'progress', text });

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
    cases.push(...selectCases(list, opts.families, opts.ops));
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
      const r = created ? await timeCase(c, created.backend, opts.quick) : unavailableResult(c, name, unavailable!);
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
