/**
 * A pool of helper threads for the wasm backend: N − 1 workers (Node worker_threads, or browser
 * Workers created from inside the engine worker) each instantiate build/sparrow-mt.wasm on one
 * shared WebAssembly.Memory, so they see every tensor at the same address. A job is "call kernel
 * export K with these integer arguments" per part; the calling thread runs part 0 itself.
 *
 * Control block (a small SharedArrayBuffer of i32, separate from linear memory):
 *   [GEN]  job counter: bumped once per job; helpers spin on it, then Atomics.wait.
 *   [DONE] helpers that finished the current job.
 *   slot h (at HDR + h·SLOT): SEQ (the job this slot belongs to), ID (kernel index; −2 = quit),
 *          ERR (1 when the kernel trapped), ARGC, ARGS[12].
 * A helper runs its slot only when SEQ equals the GEN it observed, so a slot written early for the
 * next job is never run twice or counted into the wrong job.
 *
 * Why not Atomics.wait only: waking a sleeping thread costs tens of µs (a futex syscall each side),
 * and a SmolLM2 decode step issues ~210 matvecs of 30–300 µs each. Helpers therefore spin for
 * `spinMs` after each job before sleeping, and the caller spins on DONE before it sleeps.
 */
import { SparrowError } from '../../errors.ts';
import { HELPER_SOURCE } from './threads-helper.ts';

const GEN = 0;
const DONE = 1;
const HDR = 4;
const SLOT = 16;
const SEQ = 0, ID = 1, ERR = 2, ARGC = 3, ARGS = 4;
const MAX_ARGS = SLOT - ARGS;
const LAYOUT = { GEN, DONE, HDR, SLOT, SEQ, ID, ERR, ARGC, ARGS };

export interface ThreadOptions {
  /** How long an idle helper spins before sleeping (ms). Longer: lower latency, more idle CPU. */
  spinMs?: number;
  /** A job that has not finished after this long means a helper died: typed error, not a hang. */
  timeoutMs?: number;
}

/** Whether this runtime can share wasm memory between threads, and if not, why. */
export function threadSupport(): { ok: true } | { ok: false; why: string } {
  if (typeof SharedArrayBuffer !== 'function') {
    return { ok: false, why: 'SharedArrayBuffer is unavailable (the page is not cross-origin isolated: it needs COOP: same-origin and COEP: require-corp headers)' };
  }
  const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown; process?: { versions?: { node?: string } } };
  const isNode = typeof g.process?.versions?.node === 'string';
  if (!isNode && g.crossOriginIsolated === false) return { ok: false, why: 'the page is not cross-origin isolated (COOP/COEP headers missing)' };
  if (!isNode && typeof g.document !== 'undefined') return { ok: false, why: 'wasm threads block on Atomics.wait, which the browser main thread forbids: run the engine in a worker' };
  if (typeof Worker !== 'function' && !isNode) return { ok: false, why: 'this context cannot create Workers' };
  return { ok: true };
}

interface HelperHandle {
  terminate(): void;
}

export class ThreadPool {
  private readonly c: Int32Array;
  private readonly ids = new Map<string, number>();
  private broken: string | undefined;
  private readonly spinMs: number;
  private readonly timeoutMs: number;
  /** Jobs dispatched so far. */
  stats = { jobs: 0 };

  private constructor(
    private readonly helpers: HelperHandle[],
    ctrl: SharedArrayBuffer,
    names: string[],
    opts: ThreadOptions,
  ) {
    this.c = new Int32Array(ctrl);
    names.forEach((n, i) => this.ids.set(n, i));
    this.spinMs = opts.spinMs ?? 2;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** Total threads including the caller. */
  get threads(): number {
    return this.helpers.length + 1;
  }

  /** Start `threads − 1` helpers on `memory` (shared) running `module` (build/sparrow-mt.wasm). */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, threads: number, opts: ThreadOptions = {}): Promise<ThreadPool> {
    const names = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
    const ctrl = new SharedArrayBuffer(4 * (HDR + SLOT * (threads - 1)));
    const handles: HelperHandle[] = [];
    const pool = new ThreadPool(handles, ctrl, names, opts);
    const spinMs = opts.spinMs ?? 2;
    const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string' && typeof (globalThis as { Deno?: unknown }).Deno === 'undefined';
    const ready: Promise<void>[] = [];
    try {
      for (let i = 0; i < threads - 1; i++) {
        const init = { module, memory, ctrl, index: i, names, layout: LAYOUT, spinMs };
        if (isNode && typeof (globalThis as { window?: unknown }).window === 'undefined') {
          const wt = 'node:worker_threads';
          const { Worker: NodeWorker } = (await import(/* @vite-ignore */ wt)) as typeof import('node:worker_threads');
          const w = new NodeWorker(HELPER_SOURCE, { eval: true });
          w.unref(); // an idle pool must not keep a Node process alive
          handles.push({ terminate: () => void w.terminate() });
          w.on('error', (e: unknown) => pool.fail(`wasm thread ${i + 1} failed: ${(e as Error)?.message ?? String(e)}`));
          w.on('exit', () => pool.fail(`wasm thread ${i + 1} exited`));
          ready.push(helperReady((f) => w.once('message', f), i));
          w.postMessage(init);
        } else {
          const url = URL.createObjectURL(new Blob([HELPER_SOURCE], { type: 'text/javascript' }));
          const w = new Worker(url);
          URL.revokeObjectURL(url);
          handles.push({ terminate: () => w.terminate() });
          w.addEventListener('error', (e) => pool.fail(`wasm thread ${i + 1} failed: ${e.message}`));
          ready.push(helperReady((f) => w.addEventListener('message', (e) => f(e.data), { once: true }), i));
          w.postMessage(init);
        }
      }
      await Promise.all(ready);
    } catch (e) {
      pool.dispose();
      throw e instanceof SparrowError ? e : new SparrowError('BACKEND_UNAVAILABLE', `wasm threads: starting helper threads failed: ${(e as Error).message}`);
    }
    return pool;
  }

  private fail(why: string): void {
    this.broken ??= why;
  }

  /**
   * Run `kernel(...parts[i])` for every part, part 0 on the calling thread, the rest on helpers
   * (parts.length ≤ threads). Returns when all have finished; a helper trap or a helper that never
   * finishes becomes a typed SparrowError.
   */
  run(kernel: string, self: (...args: number[]) => void, parts: number[][]): void {
    if (this.broken) throw new SparrowError('BACKEND_UNAVAILABLE', `wasm threads: ${this.broken}`, { kernel });
    const id = this.ids.get(kernel);
    if (id === undefined) throw new SparrowError('INTERNAL', `wasm threads: no kernel export ${kernel}`);
    const c = this.c;
    const helpers = parts.length - 1;
    if (helpers > this.helpers.length) throw new SparrowError('INTERNAL', `wasm threads: ${parts.length} parts for ${this.threads} threads`);
    const gen = (c[GEN] + 1) | 0;
    Atomics.store(c, DONE, 0);
    for (let h = 0; h < helpers; h++) {
      const args = parts[h + 1];
      if (args.length > MAX_ARGS) throw new SparrowError('INTERNAL', `wasm threads: ${kernel} has more than ${MAX_ARGS} arguments`);
      const b = HDR + h * SLOT;
      c[b + ID] = id;
      c[b + ARGC] = args.length;
      c[b + ERR] = 0;
      for (let j = 0; j < args.length; j++) c[b + ARGS + j] = args[j];
      Atomics.store(c, b + SEQ, gen);
    }
    Atomics.store(c, GEN, gen);
    Atomics.notify(c, GEN);
    this.stats.jobs++;
    let mine: unknown;
    try {
      self(...parts[0]);
    } catch (e) {
      mine = e;
    }
    this.join(helpers, kernel);
    if (mine) throw mine;
    for (let h = 0; h < helpers; h++) {
      if (c[HDR + h * SLOT + ERR]) throw new SparrowError('INTERNAL', `wasm thread ${h + 1}: kernel ${kernel} trapped`, { kernel });
    }
  }

  /** Wait until `n` helpers have reported the current job: spin first, then sleep in short slices. */
  private join(n: number, kernel: string): void {
    const c = this.c;
    let d = Atomics.load(c, DONE);
    if (d >= n) return;
    const t0 = performance.now();
    let i = 0;
    while ((d = Atomics.load(c, DONE)) < n) {
      if ((++i & 1023) !== 0) continue;
      const dt = performance.now() - t0;
      if (dt < this.spinMs) continue;
      if (dt > this.timeoutMs) {
        this.fail(`a helper did not finish ${kernel} within ${this.timeoutMs} ms (thread died or hung)`);
        throw new SparrowError('BACKEND_UNAVAILABLE', `wasm threads: ${this.broken}`, { kernel });
      }
      Atomics.wait(c, DONE, d, 50);
    }
  }

  /** Stop the helpers (idempotent). Tensors in the shared memory stay valid for the caller. */
  dispose(): void {
    const c = this.c;
    const gen = (c[GEN] + 1) | 0;
    for (let h = 0; h < this.helpers.length; h++) {
      c[HDR + h * SLOT + ID] = -2;
      Atomics.store(c, HDR + h * SLOT + SEQ, gen);
    }
    Atomics.store(c, GEN, gen);
    Atomics.notify(c, GEN);
    for (const h of this.helpers) h.terminate();
    this.helpers.length = 0;
    this.broken ??= 'the thread pool was disposed';
  }
}

function helperReady(on: (f: (m: unknown) => void) => void, i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new SparrowError('BACKEND_UNAVAILABLE', `wasm threads: helper ${i + 1} did not start within 20 s`)), 20_000);
    on((m) => {
      clearTimeout(timer);
      if (m === 'ready') resolve();
      else reject(new SparrowError('BACKEND_UNAVAILABLE', `wasm threads: helper ${i + 1} failed to start: ${(m as { error?: string })?.error ?? String(m)}`));
    });
  });
}

/**
 * Split [0, m) into at most `parts` contiguous ranges whose starts are multiples of `align`
 * (4 for the row-group kernels, so every group of four rows stays whole and the arithmetic per row
 * is exactly that of the one-thread call). Ranges are as even as whole `align` units allow.
 */
export function splitRange(m: number, parts: number, align: number): Array<[number, number]> {
  const units = Math.ceil(m / align);
  const p = Math.max(1, Math.min(parts, units));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < p; i++) {
    const r0 = Math.floor((units * i) / p) * align;
    const r1 = Math.min(m, Math.floor((units * (i + 1)) / p) * align);
    if (r1 > r0) out.push([r0, r1]);
  }
  return out;
}
