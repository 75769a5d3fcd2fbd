/**
 * BF16 weights kept as raw bfloat16 (2 bytes per element) on the reference and wasm backends:
 * matvec / matmul / embedding against an independent float64 oracle (bf16 → f32 is bits << 16,
 * exact), odd K and M, NaN-poisoned outputs, Inf/NaN/±0/subnormal weights, and typed errors.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import type { Backend } from '../../src/backends/backend.ts';
import { isSparrowError } from '../../src/errors.ts';
import { randomF32 } from '../helpers/random.ts';
import { quantOracle, randomBf16Bytes, worstRel } from '../formats/quant-blocks.ts';
import { runLinear } from '../helpers/linear.ts';

/** bf16 bits → f32, written independently of the code under test. */
function bf16ToF32(bits: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, (bits & 0xffff) * 65536);
  return dv.getFloat32(0);
}

function bytesOf(bits: Uint16Array): Uint8Array {
  const out = new Uint8Array(bits.length * 2);
  for (let i = 0; i < bits.length; i++) [out[2 * i], out[2 * i + 1]] = [bits[i] & 0xff, bits[i] >> 8];
  return out;
}

const SHAPES: [number, number][] = [[1, 1], [1, 8], [3, 7], [4, 9], [5, 16], [7, 37], [9, 96], [13, 131], [33, 64]];

describe('bf16 matvec / matmul', () => {
  it('reference == f64 oracle, wasm ≈ oracle, odd shapes, n = 1, 2, 5', async () => {
    const ref = new ReferenceBackend();
    const wasm = await WasmBackend.create();
    for (const [m, k] of SHAPES) {
      const bytes = randomBf16Bytes(m * k, m * 131 + k);
      for (const n of [1, 2, 5]) {
        const x = randomF32(n * k, n * 17 + k + m);
        const { out, mag } = quantOracle('bf16', bytes, m, k, x, n);
        // The oracle itself must decode like bits << 16 (not via the code under test alone).
        const bits = new Uint16Array(bytes.buffer.slice(0));
        let s = 0;
        for (let j = 0; j < k; j++) s += bf16ToF32(bits[j]) * x[j];
        expect(out[0]).toBe(s);
        const r = await runLinear(ref, 'bf16', bytes, m, k, x, n);
        expect(worstRel(r, out, mag), `ref [${m},${k}] n=${n}`).toBeLessThan(1e-7);
        const w = await runLinear(wasm, 'bf16', bytes, m, k, x, n);
        expect(worstRel(w, out, mag), `wasm [${m},${k}] n=${n}`).toBeLessThan(2e-6);
      }
    }
    wasm.dispose();
  });

  it('keeps 2 bytes per element (half of f32) on both backends', async () => {
    const wasm = await WasmBackend.create();
    for (const b of [new ReferenceBackend(), wasm] as Backend[]) {
      const t = b.tensor([7, 37], 'bf16', randomBf16Bytes(7 * 37, 1));
      expect(t.byteSize).toBe(7 * 37 * 2);
      const back = (await b.read(t)) as Uint8Array;
      expect(back).toEqual(randomBf16Bytes(7 * 37, 1));
    }
    wasm.dispose();
  });

  it('special weights: Inf, NaN, ±0 and subnormals give the IEEE f32 result (wasm == reference)', async () => {
    const ref = new ReferenceBackend();
    const wasm = await WasmBackend.create();
    const k = 19; // one 8-wide SIMD block ×2 plus a scalar tail of 3
    const rows: number[][] = [
      Array(k).fill(0x3f80), // 1.0
      Array(k).fill(0x8000), // −0
      [0x7f80, ...Array(k - 1).fill(0x3f80)], // +Inf in the SIMD part
      [...Array(k - 1).fill(0x3f80), 0xff80], // −Inf in the scalar tail
      [0x3f80, 0x7fc0, ...Array(k - 2).fill(0)], // NaN
      Array(k).fill(0x0001), // smallest f32 subnormal 2^-133
      [0x0040, 0x807f, ...Array(k - 2).fill(0x0000)], // larger subnormals, both signs
    ];
    const m = rows.length;
    const bits = Uint16Array.from(rows.flat());
    const x = Float32Array.from({ length: k }, (_, j) => (j % 3 === 0 ? 2 : 1));
    const want = rows.map((r) => Math.fround(r.reduce((s, b, j) => s + bf16ToF32(b) * x[j], 0)));
    for (const b of [ref, wasm] as Backend[]) {
      const got = await runLinear(b, 'bf16', bytesOf(bits), m, k, x, 1);
      for (let r = 0; r < m; r++) {
        if (Number.isNaN(want[r])) expect(got[r], `${b.name} row ${r}`).toBeNaN();
        else expect(got[r], `${b.name} row ${r}`).toBe(want[r]);
      }
      expect(Object.is(got[1], -0) || Object.is(got[1], 0)).toBe(true);
      expect(got[5]).toBeGreaterThan(0); // subnormal products are not flushed to zero
    }
    wasm.dispose();
  });
});

describe('bf16 embedding', () => {
  it('rows are widened exactly (bits << 16) on reference and wasm, odd d, NaN-poisoned output', async () => {
    const wasm = await WasmBackend.create();
    for (const [vocab, d] of [[5, 1], [11, 7], [9, 8], [17, 37]]) {
      const bytes = randomBf16Bytes(vocab * d, vocab + d);
      const bits = new Uint16Array(bytes.buffer.slice(0));
      bits[0] = 0x7f80; // +Inf
      bits[Math.min(1, bits.length - 1)] = 0xffc1; // a NaN payload
      const ids = Int32Array.from([vocab - 1, 0, 3 % vocab, 0, vocab - 1]);
      for (const b of [new ReferenceBackend(), wasm] as Backend[]) {
        const t = b.tensor([vocab, d], 'bf16', bytesOf(bits));
        const it = b.tensor([ids.length], 'i32', ids);
        const o = b.tensor([ids.length, d], 'f32', new Float32Array(ids.length * d).fill(NaN));
        b.embedding(o, t, it);
        const got = (await b.read(o)) as Float32Array;
        for (let i = 0; i < ids.length; i++)
          for (let j = 0; j < d; j++) {
            const want = bf16ToF32(bits[ids[i] * d + j]);
            if (Number.isNaN(want)) expect(got[i * d + j]).toBeNaN();
            else expect(got[i * d + j], `${b.name} [${vocab},${d}] (${i},${j})`).toBe(want);
          }
      }
    }
    wasm.dispose();
  });
});

describe('bf16 bad input: typed errors, same on both backends', () => {
  it('wrong data type / length, wrong shapes, out-of-range ids', async () => {
    const wasm = await WasmBackend.create();
    for (const b of [new ReferenceBackend(), wasm] as Backend[]) {
      const expectErr = (f: () => void, code: string, text: RegExp) => {
        let err: unknown;
        try {
          f();
        } catch (e) {
          err = e;
        }
        expect(isSparrowError(err), `${b.name}: ${String(err)}`).toBe(true);
        expect((err as { code: string }).code).toBe(code);
        expect(String((err as Error).message)).toMatch(text);
      };
      expectErr(() => b.tensor([3, 4], 'bf16', new Uint8Array(23)), 'SHAPE_MISMATCH', /bf16 \[3,4\]/);
      expectErr(() => b.tensor([3, 4], 'bf16', new Float32Array(12)), 'SHAPE_MISMATCH', /bf16/);
      const w = b.tensor([3, 4], 'bf16', randomBf16Bytes(12, 2));
      expectErr(() => b.matvec(b.tensor([3], 'f32'), w, b.tensor([5], 'f32')), 'SHAPE_MISMATCH', /matvec: x must have 4 elements/);
      expectErr(() => b.matvec(b.tensor([2], 'f32'), w, b.tensor([4], 'f32')), 'SHAPE_MISMATCH', /matvec: out must have 3 elements/);
      expectErr(() => b.matmul(b.tensor([2, 3], 'f32'), b.tensor([2, 5], 'f32'), w), 'SHAPE_MISMATCH', /matmul: x rows must have 4 elements/);
      expectErr(() => b.embedding(b.tensor([1, 4], 'f32'), w, b.tensor([1], 'i32', Int32Array.of(3))), 'INDEX_OUT_OF_RANGE', /embedding: id 3/);
      expectErr(() => b.embedding(b.tensor([2, 4], 'f32'), w, b.tensor([1], 'i32', Int32Array.of(0))), 'SHAPE_MISMATCH', /embedding: out must be \[1, 4\]/);
    }
    wasm.dispose();
  });
});
