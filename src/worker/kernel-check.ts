/**
 * A quick end-to-end check that a backend computes correctly in this browser: one seeded
 * matvec (1536×576, SmolLM's FFN down-projection shape) against the reference backend, with the
 * output poisoned with NaN beforehand so a kernel that writes nothing cannot pass.
 */
import type { Backend, BackendName } from '../backends/backend.ts';
import { ReferenceBackend } from '../backends/reference/backend.ts';
import { WasmBackend } from '../backends/wasm/backend.ts';
import { WebGpuBackend } from '../backends/webgpu/backend.ts';
import type { KernelCheck } from './api.ts';

const M = 1536;
const K = 576;
/** f32 accumulation over K = 576 terms of magnitude < 1: errors above this mean a broken kernel. */
const TOLERANCE = 1e-3;

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

async function matvecOn(b: Backend, w: Float32Array, x: Float32Array): Promise<{ y: Float32Array; ms: number }> {
  const tw = b.tensor([M, K], 'f32', w);
  const tx = b.tensor([K], 'f32', x);
  const ty = b.tensor([M], 'f32', new Float32Array(M).fill(NaN));
  try {
    b.matvec(ty, tw, tx); // first run compiles pipelines / tiers up: not timed
    await b.flush();
    const t0 = performance.now();
    b.matvec(ty, tw, tx);
    await b.flush();
    const ms = performance.now() - t0;
    return { y: (await b.read(ty)) as Float32Array, ms };
  } finally {
    for (const t of [tw, tx, ty]) b.free(t);
  }
}

let gpu: Promise<WebGpuBackend> | undefined;
let wasm: Promise<WasmBackend> | undefined;

async function backend(name: BackendName): Promise<Backend> {
  if (name === 'reference') return new ReferenceBackend();
  if (name === 'wasm') return (wasm ??= WasmBackend.create());
  gpu ??= WebGpuBackend.create();
  gpu.catch(() => (gpu = undefined));
  return gpu;
}

export async function kernelCheck(name: BackendName): Promise<KernelCheck> {
  const w = seeded(M * K, 1);
  const x = seeded(K, 2);
  const ref = await matvecOn(new ReferenceBackend(), w, x);
  const got = await matvecOn(await backend(name), w, x);
  let maxAbsErr = 0;
  for (let i = 0; i < M; i++) {
    const e = Math.abs(got.y[i] - ref.y[i]);
    if (!(e <= maxAbsErr)) maxAbsErr = e; // NaN propagates as a failure
  }
  return { backend: name, op: 'matvec', shape: [M, K], maxAbsErr, ok: maxAbsErr <= TOLERANCE, ms: got.ms };
}
