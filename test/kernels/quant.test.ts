/**
 * Quantized matvec/matmul (weights as raw GGML blocks): reference backend vs an independent
 * dequantize-then-dot in float64, and wasm SIMD vs the same oracle, on random blocks (sane scales),
 * on blocks made by our quantizers, and on real tensors of llama.cpp / gguf-py files.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { dequantize, quantizeQ4_0, quantizeQ4_K, quantizeQ6_K, quantizeQ8_0 } from '../../src/formats/ggml-quants.ts';
import { QUANT_DTYPES, type QuantDType, ggmlTypeByName, quantDTypeOf, rowBytes } from '../../src/formats/ggml-types.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { randomF32 } from '../helpers/random.ts';
import { denseOracle, quantOracle as oracle, randomBlocks, worstRel as worst } from '../formats/quant-blocks.ts';
import { KQUANT_ROOT, MODEL_ROOT, fixtureBytes, fixtureF32, fixtureJson } from '../formats/fixtures.ts';
import { runLinear } from '../helpers/linear.ts';

const CASES: { dtype: QuantDType; shapes: [number, number][] }[] = [
  { dtype: 'q8_0', shapes: [[1, 32], [7, 96], [33, 160]] },
  { dtype: 'q4_0', shapes: [[1, 32], [7, 96], [33, 160]] },
  { dtype: 'q5_0', shapes: [[1, 32], [7, 96], [33, 160]] },
  // 20-, 24- and 18-byte blocks; odd row counts leave a partial four-row group (decode and prefill)
  { dtype: 'q4_1', shapes: [[1, 32], [7, 96], [33, 160], [6, 576]] },
  { dtype: 'q5_1', shapes: [[1, 32], [7, 96], [33, 160], [6, 576]] },
  { dtype: 'iq4_nl', shapes: [[1, 32], [7, 96], [33, 160], [6, 576]] },
  // 136-byte super-blocks; 1, 2, 3, 9 per row, odd row counts (a partial four-row group)
  { dtype: 'iq4_xs', shapes: [[1, 256], [5, 512], [13, 768], [7, 2304]] },
  { dtype: 'iq3_xxs', shapes: [[1, 256], [5, 512], [13, 768], [7, 2304]] },
  { dtype: 'iq3_s', shapes: [[1, 256], [5, 512], [13, 768], [7, 2304]] },
  { dtype: 'iq2_s', shapes: [[1, 256], [5, 512], [13, 768], [7, 2304]] },
  { dtype: 'iq2_xxs', shapes: [[1, 256], [5, 512], [13, 768], [7, 2304]] },
  { dtype: 'iq2_xs', shapes: [[1, 256], [5, 512], [13, 768], [7, 2304]] },
  { dtype: 'iq1_s', shapes: [[1, 256], [5, 512], [13, 768], [7, 2304]] },
  { dtype: 'iq1_m', shapes: [[1, 256], [5, 512], [13, 768], [7, 2304]] },
  { dtype: 'q4_k', shapes: [[1, 256], [5, 512], [13, 768]] },
  { dtype: 'q6_k', shapes: [[1, 256], [5, 512], [13, 768]] },
  // odd row counts (a partial four-row prefill group) and 1, 2, 3, 9 super-blocks per row
  { dtype: 'q5_k', shapes: [[1, 256], [5, 512], [13, 768], [7, 2304]] },
  { dtype: 'q3_k', shapes: [[1, 256], [5, 512], [13, 768], [7, 2304]] },
  { dtype: 'q2_k', shapes: [[1, 256], [5, 512], [13, 768], [7, 2304]] },
];

describe('quantized matvec/matmul on random blocks', () => {
  for (const { dtype, shapes } of CASES) {
    it(`${dtype}: reference == f64 dequant oracle, wasm ≈ reference (n = 1, 3, 5)`, async () => {
      const ref = new ReferenceBackend();
      const wasm = await WasmBackend.create();
      for (const [m, k] of shapes) {
        const bytes = randomBlocks(dtype, m, k, m * 1000 + k);
        for (const n of [1, 3, 5]) {
          const x = randomF32(n * k, n * 7 + k);
          const { out, mag } = oracle(dtype, bytes, m, k, x, n);
          const r = await runLinear(ref, dtype, bytes, m, k, x, n);
          expect(worst(r, out, mag), `${dtype} ref [${m},${k}] n=${n}`).toBeLessThan(1e-7);
          const w = await runLinear(wasm, dtype, bytes, m, k, x, n);
          expect(worst(w, out, mag), `${dtype} wasm [${m},${k}] n=${n}`).toBeLessThan(2e-6);
        }
      }
      wasm.dispose();
    });
  }
});

describe('quantized prefill: the four dequantized rows are the reference dequantization', () => {
  // X = I (n = K tokens): out[i, r] = W[r, i] exactly (one product by 1, the rest by 0), so the
  // tiled kernel's dequantization is compared value by value with ggml-quants.ts (llama.cpp's).
  for (const [dtype, k] of [['q4_0', 96], ['q5_0', 96], ['q4_1', 96], ['q5_1', 96], ['iq4_nl', 96], ['iq4_xs', 512], ['iq3_xxs', 512], ['iq3_s', 512], ['iq2_s', 512], ['iq2_xxs', 512], ['iq2_xs', 512], ['iq1_s', 512], ['iq1_m', 512], ['q2_k', 256], ['q3_k', 256], ['q4_k', 256], ['q5_k', 256], ['q6_k', 256]] as const) {
    it(`${dtype}: [7, ${k}] with X = I gives dequantize(W) bit for bit`, async () => {
      const wasm = await WasmBackend.create();
      const m = 7;
      const bytes = randomBlocks(dtype, m, k, 91);
      const eye = new Float32Array(k * k);
      for (let i = 0; i < k; i++) eye[i * (k + 1)] = 1;
      const got = await runLinear(wasm, dtype, bytes, m, k, eye, k);
      const want = dequantize(ggmlTypeByName(QUANT_DTYPES[dtype]), bytes, m * k);
      let diff = 0;
      for (let i = 0; i < k; i++) for (let r = 0; r < m; r++) if (got[i * m + r] !== want[r * k + i]) diff++;
      expect(diff, `${dtype}: values differing from the reference dequantization`).toBe(0);
      wasm.dispose();
    });
  }
});

describe('quantized decode kernels: four rows at a time', () => {
  // The decode matvec runs rows in groups of four that share the x loads (dot4_*); per row it keeps
  // the single-row kernel's operations and order, so a row's result does not depend on its group.
  // (Q4_K / Q6_K were tried the same way and ran 20 % slower: they stay one row at a time.)
  for (const [dtype, k] of [['q4_0', 576], ['q5_0', 576], ['q4_1', 576], ['q5_1', 576], ['iq4_nl', 576], ['iq4_xs', 768]] as const) {
    it(`${dtype}: every row of a 9-row matvec equals that row alone, bit for bit`, async () => {
      const wasm = await WasmBackend.create();
      const m = 9;
      const bytes = randomBlocks(dtype, m, k, 77);
      const x = randomF32(k, 78);
      const all = await runLinear(wasm, dtype, bytes, m, k, x, 1);
      const rb = bytes.length / m;
      for (let r = 0; r < m; r++) {
        const one = await runLinear(wasm, dtype, bytes.slice(r * rb, (r + 1) * rb), 1, k, x, 1);
        expect(Object.is(one[0], all[r]), `${dtype} row ${r}: ${one[0]} vs ${all[r]}`).toBe(true);
      }
      wasm.dispose();
    });
  }
});

describe('grid decode (IQ3 / IQ2 matvec from the f32 grid tables, IQ1 from the byte grid): one-hot x gives the reference dequantization', () => {
  // x = e_i: out[r] = db·(±grid value) exactly (db·g is exact in f32, every other product is 0), so
  // the decode's grid entries, signs and scales are compared value by value with ggml-quants.ts
  // (llama.cpp's), for every column i, at 1, 3, 4, 5 and 9 rows and in a fresh instance (tables filled
  // on its first call).
  for (const dtype of ['iq3_xxs', 'iq3_s', 'iq2_s', 'iq2_xs', 'iq2_xxs', 'iq1_s', 'iq1_m'] as const) {
    it(`${dtype}: rows 1, 3, 4, 5, 9 of 512 columns, x one-hot at every column, == dequantize(W) bit for bit`, async () => {
      const wasm = await WasmBackend.create();
      const k = 512;
      for (const m of [1, 3, 4, 5, 9]) {
        const bytes = randomBlocks(dtype, m, k, 300 + m);
        const want = dequantize(ggmlTypeByName(QUANT_DTYPES[dtype]), bytes, m * k);
        let diff = 0;
        for (let i = 0; i < k; i++) {
          const x = new Float32Array(k);
          x[i] = 1;
          const got = await runLinear(wasm, dtype, bytes, m, k, x, 1);
          for (let r = 0; r < m; r++) if (!Object.is(got[r], want[r * k + i])) diff++;
        }
        expect(diff, `${dtype} [${m}, ${k}]: values differing from the reference dequantization`).toBe(0);
      }
      wasm.dispose();
    });
  }
});

describe('quantized weights from real files', () => {
  it('our Q8_0/Q4_0 quantizers: quantized matvec ≈ dense f32 matvec within the quantization error', async () => {
    const ref = new ReferenceBackend();
    const wasm = await WasmBackend.create();
    const [m, k] = [19, 128];
    const wf = randomF32(m * k, 3, -0.5, 0.5);
    const x = randomF32(k, 4);
    const d = ref.tensor([m], 'f32');
    ref.matvec(d, ref.tensor([m, k], 'f32', wf), ref.tensor([k], 'f32', x));
    const exact = (await ref.read(d)) as Float32Array;
    for (const [dtype, q, tol] of [['q8_0', quantizeQ8_0, 0.02], ['q4_0', quantizeQ4_0, 0.3]] as const) {
      const bytes = q(wf);
      const got = await runLinear(wasm, dtype, bytes, m, k, x, 1);
      for (let i = 0; i < m; i++) expect(Math.abs(got[i] - exact[i]), `${dtype} row ${i}`).toBeLessThan(tol);
    }
  });

  it('our Q4_K/Q6_K quantizers: quantized matvec on wasm ≈ dense f32 matvec within the quantization error', async () => {
    const ref = new ReferenceBackend();
    const wasm = await WasmBackend.create();
    const [m, k] = [9, 512]; // |Σ w·x| ≈ 4: ~1.3% (Q6_K) / ~5.5% (Q4_K) weight error gives ≈ 0.05 / 0.2
    const wf = randomF32(m * k, 13, -0.5, 0.5);
    const x = randomF32(k, 14);
    const d = ref.tensor([m], 'f32');
    ref.matvec(d, ref.tensor([m, k], 'f32', wf), ref.tensor([k], 'f32', x));
    const exact = (await ref.read(d)) as Float32Array;
    for (const [dtype, q, tol] of [['q6_k', quantizeQ6_K, 0.15], ['q4_k', quantizeQ4_K, 0.6]] as const) {
      const got = await runLinear(wasm, dtype, q(wf), m, k, x, 1);
      for (let i = 0; i < m; i++) expect(Math.abs(got[i] - exact[i]), `${dtype} row ${i}`).toBeLessThan(tol);
    }
  });

  it('every tensor of the llama.cpp k-quant fixtures (Q2_K…Q6_K): wasm (1 and 2 threads) ≈ x · llama.cpp\'s dequantized matrix', async () => {
    // The goldens are gguf-py's dequantization of each tensor (manifest.json), not ours: the
    // kernels are checked against llama.cpp's reading of the blocks, matvec and prefill.
    const man = fixtureJson<{ files: { gguf: string; tensors: { name: string; type: string; file: string }[] }[] }>(KQUANT_ROOT, 'manifest.json');
    const backends = [await WasmBackend.create(), await WasmBackend.create({ threads: 2, minSplitWork: 0 })];
    const types = new Set<string>();
    for (const f of man.files) {
      const g = GgufFile.openSync(fixtureBytes(KQUANT_ROOT, f.gguf), f.gguf);
      for (const t of f.tensors) {
        const info = g.info(t.name);
        const dtype = quantDTypeOf(info.type.name);
        expect(dtype, `${f.gguf} ${t.name} ${info.type.name}`).toBe(t.type.toLowerCase());
        const [m, k] = info.shape;
        expect(info.byteLength).toBe(m * rowBytes(info.type, k));
        const golden = fixtureF32(KQUANT_ROOT, t.file);
        for (const n of [1, 3]) {
          const x = randomF32(n * k, m + n);
          const { out, mag } = denseOracle(golden, m, k, x, n);
          for (const b of backends) {
            const got = await runLinear(b, dtype!, g.rawSync(t.name).slice(), m, k, x, n);
            expect(worst(got, out, mag), `${f.gguf} ${t.name} n=${n} threads=${b.threads}`).toBeLessThan(2e-6);
          }
        }
        types.add(t.type);
      }
    }
    expect([...types].sort()).toEqual(['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K']);
    for (const b of backends) b.dispose();
  });

  it('Q5_0 / Q8_0 / Q4_0 tensors of the llama-gqa-tiny GGUFs (gguf-py quantizers): wasm ≈ f64 oracle', async () => {
    const wasm = await WasmBackend.create();
    for (const [file, dtype] of [['model.Q5_0.gguf', 'q5_0'], ['model.Q8_0.gguf', 'q8_0'], ['model.Q4_0.gguf', 'q4_0']] as const) {
      const g = GgufFile.openSync(fixtureBytes(MODEL_ROOT, 'llama-gqa-tiny', file));
      for (const name of ['blk.0.attn_q.weight', 'blk.1.ffn_gate.weight', 'token_embd.weight']) {
        const info = g.info(name);
        const [m, k] = info.shape;
        const x = randomF32(3 * k, m);
        const { out, mag } = oracle(dtype, g.rawSync(name), m, k, x, 3);
        expect(worst(await runLinear(wasm, dtype, g.rawSync(name).slice(), m, k, x, 3), out, mag), `${file} ${name}`).toBeLessThan(2e-6);
      }
    }
  });

  it('shape errors are typed: K not a multiple of the block size', () => {
    const ref = new ReferenceBackend();
    expect(() => ref.tensor([4, 48], 'q8_0', new Uint8Array(4 * 2 * 34))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    for (const dtype of ['q2_k', 'q3_k', 'q5_k'] as const) expect(() => ref.tensor([2, 384], dtype)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });
});
