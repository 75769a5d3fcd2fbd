import { describe, expect, it } from 'vitest';
import { Sampler, applyRepetitionPenalty, argmax, rankedCandidates } from '../../src/engine/sampling.ts';
import { Rng } from '../../src/engine/rng.ts';
import { isSparrowError } from '../../src/errors.ts';

const logits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);

function frequencies(s: Sampler, x: Float32Array, n: number): number[] {
  const f = new Array(x.length).fill(0);
  for (let i = 0; i < n; i++) f[s.sample(x)]++;
  return f.map((c) => c / n);
}

describe('sampling', () => {
  it('greedy is argmax with the first index winning ties', () => {
    const x = Float32Array.from([0.1, 2, -1, 2]);
    expect(argmax(x)).toBe(1);
    expect(new Sampler().sample(x)).toBe(1);
    expect(new Sampler({ temperature: 0, seed: 5 }).sample(x)).toBe(1);
  });

  it('the RNG is deterministic per seed and roughly uniform', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 8 }, () => a.nextU32());
    expect(sa).toEqual(Array.from({ length: 8 }, () => b.nextU32()));
    expect(sa).not.toEqual(Array.from({ length: 8 }, () => c.nextU32()));
    const r = new Rng(7);
    let mean = 0;
    for (let i = 0; i < 20000; i++) mean += r.next() / 20000;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
  });

  it('temperature 1 draws from softmax(logits)', () => {
    const f = frequencies(new Sampler({ temperature: 1, seed: 1 }), logits, 40000);
    expect(f[0]).toBeCloseTo(0.5, 1);
    expect(Math.abs(f[0] - 0.5)).toBeLessThan(0.015);
    expect(Math.abs(f[1] - 0.3)).toBeLessThan(0.015);
    expect(Math.abs(f[2] - 0.2)).toBeLessThan(0.015);
  });

  it('temperature sharpens: T=0.5 squares the probabilities (renormalised)', () => {
    const f = frequencies(new Sampler({ temperature: 0.5, seed: 2 }), logits, 40000);
    const z = 0.25 + 0.09 + 0.04;
    expect(Math.abs(f[0] - 0.25 / z)).toBeLessThan(0.015);
    expect(Math.abs(f[2] - 0.04 / z)).toBeLessThan(0.015);
  });

  it('top-k keeps the k best; top-k 1 is greedy', () => {
    const f = frequencies(new Sampler({ temperature: 1, topK: 2, seed: 3 }), logits, 20000);
    expect(f[2]).toBe(0);
    expect(Math.abs(f[0] - 0.625)).toBeLessThan(0.02);
    expect(frequencies(new Sampler({ temperature: 5, topK: 1, seed: 3 }), logits, 200)).toEqual([1, 0, 0]);
  });

  it('top-p keeps the smallest prefix reaching p', () => {
    const f = frequencies(new Sampler({ temperature: 1, topP: 0.6, seed: 4 }), logits, 20000);
    expect(f[2]).toBe(0);
    expect(Math.abs(f[1] - 0.375)).toBeLessThan(0.02);
    expect(frequencies(new Sampler({ temperature: 1, topP: 0.4, seed: 4 }), logits, 200)).toEqual([1, 0, 0]);
  });

  it('same seed → same tokens, different seed → different tokens', () => {
    const x = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const run = (seed: number) => {
      const s = new Sampler({ temperature: 1.5, topP: 0.95, seed });
      return Array.from({ length: 40 }, () => s.sample(x));
    };
    expect(run(9)).toEqual(run(9));
    expect(run(9)).not.toEqual(run(10));
  });

  it('repetition penalty divides positive and multiplies negative logits of seen tokens (once each)', () => {
    const x = Float32Array.from([2, -2, 1, 3]);
    applyRepetitionPenalty(x, [0, 1, 0], 2);
    expect([...x]).toEqual([1, -4, 1, 3]);
    // Token 3 wins greedily, but once seen with penalty 4 it drops below token 0.
    expect(new Sampler({ repetitionPenalty: 4 }).sample(Float32Array.from([2, -2, 1, 3]), [3])).toBe(0);
  });

  it('rejects bad options with INVALID_ARGUMENT', () => {
    for (const o of [{ temperature: -1 }, { topK: 1.5 }, { topP: 0 }, { topP: 1.5 }, { repetitionPenalty: 0 }, { temperature: NaN }]) {
      let err: unknown;
      try {
        new Sampler(o);
      } catch (e) {
        err = e;
      }
      expect(isSparrowError(err, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  /** The ranking the sampler is defined by: every id sorted by (logit desc, id asc). */
  const sortedIds = (x: Float32Array) => Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[b] - x[a] || a - b);

  /** Logits with many exact ties, ±0, ±∞ (a real vocabulary's size). */
  function awkwardLogits(v: number, seed: number): Float32Array {
    const r = new Rng(seed);
    return Float32Array.from({ length: v }, () => {
      const u = r.next();
      if (u < 0.01) return -Infinity;
      if (u < 0.011) return Infinity;
      if (u < 0.02) return -0;
      if (u < 0.03) return 0;
      return Math.round((r.next() * 2 - 1) * 64) / 4; // 513 distinct values: ties everywhere
    });
  }

  it('rankedCandidates orders like the full comparator sort (ties by id, −0 as +0, ±∞), for every k', () => {
    for (const [v, seed] of [[1, 1], [2, 2], [7, 3], [1000, 4], [49152, 5]]) {
      const x = awkwardLogits(v, seed);
      const want = sortedIds(x);
      for (const k of [0, 1, 2, 5, 40, v - 1, v, v + 3]) {
        const n = k > 0 && k < v ? k : v;
        expect(Array.from(rankedCandidates(x, k)), `v ${v} k ${k}`).toEqual(want.slice(0, n));
      }
    }
  });

  it('NaN logits rank last (as −∞) and are never drawn while a finite one remains', () => {
    const x = Float32Array.from([NaN, 1, NaN, 3, -Infinity]);
    expect(Array.from(rankedCandidates(x, 0))).toEqual([3, 1, 0, 2, 4]);
    const f = frequencies(new Sampler({ temperature: 1, seed: 9 }), x, 2000);
    expect(f[0] + f[2]).toBe(0);
  });

  it('draws exactly the tokens of the sort-everything sampler, seed for seed', () => {
    // The sampler before rankedCandidates, kept here as the definition.
    function reference(x: Float32Array, o: { temperature: number; topK: number; topP: number }, rng: Rng): number {
      let ids = sortedIds(x);
      if (o.topK > 0 && o.topK < x.length) ids = ids.slice(0, o.topK);
      const max = x[ids[0]] / o.temperature;
      const p = ids.map((i) => Math.exp(x[i] / o.temperature - max));
      let sum = p.reduce((a, b) => a + b, 0);
      if (o.topP < 1) {
        let mass = 0;
        let keep = 0;
        while (keep < p.length) {
          mass += p[keep++] / sum;
          if (mass >= o.topP) break;
        }
        ids = ids.slice(0, keep);
        p.length = keep;
        sum = p.reduce((a, b) => a + b, 0);
      }
      const u = rng.next() * sum;
      let acc = 0;
      for (let i = 0; i < ids.length; i++) {
        acc += p[i];
        if (u < acc) return ids[i];
      }
      return ids[ids.length - 1];
    }
    const x = awkwardLogits(5000, 11).map((v) => (Number.isFinite(v) ? v : 0));
    for (const o of [{ temperature: 0.8, topK: 40, topP: 0.95 }, { temperature: 1.3, topK: 0, topP: 1 }, { temperature: 0.5, topK: 0, topP: 0.9 }, { temperature: 2, topK: 7, topP: 1 }]) {
      const s = new Sampler({ ...o, seed: 21 });
      const rng = new Rng(21);
      const got = Array.from({ length: 300 }, () => s.sample(x));
      const want = Array.from({ length: 300 }, () => reference(x, o, rng));
      expect(got, JSON.stringify(o)).toEqual(want);
    }
  });
});