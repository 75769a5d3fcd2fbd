/**
 * Qwen3.5's partial RoPE (NEOX pairs within the first r of D dims) done as full-width 'half' RoPE on
 * permuted dims (partialRope in src/models/rope-layout.ts), against the rotation written out directly; and
 * which pairs interleaved M-RoPE turns for text (imropeTurns, llama.cpp's IMROPE sector rule).
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import type { Backend } from '../../src/backends/backend.ts';
import { imropeTurns, partialRope } from '../../src/models/rope-layout.ts';

/** Direct partial NEOX RoPE of one head at position pos (pairs (i, i + r/2), i < r/2, angle pos·θ^(−2i/r)); `turns` as imropeTurns. */
function direct(x: Float32Array, r: number, theta: number, pos: number, turns: (i: number) => boolean): Float64Array {
  const out = Float64Array.from(x);
  for (let i = 0; i < r / 2; i++) {
    if (!turns(i)) continue;
    const a = pos * theta ** ((-2 * i) / r);
    const [x0, x1] = [x[i], x[i + r / 2]];
    out[i] = x0 * Math.cos(a) - x1 * Math.sin(a);
    out[i + r / 2] = x0 * Math.sin(a) + x1 * Math.cos(a);
  }
  return out;
}

describe('partial RoPE as permuted full-width RoPE', () => {
  for (const [name, make] of [['reference', async () => new ReferenceBackend()], ['wasm', () => WasmBackend.create()]] as [string, () => Promise<Backend>][]) {
    it(`${name}: D 32 with r 8, 32 and sections [2, 2, 0, 0]; D 256 with r 64 (Qwen3.5), 3 rows from position 7`, async () => {
      const b = await make();
      for (const [D, r, sections] of [[32, 8, undefined], [32, 32, undefined], [32, 8, [2, 2, 0, 0]], [256, 64, [11, 11, 10, 0]]] as const) {
        const theta = 1e7;
        const turns = sections ? imropeTurns(sections) : () => true;
        const { order, factors } = partialRope(D, r, theta, turns);
        expect([...order].sort((a, c) => a - c)).toEqual(Array.from({ length: D }, (_, i) => i));
        const rows = 3;
        const x = Float32Array.from({ length: rows * D }, (_, i) => Math.sin(i * 1.37 + 0.3));
        const xp = new Float32Array(rows * D);
        for (let t = 0; t < rows; t++) order.forEach((o, p) => (xp[t * D + p] = x[t * D + o]));
        const out = b.tensor([rows, D], 'f32');
        b.rope(out, b.tensor([rows, D], 'f32', xp), { pos: 7, headDim: D, theta, style: 'half', freqFactors: factors });
        const got = (await b.read(out)) as Float32Array;
        for (let t = 0; t < rows; t++) {
          const want = direct(x.subarray(t * D, (t + 1) * D), r, theta, 7 + t, turns);
          order.forEach((o, p) => expect(Math.abs(got[t * D + p] - want[o]), `D ${D} r ${r} row ${t} dim ${o}`).toBeLessThan(2e-6));
        }
      }
    });
  }

  it('interleaved M-RoPE sections: Qwen3.5\'s [11, 11, 10, 0] turn all 32 pairs; [2, 2, 0, 0] leaves the w sectors (pair 2) unturned', () => {
    expect(Array.from({ length: 32 }, (_, i) => imropeTurns([11, 11, 10, 0])(i)).every(Boolean)).toBe(true);
    expect(Array.from({ length: 4 }, (_, i) => imropeTurns([2, 2, 0, 0])(i))).toEqual([true, true, false, true]);
  });
});
