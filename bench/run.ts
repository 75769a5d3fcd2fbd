/**
 * `npm run bench [-- --family core --backend wasm,webgpu --op matvec --quick --name core]`
 *
 * Starts a Vite dev server on 127.0.0.1, opens bench/page.html in headless Debian Chromium (the
 * same binary and flags as the browser tests, test/helpers/browser.ts), runs every case from
 * bench/cases/*.ts in a worker, prints progress, and writes bench/results/<name>.json and .md.
 * <name> defaults to the filters (e.g. "core", "core-wasm", "all"), plus "-quick".
 * `--render bench/results/core.json` only rewrites that file's markdown table.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/helpers/browser.ts';
import type { BenchResult } from './cases/types.ts';
import type { BenchEnvironment } from './messages.ts';
import { toMarkdown, type BenchReport } from './report.ts';

const ROOT = resolve(import.meta.dirname, '..');

const { values } = parseArgs({
  options: {
    family: { type: 'string', multiple: true, default: [] },
    backend: { type: 'string', multiple: true, default: [] },
    op: { type: 'string', multiple: true, default: [] },
    quick: { type: 'boolean', default: false },
    name: { type: 'string' },
    /** Only rewrite <json>'s markdown table (after changing report.ts), without running anything. */
    render: { type: 'string' },
    /** Whole-run limit in minutes (a safety net, not a target). */
    timeout: { type: 'string', default: '45' },
  },
  allowPositionals: false,
});
const split = (xs: string[]) => xs.flatMap((x) => x.split(',')).map((s) => s.trim()).filter(Boolean);
const families = split(values.family);
const backends = split(values.backend);
const ops = split(values.op);
for (const b of backends) if (!['reference', 'wasm', 'webgpu'].includes(b)) throw new Error(`--backend ${b}: expected reference, wasm or webgpu`);
const name = (values.name ?? [families.join('+') || 'all', backends.join('+'), ops.join('+'), values.quick ? 'quick' : ''].filter(Boolean).join('-')).replace(/[^\w+.-]/g, '_');
const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');

if (values.render) {
  const report = JSON.parse(readFileSync(values.render, 'utf8')) as BenchReport;
  const md = values.render.replace(/\.json$/, '.md');
  writeFileSync(md, toMarkdown(report));
  console.log(`bench: rewrote ${md}`);
  process.exit(0);
}

let server: ViteDevServer | undefined;
let browser: Browser | undefined;
try {
  server = await createServer({
    configFile: resolve(ROOT, 'vite.config.ts'),
    root: ROOT,
    logLevel: 'error',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await server.listen();
  const addr = server.httpServer?.address();
  if (!addr || typeof addr === 'string') throw new Error('bench: dev server has no TCP address');

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`[page] ${m.text()}`);
  });
  await page.exposeFunction('__benchProgress', (text: string) => console.log(text));
  const q = new URLSearchParams();
  if (families.length) q.set('family', families.join(','));
  if (backends.length) q.set('backend', backends.join(','));
  if (ops.length) q.set('op', ops.join(','));
  if (values.quick) q.set('quick', '1');
  const url = `http://127.0.0.1:${addr.port}/bench/page.html?${q}`;
  console.log(`bench: ${url}`);
  await page.goto(url);
  await page.waitForFunction(() => window.__bench !== undefined, undefined, { timeout: 60_000 });
  let timer: NodeJS.Timeout | undefined;
  const limitMs = Number(values.timeout) * 60_000;
  const overtime = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench: not finished after ${values.timeout} minutes (--timeout)`)), limitMs);
  });
  const done = (await Promise.race([page.evaluate(() => window.__bench!, undefined), overtime]).finally(() => clearTimeout(timer))) as { environment: BenchEnvironment; results: BenchResult[] };
  const report: BenchReport = { command, date: new Date().toISOString(), quick: values.quick, environment: done.environment, results: done.results };

  const dir = resolve(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(resolve(dir, `${name}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(resolve(dir, `${name}.md`), toMarkdown(report));
  const failed = report.results.filter((r) => r.error).length;
  console.log(`bench: ${report.results.length} results (${failed} errors) → bench/results/${name}.json, .md`);
} finally {
  await browser?.close().catch(() => {});
  await server?.close().catch(() => {});
}
