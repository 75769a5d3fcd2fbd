import { describe, expect, it } from 'vitest';
import { initParams, paramCount, SENSOR_CONFIG, TEXT_CONFIG, type MicroConfig } from '../../src/models/micro-config.ts';
import { MicroModel } from '../../src/models/micro.ts';
import { Tape } from '../../src/train/autograd.ts';
import { forwardGraph, toLeaves } from '../../src/train/micro-graph.ts';
import { paramShapes } from '../../src/models/micro-config.ts';
import { isSparrowError } from '../../src/errors.ts';

function perturb(w: Map<string, Float32Array>, seed: number) {
  let s = seed;
  for (const a of w.values()) for (let i = 0; i < a.length; i++) a[i] += 0.2 * (((s = (s * 16807) % 2147483647) / 2147483647) - 0.5);
}

describe('micro model: fused single-token path vs the float64 graph', () => {
  it('parameter counts are in the 10–50K range', () => {
    expect(paramCount(SENSOR_CONFIG)).toBeGreaterThan(10_000);
    expect(paramCount(SENSOR_CONFIG)).toBeLessThan(50_000);
    expect(paramCount(TEXT_CONFIG)).toBeLessThan(60_000);
  });

  it('matches the graph over a sequence longer than the window (2 layers, memory adapting)', () => {
    const c: MicroConfig = { vocab: 19, dim: 12, heads: 3, layers: 2, window: 5, ffn: 10, eps: 1e-5 };
    const w = initParams(c, 7);
    perturb(w, 3);
    const ids = Array.from({ length: 23 }, (_, i) => (i * 7 + (i >> 2)) % 19);
    const ref = forwardGraph(new Tape(), c, toLeaves(c, w, paramShapes(c)), ids);
    const m = new MicroModel(c, w);
    let worst = 0;
    ids.forEach((id, t) => {
      const lg = m.step(id);
      for (let j = 0; j < c.vocab; j++) worst = Math.max(worst, Math.abs(lg[j] - ref.data[t * c.vocab + j]));
    });
    expect(worst).toBeLessThan(1e-4);
  });

  it('snapshot/restore replays identically; frozen memory stays unchanged', () => {
    const c = SENSOR_CONFIG;
    const w = initParams(c, 2);
    perturb(w, 5);
    const m = new MicroModel(c, w);
    for (let i = 0; i < 50; i++) m.step((i * 5) % c.vocab);
    const snap = m.snapshot();
    const a = Array.from({ length: 10 }, (_, i) => Array.from(m.step(i)));
    m.restore(snap);
    const b = Array.from({ length: 10 }, (_, i) => Array.from(m.step(i)));
    expect(b).toEqual(a);
    m.adapt = false;
    const before = m.state.mem[0].slice();
    m.step(3);
    expect(m.state.mem[0]).toEqual(before);
    m.resetMemory();
    expect(m.state.mem[0].every((v) => v === 0)).toBe(true);
  });

  it('rejects out-of-vocab tokens and wrong weight shapes with typed errors', () => {
    const c = SENSOR_CONFIG;
    const m = new MicroModel(c, initParams(c));
    expect(() => m.step(64)).toThrow(/outside vocab/);
    const w = initParams(c);
    w.set('emb', new Float32Array(3));
    try {
      new MicroModel(c, w);
      expect.unreachable();
    } catch (e) {
      expect(isSparrowError(e, 'SHAPE_MISMATCH')).toBe(true);
    }
  });
});
