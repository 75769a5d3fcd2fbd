import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const out = mkdtempSync(join(tmpdir(), 'sparrow-nab-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run nab on two files (full corpus runs are not part of npm test)', () => {
  it('writes NAB results layout with the data rows, full-precision scores and window labels, and scores them', () => {
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/nab.ts', '--out', out, '--files', 'art_daily_jumpsup,art_daily_no_noise'], { stdio: 'pipe' });
    const res = readFileSync(join(out, 'sparrow/artificialWithAnomaly/sparrow_art_daily_jumpsup.csv'), 'utf8').trim().split('\n');
    const data = readFileSync('data/nab/data/artificialWithAnomaly/art_daily_jumpsup.csv', 'utf8').trim().split('\n');
    expect(res[0]).toBe('timestamp,value,anomaly_score,label');
    expect(res.length).toBe(data.length);
    const rows = res.slice(1).map((l) => l.split(','));
    rows.forEach((r, i) => expect(`${r[0]},${r[1]}`).toBe(data[i + 1]));
    const scores = rows.map((r) => Number(r[2]));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    // the window (2014-04-10 16:15 … 2014-04-12 01:45) is labelled 1, everything else 0
    const labelled = rows.filter((r) => r[3] === '1').map((r) => r[0]);
    expect(labelled[0]).toBe('2014-04-10 16:15:00');
    expect(labelled[labelled.length - 1]).toBe('2014-04-12 01:45:00');
    expect(labelled.length).toBe(403);
    const score = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/nab-score.ts', '--results', out, '--partial', '--out', join(out, 'score.json')], { encoding: 'utf8' });
    expect(score).toContain('standard');
    const report = JSON.parse(readFileSync(join(out, 'score.json'), 'utf8')) as Record<string, Array<{ profile: string; normalized: number; perfectScore: number }>>;
    const std = report.sparrow.find((r) => r.profile === 'standard')!;
    expect(std.perfectScore).toBeCloseTo(1, 9); // one window in this two-file subset
    expect(std.normalized).toBeGreaterThanOrEqual(0);
    expect(std.normalized).toBeLessThanOrEqual(100);
  }, 120_000);

  it('empty files, blank/NaN/inf cells and out-of-order timestamps give header-only or 0 scores, never a crash', () => {
    const data = join(out, 'edge-data', 'cat');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'zero.csv'), '');
    writeFileSync(join(data, 'empty.csv'), 'timestamp,value\n');
    writeFileSync(join(data, 'weird.csv'), 'timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:10:00,\n2013-12-31 00:00:00,nan\n2014-01-01 00:20:00,1e308\n2014-01-01 00:20:00,-inf\n');
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/nab.ts', '--data', join(out, 'edge-data'), '--labels', join(out, 'none.json'), '--out', join(out, 'edge')], { stdio: 'pipe' });
    const read = (f: string) => readFileSync(join(out, 'edge/sparrow/cat', `sparrow_${f}`), 'utf8').trim().split('\n');
    expect(read('zero.csv')).toEqual(['timestamp,value,anomaly_score,label']);
    expect(read('empty.csv')).toEqual(['timestamp,value,anomaly_score,label']);
    const rows = read('weird.csv').slice(1).map((l) => l.split(','));
    expect(rows.map((r) => r[1])).toEqual(['1', '', 'nan', '1e308', '-inf']);
    expect(rows.every((r) => Number(r[2]) === 0 && r[3] === '0')).toBe(true);
  }, 120_000);
});
