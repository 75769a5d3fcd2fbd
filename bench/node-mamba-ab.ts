/**
 * Side-by-side (one process, round-robin) timing of the Mamba sequence kernels of two builds of
 * assembly/sequence.ts — e.g. the commit before a kernel change and the working tree — at the
 * Mamba-130M shape (I 1536, N 16, K 4), for the decode step (T = 1) and a 32-token prefill.
 * Each build is compiled alone (sequence.ts imports nothing) and both get identical inputs at
 * identical addresses; outputs are compared too (max |old − new|), so a speed-up that changed the
 * numbers shows up here. RWKV-4's wkv4 (same file, same exp) is timed alongside.
 * Run:
 *   git show HEAD~1:assembly/sequence.ts > /tmp/old-sequence.ts
 *   for v in old:/tmp/old-sequence.ts new:assembly/sequence.ts; do node node_modules/assemblyscript/bin/asc.js ${v#*:} \
 *     -o /tmp/${v%%:*}.wasm -O3 --converge --noAssert --enable simd --runtime stub --initialMemory 64; done
 *   node --import tsx bench/node-mamba-ab.ts /tmp/old.wasm /tmp/new.wasm [--rounds 15]
 * Writes bench/results/node-mamba-ab.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { median } from './stats.ts';

const [oldPath, newPath] = process.argv.slice(2, 4);
const ri = process.argv.indexOf('--rounds');
const ROUNDS = ri >= 0 ? Number(process.argv[ri + 1]) : 15;
const I = 1536, N = 16, K = 4;

type Fn = (...a: number[]) => void;
interface Build { name: string; mem: WebAssembly.Memory; scan: Fn; conv: Fn; wkv: Fn }

async function load(name: string, path: string): Promise<Build> {
  const { instance } = await WebAssembly.instantiate(readFileSync(path), { env: { abort: () => { throw new Error('abort'); } } });
  const e = instance.exports as Record<string, unknown>;
  return { name, mem: e.memory as WebAssembly.Memory, scan: e.selective_scan_f32 as Fn, conv: e.causal_conv1d_f32 as Fn, wkv: e.wkv4_f32 as Fn };
}

/** Fixed layout from 1 MiB up (above the module's data); every region 16-byte aligned. */
function layout(T: number) {
  let p = 1 << 20;
  const take = (floats: number) => { const at = p; p += ((floats * 4 + 15) & ~15) + 16; return at; };
  return {
    out: take(T * I), x: take(T * I), dt: take(T * I), a: take(I * N), b: take(T * N), c: take(T * N), d: take(I), z: take(T * I),
    bias: take(I), ssm: take(I * N), scratch: take(2 * I), w: take(I * K), conv: take(I * K), wt: take(I * K), wkv: take(3 * I), end: p,
  };
}

function fill(b: Build, L: ReturnType<typeof layout>, T: number): void {
  const f = new Float32Array(b.mem.buffer);
  const put = (at: number, n: number, g: (i: number) => number) => { for (let i = 0; i < n; i++) f[(at >> 2) + i] = g(i); };
  put(L.x, T * I, (i) => 0.5 * Math.sin(i * 0.3));
  put(L.dt, T * I, (i) => 0.5 * Math.sin(i * 0.9));
  put(L.z, T * I, (i) => Math.sin(i * 0.7));
  put(L.b, T * N, (i) => Math.sin(i * 0.4));
  put(L.c, T * N, (i) => Math.sin(i * 0.6));
  put(L.a, I * N, (i) => -(1 + (i % N)));
  put(L.d, I, () => 1);
  put(L.bias, I, (i) => -4 + Math.sin(i));
  put(L.w, I * K, (i) => 0.5 * Math.cos(i * 0.8));
  put(L.ssm, I * N, () => 0);
  put(L.conv, I * K, () => 0);
  put(L.wkv, 3 * I, (i) => (i < 2 * I ? 0 : -1e38)); // num, den = 0; max = −1e38 (fresh RWKV state)
}

const results: Record<string, unknown>[] = [];
const builds = [await load('old', oldPath), await load('new', newPath)];
for (const T of [1, 32]) {
  const L = layout(T);
  for (const b of builds) {
    if (b.mem.buffer.byteLength < L.end) b.mem.grow(Math.ceil((L.end - b.mem.buffer.byteLength) / 65536));
    fill(b, L, T);
  }
  const ops: Record<string, (b: Build) => void> = {
    selectiveScan: (b) => b.scan(L.out, L.x, L.dt, L.a, L.b, L.c, L.d, L.z, L.bias, L.ssm, L.scratch, T, I, N, 1),
    causalConv1d: (b) => b.conv(L.out, L.x, L.w, L.bias, L.conv, L.wt, T, I, K, 1),
    // RWKV-4's WKV shares exp4 (C = I here; k = x, v = z, decay = bias, first = d)
    wkv4: (b) => b.wkv(L.out, L.x, L.z, L.bias, L.d, L.wkv, T, I),
  };
  for (const [op, run] of Object.entries(ops)) {
    // Same state before each measured call in both builds: a fresh fill, then one call's output compared.
    const outs = builds.map((b) => { fill(b, L, T); run(b); return new Float32Array(b.mem.buffer, L.out, T * I).slice(); });
    let maxDiff = 0;
    for (let i = 0; i < T * I; i++) maxDiff = Math.max(maxDiff, Math.abs(outs[0][i] - outs[1][i]));
    const reps = T === 1 ? 200 : 10;
    const times: number[][] = builds.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      builds.forEach((b, k) => {
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) run(b);
        times[k].push(((performance.now() - t0) / reps) * 1000);
      });
    }
    const stat = (a: number[]) => ({ min: +Math.min(...a).toFixed(2), median: +median(a).toFixed(2) });
    const [o, n] = times.map(stat);
    const r = { op, T, I, N, old_us: o, new_us: n, speedup_min: +(o.min / n.min).toFixed(2), speedup_median: +(o.median / n.median).toFixed(2), max_abs_diff_first_call: maxDiff };
    results.push(r);
    console.log(JSON.stringify(r));
  }
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/node-mamba-ab.json', JSON.stringify({ date: new Date().toISOString(), command: `node --import tsx bench/node-mamba-ab.ts ${process.argv.slice(2).join(' ')}`, rounds: ROUNDS, results }, null, 2));
