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

// ---- rope_qkv: the [q | k | v] rows of a stacked projection, split and rotated in one dispatch ----
// Thread t rotates pair t of the q and k heads (t = ((row · (hq + hkv)) + head) · half + i, the
// same pairs rope takes) and copies v element t (t < rows · v_w). Bindings: q 1, k 2, v 3, qkv 4,
// table 5.
struct QkvParams { rows: u32, hq: u32, hkv: u32, head_dim: u32, pos: u32, interleaved: u32, grid_x: u32, v_w: u32 }
@group(0) @binding(0) var<uniform> pqk: QkvParams;
@group(0) @binding(1) var<storage, read_write> qk_q: array<f32>;   // [rows, hq·head_dim]
@group(0) @binding(2) var<storage, read_write> qk_k: array<f32>;   // [rows, hkv·head_dim]
@group(0) @binding(3) var<storage, read_write> qk_v: array<f32>;   // [rows, v_w]
@group(0) @binding(4) var<storage, read> qk_x: array<f32>;         // [rows, (hq + hkv)·head_dim + v_w]
@group(0) @binding(5) var<storage, read> qk_cs: array<vec2<f32>>;  // [positions, head_dim/2] (cos, sin)

@compute @workgroup_size(256)
fn rope_qkv(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = (wg.x + wg.y * pqk.grid_x) * 256u + li;
  let d = pqk.head_dim;
  let heads = pqk.hq + pqk.hkv;
  let width = heads * d + pqk.v_w; // a qkv row
  if (t < pqk.rows * pqk.v_w) {
    let r = t / pqk.v_w;
    qk_v[t] = qk_x[r * width + heads * d + t % pqk.v_w];
  }
  let half = d / 2u;
  if (t >= pqk.rows * heads * half) { return; }
  let i = t % half;
  let rh = t / half; // row · heads + head
  let r = rh / heads;
  let h = rh % heads;
  var a = i;
  var b = i + half; // 'half' style: (x[i], x[i + d/2]), Hugging Face rotate_half
  if (pqk.interleaved != 0u) { a = 2u * i; b = a + 1u; } // GGUF: (x[2i], x[2i+1])
  let src = r * width + h * d;
  let cs = qk_cs[(pqk.pos + r) * half + i];
  let x0 = qk_x[src + a];
  let x1 = qk_x[src + b];
  let y0 = x0 * cs.x - x1 * cs.y;
  let y1 = x1 * cs.x + x0 * cs.y;
  if (h < pqk.hq) {
    let o = (r * pqk.hq + h) * d;
    qk_q[o + a] = y0;
    qk_q[o + b] = y1;
  } else {
    let o = (r * pqk.hkv + h - pqk.hq) * d;
    qk_k[o + a] = y0;
    qk_k[o + b] = y1;
  }
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
