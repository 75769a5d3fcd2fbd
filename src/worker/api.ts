/**
 * The typed surface between the UI (main thread) and the engine worker. The UI only ever talks to
 * the engine through this interface (a Comlink proxy of it), so everything crossing it must be
 * structured-cloneable: plain objects, arrays, typed arrays. Errors thrown inside the worker
 * arrive as SparrowError (see src/errors.ts) with `code` intact — both sides call
 * installSparrowErrorTransfer() from ./error-transfer.ts.
 *
 * Later issues add model loading, generation and anomaly scoring here; keep each method small,
 * documented, and returning plain data.
 */
import type { AnomalyApi } from '../anomaly/worker-api.ts';
import type { ChatApi } from './chat-api.ts';
import type { BackendName } from '../backends/backend.ts';

/** What the WebGPU adapter reports; `available: false` carries the reason instead. */
export type WebGpuCapabilities =
  | {
      available: true;
      vendor: string;
      architecture: string;
      description: string;
      /** Optional features the adapter exposes, sorted (e.g. 'subgroups', 'timestamp-query'). */
      features: string[];
      /** The adapter limits that bound our kernels (bytes / counts). */
      limits: Record<string, number>;
      /** True when this adapter is a software fallback (SwiftShader, WARP …). */
      fallback: boolean;
    }
  | { available: false; reason: string };

export type WasmCapabilities =
  | {
      available: true;
      /** WebAssembly SIMD (fixed-width 128-bit) validates in this runtime. */
      simd: true;
      /** The kernel module the wasm backend runs (sparrow.wasm or sparrow-relaxed.wasm) fetched and compiled; its kernel export count. */
      kernels: number;
      /** Relaxed SIMD supported (wasmRelaxedSimdSupported): the wasm backend runs build/sparrow-relaxed.wasm. */
      relaxedSimd: boolean;
    }
  | { available: false; simd: boolean; reason: string };

export interface Capabilities {
  webgpu: WebGpuCapabilities;
  wasm: WasmCapabilities;
  /** SharedArrayBuffer usable (COOP/COEP in place) — needed for threaded WASM. */
  crossOriginIsolated: boolean;
  /** Threads the chat's wasm backend uses by default (docs/threads.md), and why only 1 when so. */
  wasmThreads: { threads: number; note?: string };
  /** navigator.hardwareConcurrency inside the worker. */
  hardwareConcurrency: number;
  userAgent: string;
}

/** Result of EngineApi.kernelCheck: one seeded op on a backend, compared with the reference. */
export interface KernelCheck {
  backend: BackendName;
  op: string;
  shape: number[];
  /** Largest |backend − reference| over the output (NaN when the kernel wrote NaN). */
  maxAbsErr: number;
  ok: boolean;
  /** Time of one warm run including flush, in ms. */
  ms: number;
}

/** The engine worker's API (src/worker/engine-worker.ts exposes an implementation of it). */
export interface EngineApi extends AnomalyApi, ChatApi {
  /** Probe the backends this worker can use. Never throws: unavailable backends say why. */
  capabilities(): Promise<Capabilities>;
  /**
   * Run one seeded matvec on `backend` and compare with the reference backend. Throws
   * SparrowError BACKEND_UNAVAILABLE when the backend cannot start here.
   */
  kernelCheck(backend: BackendName): Promise<KernelCheck>;
}
