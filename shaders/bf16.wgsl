// BF16 linear layers: out[N, M] = X[N, K] · Wᵀ with W raw bfloat16, two per u32 word (element e in
// the low half of word e/2 when e is even). bf16 → f32 is exact and needs no shader-f16:
// bitcast<f32>(w << 16u) (low half) / bitcast<f32>(w & 0xffff0000u) (high half).
// Rows of odd K start mid-word, so each thread walks whole words of its row and keeps the halves
// that fall inside [row·K, row·K + K).
// One workgroup (64 threads) per output element (row r, token i), linear workgroup id
// g = wg.x + wg.y·grid_x = i·M + r; a tree reduction in workgroup memory sums the 64 partials.

struct BParams { m: u32, k: u32, grid_x: u32, n: u32 }
@group(0) @binding(0) var<uniform> bp: BParams;
@group(0) @binding(1) var<storage, read_write> b_out: array<f32>; // [n, m]
@group(0) @binding(2) var<storage, read> bw: array<u32>;          // [m, k] bf16 pairs
@group(0) @binding(3) var<storage, read> b_x: array<f32>;         // [n, k]

var<workgroup> b_part: array<f32, 64>;

@compute @workgroup_size(64)
fn matmul_bf16(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let g = wg.x + wg.y * bp.grid_x;
  if (g >= bp.n * bp.m) { return; } // uniform: the same for the whole workgroup
  let i = g / bp.m;
  let r = g % bp.m;
  let e0 = r * bp.k;       // first element of the row
  let e1 = e0 + bp.k;      // one past the last
  let xo = i * bp.k;
  let words = (e1 + 1u) / 2u; // one past the row's last word (a let: `wi < (…) >> 1u` parses as a template)
  var s = 0.0;
  for (var wi = (e0 >> 1u) + li; wi < words; wi += 64u) {
    let w = bw[wi];
    let e = wi * 2u;
    if (e >= e0) { s += bitcast<f32>(w << 16u) * b_x[xo + e - e0]; }
    if (e + 1u < e1) { s += bitcast<f32>(w & 0xffff0000u) * b_x[xo + e + 1u - e0]; }
  }
  b_part[li] = s;
  workgroupBarrier();
  for (var h = 32u; h > 0u; h >>= 1u) {
    if (li < h) { b_part[li] += b_part[li + h]; }
    workgroupBarrier();
  }
  if (li == 0u) { b_out[g] = b_part[0]; }
}
