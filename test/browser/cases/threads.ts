/**
 * Threaded wasm inside the backend-host worker (test/browser/threads.test.ts): a two-thread
 * WasmBackend (helper Workers nested in this worker, one shared WebAssembly.Memory) against a
 * one-thread one — bit-identical matvec / matmul for f32, f16 and Q8_0 weights at odd sizes,
 * and the same greedy tokens from the fixture llama (Q8_0 GGUF fetched from the dev server).
 */
import { WasmBackend } from '../../../src/backends/wasm/backend.ts';
import type { DType } from '../../../src/backends/backend.ts';
import { openModel } from '../../../src/engine/open-model.ts';
import { quantizeQ8_0 } from '../../../src/formats/ggml-quants.ts';
import { randomF32 } from '../../helpers/random.ts';
import { runLinear } from '../../helpers/linear.ts';

export interface ThreadsCaseResult {
  isolated: boolean;
  threads: number;
  /** Jobs the pool ran (proves the helpers were used). */
  jobs: number;
  /** Per case: elements whose bits differ between 1 and 2 threads (must be 0), and NaNs left. */
  kernels: { name: string; differing: number; nans: number }[];
  tokens1: number[];
  tokens2: number[];
  logitsDiffering: number;
}

function bitsDiffer(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (ua[i] !== ub[i]) n++;
  return n;
}

async function greedy(b: WasmBackend, gguf: ArrayBuffer): Promise<{ tokens: number[]; logits: Float32Array }> {
  const { model } = await openModel(b, new Map([['model.Q8_0.gguf', gguf]]), {}, 'llama-gqa-tiny');
  const state = model.newState();
  const t = model.prefill([1, 5, 9, 17, 33, 65, 129, 3], state, { allLogits: true });
  const logits = (await b.read(t)) as Float32Array;
  b.free(t);
  let last = logits.subarray(logits.length - model.vocabSize);
  const tokens: number[] = [];
  for (let i = 0; i < 6; i++) {
    let best = 0;
    for (let j = 1; j < last.length; j++) if (last[j] > last[best]) best = j;
    tokens.push(best);
    last = (await b.read(model.step(best, state))) as Float32Array;
  }
  return { tokens, logits };
}

export async function threadsVsOne(): Promise<ThreadsCaseResult> {
  const one = await WasmBackend.create();
  const two = await WasmBackend.create({ threads: 2, minSplitWork: 0 });
  try {
    const kernels: ThreadsCaseResult['kernels'] = [];
    const m = 577, k = 96;
    // Normal halves plus 1/64 subnormal ones (under f16.ts's 1/32 limit, so the weights are prepared
    // and take the threaded side-list kernels); no Inf/NaN.
    const halves = Uint16Array.from({ length: m * k }, (_, i) => {
      const h = (i * 2654435761) >>> 0;
      return (h & 0x8000) | (i % 64 === 0 ? 1 + (h % 0x3ff) : 0x400 + (h % 0x7400));
    });
    const weights: [DType, Float32Array | Uint16Array | Uint8Array][] = [
      ['f32', randomF32(m * k, 11)],
      ['f16', halves],
      ['q8_0', quantizeQ8_0(randomF32(m * k, 12))],
    ];
    for (const [dtype, w] of weights) {
      for (const n of [1, 5]) {
        const x = randomF32(n * k, 13 + n);
        const a = await runLinear(one, dtype, w, m, k, x, n);
        const b = await runLinear(two, dtype, w, m, k, x, n);
        kernels.push({ name: `${dtype} [${m},${k}] n=${n}`, differing: bitsDiffer(a, b), nans: b.filter((v) => Number.isNaN(v)).length });
      }
    }
    const gguf = await (await fetch('/test/fixtures/models/llama-gqa-tiny/model.Q8_0.gguf')).arrayBuffer();
    const g1 = await greedy(one, gguf);
    const g2 = await greedy(two, gguf);
    return {
      isolated: Boolean(globalThis.crossOriginIsolated),
      threads: two.threads,
      jobs: two.pool?.stats.jobs ?? 0,
      kernels,
      tokens1: g1.tokens,
      tokens2: g2.tokens,
      logitsDiffering: bitsDiffer(g1.logits, g2.logits),
    };
  } finally {
    one.dispose();
    two.dispose();
  }
}

/**
 * Not a test: a decode-shaped loop (30 × the 7 SmolLM2 Q8_0 linears) on 1 and N threads, round
 * robin, for checking the pool in the browser by hand (`node --import tsx bench/browser-threads.ts`).
 */
export async function threadsDecodeLoop(args: { threads?: number; rounds?: number; spinMs?: number }): Promise<{ one: number[]; many: number[]; helperParts: number; callerParts: number }> {
  const one = await WasmBackend.create();
  const many = await WasmBackend.create({ threads: args.threads ?? 2, spinMs: args.spinMs });
  const shapes = [[576, 576], [192, 576], [192, 576], [576, 576], [1536, 576], [1536, 576], [576, 1536]];
  const setup = (b: WasmBackend) => shapes.map(([m, k]) => ({ w: b.tensor([m, k], 'q8_0', quantizeQ8_0(randomF32(m * k, m))), x: b.tensor([k], 'f32', randomF32(k, 2)), o: b.tensor([m], 'f32') }));
  const s1 = setup(one), sN = setup(many);
  const step = (b: WasmBackend, s: typeof s1) => {
    const t0 = performance.now();
    for (let l = 0; l < 30; l++) for (const t of s) b.matvec(t.o, t.w, t.x);
    return performance.now() - t0;
  };
  const out = { one: [] as number[], many: [] as number[], helperParts: 0, callerParts: 0 };
  for (let r = 0; r < (args.rounds ?? 8); r++) {
    out.one.push(step(one, s1));
    out.many.push(step(many, sN));
  }
  out.helperParts = many.pool?.stats.partsHelpers ?? 0;
  out.callerParts = many.pool?.stats.partsCaller ?? 0;
  one.dispose();
  many.dispose();
  return out;
}
