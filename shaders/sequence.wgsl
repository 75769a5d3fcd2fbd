// Sequence kernels (src/backends/ops/sequence.ts): causal depthwise conv1d, Mamba selective scan,
// RWKV-4 WKV, delta-rule memory, RWKV-7 WKV and its bonus term. Binding 0 is the params uniform; storage buffers follow in the
// order the JS side passes them (src/backends/webgpu/sequence.ts). Absent optional inputs are
// bound to a dummy buffer and flagged off in the params. Linear id = wg.x + wg.y * grid_x.
//
// The recurrent kernels parallelise over channels (rows for the delta rule) and run the whole
// token loop inside one dispatch, so a prefill of T tokens is one dispatch, not T.

fn silu(x: f32) -> f32 { return x / (1.0 + exp(-x)); }
// torch softplus (beta 1, threshold 20)
fn softplus(x: f32) -> f32 { if (x > 20.0) { return x; } return log(1.0 + exp(x)); }

// ---- causal conv1d: outputs, one thread per (t, c) -------------------------------------------------
struct ConvParams { t: u32, c: u32, k: u32, act: u32, has_bias: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pc: ConvParams;
@group(0) @binding(1) var<storage, read_write> conv_out: array<f32>; // [T, C]
@group(0) @binding(2) var<storage, read> conv_x: array<f32>;         // [T, C]
@group(0) @binding(3) var<storage, read> conv_w: array<f32>;         // [C, K]
@group(0) @binding(4) var<storage, read> conv_b: array<f32>;         // [C] or dummy
@group(0) @binding(5) var<storage, read> conv_state: array<f32>;     // [C, K]

@compute @workgroup_size(256)
fn conv1d_out(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let idx = (wg.x + wg.y * pc.grid_x) * 256u + li;
  if (idx >= pc.t * pc.c) { return; }
  let t = idx / pc.c;
  let ch = idx % pc.c;
  var acc = 0.0;
  if (pc.has_bias != 0u) { acc = conv_b[ch]; }
  for (var j = 0u; j < pc.k; j++) {
    let s = t + 1u + j; // position in xin = [state, x]
    var xv: f32;
    if (s < pc.k) { xv = conv_state[ch * pc.k + s]; } else { xv = conv_x[(s - pc.k) * pc.c + ch]; }
    acc += conv_w[ch * pc.k + j] * xv;
  }
  if (pc.act != 0u) { acc = silu(acc); }
  conv_out[idx] = acc;
}

// ---- causal conv1d: state ← last K of [state, x], one thread per channel (after conv1d_out) ----
struct ConvStateParams { t: u32, c: u32, k: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pcs: ConvStateParams;
@group(0) @binding(1) var<storage, read_write> cs_state: array<f32>; // [C, K]
@group(0) @binding(2) var<storage, read> cs_x: array<f32>;           // [T, C]

@compute @workgroup_size(64)
fn conv1d_state(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let ch = (wg.x + wg.y * pcs.grid_x) * 64u + li;
  if (ch >= pcs.c) { return; }
  // ascending j reads state[ch, T + j] (T + j > j) before anything overwrites it
  for (var j = 0u; j < pcs.k; j++) {
    let s = pcs.t + j;
    var v: f32;
    if (s < pcs.k) { v = cs_state[ch * pcs.k + s]; } else { v = cs_x[(s - pcs.k) * pcs.c + ch]; }
    cs_state[ch * pcs.k + j] = v;
  }
}

// ---- causal conv1d of one token (decode): output and state update in one dispatch -----------------
// One thread per channel. xin = [state[1 .. K−1], x] is both what the output reads (in conv1d_out's
// order, so the result is the same to the bit) and the new state. A decode step of a Mamba /
// Mamba-2 / Gated DeltaNet / LFM2 layer made two dispatches per conv part with the kernels above;
// on an H100 decode is bound by dispatches (docs/gpu.md).
struct ConvStepParams { c: u32, k: u32, act: u32, has_bias: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pst: ConvStepParams;
@group(0) @binding(1) var<storage, read_write> st_out: array<f32>;   // [1, C]
@group(0) @binding(2) var<storage, read_write> st_state: array<f32>; // [C, K]
@group(0) @binding(3) var<storage, read> st_x: array<f32>;           // [1, C]
@group(0) @binding(4) var<storage, read> st_w: array<f32>;           // [C, K]
@group(0) @binding(5) var<storage, read> st_b: array<f32>;           // [C] or dummy

@compute @workgroup_size(64)
fn conv1d_step(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let ch = (wg.x + wg.y * pst.grid_x) * 64u + li;
  if (ch >= pst.c) { return; }
  let base = ch * pst.k;
  var acc = 0.0;
  if (pst.has_bias != 0u) { acc = st_b[ch]; }
  // ascending j reads state[j + 1] before it is overwritten
  for (var j = 0u; j + 1u < pst.k; j++) {
    let s = st_state[base + j + 1u];
    acc += st_w[base + j] * s;
    st_state[base + j] = s;
  }
  let xv = st_x[ch];
  acc += st_w[base + pst.k - 1u] * xv;
  st_state[base + pst.k - 1u] = xv;
  if (pst.act != 0u) { acc = silu(acc); }
  st_out[ch] = acc;
}

// ---- RWKV-4 WKV: one thread per channel, (num, den, max) in registers ---------------------------
struct WkvParams { t: u32, c: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pw: WkvParams;
@group(0) @binding(1) var<storage, read_write> wkv_out: array<f32>;   // [T, C]
@group(0) @binding(2) var<storage, read_write> wkv_state: array<f32>; // [3, C]: num, den, max
@group(0) @binding(3) var<storage, read> wkv_k: array<f32>;           // [T, C]
@group(0) @binding(4) var<storage, read> wkv_v: array<f32>;           // [T, C]
@group(0) @binding(5) var<storage, read> wkv_td: array<f32>;          // [C] time_decay (raw)
@group(0) @binding(6) var<storage, read> wkv_tf: array<f32>;          // [C] time_first

@compute @workgroup_size(64)
fn wkv4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let ch = (wg.x + wg.y * pw.grid_x) * 64u + li;
  if (ch >= pw.c) { return; }
  let C = pw.c;
  let w = -exp(wkv_td[ch]);
  let u = wkv_tf[ch];
  var num = wkv_state[ch];
  var den = wkv_state[C + ch];
  var mx = wkv_state[2u * C + ch];
  for (var t = 0u; t < pw.t; t++) {
    let kt = wkv_k[t * C + ch];
    let vt = wkv_v[t * C + ch];
    var q = max(mx, kt + u);
    var e1 = exp(mx - q);
    var e2 = exp(kt + u - q);
    wkv_out[t * C + ch] = (e1 * num + e2 * vt) / (e1 * den + e2);
    q = max(mx + w, kt);
    e1 = exp(mx + w - q);
    e2 = exp(kt - q);
    num = e1 * num + e2 * vt;
    den = e1 * den + e2;
    mx = q;
  }
  wkv_state[ch] = num;
  wkv_state[C + ch] = den;
  wkv_state[2u * C + ch] = mx;
}

// ---- delta rule: one thread per (head, value row i); row i of M only depends on itself ---------
struct DeltaParams { t: u32, h: u32, dk: u32, dv: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pd: DeltaParams;
@group(0) @binding(1) var<storage, read_write> dr_out: array<f32>; // [T, H, Dv]
@group(0) @binding(2) var<storage, read_write> dr_m: array<f32>;   // [H, Dv, Dk]
@group(0) @binding(3) var<storage, read> dr_q: array<f32>;         // [T, H, Dk]
@group(0) @binding(4) var<storage, read> dr_k: array<f32>;         // [T, H, Dk]
@group(0) @binding(5) var<storage, read> dr_v: array<f32>;         // [T, H, Dv]
@group(0) @binding(6) var<storage, read> dr_beta: array<f32>;      // [T, H]

@compute @workgroup_size(64)
fn delta_rule(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let id = (wg.x + wg.y * pd.grid_x) * 64u + li;
  if (id >= pd.h * pd.dv) { return; }
  let h = id / pd.dv;
  let i = id % pd.dv;
  let DK = pd.dk;
  let row = (h * pd.dv + i) * DK;
  for (var t = 0u; t < pd.t; t++) {
    let kb = (t * pd.h + h) * DK;
    var mk = 0.0;
    for (var j = 0u; j < DK; j++) { mk += dr_m[row + j] * dr_k[kb + j]; }
    let e = dr_beta[t * pd.h + h] * (mk - dr_v[(t * pd.h + h) * pd.dv + i]);
    var y = 0.0;
    for (var j = 0u; j < DK; j++) {
      let m = dr_m[row + j] - e * dr_k[kb + j];
      dr_m[row + j] = m;
      y += m * dr_q[kb + j];
    }
    dr_out[(t * pd.h + h) * pd.dv + i] = y;
  }
}

// ---- Mamba selective scan -----------------------------------------------------------------------
// Decode steps and short prompts: `scan_emit` with one chunk, h bound to the state, one thread per
// channel walking the tokens. Prefill: the sequence is cut into chunks of L tokens, and since
// h_end(chunk) = P ⊙ h_start + h_local, with h_local the chunk's scan from a zero state and
// P = exp(A · ΣΔ) its total decay,
//   pass 1 `scan_chunk_local` (chunk × channel threads): h_local and ΣΔ of every chunk,
//   pass 2 `scan_chunk_carry` (channel × state threads): carry the state across the chunks,
//       leaving each chunk's incoming state in place of its h_local and the final state in `state`,
//   pass 3 `scan_emit` (chunk × channel threads): rescan every chunk from its incoming state, emit y.
// Parallelism is nChunks·I instead of I; the work is about twice the sequential scan's.
// At most 8 storage buffers per kernel (WebGPU's default limit): B and C arrive packed as
// bc = [B; C] ([2, T, N]) and D, dtBias as aux = [D; dtBias] ([2, I]), copied by the JS side.
struct ScanParams { t: u32, i: u32, n: u32, flags: u32, chunk: u32, nchunks: u32, grid_x: u32 } // flags: 1 D, 2 z, 4 dtBias, 8 softplus

fn scan_delta(dt: f32, bias: f32, flags: u32) -> f32 {
  var delta = dt;
  if ((flags & 4u) != 0u) { delta += bias; }
  if ((flags & 8u) != 0u) { delta = softplus(delta); }
  return delta;
}

@group(0) @binding(0) var<uniform> pe: ScanParams;
@group(0) @binding(1) var<storage, read_write> se_out: array<f32>; // [T, I]
@group(0) @binding(2) var<storage, read_write> se_h: array<f32>;   // [nChunks, I, N] incoming states (or the state)
@group(0) @binding(3) var<storage, read> se_x: array<f32>;         // [T, I]
@group(0) @binding(4) var<storage, read> se_dt: array<f32>;        // [T, I]
@group(0) @binding(5) var<storage, read> se_a: array<f32>;         // [I, N]
@group(0) @binding(6) var<storage, read> se_bc: array<f32>;        // [2, T, N]
@group(0) @binding(7) var<storage, read> se_aux: array<f32>;       // [2, I]: D, dtBias
@group(0) @binding(8) var<storage, read> se_z: array<f32>;         // [T, I] or dummy

@compute @workgroup_size(64)
fn scan_emit(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let id = (wg.x + wg.y * pe.grid_x) * 64u + li;
  if (id >= pe.nchunks * pe.i) { return; }
  let ck = id / pe.i;
  let ch = id % pe.i;
  let N = pe.n;
  let hb = id * N;
  let cOff = pe.t * N;
  let bias = se_aux[pe.i + ch];
  let t1 = min((ck + 1u) * pe.chunk, pe.t);
  for (var t = ck * pe.chunk; t < t1; t++) {
    let delta = scan_delta(se_dt[t * pe.i + ch], bias, pe.flags);
    let xv = se_x[t * pe.i + ch];
    let dx = delta * xv;
    var y = 0.0;
    for (var n = 0u; n < N; n++) {
      let h = exp(se_a[ch * N + n] * delta) * se_h[hb + n] + dx * se_bc[t * N + n];
      se_h[hb + n] = h;
      y += h * se_bc[cOff + t * N + n];
    }
    if ((pe.flags & 1u) != 0u) { y += se_aux[ch] * xv; }
    if ((pe.flags & 2u) != 0u) { y *= silu(se_z[t * pe.i + ch]); }
    se_out[t * pe.i + ch] = y;
  }
}

@group(0) @binding(0) var<uniform> pl1: ScanParams;
@group(0) @binding(1) var<storage, read_write> sl_h: array<f32>;   // [nChunks, I, N] h_local
@group(0) @binding(2) var<storage, read_write> sl_sum: array<f32>; // [nChunks, I] ΣΔ
@group(0) @binding(3) var<storage, read> sl_x: array<f32>;
@group(0) @binding(4) var<storage, read> sl_dt: array<f32>;
@group(0) @binding(5) var<storage, read> sl_a: array<f32>;
@group(0) @binding(6) var<storage, read> sl_bc: array<f32>;
@group(0) @binding(7) var<storage, read> sl_aux: array<f32>;

@compute @workgroup_size(64)
fn scan_chunk_local(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let id = (wg.x + wg.y * pl1.grid_x) * 64u + li;
  if (id >= pl1.nchunks * pl1.i) { return; }
  let ck = id / pl1.i;
  let ch = id % pl1.i;
  let N = pl1.n;
  let hb = id * N;
  let bias = sl_aux[pl1.i + ch];
  for (var n = 0u; n < N; n++) { sl_h[hb + n] = 0.0; }
  var total = 0.0;
  let t1 = min((ck + 1u) * pl1.chunk, pl1.t);
  for (var t = ck * pl1.chunk; t < t1; t++) {
    let delta = scan_delta(sl_dt[t * pl1.i + ch], bias, pl1.flags);
    total += delta;
    let dx = delta * sl_x[t * pl1.i + ch];
    for (var n = 0u; n < N; n++) {
      sl_h[hb + n] = exp(sl_a[ch * N + n] * delta) * sl_h[hb + n] + dx * sl_bc[t * N + n];
    }
  }
  sl_sum[id] = total;
}

@group(0) @binding(0) var<uniform> pl2: ScanParams;
@group(0) @binding(1) var<storage, read_write> sc_h: array<f32>;     // [nChunks, I, N] h_local → incoming
@group(0) @binding(2) var<storage, read_write> sc_state: array<f32>; // [I, N]
@group(0) @binding(3) var<storage, read> sc_sum: array<f32>;         // [nChunks, I]
@group(0) @binding(4) var<storage, read> sc_a: array<f32>;           // [I, N]

@compute @workgroup_size(64)
fn scan_chunk_carry(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let id = (wg.x + wg.y * pl2.grid_x) * 64u + li; // ch · N + n
  if (id >= pl2.i * pl2.n) { return; }
  let ch = id / pl2.n;
  let a = sc_a[id];
  var carry = sc_state[id];
  for (var ck = 0u; ck < pl2.nchunks; ck++) {
    let slot = ck * pl2.i * pl2.n + id;
    let local = sc_h[slot];
    sc_h[slot] = carry;
    carry = exp(a * sc_sum[ck * pl2.i + ch]) * carry + local;
  }
  sc_state[id] = carry;
}

// ---- RWKV-7 WKV, any head size: one workgroup per (head, block of 64 value rows); a thread per row i
// (heads of N ≤ 64 take `wkv7_small` below)
// Row i of S only depends on itself, so the token loop runs inside the dispatch. Per token the head's
// a (pass 1: sa = a·S_i, S before the update) and r, w, k, b (pass 2: S_i ← S_i ⊙ w + v_i·k + sa·b,
// y_i = S_i·r) are staged through workgroup memory 64 columns at a time, so any head size N works.
// Threads past N only help stage the vectors. Eight storage buffers: WebGPU's default limit.
struct Wkv7Params { t: u32, h: u32, n: u32, blocks: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> p7: Wkv7Params;
@group(0) @binding(1) var<storage, read_write> w7_out: array<f32>; // [T, C]
@group(0) @binding(2) var<storage, read_write> w7_s: array<f32>;   // [H, N, N]
@group(0) @binding(3) var<storage, read> w7_r: array<f32>;         // [T, C]
@group(0) @binding(4) var<storage, read> w7_w: array<f32>;         // [T, C]
@group(0) @binding(5) var<storage, read> w7_k: array<f32>;         // [T, C]
@group(0) @binding(6) var<storage, read> w7_v: array<f32>;         // [T, C]
@group(0) @binding(7) var<storage, read> w7_a: array<f32>;         // [T, C]
@group(0) @binding(8) var<storage, read> w7_b: array<f32>;         // [T, C]
var<workgroup> w7_tile: array<f32, 256>; // r, w, k, b of 64 columns (pass 1: a in the first 64)

@compute @workgroup_size(64)
fn wkv7(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let id = wg.x + wg.y * p7.grid_x;
  if (id >= p7.h * p7.blocks) { return; } // whole workgroups only: barriers stay uniform
  let N = p7.n;
  let C = p7.h * N;
  let h = id / p7.blocks;
  let i = (id % p7.blocks) * 64u + li;
  let live = i < N;
  let row = (h * N + min(i, N - 1u)) * N;
  for (var t = 0u; t < p7.t; t++) {
    let base = t * C + h * N;
    var sa = 0.0;
    for (var j0 = 0u; j0 < N; j0 += 64u) {
      workgroupBarrier();
      if (j0 + li < N) { w7_tile[li] = w7_a[base + j0 + li]; }
      workgroupBarrier();
      if (live) {
        let m = min(64u, N - j0);
        for (var j = 0u; j < m; j++) { sa += w7_tile[j] * w7_s[row + j0 + j]; }
      }
    }
    var vi = 0.0;
    if (live) { vi = w7_v[base + i]; }
    var y = 0.0;
    for (var j0 = 0u; j0 < N; j0 += 64u) {
      workgroupBarrier();
      let jj = base + j0 + li;
      if (j0 + li < N) {
        w7_tile[li] = w7_r[jj];
        w7_tile[64u + li] = w7_w[jj];
        w7_tile[128u + li] = w7_k[jj];
        w7_tile[192u + li] = w7_b[jj];
      }
      workgroupBarrier();
      if (live) {
        let m = min(64u, N - j0);
        for (var j = 0u; j < m; j++) {
          let s = w7_s[row + j0 + j] * w7_tile[64u + j] + vi * w7_tile[128u + j] + sa * w7_tile[192u + j];
          w7_s[row + j0 + j] = s;
          y += s * w7_tile[j];
        }
      }
    }
    if (live) { w7_out[base + i] = y; }
  }
}

// ---- RWKV-7 WKV for heads of N ≤ 64 (RWKV-7 uses 64): one workgroup per head, its row in private
// memory for the whole token loop (read once, written once), the token's a, r, w, k, b staged
// through workgroup memory with one barrier pair per token. Same bindings and params as `wkv7`.
var<workgroup> w7s_tile: array<f32, 320>; // a, r, w, k, b of the head

@compute @workgroup_size(64)
fn wkv7_small(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let id = wg.x + wg.y * p7.grid_x;
  if (id >= p7.h) { return; } // whole workgroups only: barriers stay uniform
  let N = p7.n;
  let C = p7.h * N;
  let live = li < N;
  let row = (id * N + min(li, N - 1u)) * N;
  var srow: array<f32, 64>;
  if (live) {
    for (var j = 0u; j < N; j++) { srow[j] = w7_s[row + j]; }
  }
  for (var t = 0u; t < p7.t; t++) {
    let base = t * C + id * N;
    workgroupBarrier();
    if (live) {
      w7s_tile[li] = w7_a[base + li];
      w7s_tile[64u + li] = w7_r[base + li];
      w7s_tile[128u + li] = w7_w[base + li];
      w7s_tile[192u + li] = w7_k[base + li];
      w7s_tile[256u + li] = w7_b[base + li];
    }
    workgroupBarrier();
    if (live) {
      var sa = 0.0;
      for (var j = 0u; j < N; j++) { sa += w7s_tile[j] * srow[j]; }
      let vi = w7_v[base + li];
      var y = 0.0;
      for (var j = 0u; j < N; j++) {
        let s = srow[j] * w7s_tile[128u + j] + vi * w7s_tile[192u + j] + sa * w7s_tile[256u + j];
        srow[j] = s;
        y += s * w7s_tile[64u + j];
      }
      w7_out[base + li] = y;
    }
  }
  if (live) {
    for (var j = 0u; j < N; j++) { w7_s[row + j] = srow[j]; }
  }
}

// ---- RWKV-7 bonus: one workgroup per (t, head), in place on out ------------------------------------
// The 64 threads stride over the head's N channels for Σ_j r·k·u (tree-reduced in workgroup
// memory), then over its channels again to add v_i · Σ.
struct Wkv7BonusParams { t: u32, c: u32, n: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pb7: Wkv7BonusParams;
@group(0) @binding(1) var<storage, read_write> wb_out: array<f32>; // [T, C]
@group(0) @binding(2) var<storage, read> wb_r: array<f32>;         // [T, C]
@group(0) @binding(3) var<storage, read> wb_k: array<f32>;         // [T, C]
@group(0) @binding(4) var<storage, read> wb_v: array<f32>;         // [T, C]
@group(0) @binding(5) var<storage, read> wb_u: array<f32>;         // [C]
var<workgroup> wb_sum: array<f32, 64>;

@compute @workgroup_size(64)
fn wkv7_bonus(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let heads = pb7.c / pb7.n;
  let id = wg.x + wg.y * pb7.grid_x;
  if (id >= pb7.t * heads) { return; } // whole workgroups only: barriers stay uniform
  let t = id / heads;
  let h0 = (id % heads) * pb7.n;
  let rb = t * pb7.c + h0;
  var part = 0.0;
  for (var j = li; j < pb7.n; j += 64u) { part += wb_r[rb + j] * wb_k[rb + j] * wb_u[h0 + j]; }
  wb_sum[li] = part;
  for (var s = 32u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (li < s) { wb_sum[li] += wb_sum[li + s]; }
  }
  workgroupBarrier();
  let dot = wb_sum[0];
  for (var i = li; i < pb7.n; i += 64u) { wb_out[rb + i] = wb_out[rb + i] + wb_v[rb + i] * dot; }
}
