import { describe, expect, it } from 'vitest';
import { initParams, SENSOR_CONFIG } from '../../src/models/micro-config.ts';
import { DEFAULT_DETECTOR, scoreSeries, StreamingDetector, type DetectorOptions } from '../../src/anomaly/detector.ts';
import { MicroModel } from '../../src/models/micro.ts';
import { syntheticStream, xorshift } from '../../src/anomaly/synthetic.ts';

const W = initParams(SENSOR_CONFIG, 5);
const series = Array.from(syntheticStream('two-sines', 1500, xorshift(9)));
// the primary path alone (DEFAULT_DETECTOR itself has a channel and an extra likelihood)
const PRIMARY: DetectorOptions = { ...DEFAULT_DETECTOR, channels: undefined, extraLikelihoods: undefined };
const withChannel: DetectorOptions = {
  ...PRIMARY,
  likelihood: { ...DEFAULT_DETECTOR.likelihood, learning: 10 },
  channels: [{ view: { block: 64, stride: 16 }, likelihood: { learning: 5, history: 200 } }],
};

describe('detector channels (a second view read by the same model)', () => {
  it('the default detector has a slower channel and an extra likelihood', () => {
    expect(DEFAULT_DETECTOR.channels?.[0].view).toEqual({ block: 128, stride: 32 });
    expect(DEFAULT_DETECTOR.extraLikelihoods).toEqual([{ shortWindow: 3 }, { surprise: 'hdr', weight: 0.8 }]);
  });

  it('swapping the channel state in and out leaves the primary path exactly as without the channel', () => {
    const a = new StreamingDetector(SENSOR_CONFIG, W, { ...withChannel, channels: undefined });
    const b = new StreamingDetector(SENSOR_CONFIG, W, withChannel);
    let tokens = 0;
    for (const v of series) {
      const x = a.push(v), y = b.push(v);
      expect(y.token).toBe(x.token);
      if (x.token >= 0) (tokens++, expect(y.raw).toBe(x.raw));
    }
    expect(tokens).toBeGreaterThan(150);
  });

  it('the channel reads its own view with its own model state: it equals a lone detector on that view', () => {
    // the channel's likelihood is what a primary-only detector on the channel's view produces
    const solo = new StreamingDetector(new MicroModel(SENSOR_CONFIG, W), undefined, {
      ...PRIMARY, view: { block: 64, stride: 16 }, likelihood: { ...DEFAULT_DETECTOR.likelihood, learning: 5, history: 200 },
      spatialTolerance: 0, refractory: 0,
    });
    const both = new StreamingDetector(new MicroModel(SENSOR_CONFIG, W), undefined, {
      ...withChannel, likelihood: { ...withChannel.likelihood, learning: 1e9 }, spatialTolerance: 0, refractory: 0,
    });
    let flagged = 0;
    for (const v of series) {
      const s = solo.push(v), t = both.push(v);
      if (s.token >= 0) (expect(t.score).toBeCloseTo(s.score, 12), (flagged += s.score > 0 ? 1 : 0));
    }
    expect(flagged).toBeGreaterThan(0);
  });

  it('is strictly causal with channels and extra likelihoods', () => {
    const opts: DetectorOptions = { ...withChannel, extraLikelihoods: [{ shortWindow: 3 }] };
    const full = scoreSeries(series, SENSOR_CONFIG, W, opts);
    const changed = series.slice();
    for (let i = 1000; i < changed.length; i++) changed[i] = 50 * Math.cos(i);
    const part = scoreSeries(changed, SENSOR_CONFIG, W, opts);
    expect(Array.from(part.subarray(0, 1000))).toEqual(Array.from(full.subarray(0, 1000)));
    expect(full.every((x) => Number.isFinite(x) && x >= 0 && x <= 1)).toBe(true);
  });

  it('an extra likelihood of another surprise measure, scaled by its weight, also combines by max', () => {
    const base: DetectorOptions = { ...PRIMARY, likelihood: { ...DEFAULT_DETECTOR.likelihood, learning: 10 }, spatialTolerance: 0, refractory: 0 };
    const without = scoreSeries(series, SENSOR_CONFIG, W, base);
    const hdr = scoreSeries(series, SENSOR_CONFIG, W, { ...base, extraLikelihoods: [{ surprise: 'hdr', weight: 0.8 }] });
    // the hdr likelihood alone, through a primary path that reads 'hdr' (its own likelihood, same options)
    const hdrOnly = scoreSeries(series, SENSOR_CONFIG, W, { ...base, surprise: 'hdr' });
    let above = 0;
    for (let i = 0; i < series.length; i++) {
      expect(hdr[i]).toBeCloseTo(Math.max(without[i], 0.8 * hdrOnly[i]), 12);
      if (hdr[i] > without[i]) above++;
    }
    expect(above).toBeGreaterThan(0);
  });

  it('extra likelihoods combine by max with the primary one', () => {
    const base: DetectorOptions = { ...PRIMARY, likelihood: { ...DEFAULT_DETECTOR.likelihood, learning: 10 }, spatialTolerance: 0, refractory: 0 };
    const without = scoreSeries(series, SENSOR_CONFIG, W, base);
    const withShort = scoreSeries(series, SENSOR_CONFIG, W, { ...base, extraLikelihoods: [{ shortWindow: 3 }] });
    let above = 0;
    for (let i = 0; i < series.length; i++) {
      expect(withShort[i]).toBeGreaterThanOrEqual(without[i]);
      if (withShort[i] > without[i]) above++;
    }
    expect(above).toBeGreaterThan(0);
  });
});
