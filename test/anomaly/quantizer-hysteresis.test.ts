import { describe, expect, it } from 'vitest';
import { DEFAULT_QUANTIZER, OnlineQuantizer } from '../../src/anomaly/quantizer.ts';

describe('online quantizer hysteresis', () => {
  // range [0, 60], margin 0.3 → bins of 96/64 = 1.5 over [−18, 78]: value 0 sits on the boundary
  // between tokens 11 and 12 (18/1.5 = 12); a range contracting under it flips the token
  const feed = (q: OnlineQuantizer) => {
    q.encode(0);
    q.encode(60);
    const toks: number[] = [];
    for (let i = 0; i < 300; i++) toks.push(q.encode(i % 2 ? 0.0001 * Math.sin(i) : 0), q.encode(i % 50 === 0 ? 59.9 : 1e-4 * Math.cos(i)));
    return toks.filter((_, i) => i % 2 === 0);
  };
  it('without it a steady value on a bin boundary flips between two tokens', () => {
    const toks = feed(new OnlineQuantizer({ ...DEFAULT_QUANTIZER, margin: 0.3, contract: 1e-3, memory: 1e-3 }));
    expect(new Set(toks).size).toBeGreaterThan(1);
  });
  it('with it the token stays put, and a real move still changes it', () => {
    const q = new OnlineQuantizer({ ...DEFAULT_QUANTIZER, margin: 0.3, contract: 1e-3, memory: 1e-3, hysteresis: 0.25 });
    const toks = feed(q);
    expect(new Set(toks.slice(1)).size).toBe(1);
    const before = toks[toks.length - 1];
    expect(q.encode(3)).toBeGreaterThan(before); // two bins up: no hysteresis
  });
  it('keeps the previous token in its learned state only when hysteresis is on', () => {
    const off = new OnlineQuantizer(DEFAULT_QUANTIZER);
    off.encode(1);
    expect('prev' in off.exportState()).toBe(false);
    const on = new OnlineQuantizer({ ...DEFAULT_QUANTIZER, hysteresis: 0.5 });
    on.encode(1);
    on.encode(2);
    const s = on.exportState();
    const back = new OnlineQuantizer({ ...DEFAULT_QUANTIZER, hysteresis: 0.5 });
    back.importState(s);
    expect(back.exportState()).toEqual(s);
    expect(() => back.importState({ ...s, prev: undefined as unknown as number })).toThrow(/prev/);
  });
});
