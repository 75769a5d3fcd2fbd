/**
 * The int8-activation kernels of both wasm builds inside the backend-host worker
 * (test/browser/wasm-in-browser.test.ts): Chromium runs relaxed SIMD, so this is where the relaxed
 * build (build/sparrow-relaxed.wasm and -mt-relaxed) is checked — on one thread and on two, against the
 * reference backend's int8 path bit for bit, every block type, as the Node suite checks the plain build.
 */
import { ReferenceBackend } from '../../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../../src/backends/wasm/backend.ts';
import { wasmRelaxedSimdSupported } from '../../../src/backends/wasm/module.ts';
import { INT8_DTYPES_32, INT8_DTYPES_K, int8Differences } from '../../helpers/int8-activations.ts';

export interface Int8RelaxedResult {
  supported: boolean;
  /** Per build and thread count: whether the backend runs the relaxed build, and the differing outputs (first few). */
  runs: { name: string; relaxedSimd: boolean; threads: number; outputs: number; differences: string[] }[];
}

export async function int8RelaxedSuite(): Promise<Int8RelaxedResult> {
  const ref = new ReferenceBackend({ int8Activations: true });
  const runs: Int8RelaxedResult['runs'] = [];
  for (const relaxedSimd of [true, false]) {
    for (const threads of [1, 2]) {
      const b = await WasmBackend.create({ threads, minSplitWork: 0, int8Activations: true, relaxedSimd });
      const differences: string[] = [];
      let outputs = 0;
      for (const dtype of [...INT8_DTYPES_32, ...INT8_DTYPES_K]) {
        const d = await int8Differences(ref, b, dtype);
        outputs += d.outputs;
        differences.push(...d.differences);
      }
      runs.push({ name: `${relaxedSimd ? 'relaxed' : 'plain'} build, ${b.threads} thread(s)`, relaxedSimd: b.relaxedSimd, threads: b.threads, outputs, differences: differences.slice(0, 5) });
      b.dispose();
    }
  }
  return { supported: wasmRelaxedSimdSupported(), runs };
}
