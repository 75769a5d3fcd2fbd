/**
 * Golden-fixture suite of the sparse attention (ruvllm_sparse_attention 0.1.1 outputs): EVERY case of
 * the manifest on the reference and wasm backends, atol from the manifest (2e-6). A case kind the
 * runner does not know fails the suite. Folder: $SPARROW_ATTENTION_FIXTURES or test/fixtures/sparse-attention.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { blockCandidates, tokenCandidates } from '../../src/backends/ops/attention-candidates.ts';
import { runAttentionFixtures, toConfig, type CaseResult, type Manifest } from './attention-fixture-runner.ts';

const dir = process.env.SPARROW_ATTENTION_FIXTURES || 'test/fixtures/sparse-attention';
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest & {
  suggested_tolerance: { cpu_f32_or_f64_reimplementation_atol: number; salience_atol: number };
};
const load = async (f: string) => {
  const b = readFileSync(join(dir, f));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const atol = manifest.suggested_tolerance.cpu_f32_or_f64_reimplementation_atol;
const salAtol = manifest.suggested_tolerance.salience_atol;

describe('attention fixtures: candidate lists', () => {
  for (const c of manifest.cases.filter((x) => (x as { candidates_file?: string }).candidates_file)) {
    it(`${c.id} token and block candidates match the crate's accumulation order`, () => {
      const f = JSON.parse(readFileSync(join(dir, (c as { candidates_file?: string }).candidates_file!), 'utf8')) as { tokens: number[][]; blocks: number[][] };
      const cfg = toConfig(c.config!);
      const s = c.output_shape[0];
      expect(f.tokens.length).toBe(s);
      for (let i = 0; i < s; i++) {
        expect(tokenCandidates(i, s, cfg)).toEqual(f.tokens[i]);
        expect(blockCandidates(i, s, cfg)).toEqual(f.blocks[i]);
      }
    });
  }
});

for (const name of ['reference', 'wasm'] as const) {
  describe(`attention fixtures on ${name} (atol ${atol})`, () => {
    let results: CaseResult[] = [];
    beforeAll(async () => {
      const b: Backend = name === 'reference' ? new ReferenceBackend() : await WasmBackend.create();
      results = await runAttentionFixtures(b, manifest, load);
      b.dispose();
    }, 120_000);

    it('ran every case of the manifest', () => {
      expect(results.map((r) => r.id)).toEqual(manifest.cases.map((c) => c.id));
    });
    for (const c of manifest.cases) {
      it(`${c.id} ${c.kind}`, () => {
        const r = results.find((x) => x.id === c.id)!;
        expect(r.error).toBeUndefined();
        expect(r.maxAbs).toBeLessThanOrEqual(atol);
        if (c.gate) {
          expect(r.salienceMaxAbs).toBeLessThanOrEqual(salAtol);
          expect(r.maskMismatches).toBe(0);
        }
      });
    }
  });
}
