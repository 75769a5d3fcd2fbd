// Row-range entry points for the multi-threaded wasm backend (src/backends/wasm/threads.ts).
// A matvec (N = 1) splits by rows with no kernel change (offset the out and weight pointers), but a
// prefill matmul writes out[t, r] at stride M, so a part that owns weight rows [r0, r1) needs M and
// its row range separately. These loops are the full kernels' loops restricted to [r0, r1): same
// token tiles, same 4-row groups (r0 is a multiple of 4), same register blocks — so every output
// element is computed by exactly the same instruction sequence as in the one-thread call.
// (f16 weights have their own row-range kernels in f16-matvec.ts.)
import { matmulRows } from './core-matvec';
import { dequant_q8_0 } from './quant';

/** Rows [r0, r1) of matmul_f32 (see there). */
export function matmul_f32_rows(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32, tile: i32, r0: i32, r1: i32): void {
  const rowBytes = <usize>k << 2;
  for (let t0 = 0; t0 < n; t0 += tile) {
    const t1 = min(n, t0 + tile);
    for (let r = r0; r < r1; r += 4) matmulRows(out, x, w + <usize>r * rowBytes, t0, t1, r, min(4, r1 - r), m, k);
  }
}

/** Rows [r0, r1) of matmul_q8_0's prefill path (N > 1); `scratch` (4·K f32) private to the thread. */
export function matmul_q8_0_rows(out: usize, x: usize, w: usize, n: i32, m: i32, k: i32, scratch: usize, tile: i32, r0: i32, r1: i32): void {
  const nb = k >> 5;
  const rowBytes = <usize>nb * 34;
  for (let t0 = 0; t0 < n; t0 += tile) {
    const t1 = min(n, t0 + tile);
    for (let r = r0; r < r1; r += 4) {
      const rows = min(4, r1 - r);
      dequant_q8_0(scratch, w + <usize>r * rowBytes, rows * nb);
      matmulRows(out, x, scratch, t0, t1, r, rows, m, k);
    }
  }
}
