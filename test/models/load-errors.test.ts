/** Bad checkpoints and bad inputs fail with typed SparrowErrors and leave nothing allocated. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { SafetensorsFile, writeSafetensors } from '../../src/formats/safetensors.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { loadSafetensorsModel } from '../../src/models/load.ts';
import { openModelFiles } from '../../src/engine/open-model.ts';
import { GgufWeights } from '../../src/models/gguf-weights.ts';
import type { ErrorCode } from '../../src/errors.ts';

const ROOT = 'test/fixtures/models';

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<ErrorCode | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return (e as { code?: ErrorCode }).code;
  }
  return undefined;
}

/** The folder's safetensors with some tensors dropped or replaced. */
function edited(dir: string, drop: string[], replace: Record<string, { shape: number[]; data: Float32Array }> = {}): Uint8Array {
  const st = SafetensorsFile.openSync(readFileSync(join(ROOT, dir, 'model.safetensors')));
  const out = st.names().filter((n) => !drop.includes(n)).map((name) => (replace[name] ? { name, dtype: 'F32' as const, ...replace[name] } : { name, dtype: 'F32' as const, shape: st.info(name).shape, data: st.f32Sync(name) }));
  return writeSafetensors(out);
}

const config = (dir: string) => readFileSync(join(ROOT, dir, 'config.json'), 'utf8');

describe('loading errors', () => {
  for (const [dir, missing] of [['llama-gqa-tiny', 'model.layers.1.mlp.up_proj.weight'], ['mamba-tiny', 'backbone.layers.1.mixer.D'], ['rwkv4-tiny', 'rwkv.blocks.1.attention.time_first']]) {
    it(`${dir}: a missing tensor is TENSOR_MISSING and frees what was uploaded`, async () => {
      const b = new ReferenceBackend();
      expect(await codeOf(loadSafetensorsModel(b, config(dir), edited(dir, [missing])))).toBe('TENSOR_MISSING');
      expect(b.memoryBytes()).toBe(0);
    });
  }

  it('a tensor whose shape disagrees with config.json is SHAPE_MISMATCH', async () => {
    const b = new ReferenceBackend();
    const bad = edited('llama-gqa-tiny', [], { 'model.layers.0.self_attn.k_proj.weight': { shape: [64, 64], data: new Float32Array(64 * 64) } });
    let msg = '';
    try {
      await loadSafetensorsModel(b, config('llama-gqa-tiny'), bad);
    } catch (e) {
      msg = (e as Error).message;
      expect((e as { code: string }).code).toBe('SHAPE_MISMATCH');
    }
    expect(msg).toMatch(/k_proj\.weight.*\[64, 64\].*\[32, 64\]/);
    expect(b.memoryBytes()).toBe(0);
  });

  it('an untied model without its head is TENSOR_MISSING; unknown families are UNSUPPORTED', async () => {
    const b = new ReferenceBackend();
    expect(await codeOf(loadSafetensorsModel(b, config('rwkv4-tiny'), edited('rwkv4-tiny', ['head.weight'])))).toBe('TENSOR_MISSING');
    expect(await codeOf(loadSafetensorsModel(b, JSON.stringify({ model_type: 'gpt2' }), edited('rwkv4-tiny', [])))).toBe('UNSUPPORTED');
    expect(await codeOf(loadSafetensorsModel(b, config('mamba-tiny'), new Uint8Array(4)))).toBe('FORMAT_INVALID');
  });

  it('openModelFiles needs config.json + model.safetensors or exactly one .gguf', async () => {
    const cfg = readFileSync(join(ROOT, 'mamba-tiny', 'config.json'));
    expect(await codeOf(openModelFiles(new Map([['config.json', cfg]])))).toBe('TENSOR_MISSING');
    const g = readFileSync(join(ROOT, 'llama-gqa-tiny', 'model.F32.gguf'));
    expect(await codeOf(openModelFiles(new Map([['a.gguf', g], ['b.gguf', g]])))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(openModelFiles(new Map([['config.json', new TextEncoder().encode('{oops')], ['model.safetensors', readFileSync(join(ROOT, 'mamba-tiny', 'model.safetensors'))]])))).toBe('FORMAT_INVALID');
    const ok = await openModelFiles(new Map([['x.gguf', new Blob([new Uint8Array(g)])]]));
    expect(ok.config.family).toBe('llama');
    expect(ok.tokenizer?.encode('A')).toEqual([65]);
  });

  it('a GGUF of another architecture is UNSUPPORTED', async () => {
    const g = await GgufFile.open(readFileSync(join(ROOT, 'llama-gqa-tiny', 'model.F32.gguf')));
    const fake = Object.assign(Object.create(Object.getPrototypeOf(g)), g, { get: (k: string) => (k === 'general.architecture' ? 'falcon' : g.get(k)) });
    expect(await codeOf(() => new GgufWeights(fake))).toBe('UNSUPPORTED');
  });
});

describe('run-time errors', () => {
  for (const dir of ['llama-gqa-tiny', 'mamba-tiny', 'rwkv4-tiny']) {
    it(`${dir}: token ids outside the vocabulary are INDEX_OUT_OF_RANGE and leave the state untouched`, async () => {
      const b = new ReferenceBackend();
      const m = await loadSafetensorsModel(b, config(dir), readFileSync(join(ROOT, dir, 'model.safetensors')));
      const s = m.newState();
      expect(await codeOf(() => m.prefill([1, 256, 2], s))).toBe('INDEX_OUT_OF_RANGE');
      expect(await codeOf(() => m.step(-1, s))).toBe('INDEX_OUT_OF_RANGE');
      expect(await codeOf(() => m.prefill([], s))).toBe('INVALID_ARGUMENT');
      expect(s.position).toBe(0);
      // Still usable afterwards, and prefill == a fresh state's prefill.
      const a = (await b.read(m.prefill([5, 6], s))) as Float32Array;
      const s2 = m.newState();
      expect([...((await b.read(m.prefill([5, 6], s2))) as Float32Array)]).toEqual([...a]);
    });
  }
});
