/**
 * BF16 checkpoints on WebGPU (or args.backend) inside the backend-host worker: each fixture model's weights are
 * truncated to bf16 and written twice — every tensor BF16, and the same values as F32 — then both
 * are loaded on the GPU; returns the matrices' dtypes, the backend bytes of each, and the worst
 * |Δ logit| / max |logit| between them over a prefill (all positions) and three cached decode steps.
 */
import type { CaseContext } from '../../../src/worker/backend-host.ts';
import { SafetensorsFile, writeSafetensors, type SafetensorsWriteTensor } from '../../../src/formats/safetensors.ts';
import { loadSafetensorsModel } from '../../../src/models/load.ts';
import type { WeightMap } from '../../../src/models/weights.ts';

/** Worst |Δ logit| / max |logit| allowed between the BF16 and F32 twins (bf16-models.test.ts, bench/gpu/run.ts). */
export const BF16_REL_TOL = 2e-5;

export interface Bf16ModelResult {
  /** "name dtype" of every loaded weight of the BF16 file. */
  dtypes: string[];
  bf16Bytes: number;
  f32Bytes: number;
  relDiff: number;
}

const TOKENS = [1, 7, 3, 12, 5, 9, 2];

export async function bf16Twins(args: { dirs: string[]; backend?: 'webgpu' | 'wasm' }, ctx: CaseContext): Promise<Record<string, Bf16ModelResult>> {
  const b = await ctx.backend(args.backend ?? 'webgpu');
  const out: Record<string, Bf16ModelResult> = {};
  for (const dir of args.dirs) {
    const base = `/test/fixtures/models/${dir}`;
    const config = await (await fetch(`${base}/config.json`)).json();
    const st = await SafetensorsFile.open(new Uint8Array(await (await fetch(`${base}/model.safetensors`)).arrayBuffer()), 'model.safetensors');
    const half: SafetensorsWriteTensor[] = [];
    const full: SafetensorsWriteTensor[] = [];
    for (const name of st.names()) {
      const shape = st.info(name).shape;
      const bits = Uint16Array.from(new Uint32Array(Float32Array.from(await st.f32(name)).buffer), (w) => w >>> 16);
      half.push({ name, dtype: 'BF16', shape, data: bits });
      full.push({ name, dtype: 'F32', shape, data: new Float32Array(Uint32Array.from(bits, (x) => x * 65536).buffer) });
    }
    const logits: Float32Array[][] = [];
    const bytes: number[] = [];
    let dtypes: string[] = [];
    for (const file of [writeSafetensors(half), writeSafetensors(full)]) {
      const before = b.memoryBytes();
      const m = await loadSafetensorsModel(b, config, file, {}, 'model.safetensors');
      bytes.push(b.memoryBytes() - before);
      if (!dtypes.length) dtypes = (m as unknown as { weights: WeightMap }).weights.entries().map(([n, t]) => `${n} ${t.dtype}`);
      const s = m.newState();
      const pre = m.prefill(TOKENS, s, { allLogits: true });
      const rows = [((await b.read(pre)) as Float32Array).slice()];
      b.free(pre);
      let tok = 3;
      for (let i = 0; i < 3; i++) {
        const l = (await b.read(m.step(tok, s))) as Float32Array;
        rows.push(l.slice());
        tok = (tok * 7 + 1) % m.vocabSize;
      }
      s.free();
      m.dispose();
      logits.push(rows);
    }
    let scale = 0, diff = 0;
    logits[1].forEach((row, i) => row.forEach((v, j) => {
      scale = Math.max(scale, Math.abs(v));
      const d = Math.abs(v - logits[0][i][j]);
      diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    }));
    out[dir] = { dtypes, bf16Bytes: bytes[0], f32Bytes: bytes[1], relDiff: diff / scale };
  }
  return out;
}
