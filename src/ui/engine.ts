/**
 * The UI's handle on the engine worker: one module worker per page, wrapped by Comlink into a
 * typed `EngineApi` proxy. Components import `engine()` and never post messages themselves.
 */
import * as Comlink from 'comlink';
import type { EngineApi } from '../worker/api.ts';
import { installSparrowErrorTransfer } from '../worker/error-transfer.ts';

let proxy: Comlink.Remote<EngineApi> | undefined;

export function engine(): Comlink.Remote<EngineApi> {
  if (!proxy) {
    installSparrowErrorTransfer();
    const worker = new Worker(new URL('../worker/engine-worker.ts', import.meta.url), { type: 'module', name: 'sparrow-engine' });
    proxy = Comlink.wrap<EngineApi>(worker);
    // Dev server only: browser tests reach the worker API directly (e.g. to set store limits).
    if (import.meta.env.DEV) (globalThis as Record<string, unknown>).__sparrowEngine = proxy;
  }
  return proxy;
}
