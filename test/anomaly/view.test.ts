import { describe, expect, it } from 'vitest';
import { SlidingMean, viewSeries } from '../../src/anomaly/view.ts';
import { SparrowError } from '../../src/errors.ts';

describe('detector view (sliding block mean)', () => {
  it('emits the mean of the last `block` points every `stride` points, once `block` points are in', () => {
    const xs = Array.from({ length: 23 }, (_, i) => (i * 7919) % 13); // arbitrary, not monotone
    const m = new SlidingMean({ block: 5, stride: 3 });
    xs.forEach((x, i) => {
      const got = m.push(x);
      const n = i + 1;
      if (n < 5 || n % 3 !== 0) expect(got).toBeNaN();
      else expect(got).toBeCloseTo(xs.slice(n - 5, n).reduce((a, b) => a + b, 0) / 5, 12);
    });
    // {1, 1} is the identity
    expect(Array.from(viewSeries(xs, { block: 1, stride: 1 }))).toEqual(xs);
  });
  it('skips non-finite values and rejects a bad block/stride with a typed error', () => {
    expect(Array.from(viewSeries([1, NaN, 3, Infinity, 5, 7], { block: 2, stride: 2 }))).toEqual([2, 6]);
    expect(() => new SlidingMean({ block: 0, stride: 1 })).toThrow(SparrowError);
    expect(() => new SlidingMean({ block: 4, stride: 1.5 })).toThrow(/stride/);
  });
  it('state round-trips: a restored view continues exactly', () => {
    const a = new SlidingMean({ block: 4, stride: 2 });
    for (let i = 0; i < 11; i++) a.push(Math.sin(i));
    const b = new SlidingMean({ block: 4, stride: 2 });
    b.importState(a.exportState());
    for (let i = 11; i < 30; i++) expect(b.push(Math.sin(i))).toEqual(a.push(Math.sin(i)));
  });
});
