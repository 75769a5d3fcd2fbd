/**
 * The wasm decode (matvec, N = 1) of the grid IQ types beside Q3_K / Q2_K / IQ4_XS, one thread in Node,
 * calling the kernels of one or more builds of build/sparrow.wasm side by side (each build its own
 * instance; rounds interleaved across builds and types, best of `--rounds`), so that a kernel change
 * can be timed against the build before it in one run:
 *
 *   cp build/sparrow.wasm /tmp/before.wasm   # (at the commit before)
 *   npm run build:wasm && node --import tsx bench/node-iq-decode.ts --builds /tmp/before.wasm,build/sparrow.wasm
 *
 * Weights: random valid blocks (test/formats/quant-blocks.ts), x random f32; prints µs per matvec, and
 * any difference between the builds' outputs (they must agree within 1e-5 of the scale).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { QuantDType } from '../src/formats/ggml-types.ts';
import { storageBytes } from '../src/backends/validate.ts';
import { randomBlocks } from '../test/formats/quant-blocks.ts';
import { randomF32 } from '../test/helpers/random.ts';

const { values } = parseArgs({
  options: {
    builds: { type: 'string', default: 'build/sparrow.wasm' },
    types: { type: 'string', default: 'iq3_s,iq3_xxs,iq2_s,iq2_xs,iq2_xxs,iq1_s,iq1_m,q3_k,q2_k,iq4_xs' },
    sizes: { type: 'string', default: '2048,4096' },
    rounds: { type: 'string', default: '15' },
  },
});
const builds = values.builds!.split(',');
const types = values.types!.split(',') as QuantDType[];
const sizes = values.sizes!.split(',').map(Number);
const rounds = Number(values.rounds);

interface Inst { name: string; e: Record<string, CallableFunction> & { memory: WebAssembly.Memory; heapBase(): number } }
const insts: Inst[] = [];
for (const path of builds) {
  const inst = await WebAssembly.instantiate(await WebAssembly.compile(readFileSync(path)), {});
  insts.push({ name: path, e: inst.exports as Inst['e'] });
}

const best = new Map<string, number>();
for (const size of sizes) {
  const [m, k] = [size, size];
  for (const dtype of types) {
    const w = randomBlocks(dtype, m, k, m ^ k);
    const x = randomF32(k, 3);
    const setups = insts.map((inst) => {
      const base = (Number(inst.e.heapBase()) + 63) & ~63;
      const need = base + w.length + 4 * k + 4 * m + 4 * k + 1024;
      const mem = inst.e.memory;
      if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
      const wp = base, xp = (wp + w.length + 63) & ~63, op = xp + 4 * k, sp = op + 4 * m; // sp: Q2_K's slice-sum scratch
      new Uint8Array(mem.buffer, wp, w.length).set(w);
      new Float32Array(mem.buffer, xp, k).set(x);
      const f = inst.e[`matmul_${dtype}`];
      return { inst, run: () => f(op, xp, wp, 1, m, k, sp), out: () => new Float32Array(mem.buffer, op, m).slice() };
    });
    // the builds must agree (to f32 rounding: a changed kernel may sum in another order)
    const outs = setups.map((s) => (s.run(), s.out()));
    for (const o of outs.slice(1)) {
      let d = 0, scale = 0;
      for (let i = 0; i < m; i++) (d = Math.max(d, Math.abs(o[i] - outs[0][i]))), (scale = Math.max(scale, Math.abs(outs[0][i])));
      if (!(d <= 1e-5 * scale)) throw new Error(`${dtype} ${size}²: builds differ by ${d} (scale ${scale})`);
      if (d !== 0) console.log(`${dtype} ${size}²: builds differ by ${d} (scale ${scale})`);
    }
    for (let r = 0; r < rounds; r++) {
      for (const s of setups) {
        const reps = size <= 2048 ? 20 : 5;
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) s.run();
        const us = ((performance.now() - t0) / reps) * 1000;
        const key = `${size}\t${dtype}\t${s.inst.name}`;
        best.set(key, Math.min(best.get(key) ?? Infinity, us));
      }
    }
    const line = setups.map((s) => `${best.get(`${size}\t${dtype}\t${s.inst.name}`)!.toFixed(0).padStart(6)} µs (${s.inst.name})`).join('  ');
    console.log(`matvec ${size}² ${dtype.padEnd(7)} ${(storageBytes(dtype, [m, k]) / 2 ** 20).toFixed(2)} MiB  ${line}`);
  }
}
