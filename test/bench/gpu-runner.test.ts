/**
 * The real-GPU runner (bench/gpu/run.ts) bundled as it is carried to a lent GPU machine, run here on
 * Dawn's SwiftShader adapter (CPU Vulkan, the Chromium package's ICD): one check and a quick bench
 * pass on webgpu and wasm must come out right, and a step profile must find the one dispatch of an
 * add, so the bundle cannot rot between GPU sessions.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StepProfile } from '../../bench/gpu/profile.ts';
import type { BenchReport } from '../../bench/report.ts';

const out = mkdtempSync(join(tmpdir(), 'sparrow-gpu-runner-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('bench/gpu/run.ts bundle on SwiftShader', () => {
  it('bundles, passes the micro-model check, times add on webgpu and wasm, and profiles a step', () => {
    execFileSync(process.execPath, ['bench/gpu/build.mjs'], { stdio: 'pipe' });
    const log = execFileSync(process.execPath, ['dist/gpu/bench/run.mjs', '--checks', 'micro', '--quick', '--family', 'core', '--op', 'add', '--backend', 'webgpu,wasm', '--profile', 'add:f32', '--out', out], {
      env: { ...process.env, VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(log).toContain('adapter: google / swiftshader');
    expect(log).toMatch(/PASS micro model/);
    const checks = JSON.parse(readFileSync(join(out, 'gpu-checks.json'), 'utf8')) as { checks: { ok: boolean; worst: number; tol: number }[] };
    expect(checks.checks).toHaveLength(1);
    expect(checks.checks[0].ok).toBe(true);
    expect(checks.checks[0].worst).toBeLessThan(checks.checks[0].tol);
    const report = JSON.parse(readFileSync(join(out, 'gpu-core-webgpu+wasm-quick.json'), 'utf8')) as BenchReport;
    expect(report.results.map((r) => `${r.backend} ${r.shape}`)).toEqual(['webgpu 1x4096', 'webgpu 16x4096', 'webgpu 256x4096', 'wasm 1x4096', 'wasm 16x4096', 'wasm 256x4096']);
    for (const r of report.results) {
      expect(r.error, `${r.backend} ${r.shape}`).toBeUndefined();
      expect(r.medianMs).toBeGreaterThan(0);
    }
    expect(report.environment.backends.webgpu).toContain('swiftshader');
    // one add = one dispatch of the binary kernel, replayed on its own
    const prof = JSON.parse(readFileSync(join(out, 'gpu-profile.json'), 'utf8')) as { profiles: StepProfile[] };
    expect(prof.profiles.map((p) => [p.case, p.dispatches, p.kernels.map((k) => [k.entry, k.dispatches])])).toEqual([['core/add f32', 1, [['binary', 1]]]]);
    expect(prof.profiles[0].stepMs).toBeGreaterThan(0);
    expect(prof.profiles[0].kernels[0].recordMs).toBeGreaterThan(0);
  }, 180_000);
});
