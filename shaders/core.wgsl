// Core dense kernels. Binding 0 is always the per-dispatch params uniform; storage buffers follow
// in the order the JS side passes them. Linear workgroup id = wg.x + wg.y * grid_x (2-D grids
// stay within the 65535 limit for large tensors).

// ---- add: out[i] = a[i] + b[i % nb] -------------------------------------------------------
struct BinaryParams { n: u32, nb: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pb: BinaryParams;
@group(0) @binding(1) var<storage, read_write> bin_out: array<f32>; // [n]
@group(0) @binding(2) var<storage, read> bin_a: array<f32>;         // [n]
@group(0) @binding(3) var<storage, read> bin_b: array<f32>;         // [nb], nb divides n

@compute @workgroup_size(256)
fn add(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wg.x + wg.y * pb.grid_x) * 256u + li;
  if (i >= pb.n) { return; }
  bin_out[i] = bin_a[i] + bin_b[i % pb.nb];
}

// ---- matvec_f32: out[m] = W[m, :] · x, one workgroup per row ---------------------------------
struct MatvecParams { m: u32, k: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pmv: MatvecParams;
@group(0) @binding(1) var<storage, read_write> mv_out: array<f32>; // [m]
@group(0) @binding(2) var<storage, read> mv_w: array<f32>;         // [m, k] row-major
@group(0) @binding(3) var<storage, read> mv_x: array<f32>;         // [k]

var<workgroup> mv_partial: array<f32, 256>;

@compute @workgroup_size(256)
fn matvec_f32(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wg.x + wg.y * pmv.grid_x;
  var acc = 0.0;
  if (row < pmv.m) {
    let base = row * pmv.k;
    for (var j = li; j < pmv.k; j += 256u) {
      acc += mv_w[base + j] * mv_x[j];
    }
  }
  mv_partial[li] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s) { mv_partial[li] += mv_partial[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u && row < pmv.m) { mv_out[row] = mv_partial[0]; }
}
