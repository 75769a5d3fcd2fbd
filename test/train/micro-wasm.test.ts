import { describe, expect, it } from 'vitest';
import { initParams, type MicroConfig } from '../../src/models/micro-config.ts';
import { MicroModel } from '../../src/models/micro.ts';
import { MicroWasm } from '../../src/models/micro-wasm.ts';

describe('micro model: fused wasm SIMD step vs the TS step', () => {
  it('matches on odd sizes (dims not multiples of 4), 2 layers, past the window, adapt on and off', async () => {
    const c: MicroConfig = { vocab: 21, dim: 18, heads: 3, layers: 2, window: 7, ffn: 13, eps: 1e-5 };
    const w = initParams(c, 11);
    let s = 5;
    for (const a of w.values()) for (let i = 0; i < a.length; i++) a[i] += 0.2 * (((s = (s * 16807) % 2147483647) / 2147483647) - 0.5);
    const ts = new MicroModel(c, w);
    const wasm = await MicroWasm.create(c, w);
    let worst = 0;
    for (let t = 0; t < 40; t++) {
      const adapt = t < 30;
      ts.adapt = wasm.adapt = adapt;
      const tok = (t * 5 + (t >> 3)) % c.vocab;
      const a = ts.step(tok);
      const b = wasm.step(tok);
      for (let j = 0; j < c.vocab; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
    }
    expect(worst).toBeLessThan(1e-4);
    const snap = wasm.snapshot();
    const x = Array.from(wasm.step(3));
    wasm.restore(snap);
    expect(Array.from(wasm.step(3))).toEqual(x);
    wasm.reset();
    ts.reset();
    const after = wasm.step(4);
    const ref = ts.step(4);
    expect(Math.max(...Array.from(after, (v, j) => Math.abs(v - ref[j])))).toBeLessThan(1e-4);
  });
});
