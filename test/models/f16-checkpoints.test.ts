/**
 * F16 safetensors checkpoints (what many Hugging Face repos ship): every tensor F16, norms and
 * biases included. The models must keep the matrices f16 (half the memory of f32: Mamba's split
 * in_proj / x_proj rows included) and upload per-channel parameters as f32 (the ops take f32), and
 * give the same numbers as the same weights stored as F32 — i.e. the f16 path adds no error beyond
 * the rounding already in the file.
 * The BF16 twin (most current Hugging Face checkpoints): every tensor BF16, matrices stay bf16
 * (2 bytes per element), and since bf16 → f32 is exact the logits match the same values as F32.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { SafetensorsFile, writeSafetensors, type SafetensorsWriteTensor } from '../../src/formats/safetensors.ts';
import { loadSafetensorsModel } from '../../src/models/load.ts';
import type { CausalLM } from '../../src/models/types.ts';
import type { WeightMap } from '../../src/models/weights.ts';
import { fromF16Bits, toF16Bits } from '../../src/util/f16.ts';

const FIXTURES = join('test', 'fixtures', 'models');
const TOKENS = [1, 7, 3, 12, 5, 9, 2];

/** A 16-bit float format of a checkpoint: its safetensors dtype, backend dtype and f32 ↔ bits codec. */
interface Half {
  st: 'F16' | 'BF16';
  dtype: 'f16' | 'bf16';
  /** f32 → the format's bits (f16: rounded; bf16: truncated to the high half — any value will do here). */
  bits(f: Float32Array): Uint16Array;
  /** The exact f32 value of each bit pattern. */
  value(bits: Uint16Array): Float32Array;
}
const HALVES: Half[] = [
  { st: 'F16', dtype: 'f16', bits: (f) => Uint16Array.from(f, toF16Bits), value: (b) => Float32Array.from(b, fromF16Bits) },
  {
    st: 'BF16', dtype: 'bf16',
    bits: (f) => Uint16Array.from(new Uint32Array(Float32Array.from(f).buffer), (w) => w >>> 16),
    value: (b) => new Float32Array(Uint32Array.from(b, (x) => x * 65536).buffer),
  },
];

/** The fixture's weights in the 16-bit format, written once as that format and once as F32 (same values). */
async function halfPair(dir: string, h: Half): Promise<{ half: Uint8Array; f32: Uint8Array }> {
  const st = await SafetensorsFile.open(readFileSync(join(dir, 'model.safetensors')), 'model.safetensors');
  const half: SafetensorsWriteTensor[] = [];
  const full: SafetensorsWriteTensor[] = [];
  for (const name of st.names()) {
    const shape = st.info(name).shape;
    const bits = h.bits(await st.f32(name));
    half.push({ name, dtype: h.st, shape, data: bits });
    full.push({ name, dtype: 'F32', shape, data: h.value(bits) });
  }
  return { half: writeSafetensors(half), f32: writeSafetensors(full) };
}

/** Logits of every prompt position, then three greedy decode steps' logits. */
async function run(b: Backend, m: CausalLM): Promise<Float32Array[]> {
  const state = m.newState();
  const pre = m.prefill(TOKENS, state, { allLogits: true });
  const out = [(await b.read(pre)) as Float32Array];
  b.free(pre);
  let tok = argmaxLast(out[0], m.vocabSize);
  for (let i = 0; i < 3; i++) {
    const l = (await b.read(m.step(tok, state))) as Float32Array;
    out.push(l.slice());
    tok = argmaxLast(l, m.vocabSize);
  }
  state.free();
  return out;
}

function argmaxLast(logits: Float32Array, vocab: number): number {
  const last = logits.subarray(logits.length - vocab);
  let best = 0;
  for (let i = 1; i < vocab; i++) if (last[i] > last[best]) best = i;
  return best;
}

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let d = 0;
  a.forEach((x, i) => x.forEach((v, j) => (d = Math.max(d, Math.abs(v - b[i][j])))));
  return d;
}

let wasm: WasmBackend;
const ref = new ReferenceBackend();
beforeAll(async () => {
  wasm = await WasmBackend.create();
});

for (const h of HALVES) {
  describe(`${h.st} safetensors checkpoints`, () => {
    for (const name of ['mamba-tiny', 'rwkv4-tiny', 'llama-gqa-tiny']) {
      it(`${name}: matrices stay ${h.dtype}, per-channel parameters f32; logits equal the same weights as F32 (wasm and reference)`, async () => {
        const dir = join(FIXTURES, name);
        const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
        const pair = await halfPair(dir, h);
        const results: Record<string, Float32Array[]> = {};
        for (const [label, b] of [['wasm', wasm], ['reference', ref]] as const) {
          const before = b.memoryBytes();
          const half = await loadSafetensorsModel(b, config, pair.half, {}, `model-${h.dtype}.safetensors`);
          const halfBytes = b.memoryBytes() - before;
          const kinds = (half as unknown as { weights: WeightMap }).weights.entries().map(([n, t]) => [n, t.dtype, t.shape.length] as const);
          // every matrix in the 16-bit format (the embedding, Mamba's row slices included), every vector f32
          for (const [n, dtype, rank] of kinds) expect(`${n} ${dtype}`).toBe(`${n} ${rank >= 2 && !n.endsWith('#A') && !n.includes('conv1d') ? h.dtype : 'f32'}`);
          const full = await loadSafetensorsModel(b, config, pair.f32, {}, 'model-f32.safetensors');
          const fullBytes = b.memoryBytes() - before - halfBytes;
          if (label === 'wasm') expect(halfBytes / fullBytes, `${name} ${h.dtype} / f32 memory`).toBeLessThan(0.6);
          results[label] = await run(b, half);
          const want = await run(b, full);
          const scale = Math.max(...want.map((l) => Math.max(...l.map(Math.abs))));
          expect(maxAbsDiff(results[label], want) / scale, `${name} ${label}: ${h.dtype} file vs the same values as f32`).toBeLessThan(2e-5);
          half.dispose();
          full.dispose();
        }
        expect(maxAbsDiff(results.wasm, results.reference)).toBeLessThan(1e-3);
      });
    }
  });
}
