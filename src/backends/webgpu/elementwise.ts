/** Elementwise ops, fill and copy on the webgpu backend (kernels: shaders/core.wgsl). */
import { SparrowError } from '../../errors.ts';
import type { Tensor } from '../backend.ts';
import * as v from '../validate.ts';
import { f32, grid, u32 } from './device.ts';
import type { WebGpuBackend } from './backend.ts';
import coreWgsl from '../../../shaders/core.wgsl?raw';

const WG = 256;

const BINARY_CODE = { add: 0, mul: 1, siluMul: 2, geluTanhMul: 3 } as const;

/**
 * out[i] = a[i] (op) b[i % b.size]: add, mul, siluMul (silu(a)·b) and geluTanhMul (gelu_tanh(a)·b;
 * these two same sizes). In place (out is a) without a scratch copy.
 */
export function binary(g: WebGpuBackend, op: keyof typeof BINARY_CODE, out: Tensor, a: Tensor, b: Tensor): void {
  v.checkBackend(op, g.name, out, a, b);
  if (op === 'siluMul' || op === 'geluTanhMul') v.siluMul(op, out, a, b);
  else v.binary(op, out, a, b);
  const [o, x, y] = [g.buf(op, out), g.buf(op, a), g.buf(op, b)];
  const [gx, gy] = grid(Math.ceil(a.size / WG));
  const params = [u32(a.size), u32(Math.max(1, b.size)), u32(gx), f32(0), u32(BINARY_CODE[op])];
  if (o === x && o !== y) g.gpu.dispatch('core', coreWgsl, 'binary_ip', params, [o, y], [gx, gy]);
  else g.gpu.dispatch('core', coreWgsl, 'binary', params, [o, x, y], [gx, gy]);
}

/**
 * out[i] = a[i] + (b[i] − a[i]) · t[i % t.size] (kernel lerp). An out that is a or b goes through
 * the dispatcher's scratch copy (WebGPU forbids a writable binding aliasing another).
 */
export function lerp(g: WebGpuBackend, out: Tensor, a: Tensor, b: Tensor, t: Tensor): void {
  v.checkBackend('lerp', g.name, out, a, b, t);
  v.lerp('lerp', out, a, b, t);
  if (a.size === 0) return;
  const [gx, gy] = grid(Math.ceil(a.size / WG));
  const params = [u32(a.size), u32(t.size), u32(gx), f32(0), u32(0)];
  g.gpu.dispatch('core', coreWgsl, 'lerp', params, [g.buf('lerp', out), g.buf('lerp', a), g.buf('lerp', b), g.buf('lerp', t)], [gx, gy]);
}

/** out[r, j] = silu(gu[r, j]) · gu[r, I + j] (stacked gate/up output; kernel swiglu in core.wgsl). */
export function swiglu(g: WebGpuBackend, out: Tensor, gu: Tensor): void {
  v.checkBackend('swiglu', g.name, out, gu);
  const { width } = v.swiglu('swiglu', out, gu);
  if (out.size === 0) return;
  const [gx, gy] = grid(Math.ceil(out.size / WG));
  g.gpu.dispatch('core', coreWgsl, 'swiglu', [u32(out.size), u32(width), u32(gx), f32(0), u32(0)], [g.buf('swiglu', out), g.buf('swiglu', gu)], [gx, gy]);
}

export type UnaryOp = 'scale' | 'silu' | 'gelu' | 'sigmoid' | 'exp' | 'softplus' | 'relu' | 'tanh';
/** Op codes of unary_f in shaders/core.wgsl. */
const UNARY_CODE: Record<UnaryOp, number> = { scale: 0, silu: 1, gelu: 2, sigmoid: 3, exp: 4, softplus: 5, relu: 6, tanh: 7 };

/** out[i] = f(a[i]); `s` is the factor of scale. In place (out is a) without a scratch copy. */
export function unary(g: WebGpuBackend, op: UnaryOp, out: Tensor, a: Tensor, s = 0): void {
  v.checkBackend(op, g.name, out, a);
  if (op === 'scale') v.checkFinite(op, 's', s);
  v.unary(op, out, a);
  const [o, x] = [g.buf(op, out), g.buf(op, a)];
  const [gx, gy] = grid(Math.ceil(a.size / WG));
  const params = [u32(a.size), u32(1), u32(gx), f32(s), u32(UNARY_CODE[op])];
  if (o === x) g.gpu.dispatch('core', coreWgsl, 'unary_ip', params, [o], [gx, gy]);
  else g.gpu.dispatch('core', coreWgsl, 'unary', params, [o, x], [gx, gy]);
}

/** Set every element of an f32 or i32 tensor to `value` (as its 32-bit pattern). */
export function fill(g: WebGpuBackend, t: Tensor, value: number): void {
  const buf = g.buf('fill', t);
  const bits = new DataView(new ArrayBuffer(4));
  if (t.dtype === 'f32') bits.setFloat32(0, value, true);
  else if (t.dtype === 'i32') bits.setInt32(0, value, true); // same conversion as Int32Array.fill
  else throw new SparrowError('UNSUPPORTED', `fill: dtype ${t.dtype} is not supported`, { op: 'fill', dtype: t.dtype });
  const [gx, gy] = grid(Math.ceil(t.size / WG));
  g.gpu.dispatch('core', coreWgsl, 'fill_u32', [u32(t.size), u32(bits.getUint32(0, true)), u32(gx)], [buf], [gx, gy]);
  if (t.dtype === 'i32' && t.size <= SHADOW_MAX) g.gpu.shadows.set(buf, new Int32Array(t.size).fill(value));
}

/** Largest i32 tensor (elements) the backend keeps a CPU shadow of for index validation. */
export const SHADOW_MAX = 1 << 20;

/** dst[dstOffset + i] = src[srcOffset + i], i < count (f32 / i32 / f16 elements). */
export function copy(g: WebGpuBackend, dst: Tensor, dstOffset: number, src: Tensor, srcOffset: number, count: number): void {
  v.checkBackend('copy', g.name, dst, src);
  v.copy('copy', dst, dstOffset, src, srcOffset, count);
  const d = g.buf('copy', dst);
  const s = g.buf('copy', src);
  if (dst.dtype === 'f32' || dst.dtype === 'i32') {
    if (count === 0) return;
    const shadowD = g.gpu.shadows.get(d);
    const shadowS = g.gpu.shadows.get(s);
    if (d === s) {
      // copyBufferToBuffer cannot copy within one buffer: go through scratch space.
      const tmp = g.gpu.createBuffer(count * 4, 'copy');
      g.gpu.copyBuffer(s, srcOffset * 4, tmp, 0, count * 4);
      g.gpu.copyBuffer(tmp, 0, d, dstOffset * 4, count * 4);
      g.gpu.retire(tmp);
    } else {
      g.gpu.copyBuffer(s, srcOffset * 4, d, dstOffset * 4, count * 4);
    }
    // Both ends known on the CPU: the destination's shadow stays valid.
    if (shadowD && shadowS) {
      shadowD.set(shadowS.slice(srcOffset, srcOffset + count), dstOffset);
      g.gpu.shadows.set(d, shadowD);
    }
    return;
  }
  if (dst.dtype !== 'f16') throw new SparrowError('UNSUPPORTED', `copy: dtype ${dst.dtype} is not element-addressable`, { op: 'copy', dtype: dst.dtype });
  if (count === 0) return;
  // f16 halves may start mid-word: a kernel rewrites whole destination words.
  const firstWord = dstOffset >> 1;
  const words = ((dstOffset + count - 1) >> 1) - firstWord + 1;
  const [gx, gy] = grid(Math.ceil(words / WG));
  g.gpu.dispatch('core', coreWgsl, 'copy_f16', [u32(dstOffset), u32(srcOffset), u32(count), u32(firstWord), u32(words), u32(gx)], [d, s], [gx, gy]);
}
