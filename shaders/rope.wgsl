// Rotary position embedding and embedding lookup.

// ---- rope: rotate pairs of x[rows, heads·head_dim] by angle (pos + row)·θ^(−2i/head_dim) -----
// cos/sin come from a table computed in float64 on the CPU (cached per head_dim/θ on the JS side),
// because f32 angle arithmetic loses ~1e-4 absolute accuracy at positions in the thousands.
struct RopeParams { rows: u32, heads: u32, head_dim: u32, pos: u32, interleaved: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> prp: RopeParams;
@group(0) @binding(1) var<storage, read_write> rp_out: array<f32>; // [rows, heads·head_dim]
@group(0) @binding(2) var<storage, read> rp_x: array<f32>;         // [rows, heads·head_dim]
@group(0) @binding(3) var<storage, read> rp_cs: array<vec2<f32>>;  // [positions, head_dim/2] (cos, sin)
// rope_ip (rope(q, q)) reads and writes out, with the table at binding 2: WebGPU forbids binding
// one buffer as both writable and read-only, and each thread reads its pair before writing it.
@group(0) @binding(2) var<storage, read> rp_cs_ip: array<vec2<f32>>; // [positions, head_dim/2]

struct RopePair { a: u32, b: u32, cs_index: u32, valid: bool }

// One thread per rotated pair: t = ((row · heads) + head) · half + i.
fn rope_pair(wg: vec3<u32>, li: u32) -> RopePair {
  let half = prp.head_dim / 2u;
  let t = (wg.x + wg.y * prp.grid_x) * 256u + li;
  let i = t % half;
  let rh = t / half; // row · heads + head
  let base = rh * prp.head_dim;
  var a = base + i;
  var b = base + i + half; // 'half' style: (x[i], x[i + d/2]), Hugging Face rotate_half
  if (prp.interleaved != 0u) { a = base + 2u * i; b = a + 1u; } // GGUF: (x[2i], x[2i+1])
  return RopePair(a, b, (prp.pos + rh / prp.heads) * half + i, t < prp.rows * prp.heads * half);
}

@compute @workgroup_size(256)
fn rope(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let p = rope_pair(wg, li);
  if (!p.valid) { return; }
  let cs = rp_cs[p.cs_index];
  let x0 = rp_x[p.a];
  let x1 = rp_x[p.b];
  rp_out[p.a] = x0 * cs.x - x1 * cs.y;
  rp_out[p.b] = x1 * cs.x + x0 * cs.y;
}

@compute @workgroup_size(256)
fn rope_ip(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let p = rope_pair(wg, li);
  if (!p.valid) { return; }
  let cs = rp_cs_ip[p.cs_index];
  let x0 = rp_out[p.a];
  let x1 = rp_out[p.b];
  rp_out[p.a] = x0 * cs.x - x1 * cs.y;
  rp_out[p.b] = x1 * cs.x + x0 * cs.y;
}

// ---- embedding: out[n, d] = table[ids[n], :] --------------------------------------------------
// Ids are validated on the CPU when their values are known there; when an id tensor was produced
// on the GPU the kernel checks the range itself, writes zeros instead of reading outside the
// table, and records the first bad (index, id) in err for the JS side to raise
// INDEX_OUT_OF_RANGE at the next flush/read.
struct EmbParams { n: u32, d: u32, vocab: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pem: EmbParams;
@group(0) @binding(1) var<storage, read_write> em_out: array<f32>;       // [n, d]
@group(0) @binding(2) var<storage, read_write> em_err: array<atomic<u32>>; // [3]: flag, index, id
@group(0) @binding(3) var<storage, read> em_ids: array<i32>;             // [n]
@group(0) @binding(4) var<storage, read> em_t32: array<f32>;             // [vocab, d] f32
@group(0) @binding(4) var<storage, read> em_t16: array<u32>;             // [vocab, d] f16 or bf16 packed pairs

fn em_row(t: u32) -> vec3<u32> {
  // (row n, column j, valid) for thread t; valid = 0 past the end.
  return vec3<u32>(t / pem.d, t % pem.d, select(0u, 1u, t < pem.n * pem.d));
}

fn em_id(n: u32) -> i32 {
  let id = em_ids[n];
  if (id < 0 || u32(id) >= pem.vocab) {
    if (atomicOr(&em_err[0], 1u) == 0u) { // the first bad id wins
      atomicStore(&em_err[1], n);
      atomicStore(&em_err[2], bitcast<u32>(id));
    }
    return -1;
  }
  return id;
}

@compute @workgroup_size(256)
fn embedding_f32(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let r = em_row((wg.x + wg.y * pem.grid_x) * 256u + li);
  if (r.z == 0u) { return; }
  let id = em_id(r.x);
  var v = 0.0;
  if (id >= 0) { v = em_t32[u32(id) * pem.d + r.y]; }
  em_out[r.x * pem.d + r.y] = v;
}

@compute @workgroup_size(256)
fn embedding_f16(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let r = em_row((wg.x + wg.y * pem.grid_x) * 256u + li);
  if (r.z == 0u) { return; }
  let id = em_id(r.x);
  var v = 0.0;
  if (id >= 0) {
    let e = u32(id) * pem.d + r.y;
    let p = unpack2x16float(em_t16[e >> 1u]);
    v = select(p.x, p.y, (e & 1u) == 1u);
  }
  em_out[r.x * pem.d + r.y] = v;
}

// bf16 table: element e is the low (even e) or high (odd e) half of word e/2; bits << 16 is exact.
@compute @workgroup_size(256)
fn embedding_bf16(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let r = em_row((wg.x + wg.y * pem.grid_x) * 256u + li);
  if (r.z == 0u) { return; }
  let id = em_id(r.x);
  var v = 0.0;
  if (id >= 0) {
    let e = u32(id) * pem.d + r.y;
    let w = em_t16[e >> 1u];
    v = bitcast<f32>(select(w << 16u, w & 0xffff0000u, (e & 1u) == 1u));
  }
  em_out[r.x * pem.d + r.y] = v;
}
