/**
 * Where a step of a bench case goes on the GPU, kernel by kernel (how the H100 decode bottlenecks
 * in docs/gpu.md were found). Records the dispatches of one `run()` (GpuContext.recording), then
 * replays each kernel's dispatches on their own, `repeats` times in one submit:
 * - gpuMs: the wait after the replay was recorded, minus an empty flush, per step;
 * - recordMs: the JavaScript time to record them (GpuContext.dispatch), per step.
 * Replaying writes the same buffers again, so the case's state is garbage afterwards: profile last.
 * Timing without timestamp queries: dispatches of a kernel back to back include their launch and
 * barrier costs, which is what a step pays.
 */
import type { WebGpuBackend } from '../../src/backends/webgpu/backend.ts';
import { GpuContext, type DispatchArgs } from '../../src/backends/webgpu/device.ts';
import type { BenchCase } from '../cases/types.ts';

export interface KernelProfile {
  entry: string;
  /** Dispatches of this kernel in one step. */
  dispatches: number;
  gpuMs: number;
  recordMs: number;
}

export interface StepProfile {
  case: string;
  /** Median wall time of a whole step (run + flush), ms. */
  stepMs: number;
  dispatches: number;
  kernels: KernelProfile[];
}

export async function profileStep(b: WebGpuBackend, c: BenchCase, opts: { warm?: number; steps?: number; repeats?: number } = {}): Promise<StepProfile> {
  const { warm = 3, steps = 10, repeats = 20 } = opts;
  const prep = await c.setup(b);
  try {
    for (let i = 0; i < warm; i++) await prep.run();
    await b.flush();
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await prep.run();
      await b.flush();
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);

    const ctx = b.gpu;
    const rec: DispatchArgs[] = [];
    ctx.recording = rec;
    try {
      await prep.run();
      await b.flush();
    } finally {
      ctx.recording = undefined;
    }

    // One submit per replay, so the wait after recording is the GPU time of what was recorded.
    const every = GpuContext.submitEvery;
    GpuContext.submitEvery = Infinity;
    const kernels: KernelProfile[] = [];
    try {
      let t = performance.now();
      await b.flush();
      const empty = performance.now() - t;
      for (const entry of [...new Set(rec.map((a) => a[2]))]) {
        const mine = rec.filter((a) => a[2] === entry);
        t = performance.now();
        for (let r = 0; r < repeats; r++) for (const a of mine) ctx.dispatch(...a);
        const recorded = performance.now();
        await b.flush();
        kernels.push({ entry, dispatches: mine.length, gpuMs: Math.max(0, performance.now() - recorded - empty) / repeats, recordMs: (recorded - t) / repeats });
      }
    } finally {
      GpuContext.submitEvery = every;
    }
    kernels.sort((x, y) => y.gpuMs - x.gpuMs);
    return { case: `${c.family}/${c.op} ${c.dtype}`, stepMs: times[times.length >> 1], dispatches: rec.length, kernels };
  } finally {
    prep.dispose();
  }
}

export function formatProfile(p: StepProfile): string {
  const lines = [`${p.case}: ${p.stepMs.toFixed(2)} ms per step (median), ${p.dispatches} dispatches`];
  lines.push(`  ${'kernel'.padEnd(26)} ${'n'.padStart(4)}  ${'GPU ms'.padStart(8)}  ${'µs each'.padStart(8)}  ${'JS ms'.padStart(7)}`);
  for (const k of p.kernels) {
    lines.push(`  ${k.entry.padEnd(26)} ${String(k.dispatches).padStart(4)}  ${k.gpuMs.toFixed(3).padStart(8)}  ${((1000 * k.gpuMs) / k.dispatches).toFixed(1).padStart(8)}  ${k.recordMs.toFixed(3).padStart(7)}`);
  }
  const sum = (f: (k: KernelProfile) => number) => p.kernels.reduce((a, k) => a + f(k), 0);
  lines.push(`  ${'total'.padEnd(26)} ${String(p.dispatches).padStart(4)}  ${sum((k) => k.gpuMs).toFixed(3).padStart(8)}  ${''.padStart(8)}  ${sum((k) => k.recordMs).toFixed(3).padStart(7)}`);
  return lines.join('\n');
}
