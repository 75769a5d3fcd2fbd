/**
 * Fixture models on WebGPU inside the backend-host worker (test/browser/models.test.ts asserts on
 * the returned errors): full-sequence logits and the teacher-forced cached decode of each model,
 * fetched from the Vite dev server, against the Hugging Face golden files.
 */
import type { BackendName } from '../../../src/backends/backend.ts';
import type { CaseContext } from '../../../src/worker/backend-host.ts';
import { openModel } from '../../../src/engine/open-model.ts';

const ROOT = '/test/fixtures/models';

async function bytes(path: string): Promise<ArrayBuffer> {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`fetch ${path}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let e = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= e)) e = Number.isNaN(d) ? Infinity : d;
  }
  return e;
}

/**
 * Max |Δ| allowed on WebGPU for a fixture folder, from its manifest's `tolerance` (the pruned folders
 * give no WebGPU tolerance: their manifest notes say it is 50× the f32 one), clamped to [2e-4, 4e-4].
 * Used by test/browser/models.test.ts and bench/gpu/run.ts.
 */
export function webgpuAtol(tol: { suggested_atol_webgpu?: number; suggested_atol_float32_impl: number }): number {
  const t = tol.suggested_atol_webgpu ?? 50 * tol.suggested_atol_float32_impl;
  return Math.min(Math.max(t, 2e-4), 4e-4);
}

/** The fixture folders both suites run: dense (with forced decode) and 80 %-pruned (sparse linears). */
export const MODEL_DIRS = ['mamba-tiny', 'rwkv4-tiny', 'llama-gqa-tiny', 'mamba-tiny-pruned80', 'llama-gqa-tiny-pruned80'];

export interface ModelCaseResult {
  logits: number;
  forced: number;
  /** Rows of forced decoding compared. */
  steps: number;
}

/** For each folder: max |Δ| of prefill logits (seq17) and of the forced cached decode rows. */
export async function modelsVsGolden(args: { dirs: string[]; backend?: BackendName; steps?: number }, ctx: CaseContext): Promise<Record<string, ModelCaseResult>> {
  const b = await ctx.backend(args.backend ?? 'webgpu');
  const out: Record<string, ModelCaseResult> = {};
  for (const dir of args.dirs) {
    const base = `${ROOT}/${dir}`;
    const manifest = await (await fetch(`${base}/manifest.json`)).json();
    const files = new Map([
      ['config.json', await bytes(`${base}/config.json`)],
      ['model.safetensors', await bytes(`${base}/model.safetensors`)],
    ]);
    const { model } = await openModel(b, files, {}, base);
    try {
      const prompt: number[] = manifest.inputs.seq17.token_ids;
      const golden = new Float32Array(await bytes(`${base}/logits.seq17.bin`));
      const s1 = model.newState();
      const t = model.prefill(prompt, s1, { allLogits: true });
      const logits = maxAbs((await b.read(t)) as Float32Array, golden);
      b.free(t);
      s1.free();
      const V = model.vocabSize;
      if (!manifest.forced_decode) {
        out[dir] = { logits, forced: 0, steps: 0 };
        continue;
      }
      const forcedGolden = new Float32Array(await bytes(`${base}/forced.seq17.step_logits.bin`));
      const forcedIds: number[] = manifest.forced_decode.forced_token_ids;
      const steps = Math.min(args.steps ?? 4, forcedIds.length);
      const s2 = model.newState();
      const p = model.prefill(prompt, s2);
      let forced = maxAbs((await b.read(p)) as Float32Array, forcedGolden.subarray(0, V));
      b.free(p);
      for (let r = 1; r <= steps; r++) {
        const l = (await b.read(model.step(forcedIds[r - 1], s2))) as Float32Array;
        forced = Math.max(forced, maxAbs(l, forcedGolden.subarray(r * V, (r + 1) * V)));
      }
      s2.free();
      out[dir] = { logits, forced, steps };
    } finally {
      model.dispose();
    }
  }
  return out;
}
