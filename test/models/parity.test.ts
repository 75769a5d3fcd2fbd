/**
 * Hugging Face parity suite: every model folder of the fixture manifest tree (root from
 * SPARROW_MODEL_FIXTURES, default test/fixtures/models), on the reference and wasm backends:
 * full-sequence logits, hidden states / cache states, teacher-forced cached decode, greedy
 * continuations, every GGUF variant's golden logits and dequantized tensors. A folder or file kind
 * the suite cannot run is a failure, not a skip.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, BackendName } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { dequantize } from '../../src/formats/ggml-quants.ts';
import { openModel, type OpenedModel } from '../../src/cli/model-files.ts';
import { argmax } from '../../src/engine/sampling.ts';
import type { Llama, LlamaState } from '../../src/models/llama.ts';
import type { Mamba, MambaState } from '../../src/models/mamba.ts';
import type { Rwkv, RwkvState } from '../../src/models/rwkv.ts';
import { FIXTURE_ROOT, listFolders, maxAbs, planFolder, readF32, worstRatio, type Check, type FolderPlan } from './fixture-plan.ts';

const top = JSON.parse(readFileSync(join(FIXTURE_ROOT, 'manifest.json'), 'utf8')) as { models: Record<string, { dir: string; family: string }> };
const folders = listFolders();

describe('fixture tree', () => {
  it('every folder is in the top manifest and every manifest model has a folder', () => {
    expect(folders).toEqual(Object.values(top.models).map((m) => m.dir).sort());
  });
  for (const dir of folders) {
    it(`${dir}: every file is of a kind the suite runs`, () => {
      expect(planFolder(dir).unknownFiles).toEqual([]);
    });
  }
});

async function makeBackend(name: BackendName): Promise<Backend> {
  return name === 'reference' ? new ReferenceBackend() : await WasmBackend.create();
}

async function read(b: Backend, t: Parameters<Backend['read']>[0]): Promise<Float32Array> {
  return (await b.read(t)) as Float32Array;
}

/** Run one check against an opened model; returns the measured error (must be ≤ 1 for ratio checks). */
async function runCheck(plan: FolderPlan, om: OpenedModel, b: Backend, c: Check): Promise<void> {
  const m = om.model;
  const ids = (input: string) => plan.manifest.inputs[input].token_ids;
  const golden = readF32(join(plan.path, c.file));
  const atol = plan.atol;
  const V = m.vocabSize;
  const H = m.hiddenSize;
  const L = m.numLayers;
  const state = m.newState();
  try {
    switch (c.kind) {
      case 'logits': {
        const t = m.prefill(ids(c.input), state, { allLogits: true });
        const got = await read(b, t);
        b.free(t);
        expect(maxAbs(got, golden), c.file).toBeLessThanOrEqual(atol);
        return;
      }
      case 'hidden':
      case 'layer-outputs': {
        const tokens = ids(c.input);
        const n = tokens.length;
        const hs = (m as Llama | Mamba | Rwkv).hiddenStates(tokens, state as LlamaState & MambaState & RwkvState);
        const ours = await read(b, hs);
        b.free(hs);
        const slab = (i: number) => ours.subarray(i * n * H, (i + 1) * n * H);
        let want: number[];
        if (m.family === 'llama') {
          // ours: [emb, layer 0 … L−1, final norm]; HF hidden_states: [emb, layers 0 … L−2, final norm].
          want = c.kind === 'hidden' ? [...Array.from({ length: L }, (_, i) => i), L + 1] : Array.from({ length: L }, (_, i) => i + 1);
        } else {
          // ours: [block 0 … L−1, final norm] = HF's labels for mamba / rwkv.
          want = Array.from({ length: L + 1 }, (_, i) => i);
        }
        expect(golden.length, c.file).toBe(want.length * n * H);
        want.forEach((src, i) => expect(maxAbs(slab(src), golden.subarray(i * n * H, (i + 1) * n * H)), `${c.file} entry ${i}`).toBeLessThanOrEqual(atol));
        return;
      }
      case 'mamba-cache': {
        const lg = m.prefill(ids(c.input), state);
        b.free(lg);
        const s = state as MambaState;
        const got = await read(b, c.which === 'conv' ? s.conv[c.layer] : s.ssm[c.layer]);
        expect(maxAbs(got, golden), c.file).toBeLessThanOrEqual(atol);
        return;
      }
      case 'rwkv-state': {
        const lg = m.prefill(ids(c.input), state);
        b.free(lg);
        const s = state as RwkvState;
        // Golden layout [hidden, layers] (layer index last); index 0 ffn shift, 1 att shift, 2..4 num/den/max.
        for (let l = 0; l < L; l++) {
          const mine = c.index === 0 ? await read(b, s.ffnShift[l]) : c.index === 1 ? await read(b, s.attShift[l]) : (await read(b, s.wkv[l])).subarray((c.index - 2) * H, (c.index - 1) * H);
          const want = Float32Array.from({ length: H }, (_, h) => golden[h * L + l]);
          expect(worstRatio(mine, want, atol, 1e-4), `${c.file} layer ${l}`).toBeLessThanOrEqual(1);
        }
        return;
      }
      case 'greedy':
      case 'forced': {
        const rows = golden.length / V;
        const prompt = ids(c.input);
        const feed = c.kind === 'forced' ? plan.manifest.forced_decode!.forced_token_ids : plan.manifest.generation!.generated_token_ids;
        const lg = m.prefill(prompt, state);
        let logits = await read(b, lg);
        b.free(lg);
        const chosen: number[] = [];
        for (let r = 0; r < rows; r++) {
          expect(maxAbs(logits, golden.subarray(r * V, (r + 1) * V)), `${c.file} row ${r}`).toBeLessThanOrEqual(atol);
          if (c.kind === 'greedy') chosen.push(argmax(logits));
          if (r + 1 < rows) logits = await read(b, m.step(feed[r], state));
        }
        if (c.kind === 'greedy') expect(chosen).toEqual(feed.slice(0, rows));
        expect(state.position).toBe(prompt.length + rows - 1);
        return;
      }
      case 'dequant': {
        const g = await GgufFile.open(readFileSync(join(plan.path, `model.${c.variant}.gguf`)));
        const info = g.info(c.tensor);
        const got = dequantize(info.type, await g.raw(c.tensor), info.size);
        expect(maxAbs(got, golden), c.file).toBeLessThanOrEqual(1e-6);
        return;
      }
    }
  } finally {
    state.free();
  }
}

for (const backendName of ['reference', 'wasm'] as const) {
  describe(`parity on ${backendName}`, () => {
    for (const dir of folders) {
      const plan = planFolder(dir);
      const variants: (string | null)[] = [null, ...plan.ggufVariants];
      for (const variant of variants) {
        describe(variant ? `${dir} ${variant}.gguf` : dir, () => {
          let b: Backend;
          let om: OpenedModel;
          beforeAll(async () => {
            b = await makeBackend(backendName);
            om = await openModel(b, variant ? join(plan.path, `model.${variant}.gguf`) : plan.path);
          });
          afterAll(() => {
            om?.model.dispose();
            b?.dispose();
          });
          const checks = plan.checks.filter((c) => (c.kind === 'logits' ? c.variant === variant : variant === null));
          it('has checks to run', () => expect(checks.length).toBeGreaterThan(0));
          for (const c of checks) it(`${c.kind} ${c.file}`, () => runCheck(plan, om, b, c));
        });
      }
    }
  });
}

// The pruned folders once more with every sparse linear in word8, the wasm backend's smallest layout
// (`sparseLinears: 'size'`, docs/pruning.md): its values are exact f32, so every golden holds with
// the same tolerances.
describe('parity on wasm, pruned linears as word8', () => {
  for (const dir of folders.filter((d) => planFolder(d).manifest.pruning !== undefined)) {
    describe(dir, () => {
      const plan = planFolder(dir);
      let b: WasmBackend;
      let om: OpenedModel;
      beforeAll(async () => {
        b = await WasmBackend.create();
        const sparse = b.sparse.bind(b);
        b.sparse = (m) => sparse(m, 'word8');
        om = await openModel(b, plan.path, { sparseLinears: 'size' });
      });
      afterAll(() => {
        om?.model.dispose();
        b?.dispose();
      });
      it('its linears are word8', () => {
        const kinds = (om.model as unknown as { weights: { entries(): [string, { dtype: string }][] } }).weights.entries().filter(([, t]) => t.dtype === 'sparse').map(([, t]) => b.own('test', t as never).sparse!.kind);
        expect(kinds.length).toBeGreaterThan(0);
        expect(new Set(kinds)).toEqual(new Set(['word8']));
      });
      for (const c of plan.checks.filter((c) => c.kind !== 'logits' || c.variant === null)) it(`${c.kind} ${c.file}`, () => runCheck(plan, om, b, c));
    });
  }
});
