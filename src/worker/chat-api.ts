/**
 * Chat and model-manager methods of the engine worker (mixed into EngineApi by engine-worker.ts):
 * list / load / unload / delete models, stream a reply, stop it, report memory. Callbacks from the
 * UI (progress, tokens) arrive as Comlink proxies; they are called without awaiting (messages keep
 * their order) and released when the call ends.
 *
 * Sources of a model: the built-in micro text model (models/text.safetensors, shipped with the app
 * and precached), files the user picked (stored in the IndexedDB model cache, model-store.ts),
 * a URL (fetched, then treated like picked files), or a cached entry.
 */
import * as Comlink from 'comlink';
import { SparrowError } from '../errors.ts';
import type { Backend, BackendName } from '../backends/backend.ts';
import { WasmBackend } from '../backends/wasm/backend.ts';
import { WebGpuBackend } from '../backends/webgpu/backend.ts';
import type { ChatMessage } from '../engine/chat-template.ts';
import {
  classifyFiles,
  openMicroText,
  prepareModelFiles,
  checkModelOptions,
  uploadPrepared,
  type ChatGenerateOptions,
  type ChatGenerateResult,
  type ChatModel,
  type ChatModelInfo,
  type LoadProgress,
  type MemoryReport,
  type ModelFileInput,
} from '../engine/model-manager.ts';
import { modelFileUrl } from './model-url.ts';
import { ModelStore, type StoreLimits, type StoredModel } from './model-store.ts';

export type { ChatGenerateOptions, ChatGenerateResult, ChatModelInfo, LoadProgress, MemoryReport } from '../engine/model-manager.ts';
export type { StoreLimits } from './model-store.ts';

/** Streamed text reaches the UI at most this often (ms). */
const STREAM_MS = 30;

/** Id of the built-in model in lists and `chatLoad({ kind: 'cached' })`-style calls. */
export const DEFAULT_MODEL_ID = 'builtin:micro-text';

export interface ModelListEntry {
  id: string;
  name: string;
  family: string;
  /** 'session': loaded but not cached (e.g. the cache was full); gone after a reload. */
  kind: 'builtin' | 'cached' | 'session';
  format: string;
  bytes: number;
  savedAt?: number;
  /** Files of a cached entry (names). */
  files?: string[];
}

export type ModelSource =
  | { kind: 'default' }
  | { kind: 'files'; files: File[] }
  | { kind: 'url'; urls: string[] }
  | { kind: 'cached'; id: string };

export type BackendChoice = 'auto' | 'webgpu' | 'wasm';

export interface LoadOptions {
  backend?: BackendChoice;
  /**
   * WASM threads for the linear layers (docs/threads.md). Unset: min(hardwareConcurrency, 4) when
   * the page is cross-origin isolated, else 1 (with `threadNote` saying why). Set explicitly to more
   * than 1 on a page that cannot share memory: BACKEND_UNAVAILABLE.
   */
  threads?: number;
  /** Keep picked / downloaded files in the offline cache (default true). */
  cache?: boolean;
  /** KV cache capacity in tokens and element type (attention models; engine/model-manager.ts ChatModelOptions). */
  contextLength?: number;
  kvCache?: 'f32' | 'f16';
  attention?: 'dense' | 'sparse';
  /** Quantized-weight decode with 8-bit activations on WASM (ChatModelOptions.int8Activations). */
  int8Activations?: boolean;
}

export interface LoadResult {
  info: ChatModelInfo;
  /** Cache id of the loaded model (DEFAULT_MODEL_ID for the built-in one). */
  id: string;
  /** Set when caching failed (e.g. QUOTA_EXCEEDED): the model runs, but only for this session. */
  cacheError?: { code: string; message: string };
  loadMs: number;
  /** wasm backend: threads its linear layers run on, and why fewer than the default when so. */
  threads?: number;
  threadNote?: string;
}

export interface ChatApi {
  /** The built-in model plus every cached model. */
  chatModels(): Promise<ModelListEntry[]>;
  /** Load a model (replacing the current one). `onProgress` is a Comlink proxy. */
  chatLoad(source: ModelSource, opts?: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<LoadResult>;
  /**
   * Stream a reply to `messages`; `onText` gets each new piece of text and the count of tokens
   * generated so far (pieces are coalesced to one message per ~30 ms). Throws ABORTED after chatStop().
   */
  chatGenerate(messages: ChatMessage[], opts: ChatGenerateOptions, onText?: (delta: string, tokens: number) => void): Promise<ChatGenerateResult>;
  /** Stop the running generation (no-op when idle). */
  chatStop(): Promise<void>;
  chatUnload(): Promise<void>;
  /** Delete a cached model (unloading it first if it is the current one). */
  chatDelete(id: string): Promise<void>;
  chatMemory(): Promise<(MemoryReport & { model: string }) | null>;
  /** The loaded model (after a failed load: the one that is still loaded, if any). */
  chatCurrent(): Promise<{ id: string; info: ChatModelInfo } | null>;
  /** Test aid: make the model cache think the quota is tiny / fail writes after N bytes. */
  chatStoreLimits(limits: StoreLimits): Promise<void>;
  /** Test aid: truncate one stored chunk of a cached model (to check damage detection). */
  chatDamageCached(id: string): Promise<void>;
}

function baseUrl(): string {
  return new URL(import.meta.env?.BASE_URL ?? '/', self.location.href).href;
}

/**
 * 'auto' takes WebGPU only on a hardware adapter: a software fallback (SwiftShader, WARP) runs
 * these models orders of magnitude slower than the WASM SIMD kernels (measured: 14 vs ~4000
 * tokens/s on llama-gqa-tiny in headless Chromium).
 */
async function hardwareGpu(): Promise<boolean> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return false;
  try {
    const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!a) return false;
    const info = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    return !(info.isFallbackAdapter || (a as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter || info.architecture === 'swiftshader');
  } catch {
    return false;
  }
}

/** The app's default WASM thread count: up to 4 cores when memory can be shared, else 1. */
export function defaultWasmThreads(): number {
  const isolated = Boolean((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated);
  return isolated ? Math.max(1, Math.min(globalThis.navigator?.hardwareConcurrency ?? 1, 4)) : 1;
}

async function makeBackend(choice: BackendChoice, threads?: number): Promise<{ backend: Backend; name: BackendName }> {
  if (choice === 'webgpu' || (choice === 'auto' && (await hardwareGpu()))) {
    try {
      return { backend: await WebGpuBackend.create(), name: 'webgpu' };
    } catch (e) {
      if (choice === 'webgpu') throw e instanceof SparrowError ? e : new SparrowError('BACKEND_UNAVAILABLE', `WebGPU: ${(e as Error).message}`);
    }
  }
  if (threads !== undefined) return { backend: await WasmBackend.create({ threads }), name: 'wasm' };
  const backend = await WasmBackend.create({ threads: defaultWasmThreads(), fallback: true });
  if (!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) {
    backend.threadNote ??= 'running 1 wasm thread: the page is not cross-origin isolated (COOP/COEP headers missing), so memory cannot be shared between threads';
  }
  return { backend, name: 'wasm' };
}

/**
 * Stable id from what the user picked: names, sizes and a SHA-256 over the first and last 64 KiB
 * of each file (headers and tails differ between checkpoints of the same size), so the same
 * files map to the same cache entry and different ones never collide.
 */
async function filesId(files: ModelFileInput[]): Promise<string> {
  const SAMPLE = 64 << 10;
  const parts: BlobPart[] = [];
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    parts.push(`${f.name}:${f.blob.size}:`, f.blob.slice(0, SAMPLE), f.blob.slice(Math.max(SAMPLE, f.blob.size - SAMPLE)));
  }
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', await new Blob(parts).arrayBuffer()));
  return 'user:' + Array.from(d.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}

function call<A extends unknown[]>(cb: ((...a: A) => unknown) | undefined, ...args: A): void {
  if (!cb) return;
  // Comlink proxies return promises; a closed page must not turn into an unhandled rejection.
  Promise.resolve(cb(...args)).catch(() => undefined);
}

/** Free the MessagePort behind a Comlink callback proxy (plain functions, e.g. in Node tests, pass through). */
function release(cb: unknown): void {
  if (typeof cb !== 'function') return;
  try {
    (cb as unknown as Comlink.Remote<() => void>)[Comlink.releaseProxy]();
  } catch {
    /* not a Comlink proxy */
  }
}

export function createChatApi(store = new ModelStore()): ChatApi {
  let current: { model: ChatModel; id: string; backend?: Backend } | undefined;
  let running: AbortController | undefined;
  /** Settles when the reply `running` stands for has ended. */
  let runEnded: Promise<unknown> = Promise.resolve();
  let loading = Promise.resolve();

  const unload = () => {
    running?.abort();
    current?.model.dispose();
    current?.backend?.dispose();
    current = undefined;
  };

  async function fetchFiles(urls: string[], onProgress?: (p: LoadProgress) => void): Promise<Array<ModelFileInput & { lastModified: number }>> {
    const out: Array<ModelFileInput & { lastModified: number }> = [];
    for (const pasted of urls) {
      const url = modelFileUrl(pasted);
      let res: Response;
      try {
        res = await fetch(url);
      } catch (e) {
        throw new SparrowError('INVALID_ARGUMENT', `could not fetch ${url}: ${(e as Error).message} (is the server reachable and does it allow CORS?)`, { url });
      }
      if (!res.ok) throw new SparrowError(res.status === 404 || res.status === 410 ? 'NOT_FOUND' : 'INVALID_ARGUMENT', `fetching ${url} failed with HTTP ${res.status}`, { url, status: res.status });
      // Single-page-app hosts (and dev servers) answer a missing file with their index.html
      if ((res.headers.get('content-type') ?? '').includes('text/html')) {
        throw new SparrowError('NOT_FOUND', `${url} is a web page, not a model file (a wrong URL? hosts answer a missing file with their index page)`, { url, status: res.status });
      }
      const total = Number(res.headers.get('content-length') ?? 0);
      const parts: Uint8Array[] = [];
      let done = 0;
      const reader = res.body?.getReader();
      if (reader) {
        for (;;) {
          const { done: end, value } = await reader.read();
          if (end) break;
          parts.push(value);
          done += value.length;
          call(onProgress, { phase: 'download', done, total: Math.max(total, done) });
        }
      } else parts.push(new Uint8Array(await res.arrayBuffer()));
      const name = decodeURIComponent(new URL(url, self.location.href).pathname.split('/').pop() || 'model');
      out.push({ name, blob: new Blob(parts as BlobPart[]), lastModified: Date.parse(res.headers.get('last-modified') ?? '') || 0 });
    }
    return out;
  }

  async function load(source: ModelSource, opts: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<LoadResult> {
    const t0 = performance.now();
    if (source.kind === 'default') {
      unload();
      const href = new URL('models/text.safetensors', baseUrl()).href;
      const res = await fetch(href);
      // A dev server / SPA host answers a missing file with index.html (200, text/html).
      if (!res.ok || (res.headers.get('content-type') ?? '').includes('text/html')) {
        throw new SparrowError('NOT_FOUND', `the built-in model ${href} is missing (HTTP ${res.status}); build it with npm run train:text, or load your own model`, { url: href });
      }
      const model = await openMicroText(new Uint8Array(await res.arrayBuffer()), 'Sparrow micro (built-in)');
      current = { model, id: DEFAULT_MODEL_ID };
      return { info: model.info, id: DEFAULT_MODEL_ID, loadMs: performance.now() - t0 };
    }
    const modelOpts = { contextLength: opts.contextLength, kvCache: opts.kvCache, attention: opts.attention, int8Activations: opts.int8Activations };
    checkModelOptions(modelOpts); // before anything is unloaded
    let files: Array<ModelFileInput & { lastModified: number }>;
    let id: string;
    let name: string | undefined;
    let fromCache = false;
    if (source.kind === 'cached') {
      const { model: m, files: stored } = await store.open(source.id, (p) => call(onProgress, { phase: 'verify', ...p }));
      files = stored.map((f, i) => ({ ...f, lastModified: m.files[i].lastModified }));
      id = m.id;
      name = m.name;
      fromCache = true;
    } else {
      files = source.kind === 'files' ? source.files.map((f) => ({ name: f.name, blob: f, lastModified: f.lastModified })) : await fetchFiles(source.urls, onProgress);
      classifyFiles(files); // fail fast, before a backend is created
      id = await filesId(files);
    }
    // Parse first: bad files fail here and the current model stays loaded and usable.
    const prepared = await prepareModelFiles(files, (p) => call(onProgress, p));
    unload();
    const { backend, name: backendName } = await makeBackend(opts.backend ?? 'auto', opts.threads);
    let model: ChatModel;
    try {
      model = await uploadPrepared(backend, backendName, prepared, (p) => call(onProgress, p), name, modelOpts);
    } catch (e) {
      backend.dispose();
      throw e;
    }
    current = { model, id, backend };
    let cacheError: LoadResult['cacheError'];
    if (!fromCache && opts.cache !== false) {
      try {
        await store.save({ id, name: model.info.name, family: model.info.family, format: model.info.format as 'gguf' | 'safetensors' }, files, (p) => call(onProgress, { phase: 'store', ...p }));
      } catch (e) {
        const err = e instanceof SparrowError ? e : new SparrowError('INTERNAL', `caching failed: ${(e as Error).message}`);
        cacheError = { code: err.code, message: err.message };
      }
    }
    const threadInfo = backend instanceof WasmBackend ? { threads: backend.threads, threadNote: backend.threadNote } : {};
    return { info: model.info, id, cacheError, loadMs: performance.now() - t0, ...threadInfo };
  }

  return {
    async chatModels() {
      // No IndexedDB (some private modes): the built-in model still works, the cache is just empty.
      const stored = await store.list().catch(() => [] as StoredModel[]);
      const cached: ModelListEntry[] = stored.map((m: StoredModel) => ({
        id: m.id,
        name: m.name,
        family: m.family,
        kind: 'cached',
        format: m.format,
        bytes: m.bytes,
        savedAt: m.savedAt,
        files: m.files.map((f) => f.name),
      }));
      return [{ id: DEFAULT_MODEL_ID, name: 'Sparrow micro (built-in)', family: 'micro', kind: 'builtin', format: 'micro', bytes: 0 }, ...cached];
    },

    async chatLoad(source, opts = {}, onProgress) {
      // One load at a time: a second request waits for the first, then replaces it.
      const run = loading.then(() => load(source, opts, onProgress));
      loading = run.then(
        () => undefined,
        () => undefined,
      );
      try {
        return await run;
      } finally {
        release(onProgress);
      }
    },

    async chatGenerate(messages, opts, onText) {
      try {
        // a stopped reply ends within a token (e.g. the chat view was left while it streamed): wait for it
        if (running?.signal.aborted) await runEnded.catch(() => {});
        if (!current) throw new SparrowError('INVALID_ARGUMENT', 'no model is loaded; pick one first');
        if (running) throw new SparrowError('INVALID_ARGUMENT', 'a reply is already being generated; stop it first');
        const ctl = new AbortController();
        running = ctl;
        // Coalesce pieces: one message per STREAM_MS at most, so a fast model cannot flood the UI thread.
        let pending = '';
        let tokens = 0;
        let last = 0;
        const flush = () => {
          if (pending) call(onText, pending, tokens);
          pending = '';
          last = performance.now();
        };
        try {
          const run = current.model.generate(
            messages,
            opts,
            (d, n) => {
              pending += d;
              tokens = n;
              if (performance.now() - last >= STREAM_MS) flush();
            },
            ctl.signal,
          );
          runEnded = run;
          const r = await run;
          flush();
          return r;
        } catch (e) {
          flush();
          throw e;
        } finally {
          if (running === ctl) running = undefined;
        }
      } finally {
        release(onText);
      }
    },

    async chatStop() {
      running?.abort();
    },

    async chatUnload() {
      unload();
    },

    async chatDelete(id) {
      if (current?.id === id) unload();
      await store.delete(id);
    },

    async chatMemory() {
      return current ? { model: current.model.info.name, ...current.model.memory() } : null;
    },

    async chatCurrent() {
      return current ? { id: current.id, info: current.model.info } : null;
    },

    async chatStoreLimits(limits) {
      store.setLimits(limits);
    },

    async chatDamageCached(id) {
      const m = await store.get(id);
      if (!m) throw new SparrowError('NOT_FOUND', `No cached model with id "${id}"`, { id });
      await store.damageChunk(id, 0, 0, new Blob([new Uint8Array(Math.max(0, m.files[0].chunkSizes[0] - 100))]));
    },
  };
}
