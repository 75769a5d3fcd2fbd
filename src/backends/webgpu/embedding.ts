/**
 * Embedding lookup on the webgpu backend (shaders/rope.wgsl). Ids live on the GPU, so they are
 * validated two ways: synchronously against the CPU shadow of an id tensor written from the CPU
 * (the usual case: token ids), and otherwise by the kernel, which never reads outside the table
 * and records the first bad id; `checkIds` raises it as INDEX_OUT_OF_RANGE at the next read/flush.
 */
import { SparrowError } from '../../errors.ts';
import type { Tensor } from '../backend.ts';
import * as v from '../validate.ts';
import { grid, u32 } from './device.ts';
import type { WebGpuBackend } from './backend.ts';
import ropeWgsl from '../../../shaders/rope.wgsl?raw';

interface IdCheck {
  /** [flag, index, id] written by the kernel. */
  err: GPUBuffer;
  /** The vocabulary of each embedding recorded since the last check (for the message). */
  vocab: number;
  pending: boolean;
}
const checks = new WeakMap<WebGpuBackend, IdCheck>();

export function embedding(g: WebGpuBackend, out: Tensor, table: Tensor, ids: Tensor): void {
  v.checkBackend('embedding', g.name, out, table, ids);
  const { n, d, vocab } = v.embedding('embedding', out, table, ids);
  const idBuf = g.buf('embedding', ids);
  const shadow = g.gpu.shadows.get(idBuf);
  if (shadow) v.embeddingIds('embedding', shadow, vocab);
  if (n * d === 0) return;
  let c = checks.get(g);
  if (!c) checks.set(g, (c = { err: g.gpu.createBuffer(12, 'embedding'), vocab, pending: false }));
  // With a CPU shadow the ids were just validated and cannot change before the kernel runs (a GPU
  // write would drop the shadow), so only shadow-less ids need the readback of the flag.
  if (!shadow) c.pending = true;
  c.vocab = vocab;
  const [gx, gy] = grid(Math.ceil((n * d) / 256));
  const entry = table.dtype === 'f16' ? 'embedding_f16' : table.dtype === 'bf16' ? 'embedding_bf16' : 'embedding_f32';
  g.gpu.dispatch('rope', ropeWgsl, entry, [u32(n), u32(d), u32(vocab), u32(gx)], [g.buf('embedding', out), c.err, idBuf, g.buf('embedding', table)], [gx, gy], 2);
}

/** Raise INDEX_OUT_OF_RANGE if a GPU-side id check failed since the last call (resets the flag). */
export async function checkIds(g: WebGpuBackend, op: string): Promise<void> {
  const c = checks.get(g);
  if (!c?.pending) return;
  c.pending = false;
  const [flag, index, id] = new Int32Array(await g.gpu.readBuffer(c.err, 12, op));
  if (flag === 0) return;
  g.gpu.device.queue.writeBuffer(c.err, 0, new Uint32Array(3));
  throw new SparrowError('INDEX_OUT_OF_RANGE', `embedding: id ${id} at ${index} is outside the vocabulary [0, ${c.vocab})`, { op: 'embedding', index, id, vocab: c.vocab });
}
