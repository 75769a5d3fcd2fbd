/**
 * Learned-state persistence (src/anomaly/detector-state.ts, src/models/micro-state.ts): a detector
 * stopped half-way through a NAB stream, exported, and imported into a NEW detector with a NEW
 * model instance scores the second half exactly as an uninterrupted run; the micro model alone
 * likewise continues with identical logits (TS and fused WASM); damaged, foreign or outdated
 * state files give typed errors and change nothing.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR, StreamingDetector, type MicroStepper } from '../../src/anomaly/detector.ts';
import { exportDetectorState, importDetectorState, peekDetectorState } from '../../src/anomaly/detector-state.ts';
import { SparrowError } from '../../src/errors.ts';
import { SafetensorsFile, writeSafetensors } from '../../src/formats/safetensors.ts';
import { initParams, type MicroConfig } from '../../src/models/micro-config.ts';
import { microWeightsHash, writeStateFile } from '../../src/models/micro-state.ts';
import { loadMicro } from '../../src/models/micro-weights.ts';
import { MicroWasm } from '../../src/models/micro-wasm.ts';
import { MicroModel } from '../../src/models/micro.ts';
import { MicroBackendModel } from '../../src/models/micro-backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import type { Backend } from '../../src/backends/backend.ts';
import { parseNabCsv } from '../../src/nab/corpus.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const sensor = loadMicro(readFileSync(resolve(ROOT, 'public/models/sensor.safetensors')), 'sensor.safetensors');
const { config, weights } = sensor;
const stream = (() => {
  const csv = 'realKnownCause/ec2_request_latency_system_failure.csv';
  const v = parseNabCsv(readFileSync(resolve(ROOT, 'data/nab/data', csv), 'utf8'), csv).columns['value']!;
  const out = Float64Array.from(v);
  out[100] = NaN; // skipped values must survive a save too
  out[v.length - 50] = Infinity;
  return out;
})();
let hash: string;
beforeAll(async () => {
  hash = await microWeightsHash(config, weights);
});

type Make = () => Promise<MicroStepper>;
const engines: Array<[string, Make]> = [
  ['ts', async () => new MicroModel(config, weights)],
  ['wasm', async () => MicroWasm.create(config, weights)],
];

function run(d: StreamingDetector, v: Float64Array, from: number, to: number): Float64Array {
  const out = new Float64Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = d.push(v[i]).score;
  return out;
}

/** Bit-for-bit equality of two float arrays (NaN equal to NaN). */
function sameBits(a: Float64Array | Float32Array | Uint8Array, b: Float64Array | Float32Array | Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength), y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.every((v, i) => v === y[i]);
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SparrowError);
    return `${(e as SparrowError).code}${(e as SparrowError).details['reason'] ? ':' + String((e as SparrowError).details['reason']) : ''}`;
  }
  return 'no error';
}

describe.each(engines)('detector continues exactly after export/import (%s model)', (_name, make) => {
  it('second half of a NAB stream scores bit-for-bit like an uninterrupted run', async () => {
    const n = stream.length, half = n >> 1;
    const whole = run(new StreamingDetector(await make(), undefined, DEFAULT_DETECTOR), stream, 0, n);
    const a = new StreamingDetector(await make(), undefined, DEFAULT_DETECTOR);
    const first = run(a, stream, 0, half);
    const bytes = exportDetectorState(a, hash, { values: half, meta: { stream_id: 'ec2' } });
    const b = new StreamingDetector(await make(), undefined, DEFAULT_DETECTOR);
    run(b, stream, 0, 37); // some unrelated state that the import must replace completely
    const info = importDetectorState(b, bytes, hash);
    expect(info.points).toBe(half - 1); // one NaN skipped
    expect(info.values).toBe(half);
    expect(info.extra['stream_id']).toBe('ec2');
    const second = run(b, stream, half, n);
    expect(sameBits(first, whole.subarray(0, half))).toBe(true);
    expect(sameBits(second, whole.subarray(half))).toBe(true);
    // the scores are not trivially zero: the comparison can fail
    expect(second.some((s) => s > 0.1)).toBe(true);
    // and a non-restored detector does differ on the second half
    const fresh = run(new StreamingDetector(await make(), undefined, DEFAULT_DETECTOR), stream, half, n);
    expect(sameBits(fresh, whole.subarray(half))).toBe(false);
  }, 60_000);

  it('a fresh detector (empty range, no logits yet) round-trips too', async () => {
    const a = new StreamingDetector(await make(), undefined, DEFAULT_DETECTOR);
    const b = new StreamingDetector(await make(), undefined, DEFAULT_DETECTOR);
    run(b, stream, 0, 500);
    importDetectorState(b, exportDetectorState(a, hash), hash);
    expect(sameBits(run(b, stream, 0, 800), run(a, stream, 0, 800))).toBe(true);
  });
});

describe('micro model saveState/loadState continues with identical logits', () => {
  const cfg: MicroConfig = { vocab: 37, dim: 12, heads: 3, layers: 2, window: 5, ffn: 20, eps: 1e-5 };
  const w = initParams(cfg, 11);
  const tokens = Array.from({ length: 61 }, (_, i) => (i * 7919 + 13) % cfg.vocab);
  for (const [name, make] of [
    ['ts', async () => new MicroModel(cfg, w)],
    ['wasm', async () => MicroWasm.create(cfg, w)],
  ] as const) {
    it(`${name}: 23 tokens, save, new instance, load, 38 more → same logits as one run`, async () => {
      const h = await microWeightsHash(cfg, w);
      const whole = await make();
      const ref: Float32Array[] = tokens.map((t) => whole.step(t).slice());
      const a = await make();
      for (const t of tokens.slice(0, 23)) a.step(t);
      const bytes = a.saveState(h);
      const b = await make();
      b.step(5);
      b.loadState(bytes, h);
      tokens.slice(23).forEach((t, i) => expect(sameBits(b.step(t), ref[23 + i])).toBe(true));
      // adapting changed the memory, so the state was not trivially zero
      expect(a.getState().mem[1].some((x) => x !== 0)).toBe(true);
    });
  }
  it('states move between the TS and WASM models (same ring layout)', async () => {
    const h = await microWeightsHash(cfg, w);
    const ts = new MicroModel(cfg, w), wa = await MicroWasm.create(cfg, w);
    for (const t of tokens.slice(0, 30)) ts.step(t);
    wa.loadState(ts.saveState(h), h);
    const s1 = ts.getState(), s2 = wa.getState();
    expect(s2.pos).toBe(30);
    expect(sameBits(s1.mem[0], s2.mem[0]) && sameBits(s1.keys[1], s2.keys[1])).toBe(true);
    const l1 = ts.step(3), l2 = wa.step(3);
    expect(Math.max(...Array.from(l1, (v, i) => Math.abs(v - l2[i])))).toBeLessThan(1e-4);
  });
  it('the weights hash tells models apart', async () => {
    expect(await microWeightsHash(cfg, w)).not.toBe(await microWeightsHash(cfg, initParams(cfg, 12)));
    expect(await microWeightsHash(cfg, w)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('micro model through the Backend seam: state in the shared layout', () => {
  const cfg: MicroConfig = { vocab: 29, dim: 12, heads: 3, layers: 2, window: 6, ffn: 10, eps: 1e-5 };
  const w = initParams(cfg, 4);
  const tokens = Array.from({ length: 40 }, (_, i) => (i * 31 + 7) % cfg.vocab);
  const backends: Array<[string, () => Promise<Backend>]> = [
    ['reference', async () => new ReferenceBackend()],
    ['wasm', async () => WasmBackend.create()],
  ];
  for (const [name, make] of backends) {
    for (const cut of [4, 17]) {
      it(`${name}: state after ${cut} tokens equals MicroModel's; save/load into a new instance continues bit-for-bit`, async () => {
        const h = await microWeightsHash(cfg, w);
        const b = await make();
        const whole = new MicroBackendModel(b, cfg, w);
        const ref: Float32Array[] = [];
        for (const t of tokens) ref.push(Float32Array.from((await b.read(whole.step(t))) as Float32Array));
        const a = new MicroBackendModel(b, cfg, w), ts = new MicroModel(cfg, w);
        for (const t of tokens.slice(0, cut)) a.step(t), ts.step(t);
        const sa = await a.getState(), st = ts.getState();
        expect(sa.pos).toBe(cut);
        const err = (x: Float32Array[], y: Float32Array[]) => Math.max(...x.map((v, l) => Math.max(...Array.from(v, (e, i) => Math.abs(e - y[l][i])))));
        expect(err(sa.keys, st.keys)).toBeLessThan(1e-5);
        expect(err(sa.values, st.values)).toBeLessThan(1e-5);
        expect(err(sa.mem, st.mem)).toBeLessThan(1e-5);
        const bytes = await a.saveState(h);
        const c = new MicroBackendModel(b, cfg, w);
        for (const t of [3, 1, 4, 1, 5, 9, 2, 6]) c.step(t); // unrelated history (and bias mask) to overwrite
        c.loadState(bytes, h);
        for (let i = cut; i < tokens.length; i++) {
          const got = (await b.read(c.step(tokens[i]))) as Float32Array;
          expect(sameBits(got, ref[i])).toBe(true);
        }
        // a state from the fused TS model continues closely too (same layout, other rounding)
        const x = new MicroBackendModel(b, cfg, w);
        x.loadState(ts.saveState(h), h);
        const l1 = (await b.read(x.step(tokens[cut]))) as Float32Array, l2 = ts.step(tokens[cut]);
        expect(Math.max(...Array.from(l1, (v, i) => Math.abs(v - l2[i])))).toBeLessThan(1e-4);
      });
    }
  }
});

describe('bad learned-state files → typed errors, nothing changed', () => {
  let good: Uint8Array;
  let d: StreamingDetector;
  beforeAll(async () => {
    const a = new StreamingDetector(new MicroModel(config, weights), undefined, DEFAULT_DETECTOR);
    run(a, stream, 0, 900);
    good = exportDetectorState(a, hash);
    d = new StreamingDetector(new MicroModel(config, weights), undefined, DEFAULT_DETECTOR);
    run(d, stream, 0, 400);
  });
  /** Replace a metadata value in the JSON header, keeping the header length (pads with spaces). */
  const patchHeader = (bytes: Uint8Array, from: string, to: string): Uint8Array => {
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const head = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(head.includes(from)).toBe(true);
    const patched = head.replace(from, to).padEnd(n, ' ');
    expect(patched.length).toBe(n);
    const out = bytes.slice();
    out.set(new TextEncoder().encode(patched), 8);
    return out;
  };
  const check = async (bytes: Uint8Array, expected: string) => {
    const before = { m: d.model.getState(), s: exportDetectorState(d, hash, { savedAt: 1 }) };
    expect(await codeOf(() => importDetectorState(d, bytes, hash))).toBe(expected);
    expect(sameBits(d.model.getState().mem[0], before.m.mem[0])).toBe(true);
    expect(sameBits(exportDetectorState(d, hash, { savedAt: 1 }), before.s)).toBe(true);
  };
  it('the good file restores', () => {
    const c = new StreamingDetector(new MicroModel(config, weights), undefined, DEFAULT_DETECTOR);
    expect(peekDetectorState(good, hash, c).points).toBe(899);
  });
  it('a flipped bit in tensor data → FORMAT_INVALID (checksum)', async () => {
    const bad = good.slice();
    bad[bad.length - 3] ^= 0x10;
    await check(bad, 'FORMAT_INVALID:checksum');
  });
  it('truncated → FORMAT_INVALID', async () => {
    await check(good.slice(0, good.length - 100), 'FORMAT_INVALID');
    await check(good.slice(0, 5), 'FORMAT_INVALID');
    await check(new Uint8Array(0), 'FORMAT_INVALID');
  });
  it('another model\'s state → FORMAT_INVALID (model)', async () => {
    const other = await microWeightsHash(config, initParams(config, 5));
    const c = new StreamingDetector(new MicroModel(config, weights), undefined, DEFAULT_DETECTOR);
    expect(await codeOf(() => importDetectorState(c, good, hash))).toBe('no error'); // the same bytes fit this model
    expect(await codeOf(() => importDetectorState(c, good, other))).toBe('FORMAT_INVALID:model');
  });
  it('another version or format → FORMAT_INVALID', async () => {
    await check(patchHeader(good, '"version":"1"', '"version":"9"'), 'FORMAT_INVALID:version');
    await check(patchHeader(good, 'sparrow-detector-state', 'sparrow-micro-statexxx'), 'FORMAT_INVALID:format');
  });
  it('other detector options or config shapes → SHAPE_MISMATCH', async () => {
    const opts = { ...DEFAULT_DETECTOR, refractory: DEFAULT_DETECTOR.refractory + 1 };
    const c = new StreamingDetector(new MicroModel(config, weights), undefined, opts);
    expect(await codeOf(() => importDetectorState(c, good, hash))).toBe('SHAPE_MISMATCH:options');
    const cfg2: MicroConfig = { ...config, window: config.window + 1 };
    const w2 = initParams(cfg2, 1);
    const m2 = new MicroModel(cfg2, w2);
    const c2 = new StreamingDetector(m2, undefined, DEFAULT_DETECTOR);
    // (the caller claims the same weights hash: the config check still catches it)
    expect(await codeOf(() => importDetectorState(c2, good, hash))).toBe('SHAPE_MISMATCH:config');
    expect(await codeOf(() => m2.loadState(new MicroModel(config, weights).saveState(hash), hash))).toBe('SHAPE_MISMATCH:config');
  });
  it('a micro state is not a detector state and vice versa', async () => {
    const m = new MicroModel(config, weights);
    await check(m.saveState(hash), 'FORMAT_INVALID:format');
    expect(await codeOf(() => m.loadState(good, hash))).toBe('FORMAT_INVALID:format');
  });
  it('a changed header value (not only tensor data) fails the checksum', async () => {
    const f = SafetensorsFile.openSync(good);
    const pts = f.metadata['points']!;
    await check(patchHeader(good, `"points":"${pts}"`, `"points":"${Number(pts) - 1}"`), 'FORMAT_INVALID:checksum');
  });
  it('fuzz: 400 random byte changes give a typed error or an identical restore, never anything else', () => {
    const c = new StreamingDetector(new MicroModel(config, weights), undefined, DEFAULT_DETECTOR);
    importDetectorState(c, good, hash);
    const want = exportDetectorState(c, hash, { savedAt: 1 });
    let s = 12345, typed = 0, same = 0;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
    for (let k = 0; k < 400; k++) {
      const bad = good.slice();
      const at = k < 200 ? Math.floor(rnd() * Math.min(bad.length, 8 + 2000)) : Math.floor(rnd() * bad.length); // half in the header
      bad[at] = (bad[at] + 1 + Math.floor(rnd() * 255)) & 255;
      const d2 = new StreamingDetector(new MicroModel(config, weights), undefined, DEFAULT_DETECTOR);
      try {
        importDetectorState(d2, bad, hash);
        expect(sameBits(exportDetectorState(d2, hash, { savedAt: 1 }), want)).toBe(true);
        same++;
      } catch (e) {
        if (!(e instanceof SparrowError)) throw new Error(`byte ${at}: ${String(e)}`);
        typed++;
      }
    }
    expect(typed).toBeGreaterThan(300);
    expect(typed + same).toBe(400);
  });
  it('field paths cannot reach Object.prototype', async () => {
    const f = SafetensorsFile.openSync(good);
    const sc = f.metadata['detector_scalars']!;
    const evil = sc.replace('"seen":', '"__proto__.polluted":1,"seen":');
    const tensors = f.names().map((n) => ({ name: n, dtype: f.info(n).dtype as 'F32' | 'F64', shape: f.info(n).shape, data: f.rawSync(n) }));
    await check(writeSafetensors(tensors, { ...f.metadata, detector_scalars: evil }), 'FORMAT_INVALID:checksum'); // the checksum stops it…
    const { format: _f, version: _v, model_hash: _h, micro_config: _c, data_crc32: _x, ...rest } = f.metadata;
    const resealed = writeStateFile(tensors, 'sparrow-detector-state', 1, hash, config, { ...rest, detector_scalars: evil });
    await check(resealed, 'FORMAT_INVALID'); // …and so does the path check when the checksum is made to fit
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
  it('the file is self-describing safetensors', () => {
    const f = SafetensorsFile.openSync(good);
    expect(f.metadata['format']).toBe('sparrow-detector-state');
    expect(f.metadata['model_hash']).toBe(hash);
    expect(f.names()).toContain('model.blocks.0.mem');
    expect(f.names()).toContain('detector.likelihood.avgs');
    expect(f.info('model.blocks.0.keys').shape).toEqual([config.window, config.dim]);
  });
});
