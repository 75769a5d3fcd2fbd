/** What the bench page, its worker and the Node driver (bench/run.ts) say to each other. */
import type { BackendName } from '../src/backends/backend.ts';
import type { BenchResult } from './cases/types.ts';

export interface BenchOptions {
  /** Only cases whose family is listed (empty: all). */
  families: string[];
  /** Only these backends (empty: each case's own list). */
  backends: BackendName[];
  /** Only cases whose `op` contains one of these substrings (empty: all). */
  ops: string[];
  /** Fewer runs (5) and warm-ups (1): a smoke pass, not numbers to publish. */
  quick: boolean;
}

export interface BenchEnvironment {
  userAgent: string;
  hardwareConcurrency: number;
  /** Per backend: a one-line description, or why it is unavailable. */
  backends: Partial<Record<BackendName, string>>;
}

export type WorkerMessage =
  | { type: 'progress'; text: string }
  | { type: 'result'; result: BenchResult }
  | { type: 'done'; environment: BenchEnvironment; results: BenchResult[] }
  | { type: 'fatal'; message: string };
