/**
 * Loading a model and running it, for the model tests: the stored types of a file against the same
 * file converted to f32 (bf16-gguf, kquant-gguf, q4_1-q5_1-iq4_nl-gguf, the IQ and mix tests), and the
 * logits of every row of a prefill (qwen, gemma).
 */
import { expect } from 'vitest';
import type { Backend, DType } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import type { GgufFile } from '../../src/formats/gguf.ts';
import type { CausalLM } from '../../src/models/types.ts';
import { modelFromWeights } from '../../src/models/load.ts';
import type { WeightFile, WeightMap } from '../../src/models/weights.ts';

/** The same file, every tensor uploaded as host-converted f32 (what stored types loaded as before). */
export function asF32(file: WeightFile): WeightFile {
  return {
    kind: file.kind, name: `${file.name} (f32)`, names: () => file.names(), has: (n) => file.has(n), shape: (n) => file.shape(n),
    dtype: () => 'f32', upload: async (n, b) => b.tensor(file.shape(n), 'f32', await file.f32(n)), f32: (n) => file.f32(n),
  };
}

/**
 * Load `file`, prefill `tokens` (logits of every row), then decode `steps` one at a time (the matvec
 * kernels, where prefill runs the tiled matmul). Returns the logits end to end, the backend memory
 * the weights took and the dtype each weight was kept in.
 */
export async function runModel(
  b: Backend,
  file: WeightFile,
  config: Parameters<typeof modelFromWeights>[1],
  run: { tokens: number[]; steps?: number[]; load?: Parameters<typeof modelFromWeights>[3] },
): Promise<{ out: Float32Array; bytes: number; dtypes: [string, DType][] }> {
  const before = b.memoryBytes();
  const m = await modelFromWeights(b, config, file, run.load);
  const bytes = b.memoryBytes() - before;
  const dtypes = (m as unknown as { weights: WeightMap }).weights.entries().map(([n, t]) => [n, t.dtype] as [string, DType]);
  const s = m.newState();
  const t = m.prefill(run.tokens, s, { allLogits: true });
  const parts = [(await b.read(t)) as Float32Array];
  b.free(t);
  for (const id of run.steps ?? []) parts.push(((await b.read(m.step(id, s))) as Float32Array).slice());
  s.free();
  m.dispose();
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return { out, bytes, dtypes };
}

/** Logits of every row of one prefill of `tokens` from a fresh state. */
export async function allLogits(b: Backend, model: CausalLM, tokens: number[]): Promise<Float32Array> {
  const s = model.newState();
  const t = model.prefill(tokens, s, { allLogits: true });
  try {
    return (await b.read(t)) as Float32Array;
  } finally {
    b.free(t);
    s.free();
  }
}

/** Largest |a[i] − b[i]|; the lengths must match (asserted). */
export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Every matrix of a GGUF file is stored as `want(its llama.cpp name)` (a GGML type name, asserted per
 * tensor). Returns the matrices' value count, all tensors' bytes, and the matrix types seen — what
 * expectStoredLikeF32 bounds memory by.
 */
export function expectMatrixTypes(g: GgufFile, want: (name: string) => string): { weights: number; stored: number; seen: Set<string> } {
  let weights = 0, stored = 0;
  const seen = new Set<string>();
  for (const info of g.tensors.values()) {
    stored += info.byteLength;
    if (info.shape.length !== 2) continue;
    weights += info.size;
    seen.add(info.type.name);
    expect(`${info.name} ${info.type.name}`).toBe(`${info.name} ${want(info.name)}`);
  }
  return { weights, stored, seen };
}

/**
 * A file of stored (quantized) weights run on wasm and on the reference backend against the same
 * file converted to f32: every weight kept as `dtype` (or `dtype(name)` for a mix; norms f32, the tied embedding included); on
 * wasm under 1.05 × `maxBytes` of memory, where the f32 load takes over 4 B per weight; finite logits
 * within 1e-12 (reference) / 1e-5 (wasm) of the f32 load's, relative to their scale; and the two
 * backends within 1e-3 of each other. `run(b, file)` loads and runs (runModel with the test's tokens).
 */
export async function expectStoredLikeF32(
  file: WeightFile,
  run: (b: Backend, file: WeightFile) => ReturnType<typeof runModel>,
  o: { dtype: DType | ((name: string) => DType); label: string; maxBytes: number; bytesWhat: string; weights: number },
): Promise<void> {
  const wasm = await WasmBackend.create();
  const outs: Float32Array[] = [];
  for (const b of [wasm, new ReferenceBackend()] as Backend[]) {
    const q = await run(b, file);
    for (const [n, d] of q.dtypes) expect(`${n} ${d}`).toBe(`${n} ${n.endsWith('norm.weight') ? 'f32' : typeof o.dtype === 'function' ? o.dtype(n) : o.dtype}`);
    expect(q.dtypes.some(([n]) => n === 'model.embed_tokens.weight')).toBe(true);
    const full = await run(b, asF32(file));
    if (b.name === 'wasm') {
      expect(q.bytes, `${o.label} ${o.bytesWhat}`).toBeLessThan(1.05 * o.maxBytes);
      expect(full.bytes).toBeGreaterThan(4 * o.weights);
    }
    const scale = Math.max(...full.out.map(Math.abs));
    let d = 0;
    q.out.forEach((v, i) => (d = Math.max(d, Math.abs(v - full.out[i]))));
    expect(q.out.every(Number.isFinite)).toBe(true);
    expect(d / scale, `${b.name}: ${o.label} vs f32 logits`).toBeLessThan(b.name === 'reference' ? 1e-12 : 1e-5);
    outs.push(q.out);
  }
  let d = 0;
  outs[0].forEach((v, i) => (d = Math.max(d, Math.abs(v - outs[1][i]))));
  expect(d).toBeLessThan(1e-3);
  wasm.dispose();
}
