/**
 * Token tile of the wasm matmul kernels: as many rows of X as fit in ~256 KiB, so they stay cached
 * while W streams by. One definition on purpose: the threaded split (threads-ops.ts) must pass the
 * same tile as the one-thread calls (backend.ts, quant.ts) to stay bit-identical with them.
 */
export function matmulTokenTile(n: number, k: number): number {
  return Math.max(2, Math.min(n, Math.floor(65536 / Math.max(k, 1))));
}
