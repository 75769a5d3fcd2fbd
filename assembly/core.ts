// Core elementwise and memory kernels (see src/backends/backend.ts for semantics). f32 unless named
// otherwise. Pointers are byte offsets into linear memory, counts are elements. Every SIMD loop has a
// scalar tail, so no size has to be a multiple of 4.

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
  // Broadcast: a is [n / nb, nb]; add b to each row of a.
  for (let r = 0; r < n; r += nb) {
    const ro = <usize>r << 2;
    let j = 0;
    for (; j + 4 <= nb; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + ro + o, f32x4.add(v128.load(a + ro + o), v128.load(b + o)));
    }
    for (; j < nb; j++) {
      const o = <usize>j << 2;
      store<f32>(out + ro + o, load<f32>(a + ro + o) + load<f32>(b + o));
    }
  }
}

/** out[i] = a[i] * b[i % nb] */
export function mul_f32(out: usize, a: usize, b: usize, n: i32, nb: i32): void {
  for (let r = 0; r < n; r += nb) {
    const ro = <usize>r << 2;
    let j = 0;
    for (; j + 4 <= nb; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + ro + o, f32x4.mul(v128.load(a + ro + o), v128.load(b + o)));
    }
    for (; j < nb; j++) {
      const o = <usize>j << 2;
      store<f32>(out + ro + o, load<f32>(a + ro + o) * load<f32>(b + o));
    }
  }
}

/** out[i] = a[i] + (b[i] - a[i]) * t[i % nt] (b of a's size; three f32 roundings, no fused multiply-add) */
export function lerp_f32(out: usize, a: usize, b: usize, t: usize, n: i32, nt: i32): void {
  for (let r = 0; r < n; r += nt) {
    const ro = <usize>r << 2;
    let j = 0;
    for (; j + 4 <= nt; j += 4) {
      const o = <usize>j << 2;
      const x = v128.load(a + ro + o);
      v128.store(out + ro + o, f32x4.add(x, f32x4.mul(f32x4.sub(v128.load(b + ro + o), x), v128.load(t + o))));
    }
    for (; j < nt; j++) {
      const o = <usize>j << 2;
      const x = load<f32>(a + ro + o);
      store<f32>(out + ro + o, x + (load<f32>(b + ro + o) - x) * load<f32>(t + o));
    }
  }
}

/** out[i] = a[i] * s */
export function scale_f32(out: usize, a: usize, s: f32, n: i32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(a + o), sv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) * s);
  }
}

/** Set n 32-bit words to `bits` (f32 or i32 fill: the caller passes the bit pattern). */
export function fill_u32(dst: usize, bits: u32, n: i32): void {
  const v = i32x4.splat(bits);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v);
  for (; i < n; i++) store<u32>(dst + (<usize>i << 2), bits);
}

/** memmove of `bytes` bytes (copy op; regions may overlap when dst and src are the same tensor). */
export function copy_bytes(dst: usize, src: usize, bytes: usize): void {
  memory.copy(dst, src, bytes);
}

/**
 * dst[i] = src[i], a plain v128 load/store loop: the memory-bandwidth ceiling that matvec and
 * spmv benchmarks are compared against (memory.copy could use tricks a kernel cannot).
 */
export function memcopy_f32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const v0 = v128.load(src + o);
    const v1 = v128.load(src + o, 16);
    const v2 = v128.load(src + o, 32);
    const v3 = v128.load(src + o, 48);
    v128.store(dst + o, v0);
    v128.store(dst + o, v1, 16);
    v128.store(dst + o, v2, 32);
    v128.store(dst + o, v3, 48);
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** out[i] = max(a[i], 0); NaN stays NaN like torch.relu. */
export function relu_f32(out: usize, a: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(a + o);
    // keep x where x > 0 or x is NaN (x != x), else 0
    v128.store(out + o, v128.bitselect(x, zero, v128.or(f32x4.gt(x, zero), f32x4.ne(x, x))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(a + o);
    store<f32>(out + o, x > 0 || x != x ? x : 0);
  }
}
