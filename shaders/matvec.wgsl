// Linear layers, weights [m, k] row-major (Hugging Face layout), out = x · Wᵀ:
// - matvec: 8 weight rows per 256-thread workgroup, 32 threads per row striding over k (coalesced
//   row reads; one short shared-memory reduction per row group), vectorised when k allows.
// - matmul_small (n ≤ 8 input rows): same layout, each weight element read once for all n rows.
// - matmul_tiled (larger n): 64×64 output tiles, 16×16 threads each computing a 4×4 block, k in
//   steps of 16 through shared memory.
// f16 weights are packed two per u32 word (unpack2x16float; element e is word e/2, low half when e
// is even). Linear workgroup id = wg.x + wg.y * grid_x (2-D grids beyond 65535 workgroups).

struct MvParams { m: u32, k: u32, grid_x: u32, n: u32 }
@group(0) @binding(0) var<uniform> pmv: MvParams;
@group(0) @binding(1) var<storage, read_write> mv_out: array<f32>;  // [n, m] (matvec: n = 1)
@group(0) @binding(2) var<storage, read> mv_w32: array<f32>;        // [m, k] f32
@group(0) @binding(2) var<storage, read> mv_w32v: array<vec4<f32>>; // [m, k / 4] f32, k % 4 == 0
@group(0) @binding(2) var<storage, read> mv_w16: array<u32>;        // [m, k] f16 packed: ceil(m·k / 2) words
@group(0) @binding(2) var<storage, read> mv_w16v: array<vec4<u32>>; // [m, k / 8] f16 packed, k % 8 == 0
@group(0) @binding(3) var<storage, read> mv_x: array<f32>;          // [n, k]
@group(0) @binding(3) var<storage, read> mv_xv: array<vec4<f32>>;   // [n, k / 4], k % 4 == 0

const ROWS = 8u; // weight rows per workgroup
const TPR = 32u; // threads per row
var<workgroup> mv_red: array<f32, 256>;

fn w16_at(e: u32) -> f32 {
  let p = unpack2x16float(mv_w16[e >> 1u]);
  return select(p.x, p.y, (e & 1u) == 1u);
}

// Sum acc over the 32 threads of each row group; lane 0 of the group gets the row total.
fn row_sum(li: u32, acc: f32) -> f32 {
  mv_red[li] = acc;
  workgroupBarrier();
  for (var s = TPR / 2u; s > 0u; s >>= 1u) {
    if ((li % TPR) < s) { mv_red[li] += mv_red[li + s]; }
    workgroupBarrier();
  }
  return mv_red[li];
}

// (row, lane) of this invocation; row may be ≥ m on the last workgroup.
fn mv_row(wg: vec3<u32>, li: u32) -> u32 { return (wg.x + wg.y * pmv.grid_x) * ROWS + li / TPR; }

@compute @workgroup_size(256)
fn matvec_f32(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = mv_row(wg, li);
  var acc = 0.0;
  if (row < pmv.m) {
    let base = row * pmv.k;
    for (var j = li % TPR; j < pmv.k; j += TPR) { acc += mv_w32[base + j] * mv_x[j]; }
  }
  let total = row_sum(li, acc);
  if (li % TPR == 0u && row < pmv.m) { mv_out[row] = total; }
}

@compute @workgroup_size(256)
fn matvec_f32_v4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = mv_row(wg, li);
  var acc = 0.0;
  if (row < pmv.m) {
    let k4 = pmv.k / 4u;
    let base = row * k4;
    for (var j = li % TPR; j < k4; j += TPR) { acc += dot(mv_w32v[base + j], mv_xv[j]); }
  }
  let total = row_sum(li, acc);
  if (li % TPR == 0u && row < pmv.m) { mv_out[row] = total; }
}

@compute @workgroup_size(256)
fn matvec_f16(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = mv_row(wg, li);
  var acc = 0.0;
  if (row < pmv.m) {
    let base = row * pmv.k;
    for (var j = li % TPR; j < pmv.k; j += TPR) { acc += w16_at(base + j) * mv_x[j]; }
  }
  let total = row_sum(li, acc);
  if (li % TPR == 0u && row < pmv.m) { mv_out[row] = total; }
}

// k % 8 == 0: one vec4<u32> load = 8 weights = two vec4 dots against x.
@compute @workgroup_size(256)
fn matvec_f16_v8(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = mv_row(wg, li);
  var acc = 0.0;
  if (row < pmv.m) {
    let k8 = pmv.k / 8u;
    let base = row * k8;
    for (var j = li % TPR; j < k8; j += TPR) {
      let q = mv_w16v[base + j];
      let lo = vec4<f32>(unpack2x16float(q.x), unpack2x16float(q.y));
      let hi = vec4<f32>(unpack2x16float(q.z), unpack2x16float(q.w));
      acc += dot(lo, mv_xv[2u * j]) + dot(hi, mv_xv[2u * j + 1u]);
    }
  }
  let total = row_sum(li, acc);
  if (li % TPR == 0u && row < pmv.m) { mv_out[row] = total; }
}

// ---- small-batch matmul (n ≤ 8): like matvec, each weight element used for all n rows -------
const MB = 8u;
var<workgroup> mb_red: array<array<f32, 256>, 8>;

fn mb_finish(li: u32, row: u32, acc: array<f32, 8>) {
  for (var i = 0u; i < MB; i++) { mb_red[i][li] = acc[i]; }
  workgroupBarrier();
  for (var s = TPR / 2u; s > 0u; s >>= 1u) {
    if ((li % TPR) < s) {
      for (var i = 0u; i < MB; i++) { mb_red[i][li] += mb_red[i][li + s]; }
    }
    workgroupBarrier();
  }
  if (li % TPR == 0u && row < pmv.m) {
    for (var i = 0u; i < pmv.n; i++) { mv_out[i * pmv.m + row] = mb_red[i][li]; }
  }
}

@compute @workgroup_size(256)
fn matmul_small_f32(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = mv_row(wg, li);
  var acc: array<f32, 8>;
  if (row < pmv.m) {
    let base = row * pmv.k;
    for (var j = li % TPR; j < pmv.k; j += TPR) {
      let w = mv_w32[base + j];
      for (var i = 0u; i < pmv.n; i++) { acc[i] += w * mv_x[i * pmv.k + j]; }
    }
  }
  mb_finish(li, row, acc);
}

@compute @workgroup_size(256)
fn matmul_small_f16(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = mv_row(wg, li);
  var acc: array<f32, 8>;
  if (row < pmv.m) {
    let base = row * pmv.k;
    for (var j = li % TPR; j < pmv.k; j += TPR) {
      let w = w16_at(base + j);
      for (var i = 0u; i < pmv.n; i++) { acc[i] += w * mv_x[i * pmv.k + j]; }
    }
  }
  mb_finish(li, row, acc);
}

// ---- tiled matmul: out tile [64 x rows, 64 weight rows], 4×4 per thread --------------------
// grid: x = ceil(m / 64) weight-row tiles, y = ceil(n / 64) input-row tiles (checked ≤ 65535 on
// the JS side). Shared tiles are k-major ([kk][row]) so the inner loop reads 4 consecutive values.
const TT = 64u;
const TK = 16u;
var<workgroup> tx_s: array<array<f32, 64>, 16>; // [kk][x row in tile]
var<workgroup> tw_s: array<array<f32, 64>, 16>; // [kk][weight row in tile]

// Load the 64×16 x tile at (n0, k0): 4 elements per thread, element e → (row e / 16, kk e % 16).
fn tile_load_x(li: u32, n0: u32, k0: u32) {
  for (var q = 0u; q < 4u; q++) {
    let e = li + 256u * q;
    let r = e / TK;
    let kg = k0 + e % TK;
    var xv = 0.0;
    if (n0 + r < pmv.n && kg < pmv.k) { xv = mv_x[(n0 + r) * pmv.k + kg]; }
    tx_s[e % TK][r] = xv;
  }
}

// Weight element index for slot q of this thread's share of the tile, or -1 (0xffffffff) if
// outside the matrix; the weight tile slot is tw_s[(li + 256q) % 16][(li + 256q) / 16].
fn tile_w_index(li: u32, q: u32, m0: u32, k0: u32) -> u32 {
  let e = li + 256u * q;
  let r = e / TK;
  let kg = k0 + e % TK;
  if (m0 + r < pmv.m && kg < pmv.k) { return (m0 + r) * pmv.k + kg; }
  return 0xffffffffu;
}

fn tile_fma(lid: vec3<u32>, acc: ptr<function, array<vec4<f32>, 4>>) {
  for (var kk = 0u; kk < TK; kk++) {
    let xa = vec4<f32>(tx_s[kk][lid.y * 4u], tx_s[kk][lid.y * 4u + 1u], tx_s[kk][lid.y * 4u + 2u], tx_s[kk][lid.y * 4u + 3u]);
    let wb = vec4<f32>(tw_s[kk][lid.x * 4u], tw_s[kk][lid.x * 4u + 1u], tw_s[kk][lid.x * 4u + 2u], tw_s[kk][lid.x * 4u + 3u]);
    (*acc)[0] += xa.x * wb;
    (*acc)[1] += xa.y * wb;
    (*acc)[2] += xa.z * wb;
    (*acc)[3] += xa.w * wb;
  }
}

// acc[a][b] is out[n0 + 4·ly + a, m0 + 4·lx + b].
fn tile_store(lid: vec3<u32>, n0: u32, m0: u32, acc: array<vec4<f32>, 4>) {
  for (var a = 0u; a < 4u; a++) {
    let i = n0 + lid.y * 4u + a;
    if (i >= pmv.n) { break; }
    for (var b = 0u; b < 4u; b++) {
      let j = m0 + lid.x * 4u + b;
      if (j < pmv.m) { mv_out[i * pmv.m + j] = acc[a][b]; }
    }
  }
}

@compute @workgroup_size(16, 16)
fn matmul_tiled_f32(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let li = lid.y * 16u + lid.x;
  let n0 = wg.y * TT;
  let m0 = wg.x * TT;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < pmv.k; k0 += TK) {
    tile_load_x(li, n0, k0);
    for (var q = 0u; q < 4u; q++) {
      let we = tile_w_index(li, q, m0, k0);
      let e = li + 256u * q;
      tw_s[e % TK][e / TK] = select(0.0, mv_w32[min(we, arrayLength(&mv_w32) - 1u)], we != 0xffffffffu);
    }
    workgroupBarrier();
    tile_fma(lid, &acc);
    workgroupBarrier();
  }
  tile_store(lid, n0, m0, acc);
}

@compute @workgroup_size(16, 16)
fn matmul_tiled_f16(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let li = lid.y * 16u + lid.x;
  let n0 = wg.y * TT;
  let m0 = wg.x * TT;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < pmv.k; k0 += TK) {
    tile_load_x(li, n0, k0);
    for (var q = 0u; q < 4u; q++) {
      let we = tile_w_index(li, q, m0, k0);
      var wv = 0.0;
      if (we != 0xffffffffu) { wv = w16_at(we); }
      let e = li + 256u * q;
      tw_s[e % TK][e / TK] = wv;
    }
    workgroupBarrier();
    tile_fma(lid, &acc);
    workgroupBarrier();
  }
  tile_store(lid, n0, m0, acc);
}
