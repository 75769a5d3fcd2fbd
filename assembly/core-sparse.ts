// Unstructured-sparse matvec out[M] = S[M, K] · x[K] on the layouts built by
// src/backends/wasm/sparse.ts. Values are always exact f32 (no quantisation), so results match the
// reference CSR product up to summation order. Layout choice and measurements: docs/sparse-matvec.md.

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * CSR with u16 *byte* offsets into x (col · 4; needs K ≤ 16384): rowPtr u32[M + 1], off u16[nnz],
 * val f32[nnz]. Four non-zeros per step are gathered into one f32x4 with lane loads.
 */
export function spmv_csr16(out: usize, rowPtr: usize, off: usize, val: usize, x: usize, m: i32): void {
  for (let r = 0; r < m; r++) {
    let p = load<u32>(rowPtr + (<usize>r << 2));
    const end = load<u32>(rowPtr + (<usize>r << 2), 4);
    let acc = f32x4.splat(0), acc2 = f32x4.splat(0);
    for (; p + 8 <= end; p += 8) {
      const ip = off + (<usize>p << 1);
      const vp = val + (<usize>p << 2);
      let g = v128.load32_zero(x + <usize>load<u16>(ip));
      g = v128.load32_lane(x + <usize>load<u16>(ip, 2), g, 1);
      g = v128.load32_lane(x + <usize>load<u16>(ip, 4), g, 2);
      g = v128.load32_lane(x + <usize>load<u16>(ip, 6), g, 3);
      let h = v128.load32_zero(x + <usize>load<u16>(ip, 8));
      h = v128.load32_lane(x + <usize>load<u16>(ip, 10), h, 1);
      h = v128.load32_lane(x + <usize>load<u16>(ip, 12), h, 2);
      h = v128.load32_lane(x + <usize>load<u16>(ip, 14), h, 3);
      acc = f32x4.add(acc, f32x4.mul(v128.load(vp), g));
      acc2 = f32x4.add(acc2, f32x4.mul(v128.load(vp, 16), h));
    }
    let s = hsum(f32x4.add(acc, acc2));
    for (; p < end; p++) s += load<f32>(val + (<usize>p << 2)) * load<f32>(x + <usize>load<u16>(off + (<usize>p << 1)));
    store<f32>(out + (<usize>r << 2), s);
  }
}

/** General CSR with u32 column indices (any K): rowPtr u32[M + 1], col u32[nnz], val f32[nnz]. */
export function spmv_csr32(out: usize, rowPtr: usize, col: usize, val: usize, x: usize, m: i32): void {
  for (let r = 0; r < m; r++) {
    let p = load<u32>(rowPtr + (<usize>r << 2));
    const end = load<u32>(rowPtr + (<usize>r << 2), 4);
    let acc = f32x4.splat(0);
    for (; p + 4 <= end; p += 4) {
      const ip = col + (<usize>p << 2);
      let g = v128.load32_zero(x + (<usize>load<u32>(ip) << 2));
      g = v128.load32_lane(x + (<usize>load<u32>(ip, 4) << 2), g, 1);
      g = v128.load32_lane(x + (<usize>load<u32>(ip, 8) << 2), g, 2);
      g = v128.load32_lane(x + (<usize>load<u32>(ip, 12) << 2), g, 3);
      acc = f32x4.add(acc, f32x4.mul(v128.load(val + (<usize>p << 2)), g));
    }
    let s = hsum(acc);
    for (; p < end; p++) s += load<f32>(val + (<usize>p << 2)) * load<f32>(x + (<usize>load<u32>(col + (<usize>p << 2)) << 2));
    store<f32>(out + (<usize>r << 2), s);
  }
}

/**
 * Padded column-blocked layout ("blk8p"): columns are cut into blocks of 255, and x is first staged
 * (stage_x_blk) into blocks of 256 floats whose last slot is 0. Each row is a flat run of groups of
 * four entries; a group lies in one block, named by a u8 header, and holds u8 in-block columns
 * (255 = padding, which reads the staged zero) and f32 values (0 for padding). No per-block loop,
 * hence no data-dependent branches: grpPtr u32[M + 1], hdr u8[G], col u8[4G], val f32[4G].
 */
export function spmv_blk8p(out: usize, grpPtr: usize, hdr: usize, col: usize, val: usize, xs: usize, m: i32): void {
  for (let r = 0; r < m; r++) {
    let g = load<u32>(grpPtr + (<usize>r << 2));
    const end = load<u32>(grpPtr + (<usize>r << 2), 4);
    let acc = f32x4.splat(0), acc2 = f32x4.splat(0);
    for (; g + 2 <= end; g += 2) {
      const xa = xs + (<usize>load<u8>(hdr + g) << 10);
      const xb = xs + (<usize>load<u8>(hdr + g, 1) << 10);
      const ip = col + (<usize>g << 2);
      const vp = val + (<usize>g << 4);
      let ga = v128.load32_zero(xa + (<usize>load<u8>(ip) << 2));
      ga = v128.load32_lane(xa + (<usize>load<u8>(ip, 1) << 2), ga, 1);
      ga = v128.load32_lane(xa + (<usize>load<u8>(ip, 2) << 2), ga, 2);
      ga = v128.load32_lane(xa + (<usize>load<u8>(ip, 3) << 2), ga, 3);
      let gb = v128.load32_zero(xb + (<usize>load<u8>(ip, 4) << 2));
      gb = v128.load32_lane(xb + (<usize>load<u8>(ip, 5) << 2), gb, 1);
      gb = v128.load32_lane(xb + (<usize>load<u8>(ip, 6) << 2), gb, 2);
      gb = v128.load32_lane(xb + (<usize>load<u8>(ip, 7) << 2), gb, 3);
      acc = f32x4.add(acc, f32x4.mul(v128.load(vp), ga));
      acc2 = f32x4.add(acc2, f32x4.mul(v128.load(vp, 16), gb));
    }
    if (g < end) {
      const xa = xs + (<usize>load<u8>(hdr + g) << 10);
      const ip = col + (<usize>g << 2);
      let ga = v128.load32_zero(xa + (<usize>load<u8>(ip) << 2));
      ga = v128.load32_lane(xa + (<usize>load<u8>(ip, 1) << 2), ga, 1);
      ga = v128.load32_lane(xa + (<usize>load<u8>(ip, 2) << 2), ga, 2);
      ga = v128.load32_lane(xa + (<usize>load<u8>(ip, 3) << 2), ga, 3);
      acc = f32x4.add(acc, f32x4.mul(v128.load(val + (<usize>g << 4)), ga));
    }
    store<f32>(out + (<usize>r << 2), hsum(f32x4.add(acc, acc2)));
  }
}

/** Stage x[K] for blk8p: block b's 255 columns at xs + 1024·b, slot 255 of every block = 0. */
export function stage_x_blk(xs: usize, x: usize, k: i32): void {
  const nb = (k + 254) / 255;
  for (let b = 0; b < nb; b++) {
    const c0 = b * 255;
    const n = min(255, k - c0);
    memory.copy(xs + (<usize>b << 10), x + (<usize>c0 << 2), <usize>n << 2);
    memory.fill(xs + (<usize>b << 10) + (<usize>n << 2), 0, <usize>(256 - n) << 2);
  }
}
