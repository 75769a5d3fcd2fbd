/**
 * Node-side measurement of the sequence kernels on wasm (the Chromium suite, with WebGPU, is
 * `npm run bench`, cases in bench/cases/sequence.ts): Mamba selective-scan prefill, causal conv,
 * RWKV-4 WKV, delta rule, and BitNet ternary matvec (direct + T-MAC LUT) vs dense f32 matvec.
 * Run: `npm run build:wasm && node --import tsx bench/node-sequence.ts [--quick] [--ref]`.
 * Prints a table and writes bench/results/node-sequence.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Backend, Tensor } from '../src/backends/backend.ts';
import { ReferenceBackend } from '../src/backends/reference/backend.ts';
import { quantizeTernary } from '../src/backends/reference/sequence.ts';
import { WasmBackend } from '../src/backends/wasm/backend.ts';
import { randomF32 } from '../test/helpers/random.ts';

const quick = process.argv.includes('--quick');

function time(f: () => void, runs = quick ? 3 : 10): { median: number; min: number } {
  f();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { median: ts[ts.length >> 1], min: ts[0] };
}

interface Row { backend: string; name: string; shape: string; ms: number; tokensPerS?: number; gbPerS?: number; note?: string }
const rows: Row[] = [];
function record(r: Row): void {
  rows.push(r);
  const extra = [r.tokensPerS ? `${Math.round(r.tokensPerS).toLocaleString('en-US')} tok/s` : '', r.gbPerS ? `${r.gbPerS.toFixed(2)} GB/s` : '', r.note ?? ''].filter(Boolean).join('  ');
  console.log(`${r.backend.padEnd(9)} ${r.name.padEnd(22)} ${r.shape.padEnd(26)} ${r.ms.toFixed(3).padStart(10)} ms  ${extra}`);
}

function bench(b: Backend, runs?: number): void {
  const made: Tensor[] = [];
  const t = (shape: number[], data?: Float32Array) => {
    const x = b.tensor(shape, 'f32', data);
    made.push(x);
    return x;
  };
  const scale = b.name === 'reference' ? 8 : 1; // the float64 oracle is slow: shorter sequences

  // Mamba-130M/370M-like mixer: d_inner 1536, state 16, prefill 2048 tokens
  {
    const I = 1536, N = 16, T = 2048 / scale;
    const a = new Float32Array(I * N);
    for (let i = 0; i < I; i++) for (let n = 0; n < N; n++) a[i * N + n] = -(n + 1);
    const args = [t([T, I]), t([T, I], randomF32(T * I, 1)), t([T, I], randomF32(T * I, 2, -4, 0)), t([I, N], a), t([T, N], randomF32(T * N, 3)), t([T, N], randomF32(T * N, 4)), t([I], randomF32(I, 5)), t([T, I], randomF32(T * I, 6)), t([I], randomF32(I, 7, -4, -2)), t([I, N])] as const;
    const r = time(() => b.selectiveScan(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8], args[9], true), runs);
    record({ backend: b.name, name: 'selectiveScan prefill', shape: `T=${T},I=${I},N=${N}`, ms: r.median, tokensPerS: (T / r.median) * 1000 });
    const one = [t([1, I]), t([1, I], randomF32(I, 1)), t([1, I], randomF32(I, 2)), args[3], t([1, N], randomF32(N, 3)), t([1, N], randomF32(N, 4)), args[6], t([1, I], randomF32(I, 6)), args[8], args[9]] as const;
    const s = time(() => b.selectiveScan(one[0], one[1], one[2], one[3], one[4], one[5], one[6], one[7], one[8], one[9], true), 50);
    record({ backend: b.name, name: 'selectiveScan step', shape: `T=1,I=${I},N=${N}`, ms: s.median, tokensPerS: 1000 / s.median });

    const K = 4;
    const conv = [t([T, I]), args[1], t([I, K], randomF32(I * K, 9)), t([I], randomF32(I, 10)), t([I, K])] as const;
    const c = time(() => b.causalConv1d(conv[0], conv[1], conv[2], conv[3], conv[4], true), runs);
    record({ backend: b.name, name: 'causalConv1d prefill', shape: `T=${T},C=${I},K=${K}`, ms: c.median, tokensPerS: (T / c.median) * 1000 });
  }

  // RWKV-4: 2048 channels (RWKV-4 430M hidden 1024 … 1.5B 2048), 512 tokens
  {
    const C = 2048, T = 512 / scale;
    const st = new Float32Array(3 * C).fill(-1e38, 2 * C);
    const args = [t([T, C]), t([T, C], randomF32(T * C, 11, -5, 5)), t([T, C], randomF32(T * C, 12)), t([C], randomF32(C, 13, -3, 1)), t([C], randomF32(C, 14)), t([3, C], st)] as const;
    const r = time(() => b.wkv4(...args), runs);
    record({ backend: b.name, name: 'wkv4 prefill', shape: `T=${T},C=${C}`, ms: r.median, tokensPerS: (T / r.median) * 1000 });
  }

  // delta rule: 8 heads of 64×64, 512 tokens
  {
    const H = 8, D = 64, T = 512 / scale;
    const args = [t([T, H, D]), t([T, H, D], randomF32(T * H * D, 21)), t([T, H, D], randomF32(T * H * D, 22, -0.1, 0.1)), t([T, H, D], randomF32(T * H * D, 23)), t([T, H], randomF32(T * H, 24, 0, 1)), t([H, D, D])] as const;
    const r = time(() => b.deltaRule(...args), runs);
    record({ backend: b.name, name: 'deltaRule prefill', shape: `T=${T},H=${H},Dk=Dv=${D}`, ms: r.median, tokensPerS: (T / r.median) * 1000 });
  }

  // BitNet ternary vs dense f32 matvec at 2048×2048
  {
    const M = 2048, K = 2048;
    const wf = randomF32(M * K, 31);
    const x = t([K], randomF32(K, 32));
    const out = t([M]);
    const dense = t([M, K], wf);
    const tern = b.tensor([M, K], 'ternary', quantizeTernary(wf, M, K));
    made.push(tern);
    const d = time(() => b.matvec(out, dense, x), runs);
    record({ backend: b.name, name: 'matvec f32 (dense)', shape: `${M}x${K}`, ms: d.median, gbPerS: (M * K * 4) / d.median / 1e6 });
    const tr = time(() => b.ternaryMatvec(out, tern, x), runs);
    record({ backend: b.name, name: 'ternaryMatvec', shape: `${M}x${K}`, ms: tr.median, gbPerS: tern.byteSize / tr.median / 1e6, note: `${(d.median / tr.median).toFixed(2)}x vs f32` });
    const tl = time(() => b.ternaryMatvecLut(out, tern, x), runs);
    record({ backend: b.name, name: 'ternaryMatvecLut', shape: `${M}x${K}`, ms: tl.median, gbPerS: tern.byteSize / tl.median / 1e6, note: `${(d.median / tl.median).toFixed(2)}x vs f32` });
  }
  for (const m of made) b.free(m);
}

const wasm = await WasmBackend.create();
bench(wasm);
if (process.argv.includes('--ref')) bench(new ReferenceBackend(), 1);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/node-sequence.json', JSON.stringify({ node: process.version, date: new Date().toISOString(), quick, rows }, null, 2));
