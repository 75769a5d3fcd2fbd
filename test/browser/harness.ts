/**
 * Page script of test/browser/harness.html: starts the backend-host worker, wraps it with Comlink
 * and exposes one entry point, `window.__sparrowCall(method, encodedArgs)`, that the Node side
 * (test/helpers/browser.ts) calls through `page.evaluate`. Results and errors come back encoded
 * (harness-codec.ts) so typed arrays and SparrowError codes survive the trip.
 */
import * as Comlink from 'comlink';
import { SparrowError } from '../../src/errors.ts';
import type { BackendHost } from '../../src/worker/backend-host.ts';
import { installSparrowErrorTransfer } from '../../src/worker/error-transfer.ts';
import { decode, encode } from './harness-codec.ts';

installSparrowErrorTransfer();

const worker = new Worker(new URL('../../src/worker/backend-host.ts', import.meta.url), { type: 'module', name: 'sparrow-backend-host' });
const host = Comlink.wrap<BackendHost>(worker);
const workerErrors: string[] = [];
worker.addEventListener('error', (e) => workerErrors.push(`worker error: ${e.message} (${e.filename}:${e.lineno})`));

export type CallResult = { ok: unknown } | { sparrow: ReturnType<SparrowError['toJSON']> } | { error: { name: string; message: string; stack?: string } };

async function call(method: string, encodedArgs: unknown[]): Promise<CallResult> {
  try {
    if (workerErrors.length) throw new Error(workerErrors.join('; '));
    const fn = (host as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
    const result = await fn(...(decode(encodedArgs) as unknown[]));
    return { ok: encode(result) };
  } catch (e) {
    if (e instanceof SparrowError) return { sparrow: e.toJSON() };
    const err = e instanceof Error ? e : new Error(String(e));
    return { error: { name: err.name, message: err.message, stack: err.stack } };
  }
}

declare global {
  interface Window {
    __sparrowCall: typeof call;
    __sparrowReady: boolean;
  }
}
window.__sparrowCall = call;
window.__sparrowReady = true;
