/**
 * Sparrow's WGSL on a real GPU, through Node + Dawn (the `webgpu` npm package) instead of a browser:
 * the lent NVIDIA machine has no browser and no Node install (../shared/gpu/README.md).
 *
 * 1. Checks: the same case functions the browser suites run in their worker (test/browser/cases/*.ts),
 *    with the same tolerances, on this GPU: fixture models vs the Hugging Face goldens (dense and
 *    80 %-pruned), BF16 twins, quantized kernels vs the f64 oracle, sequence ops, sparse attention
 *    (every golden fixture + random inputs), the micro model, a >65535-workgroup grid.
 * 2. Bench: every bench/cases/*.ts case on the listed backends with the browser bench's timing loop
 *    (bench/timing.ts), written as <out>/gpu-<name>.json + .md like bench/results/*.
 *
 * Build once here: `npm run gpu:build` (→ dist/gpu/bench/run.mjs; WGSL inlined, `webgpu` left external).
 * On the GPU machine (carry .gpu, dist, build), from the repo root:
 *   source .gpu/gpu-env.sh && node dist/gpu/bench/run.mjs --out $OUT
 * Here, on SwiftShader (slow; a smoke pass):
 *   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node dist/gpu/bench/run.mjs --quick --family core --op add
 * 3. Profile (--profile 'op:dtype', repeatable): one step of that bench case kernel by kernel
 *    (bench/gpu/profile.ts), written as <out>/gpu-profile.json.
 * Options: --checks none / --bench none (skip a part), --checks micro,quant (only checks whose name contains one), --family/--op filters, --backend webgpu,wasm, --quick, --name.
 * Exit code 1 when a check fails.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { create, globals } from 'webgpu';
import type { Backend, BackendName } from '../../src/backends/backend.ts';
import type { CaseContext } from '../../src/worker/backend-host.ts';
import * as attentionCases from '../../test/browser/cases/attention.ts';
import { BF16_REL_TOL, bf16Twins } from '../../test/browser/cases/bf16-models.ts';
import { MICRO_TOL, microVsTs } from '../../test/browser/cases/micro.ts';
import { MODEL_DIRS, modelsVsGolden, webgpuAtol } from '../../test/browser/cases/models.ts';
import { QUANT_CASES, QUANT_TOL, quantSuite } from '../../test/browser/cases/quant.ts';
import { sequenceTol, sequenceVsReference } from '../../test/browser/cases/sequence.ts';
import { bigElementwise } from '../../test/browser/cases/webgpu-grid.ts';
import * as attentionBench from '../cases/attention.ts';
import * as coreBench from '../cases/core.ts';
import * as modelsBench from '../cases/models.ts';
import * as quantBench from '../cases/quant.ts';
import * as sequenceBench from '../cases/sequence.ts';
import type { BenchCase } from '../cases/types.ts';
import type { BenchEnvironment } from '../messages.ts';
import { toMarkdown, type BenchReport } from '../report.ts';
import { createBackend, describe, message, selectCases, timeCase } from '../timing.ts';
import { WebGpuBackend } from '../../src/backends/webgpu/backend.ts';
import { formatProfile, profileStep, type StepProfile } from './profile.ts';

const { values } = parseArgs({
  options: {
    checks: { type: 'string', default: 'all' },
    bench: { type: 'string', default: 'all' },
    /** Kernel-by-kernel profile of bench cases, as 'op:dtype' (e.g. 'decode smollm2-135m-random:q8_0'); repeatable. */
    profile: { type: 'string', multiple: true, default: [] },
    family: { type: 'string', multiple: true, default: [] },
    op: { type: 'string', multiple: true, default: [] },
    backend: { type: 'string', default: 'webgpu' },
    quick: { type: 'boolean', default: false },
    name: { type: 'string' },
    out: { type: 'string', default: 'bench/results' },
  },
});
const split = (xs: string[]) => xs.flatMap((x) => x.split(',')).map((s) => s.trim()).filter(Boolean);
const ROOT = process.cwd();
/** Sparse-attention golden cases: the same variable as test/browser/attention-fixtures.test.ts. */
const ATTENTION_FIXTURES = process.env.SPARROW_ATTENTION_FIXTURES || 'test/fixtures/sparse-attention';

// Dawn as navigator.gpu (Node 20 has no navigator global).
Object.assign(globalThis, globals);
const gpu = create([]);
if (!globalThis.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true });
Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
Object.defineProperty(globalThis.navigator, 'hardwareConcurrency', { value: cpus().length, configurable: true });

// The cases fetch fixtures by root-relative URL ('/test/fixtures/…'), as from the Vite dev server,
// and files outside the project as '/@fs/<absolute path>' (Vite's spelling too).
const nodeFetch = globalThis.fetch;
globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (!url.startsWith('/')) return nodeFetch(input, init);
  try {
    const path = decodeURIComponent(url);
    return new Response(readFileSync(path.startsWith('/@fs/') ? path.slice(4) : join(ROOT, path)));
  } catch {
    return new Response(null, { status: 404 });
  }
}) as typeof fetch;

const backends = new Map<BackendName, Promise<Backend>>();
const ctx: CaseContext = {
  backend(name) {
    if (!backends.has(name)) backends.set(name, createBackend(name).then((c) => c.backend));
    return backends.get(name)!;
  },
};

interface Check {
  name: string;
  /** The case's worst error against its tolerance: ok, figure, and a line for the log. */
  run(): Promise<{ ok: boolean; worst: number; tol: number; detail?: string }>;
}
const worstOf = (xs: number[]) => xs.reduce((a, b) => (Number.isNaN(b) || b > a ? b : a), 0);

const CHECKS: Check[] = [
  {
    name: 'models vs HF goldens (prefill logits + 4 forced decode steps)',
    async run() {
      const r = await modelsVsGolden({ dirs: MODEL_DIRS, steps: 4 }, ctx);
      const rows = MODEL_DIRS.map((d) => {
        const tol = webgpuAtol(JSON.parse(readFileSync(join(ROOT, 'test/fixtures/models', d, 'manifest.json'), 'utf8')).tolerance);
        const e = Math.max(r[d].logits, r[d].forced);
        return { d, e, tol, ok: e <= tol && r[d].steps === (d.endsWith('pruned80') ? 0 : 4) };
      });
      return { ok: rows.every((x) => x.ok), worst: worstOf(rows.map((x) => x.e / x.tol)), tol: 1, detail: rows.map((x) => `${x.d} ${x.e.toExponential(2)}/${x.tol.toExponential(0)}`).join(', ') + ' (worst shown as error/tolerance)' };
    },
  },
  {
    name: 'BF16 twins (logits vs the same values as F32)',
    async run() {
      const dirs = ['mamba-tiny', 'rwkv4-tiny', 'llama-gqa-tiny'];
      const r = await bf16Twins({ dirs }, ctx);
      const worst = worstOf(dirs.map((d) => r[d].relDiff));
      const mem = dirs.every((d) => r[d].bf16Bytes / r[d].f32Bytes < 0.6);
      return { ok: worst < BF16_REL_TOL && mem, worst, tol: BF16_REL_TOL };
    },
  },
  {
    name: 'quantized matvec/matmul (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, IQ4_XS, IQ3_XXS, IQ3_S, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_S, IQ1_M, Q2_K…Q6_K) vs f64 oracle',
    async run() {
      const r = await quantSuite({ backend: 'webgpu' }, ctx);
      const worst = worstOf(r.map((x) => x.tested));
      return { ok: r.length === QUANT_CASES && worst < QUANT_TOL.webgpu, worst, tol: QUANT_TOL.webgpu };
    },
  },
  {
    name: 'sequence ops (conv, selective scan, WKV, delta rule, ternary) vs reference',
    async run() {
      const r = await sequenceVsReference({}, ctx);
      const bad = Object.entries(r).filter(([n, e]) => !(e < sequenceTol(n)));
      return { ok: bad.length === 0 && Object.keys(r).length > 30, worst: worstOf(Object.values(r)), tol: 3e-5, detail: bad.length ? `failing: ${bad.map(([n, e]) => `${n} ${e}`).join('; ')}` : undefined };
    },
  },
  {
    name: 'sparse attention: every golden fixture',
    async run() {
      const m = JSON.parse(readFileSync(join(ATTENTION_FIXTURES, 'manifest.json'), 'utf8'));
      const tol = m.suggested_tolerance;
      const abs = resolve(ATTENTION_FIXTURES);
      const base = abs.startsWith(ROOT + '/') ? `/${abs.slice(ROOT.length + 1)}/` : `/@fs${abs}/`;
      const { ids, results } = await attentionCases.fixtures({ backend: 'webgpu', base }, ctx);
      const bad = results.filter((r) => r.error || !(r.maxAbs <= tol.webgpu_f32_atol) || (r.salienceMaxAbs !== undefined && !(r.salienceMaxAbs <= tol.salience_atol)) || (r.maskMismatches ?? 0) > 0);
      const ok = bad.length === 0 && ids.length === m.cases.length && results.length === ids.length;
      return { ok, worst: worstOf(results.map((r) => r.maxAbs)), tol: tol.webgpu_f32_atol, detail: `${results.length} cases${bad.length ? `; failing: ${bad.map((r) => r.id).join(', ')}` : ''}` };
    },
  },
  {
    name: 'sparse attention: random inputs vs reference, decode rows, cached dense',
    async run() {
      const tol = JSON.parse(readFileSync(join(ATTENTION_FIXTURES, 'manifest.json'), 'utf8')).suggested_tolerance.webgpu_f32_atol;
      const r = await attentionCases.random({ backend: 'webgpu', tol }, ctx);
      const bad = r.filter((x) => !(x.maxAbs <= x.tol));
      return { ok: r.length > 40 && bad.length === 0, worst: worstOf(r.map((x) => x.maxAbs)), tol, detail: `${r.length} cases` };
    },
  },
  {
    name: 'micro model (attention + delta-rule memory) vs fused TS step',
    async run() {
      const r = await microVsTs({ backend: 'webgpu' }, ctx);
      return { ok: r.tokens === 16 && r.maxErr < MICRO_TOL, worst: r.maxErr, tol: MICRO_TOL };
    },
  },
  {
    name: 'elementwise over a >65535-workgroup (2-D) grid, 64 Mi elements',
    async run() {
      const r = await bigElementwise({ n: 256 * 262144 + 302 }, ctx);
      return { ok: r.wrong === 0, worst: r.wrong, tol: 0 };
    },
  },
];

async function runChecks(): Promise<{ name: string; ok: boolean; worst: number; tol: number; detail?: string; error?: string; seconds: number }[]> {
  const out = [];
  const only = values.checks === 'all' ? [] : split([values.checks]);
  for (const c of CHECKS.filter((x) => !only.length || only.some((o) => x.name.includes(o)))) {
    const t0 = performance.now();
    try {
      const r = await c.run();
      const seconds = (performance.now() - t0) / 1000;
      console.log(`${r.ok ? 'PASS' : 'FAIL'} ${c.name}: worst ${r.worst.toExponential(2)} (tolerance ${r.tol.toExponential(0)}), ${seconds.toFixed(1)} s${r.detail ? `\n     ${r.detail}` : ''}`);
      out.push({ name: c.name, ...r, seconds });
    } catch (e) {
      const seconds = (performance.now() - t0) / 1000;
      console.log(`FAIL ${c.name}: threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      out.push({ name: c.name, ok: false, worst: NaN, tol: NaN, error: message(e), seconds });
    }
  }
  return out;
}

/** Every bench/cases/*.ts case (the browser worker finds them with import.meta.glob; a bundle lists them). */
async function allCases(): Promise<BenchCase[]> {
  const out: BenchCase[] = [];
  for (const mod of [coreBench, quantBench, sequenceBench, attentionBench, modelsBench]) out.push(...(await mod.cases()));
  return out;
}

/** Runs the bench cases, rewriting `save`'s files after every result so a run cut short keeps what it measured. */
async function runBench(save: (r: BenchReport) => void): Promise<BenchReport> {
  const families = split(values.family);
  const ops = split(values.op);
  const wanted = split([values.backend]) as BackendName[];
  const cases = selectCases(await allCases(), families, ops);
  const environment: BenchEnvironment = { userAgent: `node ${process.version} + Dawn (webgpu npm)`, hardwareConcurrency: cpus().length, backends: {} };
  // the bundle that ran (a side-by-side run alternates two builds), then its arguments, quoted where needed
  const quote = (a: string) => (/^[\w./:=,@+-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);
  const command = ['node', relative(ROOT, resolve(process.argv[1])), ...process.argv.slice(2)].map(quote).join(' ');
  const report: BenchReport = { command, date: new Date().toISOString(), quick: values.quick, environment, results: [] };
  for (const name of wanted) {
    const mine = cases.filter((c) => c.backends.includes(name));
    const created = await createBackend(name);
    environment.backends[name] = created.info;
    console.log(`${name}: ${created.info} — ${mine.length} cases`);
    for (const c of mine) {
      const r = await timeCase(c, created.backend, values.quick);
      report.results.push(r);
      console.log(describe(r));
      save(report);
    }
    created.backend.dispose();
  }
  return report;
}

const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
console.log(`adapter: ${adapter ? `${adapter.info.vendor} / ${adapter.info.architecture} (${adapter.info.description})` : 'none'}`);
let failed = 0;
const outDir = resolve(values.out);
mkdirSync(outDir, { recursive: true });
if (values.checks !== 'none') {
  const checks = await runChecks();
  failed = checks.filter((c) => !c.ok).length;
  writeFileSync(join(outDir, 'gpu-checks.json'), JSON.stringify({ adapter: adapter?.info.description, date: new Date().toISOString(), checks }, null, 2) + '\n');
  console.log(`checks: ${checks.length - failed}/${checks.length} pass`);
  for (const b of backends.values()) (await b).dispose();
  backends.clear();
}
if (values.profile.length) {
  const b = await WebGpuBackend.create();
  const all = await allCases();
  const profiles: StepProfile[] = [];
  for (const spec of values.profile) {
    const i = spec.lastIndexOf(':');
    const [op, dtype] = i < 0 ? [spec, undefined] : [spec.slice(0, i), spec.slice(i + 1)];
    const c = all.find((x) => x.op === op && (dtype === undefined || x.dtype === dtype) && x.backends.includes('webgpu'));
    if (!c) throw new Error(`--profile ${spec}: no webgpu bench case with op '${op}'${dtype ? ` and dtype ${dtype}` : ''}`);
    const p = await profileStep(b, c, values.quick ? { warm: 1, steps: 3, repeats: 3 } : {});
    console.log(formatProfile(p));
    profiles.push(p);
  }
  writeFileSync(join(outDir, 'gpu-profile.json'), JSON.stringify({ adapter: adapter?.info.description, date: new Date().toISOString(), profiles }, null, 2) + '\n');
  b.dispose();
}
if (values.bench !== 'none') {
  const name = `gpu-${(values.name ?? [split(values.family).join('+') || 'all', values.backend.replace(/,/g, '+'), values.quick ? 'quick' : ''].filter(Boolean).join('-')).replace(/[^\w+.-]/g, '_')}`;
  const save = (r: BenchReport) => {
    writeFileSync(join(outDir, `${name}.json`), JSON.stringify(r, null, 2) + '\n');
    writeFileSync(join(outDir, `${name}.md`), toMarkdown(r));
  };
  const report = await runBench(save);
  save(report);
  console.log(`bench: ${report.results.length} results (${report.results.filter((r) => r.error).length} errors) → ${outDir}/${name}.json, .md`);
}
process.exit(failed ? 1 : 0);
