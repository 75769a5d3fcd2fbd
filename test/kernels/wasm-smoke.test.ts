import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { randomF32, maxAbsErr } from '../helpers/random.ts';

describe('wasm vs reference (smoke)', () => {
  it('matvec f32 on odd sizes', async () => {
    const ref = new ReferenceBackend();
    const wasm = await WasmBackend.create();
    for (const [m, k] of [[1, 1], [7, 13], [33, 65]]) {
      const w = randomF32(m * k, m * 100 + k);
      const x = randomF32(k, k);
      const outs = [];
      for (const b of [ref, wasm]) {
        const o = b.tensor([m], 'f32', new Float32Array(m).fill(NaN));
        b.matvec(o, b.tensor([m, k], 'f32', w), b.tensor([k], 'f32', x));
        outs.push(await b.read(o));
      }
      expect(maxAbsErr(outs[1], outs[0])).toBeLessThan(1e-5);
    }
  });
});
