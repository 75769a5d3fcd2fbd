// Row-wise reductions over the last dimension: rmsnorm, layernorm, softmax, argmax. One workgroup
// of 256 threads per row of d elements; rows = wg.x + wg.y * grid_x (2-D grid beyond 65535 rows).

struct RowParams { rows: u32, d: u32, grid_x: u32, eps: f32 }
@group(0) @binding(0) var<uniform> pr: RowParams;
@group(0) @binding(1) var<storage, read_write> rw_out: array<f32>; // [rows, d]
@group(0) @binding(2) var<storage, read> rw_x: array<f32>;         // [rows, d]
@group(0) @binding(3) var<storage, read> rw_w: array<f32>;         // [d] scale
@group(0) @binding(4) var<storage, read> rw_b: array<f32>;         // [d] bias (layernorm)

const RW = 256u;
var<workgroup> red: array<f32, 256>;

// Sum of every thread's v across the workgroup (all threads must call it).
fn wg_sum(li: u32, v: f32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = RW / 2u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] += red[li + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn wg_max(li: u32, v: f32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = RW / 2u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] = max(red[li], red[li + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn row_id(wg: vec3<u32>) -> u32 { return wg.x + wg.y * pr.grid_x; }

// out = x / sqrt(mean(x²) + eps) · w
@compute @workgroup_size(256)
fn rmsnorm(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = row_id(wg);
  if (row >= pr.rows) { return; } // uniform per workgroup, so barriers stay uniform
  let base = row * pr.d;
  var ss = 0.0;
  for (var j = li; j < pr.d; j += RW) { let x = rw_x[base + j]; ss += x * x; }
  let inv = inverseSqrt(wg_sum(li, ss) / f32(pr.d) + pr.eps);
  for (var j = li; j < pr.d; j += RW) { rw_out[base + j] = rw_x[base + j] * inv * rw_w[j]; }
}

// add_rmsnorm: sum = a + b, out = sum / sqrt(mean(sum²) + eps) · w — a pre-norm block's residual
// step in one dispatch. Same arithmetic as binary add then rmsnorm (each thread re-reads only the
// sum elements it wrote). Bindings: out 1, sum 2, a 3, b 4, w 5 (own names: binding 2 is read-only
// elsewhere in this module, and an entry point uses only its own).
@group(0) @binding(2) var<storage, read_write> ar_sum: array<f32>; // [rows, d]
@group(0) @binding(3) var<storage, read> ar_a: array<f32>;         // [rows, d]
@group(0) @binding(4) var<storage, read> ar_b: array<f32>;         // [rows, d]
@group(0) @binding(5) var<storage, read> ar_w: array<f32>;         // [d]

@compute @workgroup_size(256)
fn add_rmsnorm(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = row_id(wg);
  if (row >= pr.rows) { return; }
  let base = row * pr.d;
  var ss = 0.0;
  for (var j = li; j < pr.d; j += RW) {
    let s = ar_a[base + j] + ar_b[base + j];
    ar_sum[base + j] = s;
    ss += s * s;
  }
  let inv = inverseSqrt(wg_sum(li, ss) / f32(pr.d) + pr.eps);
  for (var j = li; j < pr.d; j += RW) { rw_out[base + j] = ar_sum[base + j] * inv * ar_w[j]; }
}

// out = (x − mean) / sqrt(var + eps) · w + b, two-pass (mean first) for accuracy.
@compute @workgroup_size(256)
fn layernorm(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = row_id(wg);
  if (row >= pr.rows) { return; }
  let base = row * pr.d;
  var s = 0.0;
  for (var j = li; j < pr.d; j += RW) { s += rw_x[base + j]; }
  let mean = wg_sum(li, s) / f32(pr.d);
  var v = 0.0;
  for (var j = li; j < pr.d; j += RW) { let c = rw_x[base + j] - mean; v += c * c; }
  let inv = inverseSqrt(wg_sum(li, v) / f32(pr.d) + pr.eps);
  for (var j = li; j < pr.d; j += RW) { rw_out[base + j] = (rw_x[base + j] - mean) * inv * rw_w[j] + rw_b[j]; }
}

// Numerically stable softmax: subtract the row max before exponentiating.
@compute @workgroup_size(256)
fn softmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = row_id(wg);
  if (row >= pr.rows) { return; }
  let base = row * pr.d;
  var m = -3.4028234663852886e38;
  for (var j = li; j < pr.d; j += RW) { m = max(m, rw_x[base + j]); }
  let mx = wg_max(li, m);
  var s = 0.0;
  for (var j = li; j < pr.d; j += RW) { s += exp(rw_x[base + j] - mx); }
  let inv = 1.0 / wg_sum(li, s);
  for (var j = li; j < pr.d; j += RW) { rw_out[base + j] = exp(rw_x[base + j] - mx) * inv; }
}

// ---- argmax: out[row] (i32) = first index of the row maximum ---------------------------------
// Same result as the reference's scalar scan (best = 0; take j if x[j] > x[best]): NaNs are
// skipped, except that a NaN in column 0 wins (nothing compares greater than it).
@group(0) @binding(1) var<storage, read_write> am_out: array<i32>; // [rows]
var<workgroup> am_val: array<f32, 256>;
var<workgroup> am_idx: array<u32, 256>;
const NONE = 0xffffffffu;

// Bit test, not x != x: a compiler that assumes no NaNs may fold the comparison away.
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }

@compute @workgroup_size(256)
fn argmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = row_id(wg);
  if (row >= pr.rows) { return; }
  let base = row * pr.d;
  // Each thread scans j = li, li + 256, … in increasing order, so strict > keeps the first index.
  var best = 0.0;
  var bi = NONE;
  for (var j = li; j < pr.d; j += RW) {
    let x = rw_x[base + j];
    if (!is_nan(x) && (bi == NONE || x > best)) { best = x; bi = j; }
  }
  am_val[li] = best;
  am_idx[li] = bi;
  workgroupBarrier();
  for (var s = RW / 2u; s > 0u; s >>= 1u) {
    if (li < s) {
      let ov = am_val[li + s];
      let oi = am_idx[li + s];
      // Take the other candidate if it is larger, or equal with a smaller index (first wins ties).
      if (oi != NONE && (am_idx[li] == NONE || ov > am_val[li] || (ov == am_val[li] && oi < am_idx[li]))) {
        am_val[li] = ov;
        am_idx[li] = oi;
      }
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    var r = am_idx[0];
    if (r == NONE || is_nan(rw_x[base])) { r = 0u; }
    am_out[row] = i32(r);
  }
}
