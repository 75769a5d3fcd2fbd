import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { SafetensorsFile } from '../../src/formats/safetensors.ts';
import { openWeights } from '../../src/cli/model-files.ts';
import { compareMemory, l1Unstructured, pruneCheckpoint, pruneCount, savePruned, type PruneMetadata } from '../../src/engine/prune.ts';
import { PRUNE_METADATA_KEY, loadSafetensorsModel } from '../../src/models/load.ts';
import { SafetensorsWeights } from '../../src/models/weights.ts';

const ROOT = 'test/fixtures/models';
const readF32 = (p: string) => {
  const b = readFileSync(p);
  return new Float32Array(new Uint8Array(b).buffer);
};

describe('l1_unstructured', () => {
  it('zeroes round(amount·n) smallest magnitudes (Python half-to-even rounding)', () => {
    expect(pruneCount(10, 0.25)).toBe(2); // 2.5 → 2
    expect(pruneCount(14, 0.25)).toBe(4); // 3.5 → 4
    expect(pruneCount(8192, 0.8)).toBe(6554);
    const w = Float32Array.from([0.5, -0.1, 3, -2, 0.05, 1]);
    expect([...l1Unstructured(w, 0.5)]).toEqual([0, 0, 3, -2, 0, 1]);
    expect([...l1Unstructured(w, 0)]).toEqual([...w]);
    expect([...l1Unstructured(w, 1)].every((x) => x === 0)).toBe(true);
  });

  it('breaks ties by the lowest index', () => {
    expect([...l1Unstructured(Float32Array.from([1, -1, 1, 2]), 0.5)]).toEqual([0, 0, 1, 2]);
  });

  it('equals a brute-force stable sort on random tensors full of ties', () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 300);
      const w = Float32Array.from({ length: n }, () => Math.round((rand() - 0.5) * 8) / 4); // values in {−1, −0.75, …, 1}
      const amount = rand();
      const idx = [...w.keys()].sort((a, b) => Math.abs(w[a]) - Math.abs(w[b]) || a - b);
      const want = Float32Array.from(w);
      for (let i = 0; i < pruneCount(n, amount); i++) want[idx[i]] = 0;
      expect([...l1Unstructured(w, amount)]).toEqual([...want]);
    }
  });

  it('rejects sparsity outside [0, 1]', () => {
    expect(() => l1Unstructured(new Float32Array(4), 1.5)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => pruneCount(4, NaN)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

for (const [dense, pruned] of [['mamba-tiny', 'mamba-tiny-pruned80'], ['llama-gqa-tiny', 'llama-gqa-tiny-pruned80']]) {
  describe(`prune ${dense} to 80%`, () => {
    it('reproduces the torch-pruned fixture weights exactly and keeps everything else', async () => {
      const { config, weights } = await openWeights(join(ROOT, dense));
      const p = await pruneCheckpoint(config, weights, 0.8);
      const ref = SafetensorsFile.openSync(readFileSync(join(ROOT, pruned, 'model.safetensors')));
      expect(p.pruned.size).toBeGreaterThan(0);
      for (const name of weights.names()) {
        const want = ref.f32Sync(name);
        const got = p.pruned.get(name) ?? (await weights.f32(name));
        let diff = 0;
        for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) diff++;
        expect(diff, name).toBe(0);
      }
      for (const t of p.report.tensors) expect(Math.abs(t.sparsity - 0.8)).toBeLessThan(1 / t.elements + 1e-9);
      expect(p.report.prunedSparsity).toBeCloseTo(0.8, 3);
      expect(p.report.totalSparsity).toBeLessThan(p.report.prunedSparsity);
    });

    it('saves a checkpoint that loads back sparse and matches the pruned golden logits', async () => {
      const { config, weights } = await openWeights(join(ROOT, dense));
      const p = await pruneCheckpoint(config, weights, 0.8);
      const bytes = await savePruned(weights, p);
      const st = SafetensorsFile.openSync(bytes);
      const meta = JSON.parse(st.metadata[PRUNE_METADATA_KEY]) as PruneMetadata;
      expect(meta).toEqual({ method: 'l1_unstructured', sparsity: 0.8, tensors: [...p.pruned.keys()] });
      const man = JSON.parse(readFileSync(join(ROOT, pruned, 'manifest.json'), 'utf8'));
      const golden = readF32(join(ROOT, pruned, 'logits.seq17.bin'));
      for (const b of [new ReferenceBackend(), await WasmBackend.create()]) {
        const m = await loadSafetensorsModel(b, readFileSync(join(ROOT, dense, 'config.json'), 'utf8'), bytes);
        const sparse = [...((m as unknown as { weights: SafetensorsWeights & { entries(): [string, { dtype: string }][] } }).weights.entries())].filter(([, t]) => t.dtype === 'sparse');
        expect(sparse.length, b.name).toBeGreaterThanOrEqual(p.pruned.size);
        // a pruned checkpoint loads into the smallest layout: word8 on wasm (exact values, docs/pruning.md),
        // except tensors too small or narrow to gain from it (csr16 then)
        if (b instanceof WasmBackend) {
          const kinds = sparse.map(([, t]) => b.own('test', t as never).sparse!.kind);
          expect(kinds.filter((k) => k === 'word8').length, b.name).toBeGreaterThan(kinds.length / 2);
          expect(kinds.every((k) => k === 'word8' || k === 'csr16'), kinds.join()).toBe(true);
        }
        const s = m.newState();
        const t = m.prefill(man.inputs.seq17.token_ids, s, { allLogits: true });
        const got = (await b.read(t)) as Float32Array;
        let e = 0;
        for (let i = 0; i < golden.length; i++) e = Math.max(e, Math.abs(got[i] - golden[i]));
        expect(e, b.name).toBeLessThanOrEqual(man.tolerance.suggested_atol_float32_impl);
        b.dispose();
      }
    });

    it('reports less backend memory for the sparse model than the dense one', async () => {
      const { config, weights } = await openWeights(join(ROOT, dense));
      const p = await pruneCheckpoint(config, weights, 0.8);
      const mem = await compareMemory(async () => new ReferenceBackend(), config, weights, p);
      expect(mem.sparseBytes).toBeLessThan(mem.denseBytes);
      expect(mem.ratio).toBeGreaterThan(0);
    });

    it("sparseLayout picks a pruned checkpoint's layout on wasm ('speed': csr16n / csr16) and leaves a dense checkpoint dense", async () => {
      const { config, weights } = await openWeights(join(ROOT, dense));
      const p = await pruneCheckpoint(config, weights, 0.8);
      const bytes = await savePruned(weights, p);
      const b = await WasmBackend.create();
      const kinds = (m: unknown) => (m as { weights: { entries(): [string, { dtype: string }][] } }).weights.entries().filter(([, t]) => t.dtype === 'sparse').map(([, t]) => b.own('test', t as never).sparse!.kind);
      const speed = await loadSafetensorsModel(b, readFileSync(join(ROOT, dense, 'config.json'), 'utf8'), bytes, { sparseLayout: 'speed' });
      expect(kinds(speed).length).toBeGreaterThanOrEqual(p.pruned.size);
      expect(kinds(speed).every((k) => k === 'csr16n' || k === 'csr16'), kinds(speed).join()).toBe(true);
      // sparseLinears passed as undefined means "as the file says": still sparse
      const undef = await loadSafetensorsModel(b, readFileSync(join(ROOT, dense, 'config.json'), 'utf8'), bytes, { sparseLinears: undefined, sparseLayout: 'speed' });
      expect(kinds(undef)).toEqual(kinds(speed));
      const plain = await loadSafetensorsModel(b, readFileSync(join(ROOT, dense, 'config.json'), 'utf8'), readFileSync(join(ROOT, dense, 'model.safetensors')), { sparseLayout: 'speed' });
      expect(kinds(plain)).toEqual([]);
      b.dispose();
    });

    it("on wasm the default (smallest) layout holds the pruned model in less memory than 'speed'", async () => {
      const { config, weights } = await openWeights(join(ROOT, dense));
      const p = await pruneCheckpoint(config, weights, 0.8);
      const mem = await compareMemory(() => WasmBackend.create(), config, weights, p);
      expect(mem.sparseBytes).toBeLessThan(mem.speedBytes);
      expect(mem.speedBytes).toBeLessThan(mem.denseBytes);
      expect(mem.speedRatio).toBeCloseTo(mem.speedBytes / mem.denseBytes, 12);
    });
  });
}
