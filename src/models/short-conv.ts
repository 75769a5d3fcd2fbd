/**
 * LFM2's gated short convolution, the mixer of most of its layers (llama.cpp's build_shortconv_block):
 * in_proj's rows [B | C | x] as three linears, y = C ⊙ conv(B ⊙ x) with a causal depthwise
 * convolution of `kernel` (the Mamba conv op with no bias and no activation), then out_proj. Tensors
 * keep Hugging Face's names (in_proj.weight, conv.weight [hidden, kernel], out_proj.weight) under a
 * prefix the holding model chooses.
 */
import type { Backend, Tensor } from '../backends/backend.ts';
import { linear } from './linear.ts';
import { loadLinear, loadLinearRows, type LinearLoadOptions } from './linear-weights.ts';
import type { ModelBackend } from './ops.ts';
import { WeightMap, uploadParam, type WeightFile } from './weights.ts';

export async function loadShortConv(w: WeightMap, file: WeightFile, name: (s: string) => string, H: number, kernel: number, backend: Backend, opts: LinearLoadOptions = {}): Promise<void> {
  const inProj = name('in_proj.weight');
  for (const [j, part] of ['B', 'C', 'x'].entries()) w.set(`${inProj}#${part}`, await loadLinearRows(file, inProj, [3 * H, H], j * H, (j + 1) * H, backend, opts));
  w.set(name('conv.weight'), await uploadParam(file, name('conv.weight'), [H, kernel], backend));
  w.set(name('out_proj.weight'), await loadLinear(file, name('out_proj.weight'), [H, H], backend, opts));
}

/** The layer's working buffers for n rows of width H. */
export function shortConvBuffers(t: (shape: number[]) => Tensor, n: number, H: number) {
  return { b: t([n, H]), x: t([n, H]), bx: t([n, H]), conv: t([n, H]), y: t([n, H]) };
}

/** o [n, H] = the short convolution of the normed input h [n, H], advancing its window [H, kernel] by n tokens. */
export function runShortConv(b: ModelBackend, w: WeightMap, name: (s: string) => string, o: Tensor, h: Tensor, n: number, window: Tensor, buf: ReturnType<typeof shortConvBuffers>): void {
  const inProj = name('in_proj.weight');
  linear(b, buf.b, h, w.get(`${inProj}#B`), n);
  linear(b, buf.x, h, w.get(`${inProj}#x`), n);
  b.mul(buf.bx, buf.b, buf.x);
  b.causalConv1d(buf.conv, buf.bx, w.get(name('conv.weight')), null, window, false);
  linear(b, buf.b, h, w.get(`${inProj}#C`), n);
  b.mul(buf.y, buf.b, buf.conv);
  linear(b, o, buf.y, w.get(name('out_proj.weight')), n);
}
