/** Llama variants: f16 KV cache, sparse (window + log-stride + landmark) attention, capacity limits. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { isSparrowError } from '../../src/errors.ts';
import { loadSafetensorsModel, type LoadOptions } from '../../src/models/load.ts';
import { Llama } from '../../src/models/llama.ts';
import { SafetensorsWeights, type WeightFile } from '../../src/models/weights.ts';
import { SafetensorsFile } from '../../src/formats/safetensors.ts';
import { parseHfConfig, type LlamaConfig } from '../../src/formats/hf-config.ts';
import { toF16Bits } from '../../src/util/f16.ts';
import { openModel } from '../../src/engine/open-model.ts';
import { maxAbs, readF32 } from './fixture-plan.ts';

const DIR = 'test/fixtures/models/llama-gqa-tiny';
const man = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8'));
const seq17: number[] = man.inputs.seq17.token_ids;
const seq64: number[] = man.inputs.seq64.token_ids;
const forcedIds: number[] = man.forced_decode.forced_token_ids;
const golden17 = readF32(join(DIR, 'logits.seq17.bin'));
const golden64 = readF32(join(DIR, 'logits.seq64.bin'));
const seq300: number[] = man.inputs.seq300.token_ids;
const golden300 = readF32(join(DIR, 'logits.seq300.bin'));
const forcedGolden = readF32(join(DIR, 'forced.seq17.step_logits.bin'));
const V = 256;

const load = (b: Backend, o: LoadOptions) => loadSafetensorsModel(b, readFileSync(join(DIR, 'config.json'), 'utf8'), readFileSync(join(DIR, 'model.safetensors')), o);

async function allLogits(b: Backend, o: LoadOptions, tokens: number[]): Promise<Float32Array> {
  const m = await load(b, o);
  const s = m.newState();
  const t = m.prefill(tokens, s, { allLogits: true });
  const r = (await b.read(t)) as Float32Array;
  m.dispose();
  return r;
}

/** Logits of every position, computed one decode step at a time through the cache. */
async function stepLogits(b: Backend, o: LoadOptions, tokens: number[]): Promise<Float32Array> {
  const m = await load(b, o);
  const s = m.newState();
  const out = new Float32Array(tokens.length * V);
  const first = m.prefill(tokens.slice(0, 1), s);
  out.set((await b.read(first)) as Float32Array, 0);
  b.free(first);
  for (let i = 1; i < tokens.length; i++) out.set((await b.read(m.step(tokens[i], s))) as Float32Array, i * V);
  m.dispose();
  return out;
}

for (const make of [async () => new ReferenceBackend() as Backend, () => WasmBackend.create() as Promise<Backend>]) {
  describe('llama options', async () => {
    const b = await make();
    it(`${b.name}: an f16 KV cache stays within f16 rounding of the goldens (k, v rounded to 2^-11 relative; measured 2.3e-3), prefill and decode`, async () => {
      expect(maxAbs(await allLogits(b, { kvDtype: 'f16' }, seq17), golden17)).toBeLessThan(5e-3);
      const m = await load(b, { kvDtype: 'f16' });
      const s = m.newState();
      const p = m.prefill(seq17, s);
      let e = maxAbs((await b.read(p)) as Float32Array, forcedGolden.subarray(0, V));
      for (let r = 1; r <= 8; r++) e = Math.max(e, maxAbs((await b.read(m.step(forcedIds[r - 1], s))) as Float32Array, forcedGolden.subarray(r * V, (r + 1) * V)));
      expect(e).toBeLessThan(5e-3);
      expect(e).toBeGreaterThan(0);
      m.dispose();
    });

    it(`${b.name}: sparse attention whose window covers the sequence (no landmarks) equals dense attention`, async () => {
      const o: LoadOptions = { attention: 'sparse', sparse: { window: 128, useLandmarks: false } };
      expect(maxAbs(await allLogits(b, o, seq64), golden64)).toBeLessThanOrEqual(5e-5);
      expect(maxAbs(await stepLogits(b, o, seq17), golden17)).toBeLessThanOrEqual(5e-5);
    });

    it(`${b.name}: a small window with landmarks really is sparse, and prefill equals step-by-step decoding`, async () => {
      const o: LoadOptions = { attention: 'sparse', sparse: { window: 4, blockSize: 4 } };
      const pre = await allLogits(b, o, seq64);
      expect(maxAbs(pre, golden64)).toBeGreaterThan(1e-2);
      expect(maxAbs(await stepLogits(b, o, seq64), pre)).toBeLessThanOrEqual(1e-4);
    });

    it(`${b.name}: rewind keeps a prefix (sparse attention: down to a landmark block boundary); running on from it gives the logits of a fresh run`, async () => {
      // [options, end of the first turn kept when asked for more (30 tokens; sparse: 28), rewind to, position kept]
      for (const [o, end, ask, kept] of [[{}, 30, 11, 11], [{ attention: 'sparse', sparse: { window: 4, blockSize: 4 } }, 28, 11, 8]] as Array<[LoadOptions, number, number, number]>) {
        const m = await load(b, o);
        const fresh = await allLogits(b, o, seq64.slice(0, 40));
        const s = m.newState();
        // a first "turn" of 30 tokens whose end (from token 20 on) differs from the second's
        b.free(m.prefill([...seq64.slice(0, 20), ...seq17.slice(0, 10)], s));
        expect(m.rewind!(s, 100)).toBe(end); // never past the state's own end
        expect(m.rewind!(s, ask)).toBe(kept);
        expect(s.position).toBe(kept);
        const t = m.prefill(seq64.slice(kept, 40), s, { allLogits: true });
        const got = (await b.read(t)) as Float32Array;
        b.free(t);
        expect(maxAbs(got, fresh.subarray(kept * V))).toBeLessThanOrEqual(1e-5);
        expect(m.contextLength).toBe(Math.min(JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8')).max_position_embeddings, 4096));
        s.free();
        m.dispose();
      }
    });

    it(`${b.name}: options passed as undefined mean the defaults (dense attention, f32 cache): 300 tokens match the goldens`, async () => {
      // 300 tokens reach past the sparse window (128): the sparse path would not match
      const o = { attention: undefined, kvDtype: undefined, contextLength: undefined } as LoadOptions;
      expect(maxAbs(await allLogits(b, o, seq300), golden300)).toBeLessThan(2e-4);
    });

    it(`${b.name}: running past the KV cache capacity is a SIZE_LIMIT error`, async () => {
      const m = await load(b, { contextLength: 8 });
      const s = m.newState();
      let err: unknown;
      try {
        m.prefill(seq17, s);
      } catch (e) {
        err = e;
      }
      expect(isSparrowError(err, 'SIZE_LIMIT')).toBe(true);
      m.dispose();
    });
  });
}

describe('llama: q/k/v and gate/up stacked into one weight each (stackLinears, the default)', () => {
  // The stacked matvec computes every output row exactly as the separate one does, ropeQkv is
  // rope on the parts and swiglu is silu then mul: the logits must be identical, prefill and
  // decode, for stored f32, f16 and Q8_0.
  const files = (f: string) => new Map([[f, new Uint8Array(readFileSync(join(DIR, f)))]]);
  const cases: Array<[string, Map<string, Uint8Array>]> = [
    ['safetensors F32', new Map([['config.json', new Uint8Array(readFileSync(join(DIR, 'config.json')))], ['model.safetensors', new Uint8Array(readFileSync(join(DIR, 'model.safetensors')))]])],
    ['GGUF F16', files('model.F16.gguf')],
    ['GGUF Q8_0', files('model.Q8_0.gguf')],
  ];
  for (const [label, fileMap] of cases) {
    it(`wasm, ${label}: stacked == separate, bit for bit`, async () => {
      const b = await WasmBackend.create();
      const out: Float32Array[] = [];
      for (const stackLinears of [true, false]) {
        const { model } = await openModel(b, fileMap, { stackLinears });
        expect((model as Llama).weights.has('model.layers.0.mlp.gate_up_proj.weight'), `stackLinears ${stackLinears}`).toBe(stackLinears);
        expect((model as Llama).weights.has('model.layers.1.self_attn.qkv_proj.weight'), `stackLinears ${stackLinears}`).toBe(stackLinears);
        const s = model.newState();
        const pre = (await b.read(model.prefill(seq17.slice(0, 9), s, { allLogits: true }))) as Float32Array;
        const dec = (await b.read(model.step(seq17[9], s))) as Float32Array;
        out.push(Float32Array.of(...pre, ...dec));
        s.free();
        model.dispose();
      }
      expect(Array.from(out[0])).toEqual(Array.from(out[1]));
    });
  }
});

describe('llama: stacking is decided per layer', () => {
  it('wasm: a layer whose v is stored as f16 (the others f32) keeps separate q/k/v; logits equal the unstacked model', async () => {
    const b = await WasmBackend.create();
    const base = new SafetensorsWeights(SafetensorsFile.openSync(new Uint8Array(readFileSync(join(DIR, 'model.safetensors')))));
    const odd = 'model.layers.1.self_attn.v_proj.weight';
    const f16Of = async (n: string) => Uint16Array.from(await base.f32(n), toF16Bits);
    // The file as a GGUF quantized per layer would present it: one tensor of another stored type.
    const file: WeightFile = Object.assign(Object.create(base) as WeightFile, {
      dtype: (n: string) => (n === odd ? 'f16' : base.dtype(n)),
      upload: async (n: string, bb: Backend) => (n === odd ? bb.tensor(base.shape(n), 'f16', await f16Of(n)) : base.upload(n, bb)),
      f16Bits: f16Of,
    });
    const config = parseHfConfig(JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8'))) as LlamaConfig;
    const out: Float32Array[] = [];
    for (const stackLinears of [true, false]) {
      const m = await Llama.load(b, config, file, { stackLinears });
      expect([0, 1].map((i) => m.weights.has(`model.layers.${i}.self_attn.qkv_proj.weight`))).toEqual(stackLinears ? [true, false] : [false, false]);
      expect([0, 1].map((i) => m.weights.has(`model.layers.${i}.mlp.gate_up_proj.weight`))).toEqual([stackLinears, stackLinears]);
      const s = m.newState();
      const pre = (await b.read(m.prefill(seq17.slice(0, 6), s, { allLogits: true }))) as Float32Array;
      const dec = (await b.read(m.step(seq17[6], s))) as Float32Array;
      out.push(Float32Array.of(...pre, ...dec));
      m.dispose();
    }
    expect(Array.from(out[0])).toEqual(Array.from(out[1]));
    expect(maxAbs(out[0].subarray(0, 6 * V), golden17.subarray(0, 6 * V))).toBeLessThan(1e-2); // one matrix in f16
  });
});

describe('Granite options', () => {
  it('sparse attention with Granite\'s attention scale is UNSUPPORTED before anything is uploaded; dense runs, prefill = steps', async () => {
    const { tinyGguf, tinyShape } = await import('../helpers/tiny-llamas.ts');
    const file = new Map([['g.gguf', tinyGguf(tinyShape('granite', 'refact'))]]);
    const b = new ReferenceBackend();
    await expect(openModel(b, file, { attention: 'sparse' })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    expect(b.memoryBytes()).toBe(0);
    const { model } = await openModel(b, file);
    const ids = [5, 9, 300, 42, 7];
    const whole = (await b.read(model.prefill(ids, model.newState(), { allLogits: true }))) as Float32Array;
    const s = model.newState();
    const rows: number[] = [];
    for (const id of ids) rows.push(...((await b.read(model.step(id, s))) as Float32Array));
    expect(maxAbs(Float32Array.from(rows), whole)).toBeLessThan(1e-4);
    model.dispose();
  });
});
