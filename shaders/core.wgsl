// Core elementwise kernels: binary (add, mul, the silu / gelu-tanh gated products) and unary (scale, silu, gelu, sigmoid, exp,
// softplus) ops, each also in place; fill; copy_f16. The op is a uniform code, so every thread of a
// dispatch takes the same branch. Binding 0 is always the per-dispatch params uniform; storage
// buffers follow in the order the JS side (src/backends/webgpu/elementwise.ts) passes them.
// Linear workgroup id = wg.x + wg.y * grid_x (2-D grids stay within the 65535 limit for large
// tensors). One thread per element.

struct EwParams { n: u32, nb: u32, grid_x: u32, s: f32, op: u32 }
@group(0) @binding(0) var<uniform> pe: EwParams;
@group(0) @binding(1) var<storage, read_write> ew_out: array<f32>; // [n]
@group(0) @binding(2) var<storage, read> ew_a: array<f32>;         // [n]
@group(0) @binding(3) var<storage, read> ew_b: array<f32>;         // [nb], nb divides n (broadcast over leading dims)
// In-place entry points (…_ip) read and write out: WebGPU forbids binding one buffer as both
// writable and read-only, and each thread reads its element before writing it. binary_ip's b
// moves to binding 2.
@group(0) @binding(2) var<storage, read> ew_b_ip: array<f32>;      // [nb]

fn ew_index(wg: vec3<u32>, li: u32) -> u32 { return (wg.x + wg.y * pe.grid_x) * 256u + li; }

// ---- binary: out[i] = a[i] op b[i % nb]; op 0 = add, 1 = mul, 2 = silu(a)·b (siluMul),
// 3 = gelu_tanh(a)·b (geluTanhMul) -------------------------------------------------------------
fn binary_f(x: f32, y: f32) -> f32 {
  if (pe.op == 0u) { return x + y; }
  if (pe.op == 2u) { return (x * sigmoid_f(x)) * y; } // silu rounded to f32 first, as silu then mul
  if (pe.op == 3u) { return gelu_tanh_f(x) * y; }
  return x * y;
}

// GELU's tanh approximation ½x(1 + tanh(y)), y = √(2/π)(x + 0.044715x³), as x / (1 + e^(−2y)) (the
// same function, no cancellation for negative x). Beyond |x| = 10, e^(−2y) is below 2^-125 (x > 10:
// exactly x in f32) or the result below 1e-36 in magnitude (x < −10: 0), and nothing overflows.
fn gelu_tanh_f(x: f32) -> f32 {
  if (x > 10.0) { return x; }
  if (x < -10.0) { return 0.0; }
  let z = x * 1.5957691216057308 * (1.0 + 0.044715 * x * x);
  return x / (1.0 + exp(-z));
}

@compute @workgroup_size(256)
fn binary(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = ew_index(wg, li);
  if (i >= pe.n) { return; }
  ew_out[i] = binary_f(ew_a[i], ew_b[i % pe.nb]);
}

@compute @workgroup_size(256)
fn binary_ip(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = ew_index(wg, li);
  if (i >= pe.n) { return; }
  ew_out[i] = binary_f(ew_out[i], ew_b_ip[i % pe.nb]);
}

// ---- swiglu: out[r, j] = silu(a[r, j]) · a[r, nb + j], out [n / nb, nb], a [n / nb, 2·nb] ------
@compute @workgroup_size(256)
fn swiglu(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = ew_index(wg, li);
  if (i >= pe.n) { return; }
  let base = (i / pe.nb) * 2u * pe.nb + i % pe.nb;
  let g = ew_a[base];
  ew_out[i] = (g * sigmoid_f(g)) * ew_a[base + pe.nb]; // silu rounded to f32 first, as silu then mul
}

// ---- lerp: out[i] = a[i] + (b[i] − a[i]) · t[i % nb], b (in ew_b) of a's size, t broadcast ------
@group(0) @binding(4) var<storage, read> ew_t: array<f32>; // [nb]

@compute @workgroup_size(256)
fn lerp(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = ew_index(wg, li);
  if (i >= pe.n) { return; }
  let x = ew_a[i];
  ew_out[i] = x + (ew_b[i] - x) * ew_t[i % pe.nb];
}

// ---- unary: out[i] = f(a[i]); op 0 scale (by s), 1 silu, 2 gelu, 3 sigmoid, 4 exp, 5 softplus, 6 relu, 7 tanh
fn sigmoid_f(x: f32) -> f32 {
  // exp(-x) overflows to +inf for x < -88 and 1/(1+inf) = 0, the correctly rounded result.
  return 1.0 / (1.0 + exp(-x));
}

// log(1 + t) for t in [0, 1]. log() near 1 only has an absolute error bound (2^-21) in WGSL, so
// small t uses log1p(t) = 2·atanh(s), s = t / (2 + t) ≤ 1/5, whose odd series converges fast
// (7 terms: s^15/15 < 3e-12); larger t keeps log(1 + t) ≥ 0.405, where 2^-21 is ≤ 1.2e-6 relative.
fn log1p_unit(t: f32) -> f32 {
  if (t >= 0.5) { return log(1.0 + t); }
  let s = t / (2.0 + t);
  let s2 = s * s;
  let series = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0))))));
  return 2.0 * s * series;
}

// torch softplus (beta 1, threshold 20): x above 20, else log(1 + e^x) = max(x, 0) + log1p(e^-|x|).
fn softplus_f(x: f32) -> f32 {
  if (x > 20.0) { return x; }
  return max(x, 0.0) + log1p_unit(exp(-abs(x)));
}

// ---- exact GELU: 0.5·x·(1 + erf(x/√2)) -------------------------------------------------------
// erf for t ≤ 0.9: t·P(s), s = t², P a degree-7 Chebyshev fit (max error 6e-12 before rounding).
fn erf_small(t: f32) -> f32 {
  let u = (2.0 * t * t - 0.81) / 0.81; // s ∈ [0, 0.81] → u ∈ [-1, 1]
  var p = -1.8752526642629164e-8;
  p = p * u + 3.766074598843261e-7;
  p = p * u - 0.0000066214820435561705;
  p = p * u + 0.00010109777213074267;
  p = p * u - 0.0013059104094281793;
  p = p * u + 0.013911658897995949;
  p = p * u - 0.12015024572610855;
  p = p * u + 0.9929032325744629;
  return t * p;
}

// erfc for t in [0.9, 4.5]: exp(−t² + R(t)), R a degree-10 Chebyshev fit of log(erfc t) + t²
// (max error of erfc 1.8e-9 before rounding); beyond 4.5 erfc < 2e-10 and returns 0.
// Computing erfc (not 1 − erf) keeps GELU relatively accurate for negative x.
fn erfc_large(t: f32) -> f32 {
  if (t > 4.5) { return 0.0; }
  let u = (2.0 * t - 5.4) / 3.6; // t ∈ [0.9, 4.5] → u ∈ [-1, 1]
  var r = -0.000007312737579923123;
  r = r * u - 0.000018244028979097493;
  r = r * u + 0.00017349667905364186;
  r = r * u - 0.0006378524121828377;
  r = r * u + 0.002070542424917221;
  r = r * u - 0.0063877771608531475;
  r = r * u + 0.018764620646834373;
  r = r * u - 0.054136477410793304;
  r = r * u + 0.16225658357143402;
  r = r * u - 0.5966551899909973;
  r = r * u - 1.6251907348632812;
  return exp(r - t * t);
}

// tanh as Cephes tanhf (≈ 1 ulp with an accurate exp): an odd polynomial below |x| = 0.625, else
// 1 − 2 / (e^(2|x|) + 1); 1 beyond 9 (tanh 9 rounds to 1 in f32), so e^(2|x|) never overflows. WGSL's
// tanh builtin has no error bound of its own and is NaN for large |x| on some implementations. (The
// same function is in attention.wgsl, for soft-capped scores.)
fn tanh_f(x: f32) -> f32 {
  let a = abs(x);
  if (a <= 0.625 || x != x) {
    let s = x * x;
    let p = ((((-5.70498872745e-3 * s + 2.06390887954e-2) * s - 5.37397155531e-2) * s + 1.33314422036e-1) * s - 3.33332819422e-1) * s;
    return p * x + x;
  }
  let t = select(1.0 - 2.0 / (exp(2.0 * a) + 1.0), 1.0, a > 9.0);
  return select(t, -t, x < 0.0);
}

fn gelu_f(x: f32) -> f32 {
  let t = abs(x) * 0.7071067811865476;
  if (t <= 0.9) {
    return 0.5 * x * (1.0 + sign(x) * erf_small(t));
  }
  let c = erfc_large(t);
  if (x > 0.0) { return 0.5 * x * (2.0 - c); }
  return 0.5 * x * c;
}

fn unary_f(x: f32) -> f32 {
  switch pe.op {
    case 0u: { return x * pe.s; }
    case 1u: { return x * sigmoid_f(x); }
    case 2u: { return gelu_f(x); }
    case 3u: { return sigmoid_f(x); }
    case 4u: { return exp(x); }
    case 6u: { return select(0.0, x, x > 0.0 || x != x); } // relu; NaN passes through
    case 7u: { return tanh_f(x); }
    default: { return softplus_f(x); }
  }
}

@compute @workgroup_size(256)
fn unary(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = ew_index(wg, li);
  if (i >= pe.n) { return; }
  ew_out[i] = unary_f(ew_a[i]);
}

@compute @workgroup_size(256)
fn unary_ip(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = ew_index(wg, li);
  if (i >= pe.n) { return; }
  ew_out[i] = unary_f(ew_out[i]);
}

// ---- fill: every 32-bit word of a buffer = bits (f32 or i32 bit pattern) ---------------------
struct FillParams { n: u32, bits: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pf: FillParams;
@group(0) @binding(1) var<storage, read_write> fill_out: array<u32>; // [n] words

@compute @workgroup_size(256)
fn fill_u32(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wg.x + wg.y * pf.grid_x) * 256u + li;
  if (i >= pf.n) { return; }
  fill_out[i] = pf.bits;
}

// ---- copy_f16: dst halves [dst_off, dst_off + count) = src halves [src_off, …) ----------------
// f16 tensors are packed two per u32 word, and element offsets may be odd, so one thread owns one
// destination word (no two threads write the same word) and keeps the half outside the range.
struct CopyParams { dst_off: u32, src_off: u32, count: u32, first_word: u32, words: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pc: CopyParams;
@group(0) @binding(1) var<storage, read_write> cp_dst: array<u32>; // dst words
@group(0) @binding(2) var<storage, read> cp_src: array<u32>;       // src words

fn src_half(e: u32) -> u32 { return (cp_src[e >> 1u] >> ((e & 1u) * 16u)) & 0xffffu; }

@compute @workgroup_size(256)
fn copy_f16(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let wi = (wg.x + wg.y * pc.grid_x) * 256u + li;
  if (wi >= pc.words) { return; }
  let w = pc.first_word + wi;
  var word = cp_dst[w];
  for (var h = 0u; h < 2u; h++) {
    let e = w * 2u + h; // destination element index
    if (e >= pc.dst_off && e < pc.dst_off + pc.count) {
      let shift = h * 16u;
      word = (word & ~(0xffffu << shift)) | (src_half(e - pc.dst_off + pc.src_off) << shift);
    }
  }
  cp_dst[w] = word;
}
