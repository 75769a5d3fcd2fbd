// Linear layers: matvec (one weight row per workgroup) and matmul (small batch: one weight row per
// workgroup for up to 8 input rows; larger batches: 16×16 shared-memory tiles), each with f32
// weights and f16 weights packed two per u32 word (unpack2x16float; element e lives in word e/2,
// low half for even e). Weights are [m, k] row-major (Hugging Face layout): out = x · Wᵀ.
// Linear workgroup id = wg.x + wg.y * grid_x (2-D grids for more than 65535 rows).

struct MvParams { m: u32, k: u32, grid_x: u32, n: u32 }
@group(0) @binding(0) var<uniform> pmv: MvParams;
@group(0) @binding(1) var<storage, read_write> mv_out: array<f32>; // [n, m] (matvec: n = 1)
@group(0) @binding(2) var<storage, read> mv_w32: array<f32>;       // [m, k] f32
@group(0) @binding(2) var<storage, read> mv_w16: array<u32>;       // [m, k] f16, packed: ceil(m·k / 2) words
@group(0) @binding(3) var<storage, read> mv_x: array<f32>;         // [n, k]

const MV_WG = 256u;
var<workgroup> mv_partial: array<f32, 256>;

fn w16_at(e: u32) -> f32 {
  let p = unpack2x16float(mv_w16[e >> 1u]);
  return select(p.x, p.y, (e & 1u) == 1u);
}

// Tree-reduce mv_partial; every invocation must call it (it has barriers).
fn mv_reduce(li: u32) -> f32 {
  workgroupBarrier();
  for (var s = MV_WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) { mv_partial[li] += mv_partial[li + s]; }
    workgroupBarrier();
  }
  let r = mv_partial[0];
  workgroupBarrier(); // mv_partial is reused by the caller's next reduction
  return r;
}

@compute @workgroup_size(256)
fn matvec_f32(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wg.x + wg.y * pmv.grid_x;
  var acc = 0.0;
  if (row < pmv.m) {
    let base = row * pmv.k;
    for (var j = li; j < pmv.k; j += MV_WG) { acc += mv_w32[base + j] * mv_x[j]; }
  }
  mv_partial[li] = acc;
  let total = mv_reduce(li);
  if (li == 0u && row < pmv.m) { mv_out[row] = total; }
}

// f16 weights, any k: element-wise unpacking (rows may start at odd elements when k is odd).
@compute @workgroup_size(256)
fn matvec_f16(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wg.x + wg.y * pmv.grid_x;
  var acc = 0.0;
  if (row < pmv.m) {
    let base = row * pmv.k;
    if ((pmv.k & 1u) == 0u) {
      // Even k: rows start on a word boundary, so each word holds the pair (j, j+1).
      let wbase = base >> 1u;
      for (var p = li; p < pmv.k / 2u; p += MV_WG) {
        let w = unpack2x16float(mv_w16[wbase + p]);
        acc += w.x * mv_x[2u * p] + w.y * mv_x[2u * p + 1u];
      }
    } else {
      for (var j = li; j < pmv.k; j += MV_WG) { acc += w16_at(base + j) * mv_x[j]; }
    }
  }
  mv_partial[li] = acc;
  let total = mv_reduce(li);
  if (li == 0u && row < pmv.m) { mv_out[row] = total; }
}

// ---- small-batch matmul: one weight row per workgroup, up to MB input rows at once ----------
// Reads each weight row once for all n rows (the point of batching a linear layer).
const MB = 8u;
var<workgroup> mb_partial: array<array<f32, 256>, 8>;

fn mb_finish(li: u32, row: u32, acc: array<f32, 8>) {
  for (var i = 0u; i < MB; i++) { mb_partial[i][li] = acc[i]; }
  workgroupBarrier();
  for (var s = MV_WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) {
      for (var i = 0u; i < MB; i++) { mb_partial[i][li] += mb_partial[i][li + s]; }
    }
    workgroupBarrier();
  }
  if (li < pmv.n && row < pmv.m) { mv_out[li * pmv.m + row] = mb_partial[li][0]; }
}

@compute @workgroup_size(256)
fn matmul_small_f32(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wg.x + wg.y * pmv.grid_x;
  var acc: array<f32, 8>;
  if (row < pmv.m) {
    let base = row * pmv.k;
    for (var j = li; j < pmv.k; j += MV_WG) {
      let w = mv_w32[base + j];
      for (var i = 0u; i < pmv.n; i++) { acc[i] += w * mv_x[i * pmv.k + j]; }
    }
  }
  mb_finish(li, row, acc);
}

@compute @workgroup_size(256)
fn matmul_small_f16(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wg.x + wg.y * pmv.grid_x;
  var acc: array<f32, 8>;
  if (row < pmv.m) {
    let base = row * pmv.k;
    for (var j = li; j < pmv.k; j += MV_WG) {
      let w = w16_at(base + j);
      for (var i = 0u; i < pmv.n; i++) { acc[i] += w * mv_x[i * pmv.k + j]; }
    }
  }
  mb_finish(li, row, acc);
}

// ---- tiled matmul for larger batches: out tile [16 rows of x, 16 weight rows] ---------------
const T = 16u;
var<workgroup> tx_tile: array<array<f32, 16>, 16>; // [x row][k]
var<workgroup> tw_tile: array<array<f32, 16>, 16>; // [weight row][k]

// grid: x = ceil(m / 16) weight-row tiles, y = ceil(n / 16) input-row tiles (both ≤ 65535 is
// checked on the JS side). Thread (lx, ly) computes out[y·16 + ly, x·16 + lx].
@compute @workgroup_size(16, 16)
fn matmul_tiled_f32(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = wg.y * T + lid.y; // x row
  let j = wg.x * T + lid.x; // weight row (output column)
  let wrow = wg.x * T + lid.y; // weight row this thread loads
  var acc = 0.0;
  for (var k0 = 0u; k0 < pmv.k; k0 += T) {
    let kk = k0 + lid.x;
    tx_tile[lid.y][lid.x] = select(0.0, mv_x[i * pmv.k + kk], i < pmv.n && kk < pmv.k);
    tw_tile[lid.y][lid.x] = select(0.0, mv_w32[wrow * pmv.k + kk], wrow < pmv.m && kk < pmv.k);
    workgroupBarrier();
    for (var t = 0u; t < T; t++) { acc += tx_tile[lid.y][t] * tw_tile[lid.x][t]; }
    workgroupBarrier();
  }
  if (i < pmv.n && j < pmv.m) { mv_out[i * pmv.m + j] = acc; }
}

@compute @workgroup_size(16, 16)
fn matmul_tiled_f16(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = wg.y * T + lid.y;
  let j = wg.x * T + lid.x;
  let wrow = wg.x * T + lid.y;
  var acc = 0.0;
  for (var k0 = 0u; k0 < pmv.k; k0 += T) {
    let kk = k0 + lid.x;
    tx_tile[lid.y][lid.x] = select(0.0, mv_x[i * pmv.k + kk], i < pmv.n && kk < pmv.k);
    var w = 0.0;
    if (wrow < pmv.m && kk < pmv.k) { w = w16_at(wrow * pmv.k + kk); }
    tw_tile[lid.y][lid.x] = w;
    workgroupBarrier();
    for (var t = 0u; t < T; t++) { acc += tx_tile[lid.y][t] * tw_tile[lid.x][t]; }
    workgroupBarrier();
  }
  if (i < pmv.n && j < pmv.m) { mv_out[i * pmv.m + j] = acc; }
}
