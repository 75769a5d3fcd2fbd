/** Row-wise reductions on the webgpu backend: rmsnorm, add + rmsnorm, layernorm, softmax, argmax (shaders/rowwise.wgsl). */
import type { Tensor } from '../backend.ts';
import * as v from '../validate.ts';
import { f32, grid, u32 } from './device.ts';
import type { WebGpuBackend } from './backend.ts';
import rowwiseWgsl from '../../../shaders/rowwise.wgsl?raw';

export function rmsnorm(g: WebGpuBackend, out: Tensor, x: Tensor, w: Tensor, eps: number): void {
  v.checkBackend('rmsnorm', g.name, out, x, w);
  v.checkFinite('rmsnorm', 'eps', eps);
  const { rows, d } = v.rowwise('rmsnorm', out, x, w);
  const [gx, gy] = grid(rows);
  g.gpu.dispatch('rowwise', rowwiseWgsl, 'rmsnorm', [u32(rows), u32(d), u32(gx), f32(eps)], [g.buf('rmsnorm', out), g.buf('rmsnorm', x), g.buf('rmsnorm', w)], [gx, gy]);
}

export function addRmsnorm(g: WebGpuBackend, sum: Tensor, out: Tensor, a: Tensor, b: Tensor, w: Tensor, eps: number): void {
  const op = 'addRmsnorm';
  v.checkBackend(op, g.name, sum, out, a, b, w);
  v.checkFinite(op, 'eps', eps);
  const { rows, d } = v.addRmsnorm(op, sum, out, a, b, w);
  const [gx, gy] = grid(rows);
  const bufs = [g.buf(op, out), g.buf(op, sum), g.buf(op, a), g.buf(op, b), g.buf(op, w)];
  g.gpu.dispatch('rowwise', rowwiseWgsl, 'add_rmsnorm', [u32(rows), u32(d), u32(gx), f32(eps)], bufs, [gx, gy], 2);
}

export function layernorm(g: WebGpuBackend, out: Tensor, x: Tensor, w: Tensor, b: Tensor, eps: number): void {
  v.checkBackend('layernorm', g.name, out, x, w, b);
  v.checkFinite('layernorm', 'eps', eps);
  const { rows, d } = v.rowwise('layernorm', out, x, w, b);
  const [gx, gy] = grid(rows);
  const bufs = [g.buf('layernorm', out), g.buf('layernorm', x), g.buf('layernorm', w), g.buf('layernorm', b)];
  g.gpu.dispatch('rowwise', rowwiseWgsl, 'layernorm', [u32(rows), u32(d), u32(gx), f32(eps)], bufs, [gx, gy]);
}

export function softmax(g: WebGpuBackend, out: Tensor, x: Tensor): void {
  v.checkBackend('softmax', g.name, out, x);
  const { rows, d } = v.rowwise('softmax', out, x);
  if (d === 0) return;
  const [gx, gy] = grid(rows);
  g.gpu.dispatch('rowwise', rowwiseWgsl, 'softmax', [u32(rows), u32(d), u32(gx), f32(0)], [g.buf('softmax', out), g.buf('softmax', x)], [gx, gy]);
}

export function argmax(g: WebGpuBackend, out: Tensor, x: Tensor): void {
  v.checkBackend('argmax', g.name, out, x);
  const { rows, v: n } = v.argmax('argmax', out, x);
  const [gx, gy] = grid(rows);
  g.gpu.dispatch('rowwise', rowwiseWgsl, 'argmax', [u32(rows), u32(n), u32(gx), f32(0)], [g.buf('argmax', out), g.buf('argmax', x)], [gx, gy]);
}
