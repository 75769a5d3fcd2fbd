/** Attention op family on the webgpu backend (being ported; until then every op throws UNSUPPORTED). */
import { SparrowError } from '../../errors.ts';
import type { Tensor } from '../backend.ts';
import type { DenseAttentionOptions, FastGrnnGate, KvCache, SparseAttentionConfig } from '../ops/attention.ts';

function todo(op: string): never {
  throw new SparrowError('UNSUPPORTED', `${op}: not yet implemented on the webgpu backend`, { op });
}
type B = unknown;
export const sparseAttention = (_b: B, _o: Tensor, _q: Tensor, _k: Tensor, _v: Tensor, _c: SparseAttentionConfig): void => todo('sparseAttention');
export const sparseAttentionGated = (_b: B, _o: Tensor, _q: Tensor, _k: Tensor, _v: Tensor, _m: Tensor, _c: SparseAttentionConfig): void => todo('sparseAttentionGated');
export const denseAttention = (_b: B, _o: Tensor, _q: Tensor, _k: Tensor, _v: Tensor, _x?: DenseAttentionOptions): void => todo('denseAttention');
export const kvAppend = (_b: B, _c: KvCache, _k: Tensor, _v: Tensor): void => todo('kvAppend');
export const sparseDecode = (_b: B, _o: Tensor, _q: Tensor, _c: KvCache, _g: SparseAttentionConfig): void => todo('sparseDecode');
export const fastgrnnSalience = (_b: B, _o: Tensor, _k: Tensor, _g: FastGrnnGate): void => todo('fastgrnnSalience');
export const topkMask = (_b: B, _o: Tensor, _s: Tensor, _n: number): void => todo('topkMask');
