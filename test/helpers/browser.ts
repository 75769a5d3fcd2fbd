/**
 * Real-browser test harness: a Vite dev server (project vite.config.ts, random port) plus Debian's
 * Chromium driven by playwright-core, on test/browser/harness.html, whose module worker
 * (src/worker/backend-host.ts) hosts real backends. `harness.host` mirrors BackendHost; each call
 * goes Node → page (page.evaluate) → worker (Comlink) and back, with typed arrays and
 * SparrowError codes preserved.
 *
 * Usage (one harness per test file):
 *   let h: BrowserHarness;
 *   beforeAll(async () => { h = await openBrowser(); });
 *   afterAll(() => h?.close());
 *   await h.host.init('webgpu');
 */
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { SparrowError } from '../../src/errors.ts';
import type { BackendHost } from '../../src/worker/backend-host.ts';
import { decode, encode } from '../browser/harness-codec.ts';
import type { CallResult } from '../browser/harness.ts';

/** The worker API as seen from Node: every BackendHost method, each returning a promise. */
export type HostProxy = { [K in keyof BackendHost]: BackendHost[K] };

export interface BrowserHarness {
  host: HostProxy;
  page: Page;
  /** Base URL of the dev server, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Console output and errors of the page and its workers (for failure messages). */
  logs: string[];
  close(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '../..');
export const CHROMIUM = process.env.SPARROW_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Chromium flags. Headless Debian Chromium exposes WebGPU on SwiftShader (Vulkan on CPU) with just
 * --enable-unsafe-webgpu when served from http://127.0.0.1 (a secure context); on a machine with a
 * real GPU the same flags pick the hardware adapter. Extra flags: SPARROW_CHROMIUM_ARGS.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  ...(process.env.SPARROW_CHROMIUM_ARGS?.split(/\s+/).filter(Boolean) ?? []),
];

/**
 * A host call that takes longer than this fails (with the page's recent log lines) instead of
 * hanging the suite. Just under vitest's 120 s testTimeout, so the harness error is what you see.
 */
const CALL_TIMEOUT_MS = Number(process.env.SPARROW_BROWSER_CALL_TIMEOUT_MS ?? 110_000);

export interface BrowserOptions {
  /** Per-call limit in ms (default 110 s, or SPARROW_BROWSER_CALL_TIMEOUT_MS). */
  callTimeoutMs?: number;
}

export async function openBrowser(options: BrowserOptions = {}): Promise<BrowserHarness> {
  const callTimeoutMs = options.callTimeoutMs ?? CALL_TIMEOUT_MS;
  let server: ViteDevServer | undefined;
  let browser: Browser | undefined;
  const logs: string[] = [];
  try {
    server = await createServer({
      configFile: resolve(ROOT, 'vite.config.ts'),
      root: ROOT,
      logLevel: 'error',
      clearScreen: false,
      // No HMR or file watching: other work edits the checkout while suites run.
      server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
      // No dependency discovery: a mid-test re-optimization would reload the page. Deps are served
      // as their own ESM files (comlink is ESM).
      optimizeDeps: { noDiscovery: true, include: [] },
    });
    await server.listen();
    const addr = server.httpServer?.address();
    if (!addr || typeof addr === 'string') throw new Error('browser harness: dev server has no TCP address');
    const url = `http://127.0.0.1:${addr.port}`;

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    page.on('console', (m) => logs.push(`[page ${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[page error] ${e.message}`));
    page.on('worker', (w) => {
      logs.push(`[worker started] ${w.url()}`);
      (w as unknown as { on?: (ev: string, f: (m: { type(): string; text(): string }) => void) => void }).on?.('console', (m) => logs.push(`[worker ${m.type()}] ${m.text()}`));
    });
    await page.goto(`${url}/test/browser/harness.html`);
    await page.waitForFunction(() => window.__sparrowReady === true, undefined, { timeout: 60_000 }).catch((e: Error) => {
      throw new Error(`browser harness: page did not become ready: ${e.message}\n${logs.join('\n')}`);
    });

    const call = async (method: string, args: unknown[]): Promise<unknown> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`browser harness: host.${method} did not answer within ${callTimeoutMs} ms\n${logs.slice(-20).join('\n')}`)), callTimeoutMs);
      });
      try {
        const r = (await Promise.race([page.evaluate(([m, a]) => window.__sparrowCall(m, a), [method, encode(args) as unknown[]] as const), timeout])) as CallResult;
        if ('sparrow' in r) throw SparrowError.fromJSON(r.sparrow);
        if ('error' in r) throw Object.assign(new Error(`${r.error.name} in browser: ${r.error.message}`), { browserStack: r.error.stack });
        return decode(r.ok);
      } finally {
        clearTimeout(timer);
      }
    };
    const host = new Proxy({} as HostProxy, {
      get: (_, method) => (typeof method === 'string' ? (...args: unknown[]) => call(method, args) : undefined),
    });

    const b = browser;
    const s = server;
    return {
      host,
      page,
      url,
      logs,
      async close() {
        await b.close().catch(() => {});
        await s.close().catch(() => {});
      },
    };
  } catch (e) {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    throw e;
  }
}
