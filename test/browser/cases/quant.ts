/**
 * Quantized matvec/matmul on webgpu, run inside the backend-host worker: random GGML blocks of every
 * raw-block type (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, IQ4_XS, IQ3_XXS, IQ3_S, IQ2_S, IQ2_XS, IQ2_XXS, Q2_K…Q6_K) and
 * real llama.cpp Q2_K…Q6_K tensors (fetched from the dev server) against the float64
 * dequantize-then-dot oracle and the reference backend. Returns the worst relative error per case.
 */
import type { CaseContext } from '../../../src/worker/backend-host.ts';
import type { QuantDType } from '../../../src/formats/ggml-types.ts';
import { GgufFile } from '../../../src/formats/gguf.ts';
import { quantOracle, randomBlocks, worstRel } from '../../formats/quant-blocks.ts';
import { randomF32 } from '../../helpers/random.ts';
import { runLinear } from '../../helpers/linear.ts';

/** Worst relative error allowed against the f64 oracle (test/browser/quant.test.ts, bench/gpu/run.ts). */
export const QUANT_TOL = { reference: 1e-7, webgpu: 3e-6 };
/** How many cases quantSuite returns (a case that stops running must fail the suite, not vanish). */
export const QUANT_CASES = 161;

export interface QuantCaseResult {
  name: string;
  /** Worst relative error of the backend under test (args.backend). */
  tested: number;
  reference: number;
}

export async function quantSuite(args: { backend: 'webgpu' | 'wasm' }, ctx: CaseContext): Promise<QuantCaseResult[]> {
  const gpu = await ctx.backend(args.backend);
  const ref = await ctx.backend('reference');
  const results: QuantCaseResult[] = [];
  const check = async (name: string, dtype: QuantDType, bytes: Uint8Array, m: number, k: number, n: number, seed: number) => {
    const x = randomF32(n * k, seed);
    const { out, mag } = quantOracle(dtype, bytes, m, k, x, n);
    results.push({ name, tested: worstRel(await runLinear(gpu, dtype, bytes, m, k, x, n), out, mag), reference: worstRel(await runLinear(ref, dtype, bytes, m, k, x, n), out, mag) });
  };
  // K sets the threads per output (quantLanes: 4 up to 32 units, 8, 16, 32, 64 from 2048 elements)
  // and with it how many outputs share a workgroup; the odd M·N leave the last workgroup partial.
  const shapes: Record<string, [number, number][]> = {
    q8_0: [[1, 32], [7, 96], [33, 160], [5, 576], [3, 1536], [2, 2336]],
    q4_0: [[1, 32], [7, 96], [33, 160], [5, 576]],
    q5_0: [[1, 32], [7, 96], [33, 160], [3, 1536]],
    // 20- and 24-byte blocks start on words; 18-byte IQ4_NL blocks at 2 mod 4 every other block
    q4_1: [[1, 32], [7, 96], [33, 160], [5, 576]],
    q5_1: [[1, 32], [7, 96], [33, 160], [3, 1536]],
    iq4_nl: [[1, 32], [7, 96], [33, 160], [5, 576], [2, 2336]],
    // 136-byte super-blocks (on words); 1, 2, 3, 10 per row (4 to 64 lanes, 8 units per super-block)
    iq4_xs: [[1, 256], [5, 512], [3, 768], [2, 2560]],
    // 98- and 110-byte super-blocks: every other one starts at 2 mod 4 (grid tables as WGSL consts)
    iq3_xxs: [[1, 256], [5, 512], [3, 768], [2, 2560]],
    iq3_s: [[1, 256], [5, 512], [3, 768], [2, 2560]],
    // 82-byte IQ2_S super-blocks (0 or 2 mod 4), its 1024 × 8 grid as a 2048-word const array
    iq2_s: [[1, 256], [5, 512], [3, 768], [2, 2560]],
    // 66- and 74-byte super-blocks (0 or 2 mod 4)
    iq2_xxs: [[1, 256], [5, 512], [3, 768], [2, 2560]],
    iq2_xs: [[1, 256], [5, 512], [3, 768], [2, 2560]],
    // 50- and 56-byte IQ1_S / IQ1_M super-blocks (0 or 2 mod 4; 0 mod 8), iq1s_grid as a 4096-word const array
    iq1_s: [[1, 256], [5, 512], [3, 768], [2, 2560]],
    iq1_m: [[1, 256], [5, 512], [3, 768], [2, 2560]],
    q4_k: [[1, 256], [5, 512], [3, 1024], [2, 2560]],
    q6_k: [[1, 256], [5, 512], [3, 1024]],
    q5_k: [[1, 256], [5, 512], [3, 1024], [2, 2560]],
    // 110-byte blocks: every other block starts at 2 mod 4
    q3_k: [[1, 256], [5, 512], [3, 768], [2, 2560]],
    q2_k: [[1, 256], [5, 512], [3, 768], [2, 2560]],
  };
  for (const [dtype, list] of Object.entries(shapes) as [QuantDType, [number, number][]][]) {
    for (const [m, k] of list) {
      // Odd block counts per row start blocks off word boundaries (34, 18, 22, 110 and 210 are not multiples of 4).
      const bytes = randomBlocks(dtype, m, k, m * 1000 + k);
      for (const n of [1, 3]) await check(`${dtype} [${m},${k}] n=${n}`, dtype, bytes, m, k, n, m + k + n);
    }
  }
  for (const dtype of ['q2_k', 'q3_k', 'q4_k', 'q5_k', 'q6_k'] as const) {
    const file = `model.${dtype.toUpperCase()}.gguf`;
    const res = await fetch(`/test/fixtures/gguf-kquants/${file}`);
    // Opened as a Blob: the header is read in a growing prefix and the tensor by blob.slice().
    const g = await GgufFile.open(await res.blob(), file);
    const info = g.info('blk.0.attn_k.weight');
    await check(`${file} attn_k`, dtype, (await g.raw(info.name)).slice(), info.shape[0], info.shape[1], 2, 77);
  }
  return results;
}
