/**
 * The wasm thread pool in headless Chromium, by hand: a decode-shaped loop of the SmolLM2 Q8_0
 * linears on 1 and N threads, round robin (test/browser/cases/threads.ts, threadsDecodeLoop), inside
 * the harness worker. Run: `npm run build:wasm && node --import tsx bench/browser-threads.ts [--threads 2 --rounds 8 --spin MS]`.
 */
import { openBrowser } from '../test/helpers/browser.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const h = await openBrowser();
try {
  const r = (await h.host.runCase('/test/browser/cases/threads.ts', 'threadsDecodeLoop', { threads: Number(arg('threads', '2')), rounds: Number(arg('rounds', '8')), spinMs: process.argv.includes('--spin') ? Number(arg('spin', '0.05')) : undefined })) as { one: number[]; many: number[]; helperParts: number; callerParts: number };
  const f = (a: number[]) => a.map((x) => x.toFixed(1)).join(' ');
  console.log(`1 thread  ms per 210 matvecs: ${f(r.one)}  (min ${Math.min(...r.one).toFixed(1)})`);
  console.log(`N threads ms per 210 matvecs: ${f(r.many)}  (min ${Math.min(...r.many).toFixed(1)})`);
  console.log(`parts run by helpers ${r.helperParts}, by the caller ${r.callerParts}`);
} finally {
  await h.close();
}
