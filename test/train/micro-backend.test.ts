import { describe, expect, it } from 'vitest';
import { initParams, type MicroConfig } from '../../src/models/micro-config.ts';
import { MicroModel } from '../../src/models/micro.ts';
import { MicroBackendModel } from '../../src/models/micro-backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import type { Backend } from '../../src/backends/backend.ts';

export const C: MicroConfig = { vocab: 21, dim: 18, heads: 3, layers: 2, window: 6, ffn: 13, eps: 1e-5 };

function weights() {
  const w = initParams(C, 11);
  let s = 5;
  for (const a of w.values()) for (let i = 0; i < a.length; i++) a[i] += 0.2 * (((s = (s * 16807) % 2147483647) / 2147483647) - 0.5);
  return w;
}

async function maxErr(b: Backend): Promise<number> {
  const w = weights();
  const ref = new MicroModel(C, w);
  const m = new MicroBackendModel(b, C, w);
  let worst = 0;
  for (let t = 0; t < 16; t++) {
    ref.adapt = m.adapt = t < 12;
    const tok = (t * 5 + (t >> 2)) % C.vocab;
    const want = ref.step(tok);
    const got = await b.read(m.step(tok));
    for (let j = 0; j < C.vocab; j++) worst = Math.max(worst, Math.abs(got[j] - want[j]));
  }
  return worst;
}

describe('micro model through the Backend interface (core ops + deltaRule)', () => {
  it('reference backend matches the fused TS step', async () => {
    expect(await maxErr(new ReferenceBackend())).toBeLessThan(1e-4);
  });
  it('wasm backend matches the fused TS step', async () => {
    expect(await maxErr(await WasmBackend.create())).toBeLessThan(1e-4);
  });
});
