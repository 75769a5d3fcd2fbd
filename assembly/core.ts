// Core dense kernels (see src/backends/backend.ts for semantics). f32 unless named otherwise.

/** out[i] = a[i] + b[i % nb] */
export function add_f32(out: usize, a: usize, b: usize, n: i32, nb: i32): void {
  if (nb == n) {
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    store<f32>(out + (<usize>i << 2), load<f32>(a + (<usize>i << 2)) + load<f32>(b + (<usize>(i % nb) << 2)));
  }
}

/** out[m] = W[m, :] · x for an f32 row-major W[M, K]; four rows at a time to reuse x loads. */
export function matvec_f32(out: usize, w: usize, x: usize, m: i32, k: i32): void {
  const rowBytes = <usize>k << 2;
  let r = 0;
  for (; r + 4 <= m; r += 4) {
    const w0 = w + <usize>r * rowBytes;
    const w1 = w0 + rowBytes;
    const w2 = w1 + rowBytes;
    const w3 = w2 + rowBytes;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= k; j += 4) {
      const o = <usize>j << 2;
      const xv = v128.load(x + o);
      a0 = f32x4.add(a0, f32x4.mul(v128.load(w0 + o), xv));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(w1 + o), xv));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(w2 + o), xv));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(w3 + o), xv));
    }
    let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
    for (; j < k; j++) {
      const o = <usize>j << 2;
      const xj = load<f32>(x + o);
      s0 += load<f32>(w0 + o) * xj;
      s1 += load<f32>(w1 + o) * xj;
      s2 += load<f32>(w2 + o) * xj;
      s3 += load<f32>(w3 + o) * xj;
    }
    const oo = out + (<usize>r << 2);
    store<f32>(oo, s0);
    store<f32>(oo + 4, s1);
    store<f32>(oo + 8, s2);
    store<f32>(oo + 12, s3);
  }
  for (; r < m; r++) {
    const wr = w + <usize>r * rowBytes;
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= k; j += 4) {
      const o = <usize>j << 2;
      acc = f32x4.add(acc, f32x4.mul(v128.load(wr + o), v128.load(x + o)));
    }
    let s = hsum(acc);
    for (; j < k; j++) s += load<f32>(wr + (<usize>j << 2)) * load<f32>(x + (<usize>j << 2));
    store<f32>(out + (<usize>r << 2), s);
  }
}

// @ts-ignore: decorator
@inline
function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}
