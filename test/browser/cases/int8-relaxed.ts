/**
 * The int8-activation kernels of both wasm builds inside the backend-host worker
 * (test/browser/wasm-in-browser.test.ts): Chromium runs relaxed SIMD, so this is where the relaxed
 * build (build/sparrow-relaxed.wasm and -mt-relaxed) is checked — on one thread and on two, against the
 * reference backend's int8 path bit for bit, every block type, as the Node suite checks the plain build.
 */
import { wasmRelaxedSimdSupported } from '../../../src/backends/wasm/module.ts';
import { INT8_DTYPES_32, INT8_DTYPES_K, int8Builds, type Int8BuildRun } from '../../helpers/int8-activations.ts';

export interface Int8RelaxedResult {
  supported: boolean;
  /** Per build and thread count: whether the backend runs the relaxed build, and the differing outputs (first few). */
  runs: Int8BuildRun[];
}

export async function int8RelaxedSuite(): Promise<Int8RelaxedResult> {
  const runs = await int8Builds([true, false], [...INT8_DTYPES_32, ...INT8_DTYPES_K]);
  return { supported: wasmRelaxedSimdSupported(), runs: runs.map((r) => ({ ...r, differences: r.differences.slice(0, 5) })) };
}
