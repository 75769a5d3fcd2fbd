/** Sequence ops (ops/sequence.ts) on the webgpu backend. */
import { SparrowError } from '../../errors.ts';
import type { Tensor } from '../backend.ts';
import type { WebGpuBackend } from './backend.ts';

function notYet(op: string): never {
  throw new SparrowError('UNSUPPORTED', `${op}: not yet implemented on the webgpu backend`, { op });
}

/* eslint-disable @typescript-eslint/no-unused-vars */
export function causalConv1d(_b: WebGpuBackend, ..._a: Array<Tensor | null | boolean>): void {
  notYet('causalConv1d');
}
export function selectiveScan(_b: WebGpuBackend, ..._a: Array<Tensor | null | boolean>): void {
  notYet('selectiveScan');
}
export function wkv4(_b: WebGpuBackend, ..._a: Tensor[]): void {
  notYet('wkv4');
}
export function ternaryMatvec(_b: WebGpuBackend, ..._a: Tensor[]): void {
  notYet('ternaryMatvec');
}
export function ternaryMatvecLut(_b: WebGpuBackend, ..._a: Tensor[]): void {
  notYet('ternaryMatvecLut');
}
export function deltaRule(_b: WebGpuBackend, ..._a: Tensor[]): void {
  notYet('deltaRule');
}
