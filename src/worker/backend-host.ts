/**
 * A module worker that hosts real Backend instances and exposes them through Comlink by tensor id,
 * so a page (or the browser test harness, test/helpers/browser.ts) can drive kernels in the
 * browser without sharing memory: tensors stay inside the worker, only ids and read-back data
 * cross. `runCase` runs a whole test case module inside the worker against real backends.
 *
 * SparrowErrors thrown here reach the caller with code and message intact (error-transfer.ts).
 */
import * as Comlink from 'comlink';
import { SparrowError } from '../errors.ts';
import type { Backend, BackendName, CsrData, DType, Tensor, TensorData } from '../backends/backend.ts';
import { ReferenceBackend } from '../backends/reference/backend.ts';
import { WasmBackend } from '../backends/wasm/backend.ts';
import { wasmSimdSupported } from '../backends/wasm/module.ts';
import { WebGpuBackend } from '../backends/webgpu/backend.ts';
import type { AdapterSummary } from '../backends/webgpu/device.ts';
import { installSparrowErrorTransfer } from './error-transfer.ts';

export interface BackendInfo {
  name: BackendName;
  /** WebGPU only: what the adapter reports (architecture 'swiftshader' in headless CI). */
  adapter?: AdapterSummary;
  /** wasm only: WebAssembly SIMD validates in this runtime. */
  simd?: boolean;
  crossOriginIsolated: boolean;
  userAgent: string;
}

/** An op argument: `{ t: id }` names a tensor held by the host (at any depth); the rest passes through. */
export type OpArg = { t: number } | number | string | boolean | null | Record<string, unknown> | unknown[];

/** What a `runCase` export receives as its second argument. */
export interface CaseContext {
  /** The host's Backend instance of that name (created on first use, shared with `op`). */
  backend(name: BackendName): Promise<Backend>;
}

export type CaseFn = (args: unknown, ctx: CaseContext) => unknown | Promise<unknown>;

/** Methods of Backend that are not ops (they are exposed as their own host methods or not at all). */
const NOT_OPS = new Set(['tensor', 'sparse', 'write', 'read', 'free', 'flush', 'memoryBytes', 'dispose', 'constructor', 'name']);

export class BackendHost {
  private backends = new Map<BackendName, Promise<Backend>>();
  private tensors = new Map<number, { backend: BackendName; t: Tensor }>();
  private nextId = 1;

  /** Create (or return) the backend; throws BACKEND_UNAVAILABLE when this browser lacks it. */
  async init(name: BackendName): Promise<BackendInfo> {
    // A lost WebGPU device cannot come back: init builds a new one (tensors of the old are dropped).
    const old = await this.backends.get(name)?.catch(() => undefined);
    if (old instanceof WebGpuBackend && old.gpu.lost !== undefined) await this.reset(name);
    const b = await this.get(name);
    const info: BackendInfo = { name, crossOriginIsolated: Boolean(globalThis.crossOriginIsolated), userAgent: globalThis.navigator?.userAgent ?? '' };
    if (b instanceof WebGpuBackend) info.adapter = b.adapter;
    if (name === 'wasm') info.simd = wasmSimdSupported();
    return info;
  }

  async tensor(backend: BackendName, shape: number[], dtype: DType = 'f32', data?: TensorData): Promise<number> {
    const b = await this.get(backend);
    return this.register(backend, b.tensor(shape, dtype, data));
  }

  async sparse(backend: BackendName, csr: CsrData): Promise<number> {
    const b = await this.get(backend);
    return this.register(backend, b.sparse(csr));
  }

  async write(backend: BackendName, id: number, data: TensorData): Promise<void> {
    (await this.get(backend)).write(this.lookup(backend, id, 'write'), data);
  }

  /**
   * Run `backend[opName](...args)` with every `{ t: id }` (also inside arrays and plain objects)
   * replaced by the tensor it names.
   */
  async op(backend: BackendName, opName: string, args: OpArg[]): Promise<void> {
    const b = await this.get(backend);
    const fn = (b as unknown as Record<string, unknown>)[opName];
    if (NOT_OPS.has(opName) || typeof fn !== 'function') {
      throw new SparrowError('INVALID_ARGUMENT', `op: ${backend} backend has no op named ${JSON.stringify(opName)}`, { op: opName });
    }
    const resolve = (a: unknown): unknown => {
      if (isTensorRef(a)) return this.lookup(backend, a.t, opName);
      if (Array.isArray(a)) return a.map(resolve);
      // Plain option objects may hold tensors too (e.g. a cache or gate struct of several tensors).
      if (a && typeof a === 'object' && Object.getPrototypeOf(a) === Object.prototype) {
        return Object.fromEntries(Object.entries(a).map(([k, x]) => [k, resolve(x)]));
      }
      return a;
    };
    const resolved = args.map(resolve);
    (fn as (...xs: unknown[]) => unknown).apply(b, resolved);
  }

  async read(backend: BackendName, id: number): Promise<Float32Array | Int32Array | Uint8Array> {
    return (await this.get(backend)).read(this.lookup(backend, id, 'read'));
  }

  async free(backend: BackendName, id: number): Promise<void> {
    const t = this.lookup(backend, id, 'free');
    this.tensors.delete(id);
    (await this.get(backend)).free(t);
  }

  async flush(backend: BackendName): Promise<void> {
    await (await this.get(backend)).flush();
  }

  async memoryBytes(backend: BackendName): Promise<number> {
    return (await this.get(backend)).memoryBytes();
  }

  /** `await import(modulePath)` (a path the dev server serves) and call its export with a context. */
  async runCase(modulePath: string, exportName: string, args: unknown): Promise<unknown> {
    const mod = (await import(/* @vite-ignore */ modulePath)) as Record<string, unknown>;
    const fn = mod[exportName];
    if (typeof fn !== 'function') throw new SparrowError('INVALID_ARGUMENT', `runCase: ${modulePath} has no exported function ${exportName}`);
    return (fn as CaseFn)(args, { backend: (name) => this.get(name) });
  }

  /**
   * Test-only: destroy the WebGPU device to simulate a lost GPU. Resolves once the loss has been
   * observed, so the next call deterministically sees DEVICE_LOST.
   */
  async testLoseDevice(): Promise<void> {
    const b = await this.get('webgpu');
    await (b as WebGpuBackend).loseDeviceForTest();
  }

  private get(name: BackendName): Promise<Backend> {
    let p = this.backends.get(name);
    if (!p) {
      p = createBackend(name);
      this.backends.set(name, p);
      p.catch(() => this.backends.delete(name)); // let a later call retry
    }
    return p;
  }

  /** Drop a backend and every tensor of it; the next call creates a fresh instance. */
  async reset(name: BackendName): Promise<void> {
    const p = this.backends.get(name);
    this.backends.delete(name);
    for (const [id, e] of this.tensors) if (e.backend === name) this.tensors.delete(id);
    const b = await p?.catch(() => undefined);
    try {
      b?.dispose();
    } catch {
      /* a lost device may refuse; nothing left to release */
    }
  }

  private register(backend: BackendName, t: Tensor): number {
    const id = this.nextId++;
    this.tensors.set(id, { backend, t });
    return id;
  }

  private lookup(backend: BackendName, id: number, op: string): Tensor {
    const e = this.tensors.get(id);
    if (!e || e.backend !== backend) {
      throw new SparrowError('INVALID_ARGUMENT', `${op}: no ${backend} tensor with id ${id} in the backend host`, { op, id });
    }
    return e.t;
  }
}

function isTensorRef(a: unknown): a is { t: number } {
  return typeof a === 'object' && a !== null && !Array.isArray(a) && Object.keys(a).length === 1 && typeof (a as { t?: unknown }).t === 'number';
}

async function createBackend(name: BackendName): Promise<Backend> {
  switch (name) {
    case 'reference':
      return new ReferenceBackend();
    case 'wasm':
      return WasmBackend.create();
    case 'webgpu':
      return WebGpuBackend.create();
    default:
      throw new SparrowError('INVALID_ARGUMENT', `init: unknown backend ${JSON.stringify(name)}`);
  }
}

// Running as a worker: expose the host. (Importing this module elsewhere, e.g. for types, is inert.)
const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined' && typeof (globalThis as { document?: unknown }).document === 'undefined';
if (inWorker) {
  installSparrowErrorTransfer();
  Comlink.expose(new BackendHost());
}
