/**
 * The bench page: parses options from the query string, runs bench/worker.ts (cases execute in a
 * worker, like the real engine) and relays progress/results to the Node driver through
 * `window.__benchProgress` (exposed by playwright) and the `window.__bench` promise.
 */
import type { BackendName } from '../src/backends/backend.ts';
import type { BenchResult } from './cases/types.ts';
import type { BenchEnvironment, BenchOptions, WorkerMessage } from './messages.ts';

declare global {
  interface Window {
    __benchProgress?: (text: string) => void;
    __bench?: Promise<{ environment: BenchEnvironment; results: BenchResult[] }>;
  }
}

const q = new URLSearchParams(location.search);
const list = (name: string) => (q.get(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const options: BenchOptions = {
  families: list('family'),
  backends: list('backend') as BackendName[],
  ops: list('op'),
  quick: q.get('quick') === '1',
};

const logEl = document.getElementById('log')!;
function log(text: string): void {
  logEl.textContent += text + '\n';
  window.__benchProgress?.(text);
}

window.__bench = new Promise((resolve, reject) => {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'sparrow-bench' });
  worker.onerror = (e) => reject(new Error(`bench worker failed to load: ${e.message}`));
  worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
    const m = e.data;
    if (m.type === 'progress') log(m.text);
    else if (m.type === 'done') {
      worker.terminate();
      resolve({ environment: m.environment, results: m.results });
    } else if (m.type === 'fatal') {
      worker.terminate();
      reject(new Error(m.message));
    }
  };
  worker.postMessage(options);
});
window.__bench.catch((e: unknown) => log(`FATAL ${String(e)}`));
