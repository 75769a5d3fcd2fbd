// Attention kernels (spec: /work/shared/specs/sparse-attention.md; JS side src/backends/webgpu/attention.ts).
// Layout [seq][heads][dim]. K/V are bound as array<u32>: f32 values are bitcast, an f16 KV cache
// holds two binary16 per word (element e in word e/2, low half first) and is widened with
// unpack2x16float. One invocation per (query row, q head): candidates are enumerated in the spec's
// order (no sorting: order only changes rounding) with range checks instead of sets, and folded into
// a one-pass online softmax with a private accumulator of HD values.
// HD, the head dim, is a compile-time constant: the JS side substitutes it and builds one module per
// head dim, so the accumulator loops have constant bounds and can live in registers (a runtime bound
// forces the array into memory). Kernels that do not depend on it are compiled with HD = 1.

const HD: u32 = 64u; // replaced by the JS side
const F_CAUSAL: u32 = 1u;
const F_LOG: u32 = 2u;
const F_LANDMARKS: u32 = 4u;
const F_GATED: u32 = 16u;
const F_KV16: u32 = 32u;

// lanes per (row, head) of sparse_attend / dense_attend, and their merge state
const DL: u32 = 32u;
var<workgroup> dn_m: array<f32, 32>;
var<workgroup> dn_den: array<f32, 32>;
var<workgroup> dn_tile: array<f32, 1024>; // [lane][32 dims]

@group(0) @binding(1) var<storage, read_write> a_out: array<f32>;
@group(0) @binding(2) var<storage, read> a_q: array<f32>;
@group(0) @binding(3) var<storage, read> a_k: array<u32>;
@group(0) @binding(4) var<storage, read> a_v: array<u32>;
@group(0) @binding(5) var<storage, read> a_km: array<f32>;
@group(0) @binding(6) var<storage, read> a_vm: array<f32>;
@group(0) @binding(7) var<storage, read> a_keep: array<f32>;

// Separate K and V readers: one load per element (a select over both buffers would load both).
fn k_elem(idx: u32, f16: bool) -> f32 {
  if (f16) {
    let p = unpack2x16float(a_k[idx >> 1u]);
    return select(p.x, p.y, (idx & 1u) == 1u);
  }
  return bitcast<f32>(a_k[idx]);
}

fn v_elem(idx: u32, f16: bool) -> f32 {
  if (f16) {
    let p = unpack2x16float(a_v[idx >> 1u]);
    return select(p.x, p.y, (idx & 1u) == 1u);
  }
  return bitcast<f32>(a_v[idx]);
}

// ---- sparse attention (forward rows or one decode row) ----------------------------------------
struct SparseParams {
  s: u32,        // sequence length the candidates are built for (forward: S, decode: len)
  i0: u32,       // position of query row 0 (forward 0, decode len − 1)
  nq: u32,       // query rows
  hq: u32,
  hkv: u32,
  d: u32,
  window: u32,
  bsize: u32,
  ng: u32,
  flags: u32,
  grid_x: u32,
  scale: f32,
  globals: array<vec4<u32>, 12>, // up to 48 global tokens
}
@group(0) @binding(0) var<uniform> ps: SparseParams;

fn global_at(x: u32) -> u32 {
  return ps.globals[x >> 2u][x & 3u];
}

fn is_global(j: u32, n: u32) -> bool {
  for (var x = 0u; x < n; x++) {
    if (global_at(x) == j) { return true; }
  }
  return false;
}

struct Soft { m: f32, den: f32 }

// Online softmax step: fold score sc and value row (token j or block b) into acc.
fn fold(st: ptr<function, Soft>, acc: ptr<function, array<f32, HD>>, sc: f32, vbase: u32, is_block: bool, f16: bool) {
  var corr = 1.0;
  if (sc > (*st).m) {
    corr = exp((*st).m - sc);
    (*st).den *= corr;
    (*st).m = sc;
  }
  let w = exp(sc - (*st).m);
  (*st).den += w;
  if (is_block) {
    for (var x = 0u; x < HD; x++) { (*acc)[x] = (*acc)[x] * corr + w * a_vm[vbase + x]; }
  } else if (f16) {
    for (var x = 0u; x < HD; x++) { (*acc)[x] = (*acc)[x] * corr + w * v_elem(vbase + x, true); }
  } else {
    for (var x = 0u; x < HD; x++) { (*acc)[x] = (*acc)[x] * corr + w * bitcast<f32>(a_v[vbase + x]); }
  }
}

fn score(qb: u32, kbase: u32, is_block: bool, f16: bool) -> f32 {
  var s = 0.0;
  if (is_block) {
    for (var x = 0u; x < HD; x++) { s += a_q[qb + x] * a_km[kbase + x]; }
  } else if (f16) {
    for (var x = 0u; x < HD; x++) { s += a_q[qb + x] * k_elem(kbase + x, true); }
  } else {
    for (var x = 0u; x < HD; x++) { s += a_q[qb + x] * bitcast<f32>(a_k[kbase + x]); }
  }
  return s * ps.scale;
}

/** Is candidate number *ci this lane's? Advances the count. */
fn take(ci: ptr<function, u32>, lane: u32, lanes: u32) -> bool {
  let mine = (*ci % lanes) == lane;
  *ci += 1u;
  return mine;
}

/**
 * Merge the 32 lanes' online-softmax states exactly: m = max m_t over lanes with den_t > 0,
 * den = Σ den_t·e^(m_t − m), out[qb + x] = Σ acc_t[x]·e^(m_t − m) / den (0 when no lane has keys).
 * The accumulators are summed 32 dims at a time through a 4 KiB tile. Call from uniform control flow.
 */
fn merge_lanes(li: u32, m: f32, den: f32, acc: ptr<function, array<f32, HD>>, qb: u32) {
  dn_m[li] = m;
  dn_den[li] = den;
  workgroupBarrier();
  var mall = -3.402823e38;
  for (var t = 0u; t < DL; t++) {
    if (dn_den[t] > 0.0) { mall = max(mall, dn_m[t]); }
  }
  var dall = 0.0;
  for (var t = 0u; t < DL; t++) {
    if (dn_den[t] > 0.0) { dall += dn_den[t] * exp(dn_m[t] - mall); }
  }
  let mine = select(0.0, exp(m - mall), den > 0.0);
  let inv = select(0.0, 1.0 / dall, dall > 0.0);
  for (var c0 = 0u; c0 < HD; c0 += DL) {
    for (var x = 0u; x < DL; x++) {
      var a = 0.0;
      if (c0 + x < HD) { a = (*acc)[c0 + x] * mine; }
      dn_tile[li * DL + x] = a;
    }
    workgroupBarrier();
    if (c0 + li < HD) {
      var sum = 0.0;
      for (var t = 0u; t < DL; t++) { sum += dn_tile[t * DL + li]; }
      a_out[qb + c0 + li] = sum * inv;
    }
    workgroupBarrier();
  }
}

// The candidate walk of query row r, head h, in the spec's order, folding candidates c ≡ lane (mod
// lanes) into an online softmax (st, acc). lanes = 1: the whole row on one invocation.
fn sparse_walk(r: u32, h: u32, li: u32, lanes: u32, st: ptr<function, Soft>, acc: ptr<function, array<f32, HD>>) {
  let i = ps.i0 + r;
  let s = ps.s;
  let d = HD;
  let kvh = h / (ps.hq / ps.hkv);
  let row = ps.hkv * d;
  let qb = (r * ps.hq + h) * d;
  let causal = (ps.flags & F_CAUSAL) != 0u;
  let f16 = (ps.flags & F_KV16) != 0u;
  let gated = (ps.flags & F_GATED) != 0u;
  var ci = 0u; // candidates seen so far (all lanes count the same sequence)

  // 1. window, ascending
  let lo = select(0u, i - ps.window, i >= ps.window);
  let hi = select(min(i + ps.window, s - 1u), i, causal);
  for (var j = lo; j <= hi; j++) {
    if (take(&ci, li, lanes)) {
      let kb = (j * ps.hkv + kvh) * d;
      fold(st, acc, score(qb, kb, false, f16), kb, false, f16);
    }
  }
  // 2. globals in config order (skip out of range, window members, repeats)
  for (var x = 0u; x < ps.ng; x++) {
    let gt = global_at(x);
    if (gt >= s || (causal && gt > i) || (gt >= lo && gt <= hi) || is_global(gt, x)) { continue; }
    if (take(&ci, li, lanes)) {
      let kb = (gt * ps.hkv + kvh) * d;
      fold(st, acc, score(qb, kb, false, f16), kb, false, f16);
    }
  }
  // 3. log-stride i − st (and i + st non-causal), skipping window members and globals
  if ((ps.flags & F_LOG) != 0u) {
    for (var stp = 1u; stp < s; stp <<= 1u) {
      for (var side = 0u; side < 2u; side++) {
        if (side == 1u && causal) { break; }
        var j: u32;
        if (side == 0u) {
          if (i < stp) { continue; }
          j = i - stp;
        } else {
          j = i + stp;
          if (j >= s) { continue; }
        }
        if ((j >= lo && j <= hi) || is_global(j, ps.ng)) { continue; }
        if (gated && a_keep[j] == 0.0) { continue; }
        if (take(&ci, li, lanes)) {
          let kb = (j * ps.hkv + kvh) * d;
          fold(st, acc, score(qb, kb, false, f16), kb, false, f16);
        }
      }
    }
  }
  // 4. landmark blocks: local, then strides ≥ 2 (stride 1 always repeats a local block)
  if ((ps.flags & F_LANDMARKS) != 0u) {
    let bs = ps.bsize;
    let nb = (s + bs - 1u) / bs;
    let cur = i / bs;
    let avail = select(nb, (i + 1u) / bs, causal);
    if (avail > 0u) {
      let pivot = select(cur, avail - 1u, causal);
      let blo = select(0u, pivot - 1u, pivot >= 1u);
      let bhi = min(pivot + 1u, avail - 1u);
      for (var b = blo; b <= bhi; b++) {
        if (!causal && b == cur) { continue; }
        if (take(&ci, li, lanes)) {
          let mb = (b * ps.hkv + kvh) * d;
          fold(st, acc, score(qb, mb, true, f16), mb, true, f16);
        }
      }
      if ((ps.flags & F_LOG) != 0u) {
        for (var stp = 2u; stp < nb; stp <<= 1u) {
          if (pivot >= stp) {
            if (take(&ci, li, lanes)) {
              let mb = ((pivot - stp) * ps.hkv + kvh) * d;
              fold(st, acc, score(qb, mb, true, f16), mb, true, f16);
            }
          }
          if (!causal && pivot + stp < nb) {
            if (take(&ci, li, lanes)) {
              let mb = ((pivot + stp) * ps.hkv + kvh) * d;
              fold(st, acc, score(qb, mb, true, f16), mb, true, f16);
            }
          }
        }
      }
    }
  }
}

// Many rows (prefill): one invocation per (row, head) fills the GPU, and each walks its own list.
@compute @workgroup_size(64)
fn sparse_attend(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let gid = (wg.x + wg.y * ps.grid_x) * 64u + li;
  if (gid >= ps.nq * ps.hq) { return; }
  let r = gid / ps.hq;
  let h = gid % ps.hq;
  var acc: array<f32, HD>;
  for (var x = 0u; x < HD; x++) { acc[x] = 0.0; }
  var st = Soft(-3.402823e38, 0.0);
  sparse_walk(r, h, 0u, 1u, &st, &acc);
  let inv = select(0.0, 1.0 / st.den, st.den > 0.0);
  let qb = (r * ps.hq + h) * HD;
  for (var x = 0u; x < HD; x++) { a_out[qb + x] = acc[x] * inv; }
}

// Few rows (decode): a workgroup of 32 lanes per (row, head) splits the candidates c ≡ lane (mod 32);
// every lane walks the (cheap) index sequence, and the lanes are merged exactly (merge_lanes).
@compute @workgroup_size(32)
fn sparse_attend_lanes(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let g = wg.x + wg.y * ps.grid_x; // uniform across the workgroup: the barriers stay uniform
  if (g >= ps.nq * ps.hq) { return; }
  let r = g / ps.hq;
  let h = g % ps.hq;
  var acc: array<f32, HD>;
  for (var x = 0u; x < HD; x++) { acc[x] = 0.0; }
  var st = Soft(-3.402823e38, 0.0);
  sparse_walk(r, h, li, DL, &st, &acc);
  merge_lanes(li, st.m, st.den, &acc, (r * ps.hq + h) * HD);
}

// ---- landmark block means: dst[b][x] = Σ_t src[t][x] / count, summed in token order ----------
struct MeanParams { s: u32, row: u32, bsize: u32, nb: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pm: MeanParams;
@group(0) @binding(1) var<storage, read_write> bm_dst: array<f32>;
@group(0) @binding(2) var<storage, read> bm_src: array<f32>;

@compute @workgroup_size(64)
fn block_means(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let gid = (wg.x + wg.y * pm.grid_x) * 64u + li;
  if (gid >= pm.nb * pm.row) { return; }
  let b = gid / pm.row;
  let x = gid % pm.row;
  let t0 = b * pm.bsize;
  let t1 = min(t0 + pm.bsize, pm.s);
  var sum = 0.0;
  for (var t = t0; t < t1; t++) { sum += bm_src[t * pm.row + x]; }
  bm_dst[gid] = sum / f32(t1 - t0);
}

// ---- dense attention: one workgroup of 64 per (row, head), keys in chunks of 256 ------------------
// Per chunk: each thread scores keys j ≡ t (mod 64) against q (staged in workgroup memory), the
// workgroup reduces the chunk's max and sum (online softmax across chunks), and then thread t owns
// output dims t, t+64, …: it sums w_j·v_j[dim] over the chunk's keys, so V rows are read coalesced
// across the workgroup. An earlier version gave each of 32 lanes a private HD-float accumulator
// and its own keys; on an H100 (docs/gpu.md) one decode row of 9 heads at 1,024 keys took 532 µs
// (356 µs now) and a causal forward of 1,024 rows × 8 heads 14.1 ms (1.45 ms now).
// window > 0 (causal only): row r sees only the last `window` keys up to its own position pos + r.
// softcap > 0 (Gemma 2): each scaled score sc becomes softcap · tanh(sc · softcap_inv).
struct DenseParams { s: u32, hq: u32, hkv: u32, d: u32, causal: u32, pos: u32, kv_len: u32, f16: u32, grid_x: u32, scale: f32, parts: u32, part_keys: u32, window: u32, softcap: f32, softcap_inv: f32 }
@group(0) @binding(0) var<uniform> pdn: DenseParams;

const DT: u32 = 64u;                    // threads per (row, head)
const DCH: u32 = 256u;                  // keys per chunk
const DPT: u32 = (HD + DT - 1u) / DT;   // output dims per thread
var<workgroup> dd_q: array<f32, HD>;
var<workgroup> dd_w: array<f32, 256>;   // the chunk's scores, then its weights
var<workgroup> dd_red: array<f32, 64>;

/** Tree-reduce dd_red (max or sum) and return the result to every thread (uniform control flow). */
fn dd_reduce(li: u32, v: f32, is_max: bool) -> f32 {
  dd_red[li] = v;
  workgroupBarrier();
  for (var k = DT / 2u; k > 0u; k >>= 1u) {
    if (li < k) { dd_red[li] = select(dd_red[li] + dd_red[li + k], max(dd_red[li], dd_red[li + k]), is_max); }
    workgroupBarrier();
  }
  let r = dd_red[0];
  workgroupBarrier();
  return r;
}

// tanh as Cephes tanhf (≈ 1 ulp with an accurate exp): an odd polynomial below |x| = 0.625, else
// 1 − 2 / (e^(2|x|) + 1); 1 beyond 9 (tanh 9 rounds to 1 in f32), so e^(2|x|) never overflows. WGSL's
// tanh builtin has no error bound of its own and is NaN for large |x| on some implementations.
fn tanh_f(x: f32) -> f32 {
  let a = abs(x);
  if (a <= 0.625) {
    let s = x * x;
    let p = ((((-5.70498872745e-3 * s + 2.06390887954e-2) * s - 5.37397155531e-2) * s + 1.33314422036e-1) * s - 3.33332819422e-1) * s;
    return p * x + x;
  }
  let t = select(1.0 - 2.0 / (exp(2.0 * a) + 1.0), 1.0, a > 9.0);
  return select(t, -t, x < 0.0);
}

struct DensePair { kvh: u32, qb: u32, lo: u32, n: u32 }

/** Pair g = row·hq + head: its kv head, q / out offset and keys lo … n − 1; stages its q row in dd_q (barrier after). */
fn dd_pair(g: u32, li: u32) -> DensePair {
  let r = g / pdn.hq;
  let h = g % pdn.hq;
  let n = select(pdn.kv_len, pdn.pos + r + 1u, pdn.causal != 0u);
  let lo = select(0u, n - pdn.window, pdn.window > 0u && n > pdn.window);
  let pr = DensePair(h / (pdn.hq / pdn.hkv), (r * pdn.hq + h) * HD, lo, n);
  for (var x = li; x < HD; x += DT) { dd_q[x] = a_q[pr.qb + x]; }
  return pr;
}

/** Score keys c0 … c0 + cn − 1 (kv head kvh) against dd_q into dd_w, keys j ≡ li (mod DT); returns this thread's max. */
fn dd_score(li: u32, c0: u32, cn: u32, kvh: u32, f16: bool) -> f32 {
  var lmax = -3.402823e38;
  for (var jj = li; jj < cn; jj += DT) {
    let kb = ((c0 + jj) * pdn.hkv + kvh) * HD;
    var sc = 0.0;
    for (var x = 0u; x < HD; x++) { sc += dd_q[x] * k_elem(kb + x, f16); }
    sc *= pdn.scale;
    if (pdn.softcap > 0.0) { sc = pdn.softcap * tanh_f(sc * pdn.softcap_inv); }
    dd_w[jj] = sc;
    lmax = max(lmax, sc);
  }
  return lmax;
}

/** dd_w[j] = exp(dd_w[j] − m) for this thread's keys; returns their sum. */
fn dd_weights(li: u32, cn: u32, m: f32) -> f32 {
  var lsum = 0.0;
  for (var jj = li; jj < cn; jj += DT) {
    let w = exp(dd_w[jj] - m);
    dd_w[jj] = w;
    lsum += w;
  }
  return lsum;
}

@compute @workgroup_size(64)
fn dense_attend(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let g = wg.x + wg.y * pdn.grid_x; // uniform across the workgroup: the early return keeps barriers uniform
  if (g >= pdn.s * pdn.hq) { return; }
  let pr = dd_pair(g, li);
  workgroupBarrier();
  let kvh = pr.kvh;
  let qb = pr.qb;
  let n = pr.n;
  let f16 = pdn.f16 != 0u;
  var acc: array<f32, DPT>;
  for (var i = 0u; i < DPT; i++) { acc[i] = 0.0; }
  var m = -3.402823e38;
  var den = 0.0;
  for (var c0 = pr.lo; c0 < n; c0 += DCH) {
    let cn = min(DCH, n - c0);
    let mnew = max(m, dd_reduce(li, dd_score(li, c0, cn, kvh, f16), true));
    let corr = exp(m - mnew); // 0 on the first chunk (m is the lowest f32)
    den = den * corr + dd_reduce(li, dd_weights(li, cn, mnew), false); // the reduction's barriers also publish dd_w
    for (var i = 0u; i < DPT; i++) {
      let x = li + i * DT;
      if (x < HD) {
        var a = acc[i] * corr;
        for (var jj = 0u; jj < cn; jj++) { a += dd_w[jj] * v_elem(((c0 + jj) * pdn.hkv + kvh) * HD + x, f16); }
        acc[i] = a;
      }
    }
    m = mnew;
    workgroupBarrier(); // dd_w is rewritten by the next chunk
  }
  let inv = select(0.0, 1.0 / den, den > 0.0);
  for (var i = 0u; i < DPT; i++) {
    let x = li + i * DT;
    if (x < HD) { a_out[qb + x] = acc[i] * inv; }
  }
}

// ---- split-K dense attention (decode rows): few (row, head) pairs, many keys ---------------------
// dense_attend gives each (row, head) one workgroup, so a decode row of 9 heads keeps 9 workgroups
// busy however long the context (356 µs at 1,024 keys on an H100). Here workgroup (g, p) scores keys
// lo + [p·part_keys, (p+1)·part_keys) of pair g (part_keys ≤ DCH: one chunk) and writes its partial
// softmax state (max, sum, unnormalised output) to a_out as [g][p][2 + HD]; dense_merge then
// combines the parts of each pair. Same online-softmax algebra, other grouping.
@compute @workgroup_size(64)
fn dense_attend_part(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let gp = wg.x + wg.y * pdn.grid_x; // uniform across the workgroup
  if (gp >= pdn.s * pdn.hq * pdn.parts) { return; }
  let p = gp % pdn.parts;
  let pr = dd_pair(gp / pdn.parts, li);
  workgroupBarrier();
  let kvh = pr.kvh;
  let n = pr.n;
  let f16 = pdn.f16 != 0u;
  let c0 = pr.lo + p * pdn.part_keys;
  let cn = select(0u, min(pdn.part_keys, n - min(n, c0)), c0 < n);
  let ob = gp * (HD + 2u);
  let m = dd_reduce(li, dd_score(li, c0, cn, kvh, f16), true);
  let den = dd_reduce(li, dd_weights(li, cn, m), false); // the reduction's barriers also publish dd_w
  for (var x = li; x < HD; x += DT) {
    var a = 0.0;
    for (var jj = 0u; jj < cn; jj++) { a += dd_w[jj] * v_elem(((c0 + jj) * pdn.hkv + kvh) * HD + x, f16); }
    a_out[ob + 2u + x] = a;
  }
  if (li == 0u) {
    a_out[ob] = m; // the lowest f32 for an empty part: its weight below is 0
    a_out[ob + 1u] = den;
  }
}

/** out[g] = Σ_p e^(m_p − M)·acc_p / Σ_p e^(m_p − M)·den_p over the parts of dense_attend_part (a_q: the partials). */
@compute @workgroup_size(64)
fn dense_merge(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let g = wg.x + wg.y * pdn.grid_x;
  if (g >= pdn.s * pdn.hq) { return; }
  let pb = g * pdn.parts * (HD + 2u);
  var mx = -3.402823e38;
  for (var p = 0u; p < pdn.parts; p++) { mx = max(mx, a_q[pb + p * (HD + 2u)]); }
  var den = 0.0;
  for (var p = 0u; p < pdn.parts; p++) { den += exp(a_q[pb + p * (HD + 2u)] - mx) * a_q[pb + p * (HD + 2u) + 1u]; }
  let inv = select(0.0, 1.0 / den, den > 0.0);
  for (var x = li; x < HD; x += DT) {
    var a = 0.0;
    for (var p = 0u; p < pdn.parts; p++) {
      let o = pb + p * (HD + 2u);
      a += exp(a_q[o] - mx) * a_q[o + 2u + x];
    }
    a_out[g * HD + x] = a * inv;
  }
}

// ---- KV cache append --------------------------------------------------------------------------
struct AppendParams { len: u32, n: u32, row: u32, bsize: u32, f16: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> pap: AppendParams;
@group(0) @binding(1) var<storage, read_write> ap_kc: array<u32>; // cache rows (f32 bits or f16 pairs)
@group(0) @binding(2) var<storage, read_write> ap_vc: array<u32>;
@group(0) @binding(3) var<storage, read_write> ap_km: array<f32>; // landmark block means
@group(0) @binding(4) var<storage, read_write> ap_vm: array<f32>;
@group(0) @binding(5) var<storage, read> ap_ks: array<f32>;       // the n new rows
@group(0) @binding(6) var<storage, read> ap_vs: array<f32>;

// f32 → binary16 bits, round to nearest even (overflow → inf, NaN stays NaN); done with integer ops
// because pack2x16float's rounding is not specified.
fn f2h(v: f32) -> u32 {
  let x = bitcast<u32>(v);
  let sign = (x >> 16u) & 0x8000u;
  let ex = i32((x >> 23u) & 0xffu);
  var mant = x & 0x7fffffu;
  if (ex == 255) { return sign | 0x7c00u | select(0u, 0x200u, mant != 0u); }
  let e = ex - 112;
  if (e >= 31) { return sign | 0x7c00u; }
  if (e <= 0) {
    if (e < -10) { return sign; }
    mant |= 0x800000u;
    let shift = u32(14 - e);
    var half = mant >> shift;
    let rem = mant & ((1u << shift) - 1u);
    let mid = 1u << (shift - 1u);
    if (rem > mid || (rem == mid && (half & 1u) == 1u)) { half += 1u; }
    return sign | half;
  }
  var half = (u32(e) << 10u) | (mant >> 13u);
  let rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u) == 1u)) { half += 1u; }
  return sign | half;
}

// One dispatch appends the rows and updates the landmark means (a decode step used to take two).
// Invocation gid does row element / word gid (if any) and mean element gid (if any): the two parts
// read only the new rows and write different buffers.
@compute @workgroup_size(64)
fn kv_append(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let gid = (wg.x + wg.y * pap.grid_x) * 64u + li;
  kv_append_row(gid);
  kv_append_mean(gid);
}

// Rows: f32 → one invocation per element; f16 → one per u32 word touched (the word shared with
// the previous row keeps its other half).
fn kv_append_row(gid: u32) {
  let e0 = pap.len * pap.row;
  let e1 = (pap.len + pap.n) * pap.row;
  if (pap.f16 == 0u) {
    if (gid >= e1 - e0) { return; }
    ap_kc[e0 + gid] = bitcast<u32>(ap_ks[gid]);
    ap_vc[e0 + gid] = bitcast<u32>(ap_vs[gid]);
    return;
  }
  let w = e0 / 2u + gid;
  if (w * 2u >= e1) { return; }
  var kw = ap_kc[w];
  var vw = ap_vc[w];
  for (var half = 0u; half < 2u; half++) {
    let e = w * 2u + half;
    if (e >= e0 && e < e1) {
      let sh = half * 16u;
      let keep = ~(0xffffu << sh);
      kw = (kw & keep) | (f2h(ap_ks[e - e0]) << sh);
      vw = (vw & keep) | (f2h(ap_vs[e - e0]) << sh);
    }
  }
  ap_kc[w] = kw;
  ap_vc[w] = vw;
}

// Means: one invocation per row element, walking the n new rows in order (f32 Welford, n = 1 → m = x).
fn kv_append_mean(x: u32) {
  if (x >= pap.row) { return; }
  for (var r = 0u; r < pap.n; r++) {
    let p = pap.len + r;
    let mi = (p / pap.bsize) * pap.row + x;
    let cnt = p % pap.bsize + 1u;
    let ks = ap_ks[r * pap.row + x];
    let vs = ap_vs[r * pap.row + x];
    if (cnt == 1u) {
      ap_km[mi] = ks;
      ap_vm[mi] = vs;
    } else {
      ap_km[mi] = ap_km[mi] + (ks - ap_km[mi]) / f32(cnt);
      ap_vm[mi] = ap_vm[mi] + (vs - ap_vm[mi]) / f32(cnt);
    }
  }
}

// ---- FastGRNN salience: one workgroup walks the sequence (the recurrence is serial) -----------
struct GrnnParams { s: u32, nh: u32, din: u32, hd: u32, zeta: f32, nu: f32 }
@group(0) @binding(0) var<uniform> pg: GrnnParams;
@group(0) @binding(1) var<storage, read_write> g_out: array<f32>;
@group(0) @binding(2) var<storage, read> g_k: array<f32>;
@group(0) @binding(3) var<storage, read> g_wg: array<f32>;
@group(0) @binding(4) var<storage, read> g_ug: array<f32>;
@group(0) @binding(5) var<storage, read> g_wu: array<f32>;
@group(0) @binding(6) var<storage, read> g_uu: array<f32>;
@group(0) @binding(7) var<storage, read> g_bg: array<f32>;
@group(0) @binding(8) var<storage, read> g_bu: array<f32>;

var<workgroup> g_x: array<f32, 256>;
var<workgroup> g_h: array<f32, 64>;

@compute @workgroup_size(64)
fn fastgrnn(@builtin(local_invocation_index) li: u32) {
  let invh = 1.0 / f32(pg.nh);
  if (li < pg.hd) { g_h[li] = 0.0; }
  workgroupBarrier();
  for (var t = 0u; t < pg.s; t++) {
    for (var x = li; x < pg.din; x += 64u) {
      var a = 0.0;
      for (var h = 0u; h < pg.nh; h++) { a += g_k[(t * pg.nh + h) * pg.din + x] * invh; }
      g_x[x] = a;
    }
    workgroupBarrier();
    var hn = 0.0;
    if (li < pg.hd) {
      var pre_g = 0.0;
      var pre_u = 0.0;
      for (var j = 0u; j < pg.din; j++) {
        pre_g += g_wg[li * pg.din + j] * g_x[j];
        pre_u += g_wu[li * pg.din + j] * g_x[j];
      }
      for (var j = 0u; j < pg.hd; j++) {
        pre_g += g_ug[li * pg.hd + j] * g_h[j];
        pre_u += g_uu[li * pg.hd + j] * g_h[j];
      }
      let gate = 1.0 / (1.0 + exp(-(pre_g + g_bg[li])));
      let c = tanh(pre_u + g_bu[li]);
      let gf = clamp(pg.zeta * gate + pg.nu, 0.0, 1.0);
      hn = gf * g_h[li] + (1.0 - gf) * c;
    }
    workgroupBarrier();
    if (li < pg.hd) { g_h[li] = hn; }
    workgroupBarrier();
    if (li == 0u) {
      var norm = 0.0;
      for (var j = 0u; j < pg.hd; j++) { norm += g_h[j] * g_h[j]; }
      g_out[t] = sqrt(norm);
    }
    workgroupBarrier();
  }
}

// ---- top-k keep mask: rank of j = #{i ranked before j} (higher salience, ties → lower index) ----
struct TopkParams { n: u32, k: u32, grid_x: u32 }
@group(0) @binding(0) var<uniform> ptk: TopkParams;
@group(0) @binding(1) var<storage, read_write> tk_out: array<f32>;
@group(0) @binding(2) var<storage, read> tk_sal: array<f32>;

@compute @workgroup_size(64)
fn topk_mask(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let j = (wg.x + wg.y * ptk.grid_x) * 64u + li;
  if (j >= ptk.n) { return; }
  let sj = tk_sal[j];
  var rank = 0u;
  for (var i = 0u; i < ptk.n; i++) {
    let si = tk_sal[i];
    if (si > sj || (si == sj && i < j)) { rank++; }
  }
  tk_out[j] = select(0.0, 1.0, rank < ptk.k);
}
