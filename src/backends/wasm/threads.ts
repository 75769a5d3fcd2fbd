/**
 * A pool of helper threads for the wasm backend: N − 1 workers (Node worker_threads, or browser
 * Workers created from inside the engine worker) each instantiate build/sparrow-mt.wasm on one
 * shared WebAssembly.Memory, so they see every tensor at the same address. A job is "call kernel
 * export K with these integer arguments" per part; the calling thread runs part 0 itself.
 *
 * Scheduling: a job is cut into more parts than threads (PARTS_PER_THREAD per thread) and every
 * thread, the caller included, claims the next unclaimed part with a compare-exchange until none is
 * left; the caller then waits for the parts others claimed. A helper that is descheduled (a busy
 * machine) or still asleep therefore costs nothing but its own claimed part: the caller takes the
 * rest. Which thread runs a part never changes its arithmetic.
 *
 * Control block (a small SharedArrayBuffer of i32, separate from linear memory):
 *   [GEN]   job counter: bumped once per job; idle helpers spin on it, then Atomics.wait.
 *   [NEXT]  claim word: job tag (16 bits) | part count (8 bits) | next part (8 bits). The tag and
 *           the count travel with the index, so a helper still finishing job g can never claim a
 *           part of job g + 1 under job g's part count (or the reverse).
 *   [DONE]  parts finished in the current job.  [ERR] 1 + index of a part whose kernel trapped.
 *   [ID]    kernel export index (−2: quit).  [ARGC] arguments per part.
 *   ARGS + p·MAX_ARGS: the integer arguments of part p.
 *
 * Why not Atomics.wait only: waking a sleeping thread costs tens of µs (a futex syscall each side),
 * and a SmolLM2 decode step issues ~210 matvecs of 10–150 µs each, mostly back to back. Helpers
 * therefore spin briefly (`spinMs`) after each job before sleeping, and the caller spins on DONE
 * before it sleeps; a helper that sleeps through a gap (attention) and wakes late only gets fewer
 * parts, since the caller claims whatever is left.
 */
import { SparrowError } from '../../errors.ts';
import { HELPER_SOURCE } from './threads-helper.ts';

const GEN = 0, NEXT = 1, DONE = 2, ERR = 3, ID = 4, ARGC = 5, ARGS = 8;
const MAX_ARGS = 20;
const MAX_PARTS = 64;
/** Parts per thread: enough that a late helper's share is small, few enough to keep calls cheap. */
export const PARTS_PER_THREAD = 3;
const DEFAULT_SPIN_MS = 0.5;
const LAYOUT = { GEN, NEXT, DONE, ERR, ID, ARGC, ARGS, MAX_ARGS };

export interface ThreadOptions {
  /**
   * How long an idle helper spins before sleeping (ms, default 0.5; the caller's wait for helpers
   * spins at most 0.1). Helpers stop spinning for a while when they notice they were preempted
   * (threads-helper.ts): a fixed spin was harmful on a busy machine, where a helper sharing the
   * caller's core spun away the caller's time (measured: with a 2 ms spin two threads ran 2–3×
   * slower than one at load 6–8 on 2 vCPUs).
   */
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
  private readonly joinSpinMs: number;
  private readonly timeoutMs: number;
  /** Jobs dispatched so far; time the caller waited for helpers' parts after its own (ms), and parts each side ran. */
  stats = { jobs: 0, waitMs: 0, longWaits: 0, partsCaller: 0, partsHelpers: 0 };

  private constructor(
    private readonly helpers: HelperHandle[],
    ctrl: SharedArrayBuffer,
    names: string[],
    opts: ThreadOptions,
  ) {
    this.c = new Int32Array(ctrl);
    names.forEach((n, i) => this.ids.set(n, i));
    this.spinMs = opts.spinMs ?? DEFAULT_SPIN_MS;
    // The caller waits at most for the rest of a helper's part (a few µs to tens of µs).
    this.joinSpinMs = Math.min(this.spinMs, 0.1);
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** Total threads including the caller. */
  get threads(): number {
    return this.helpers.length + 1;
  }

  /** How many parts to cut a job into (see PARTS_PER_THREAD); 1 with no helpers left. */
  get parts(): number {
    return this.helpers.length === 0 ? 1 : Math.min(MAX_PARTS, this.threads * PARTS_PER_THREAD);
  }

  /** Start `threads − 1` helpers on `memory` (shared) running `module` (build/sparrow-mt.wasm). */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, threads: number, opts: ThreadOptions = {}): Promise<ThreadPool> {
    const names = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
    const ctrl = new SharedArrayBuffer(4 * (ARGS + MAX_ARGS * MAX_PARTS));
    const handles: HelperHandle[] = [];
    const pool = new ThreadPool(handles, ctrl, names, opts);
    const spinMs = opts.spinMs ?? DEFAULT_SPIN_MS;
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
   * Run `kernel(...parts[i])` for every part (any thread may run any part; `self` is the kernel
   * on the calling thread's instance). Returns when all have finished; a trap in any part or a
   * helper that never finishes its part becomes a typed SparrowError.
   */
  run(kernel: string, self: (...args: number[]) => void, parts: number[][]): void {
    if (this.broken) throw new SparrowError('BACKEND_UNAVAILABLE', `wasm threads: ${this.broken}`, { kernel });
    const id = this.ids.get(kernel);
    if (id === undefined) throw new SparrowError('INTERNAL', `wasm threads: no kernel export ${kernel}`);
    const np = parts.length;
    if (np > MAX_PARTS) throw new SparrowError('INTERNAL', `wasm threads: ${np} parts (at most ${MAX_PARTS})`);
    const c = this.c;
    const argc = parts[0].length;
    if (argc > MAX_ARGS) throw new SparrowError('INTERNAL', `wasm threads: ${kernel} has more than ${MAX_ARGS} arguments`);
    for (let p = 0; p < np; p++) {
      const args = parts[p];
      const b = ARGS + p * MAX_ARGS;
      for (let j = 0; j < argc; j++) c[b + j] = args[j];
    }
    const gen = (c[GEN] + 1) & 0xffff;
    c[ID] = id;
    c[ARGC] = argc;
    c[ERR] = 0;
    Atomics.store(c, DONE, 0);
    Atomics.store(c, NEXT, (gen << 16) | (np << 8));
    Atomics.store(c, GEN, gen);
    Atomics.notify(c, GEN);
    this.stats.jobs++;
    // Claim parts like any helper until none is left.
    let mine: unknown;
    let ran = 0;
    for (;;) {
      const v = Atomics.load(c, NEXT);
      const idx = v & 0xff;
      if (idx >= np) break;
      if (Atomics.compareExchange(c, NEXT, v, v + 1) !== v) continue;
      try {
        self(...parts[idx]);
      } catch (e) {
        mine ??= e;
      }
      ran++;
    }
    this.stats.partsCaller += ran;
    this.stats.partsHelpers += np - ran;
    this.join(np - ran, kernel);
    if (mine) throw mine;
    const err = c[ERR];
    if (err) throw new SparrowError('INTERNAL', `wasm threads: kernel ${kernel} trapped on a helper thread (part ${err - 1})`, { kernel });
  }

  /** Wait until `n` parts run by helpers have finished: spin first, then sleep in short slices. */
  private join(n: number, kernel: string): void {
    const c = this.c;
    let d = Atomics.load(c, DONE);
    if (d >= n) return;
    const t0 = performance.now();
    let i = 0;
    while ((d = Atomics.load(c, DONE)) < n) {
      if ((++i & 255) !== 0) continue;
      const dt = performance.now() - t0;
      if (dt < this.joinSpinMs) continue;
      if (dt > this.timeoutMs) {
        this.fail(`a helper did not finish ${kernel} within ${this.timeoutMs} ms (thread died or hung)`);
        throw new SparrowError('BACKEND_UNAVAILABLE', `wasm threads: ${this.broken}`, { kernel });
      }
      Atomics.wait(c, DONE, d, 50);
    }
    const dt = performance.now() - t0;
    this.stats.waitMs += dt;
    if (dt > 1) this.stats.longWaits++;
  }

  /** Stop the helpers (idempotent). Tensors in the shared memory stay valid for the caller. */
  dispose(): void {
    const c = this.c;
    c[ID] = -2;
    const gen = (c[GEN] + 1) & 0xffff;
    Atomics.store(c, NEXT, (gen << 16) | (MAX_PARTS << 8));
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
