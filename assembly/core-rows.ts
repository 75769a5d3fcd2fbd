// Row-wise kernels over x[rows, d]: normalisations, softmax, rotary embedding, argmax, embedding
// lookup. Reductions use two f32x4 accumulators; per-row scalars (1/rms, 1/sum) are formed in f64.
import { vexp } from './core-vexp';
import { f16_to_f32 } from './core-matvec';

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline function sumSquares(p: usize, d: i32): f64 {
  let a = f32x4.splat(0), b = f32x4.splat(0);
  let j = 0;
  for (; j + 8 <= d; j += 8) {
    const v = v128.load(p + (<usize>j << 2));
    const u = v128.load(p + (<usize>j << 2), 16);
    a = f32x4.add(a, f32x4.mul(v, v));
    b = f32x4.add(b, f32x4.mul(u, u));
  }
  let s = <f64>hsum(f32x4.add(a, b));
  for (; j < d; j++) {
    const v = <f64>load<f32>(p + (<usize>j << 2));
    s += v * v;
  }
  return s;
}

/** out = x · (1/√(mean(x²) + eps)) · w, per row of length d. */
export function rmsnorm_f32(out: usize, x: usize, w: usize, rows: i32, d: i32, eps: f64): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>r * <usize>d << 2);
    const or = out + (<usize>r * <usize>d << 2);
    const inv = <f32>(1.0 / Math.sqrt(sumSquares(xr, d) / d + eps));
    const iv = f32x4.splat(inv);
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const o = <usize>j << 2;
      v128.store(or + o, f32x4.mul(f32x4.mul(v128.load(xr + o), iv), v128.load(w + o)));
    }
    for (; j < d; j++) {
      const o = <usize>j << 2;
      store<f32>(or + o, load<f32>(xr + o) * inv * load<f32>(w + o));
    }
  }
}

/** out = (x − mean) / √(var + eps) · w + b per row (two passes: mean, then centred variance). */
export function layernorm_f32(out: usize, x: usize, w: usize, b: usize, rows: i32, d: i32, eps: f64): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>r * <usize>d << 2);
    const or = out + (<usize>r * <usize>d << 2);
    // Sum x − x[0] (shifted data): the residuals are the size of the spread, not of the mean.
    const shift = load<f32>(xr);
    const sv = f32x4.splat(shift);
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= d; j += 4) acc = f32x4.add(acc, f32x4.sub(v128.load(xr + (<usize>j << 2)), sv));
    let sum = <f64>hsum(acc);
    for (; j < d; j++) sum += <f64>(load<f32>(xr + (<usize>j << 2)) - shift);
    // The f64 mean as hi + lo f32 parts: (x − hi) is exact for x near the mean, so rows with a
    // large common offset still centre to full f32 accuracy.
    const meanD = <f64>shift + sum / d;
    const mean = <f32>meanD;
    const meanLo = <f32>(meanD - <f64>mean);
    const mv = f32x4.splat(mean);
    const lv = f32x4.splat(meanLo);
    acc = f32x4.splat(0);
    j = 0;
    for (; j + 4 <= d; j += 4) {
      const c = f32x4.sub(f32x4.sub(v128.load(xr + (<usize>j << 2)), mv), lv);
      acc = f32x4.add(acc, f32x4.mul(c, c));
    }
    let vs = <f64>hsum(acc);
    for (; j < d; j++) {
      const c = <f64>(load<f32>(xr + (<usize>j << 2)) - mean) - <f64>meanLo;
      vs += c * c;
    }
    const inv = <f32>(1.0 / Math.sqrt(vs / d + eps));
    const iv = f32x4.splat(inv);
    j = 0;
    for (; j + 4 <= d; j += 4) {
      const o = <usize>j << 2;
      const c = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(xr + o), mv), lv), iv);
      v128.store(or + o, f32x4.add(f32x4.mul(c, v128.load(w + o)), v128.load(b + o)));
    }
    for (; j < d; j++) {
      const o = <usize>j << 2;
      store<f32>(or + o, (load<f32>(xr + o) - mean - meanLo) * inv * load<f32>(w + o) + load<f32>(b + o));
    }
  }
}

/** Softmax over each row: subtract the row max, exponentiate into out, scale by 1/sum. */
export function softmax_f32(out: usize, x: usize, rows: i32, d: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>r * <usize>d << 2);
    const or = out + (<usize>r * <usize>d << 2);
    let mx = f32x4.splat(-Infinity);
    let j = 0;
    // pmax may drop a NaN lane here, but a NaN input still makes its exp and the sum NaN, so the
    // row comes out all-NaN exactly as with a NaN-propagating max.
    for (; j + 4 <= d; j += 4) mx = f32x4.pmax(mx, v128.load(xr + (<usize>j << 2)));
    let m = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
    for (; j < d; j++) m = max(m, load<f32>(xr + (<usize>j << 2)));
    const mv = f32x4.splat(m);
    let acc = f32x4.splat(0);
    j = 0;
    for (; j + 4 <= d; j += 4) {
      const o = <usize>j << 2;
      const e = vexp(f32x4.sub(v128.load(xr + o), mv));
      v128.store(or + o, e);
      acc = f32x4.add(acc, e);
    }
    let sum = <f64>hsum(acc);
    for (; j < d; j++) {
      const o = <usize>j << 2;
      const e = f32x4.extract_lane(vexp(f32x4.splat(load<f32>(xr + o) - m)), 0);
      store<f32>(or + o, e);
      sum += <f64>e;
    }
    const inv = <f32>(1.0 / sum);
    const iv = f32x4.splat(inv);
    j = 0;
    for (; j + 4 <= d; j += 4) {
      const o = <usize>j << 2;
      v128.store(or + o, f32x4.mul(v128.load(or + o), iv));
    }
    for (; j < d; j++) store<f32>(or + (<usize>j << 2), load<f32>(or + (<usize>j << 2)) * inv);
  }
}

/**
 * Rotary embedding on x[rows, heads·headDim], row r at position pos + r. Angles are formed in f64
 * (positions can be large), once per row into `scratch` (f64 inverse frequencies, then f32 tables of
 * 2·headDim floats), and applied to every head with SIMD.
 * style 0 = 'half' (pairs i, i + headDim/2), 1 = 'interleaved' (pairs 2i, 2i + 1).
 */
export function rope_f32(out: usize, x: usize, rows: i32, heads: i32, headDim: i32, pos: i32, theta: f64, style: i32, scratch: usize, factors: usize): void {
  const half = headDim >> 1;
  const invf = scratch;
  const cosT = scratch + (<usize>half << 3);
  const sinT = cosT + (<usize>headDim << 2);
  // factors (f64[half], or 0): Llama 3 RoPE scaling divides each pair's frequency
  for (let i = 0; i < half; i++) {
    const f = Math.pow(theta, (-2.0 * <f64>i) / <f64>headDim);
    store<f64>(invf + (<usize>i << 3), factors ? f / load<f64>(factors + (<usize>i << 3)) : f);
  }
  const rowLen = heads * headDim;
  for (let r = 0; r < rows; r++) {
    const p = <f64>(pos + r);
    for (let i = 0; i < half; i++) {
      const a = p * load<f64>(invf + (<usize>i << 3));
      const c = <f32>Math.cos(a);
      const s = <f32>Math.sin(a);
      if (style == 0) {
        store<f32>(cosT + (<usize>i << 2), c);
        store<f32>(sinT + (<usize>i << 2), s);
      } else {
        // interleaved: out = v·[c, c] + swap(v)·[−s, s]
        store<f32>(cosT + (<usize>(2 * i) << 2), c);
        store<f32>(cosT + (<usize>(2 * i + 1) << 2), c);
        store<f32>(sinT + (<usize>(2 * i) << 2), -s);
        store<f32>(sinT + (<usize>(2 * i + 1) << 2), s);
      }
    }
    for (let h = 0; h < heads; h++) {
      const base = (<usize>(r * rowLen + h * headDim)) << 2;
      const xb = x + base;
      const ob = out + base;
      if (style == 0) {
        const hb = <usize>half << 2;
        let i = 0;
        for (; i + 4 <= half; i += 4) {
          const o = <usize>i << 2;
          const x0 = v128.load(xb + o), x1 = v128.load(xb + hb + o);
          const c = v128.load(cosT + o), s = v128.load(sinT + o);
          v128.store(ob + o, f32x4.sub(f32x4.mul(x0, c), f32x4.mul(x1, s)));
          v128.store(ob + hb + o, f32x4.add(f32x4.mul(x1, c), f32x4.mul(x0, s)));
        }
        for (; i < half; i++) {
          const o = <usize>i << 2;
          const x0 = load<f32>(xb + o), x1 = load<f32>(xb + hb + o);
          const c = load<f32>(cosT + o), s = load<f32>(sinT + o);
          store<f32>(ob + o, x0 * c - x1 * s);
          store<f32>(ob + hb + o, x1 * c + x0 * s);
        }
      } else {
        let i = 0;
        for (; i + 4 <= headDim; i += 4) {
          const o = <usize>i << 2;
          const v = v128.load(xb + o);
          const sw = i8x16.shuffle(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
          v128.store(ob + o, f32x4.add(f32x4.mul(v, v128.load(cosT + o)), f32x4.mul(sw, v128.load(sinT + o))));
        }
        for (; i < headDim; i += 2) {
          const o = <usize>i << 2;
          const x0 = load<f32>(xb + o), x1 = load<f32>(xb + o + 4);
          const c = load<f32>(cosT + o), s = load<f32>(sinT + o + 4);
          store<f32>(ob + o, x0 * c - x1 * s);
          store<f32>(ob + o + 4, x1 * c + x0 * s);
        }
      }
    }
  }
}

/** out[r] = first index of the largest value in row r (NaNs never win, except a NaN in column 0, as in a scalar `>` scan). */
export function argmax_f32(out: usize, x: usize, rows: i32, v: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>r * <usize>v << 2);
    const first = load<f32>(xr);
    if (first != first) {
      store<i32>(out + (<usize>r << 2), 0);
      continue;
    }
    // Lane-wise running max that ignores NaN (gt is false for NaN), then a scan for its first index.
    let mx = f32x4.splat(first);
    let j = 0;
    for (; j + 4 <= v; j += 4) {
      const c = v128.load(xr + (<usize>j << 2));
      mx = v128.bitselect(c, mx, f32x4.gt(c, mx));
    }
    let m = first;
    for (let l = 0; l < 4; l++) {
      const c = l == 0 ? f32x4.extract_lane(mx, 0) : l == 1 ? f32x4.extract_lane(mx, 1) : l == 2 ? f32x4.extract_lane(mx, 2) : f32x4.extract_lane(mx, 3);
      if (c > m) m = c;
    }
    for (; j < v; j++) {
      const c = load<f32>(xr + (<usize>j << 2));
      if (c > m) m = c;
    }
    let best = 0;
    while (load<f32>(xr + (<usize>best << 2)) != m) best++;
    store<i32>(out + (<usize>r << 2), best);
  }
}

/** out[i, :] = table[ids[i], :] for an f32 table (ids already range-checked by the caller). */
export function embedding_f32(out: usize, table: usize, ids: usize, n: i32, d: i32): void {
  const rowBytes = <usize>d << 2;
  for (let i = 0; i < n; i++) {
    memory.copy(out + <usize>i * rowBytes, table + <usize>load<i32>(ids + (<usize>i << 2)) * rowBytes, rowBytes);
  }
}

/** out[i, :] = f32(table[ids[i], :]) for an f16 table. */
export function embedding_f16(out: usize, table: usize, ids: usize, n: i32, d: i32): void {
  for (let i = 0; i < n; i++) {
    f16_to_f32(out + (<usize>i * <usize>d << 2), table + (<usize>load<i32>(ids + (<usize>i << 2)) * <usize>d << 1), d);
  }
}
