import { describe, expect, it } from 'vitest';
import { initParams, SENSOR_CONFIG } from '../../src/models/micro-config.ts';
import { DEFAULT_DETECTOR, predictiveSurprise, scoreSeries, StreamingDetector } from '../../src/anomaly/detector.ts';
import type { MicroModel } from '../../src/models/micro.ts';
import { OnlineQuantizer, DEFAULT_QUANTIZER } from '../../src/anomaly/quantizer.ts';
import { AnomalyLikelihood, erfc, logScale, qFunction } from '../../src/anomaly/likelihood.ts';

const W = initParams(SENSOR_CONFIG, 3);
const score = (v: ArrayLike<number>) => scoreSeries(v, SENSOR_CONFIG, W);
const allValid = (s: Float64Array) => s.every((x) => Number.isFinite(x) && x >= 0 && x <= 1);

describe('online quantizer', () => {
  it('codes causally: a value is binned with the range known before it', () => {
    const q = new OnlineQuantizer(DEFAULT_QUANTIZER);
    expect(q.encode(5)).toBe(32); // first value: middle bin
    expect(q.encode(10)).toBe(63); // above the (degenerate) range: top bin
    expect(q.encode(0)).toBe(0); // below [5, 10] with margin: bottom bin
    // range is now [0, 10], bins over [-1, 11]: 5 → floor(6/12·64) = 32
    expect(q.encode(5)).toBe(32);
    expect(q.lo).toBeCloseTo(0, 5); // (contracts very slowly towards recent values)
    expect(q.hi).toBeCloseTo(10, 5);
  });
  it('skips non-finite values and clamps huge ones', () => {
    const q = new OnlineQuantizer(DEFAULT_QUANTIZER);
    expect(q.encode(NaN)).toBe(-1);
    expect(q.encode(Infinity)).toBe(-1);
    expect(q.count).toBe(0);
    q.encode(1e308);
    q.encode(-1e308);
    expect(Number.isFinite(q.hi - q.lo)).toBe(true);
    expect(q.encode(0)).toBe(32);
  });
});

describe('anomaly likelihood', () => {
  it('Q-function and log scale anchor values', () => {
    expect(qFunction(0)).toBeCloseTo(0.5, 6);
    expect(qFunction(1.6448536)).toBeCloseTo(0.05, 6);
    expect(erfc(-1)).toBeCloseTo(1.8427007929, 6);
    expect(logScale(0.5)).toBeCloseTo(Math.log(0.5000000001) / Math.log(1e-10), 9);
    expect(logScale(1)).toBe(1);
  });
  it('is 0 while learning and flags a jump in surprise', () => {
    const L = new AnomalyLikelihood({ learning: 50, history: 200, shortWindow: 5, reestimate: 10, minStd: 0.01 });
    let last = 0;
    for (let i = 0; i < 50; i++) expect(L.update(0.2 + 0.01 * Math.sin(i))).toBe(0);
    for (let i = 0; i < 100; i++) last = L.update(0.2 + 0.01 * Math.sin(i));
    expect(last).toBeLessThan(0.3);
    for (let i = 0; i < 5; i++) last = L.update(0.9);
    expect(last).toBeGreaterThan(0.9);
  });
});

describe('empirical tail floor of the likelihood', () => {
  const opts = { learning: 50, history: 1000, shortWindow: 1, reestimate: 10, minStd: 0.01 };
  const feed = (L: AnomalyLikelihood) => {
    const spikes: number[] = [];
    // ordinary surprise ~0.2 with a 0.9 spike every 20 steps
    for (let i = 0; i < 600; i++) {
      const r = L.update(i % 20 === 19 ? 0.9 : 0.2 + 0.01 * Math.sin(i));
      if (i % 20 === 19 && i > 100) spikes.push(r);
    }
    return spikes;
  };
  it('a surprise the history holds regularly no longer scores like the first one', () => {
    const gauss = feed(new AnomalyLikelihood(opts));
    const floored = feed(new AnomalyLikelihood({ ...opts, empiricalTail: 0.1 }));
    // the last (30th) spike: the share of the history at or above 0.9 is ≈ 1/20, so p ≥ 0.1/20 and the log scale stays ≈ 0.23
    expect(gauss.at(-1)!).toBeGreaterThan(0.4);
    expect(floored.at(-1)!).toBeLessThan(0.3);
    expect(floored.at(-1)!).toBeCloseTo(logScale(1 - 0.1 * (30 / 600)), 1);
    for (let i = 0; i < gauss.length; i++) expect(floored[i]).toBeLessThanOrEqual(gauss[i]);
  });
  it('a surprise beyond everything in the history keeps the Gaussian tail', () => {
    const a = new AnomalyLikelihood(opts), b = new AnomalyLikelihood({ ...opts, empiricalTail: 0.1 });
    feed(a), feed(b);
    const ra = a.update(1), rb = b.update(1);
    expect(rb).toBe(ra);
    expect(rb).toBeGreaterThan(0.5);
  });
});

describe('predictive surprise measures', () => {
  // logits of a distribution over 64 tokens
  const logitsOf = (p: (i: number) => number) => Float64Array.from({ length: 64 }, (_, i) => Math.log(p(i) + 1e-30));
  const bimodal = logitsOf((i) => (i === 10 || i === 50 ? 0.499 : 0.002 / 62));
  const unimodal = logitsOf((i) => Math.exp(-0.5 * ((i - 32) / 2) ** 2));
  it("'hdr' finds a value between two predicted modes, which the two-sided tail mass misses", () => {
    expect(predictiveSurprise(bimodal, 30, 'logtail')).toBeLessThan(0.05);
    // π = the 0.002 of mass outside the two modes: −log10(0.002) / 4
    expect(predictiveSurprise(bimodal, 30, 'hdr')).toBeCloseTo(-Math.log10(0.002) / 4, 6);
    expect(predictiveSurprise(bimodal, 10, 'hdr')).toBeCloseTo(0, 9);
  });
  it("'hdr' and 'logtail' agree on a unimodal prediction: 0 at the mode, high far in the tail", () => {
    for (const k of ['hdr', 'logtail'] as const) {
      expect(predictiveSurprise(unimodal, 32, k)).toBeLessThan(0.02);
      expect(predictiveSurprise(unimodal, 45, k)).toBeGreaterThan(0.9);
    }
    // hdr counts both tails' mass beyond |i − 32| ≥ 6: 2·Q(2.75) ≈ 0.006 (discretised)
    expect(predictiveSurprise(unimodal, 38, 'hdr')).toBeGreaterThan(0.3);
  });
});

describe('streaming detector edge cases (never a crash or NaN score)', () => {
  it('empty input gives no scores', () => {
    expect(score([]).length).toBe(0);
  });
  it('NaN, ±Infinity and missing values score 0 and leave the state untouched', () => {
    const base = Array.from({ length: 400 }, (_, i) => Math.sin(i / 5));
    const holes = base.flatMap((v, i) => (i % 50 === 10 ? [NaN, v] : i % 77 === 3 ? [Infinity, v, -Infinity] : [v]));
    const a = score(base);
    const b = score(holes);
    expect(allValid(b)).toBe(true);
    const kept = b.filter((_, i) => Number.isFinite(holes[i]));
    expect(Array.from(kept)).toEqual(Array.from(a));
    holes.forEach((v, i) => !Number.isFinite(v) && expect(b[i]).toBe(0));
  });
  it('a constant stream scores ~0 throughout', () => {
    const s = score(new Float64Array(1500).fill(42));
    expect(allValid(s)).toBe(true);
    expect(Math.max(...s)).toBeLessThan(0.5);
  });
  it('huge and tiny magnitudes stay finite', () => {
    const v = Array.from({ length: 600 }, (_, i) => (i % 2 ? 1e300 : -1e300) * (i === 500 ? -1 : 1));
    expect(allValid(score(v))).toBe(true);
    expect(allValid(score(Array.from({ length: 600 }, (_, i) => 1e-300 * Math.sin(i))))).toBe(true);
  });
  it('is strictly causal: future values do not change past scores', () => {
    const v = Array.from({ length: 800 }, (_, i) => Math.sin(i / 7) + (i > 700 ? 5 : 0));
    const full = score(v);
    const prefix = score(v.slice(0, 650));
    expect(Array.from(full.subarray(0, 650))).toEqual(Array.from(prefix));
  });
  it('adaptation can be toggled while streaming', () => {
    const d = new StreamingDetector(SENSOR_CONFIG, W, DEFAULT_DETECTOR);
    for (let i = 0; i < 100; i++) d.push(Math.sin(i));
    const model = d.model as MicroModel;
    let mem = model.state.mem[0].slice();
    for (let i = 0; i < 16; i++) d.push(0.5); // ≥ 1 view token (one every `stride` points)
    expect(model.state.mem[0]).not.toEqual(mem); // adapting: the memory was written
    d.adapt = false;
    mem = model.state.mem[0].slice();
    for (let i = 0; i < 16; i++) d.push(0.5);
    expect(model.state.mem[0]).toEqual(mem);
  });
  it('the model reads the view: one token every `stride` points once `block` points are in', () => {
    const { block, stride } = DEFAULT_DETECTOR.view;
    const d = new StreamingDetector(SENSOR_CONFIG, W, DEFAULT_DETECTOR);
    for (let i = 0; i < 200; i++) {
      const s = d.push(Math.sin(i / 9));
      const due = i + 1 >= block && (i + 1) % stride === 0;
      expect(s.token >= 0).toBe(due);
      expect(Number.isNaN(s.raw)).toBe(!due);
    }
    // the raw view ({1, 1}) codes every point
    const r = new StreamingDetector(SENSOR_CONFIG, W, { ...DEFAULT_DETECTOR, view: { block: 1, stride: 1 } });
    for (let i = 0; i < 50; i++) expect(r.push(Math.cos(i)).token).toBeGreaterThanOrEqual(0);
  });
  it('early on, the spatial rule asks for tolerance × spatialEarly / points beyond the range', () => {
    // sin has span 2; at point 150 the early tolerance is 0.03 · 600 / 150 = 0.12 of it (0.24)
    const v = Array.from({ length: 400 }, (_, i) => Math.sin(i / 11));
    const at = (x: number) => ((v[150] = x), score(v)[150]);
    expect(at(1 + 0.2)).toBeLessThan(1);
    expect(at(1 + 0.3)).toBe(1);
    // without the early tolerance the plain 3 % applies from spatialLearning on
    v[150] = 1.2;
    expect(scoreSeries(v, SENSOR_CONFIG, W, { ...DEFAULT_DETECTOR, spatialEarly: 0 })[150]).toBe(1);
  });
  it('a spike beyond the known range scores 1 (spatial rule) after the learning points', () => {
    const v = Array.from({ length: 600 }, (_, i) => Math.sin(i / 11));
    v[500] = 3;
    const s = score(v);
    expect(s[500]).toBe(1);
    expect(Math.max(...s.subarray(DEFAULT_DETECTOR.spatialLearning, 500))).toBeLessThan(1);
  });
});
