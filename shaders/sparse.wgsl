// Unstructured-sparse matvec over CSR: out[m] = Σ_p values[p] · x[col_idx[p]], p in row m; and the
// same for N rows of x at once (spmm: out[t, m] from x[t, :], one workgroup per (t, m)).
// CSR-vector scheme: one 64-thread workgroup per row, threads stride over the row's non-zeros
// (coalesced reads of col_idx/values; x gathers hit the cache), then a tree reduction. This suits
// pruned LLM weights (hundreds of non-zeros per row, similar counts across rows).
// Column indices are u16 (two per u32 word, entry p in the low half when p is even) when the
// matrix has at most 65536 columns — every LLM layer — so a non-zero costs 6 bytes, not 8.

struct SpParams { m: u32, grid_x: u32, u16_cols: u32, n: u32, k: u32 }
@group(0) @binding(0) var<uniform> psp: SpParams;
@group(0) @binding(1) var<storage, read_write> sp_out: array<f32>; // [n, m]
@group(0) @binding(2) var<storage, read> sp_vals: array<f32>;      // [nnz]
@group(0) @binding(3) var<storage, read> sp_rowptr: array<u32>;   // [m + 1]
@group(0) @binding(4) var<storage, read> sp_cols: array<u32>;     // [nnz] u32, or [ceil(nnz / 2)] u16 pairs
@group(0) @binding(5) var<storage, read> sp_x: array<f32>;        // [n, k]

const SPW = 64u;
var<workgroup> sp_red: array<f32, 64>;

@compute @workgroup_size(64)
fn spmv_csr(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let flat = wg.x + wg.y * psp.grid_x; // t · m + row
  if (flat >= psp.n * psp.m) { return; } // uniform per workgroup
  let t = flat / psp.m;
  let row = flat - t * psp.m;
  let x0 = t * psp.k;
  let start = sp_rowptr[row];
  let end = sp_rowptr[row + 1u];
  var acc = 0.0;
  if (psp.u16_cols != 0u) {
    for (var p = start + li; p < end; p += SPW) {
      let col = (sp_cols[p >> 1u] >> ((p & 1u) * 16u)) & 0xffffu;
      acc += sp_vals[p] * sp_x[x0 + col];
    }
  } else {
    for (var p = start + li; p < end; p += SPW) { acc += sp_vals[p] * sp_x[x0 + sp_cols[p]]; }
  }
  sp_red[li] = acc;
  workgroupBarrier();
  for (var s = SPW / 2u; s > 0u; s >>= 1u) {
    if (li < s) { sp_red[li] += sp_red[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) { sp_out[flat] = sp_red[0]; }
}
