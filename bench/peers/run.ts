/**
 * `npm run bench:peers [-- --models Q8_0,F16 --threads 1,2 --tokens 64]`
 *
 * Sparrow vs @wllama/wllama (llama.cpp → WebAssembly) in the same headless Chromium, on the same
 * SmolLM2-135M-shaped GGUF files (`npm run gen:models`; generated here if missing), the same
 * 32-token prompt and 64 greedy tokens, with the same banned token ids (invalid-UTF-8 bytes,
 * BOS/EOS). Reports prefill and decode tokens/s side by side in bench/results/peers.json + .md.
 * `--threads 1,2` applies to both engines (Sparrow's wasm threads: docs/threads.md).
 * `--out NAME` writes bench/results/NAME.json + .md instead of peers.*.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS } from '../../test/helpers/browser.ts';
import { PEER_PROMPT, type PeerJob, type PeerRun } from './protocol.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'Q8_0,F16' },
    // which generated model: smollm2-135m-random (default), qwen2.5-0.5b-random, llama3.2-1b-random,
    // gemma3-1b-random, gemma2-2b-random, lfm2-350m-random, granite4-h-350m-random, falcon-h1-tiny-random, qwen3.5-0.8b-random, mamba-130m-random, mamba2-130m-random or rwkv7-0.1b-random (npm run gen:models -- --only qwen|llama32|gemma3|gemma2|lfm2|granite-h|falcon-h1|qwen35|mamba|mamba2|rwkv7)
    shape: { type: 'string', default: 'smollm2-135m-random' },
    threads: { type: 'string', default: '1,2' },
    tokens: { type: 'string', default: '64' },
    webgpu: { type: 'boolean', default: false },
    // Sparrow's wasm runs once more with 8-bit activations for quantized-weight decode (ChatModelOptions.int8Activations)
    int8: { type: 'boolean', default: false },
    // each wasm run once more on the plain-SIMD build (no relaxed SIMD) for a side-by-side ratio
    'plain-simd': { type: 'boolean', default: false },
    engines: { type: 'string', default: 'sparrow,wllama' },
    out: { type: 'string', default: 'peers' },
  },
});
const models = values.models.split(',');
const threads = values.threads.split(',').map(Number);
const maxTokens = Number(values.tokens);

const shape = values.shape;
for (const m of models) {
  if (!existsSync(resolve(ROOT, `models/generated/${shape}.${m}.gguf`))) {
    console.log(`peers: models/generated/${shape}.${m}.gguf missing, running npm run gen:models`);
    const flag = (['qwen3.5', 'qwen', 'llama3.2', 'gemma3', 'gemma2', 'lfm2', 'granite4-h', 'falcon-h1', 'mamba2', 'mamba', 'rwkv7'] as const).find((p) => shape.startsWith(p));
    const only = flag ? ['--', '--only', flag === 'llama3.2' ? 'llama32' : flag === 'granite4-h' ? 'granite-h' : flag === 'qwen3.5' ? 'qwen35' : flag, '--types', models.join(',')] : [];
    execFileSync('npm', ['run', 'gen:models', ...only], { cwd: ROOT, stdio: 'inherit' });
    break;
  }
}

const server = await createServer({
  configFile: resolve(ROOT, 'vite.config.ts'),
  root: ROOT,
  logLevel: 'error',
  server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
});
await server.listen();
const addr = server.httpServer!.address();
if (!addr || typeof addr === 'string') throw new Error('no server address');
// A throwaway on-disk profile, not Playwright's default off-the-record context: an off-the-record
// context keeps every Blob in memory, 2 GiB at most in all, and never spills to disk. Each run
// fetches the model into a Blob, and a run's Blob is freed only when its worker has finished
// terminating (Sparrow) or the page has garbage-collected it (wllama), which can be later than
// the next fetch: with the 1.4 GiB Gemma-2-2B-shaped file the next fetch then failed with
// "Failed to fetch" (a TypeError). With a profile on disk, Chromium writes Blobs past its memory
// limit to the profile's blob_storage, as in a normal browser window.
const profile = mkdtempSync(join(tmpdir(), 'sparrow-peers-'));
const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
const rows: (PeerRun & { banned?: number[] })[] = [];
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  if (process.env.PEERS_DEBUG) page.on('console', (m) => console.log(`[page] ${m.text()}`));
  await page.goto(`http://127.0.0.1:${addr.port}/bench/peers/page.html${process.env.PEERS_DEBUG ? '?debug' : ''}`);
  await page.waitForFunction(() => window.__peer !== undefined, undefined, { timeout: 120_000 });
  console.log(`cross-origin isolated: ${await page.evaluate(() => window.__peer!.isolated)}`);
  for (const m of models) {
    const job: PeerJob = { modelUrl: `/models/generated/${shape}.${m}.gguf`, modelName: `${shape}.${m}.gguf`, prompt: PEER_PROMPT, maxTokens, threads: 1 };
    const backends: ('wasm' | 'webgpu')[] = values.webgpu ? ['wasm', 'webgpu'] : ['wasm'];
    let banned: number[] = [];
    // Sparrow's wasm backend runs at each --threads count too (docs/threads.md); webgpu once.
    // (backend, threads, 8-bit activations, relaxed SIMD allowed)
    type SparrowRun = ['wasm' | 'webgpu', number, boolean, boolean];
    const wasmVariants = (t: number): SparrowRun[] =>
      (values.int8 ? [false, true] : [false]).flatMap((int8) => (values['plain-simd'] ? [true, false] : [true]).map((relaxed): SparrowRun => ['wasm', t, int8, relaxed]));
    const sparrowRuns: SparrowRun[] = backends.flatMap((b): SparrowRun[] => (b === 'wasm' ? threads.flatMap(wasmVariants) : [[b, 1, false, true]]));
    for (const [b, t, int8, relaxed] of values.engines.includes('sparrow') ? sparrowRuns : []) {
      const r = (await page.evaluate(([j, be]) => window.__peer!.sparrow(j, be), [{ ...job, threads: t, int8, ...(relaxed ? {} : { relaxedSimd: false }) }, b] as const)) as PeerRun & { banned: number[]; promptIds: number[] };
      banned = r.banned;
      console.log(`sparrow ${m} ${r.backend} ${t} thread(s): prompt ${r.promptTokens} tok, prefill ${r.prefillTokPerS.toFixed(1)} tok/s, decode ${r.decodeTokPerS.toFixed(1)} tok/s (${banned.length} banned ids)`);
      rows.push({ ...r, banned: undefined });
    }
    for (const t of values.engines.includes('wllama') ? threads : []) {
      const r = await page.evaluate(([j, ban]) => window.__peer!.wllama(j, ban), [{ ...job, threads: t }, banned] as const);
      console.log(`wllama ${m} ${t} thread(s): prompt ${r.promptTokens} tok, prefill ${r.prefillTokPerS.toFixed(1)} tok/s, decode ${r.decodeTokPerS.toFixed(1)} tok/s`);
      rows.push(r);
    }
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}

const dir = resolve(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const report = { command: `npm run bench:peers -- ${process.argv.slice(2).join(' ')}`.trim(), date: new Date().toISOString(), prompt: PEER_PROMPT, maxTokens, rows };
writeFileSync(resolve(dir, `${values.out}.json`), JSON.stringify(report, null, 2));
const md = [
  `# Sparrow vs wllama (headless Chromium, same GGUF, ${maxTokens} greedy tokens)`,
  '',
  `Command: \`${report.command}\` — ${report.date}`,
  '',
  '| engine | model | backend | threads | prompt tok | prefill tok/s | decode tok/s |',
  '| --- | --- | --- | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.engine} | ${r.model} | ${r.backend} | ${r.threads} | ${r.promptTokens} | ${r.prefillTokPerS.toFixed(1)} | ${r.decodeTokPerS.toFixed(1)} |`),
  '',
];
writeFileSync(resolve(dir, `${values.out}.md`), md.join('\n'));
console.log(md.join('\n'));
