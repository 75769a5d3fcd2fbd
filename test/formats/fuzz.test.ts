/**
 * Seeded mutation fuzzing of the weight-file parsers: bit flips, truncations, huge length-field
 * overwrites and splices of the real fixture files. Every outcome must be a successful parse or a
 * SparrowError — never a RangeError/TypeError, a hang, or an allocation of a declared size.
 * On success we also dequantize/convert every tensor, so offsets the parser accepted must be safe.
 */
import { describe, expect, it } from 'vitest';
import { GgufFile } from '../../src/formats/gguf.ts';
import { SafetensorsFile } from '../../src/formats/safetensors.ts';
import { canDequantize, dequantize } from '../../src/formats/ggml-quants.ts';
import { ggufLlamaConfig, ggufModelConfig } from '../../src/formats/gguf-config.ts';
import { GgufWeights } from '../../src/models/gguf-weights.ts';
import { tinyGguf, tinyMamba2Gguf, tinyMambaGguf, tinyRwkv7Gguf, tinyShape, type TinyArch } from '../helpers/tiny-llamas.ts';
import { kv, writeGguf } from '../../src/formats/gguf-writer.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { openModel } from '../../src/engine/open-model.ts';
import { SparrowError } from '../../src/errors.ts';
import { rng } from '../helpers/random.ts';
import { MODEL_ROOT, fixtureBytes } from './fixtures.ts';

type Mutator = (b: Uint8Array, r: () => number, headerEnd: number) => Uint8Array;

const pick = (r: () => number, n: number) => Math.floor(r() * n);
/** Mutations concentrate on the header, where the parser's decisions are made. */
const at = (r: () => number, b: Uint8Array, headerEnd: number) => (r() < 0.9 ? pick(r, Math.min(headerEnd, b.length)) : pick(r, b.length));

const MUTATORS: Record<string, Mutator> = {
  bitflip(b, r, h) {
    const c = b.slice();
    for (let k = 1 + pick(r, 4); k > 0; k--) c[at(r, c, h)] ^= 1 << pick(r, 8);
    return c;
  },
  truncate(b, r, h) {
    return b.slice(0, r() < 0.7 ? pick(r, h + 16) : pick(r, b.length));
  },
  hugeLength(b, r, h) {
    // Overwrite 8 bytes with a huge little-endian u64 (2^60, 2^63, ~0, or 2^32+small).
    const c = b.slice();
    const p = Math.min(at(r, c, h), c.length - 8);
    if (p < 0) return c;
    const vals = [2n ** 60n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 32n + 7n, 2n ** 31n];
    new DataView(c.buffer).setBigUint64(p & ~3, vals[pick(r, vals.length)], true);
    return c;
  },
  hugeU32(b, r, h) {
    const c = b.slice();
    const p = Math.min(at(r, c, h), c.length - 4);
    if (p < 0) return c;
    new DataView(c.buffer).setUint32(p, [0xffffffff, 0x7fffffff, 0x10000, 31][pick(r, 4)], true);
    return c;
  },
  splice(b, r, h) {
    // Copy a chunk of the file over another place (duplicates keys, shifts offsets).
    const c = b.slice();
    const len = 1 + pick(r, 64);
    const from = pick(r, Math.max(1, c.length - len));
    const to = at(r, c, h);
    c.copyWithin(to, from, from + len);
    return c;
  },
  insertDelete(b, r, h) {
    const p = at(r, b, h);
    const n = 1 + pick(r, 16);
    if (r() < 0.5) {
      const c = new Uint8Array(b.length + n);
      c.set(b.subarray(0, p));
      for (let i = 0; i < n; i++) c[p + i] = pick(r, 256);
      c.set(b.subarray(p), p + n);
      return c;
    }
    const c = new Uint8Array(Math.max(0, b.length - n));
    c.set(b.subarray(0, p));
    c.set(b.subarray(p + n), p);
    return c;
  },
};

function expectOnlySparrowErrors(run: () => void, what: string, stats: Record<string, number>): void {
  try {
    run();
    stats.ok = (stats.ok ?? 0) + 1;
  } catch (e) {
    if (!(e instanceof SparrowError)) throw new Error(`${what}: non-Sparrow error ${(e as Error)?.name}: ${(e as Error)?.message}`);
    stats[e.code] = (stats[e.code] ?? 0) + 1;
  }
}

function fuzz(label: string, base: Uint8Array, headerEnd: number, n: number, seed: number, parse: (b: Uint8Array) => void) {
  const r = rng(seed);
  const names = Object.keys(MUTATORS);
  const stats: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const m = names[i % names.length];
    const bytes = MUTATORS[m](base, r, headerEnd);
    expectOnlySparrowErrors(() => parse(bytes), `${label} #${i} (${m}, seed ${seed})`, stats);
  }
  return stats;
}

describe('fuzz: safetensors', () => {
  it('1200 seeded mutations of mamba-tiny and llama-gqa-tiny → only SparrowErrors', () => {
    const t0 = performance.now();
    const all: Record<string, number> = {};
    for (const [dir, seed] of [['mamba-tiny', 11], ['llama-gqa-tiny', 12]] as const) {
      const base = fixtureBytes(MODEL_ROOT, dir, 'model.safetensors');
      const headerEnd = 8 + new DataView(base.buffer, base.byteOffset).getUint32(0, true);
      const stats = fuzz(dir, base, headerEnd, 600, seed, (b) => {
        const f = SafetensorsFile.openSync(b, 'fuzz.safetensors');
        for (const name of f.names()) f.f32Sync(name);
      });
      for (const [k, v] of Object.entries(stats)) all[k] = (all[k] ?? 0) + v;
    }
    // Mutations must actually exercise the error paths, not just the happy path.
    expect(all.FORMAT_INVALID).toBeGreaterThan(50);
    expect(Object.values(all).reduce((a, b) => a + b, 0)).toBe(1200);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });
});

describe('fuzz: GGUF', () => {
  it('1200 seeded mutations of the Q8_0/Q4_0 llama GGUFs → only SparrowErrors', () => {
    const t0 = performance.now();
    const all: Record<string, number> = {};
    for (const [file, seed] of [['model.Q8_0.gguf', 21], ['model.Q4_0.gguf', 22]] as const) {
      const base = fixtureBytes(MODEL_ROOT, 'llama-gqa-tiny', file);
      const headerEnd = GgufFile.openSync(base).dataStart;
      const stats = fuzz(file, base, headerEnd, 600, seed, (b) => {
        const g = GgufFile.openSync(b, 'fuzz.gguf');
        for (const t of g.tensors.values()) if (canDequantize(t.type)) dequantize(t.type, g.rawSync(t.name), t.size);
        ggufLlamaConfig(g);
      });
      for (const [k, v] of Object.entries(stats)) all[k] = (all[k] ?? 0) + v;
    }
    expect(all.FORMAT_INVALID).toBeGreaterThan(50);
    expect(all.SIZE_LIMIT).toBeGreaterThan(10);
    expect(Object.values(all).reduce((a, b) => a + b, 0)).toBe(1200);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });

  it('400 seeded mutations of a Mamba Q8_0 GGUF (llama.cpp layout) → only SparrowErrors', () => {
    const base = tinyMambaGguf('Q8_0');
    const headerEnd = GgufFile.openSync(base).dataStart;
    const stats = fuzz('mamba.Q8_0.gguf', base, headerEnd, 400, 23, (b) => {
      const g = GgufFile.openSync(b, 'fuzz.gguf');
      for (const t of g.tensors.values()) if (canDequantize(t.type)) dequantize(t.type, g.rawSync(t.name), t.size);
      ggufModelConfig(g);
      new GgufWeights(g);
    });
    expect(stats.FORMAT_INVALID).toBeGreaterThan(20);
    expect(Object.values(stats).reduce((a, b) => a + b, 0)).toBe(400);
  });

  it('the hybrids and new families (granitehybrid, falcon-h1, qwen35, phi3): 4 × 150 seeded mutations, loaded as models → only SparrowErrors', async () => {
    // the mixers size buffers from the metadata (the dt / head spread matrices, conv windows, states):
    // a mutated size must be refused before anything that large is allocated
    const names = Object.keys(MUTATORS);
    const stats: Record<string, number> = {};
    for (const [i, [arch, pre]] of ([['granitehybrid', 'dbrx'], ['falcon-h1', 'falcon-h1'], ['qwen35', 'qwen35'], ['phi3', 'llama-bpe']] as const).entries()) {
      const base = tinyGguf(tinyShape(arch, pre), undefined, 'Q8_0');
      const headerEnd = GgufFile.openSync(base).dataStart;
      const r = rng(31 + i);
      for (let k = 0; k < 150; k++) {
        const m = names[k % names.length];
        const bytes = MUTATORS[m](base, r, headerEnd);
        try {
          const { model } = await openModel(new ReferenceBackend(), new Map([['fuzz.gguf', bytes]]));
          const st = model.newState();
          (model.backend as ReferenceBackend).free(model.prefill([1, 2, 3], st));
          st.free();
          model.dispose();
          stats.ok = (stats.ok ?? 0) + 1;
        } catch (e) {
          if (!(e instanceof SparrowError)) throw new Error(`${arch} #${k} (${m}): non-Sparrow error ${(e as Error)?.name}: ${(e as Error)?.message}`);
          stats[e.code] = (stats[e.code] ?? 0) + 1;
        }
      }
    }
    expect(stats.FORMAT_INVALID).toBeGreaterThan(50);
    expect(Object.values(stats).reduce((a, b) => a + b, 0)).toBe(600);
  }, 120_000);

  it('huge sizes in the hybrids\' metadata are typed errors before anything that large is allocated (they once threw RangeError or ran out of memory)', async () => {
    const cases: [TinyArch, string, Record<string, number>][] = [
      ['granitehybrid', 'dbrx', { 'ssm.inner_size': 1 << 30, 'ssm.time_step_rank': 1 << 10 }],
      ['falcon-h1', 'falcon-h1', { 'ssm.inner_size': 1 << 30, 'ssm.time_step_rank': 1 << 10 }],
      ['qwen35', 'qwen35', { 'ssm.time_step_rank': 1 << 20, 'ssm.state_size': 1 << 10, 'ssm.inner_size': 1 << 30 }],
      ['qwen35', 'qwen35', { 'attention.key_length': 1 << 30 }],
      ['qwen35', 'qwen35', { 'ssm.conv_kernel': 1 << 30 }],
      ['phi3', 'llama-bpe', { 'rope.dimension_count': 1 << 30 }],
      ['granitehybrid', 'dbrx', { 'attention.head_count': 1 << 28 }],
    ];
    for (const [arch, pre, set] of cases) {
      const g = GgufFile.openSync(tinyGguf(tinyShape(arch, pre)));
      const meta = [...g.metadata].map(([k, v]) => [k, k.slice(arch.length + 1) in set ? kv.u32(set[k.slice(arch.length + 1)]) : v] as [string, typeof v]);
      const bytes = writeGguf(meta, [...g.tensors.values()].map((t) => ({ name: t.name, type: t.type.name, ne: t.ne, data: g.rawSync(t.name) })));
      const b = new ReferenceBackend();
      await expect(openModel(b, new Map([['h.gguf', bytes]])), `${arch} ${JSON.stringify(set)}`).rejects.toBeInstanceOf(SparrowError);
      expect(b.memoryBytes(), `${arch}: nothing left allocated`).toBe(0);
    }
  });

  it('every numeric metadata key of every GGUF architecture set to 2^30 (2^30 layers once ran Node out of memory): loads or a SparrowError, nothing left allocated', async () => {
    const files: [string, Uint8Array][] = [
      ['mamba', tinyMambaGguf()], ['mamba2', tinyMamba2Gguf()], ['rwkv7', tinyRwkv7Gguf()],
      ...(['llama', 'qwen2', 'qwen3', 'gemma3', 'gemma2', 'lfm2', 'granite', 'granitehybrid', 'smollm3', 'falcon-h1', 'qwen35', 'ernie4_5', 'exaone', 'phi3'] as const).map((a): [string, Uint8Array] => [a, tinyGguf(tinyShape(a, a === 'lfm2' ? 'lfm2' : a === 'qwen35' ? 'qwen35' : 'llama-bpe'))]),
    ];
    let tried = 0;
    for (const [arch, file] of files) {
      const g = GgufFile.openSync(file);
      for (const key of [...g.metadata.keys()].filter((k) => k.startsWith(`${arch}.`) && typeof g.get(k) === 'number')) {
        const meta = [...g.metadata].map(([k, v]) => [k, k === key ? kv.u32(2 ** 30) : v] as [string, typeof v]);
        const bytes = writeGguf(meta, [...g.tensors.values()].map((t) => ({ name: t.name, type: t.type.name, ne: t.ne, data: g.rawSync(t.name) })));
        const b = new ReferenceBackend();
        try {
          const { model } = await openModel(b, new Map([['h.gguf', bytes]]));
          model.dispose();
        } catch (e) {
          if (!(e instanceof SparrowError)) throw new Error(`${key} = 2^30: non-Sparrow error ${(e as Error)?.name}: ${(e as Error)?.message}`);
          expect(b.memoryBytes(), `${key}: nothing left allocated`).toBe(0);
        }
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(150);
  }, 120_000);

  it('every numeric config.json field of the Hugging Face fixture folders set to 2^30 (num_hidden_layers once ran Node out of memory): loads or a SparrowError', async () => {
    let tried = 0;
    for (const dir of ['llama-gqa-tiny', 'mamba-tiny', 'rwkv4-tiny']) {
      const cfg = JSON.parse(new TextDecoder().decode(fixtureBytes(MODEL_ROOT, dir, 'config.json'))) as Record<string, unknown>;
      const st = fixtureBytes(MODEL_ROOT, dir, 'model.safetensors');
      for (const key of Object.keys(cfg).filter((k) => typeof cfg[k] === 'number')) {
        const b = new ReferenceBackend();
        try {
          const { model } = await openModel(b, new Map([['config.json', new TextEncoder().encode(JSON.stringify({ ...cfg, [key]: 2 ** 30 }))], ['model.safetensors', st]]));
          model.dispose();
        } catch (e) {
          if (!(e instanceof SparrowError)) throw new Error(`${dir} ${key} = 2^30: non-Sparrow error ${(e as Error)?.name}: ${(e as Error)?.message}`);
          expect(b.memoryBytes(), `${dir} ${key}: nothing left allocated`).toBe(0);
        }
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(30);
  }, 120_000);

  it('hand-made hostile headers: 2^60 elements, 2^60 strings, misaligned and overlapping data', () => {
    const base = fixtureBytes(MODEL_ROOT, 'llama-gqa-tiny', 'model.F32.gguf');
    const code = (b: Uint8Array) => {
      try {
        GgufFile.openSync(b, 'h.gguf');
        return 'ok';
      } catch (e) {
        if (!(e instanceof SparrowError)) throw e;
        expect(e.message).toContain('h.gguf');
        return e.code;
      }
    };
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    // Wrong magic, version 1, huge tensor count, huge KV count.
    let c = base.slice(); c[0] = 0x00; c[3] = 0x00; expect(code(c)).toBe('FORMAT_INVALID');
    c = base.slice(); dv(c).setUint32(4, 1, true); expect(code(c)).toBe('UNSUPPORTED');
    c = base.slice(); dv(c).setBigUint64(8, 2n ** 60n, true); expect(code(c)).toBe('SIZE_LIMIT');
    c = base.slice(); dv(c).setBigUint64(16, 2n ** 60n, true); expect(code(c)).toBe('SIZE_LIMIT');
    // First key's length → 2^60.
    c = base.slice(); dv(c).setBigUint64(24, 2n ** 60n, true); expect(code(c)).toBe('SIZE_LIMIT');
    // Find the first tensor info (token_embd.weight) and corrupt its ne / type / offset.
    const g = GgufFile.openSync(base);
    const name = new TextEncoder().encode('token_embd.weight');
    let p = -1;
    for (let i = 0; i < g.dataStart; i++) if (base[i] === name[0] && name.every((x, j) => base[i + j] === x) && dv(base).getUint32(i - 8, true) === name.length) p = i + name.length;
    expect(p).toBeGreaterThan(0);
    // layout: u32 n_dims, u64 ne0, u64 ne1, u32 type, u64 offset
    c = base.slice(); dv(c).setBigUint64(p + 4, 2n ** 30n, true); dv(c).setBigUint64(p + 12, 2n ** 30n, true); expect(code(c)).toBe('SIZE_LIMIT');
    c = base.slice(); dv(c).setBigUint64(p + 12, 2n ** 60n, true); expect(code(c)).toBe('SIZE_LIMIT');
    c = base.slice(); dv(c).setUint32(p + 20, 99, true); expect(code(c)).toBe('UNSUPPORTED');
    c = base.slice(); dv(c).setBigUint64(p + 24, 4n, true); expect(code(c)).toBe('FORMAT_INVALID'); // misaligned
    c = base.slice(); dv(c).setBigUint64(p + 24, 32n, true); expect(code(c)).toBe('FORMAT_INVALID'); // overlaps the next tensor
    c = base.slice(); dv(c).setUint32(p, 9, true); expect(code(c)).toBe('FORMAT_INVALID'); // n_dims
    expect(code(base.slice(0, base.length - 1))).toBe('FORMAT_INVALID'); // truncated data
    expect(code(base.slice(0, 100))).toBe('FORMAT_INVALID'); // truncated header
  });

  it('a file cut short anywhere in its data is FORMAT_INVALID "truncated" with both sizes, in every quantisation', () => {
    for (const file of ['model.F32.gguf', 'model.Q8_0.gguf', 'model.Q4_0.gguf']) {
      const base = fixtureBytes(MODEL_ROOT, 'llama-gqa-tiny', file);
      const g = GgufFile.openSync(base);
      const need = Math.max(...[...g.tensors.values()].map((t) => t.end)) - g.dataStart;
      for (const frac of [0.25, 0.5, 0.9, 0.999]) {
        const cut = Math.max(g.dataStart, Math.floor(base.length * frac));
        let err: unknown;
        try {
          GgufFile.openSync(base.slice(0, cut), file);
        } catch (e) {
          err = e;
        }
        expect(err, `${file} cut at ${frac}`).toBeInstanceOf(SparrowError);
        const e = err as SparrowError;
        expect(e.code, `${file} cut at ${frac}: ${e.message}`).toBe('FORMAT_INVALID');
        expect(e.message).toContain('truncated');
        expect(e.details).toMatchObject({ neededBytes: need, dataBytes: cut - g.dataStart });
      }
    }
  });

  it('Blob reads of a truncated header fail cleanly too', async () => {
    const base = fixtureBytes(MODEL_ROOT, 'llama-gqa-tiny', 'model.F32.gguf');
    await expect(GgufFile.open(new Blob([base.slice(0, 3000)]), 'b.gguf')).rejects.toMatchObject({ code: 'FORMAT_INVALID' });
  });
});
