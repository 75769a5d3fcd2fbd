/** The benchmark arithmetic and table writer (bench/stats.ts, bench/report.ts), checked by hand. */
import { describe, expect, it } from 'vitest';
import { median, summarize } from '../../bench/stats.ts';
import { toMarkdown, type BenchReport } from '../../bench/report.ts';

describe('bench stats', () => {
  it('takes the median of odd and even counts without reordering the input', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('turns the median time into GB/s, GFLOP/s and tokens/s', () => {
    // 2 ms median: 500 runs/s. 1e9 bytes · 500 = 500 GB/s; 4e6 flops · 500 = 2 GFLOP/s.
    const s = summarize([2, 3, 1, 2, 9], { bytes: 1e9, flops: 4e6, tokens: 8 });
    expect(s).toEqual({ runs: 5, medianMs: 2, minMs: 1, gbPerS: 500, gflopPerS: 2, tokensPerS: 4000 });
    expect(summarize([1], {})).toEqual({ runs: 1, medianMs: 1, minMs: 1 });
  });
});

describe('bench markdown', () => {
  const report: BenchReport = {
    command: 'npm run bench -- --family core',
    date: '2026-11-24T15:10:00.000Z',
    quick: false,
    environment: { userAgent: 'UA', hardwareConcurrency: 2, backends: { wasm: 'WebAssembly SIMD', webgpu: 'unavailable: no adapter' } },
    results: [
      { family: 'core', op: 'matvec', shape: '4x4', dtype: 'f32', backend: 'wasm', runs: 20, medianMs: 1.23456, minMs: 1, gbPerS: 3.14159 },
      { family: 'core', op: 'spmv', shape: '4x4 90% zero', dtype: 'sparse', backend: 'wasm', runs: 20, medianMs: 0.5, minMs: 0.4, storedBytes: 2 ** 20, denseBytes: 2 ** 22, baseline: 'matvec 4x4 f32' },
      { family: 'core', op: 'matvec', shape: '4x4', dtype: 'f32', backend: 'webgpu', runs: 3, medianMs: 2, minMs: 2, note: 'slow: 3 runs' },
      { family: 'core', op: 'gelu', shape: '4x4', dtype: 'f32', backend: 'webgpu', runs: 0, medianMs: NaN, minMs: NaN, error: 'UNSUPPORTED: a | b' },
    ],
  };
  const md = toMarkdown(report);

  it('writes one row per result with the command, environment and compression ratio', () => {
    expect(md).toContain('Command: `npm run bench -- --family core` — 2026-11-24');
    expect(md).toContain('- **webgpu**: unavailable: no adapter');
    expect(md).toContain('| matvec | 4x4 | f32 | wasm | 1.235 | 1.000 | 3.14 |  |  | 20 |  |');
    expect(md).toContain('| 1.0 MiB (25.00 % of dense) | 20 | 0.41× the time of matvec 4x4 f32 |');
    // Errors stay in the table (escaped pipes), with no timing figures.
    expect(md).toContain('| gelu | 4x4 | f32 | webgpu |  |  |  |  |  |  | error: UNSUPPORTED: a \\| b |');
  });
});

describe('bench markdown ordering', () => {
  it('puts the backends of one case next to each other, cases in first-run order', () => {
    const r = (op: string, backend: 'wasm' | 'webgpu') => ({ family: 'f', op, shape: 's', dtype: 'f32', backend, runs: 1, medianMs: 1, minMs: 1 });
    const md = toMarkdown({ command: 'c', date: '2026-01-01', quick: true, environment: { userAgent: '', hardwareConcurrency: 1, backends: {} }, results: [r('a', 'wasm'), r('b', 'wasm'), r('a', 'webgpu'), r('b', 'webgpu')] });
    const rows = md.split('\n').filter((l) => /^\| [ab] /.test(l)).map((l) => l.split(' | ').slice(0, 4).join(' '));
    expect(rows).toEqual(['| a s f32 wasm', '| a s f32 webgpu', '| b s f32 wasm', '| b s f32 webgpu']);
  });

  it('keeps a case that one backend skipped in its declared place', () => {
    // reference skips 'big'; wasm runs a, big, c: 'big' belongs between a and c.
    const r = (op: string, backend: 'reference' | 'wasm') => ({ family: 'f', op, shape: 's', dtype: 'f32', backend, runs: 1, medianMs: 1, minMs: 1 });
    const md = toMarkdown({ command: 'c', date: '2026-01-01', quick: true, environment: { userAgent: '', hardwareConcurrency: 1, backends: {} }, results: [r('a', 'reference'), r('c', 'reference'), r('a', 'wasm'), r('big', 'wasm'), r('c', 'wasm')] });
    const ops = md.split('\n').filter((l) => /^\| (a|big|c) /.test(l)).map((l) => l.split(' | ').slice(0, 4).join(' '));
    expect(ops).toEqual(['| a s f32 reference', '| a s f32 wasm', '| big s f32 wasm', '| c s f32 reference', '| c s f32 wasm']);
  });
});
