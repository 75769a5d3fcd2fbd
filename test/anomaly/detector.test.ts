import { describe, expect, it } from 'vitest';
import { initParams, SENSOR_CONFIG } from '../../src/models/micro-config.ts';
import { DEFAULT_DETECTOR, scoreSeries, StreamingDetector } from '../../src/anomaly/detector.ts';
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
  it('a spike beyond the known range scores 1 (spatial rule) after the learning points', () => {
    const v = Array.from({ length: 600 }, (_, i) => Math.sin(i / 11));
    v[500] = 3;
    const s = score(v);
    expect(s[500]).toBe(1);
    expect(Math.max(...s.subarray(DEFAULT_DETECTOR.spatialLearning, 500))).toBeLessThan(1);
  });
});
