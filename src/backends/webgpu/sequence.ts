/**
 * Sequence ops (ops/sequence.ts) on the webgpu backend: validation here, kernels in
 * shaders/sequence.wgsl and shaders/ternary.wgsl. Recurrences run their token loop inside one
 * dispatch (parallel over channels/rows), so prefill is one dispatch whatever T is.
 */
import { SparrowError } from '../../errors.ts';
import type { Tensor } from '../backend.ts';
import * as v from '../validate.ts';
import * as s from '../ops/sequence-checks.ts';
import { ternaryRowStride } from '../ops/ternary-layout.ts';
import type { GpuTensor, WebGpuBackend } from './backend.ts';
import { grid, u32 } from './device.ts';
import seqWgsl from '../../../shaders/sequence.wgsl?raw';
import ternaryWgsl from '../../../shaders/ternary.wgsl?raw';

/** Storage buffers of the operands (null stays null), after the backend/freed checks. */
function bufs(b: WebGpuBackend, op: string, ...ts: Array<Tensor | null>): Array<GPUBuffer | null> {
  return ts.map((t) => {
    if (!t) return null;
    v.checkBackend(op, b.name, t);
    const g = t as GpuTensor;
    if (g.freed) throw new SparrowError('INVALID_ARGUMENT', `${op}: tensor ${JSON.stringify(t.shape)} was freed`, { op });
    return g.buffer;
  });
}

function threads(count: number, perGroup: number): { g: [number, number]; gx: number } {
  const g = grid(Math.ceil(count / perGroup));
  return { g, gx: g[0] };
}

export function causalConv1d(b: WebGpuBackend, out: Tensor, x: Tensor, w: Tensor, bias: Tensor | null, state: Tensor, act: boolean): void {
  const op = 'causalConv1d';
  const [bo, bx, bw, bb, bs] = bufs(b, op, out, x, w, bias, state);
  const { t, c, k } = s.causalConv1d(op, out, x, w, bias, state);
  if (t === 1) {
    // decode: output and state in one dispatch (both written: writes = 2)
    if (c === 0) return;
    const { g, gx } = threads(c, 64);
    b.gpu.dispatch('sequence', seqWgsl, 'conv1d_step', [u32(c), u32(k), u32(act ? 1 : 0), u32(bb ? 1 : 0), u32(gx)], [bo!, bs!, bx!, bw!, bb ?? bw!], g, 2);
    return;
  }
  if (t * c > 0) {
    const { g, gx } = threads(t * c, 256);
    b.gpu.dispatch('sequence', seqWgsl, 'conv1d_out', [u32(t), u32(c), u32(k), u32(act ? 1 : 0), u32(bb ? 1 : 0), u32(gx)], [bo!, bx!, bw!, bb ?? bw!, bs!], g);
  }
  const { g, gx } = threads(c, 64);
  b.gpu.dispatch('sequence', seqWgsl, 'conv1d_state', [u32(t), u32(c), u32(k), u32(gx)], [bs!, bx!], g);
}

export function selectiveScan(
  b: WebGpuBackend,
  out: Tensor,
  x: Tensor,
  dt: Tensor,
  a: Tensor,
  bm: Tensor,
  c: Tensor,
  d: Tensor | null,
  z: Tensor | null,
  dtBias: Tensor | null,
  state: Tensor,
  deltaSoftplus: boolean,
): void {
  const op = 'selectiveScan';
  const [bo, bx, bdt, ba, bb, bc_, bd, bz, bdb, bs] = bufs(b, op, out, x, dt, a, bm, c, d, z, dtBias, state);
  const { t, i, n } = s.selectiveScan(op, out, x, dt, a, bm, c, d, z, dtBias, state);
  const flags = (bd ? 1 : 0) | (bz ? 2 : 0) | (bdb ? 4 : 0) | (deltaSoftplus ? 8 : 0);
  // pack B, C and D, dtBias into two scratch buffers to stay within 8 storage bindings per kernel
  const bc = b.gpu.scratchBuffer('scan-bc', 8 * t * n);
  const aux = b.gpu.scratchBuffer('scan-aux', 8 * i);
  b.gpu.copyBuffer(bb!, 0, bc, 0, 4 * t * n);
  b.gpu.copyBuffer(bc_!, 0, bc, 4 * t * n, 4 * t * n);
  if (bd) b.gpu.copyBuffer(bd, 0, aux, 0, 4 * i);
  if (bdb) b.gpu.copyBuffer(bdb, 0, aux, 4 * i, 4 * i);
  const nchunks = t <= SCAN_CHUNK ? 1 : Math.ceil(t / SCAN_CHUNK);
  const params = (gx: number) => [u32(t), u32(i), u32(n), u32(flags), u32(nchunks === 1 ? Math.max(t, 1) : SCAN_CHUNK), u32(nchunks), u32(gx)];
  const perChunk = threads(nchunks * i, 64);
  if (nchunks === 1) {
    // decode steps and short prompts: one thread per channel walks the tokens on the state itself
    b.gpu.dispatch('sequence', seqWgsl, 'scan_emit', params(perChunk.gx), [bo!, bs!, bx!, bdt!, ba!, bc, aux, bz ?? bx!], perChunk.g);
    return;
  }
  const hbuf = b.gpu.scratchBuffer('scan-h', nchunks * i * n * 4);
  const sums = b.gpu.scratchBuffer('scan-sum', nchunks * i * 4);
  b.gpu.dispatch('sequence', seqWgsl, 'scan_chunk_local', params(perChunk.gx), [hbuf, sums, bx!, bdt!, ba!, bc, aux], perChunk.g);
  const perState = threads(i * n, 64);
  b.gpu.dispatch('sequence', seqWgsl, 'scan_chunk_carry', params(perState.gx), [hbuf, bs!, sums, ba!], perState.g);
  b.gpu.dispatch('sequence', seqWgsl, 'scan_emit', params(perChunk.gx), [bo!, hbuf, bx!, bdt!, ba!, bc, aux, bz ?? bx!], perChunk.g);
}

/** Tokens per chunk of the chunked prefill scan (and the longest prompt scanned sequentially). */
export const SCAN_CHUNK = 32;

export function wkv4(b: WebGpuBackend, out: Tensor, k: Tensor, v_: Tensor, timeDecay: Tensor, timeFirst: Tensor, state: Tensor): void {
  const op = 'wkv4';
  const [bo, bk, bv, btd, btf, bs] = bufs(b, op, out, k, v_, timeDecay, timeFirst, state);
  const { t, c } = s.wkv4(op, out, k, v_, timeDecay, timeFirst, state);
  const { g, gx } = threads(c, 64);
  b.gpu.dispatch('sequence', seqWgsl, 'wkv4', [u32(t), u32(c), u32(gx)], [bo!, bs!, bk!, bv!, btd!, btf!], g);
}

export function deltaRule(b: WebGpuBackend, out: Tensor, q: Tensor, k: Tensor, v_: Tensor, beta: Tensor, state: Tensor): void {
  const op = 'deltaRule';
  const [bo, bq, bk, bv, bbeta, bs] = bufs(b, op, out, q, k, v_, beta, state);
  const { t, h, dk, dv } = s.deltaRule(op, out, q, k, v_, beta, state);
  const { g, gx } = threads(h * dv, 64);
  b.gpu.dispatch('sequence', seqWgsl, 'delta_rule', [u32(t), u32(h), u32(dk), u32(dv), u32(gx)], [bo!, bs!, bq!, bk!, bv!, bbeta!], g);
}

export function wkv7(b: WebGpuBackend, out: Tensor, r: Tensor, w: Tensor, k: Tensor, v_: Tensor, a: Tensor, bb: Tensor, state: Tensor): void {
  const op = 'wkv7';
  const [bo, br, bw, bk, bv, ba, bbb, bs] = bufs(b, op, out, r, w, k, v_, a, bb, state);
  const { t, h, n } = s.wkv7(op, out, r, w, k, v_, a, bb, state);
  // one workgroup of 64 threads per (head, block of 64 value rows); N ≤ 64 (RWKV-7's 64 included)
  // keeps each row in private memory across the tokens (wkv7_small)
  const blocks = Math.ceil(n / 64);
  const [gx, gy] = grid(h * blocks);
  const entry = n <= 64 ? 'wkv7_small' : 'wkv7';
  if (t > 0) b.gpu.dispatch('sequence', seqWgsl, entry, [u32(t), u32(h), u32(n), u32(blocks), u32(gx)], [bo!, bs!, br!, bw!, bk!, bv!, ba!, bbb!], [gx, gy], 2);
}

export function wkv7Bonus(b: WebGpuBackend, out: Tensor, r: Tensor, k: Tensor, v_: Tensor, u: Tensor, headSize: number): void {
  const op = 'wkv7Bonus';
  const [bo, br, bk, bv, bu] = bufs(b, op, out, r, k, v_, u);
  const { t, c, n } = s.wkv7Bonus(op, out, r, k, v_, u, headSize);
  if (t * c === 0) return;
  // one workgroup of 64 threads per (token, head)
  const [gx, gy] = grid(t * (c / n));
  b.gpu.dispatch('sequence', seqWgsl, 'wkv7_bonus', [u32(t), u32(c), u32(n), u32(gx)], [bo!, br!, bk!, bv!, bu!], [gx, gy]);
}

/** Quantize the rows of x into the x_q / 1/s_x scratch buffers; returns them. */
function quantize(b: WebGpuBackend, bx: GPUBuffer, r: number, k: number): { xq: GPUBuffer; inv: GPUBuffer } {
  const xq = b.gpu.scratchBuffer('ternary-xq', r * k * 4);
  const inv = b.gpu.scratchBuffer('ternary-inv', r * 4);
  const [gx, gy] = grid(r);
  if (r > 0) b.gpu.dispatch('ternary', ternaryWgsl, 'quantize_rows', [u32(r), u32(k), u32(gx)], [xq, inv, bx], [gx, gy]);
  return { xq, inv };
}

export function ternaryMatvec(b: WebGpuBackend, out: Tensor, w: Tensor, x: Tensor): void {
  const op = 'ternaryMatvec';
  const [bo, bw, bx] = bufs(b, op, out, w, x);
  const { r, m, k } = s.ternaryMatvec(op, out, w, x);
  const { xq, inv } = quantize(b, bx!, r, k);
  const [gx, gy] = grid(r * m);
  b.gpu.dispatch('ternary', ternaryWgsl, 'ternary_matvec', [u32(r), u32(m), u32(k), u32(ternaryRowStride(k) / 4), u32(gx)], [bo!, bw!, xq, inv], [gx, gy]);
}

export function ternaryMatvecLut(b: WebGpuBackend, out: Tensor, w: Tensor, x: Tensor): void {
  const op = 'ternaryMatvecLut';
  const [bo, bw, bx] = bufs(b, op, out, w, x);
  const { r, m, k } = s.ternaryMatvec(op, out, w, x);
  const { xq, inv } = quantize(b, bx!, r, k);
  const groups = Math.ceil(k / 4);
  const tables = b.gpu.scratchBuffer('ternary-tables', r * groups * 64);
  const tg = threads(r * groups, 64);
  b.gpu.dispatch('ternary', ternaryWgsl, 'ternary_tables', [u32(r), u32(k), u32(groups), u32(tg.gx)], [tables, xq], tg.g);
  const [gx, gy] = grid(r * m);
  b.gpu.dispatch('ternary', ternaryWgsl, 'ternary_matvec_lut', [u32(r), u32(m), u32(k), u32(ternaryRowStride(k) / 4), u32(groups), u32(gx)], [bo!, bw!, tables, inv], [gx, gy]);
}
