/** Rotary position embedding on the webgpu backend (shaders/rope.wgsl). */
import type { RopeOptions, Tensor } from '../backend.ts';
import * as v from '../validate.ts';
import { grid, u32 } from './device.ts';
import type { WebGpuBackend } from './backend.ts';
import ropeWgsl from '../../../shaders/rope.wgsl?raw';

/** Positions covered by the cached cos/sin tables; calls beyond it upload a per-call table. */
const CACHED_POSITIONS = 1 << 16;

interface Table {
  buf: GPUBuffer;
  positions: number;
}
const tables = new WeakMap<WebGpuBackend, Map<string, Table>>();

/** (cos, sin) of (p0 + p)·θ^(−2i/d) / factor_i for p < count, computed in float64 like the reference. */
function cosSin(p0: number, count: number, headDim: number, theta: number, factors?: ArrayLike<number>): Float32Array<ArrayBuffer> {
  const half = headDim / 2;
  const t = new Float32Array(count * half * 2);
  for (let i = 0; i < half; i++) {
    const freq = Math.pow(theta, (-2 * i) / headDim);
    const f = factors?.[i] ?? 1;
    for (let p = 0; p < count; p++) {
      const angle = ((p0 + p) * freq) / f;
      t[(p * half + i) * 2] = Math.cos(angle);
      t[(p * half + i) * 2 + 1] = Math.sin(angle);
    }
  }
  return t;
}

/** The divisors as a table key, built once per array (a model passes the same, unchanging array on every call). */
const factorKeys = new WeakMap<ArrayLike<number>, string>();
function factorsKey(f: ArrayLike<number>): string {
  let k = factorKeys.get(f);
  if (k === undefined) factorKeys.set(f, (k = Array.from(f).join(',')));
  return k;
}

/** A GPU buffer holding (cos, sin) for positions [base, base + count): the cached table or a one-off. */
function table(g: WebGpuBackend, headDim: number, theta: number, pos: number, rows: number, factors?: ArrayLike<number>): { buf: GPUBuffer; base: number } {
  const end = pos + rows;
  if (end > CACHED_POSITIONS) {
    const data = cosSin(pos, rows, headDim, theta, factors);
    const buf = g.gpu.createBuffer(data.byteLength, 'rope');
    g.gpu.device.queue.writeBuffer(buf, 0, data);
    g.gpu.retire(buf);
    return { buf, base: pos };
  }
  let perBackend = tables.get(g);
  if (!perBackend) tables.set(g, (perBackend = new Map()));
  const key = `${headDim}:${theta}${factors ? `:${factorsKey(factors)}` : ''}`;
  let t = perBackend.get(key);
  if (!t || t.positions < end) {
    let positions = Math.max(256, t?.positions ?? 0);
    while (positions < end) positions *= 2;
    positions = Math.min(positions, CACHED_POSITIONS);
    const data = cosSin(0, positions, headDim, theta, factors);
    const buf = g.gpu.createBuffer(data.byteLength, 'rope');
    g.gpu.device.queue.writeBuffer(buf, 0, data);
    if (t) g.gpu.retire(t.buf); // recorded dispatches may still read the old table
    t = { buf, positions };
    perBackend.set(key, t);
  }
  return { buf: t.buf, base: 0 };
}

/** q, k = rope of the q / k parts of qkv's [q | k | v] rows, v = its v part: one dispatch (rope_qkv). */
export function ropeQkv(g: WebGpuBackend, q: Tensor, k: Tensor, vOut: Tensor, qkv: Tensor, opts: RopeOptions): void {
  const op = 'ropeQkv';
  v.checkBackend(op, g.name, q, k, vOut, qkv);
  const { headDim, pos, theta, style, freqFactors } = opts;
  const { rows, qW, kW, vW } = v.ropeQkv(op, q, k, vOut, qkv, headDim, pos, theta, freqFactors);
  const threads = Math.max((rows * (qW + kW)) / 2, rows * vW);
  if (threads === 0) return;
  const cs = table(g, headDim, theta, pos, rows, freqFactors);
  const [gx, gy] = grid(Math.ceil(threads / 256));
  const params = [u32(rows), u32(qW / headDim), u32(kW / headDim), u32(headDim), u32(pos - cs.base), u32(style === 'interleaved' ? 1 : 0), u32(gx), u32(vW)];
  const bufs = [g.buf(op, q), g.buf(op, k), g.buf(op, vOut), g.buf(op, qkv), cs.buf];
  g.gpu.dispatch('rope', ropeWgsl, 'rope_qkv', params, bufs, [gx, gy], 3);
}

export function rope(g: WebGpuBackend, out: Tensor, x: Tensor, opts: RopeOptions): void {
  v.checkBackend('rope', g.name, out, x);
  const { headDim, pos, theta, style, freqFactors } = opts;
  const { rows, heads } = v.rope('rope', out, x, headDim, pos, theta, freqFactors);
  const pairs = (rows * heads * headDim) / 2;
  if (pairs === 0) return;
  const [o, xb] = [g.buf('rope', out), g.buf('rope', x)];
  const cs = table(g, headDim, theta, pos, rows, freqFactors);
  const [gx, gy] = grid(Math.ceil(pairs / 256));
  const params = [u32(rows), u32(heads), u32(headDim), u32(pos - cs.base), u32(style === 'interleaved' ? 1 : 0), u32(gx)];
  if (o === xb) g.gpu.dispatch('rope', ropeWgsl, 'rope_ip', params, [o, cs.buf], [gx, gy]);
  else g.gpu.dispatch('rope', ropeWgsl, 'rope', params, [o, xb, cs.buf], [gx, gy]);
}
