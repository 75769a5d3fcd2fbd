/**
 * Loading a model from a WeightFile and running it, for the tests that compare a file's stored
 * types with the same file converted to f32 (bf16-gguf, kquant-gguf, q4_1-q5_1-iq4_nl-gguf).
 */
import type { Backend, DType } from '../../src/backends/backend.ts';
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
