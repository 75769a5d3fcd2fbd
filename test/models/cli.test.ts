/** The `sparrow` CLI reproduces fixture logits from a safetensors folder and from .gguf files. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { maxAbs, readF32 } from './fixture-plan.ts';
import { tinyGguf, tinyMambaGguf, tinyRwkv7Gguf, tinyShape } from '../helpers/tiny-llamas.ts';

const ROOT = 'test/fixtures/models';
const dir = mkdtempSync(join(tmpdir(), 'sparrow-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

const seq17 = (folder: string) => JSON.parse(readFileSync(join(ROOT, folder, 'manifest.json'), 'utf8')).inputs.seq17.token_ids as number[];

describe('sparrow logits', () => {
  it('bin/sparrow.mjs writes the golden logits of a safetensors folder (wasm)', () => {
    const out = join(dir, 'mamba.bin');
    execFileSync(process.execPath, ['bin/sparrow.mjs', 'logits', '--model', join(ROOT, 'mamba-tiny'), '--tokens', seq17('mamba-tiny').join(','), '--out', out, '--backend', 'wasm'], { stdio: 'pipe' });
    expect(maxAbs(readF32(out), readF32(join(ROOT, 'mamba-tiny', 'logits.seq17.bin')))).toBeLessThanOrEqual(3e-5);
  }, 60_000);

  it('reproduces the GGUF F16 golden logits (reference)', async () => {
    const out = join(dir, 'llama-f16.bin');
    const c = capture();
    const rc = await main(['logits', '--model', join(ROOT, 'llama-gqa-tiny', 'model.F16.gguf'), '--tokens', seq17('llama-gqa-tiny').join(','), '--out', out, '--backend', 'reference'], c.io);
    expect(c.err.join('')).toBe('');
    expect(rc).toBe(0);
    expect(c.out.join('')).toContain('[17, 256]');
    expect(maxAbs(readF32(out), readF32(join(ROOT, 'llama-gqa-tiny', 'logits.F16.seq17.bin')))).toBeLessThanOrEqual(5e-5);
  });

  it('Q8_0 GGUFs read from disk (Mamba, RWKV-7, Granite 4.0-H, Qwen3.5) give the logits of the same files in memory (wasm)', async () => {
    // a file on disk reaches the loader as Node Buffers: the row-sliced Q8_0 blocks of in_proj once failed there
    const { WasmBackend } = await import('../../src/backends/wasm/backend.ts');
    const { openModel } = await import('../../src/engine/open-model.ts');
    const tokens = [5, 17, 300, 42, 9];
    // (Qwen3.5's q_proj rows are gathered from several ranges of the file's blocks)
    const files = [['mamba.gguf', tinyMambaGguf('Q8_0')], ['rwkv7.gguf', tinyRwkv7Gguf('Q8_0')], ['granite-h.gguf', tinyGguf(tinyShape('granitehybrid', 'dbrx'), undefined, 'Q8_0')], ['qwen35.gguf', tinyGguf(tinyShape('qwen35', 'qwen35'), undefined, 'Q8_0')]] as const;
    for (const [name, bytes] of files) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const out = join(dir, `${name}.bin`);
      const c = capture();
      expect(await main(['logits', '--model', path, '--tokens', tokens.join(','), '--out', out, '--backend', 'wasm'], c.io), c.err.join('')).toBe(0);
      const b = await WasmBackend.create();
      const { model } = await openModel(b, new Map([[name, bytes]]));
      const t = model.prefill(tokens, model.newState(), { allLogits: true });
      expect(readF32(out)).toEqual(await b.read(t));
      model.dispose();
    }
  });

  it('fails with typed errors on bad input', async () => {
    for (const [args, code] of [
      [['logits', '--model', join(ROOT, 'mamba-tiny'), '--tokens', '1,x', '--out', join(dir, 'x.bin')], 'INVALID_ARGUMENT'],
      [['logits', '--model', join(ROOT, 'mamba-tiny'), '--tokens', '1,999', '--out', join(dir, 'x.bin')], 'INDEX_OUT_OF_RANGE'],
      [['logits', '--model', join(ROOT, 'nope'), '--tokens', '1', '--out', join(dir, 'x.bin')], 'INVALID_ARGUMENT'],
      [['logits', '--tokens', '1'], 'INVALID_ARGUMENT'],
      [['frobnicate'], 'INVALID_ARGUMENT'],
    ] as const) {
      const c = capture();
      expect(await main([...args], c.io)).toBe(1);
      expect(c.err.join('')).toContain(`[${code}]`);
    }
  });
});

describe('sparrow generate / prune', () => {
  it('generate: same seed → same text, another seed → another text', async () => {
    const run = async (extra: string[]) => {
      const c = capture();
      expect(await main(['generate', '--model', join(ROOT, 'rwkv4-tiny'), '--prompt', 'Hi there', '--max-tokens', '12', ...extra], c.io)).toBe(0);
      return c.out.join('');
    };
    const a = await run(['--temperature', '0.9', '--top-k', '40', '--seed', '7']);
    expect(await run(['--temperature', '0.9', '--top-k', '40', '--seed', '7'])).toBe(a);
    expect(await run(['--temperature', '0.9', '--top-k', '40', '--seed', '8'])).not.toBe(a);
  });

  it('prune: writes a pruned folder and reports sparsity and memory', async () => {
    const c = capture();
    const out = join(dir, 'pruned');
    expect(await main(['prune', '--model', join(ROOT, 'llama-gqa-tiny'), '--sparsity', '0.8', '--out', out, '--backend', 'reference'], c.io)).toBe(0);
    const text = c.out.join('');
    expect(text).toMatch(/pruned tensors: \d+ \/ \d+ zero \(80\.00%\)/);
    expect(text).toMatch(/memory on reference: dense [\d.]+ MiB → sparse [\d.]+ MiB/);
    const lc = capture();
    const lg = join(dir, 'pruned.bin');
    expect(await main(['logits', '--model', out, '--tokens', seq17('llama-gqa-tiny-pruned80').join(','), '--out', lg, '--backend', 'reference'], lc.io)).toBe(0);
    expect(maxAbs(readF32(lg), readF32(join(ROOT, 'llama-gqa-tiny-pruned80', 'logits.seq17.bin')))).toBeLessThanOrEqual(2e-5);
    // on wasm, in either sparse layout (word8 by default, csr16n with --sparse-layout speed): the same golden logits
    for (const layout of [[], ['--sparse-layout', 'size'], ['--sparse-layout', 'speed']]) {
      const wc = capture();
      expect(await main(['logits', '--model', out, '--tokens', seq17('llama-gqa-tiny-pruned80').join(','), '--out', lg, '--backend', 'wasm', ...layout], wc.io), layout.join(' ')).toBe(0);
      expect(maxAbs(readF32(lg), readF32(join(ROOT, 'llama-gqa-tiny-pruned80', 'logits.seq17.bin'))), layout.join(' ')).toBeLessThanOrEqual(3e-5);
    }
    const bad = capture();
    expect(await main(['logits', '--model', out, '--tokens', '1,2', '--out', lg, '--sparse-layout', 'fast'], bad.io)).not.toBe(0);
    expect(bad.err.join('')).toMatch(/INVALID_ARGUMENT.*--sparse-layout must be size or speed/);
  });
});
