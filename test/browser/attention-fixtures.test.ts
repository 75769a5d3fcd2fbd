/**
 * Sparse-attention golden fixtures on WebGPU (SwiftShader in headless Chromium): EVERY manifest
 * case, atol from the manifest (webgpu_f32_atol, 1e-5); a case kind the runner does not know fails.
 * Plus random-input webgpu-vs-reference checks and a typed error through the worker.
 * Fixtures: $SPARROW_ATTENTION_FIXTURES or test/fixtures/sparse-attention (served by the dev server).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserHarness } from '../helpers/browser.ts';
import type { CaseResult, Manifest } from '../kernels/attention-fixture-runner.ts';
import type { RandomResult } from '../kernels/attention-random-cases.ts';

const dir = process.env.SPARROW_ATTENTION_FIXTURES || 'test/fixtures/sparse-attention';
const abs = resolve(dir);
const root = resolve(import.meta.dirname, '../..');
// Inside the project the dev server serves the folder by path; outside it, through /@fs/.
const base = abs.startsWith(root + '/') ? `/${abs.slice(root.length + 1)}/` : `/@fs${isAbsolute(abs) ? abs : resolve(abs)}/`;
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest & {
  suggested_tolerance: { webgpu_f32_atol: number; salience_atol: number };
};
const atol = manifest.suggested_tolerance.webgpu_f32_atol;
const CASES = '/test/browser/cases/attention.ts';

let h: BrowserHarness;
let run: { ids: string[]; results: CaseResult[] };
beforeAll(async () => {
  h = await openBrowser();
  await h.host.init('webgpu');
  run = (await h.host.runCase(CASES, 'fixtures', { backend: 'webgpu', base })) as typeof run;
}, 300_000);
afterAll(() => h?.close());

describe(`attention fixtures on webgpu (atol ${atol})`, () => {
  it('ran every case of the manifest', () => {
    expect(run.ids).toEqual(manifest.cases.map((c) => c.id));
    expect(run.results.map((r) => r.id)).toEqual(run.ids);
  });
  for (const c of manifest.cases) {
    it(`${c.id} ${c.kind}`, () => {
      const r = run.results.find((x) => x.id === c.id)!;
      if (process.env.SPARROW_VERBOSE) console.log(r);
      expect(r.error).toBeUndefined();
      expect(r.maxAbs).toBeLessThanOrEqual(atol);
      if (c.gate) {
        expect(r.salienceMaxAbs).toBeLessThanOrEqual(manifest.suggested_tolerance.salience_atol);
        expect(r.maskMismatches).toBe(0);
      }
    });
  }
});

describe('attention on webgpu beyond the fixtures', () => {
  it('random inputs: webgpu vs reference, decode == forward rows, cached dense', async () => {
    const res = (await h.host.runCase(CASES, 'random', { backend: 'webgpu', tol: atol })) as RandomResult[];
    if (process.env.SPARROW_VERBOSE) console.log(res);
    expect(res.length).toBeGreaterThan(40);
    expect(res.filter((r) => !(r.maxAbs <= r.tol))).toEqual([]);
  }, 300_000);

  it('a bad call throws the same typed error as the reference', async () => {
    const [gpu, ref] = (await h.host.runCase(CASES, 'errors', { backend: 'webgpu' })) as Array<[string, string]>;
    expect(gpu[0]).toBe('SHAPE_MISMATCH');
    expect(gpu).toEqual(ref);
  }, 60_000);
});

// Chromium runs the relaxed-SIMD wasm build, whose tiled sparse kernel fuses its multiply-adds
// (assembly/relaxed.ts fmadd): Node only ever runs the plain build, so this is its fixture check.
describe('attention on wasm in Chromium (the relaxed-SIMD build)', () => {
  const cpuAtol = (manifest.suggested_tolerance as unknown as { cpu_f32_or_f64_reimplementation_atol: number }).cpu_f32_or_f64_reimplementation_atol;
  it(`every fixture case within the CPU atol (${cpuAtol}); random inputs vs reference`, async () => {
    const w = (await h.host.runCase(CASES, 'fixtures', { backend: 'wasm', base })) as typeof run;
    expect(w.results.map((r) => r.id)).toEqual(manifest.cases.map((c) => c.id));
    const bad = w.results.filter((r) => r.error !== undefined || !(r.maxAbs <= cpuAtol) || (r.maskMismatches ?? 0) > 0);
    expect(bad).toEqual([]);
    const res = (await h.host.runCase(CASES, 'random', { backend: 'wasm', tol: cpuAtol })) as RandomResult[];
    expect(res.length).toBeGreaterThan(40);
    expect(res.filter((r) => !(r.maxAbs <= r.tol))).toEqual([]);
  }, 300_000);
});
