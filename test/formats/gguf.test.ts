import { describe, expect, it } from 'vitest';
import { GgufFile, GgufValueType } from '../../src/formats/gguf.ts';
import { kv, writeGguf } from '../../src/formats/gguf-writer.ts';
import { dequantize, quantizeQ4_0, quantizeQ8_0 } from '../../src/formats/ggml-quants.ts';
import { SafetensorsFile } from '../../src/formats/safetensors.ts';
import { KQUANT_ROOT, MODEL_ROOT, fixtureBytes, fixtureF32, fixtureJson } from './fixtures.ts';

/** Worst |a−b| in units of b's float32 ulp (0 = bit-exact). */
function worstUlp(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i]) || a[i] === b[i]) continue;
    const ulp = Math.max(Math.abs(b[i]) * 2 ** -23, 2 ** -149);
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / ulp);
  }
  return worst;
}

interface KManifest {
  files: { gguf: string; tensors: { name: string; type: string; shape: number[]; file: string }[] }[];
}

describe('GGUF k-quant fixtures: every tensor dequantizes bit-exactly vs gguf-py', () => {
  const man = fixtureJson<KManifest>(KQUANT_ROOT, 'manifest.json');
  for (const f of man.files) {
    it(f.gguf, () => {
      const g = GgufFile.openSync(fixtureBytes(KQUANT_ROOT, f.gguf), f.gguf);
      expect(g.version).toBe(3);
      expect(g.get('general.architecture')).toBe('llama');
      for (const t of f.tensors) {
        const info = g.info(t.name);
        expect(info.type.name).toBe(t.type);
        expect(info.shape).toEqual(t.shape);
        const got = dequantize(info.type, g.rawSync(t.name), info.size);
        expect(worstUlp(got, fixtureF32(KQUANT_ROOT, t.file)), `${f.gguf} ${t.name}`).toBe(0);
      }
      // 1-D tensors stay F32 and must also read back.
      for (const info of g.tensors.values()) if (info.shape.length === 1) expect(info.type.name).toBe('F32');
    });
  }
});

interface LManifest {
  gguf: { files: Record<string, { file: string; metadata: Record<string, unknown>; tensors: { name: string; ggml_type: string; numpy_shape: number[]; ggml_ne: number[]; nbytes: number }[]; dequantized_samples: Record<string, string> }> };
}

describe('llama-gqa-tiny GGUF files (F32/F16/Q8_0/Q5_0/Q4_0)', () => {
  const man = fixtureJson<LManifest>(MODEL_ROOT, 'llama-gqa-tiny', 'manifest.json');
  for (const [type, f] of Object.entries(man.gguf.files)) {
    it(`${type}: metadata, tensor table and dequant samples`, () => {
      const g = GgufFile.openSync(fixtureBytes(MODEL_ROOT, 'llama-gqa-tiny', f.file), f.file);
      for (const [k, v] of Object.entries(f.metadata)) {
        const got = g.get(k);
        if (typeof v === 'string' && v.startsWith('<array of')) expect((got as unknown[]).length).toBe(Number(v.match(/\d+/)![0]));
        else if (typeof v === 'number' && !Number.isInteger(v)) expect(got).toBeCloseTo(v, 12);
        else expect(got, k).toEqual(v);
      }
      expect(g.metadata.get('tokenizer.ggml.tokens')!.itemType).toBe(GgufValueType.STRING);
      expect((g.get('tokenizer.ggml.tokens') as string[])[65]).toBe('<0x41>');
      expect([...g.tensors.keys()].sort()).toEqual(f.tensors.map((t) => t.name).sort());
      for (const t of f.tensors) {
        const info = g.info(t.name);
        expect(info.type.name).toBe(t.ggml_type);
        expect(info.ne).toEqual(t.ggml_ne);
        expect(info.shape).toEqual(t.numpy_shape);
        expect(info.byteLength).toBe(t.nbytes);
        expect(info.begin % g.alignment).toBe(0);
      }
      for (const [name, file] of Object.entries(f.dequantized_samples)) {
        const info = g.info(name);
        const got = dequantize(info.type, g.rawSync(name), info.size);
        expect(worstUlp(got, fixtureF32(MODEL_ROOT, 'llama-gqa-tiny', file)), `${type} ${name}`).toBe(0);
      }
    });
  }

  it('Blob path reads the same header and tensors', async () => {
    const bytes = fixtureBytes(MODEL_ROOT, 'llama-gqa-tiny', 'model.Q8_0.gguf');
    const a = GgufFile.openSync(bytes);
    const b = await GgufFile.open(new Blob([bytes as Uint8Array<ArrayBuffer>]), 'q8.gguf');
    expect(b.get('tokenizer.ggml.tokens')).toEqual(a.get('tokenizer.ggml.tokens'));
    expect(await b.raw('blk.1.attn_v.weight')).toEqual(a.rawSync('blk.1.attn_v.weight'));
  });

  it('our Q8_0/Q4_0 quantizers reproduce gguf-py byte for byte (unpermuted ffn_gate)', () => {
    const st = SafetensorsFile.openSync(fixtureBytes(MODEL_ROOT, 'llama-gqa-tiny', 'model.safetensors'));
    const w = st.f32Sync('model.layers.0.mlp.gate_proj.weight');
    for (const [type, q] of [['Q8_0', quantizeQ8_0], ['Q4_0', quantizeQ4_0]] as const) {
      const g = GgufFile.openSync(fixtureBytes(MODEL_ROOT, 'llama-gqa-tiny', `model.${type}.gguf`));
      expect(q(w)).toEqual(g.rawSync('blk.0.ffn_gate.weight').slice());
    }
  });
});

describe('GGUF from a Blob with a multi-megabyte header', () => {
  it('grows the header prefix until it parses (100k-token vocabulary), then reads tensors by slice', async () => {
    const tokens = Array.from({ length: 100_000 }, (_, i) => `token-${i}-${'x'.repeat(i % 17)}`);
    const w = Float32Array.from({ length: 64 }, (_, i) => i / 7);
    const bytes = writeGguf(
      [['general.architecture', kv.str('llama')], ['tokenizer.ggml.tokens', kv.arr(GgufValueType.STRING, tokens)]],
      [{ name: 'w', type: 'F32', ne: [32, 2], data: new Uint8Array(w.buffer) }],
    );
    expect(bytes.length).toBeGreaterThan(2 << 20); // more than twice the 1 MiB first read
    let reads = 0;
    const blob = new Blob([bytes as Uint8Array<ArrayBuffer>]);
    const counting = { name: 'big.gguf', size: blob.size, read: async (b: number, e: number) => (reads++, new Uint8Array(await blob.slice(b, e).arrayBuffer())) };
    const g = await GgufFile.open(counting);
    expect(reads).toBeGreaterThan(1);
    expect(g.get('tokenizer.ggml.tokens')).toEqual(tokens);
    expect(Array.from(dequantize('F32', await g.raw('w'), 64))).toEqual(Array.from(w));
    // Truncating inside the header fails as FORMAT_INVALID, not as an endless read loop.
    await expect(GgufFile.open(new Blob([bytes.slice(0, 2 << 20)]), 'cut.gguf')).rejects.toMatchObject({ code: 'FORMAT_INVALID' });
  });
});

describe('GGUF versions', () => {
  it('reads v2 (same layout as v3) and rejects v1 as UNSUPPORTED', () => {
    const bytes = fixtureBytes(MODEL_ROOT, 'llama-gqa-tiny', 'model.Q4_0.gguf').slice();
    const dv = new DataView(bytes.buffer);
    dv.setUint32(4, 2, true);
    const g = GgufFile.openSync(bytes);
    expect(g.version).toBe(2);
    expect(g.info('blk.0.attn_q.weight').type.name).toBe('Q4_0');
    dv.setUint32(4, 1, true);
    expect(() => GgufFile.openSync(bytes, 'v1.gguf')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });
});

describe('GGUF writer', () => {
  it('round-trips every metadata type, alignment and tensors', () => {
    const w = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
    const q8 = quantizeQ8_0(w);
    const bytes = writeGguf(
      [
        ['general.architecture', kv.str('llama')],
        ['general.alignment', kv.u32(64)],
        ['a.u8', kv.u8(250)], ['a.i8', kv.i8(-5)], ['a.u16', kv.u16(65000)], ['a.i16', kv.i16(-30000)],
        ['a.i32', kv.i32(-7)], ['a.f32', kv.f32(0.5)], ['a.f64', kv.f64(Math.PI)], ['a.b', kv.bool(true)],
        ['a.u64', kv.u64(2n ** 60n)], ['a.i64', kv.i64(-3)],
        ['a.strs', kv.arr(GgufValueType.STRING, ['x', 'héllo', ''])],
        ['a.ints', kv.arr(GgufValueType.INT32, [1, -2, 3])],
      ],
      [
        { name: 'w', type: 'Q8_0', ne: [32, 2], data: q8 },
        { name: 'v', type: 'F32', ne: [3], data: new Uint8Array(new Float32Array([1, 2, 3]).buffer) },
      ],
      64,
    );
    const g = GgufFile.openSync(bytes);
    expect(g.alignment).toBe(64);
    expect(g.get('a.u8')).toBe(250);
    expect(g.get('a.i8')).toBe(-5);
    expect(g.get('a.u16')).toBe(65000);
    expect(g.get('a.i16')).toBe(-30000);
    expect(g.get('a.f64')).toBe(Math.PI);
    expect(g.get('a.b')).toBe(true);
    expect(g.get('a.u64')).toBe(2n ** 60n);
    expect(g.get('a.i64')).toBe(-3);
    expect(g.get('a.strs')).toEqual(['x', 'héllo', '']);
    expect(g.get('a.ints')).toEqual([1, -2, 3]);
    expect(g.info('w').shape).toEqual([2, 32]);
    expect(g.info('v').begin % 64).toBe(0);
    const back = dequantize('Q8_0', g.rawSync('w'), 64);
    for (let i = 0; i < 64; i++) expect(Math.abs(back[i] - w[i])).toBeLessThan(0.01);
    expect(Array.from(dequantize('F32', g.rawSync('v'), 3))).toEqual([1, 2, 3]);
  });
});
