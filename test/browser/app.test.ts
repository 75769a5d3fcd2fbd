/**
 * The app itself in Chromium: the dev-served page loads, its Backends view shows the WebGPU
 * adapter and WASM SIMD as available — probed in the engine worker through Comlink — with no
 * console errors; the embed widget answers over its postMessage bridge; and the production build
 * registers its service worker and then loads offline.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type Server } from 'node:http';
import { extname } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, openBrowser, type BrowserHarness } from '../helpers/browser.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = resolve(ROOT, 'test-results');

/** Console errors and uncaught exceptions of a page and its workers. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && errors.push(`worker console: ${m.text()}`)));
  return errors;
}

describe('app (dev server)', () => {
  let h: BrowserHarness;
  let page: Page;
  let errors: string[];
  beforeAll(async () => {
    h = await openBrowser();
    // The harness page owns its own context; the app gets a fresh one in the same browser.
    page = await (await h.page.context().browser()!.newContext()).newPage();
    await page.setViewportSize({ width: 1200, height: 900 });
    errors = collectErrors(page);
  });
  afterAll(() => h?.close());

  it('shows WebGPU and WASM SIMD as available in the Backends view, without console errors', async () => {
    await page.goto(`${h.url}/#backends`);
    await page.getByTestId('webgpu-state').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('webgpu-state').textContent()).toContain('available');
    expect(await page.getByTestId('webgpu-state').textContent()).not.toContain('unavailable');
    expect(await page.getByTestId('wasm-state').textContent()).not.toContain('unavailable');
    expect(await page.getByTestId('relaxed-simd').textContent()).toContain('supported (8-bit');
    // Real adapter data from the worker, not placeholders.
    expect((await page.getByTestId('webgpu-vendor').textContent())?.trim()).toMatch(/\w/);
    expect((await page.getByTestId('webgpu-architecture').textContent())?.trim()).toMatch(/\w/);
    expect(await page.locator('[data-testid=webgpu] .chips li').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('isolated').textContent()).toContain('yes');
    // Here the adapter is SwiftShader: the header says so instead of a plain green WebGPU
    const fallback = await page.evaluate(async () => (await (globalThis as unknown as { __sparrowEngine: { capabilities(): Promise<{ webgpu: { fallback?: boolean } }> } }).__sparrowEngine.capabilities()).webgpu.fallback);
    const badge = page.locator('.badges .badge').first();
    expect(await badge.textContent()).toContain(fallback ? 'WebGPU (software)' : 'WebGPU');
    expect(await badge.getAttribute('class')).toContain(fallback ? 'warn' : 'ok');
    // The capabilities came from the engine worker (the UI thread never touches navigator.gpu).
    expect(page.workers().some((w) => w.url().includes('engine-worker'))).toBe(true);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'app-backends.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('kernel check: wasm and webgpu matvec agree with the reference, run from the UI through the worker', async () => {
    await page.goto(`${h.url}/#backends`);
    await page.getByTestId('kernel-check').getByRole('button', { name: 'Run' }).click();
    for (const backend of ['wasm', 'webgpu']) {
      const row = page.getByTestId(`check-${backend}`);
      await row.getByText(/pass|FAIL|error/).waitFor({ timeout: 90_000 });
      expect(await row.textContent()).toContain('pass');
    }
    // Assert on the numbers the worker returned, not only on the label.
    for (const backend of ['wasm', 'webgpu']) {
      const cells = await page.getByTestId(`check-${backend}`).locator('td').allTextContents();
      const maxErr = Number(cells[2]);
      expect(maxErr, `${backend} max |error|`).toBeLessThan(1e-3);
      expect(Number.parseFloat(cells[3]), `${backend} time`).toBeGreaterThan(0);
    }
    await page.screenshot({ path: join(SHOTS, 'app-kernel-check.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('switches tabs through the URL hash', async () => {
    await page.goto(`${h.url}/#backends`);
    await page.getByTestId('webgpu-state').waitFor({ timeout: 60_000 });
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Chat' }).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#chat');
    // hashchange → Svelte state → re-render happens after the URL changes: poll, don't race.
    await expect.poll(() => page.getByRole('link', { name: 'Chat', exact: true }).getAttribute('aria-current')).toBe('page');
    await page.getByRole('heading', { level: 2, name: 'Chat', exact: true }).waitFor();
    await page.setViewportSize({ width: 380, height: 800 });
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Backends' }).click();
    await page.getByTestId('webgpu-state').waitFor();
    await page.screenshot({ path: join(SHOTS, 'app-backends-narrow.png'), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
  });

  it('embed widget answers capabilities and rejects unknown requests over postMessage', async () => {
    await page.goto(`${h.url}/#backends`);
    const replies = await page.evaluate(async () => {
      const frame = document.createElement('iframe');
      frame.src = '/embed.html';
      const got: unknown[] = [];
      const wait = (pred: (d: { type?: string; id?: number }) => boolean) =>
        new Promise<unknown>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`no reply; got ${JSON.stringify(got)}`)), 30_000);
          addEventListener('message', function on(e: MessageEvent) {
            got.push(e.data);
            if (e.source === frame.contentWindow && pred(e.data)) {
              clearTimeout(t);
              removeEventListener('message', on);
              resolve(e.data);
            }
          });
        });
      const ready = wait((d) => d.type === 'ready');
      document.body.append(frame);
      await ready;
      const caps = wait((d) => d.id === 1);
      frame.contentWindow!.postMessage({ sparrow: 1, id: 1, type: 'capabilities' }, location.origin);
      const bad = wait((d) => d.id === 2);
      frame.contentWindow!.postMessage({ sparrow: 1, id: 2, type: 'launch-rockets' }, location.origin);
      return { caps: await caps, bad: await bad };
    });
    expect(replies.caps).toMatchObject({ sparrow: 1, id: 1, type: 'result', result: { webgpu: { available: true }, wasm: { available: true, simd: true, relaxedSimd: true } } });
    expect(replies.bad).toMatchObject({ sparrow: 1, id: 2, type: 'error', error: { code: 'INVALID_ARGUMENT' } });
    expect((replies.bad as { error: { message: string } }).error.message).toContain('launch-rockets');
    expect(errors).toEqual([]);
  });
});

const MIME: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.webmanifest': 'application/manifest+json',
};

/** A plain static file server with no COOP/COEP headers, like GitHub Pages or S3. */
function staticHost(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = join(dir, path.endsWith('/') ? `${path}index.html` : path);
    try {
      if (!file.startsWith(dir)) throw new Error('outside');
      const body = readFileSync(file);
      res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

describe('app (production build, PWA on a static host)', () => {
  let outDir: string;
  let server: Server | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'sparrow-dist-'));
    // Vitest sets NODE_ENV=test, which makes Vite build with import.meta.env.PROD = false (and so
    // without the service-worker registration): build as production, as `npm run build` does.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ mode: 'production', root: ROOT, configFile: resolve(ROOT, 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
    server = await staticHost(outDir);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close().catch(() => {});
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('emits a manifest with icons and a service worker precaching the shell', () => {
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.webmanifest'), 'utf8')) as { name: string; icons: { src: string; sizes: string }[] };
    expect(manifest.name).toBe('Sparrow');
    expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    for (const icon of manifest.icons) expect(readFileSync(join(outDir, icon.src)).length).toBeGreaterThan(100);
    const sw = readFileSync(join(outDir, 'sw.js'), 'utf8');
    for (const url of ['index.html', 'embed.html', 'manifest.webmanifest']) expect(sw).toContain(`"${url}"`);
    expect(readFileSync(join(outDir, 'index.html'), 'utf8')).toContain('manifest.webmanifest');
  });

  it('registers the service worker, becomes cross-origin isolated through it, and starts offline', async () => {
    const addr = server!.address();
    if (!addr || typeof addr === 'string') throw new Error('static server has no TCP address');
    const url = `http://127.0.0.1:${addr.port}/`;
    const context = await browser!.newContext();
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${url}#backends`);
    // The host sends no COOP/COEP: the first load is not isolated. Once the service worker takes
    // control the page reloads itself once, and the worker's responses carry the headers.
    await expect.poll(() => page.evaluate(() => Boolean(navigator.serviceWorker.controller)).catch(() => false), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => page.evaluate(() => crossOriginIsolated).catch(() => false), { timeout: 30_000 }).toBe(true);
    await page.getByTestId('isolated').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('isolated').textContent()).toContain('yes');

    await context.setOffline(true);
    await page.reload();
    await page.getByTestId('wasm-state').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('wasm-state').textContent()).not.toContain('unavailable');
    expect(await page.getByTestId('isolated').textContent()).toContain('yes');
    expect(errors).toEqual([]);
    await context.close();
  });
});
