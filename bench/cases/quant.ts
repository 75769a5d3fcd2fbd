/**
 * Quantized matvec (weights kept as GGML blocks): Q8_0 / Q4_0 at SmolLM-135M's shapes (576/1536
 * hidden/FFN, 49152 vocabulary head), all four types at 4096², compared with the dense f32/f16
 * matvec cases in core.ts. Bytes = the weight as stored (the quantity that bounds a matvec).
 */
import type { Backend, BackendName, Tensor } from '../../src/backends/backend.ts';
import type { QuantDType } from '../../src/formats/ggml-types.ts';
import { storageBytes } from '../../src/backends/validate.ts';
import { randomBlocks } from '../../test/formats/quant-blocks.ts';
import { randomF32 } from '../../test/helpers/random.ts';
import type { BenchCase } from './types.ts';
import { quantLanesControl } from '../../src/backends/webgpu/quant.ts';

const FAST: BackendName[] = ['wasm', 'webgpu'];

/** `oneOutputPerWorkgroup`: webgpu with 64 lanes per output (the kernel before quantLanes), for a side-by-side ratio. */
function matvecCase(dtype: QuantDType, m: number, k: number, backends: BackendName[], oneOutputPerWorkgroup = false): BenchCase {
  const wBytes = storageBytes(dtype, [m, k]);
  return {
    family: 'quant',
    op: oneOutputPerWorkgroup ? 'matvec (one output per workgroup)' : 'matvec',
    shape: `${m}x${k}`,
    dtype,
    backends,
    bytes: wBytes + 4 * (m + k),
    flops: 2 * m * k,
    denseBytes: 4 * m * k,
    async setup(b: Backend) {
      const made: Tensor[] = [];
      const t = (x: Tensor) => (made.push(x), x);
      const w = t(b.tensor([m, k], dtype, randomBlocks(dtype, m, k, m ^ k)));
      const x = t(b.tensor([k], 'f32', randomF32(k, 3)));
      const o = t(b.tensor([m]));
      const run = oneOutputPerWorkgroup
        ? () => {
            quantLanesControl.fixed = 64;
            b.matvec(o, w, x);
            quantLanesControl.fixed = undefined;
          }
        : () => b.matvec(o, w, x);
      return { run, dispose: () => made.forEach((z) => b.free(z)), storedBytes: w.byteSize };
    },
  };
}

export function cases(): BenchCase[] {
  const out: BenchCase[] = [];
  for (const dtype of ['q8_0', 'q4_0'] as const) {
    out.push(matvecCase(dtype, 576, 1536, ['reference', ...FAST]), matvecCase(dtype, 1536, 576, FAST), matvecCase(dtype, 49152, 576, FAST));
    // K = 576 rows are 18 blocks: the shapes where several outputs now share a workgroup
    out.push(matvecCase(dtype, 1536, 576, ['webgpu'], true), matvecCase(dtype, 49152, 576, ['webgpu'], true));
  }
  for (const dtype of ['q8_0', 'q4_0', 'q4_k', 'q6_k'] as const) out.push(matvecCase(dtype, 4096, 4096, FAST));
  return out;
}
