/**
 * One benchmark case. `npm run bench` (bench/run.ts) opens Chromium, and a worker there imports every
 * bench/cases/*.ts module, calls its `cases()` and, for each case and each listed backend: runs
 * `setup`, warms up, times `run()` (+ `backend.flush()`) at least `minRuns` (default 20) times,
 * and records the median. Results go to bench/results/<name>.json and .md.
 */
import type { Backend, BackendName } from '../../src/backends/backend.ts';

export interface BenchCase {
  /** Op family, e.g. 'core', 'attention', 'sequence', 'quant', 'model'. */
  family: string;
  op: string;
  /** Human-readable shape, e.g. '4096x4096' or 'seq=1024,h=8,d=64'. */
  shape: string;
  dtype: string;
  backends: BackendName[];
  /** Bytes moved / floating-point ops per run, to report GB/s and GFLOP/s. */
  bytes?: number;
  flops?: number;
  /** Extra figures to report per run, e.g. tokens per run for tokens/s. */
  tokens?: number;
  minRuns?: number;
  /** Free-form remark shown in the table (e.g. why a backend is left out at this size). */
  note?: string;
  /**
   * Bytes the same operand takes in dense f32 form; with `storedBytes` from setup the table shows
   * the compression (sparse / quantized weights).
   */
  denseBytes?: number;
  /**
   * Another case to compare against on the same backend, as 'op shape dtype' (e.g. a sparse
   * matvec against 'matvec 4096x4096 f32'); the table shows the median-time ratio.
   */
  baseline?: string;
  /** Allocate inputs on `b`; return the function to time (one run) and a cleanup. */
  setup(b: Backend): Promise<{
    run(): void | Promise<void>;
    dispose(): void;
    /** Bytes of the main operand as this backend stores it (e.g. a sparse tensor's byteSize). */
    storedBytes?: number;
    /** Bytes per run when they depend on this backend's layout (overrides the case's `bytes`). */
    bytes?: number;
  }>;
}

export interface BenchResult {
  family: string;
  op: string;
  shape: string;
  dtype: string;
  backend: BackendName;
  runs: number;
  medianMs: number;
  minMs: number;
  gbPerS?: number;
  gflopPerS?: number;
  tokensPerS?: number;
  storedBytes?: number;
  denseBytes?: number;
  baseline?: string;
  note?: string;
  error?: string;
}
