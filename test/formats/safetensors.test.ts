import { describe, expect, it } from 'vitest';
import { SafetensorsFile, writeSafetensors } from '../../src/formats/safetensors.ts';
import { isSparrowError } from '../../src/errors.ts';
import { f32ToF16Array } from '../../src/util/f16.ts';
import { randomF32 } from '../helpers/random.ts';
import { MODEL_ROOT, fixtureBytes, fixtureJson } from './fixtures.ts';

interface Manifest {
  weights: { metadata: Record<string, string>; tensors: { name: string; shape: number[] }[] };
}

describe('safetensors reader on the HF fixtures', () => {
  for (const dir of ['mamba-tiny', 'rwkv4-tiny', 'llama-gqa-tiny', 'mamba-tiny-pruned80']) {
    it(`${dir}: every tensor of the manifest, shapes and metadata`, async () => {
      const bytes = fixtureBytes(MODEL_ROOT, dir, 'model.safetensors');
      const man = fixtureJson<Manifest>(MODEL_ROOT, dir, 'manifest.json');
      const f = SafetensorsFile.openSync(bytes, `${dir}/model.safetensors`);
      expect(f.metadata).toEqual(man.weights.metadata);
      expect(f.names().sort()).toEqual(man.weights.tensors.map((t) => t.name).sort());
      for (const t of man.weights.tensors) {
        expect(f.info(t.name).shape).toEqual(t.shape);
        const data = f.f32Sync(t.name, t.shape);
        expect(data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        expect(data.every(Number.isFinite)).toBe(true);
      }
      // The Blob path reads the same bytes range by range.
      const fb = await SafetensorsFile.open(new Blob([bytes as Uint8Array<ArrayBuffer>]), dir);
      const name = man.weights.tensors[0].name;
      expect(await fb.f32(name)).toEqual(f.f32Sync(name));
    });
  }

  it('F32 tensors of an aligned in-memory file are views, not copies', () => {
    const bytes = fixtureBytes(MODEL_ROOT, 'mamba-tiny', 'model.safetensors');
    const f = SafetensorsFile.openSync(bytes);
    const a = f.f32Sync('backbone.embeddings.weight');
    expect(a.buffer).toBe(bytes.buffer);
  });

  it('names the file and tensor on a missing tensor or wrong shape', () => {
    const f = SafetensorsFile.openSync(fixtureBytes(MODEL_ROOT, 'mamba-tiny', 'model.safetensors'), 'tiny.st');
    expect(() => f.info('nope')).toThrow(/tiny\.st: tensor 'nope'/);
    try {
      f.f32Sync('backbone.embeddings.weight', [64, 256]);
      expect.unreachable();
    } catch (e) {
      expect(isSparrowError(e, 'SHAPE_MISMATCH')).toBe(true);
      expect((e as Error).message).toContain('backbone.embeddings.weight');
    }
  });
});

describe('safetensors writer', () => {
  it('round-trips F32/F16/BF16/I32 with metadata, 8-byte-aligned offsets', async () => {
    const a = randomF32(3 * 5, 1);
    const h = f32ToF16Array(randomF32(7, 2));
    const bf = new Uint16Array([0x3f80, 0xc000, 0x0000, 0x7f80]); // 1, -2, 0, inf
    const i = new Int32Array([1, -2, 3]);
    const bytes = writeSafetensors(
      [
        { name: 'a', dtype: 'F32', shape: [3, 5], data: a },
        { name: 'h', dtype: 'F16', shape: [7], data: h },
        { name: 'bf', dtype: 'BF16', shape: [2, 2], data: bf },
        { name: 'i', dtype: 'I32', shape: [3], data: i },
        { name: 'empty', dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
      ],
      { format: 'pt', who: 'sparrow' },
    );
    const f = await SafetensorsFile.open(bytes);
    expect(f.metadata).toEqual({ format: 'pt', who: 'sparrow' });
    expect(await f.f32('a')).toEqual(a);
    expect(await f.f16Bits('h')).toEqual(h);
    expect(Array.from(await f.f32('bf'))).toEqual([1, -2, 0, Infinity]);
    expect(new Int32Array((await f.raw('i')).slice().buffer)).toEqual(i);
    expect(f.info('empty').shape).toEqual([0, 4]);
    for (const n of f.names()) expect((f.info(n).begin - f.dataStart) % 8).toBe(0);
  });

  it('rejects a data length that disagrees with the shape', () => {
    expect(() => writeSafetensors([{ name: 'x', dtype: 'F32', shape: [4], data: new Float32Array(3) }])).toThrow(/'x'/);
  });
});

describe('safetensors bad input', () => {
  const mk = (header: unknown, dataBytes = 16): Uint8Array => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + dataBytes);
    new DataView(out.buffer).setUint32(0, json.length, true);
    out.set(json, 8);
    return out;
  };
  const code = (bytes: Uint8Array): string => {
    try {
      SafetensorsFile.openSync(bytes, 'bad.safetensors');
      return 'ok';
    } catch (e) {
      if (!isSparrowError(e)) throw e;
      expect(e.message).toContain('bad.safetensors');
      return e.code;
    }
  };
  it('maps each defect to its code', () => {
    expect(code(new Uint8Array(5))).toBe('FORMAT_INVALID');
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(4, 0x10000000, true);
    expect(code(huge)).toBe('SIZE_LIMIT');
    const trunc = new Uint8Array(16);
    new DataView(trunc.buffer).setUint32(0, 1000, true);
    expect(code(trunc)).toBe('FORMAT_INVALID');
    expect(code(mk('x'))).toBe('FORMAT_INVALID');
    expect(code(mk({ t: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }))).toBe('ok');
    expect(code(mk({ t: { dtype: 'Q9', shape: [2], data_offsets: [0, 8] } }))).toBe('UNSUPPORTED');
    expect(code(mk({ t: { dtype: 'F32', shape: [2 ** 30, 2 ** 30], data_offsets: [0, 16] } }))).toBe('SIZE_LIMIT');
    expect(code(mk({ t: { dtype: 'F32', shape: [2], data_offsets: [8, 24] } }))).toBe('FORMAT_INVALID');
    expect(code(mk({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }))).toBe('SHAPE_MISMATCH');
    expect(code(mk({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }))).toBe('FORMAT_INVALID');
    expect(code(mk({ t: { dtype: 'F32', shape: [-1], data_offsets: [0, 8] } }))).toBe('FORMAT_INVALID');
    expect(code(mk({ __metadata__: { a: 1 } }))).toBe('FORMAT_INVALID');
  });
});
