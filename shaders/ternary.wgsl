// BitNet b1.58 ternary matvec (src/backends/ops/sequence.ts, layout in ops/ternary-layout.ts).
// Step 1 quantizes each row of x to int8 (kept as i32) with its absmax scale; step 2 is either the
// direct integer dot product or, T-MAC style, a table build (step 2a) and table lookups (step 2b).

// ---- quantize: one workgroup per row of x --------------------------------------------------------
struct QuantParams { r: u32, k: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pq: QuantParams;
@group(0) @binding(1) var<storage, read_write> q_out: array<i32>;  // [R, K] x_q
@group(0) @binding(2) var<storage, read_write> q_inv: array<f32>;  // [R] 1 / s_x
@group(0) @binding(3) var<storage, read> q_x: array<f32>;          // [R, K]

var<workgroup> q_max: array<f32, 256>;

// round half to even (torch.round); WGSL round() is also ties-to-even, this keeps it explicit
fn rne(x: f32) -> f32 {
  let f = floor(x);
  let d = x - f;
  if (d > 0.5) { return f + 1.0; }
  if (d < 0.5) { return f; }
  if (f - 2.0 * floor(f * 0.5) == 0.0) { return f; }
  return f + 1.0;
}

@compute @workgroup_size(256)
fn quantize_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let r = wg.x + wg.y * pq.grid_x;
  if (r >= pq.r) { return; } // uniform per workgroup, so the barriers below stay uniform
  var m = 0.0;
  for (var j = li; j < pq.k; j += 256u) { m = max(m, abs(q_x[r * pq.k + j])); }
  q_max[li] = m;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s) { q_max[li] = max(q_max[li], q_max[li + s]); }
    workgroupBarrier();
  }
  let sx = 127.0 / max(q_max[0], 1e-5);
  for (var j = li; j < pq.k; j += 256u) {
    q_out[r * pq.k + j] = i32(clamp(rne(q_x[r * pq.k + j] * sx), -128.0, 127.0));
  }
  if (li == 0u) { q_inv[r] = 1.0 / sx; }
}

// ---- direct: one workgroup per (output row m, x row r); each thread takes u32 words (16 weights) -
struct TernaryParams { r: u32, m: u32, k: u32, words: u32, grid_x: u32 } // words = row stride / 4
@group(0) @binding(0) var<uniform> pt: TernaryParams;
@group(0) @binding(1) var<storage, read_write> t_out: array<f32>; // [R, M]
@group(0) @binding(2) var<storage, read> t_w: array<u32>;         // header (4 words) + rows
@group(0) @binding(3) var<storage, read> t_xq: array<i32>;        // [R, K]
@group(0) @binding(4) var<storage, read> t_inv: array<f32>;       // [R]

var<workgroup> t_part: array<i32, 64>;

@compute @workgroup_size(64)
fn ternary_matvec(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wg.x + wg.y * pt.grid_x; // m + r·M
  let m = row % pt.m;
  let r = row / pt.m;
  var acc = 0;
  if (r < pt.r) {
    let base = 4u + m * pt.words;
    for (var wi = li; wi < pt.words; wi += 64u) {
      let word = t_w[base + wi];
      if (word == 0u) { continue; }
      for (var j = 0u; j < 16u; j++) {
        let col = wi * 16u + j;
        if (col >= pt.k) { break; }
        let byte = (word >> ((j >> 2u) * 8u)) & 0xffu;
        let bit = j & 3u;
        let wq = i32((byte >> bit) & 1u) - i32((byte >> (bit + 4u)) & 1u);
        acc += wq * t_xq[r * pt.k + col];
      }
    }
  }
  t_part[li] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (li < s) { t_part[li] += t_part[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u && r < pt.r) { t_out[r * pt.m + m] = f32(t_part[0]) * bitcast<f32>(t_w[0]) * t_inv[r]; }
}

// ---- T-MAC tables: table[(r·G + g)·16 + mask] = Σ_{i∈mask} x_q[r, 4g+i]; one thread per (r, g) ---
struct TableParams { r: u32, k: u32, groups: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> ptb: TableParams;
@group(0) @binding(1) var<storage, read_write> tb_out: array<i32>; // [R, G, 16]
@group(0) @binding(2) var<storage, read> tb_xq: array<i32>;        // [R, K]

@compute @workgroup_size(64)
fn ternary_tables(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let id = (wg.x + wg.y * ptb.grid_x) * 64u + li;
  if (id >= ptb.r * ptb.groups) { return; }
  let r = id / ptb.groups;
  let g = id % ptb.groups;
  var x: array<i32, 4>;
  for (var i = 0u; i < 4u; i++) {
    let col = 4u * g + i;
    if (col < ptb.k) { x[i] = tb_xq[r * ptb.k + col]; } else { x[i] = 0; }
  }
  for (var mask = 0u; mask < 16u; mask++) {
    var s = 0;
    for (var i = 0u; i < 4u; i++) { if ((mask & (1u << i)) != 0u) { s += x[i]; } }
    tb_out[id * 16u + mask] = s;
  }
}

// ---- T-MAC lookups: like ternary_matvec, but each weight byte adds table[plus] − table[minus] ----
struct LutParams { r: u32, m: u32, k: u32, words: u32, groups: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pl: LutParams;
@group(0) @binding(1) var<storage, read_write> l_out: array<f32>; // [R, M]
@group(0) @binding(2) var<storage, read> l_w: array<u32>;
@group(0) @binding(3) var<storage, read> l_tab: array<i32>;       // [R, G, 16]
@group(0) @binding(4) var<storage, read> l_inv: array<f32>;       // [R]

var<workgroup> l_part: array<i32, 64>;

@compute @workgroup_size(64)
fn ternary_matvec_lut(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wg.x + wg.y * pl.grid_x;
  let m = row % pl.m;
  let r = row / pl.m;
  var acc = 0;
  if (r < pl.r) {
    let base = 4u + m * pl.words;
    for (var wi = li; wi < pl.words; wi += 64u) {
      let word = l_w[base + wi];
      for (var b = 0u; b < 4u; b++) {
        let g = wi * 4u + b;
        if (g >= pl.groups) { break; }
        let byte = (word >> (b * 8u)) & 0xffu;
        let tb = (r * pl.groups + g) * 16u;
        acc += l_tab[tb + (byte & 15u)] - l_tab[tb + (byte >> 4u)];
      }
    }
  }
  l_part[li] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (li < s) { l_part[li] += l_part[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u && r < pl.r) { l_out[r * pl.m + m] = f32(l_part[0]) * bitcast<f32>(l_w[0]) * l_inv[r]; }
}
