// Quantized linear layers: out[N, M] = X[N, K] · Wᵀ with W in raw GGML blocks (Q8_0, Q4_0, Q4_1,
// Q5_0, Q5_1, IQ4_NL, IQ4_XS, IQ3_XXS, IQ3_S, IQ2_S, Q2_K…Q6_K), exactly the bytes of a GGUF tensor, bound as an array of u32
// words. Blocks are 34/18/20/22/24/82/84/98/110/136/144/176/210 bytes, so a block may start mid-word: `qword` reads any 4 bytes with a
// funnel shift and `extractBits` unpacks (sign-extended for i32) bytes and nibbles. Block scales are
// f16 and are unpacked with unpack2x16float (no shader-f16 feature needed). Layouts:
// src/formats/ggml-quants.ts.
//
// Each output element (row r, token i; g = i·M + r) gets `lanes` threads (4–64, a power of two
// chosen by the host: the largest ≤ the row's unit count), so one 64-thread workgroup computes
// 64 / lanes outputs: g = (wg.x + wg.y·grid_x) · (64 / lanes) + li / lanes. Every type is processed in
// 32-element units (a Q8_0/Q4_0/Q4_1/Q5_0/Q5_1/IQ4_NL block, an IQ4_XS/IQ3_XXS/IQ3_S/IQ2_S/Q4_K/Q5_K sub-block, a quarter of a Q6_K/Q3_K/Q2_K
// 128-value half); lane j takes units j, j+lanes, …; a segmented tree reduction in workgroup memory
// sums each output's partials.
// (One output per workgroup left most threads idle at small K: K = 576 is 18 Q8_0 blocks, so 46
// of 64 threads had no work — the Q8_0 head ran at 75 GB/s on an H100, docs/gpu.md.)

struct QParams { m: u32, k: u32, grid_x: u32, n: u32, lanes: u32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> qp: QParams;
@group(0) @binding(1) var<storage, read_write> q_out: array<f32>; // [n, m]
@group(0) @binding(2) var<storage, read> qw: array<u32>;          // raw blocks, rows of k/blockSize blocks
@group(0) @binding(3) var<storage, read> q_x: array<vec4<f32>>;   // [n, k] (k is a multiple of 32)

var<workgroup> q_part: array<f32, 64>;

/** 4 bytes starting at byte p (any alignment), little-endian. */
fn qword(p: u32) -> u32 {
  let i = p >> 2u;
  let sh = (p & 3u) * 8u;
  if (sh == 0u) { return qw[i]; }
  return (qw[i] >> sh) | (qw[i + 1u] << (32u - sh));
}

fn qbyte(p: u32) -> u32 { return (qw[p >> 2u] >> ((p & 3u) * 8u)) & 0xffu; }

fn qhalf(p: u32) -> f32 { return unpack2x16float(qbyte(p) | (qbyte(p + 1u) << 8u)).x; }

/** x[o .. o+3]; o is always a multiple of 4 (units start at multiples of 32). */
fn xs4(o: u32) -> vec4<f32> { return q_x[o >> 2u]; }

/** Signed bytes of a word as floats. */
fn i8x4(w: u32) -> vec4<f32> {
  let s = bitcast<i32>(w);
  return vec4<f32>(f32(extractBits(s, 0u, 8u)), f32(extractBits(s, 8u, 8u)), f32(extractBits(s, 16u, 8u)), f32(extractBits(s, 24u, 8u)));
}
/** Low / high nibbles of the 4 bytes of a word as floats (0..15). */
fn lo4(w: u32) -> vec4<f32> {
  return vec4<f32>(f32(extractBits(w, 0u, 4u)), f32(extractBits(w, 8u, 4u)), f32(extractBits(w, 16u, 4u)), f32(extractBits(w, 24u, 4u)));
}
fn hi4(w: u32) -> vec4<f32> {
  return vec4<f32>(f32(extractBits(w, 4u, 4u)), f32(extractBits(w, 12u, 4u)), f32(extractBits(w, 20u, 4u)), f32(extractBits(w, 28u, 4u)));
}

// ---- one 32-element unit per type: Σ w·x ------------------------------------------------------

fn unit_q8_0(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + u * 34u;
  var s = 0.0;
  for (var t = 0u; t < 8u; t++) { s += dot(i8x4(qword(b + 2u + 4u * t)), xs4(xo + 4u * t)); }
  return qhalf(b) * s;
}

fn unit_q4_0(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + u * 18u;
  var s = 0.0;
  for (var t = 0u; t < 4u; t++) {
    let w = qword(b + 2u + 4u * t);
    s += dot(lo4(w) - vec4<f32>(8.0), xs4(xo + 4u * t)) + dot(hi4(w) - vec4<f32>(8.0), xs4(xo + 16u + 4u * t));
  }
  return qhalf(b) * s;
}

// Q5_0 (22 bytes): f16 d, u32 qh, 16 nibble bytes; element j gets bit j of qh as its 5th bit,
// element j+16 bit j+16; value (q − 16)·d.
fn unit_q5_0(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + u * 22u;
  let qh = qword(b + 2u);
  var s = 0.0;
  for (var t = 0u; t < 4u; t++) {
    let w = qword(b + 6u + 4u * t);
    let j = 4u * t;
    let hl = vec4<f32>(f32(extractBits(qh, j, 1u)), f32(extractBits(qh, j + 1u, 1u)), f32(extractBits(qh, j + 2u, 1u)), f32(extractBits(qh, j + 3u, 1u)));
    let hh = vec4<f32>(f32(extractBits(qh, j + 16u, 1u)), f32(extractBits(qh, j + 17u, 1u)), f32(extractBits(qh, j + 18u, 1u)), f32(extractBits(qh, j + 19u, 1u)));
    s += dot(lo4(w) + 16.0 * hl - vec4<f32>(16.0), xs4(xo + j)) + dot(hi4(w) + 16.0 * hh - vec4<f32>(16.0), xs4(xo + 16u + j));
  }
  return qhalf(b) * s;
}

// Q4_1 (20 bytes: f16 d, f16 m, 16 nibble bytes; blocks start at multiples of 4): element j =
// low nibble · d + m, element j+16 = high nibble · d + m, so Σ w·x = d·Σ q·x + m·Σ x.
fn unit_q4_1(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + u * 20u;
  var s = 0.0;
  var sx = 0.0;
  for (var t = 0u; t < 4u; t++) {
    let w = qword(b + 4u + 4u * t);
    let xl = xs4(xo + 4u * t);
    let xh = xs4(xo + 16u + 4u * t);
    s += dot(lo4(w), xl) + dot(hi4(w), xh);
    sx += dot(xl + xh, vec4<f32>(1.0));
  }
  return qhalf(b) * s + qhalf(b + 2u) * sx;
}

// Q5_1 (24 bytes: f16 d, f16 m, u32 qh, 16 nibble bytes): Q5_0's 5-bit values without the −16,
// times d, plus m.
fn unit_q5_1(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + u * 24u;
  let qh = qword(b + 4u);
  var s = 0.0;
  var sx = 0.0;
  for (var t = 0u; t < 4u; t++) {
    let w = qword(b + 8u + 4u * t);
    let j = 4u * t;
    let hl = vec4<f32>(f32(extractBits(qh, j, 1u)), f32(extractBits(qh, j + 1u, 1u)), f32(extractBits(qh, j + 2u, 1u)), f32(extractBits(qh, j + 3u, 1u)));
    let hh = vec4<f32>(f32(extractBits(qh, j + 16u, 1u)), f32(extractBits(qh, j + 17u, 1u)), f32(extractBits(qh, j + 18u, 1u)), f32(extractBits(qh, j + 19u, 1u)));
    let xl = xs4(xo + j);
    let xh = xs4(xo + 16u + j);
    s += dot(lo4(w) + 16.0 * hl, xl) + dot(hi4(w) + 16.0 * hh, xh);
    sx += dot(xl + xh, vec4<f32>(1.0));
  }
  return qhalf(b) * s + qhalf(b + 2u) * sx;
}

/** IQ4_NL's 16 non-linear levels (kvalues_iq4nl). */
var<private> iq4nl_values: array<f32, 16> = array<f32, 16>(-127.0, -104.0, -83.0, -65.0, -49.0, -35.0, -22.0, -10.0, 1.0, 13.0, 25.0, 38.0, 53.0, 69.0, 89.0, 113.0);

/** The levels of the 4 nibbles at bit `sh` (0: low, 4: high) of the 4 bytes of a word. */
fn iq4nl4(w: u32, sh: u32) -> vec4<f32> {
  return vec4<f32>(iq4nl_values[extractBits(w, sh, 4u)], iq4nl_values[extractBits(w, 8u + sh, 4u)], iq4nl_values[extractBits(w, 16u + sh, 4u)], iq4nl_values[extractBits(w, 24u + sh, 4u)]);
}

// IQ4_NL (18 bytes, Q4_0's layout: f16 d, 16 nibble bytes): value d·kvalues_iq4nl[nibble].
fn unit_iq4_nl(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + u * 18u;
  var s = 0.0;
  for (var t = 0u; t < 4u; t++) {
    let w = qword(b + 2u + 4u * t);
    s += dot(iq4nl4(w, 0u), xs4(xo + 4u * t)) + dot(iq4nl4(w, 4u), xs4(xo + 16u + 4u * t));
  }
  return qhalf(b) * s;
}

// IQ4_XS (136 bytes: f16 d, u16 scales_h, scales_l[4], 128 nibble bytes; blocks and sub-blocks
// start at multiples of 4). Unit u = super-block u/8, sub-block j = u%8: IQ4_NL's layout in
// qs[16j …], scale dl = d·(ls − 32) with ls = nibble j%2 of scales_l[j/2] | bits 2j of scales_h << 4.
fn unit_iq4_xs(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + (u >> 3u) * 136u;
  let j = u & 7u;
  let ls = ((qbyte(b + 4u + (j >> 1u)) >> (4u * (j & 1u))) & 0xfu) | (((qbyte(b + 2u + (j >> 2u)) >> (2u * (j & 3u))) & 3u) << 4u);
  let q = b + 8u + 16u * j;
  var s = 0.0;
  for (var t = 0u; t < 4u; t++) {
    let w = qword(q + 4u * t);
    s += dot(iq4nl4(w, 0u), xs4(xo + 4u * t)) + dot(iq4nl4(w, 4u), xs4(xo + 16u + 4u * t));
  }
  return qhalf(b) * f32(i32(ls) - 32) * s;
}

/** The 4 grid values of word g (byte i = value i) with the signs of the 4 bits s4 (bit i set: −). */
fn grid_signed4(g: u32, s4: u32) -> vec4<f32> {
  let v = vec4<f32>(f32(extractBits(g, 0u, 8u)), f32(extractBits(g, 8u, 8u)), f32(extractBits(g, 16u, 8u)), f32(extractBits(g, 24u, 8u)));
  let sg = vec4<f32>(f32(extractBits(s4, 0u, 1u)), f32(extractBits(s4, 1u, 1u)), f32(extractBits(s4, 2u, 1u)), f32(extractBits(s4, 3u, 1u)));
  return v * (vec4<f32>(1.0) - 2.0 * sg);
}

// IQ3_XXS (98 bytes: f16 d, qs[64] grid indices, 8 u32 scales_and_signs; blocks start at 0 or 2 mod 4).
// Unit u = super-block u/8, sub-block j = u%8 with aux = its u32: db = d·(0.5 + aux>>28)·0.5; values
// 4k … 4k + 3 (k = 0..7) are iq3xxs_grid[qs[8j + k]], signs bits 4(k%2) … of ksigns(aux >> 7(k/2)),
// ksigns(s7) = s7 | parity(s7) << 7 (ksigns_iq2xs).
fn unit_iq3_xxs(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + (u >> 3u) * 98u;
  let j = u & 7u;
  let aux = qword(b + 66u + 4u * j);
  let qa = qword(b + 2u + 8u * j);
  let qb = qword(b + 6u + 8u * j);
  var s = 0.0;
  for (var k = 0u; k < 8u; k++) {
    let s7 = extractBits(aux, 7u * (k >> 1u), 7u);
    let signs = s7 | ((countOneBits(s7) & 1u) << 7u);
    let idx = extractBits(select(qa, qb, k >= 4u), 8u * (k & 3u), 8u);
    s += dot(grid_signed4(iq3xxs_grid[idx], extractBits(signs, 4u * (k & 1u), 4u)), xs4(xo + 4u * k));
  }
  return qhalf(b) * (f32(aux >> 28u) + 0.5) * 0.5 * s;
}

// IQ3_S (110 bytes: f16 d, qs[64], qh[8], signs[32], scales[4]; blocks start at 0 or 2 mod 4). Unit u =
// super-block u/8, sub-block j = u%8: db = d·(1 + 2·(nibble j%2 of scales[j/2])); values 4k … 4k + 3
// are iq3s_grid[qs[8j + k] | (bit k of qh[j]) << 8], value v negative when bit v of the 32 sign bits
// at signs[4j] is set.
fn unit_iq3_s(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + (u >> 3u) * 110u;
  let j = u & 7u;
  let db = qhalf(b) * f32(1u + 2u * ((qbyte(b + 106u + (j >> 1u)) >> (4u * (j & 1u))) & 0xfu));
  let qh = qbyte(b + 66u + j);
  let sg = qword(b + 74u + 4u * j);
  let qa = qword(b + 2u + 8u * j);
  let qb = qword(b + 6u + 8u * j);
  var s = 0.0;
  for (var k = 0u; k < 8u; k++) {
    let idx = extractBits(select(qa, qb, k >= 4u), 8u * (k & 3u), 8u) | (((qh >> k) & 1u) << 8u);
    s += dot(grid_signed4(iq3s_grid[idx], extractBits(sg, 4u * k, 4u)), xs4(xo + 4u * k));
  }
  return db * s;
}

// IQ2_S (82 bytes: f16 d, qs[32], signs[32], qh[8], scales[8]; blocks start at 0 or 2 mod 4). Unit
// u = super-block u/8, sub-block j = u%8: groups l = 0..3 of 8 values are iq2s_grid[qs[4j + l] | (bits
// 2l, 2l + 1 of qh[j]) << 8] (two words: values 0..3, 4..7), value i negative when bit i of signs[4j + l]
// is set; values 0..15 scaled by d·(0.5 + low nibble of scales[j])·0.25, 16..31 by the high nibble's.
fn unit_iq2_s(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + (u >> 3u) * 82u;
  let j = u & 7u;
  let sc = qbyte(b + 74u + j);
  let qh = qbyte(b + 66u + j);
  let qs = qword(b + 2u + 4u * j);
  let sg = qword(b + 34u + 4u * j);
  var s0 = 0.0;
  var s1 = 0.0;
  for (var l = 0u; l < 4u; l++) {
    let idx = extractBits(qs, 8u * l, 8u) | (((qh >> (2u * l)) & 3u) << 8u);
    let signs = extractBits(sg, 8u * l, 8u);
    let p = dot(grid_signed4(iq2s_grid[2u * idx], signs & 15u), xs4(xo + 8u * l)) + dot(grid_signed4(iq2s_grid[2u * idx + 1u], signs >> 4u), xs4(xo + 8u * l + 4u));
    if (l < 2u) { s0 += p; } else { s1 += p; }
  }
  let d = qhalf(b);
  return d * (f32(sc & 15u) + 0.5) * 0.25 * s0 + d * (f32(sc >> 4u) + 0.5) * 0.25 * s1;
}

/** llama.cpp get_scale_min_k4 for sub-block j of the 12 scale bytes at s: (scale, min). */
fn scale_min_k4(s: u32, j: u32) -> vec2<f32> {
  if (j < 4u) { return vec2<f32>(f32(qbyte(s + j) & 63u), f32(qbyte(s + j + 4u) & 63u)); }
  let sc = (qbyte(s + j + 4u) & 0xfu) | ((qbyte(s + j - 4u) >> 6u) << 4u);
  let m = (qbyte(s + j + 4u) >> 4u) | ((qbyte(s + j) >> 6u) << 4u);
  return vec2<f32>(f32(sc), f32(m));
}

// Unit u = super-block u/8, sub-block j = u%8: 32 nibbles (low nibbles for even j, high for odd)
// of qs[32·(j/2) …], value d·sc·q − dmin·m.
fn unit_q4_k(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + (u >> 3u) * 144u;
  let j = u & 7u;
  let sm = scale_min_k4(b + 4u, j);
  let q = b + 16u + 32u * (j >> 1u);
  var s = 0.0;
  var sx = 0.0;
  for (var t = 0u; t < 8u; t++) {
    let w = qword(q + 4u * t);
    let xv = xs4(xo + 4u * t);
    s += dot(select(lo4(w), hi4(w), (j & 1u) == 1u), xv);
    sx += xv.x + xv.y + xv.z + xv.w;
  }
  return qhalf(b) * sm.x * s - qhalf(b + 2u) * sm.y * sx;
}

// Unit u = super-block u/8, half h = (u/4)%2, quarter g = u%4: elements 128h + 32g + l (l < 32).
// Low 4 bits from ql[64h + l + 32·(g&1)] (low nibble for g < 2, high for g ≥ 2), high 2 bits from
// qh[32h + l] >> 2g, minus 32; scale sc[8h + l/16 + 2g] (int8) times d.
fn unit_q6_k(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + (u >> 3u) * 210u;
  let h = (u >> 2u) & 1u;
  let g = u & 3u;
  let ql = b + 64u * h + 32u * (g & 1u);
  let qh = b + 128u + 32u * h;
  let d = qhalf(b + 208u);
  var s = 0.0;
  for (var hf = 0u; hf < 2u; hf++) {
    let sc = f32(extractBits(bitcast<i32>(qbyte(b + 192u + 8u * h + hf + 2u * g)), 0u, 8u));
    var part = 0.0;
    for (var t = 0u; t < 4u; t++) {
      let l = 16u * hf + 4u * t;
      let lw = qword(ql + l);
      let hw = qword(qh + l);
      let low = select(lo4(lw), hi4(lw), g >= 2u);
      let hb = vec4<f32>(f32(extractBits(hw, 2u * g, 2u)), f32(extractBits(hw, 8u + 2u * g, 2u)), f32(extractBits(hw, 16u + 2u * g, 2u)), f32(extractBits(hw, 24u + 2u * g, 2u)));
      part += dot(low + 16.0 * hb - vec4<f32>(32.0), xs4(xo + l));
    }
    s += d * sc * part;
  }
  return s;
}

// Q5_K (176 bytes): Q4_K's d, dmin and scales, qh[32] at 16, the nibbles at 48. Unit u = super-block
// u/8, sub-block j = u%8 as in Q4_K; element l's 5th bit is bit j of qh[l].
fn unit_q5_k(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + (u >> 3u) * 176u;
  let j = u & 7u;
  let sm = scale_min_k4(b + 4u, j);
  let q = b + 48u + 32u * (j >> 1u);
  var s = 0.0;
  var sx = 0.0;
  for (var t = 0u; t < 8u; t++) {
    let w = qword(q + 4u * t);
    let hw = qword(b + 16u + 4u * t);
    let hb = vec4<f32>(f32(extractBits(hw, j, 1u)), f32(extractBits(hw, 8u + j, 1u)), f32(extractBits(hw, 16u + j, 1u)), f32(extractBits(hw, 24u + j, 1u)));
    let xv = xs4(xo + 4u * t);
    s += dot(select(lo4(w), hi4(w), (j & 1u) == 1u) + 16.0 * hb, xv);
    sx += xv.x + xv.y + xv.z + xv.w;
  }
  return qhalf(b) * sm.x * s - qhalf(b + 2u) * sm.y * sx;
}

/** The 2-bit fields at bit `sh` of the 4 bytes of a word as floats (0..3). */
fn bits2(w: u32, sh: u32) -> vec4<f32> {
  return vec4<f32>(f32(extractBits(w, sh, 2u)), f32(extractBits(w, 8u + sh, 2u)), f32(extractBits(w, 16u + sh, 2u)), f32(extractBits(w, 24u + sh, 2u)));
}

/** Q3_K's scale i (0..15): 4 low bits from byte i%8 (high nibble from i = 8), 2 high bits from byte 8 + i%4, minus 32. */
fn q3k_scale(s: u32, i: u32) -> f32 {
  let low = (qbyte(s + (i & 7u)) >> (4u * (i >> 3u))) & 0xfu;
  let high = (qbyte(s + 8u + (i & 3u)) >> (2u * (i >> 2u))) & 3u;
  return f32(i32(low | (high << 4u)) - 32);
}

// Q3_K (110 bytes: hmask[32], qs[64], 12 scale bytes, f16 d; a block may start at an odd half-word).
// Unit u = super-block u/8, half n = (u/4)%2, shift j = u%4: element l < 32 is
// ((qs[32n + l] >> 2j) & 3) + 4·(bit 4n + j of hmask[l]) − 4, scale 8n + 2j + l/16, times d.
fn unit_q3_k(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + (u >> 3u) * 110u;
  let n = (u >> 2u) & 1u;
  let j = u & 3u;
  let qs = b + 32u + 32u * n;
  let hbit = 4u * n + j;
  var s = 0.0;
  for (var hf = 0u; hf < 2u; hf++) {
    var part = 0.0;
    for (var t = 0u; t < 4u; t++) {
      let l = 16u * hf + 4u * t;
      let hw = qword(b + l);
      let hb = vec4<f32>(f32(extractBits(hw, hbit, 1u)), f32(extractBits(hw, 8u + hbit, 1u)), f32(extractBits(hw, 16u + hbit, 1u)), f32(extractBits(hw, 24u + hbit, 1u)));
      part += dot(bits2(qword(qs + l), 2u * j) + 4.0 * hb - vec4<f32>(4.0), xs4(xo + l));
    }
    s += q3k_scale(b + 96u, 8u * n + 2u * j + hf) * part;
  }
  return qhalf(b + 108u) * s;
}

// Q2_K (84 bytes: 16 scale bytes — scale low nibble, min high nibble —, qs[64], f16 d, f16 dmin).
// Unit u = super-block u/8, half n = (u/4)%2, shift j = u%4: element l < 32 is
// d·sc·((qs[32n + l] >> 2j) & 3) − dmin·m with (sc, m) from byte 8n + 2j + l/16.
fn unit_q2_k(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + (u >> 3u) * 84u;
  let n = (u >> 2u) & 1u;
  let j = u & 3u;
  let qs = b + 16u + 32u * n;
  var s = 0.0;
  var mn = 0.0;
  for (var hf = 0u; hf < 2u; hf++) {
    let sc = qbyte(b + 8u * n + 2u * j + hf);
    var part = 0.0;
    var sx = 0.0;
    for (var t = 0u; t < 4u; t++) {
      let l = 16u * hf + 4u * t;
      let xv = xs4(xo + l);
      part += dot(bits2(qword(qs + l), 2u * j), xv);
      sx += xv.x + xv.y + xv.z + xv.w;
    }
    s += f32(sc & 0xfu) * part;
    mn += f32(sc >> 4u) * sx;
  }
  return qhalf(b + 80u) * s - qhalf(b + 82u) * mn;
}

// ---- entry points ------------------------------------------------------------------------------

/** Sum each output's `lanes` partials and write out[g] (all threads reach the barriers: the loop bound is uniform). */
fn q_reduce(li: u32, g: u32, partial: f32) {
  q_part[li] = partial;
  workgroupBarrier();
  let lane = li & (qp.lanes - 1u);
  for (var s = qp.lanes >> 1u; s > 0u; s >>= 1u) {
    if (lane < s) { q_part[li] += q_part[li + s]; }
    workgroupBarrier();
  }
  if (lane == 0u && g < qp.m * qp.n) { q_out[g] = q_part[li]; }
}

/** (g, row, token, lane) of this thread. */
fn q_task(wg: vec3<u32>, li: u32) -> vec4<u32> {
  let g = (wg.x + wg.y * qp.grid_x) * (64u / qp.lanes) + li / qp.lanes;
  return vec4<u32>(g, g % qp.m, g / qp.m, li & (qp.lanes - 1u));
}

@compute @workgroup_size(64)
fn matmul_q8_0(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_q8_0(t.y * units * 34u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_q4_0(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_q4_0(t.y * units * 18u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_q4_k(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_q4_k(t.y * (qp.k / 256u) * 144u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_q6_k(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    // x offset of unit u: super-block u/8 · 256 + half · 128 + quarter · 32 = u · 32 as well.
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_q6_k(t.y * (qp.k / 256u) * 210u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_q5_0(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_q5_0(t.y * units * 22u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_q5_k(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_q5_k(t.y * (qp.k / 256u) * 176u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_q3_k(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    // x offset of unit u: super-block u/8 · 256 + half · 128 + shift · 32 = u · 32 (as Q6_K).
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_q3_k(t.y * (qp.k / 256u) * 110u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_q2_k(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_q2_k(t.y * (qp.k / 256u) * 84u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_q4_1(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_q4_1(t.y * units * 20u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_q5_1(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_q5_1(t.y * units * 24u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_iq4_nl(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_iq4_nl(t.y * units * 18u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_iq4_xs(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_iq4_xs(t.y * (qp.k / 256u) * 136u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_iq3_xxs(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_iq3_xxs(t.y * (qp.k / 256u) * 98u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_iq3_s(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_iq3_s(t.y * (qp.k / 256u) * 110u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_iq2_s(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_iq2_s(t.y * (qp.k / 256u) * 82u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

// BEGIN GENERATED IQ GRIDS (scripts/gen-iq-grids.py, from gguf-py: ggml-common.h iq3xxs_grid, iq3s_grid)
const iq3xxs_grid = array<u32, 256>(
  0x04040404, 0x04040414, 0x04040424, 0x04040c0c, 0x04040c1c, 0x04040c3e, 0x04041404, 0x04041414,
  0x04041c0c, 0x04042414, 0x04043e1c, 0x04043e2c, 0x040c040c, 0x040c041c, 0x040c0c04, 0x040c0c14,
  0x040c140c, 0x040c142c, 0x040c1c04, 0x040c1c14, 0x040c240c, 0x040c2c24, 0x040c3e04, 0x04140404,
  0x04140414, 0x04140424, 0x04140c0c, 0x04141404, 0x04141414, 0x04141c0c, 0x04141c1c, 0x04141c3e,
  0x04142c0c, 0x04142c3e, 0x04143e2c, 0x041c040c, 0x041c043e, 0x041c0c04, 0x041c0c14, 0x041c142c,
  0x041c3e04, 0x04240c1c, 0x04241c3e, 0x04242424, 0x04242c3e, 0x04243e1c, 0x04243e2c, 0x042c040c,
  0x042c043e, 0x042c1c14, 0x042c2c14, 0x04341c2c, 0x04343424, 0x043e0c04, 0x043e0c24, 0x043e0c34,
  0x043e241c, 0x043e340c, 0x0c04040c, 0x0c04041c, 0x0c040c04, 0x0c040c14, 0x0c04140c, 0x0c04141c,
  0x0c041c04, 0x0c041c14, 0x0c041c24, 0x0c04243e, 0x0c042c04, 0x0c0c0404, 0x0c0c0414, 0x0c0c0c0c,
  0x0c0c1404, 0x0c0c1414, 0x0c14040c, 0x0c14041c, 0x0c140c04, 0x0c140c14, 0x0c14140c, 0x0c141c04,
  0x0c143e14, 0x0c1c0404, 0x0c1c0414, 0x0c1c1404, 0x0c1c1c0c, 0x0c1c2434, 0x0c1c3434, 0x0c24040c,
  0x0c24042c, 0x0c242c04, 0x0c2c1404, 0x0c2c1424, 0x0c2c2434, 0x0c2c3e0c, 0x0c34042c, 0x0c3e1414,
  0x0c3e2404, 0x14040404, 0x14040414, 0x14040c0c, 0x14040c1c, 0x14041404, 0x14041414, 0x14041434,
  0x14041c0c, 0x14042414, 0x140c040c, 0x140c041c, 0x140c042c, 0x140c0c04, 0x140c0c14, 0x140c140c,
  0x140c1c04, 0x140c341c, 0x140c343e, 0x140c3e04, 0x14140404, 0x14140414, 0x14140c0c, 0x14140c3e,
  0x14141404, 0x14141414, 0x14141c3e, 0x14142404, 0x14142c2c, 0x141c040c, 0x141c0c04, 0x141c0c24,
  0x141c3e04, 0x141c3e24, 0x14241c2c, 0x14242c1c, 0x142c041c, 0x142c143e, 0x142c240c, 0x142c3e24,
  0x143e040c, 0x143e041c, 0x143e0c34, 0x143e242c, 0x1c04040c, 0x1c040c04, 0x1c040c14, 0x1c04140c,
  0x1c04141c, 0x1c042c04, 0x1c04342c, 0x1c043e14, 0x1c0c0404, 0x1c0c0414, 0x1c0c1404, 0x1c0c1c0c,
  0x1c0c2424, 0x1c0c2434, 0x1c14040c, 0x1c14041c, 0x1c140c04, 0x1c14142c, 0x1c142c14, 0x1c143e14,
  0x1c1c0c0c, 0x1c1c1c1c, 0x1c241c04, 0x1c24243e, 0x1c243e14, 0x1c2c0404, 0x1c2c0434, 0x1c2c1414,
  0x1c2c2c2c, 0x1c340c24, 0x1c341c34, 0x1c34341c, 0x1c3e1c1c, 0x1c3e3404, 0x24040424, 0x24040c3e,
  0x24041c2c, 0x24041c3e, 0x24042c1c, 0x24042c3e, 0x240c3e24, 0x24141404, 0x24141c3e, 0x24142404,
  0x24143404, 0x24143434, 0x241c043e, 0x241c242c, 0x24240424, 0x24242c0c, 0x24243424, 0x242c142c,
  0x242c241c, 0x242c3e04, 0x243e042c, 0x243e0c04, 0x243e0c14, 0x243e1c04, 0x2c040c14, 0x2c04240c,
  0x2c043e04, 0x2c0c0404, 0x2c0c0434, 0x2c0c1434, 0x2c0c2c2c, 0x2c140c24, 0x2c141c14, 0x2c143e14,
  0x2c1c0414, 0x2c1c2c1c, 0x2c240c04, 0x2c24141c, 0x2c24143e, 0x2c243e14, 0x2c2c0414, 0x2c2c1c0c,
  0x2c342c04, 0x2c3e1424, 0x2c3e2414, 0x34041424, 0x34042424, 0x34042434, 0x34043424, 0x340c140c,
  0x340c340c, 0x34140c3e, 0x34143424, 0x341c1c04, 0x341c1c34, 0x34242424, 0x342c042c, 0x342c2c14,
  0x34341c1c, 0x343e041c, 0x343e140c, 0x3e04041c, 0x3e04042c, 0x3e04043e, 0x3e040c04, 0x3e041c14,
  0x3e042c14, 0x3e0c1434, 0x3e0c2404, 0x3e140c14, 0x3e14242c, 0x3e142c14, 0x3e1c0404, 0x3e1c0c2c,
  0x3e1c1c1c, 0x3e1c3404, 0x3e24140c, 0x3e24240c, 0x3e2c0404, 0x3e2c0414, 0x3e2c1424, 0x3e341c04);
const iq3s_grid = array<u32, 512>(
  0x01010101, 0x01010103, 0x01010105, 0x0101010b, 0x0101010f, 0x01010301, 0x01010303, 0x01010305,
  0x01010309, 0x0101030d, 0x01010501, 0x01010503, 0x0101050b, 0x01010707, 0x01010901, 0x01010905,
  0x0101090b, 0x0101090f, 0x01010b03, 0x01010b07, 0x01010d01, 0x01010d05, 0x01010f03, 0x01010f09,
  0x01010f0f, 0x01030101, 0x01030103, 0x01030105, 0x01030109, 0x01030301, 0x01030303, 0x0103030b,
  0x01030501, 0x01030507, 0x0103050f, 0x01030703, 0x0103070b, 0x01030909, 0x01030d03, 0x01030d0b,
  0x01030f05, 0x01050101, 0x01050103, 0x0105010b, 0x0105010f, 0x01050301, 0x01050307, 0x0105030d,
  0x01050503, 0x0105050b, 0x01050701, 0x01050709, 0x01050905, 0x0105090b, 0x0105090f, 0x01050b03,
  0x01050b07, 0x01050f01, 0x01050f07, 0x01070107, 0x01070303, 0x0107030b, 0x01070501, 0x01070505,
  0x01070703, 0x01070707, 0x0107070d, 0x01070909, 0x01070b01, 0x01070b05, 0x01070d0f, 0x01070f03,
  0x01070f0b, 0x01090101, 0x01090307, 0x0109030f, 0x01090503, 0x01090509, 0x01090705, 0x01090901,
  0x01090907, 0x01090b03, 0x01090f01, 0x010b0105, 0x010b0109, 0x010b0501, 0x010b0505, 0x010b050d,
  0x010b0707, 0x010b0903, 0x010b090b, 0x010b090f, 0x010b0d0d, 0x010b0f07, 0x010d010d, 0x010d0303,
  0x010d0307, 0x010d0703, 0x010d0b05, 0x010d0f03, 0x010f0101, 0x010f0105, 0x010f0109, 0x010f0501,
  0x010f0505, 0x010f050d, 0x010f0707, 0x010f0b01, 0x010f0b09, 0x03010101, 0x03010103, 0x03010105,
  0x03010109, 0x03010301, 0x03010303, 0x03010307, 0x0301030b, 0x0301030f, 0x03010501, 0x03010505,
  0x03010703, 0x03010709, 0x0301070d, 0x03010b09, 0x03010b0d, 0x03010d03, 0x03010f05, 0x03030101,
  0x03030103, 0x03030107, 0x0303010d, 0x03030301, 0x03030309, 0x03030503, 0x03030701, 0x03030707,
  0x03030903, 0x03030b01, 0x03030b05, 0x03030f01, 0x03030f0d, 0x03050101, 0x03050305, 0x0305030b,
  0x0305030f, 0x03050501, 0x03050509, 0x03050705, 0x03050901, 0x03050907, 0x03050b0b, 0x03050d01,
  0x03050f05, 0x03070103, 0x03070109, 0x0307010f, 0x03070301, 0x03070307, 0x03070503, 0x0307050f,
  0x03070701, 0x03070709, 0x03070903, 0x03070d05, 0x03070f01, 0x03090107, 0x0309010b, 0x03090305,
  0x03090309, 0x03090703, 0x03090707, 0x03090905, 0x0309090d, 0x03090b01, 0x03090b09, 0x030b0103,
  0x030b0301, 0x030b0307, 0x030b0503, 0x030b0701, 0x030b0705, 0x030b0b03, 0x030d0501, 0x030d0509,
  0x030d050f, 0x030d0909, 0x030d090d, 0x030f0103, 0x030f0107, 0x030f0301, 0x030f0305, 0x030f0503,
  0x030f070b, 0x030f0903, 0x030f0d05, 0x030f0f01, 0x05010101, 0x05010103, 0x05010107, 0x0501010b,
  0x0501010f, 0x05010301, 0x05010305, 0x05010309, 0x0501030d, 0x05010503, 0x05010507, 0x0501050f,
  0x05010701, 0x05010705, 0x05010903, 0x05010907, 0x0501090b, 0x05010b01, 0x05010b05, 0x05010d0f,
  0x05010f01, 0x05010f07, 0x05010f0b, 0x05030101, 0x05030105, 0x05030301, 0x05030307, 0x0503030f,
  0x05030505, 0x0503050b, 0x05030703, 0x05030709, 0x05030905, 0x05030b03, 0x05050103, 0x05050109,
  0x0505010f, 0x05050503, 0x05050507, 0x05050701, 0x0505070f, 0x05050903, 0x05050b07, 0x05050b0f,
  0x05050f03, 0x05050f09, 0x05070101, 0x05070105, 0x0507010b, 0x05070303, 0x05070505, 0x05070509,
  0x05070703, 0x05070707, 0x05070905, 0x05070b01, 0x05070d0d, 0x05090103, 0x0509010f, 0x05090501,
  0x05090507, 0x05090705, 0x0509070b, 0x05090903, 0x05090f05, 0x05090f0b, 0x050b0109, 0x050b0303,
  0x050b0505, 0x050b070f, 0x050b0901, 0x050b0b07, 0x050b0f01, 0x050d0101, 0x050d0105, 0x050d010f,
  0x050d0503, 0x050d0b0b, 0x050d0d03, 0x050f010b, 0x050f0303, 0x050f050d, 0x050f0701, 0x050f0907,
  0x050f0b01, 0x07010105, 0x07010303, 0x07010307, 0x0701030b, 0x0701030f, 0x07010505, 0x07010703,
  0x07010707, 0x0701070b, 0x07010905, 0x07010909, 0x0701090f, 0x07010b03, 0x07010d07, 0x07010f03,
  0x07030103, 0x07030107, 0x0703010b, 0x07030309, 0x07030503, 0x07030507, 0x07030901, 0x07030d01,
  0x07030f05, 0x07030f0d, 0x07050101, 0x07050305, 0x07050501, 0x07050705, 0x07050709, 0x07050b01,
  0x07070103, 0x07070301, 0x07070309, 0x07070503, 0x07070507, 0x0707050f, 0x07070701, 0x07070903,
  0x07070907, 0x0707090f, 0x07070b0b, 0x07070f07, 0x07090107, 0x07090303, 0x0709030d, 0x07090505,
  0x07090703, 0x07090b05, 0x07090d01, 0x07090d09, 0x070b0103, 0x070b0301, 0x070b0305, 0x070b050b,
  0x070b0705, 0x070b0909, 0x070b0b0d, 0x070b0f07, 0x070d030d, 0x070d0903, 0x070f0103, 0x070f0107,
  0x070f0501, 0x070f0505, 0x070f070b, 0x09010101, 0x09010109, 0x09010305, 0x09010501, 0x09010509,
  0x0901050f, 0x09010705, 0x09010903, 0x09010b01, 0x09010f01, 0x09030105, 0x0903010f, 0x09030303,
  0x09030307, 0x09030505, 0x09030701, 0x0903070b, 0x09030907, 0x09030b03, 0x09030b0b, 0x09050103,
  0x09050107, 0x09050301, 0x0905030b, 0x09050503, 0x09050707, 0x09050901, 0x09050b0f, 0x09050d05,
  0x09050f01, 0x09070109, 0x09070303, 0x09070307, 0x09070501, 0x09070505, 0x09070703, 0x0907070b,
  0x09090101, 0x09090105, 0x09090509, 0x0909070f, 0x09090901, 0x09090f03, 0x090b010b, 0x090b010f,
  0x090b0503, 0x090b0d05, 0x090d0307, 0x090d0709, 0x090d0d01, 0x090f0301, 0x090f030b, 0x090f0701,
  0x090f0907, 0x090f0b03, 0x0b010105, 0x0b010301, 0x0b010309, 0x0b010505, 0x0b010901, 0x0b010909,
  0x0b01090f, 0x0b010b05, 0x0b010d0d, 0x0b010f09, 0x0b030103, 0x0b030107, 0x0b03010b, 0x0b030305,
  0x0b030503, 0x0b030705, 0x0b030f05, 0x0b050101, 0x0b050303, 0x0b050507, 0x0b050701, 0x0b05070d,
  0x0b050b07, 0x0b070105, 0x0b07010f, 0x0b070301, 0x0b07050f, 0x0b070909, 0x0b070b03, 0x0b070d0b,
  0x0b070f07, 0x0b090103, 0x0b090109, 0x0b090501, 0x0b090705, 0x0b09090d, 0x0b0b0305, 0x0b0b050d,
  0x0b0b0b03, 0x0b0b0b07, 0x0b0d0905, 0x0b0f0105, 0x0b0f0109, 0x0b0f0505, 0x0d010303, 0x0d010307,
  0x0d01030b, 0x0d010703, 0x0d010707, 0x0d010d01, 0x0d030101, 0x0d030501, 0x0d03050f, 0x0d030d09,
  0x0d050305, 0x0d050709, 0x0d050905, 0x0d050b0b, 0x0d050d05, 0x0d050f01, 0x0d070101, 0x0d070309,
  0x0d070503, 0x0d070901, 0x0d09050b, 0x0d090907, 0x0d090d05, 0x0d0b0101, 0x0d0b0107, 0x0d0b0709,
  0x0d0b0d01, 0x0d0d010b, 0x0d0d0901, 0x0d0f0303, 0x0d0f0307, 0x0f010101, 0x0f010109, 0x0f01010f,
  0x0f010501, 0x0f010505, 0x0f01070d, 0x0f010901, 0x0f010b09, 0x0f010d05, 0x0f030105, 0x0f030303,
  0x0f030509, 0x0f030907, 0x0f03090b, 0x0f050103, 0x0f050109, 0x0f050301, 0x0f05030d, 0x0f050503,
  0x0f050701, 0x0f050b03, 0x0f070105, 0x0f070705, 0x0f07070b, 0x0f070b07, 0x0f090103, 0x0f09010b,
  0x0f090307, 0x0f090501, 0x0f090b01, 0x0f0b0505, 0x0f0b0905, 0x0f0d0105, 0x0f0d0703, 0x0f0f0101);
const iq2s_grid = array<u32, 2048>(
  0x08080808, 0x08080808, 0x0808082b, 0x08080808, 0x08081919, 0x08080808, 0x08082b08, 0x08080808,
  0x08082b2b, 0x08080808, 0x08190819, 0x08080808, 0x08191908, 0x08080808, 0x0819192b, 0x08080808,
  0x08192b19, 0x08080808, 0x082b0808, 0x08080808, 0x082b082b, 0x08080808, 0x082b1919, 0x08080808,
  0x082b2b08, 0x08080808, 0x19080819, 0x08080808, 0x19081908, 0x08080808, 0x1908192b, 0x08080808,
  0x19082b19, 0x08080808, 0x19190808, 0x08080808, 0x1919082b, 0x08080808, 0x19191919, 0x08080808,
  0x19192b08, 0x08080808, 0x192b0819, 0x08080808, 0x192b1908, 0x08080808, 0x192b192b, 0x08080808,
  0x192b2b19, 0x08080808, 0x2b080808, 0x08080808, 0x2b08082b, 0x08080808, 0x2b081919, 0x08080808,
  0x2b082b08, 0x08080808, 0x2b190819, 0x08080808, 0x2b191908, 0x08080808, 0x2b2b0808, 0x08080808,
  0x2b2b1919, 0x08080808, 0x2b2b2b2b, 0x08080808, 0x08080819, 0x08080819, 0x08081908, 0x08080819,
  0x0808192b, 0x08080819, 0x08082b19, 0x08080819, 0x08190808, 0x08080819, 0x0819082b, 0x08080819,
  0x08191919, 0x08080819, 0x08192b08, 0x08080819, 0x082b0819, 0x08080819, 0x082b1908, 0x08080819,
  0x19080808, 0x08080819, 0x1908082b, 0x08080819, 0x19081919, 0x08080819, 0x19082b08, 0x08080819,
  0x19190819, 0x08080819, 0x19191908, 0x08080819, 0x1919192b, 0x08080819, 0x19192b19, 0x08080819,
  0x192b0808, 0x08080819, 0x192b1919, 0x08080819, 0x192b2b08, 0x08080819, 0x2b080819, 0x08080819,
  0x2b081908, 0x08080819, 0x2b190808, 0x08080819, 0x2b19082b, 0x08080819, 0x2b191919, 0x08080819,
  0x2b2b0819, 0x08080819, 0x2b2b1908, 0x08080819, 0x08080808, 0x0808082b, 0x0808082b, 0x0808082b,
  0x08081919, 0x0808082b, 0x08082b08, 0x0808082b, 0x08190819, 0x0808082b, 0x08191908, 0x0808082b,
  0x082b0808, 0x0808082b, 0x082b2b2b, 0x0808082b, 0x19080819, 0x0808082b, 0x19081908, 0x0808082b,
  0x1908192b, 0x0808082b, 0x19082b19, 0x0808082b, 0x19190808, 0x0808082b, 0x19191919, 0x0808082b,
  0x2b080808, 0x0808082b, 0x2b081919, 0x0808082b, 0x2b082b2b, 0x0808082b, 0x2b191908, 0x0808082b,
  0x2b2b082b, 0x0808082b, 0x08080819, 0x08081908, 0x08081908, 0x08081908, 0x0808192b, 0x08081908,
  0x08082b19, 0x08081908, 0x08190808, 0x08081908, 0x0819082b, 0x08081908, 0x08191919, 0x08081908,
  0x08192b08, 0x08081908, 0x082b0819, 0x08081908, 0x082b1908, 0x08081908, 0x082b192b, 0x08081908,
  0x082b2b19, 0x08081908, 0x19080808, 0x08081908, 0x1908082b, 0x08081908, 0x19081919, 0x08081908,
  0x19082b08, 0x08081908, 0x19082b2b, 0x08081908, 0x19190819, 0x08081908, 0x19191908, 0x08081908,
  0x1919192b, 0x08081908, 0x19192b19, 0x08081908, 0x192b0808, 0x08081908, 0x192b082b, 0x08081908,
  0x192b1919, 0x08081908, 0x2b080819, 0x08081908, 0x2b081908, 0x08081908, 0x2b08192b, 0x08081908,
  0x2b082b19, 0x08081908, 0x2b190808, 0x08081908, 0x2b191919, 0x08081908, 0x2b192b08, 0x08081908,
  0x2b2b0819, 0x08081908, 0x2b2b1908, 0x08081908, 0x08080808, 0x08081919, 0x0808082b, 0x08081919,
  0x08081919, 0x08081919, 0x08082b08, 0x08081919, 0x08082b2b, 0x08081919, 0x08190819, 0x08081919,
  0x08191908, 0x08081919, 0x0819192b, 0x08081919, 0x08192b19, 0x08081919, 0x082b0808, 0x08081919,
  0x082b1919, 0x08081919, 0x082b2b08, 0x08081919, 0x19080819, 0x08081919, 0x19081908, 0x08081919,
  0x1908192b, 0x08081919, 0x19082b19, 0x08081919, 0x19190808, 0x08081919, 0x1919082b, 0x08081919,
  0x19191919, 0x08081919, 0x19192b08, 0x08081919, 0x192b0819, 0x08081919, 0x192b1908, 0x08081919,
  0x2b080808, 0x08081919, 0x2b08082b, 0x08081919, 0x2b081919, 0x08081919, 0x2b082b08, 0x08081919,
  0x2b190819, 0x08081919, 0x2b191908, 0x08081919, 0x2b2b0808, 0x08081919, 0x08080819, 0x0808192b,
  0x08081908, 0x0808192b, 0x0808192b, 0x0808192b, 0x08082b19, 0x0808192b, 0x08190808, 0x0808192b,
  0x08191919, 0x0808192b, 0x19080808, 0x0808192b, 0x19081919, 0x0808192b, 0x19082b08, 0x0808192b,
  0x19190819, 0x0808192b, 0x19191908, 0x0808192b, 0x192b0808, 0x0808192b, 0x2b080819, 0x0808192b,
  0x2b081908, 0x0808192b, 0x2b190808, 0x0808192b, 0x08080808, 0x08082b08, 0x0808082b, 0x08082b08,
  0x08081919, 0x08082b08, 0x08082b08, 0x08082b08, 0x08190819, 0x08082b08, 0x08191908, 0x08082b08,
  0x0819192b, 0x08082b08, 0x08192b19, 0x08082b08, 0x082b0808, 0x08082b08, 0x082b1919, 0x08082b08,
  0x082b2b2b, 0x08082b08, 0x19080819, 0x08082b08, 0x19081908, 0x08082b08, 0x1908192b, 0x08082b08,
  0x19082b19, 0x08082b08, 0x19190808, 0x08082b08, 0x1919082b, 0x08082b08, 0x19191919, 0x08082b08,
  0x19192b08, 0x08082b08, 0x192b0819, 0x08082b08, 0x192b1908, 0x08082b08, 0x2b080808, 0x08082b08,
  0x2b081919, 0x08082b08, 0x2b191908, 0x08082b08, 0x2b2b2b2b, 0x08082b08, 0x08080819, 0x08082b19,
  0x08081908, 0x08082b19, 0x08190808, 0x08082b19, 0x0819082b, 0x08082b19, 0x08191919, 0x08082b19,
  0x08192b08, 0x08082b19, 0x082b0819, 0x08082b19, 0x19080808, 0x08082b19, 0x19081919, 0x08082b19,
  0x19082b08, 0x08082b19, 0x19190819, 0x08082b19, 0x19191908, 0x08082b19, 0x192b0808, 0x08082b19,
  0x2b080819, 0x08082b19, 0x2b190808, 0x08082b19, 0x08080808, 0x08082b2b, 0x08190819, 0x08082b2b,
  0x08191908, 0x08082b2b, 0x082b082b, 0x08082b2b, 0x082b2b08, 0x08082b2b, 0x082b2b2b, 0x08082b2b,
  0x19190808, 0x08082b2b, 0x2b192b19, 0x08082b2b, 0x08080819, 0x08190808, 0x08081908, 0x08190808,
  0x0808192b, 0x08190808, 0x08082b19, 0x08190808, 0x08190808, 0x08190808, 0x0819082b, 0x08190808,
  0x08191919, 0x08190808, 0x08192b08, 0x08190808, 0x082b0819, 0x08190808, 0x082b1908, 0x08190808,
  0x082b192b, 0x08190808, 0x19080808, 0x08190808, 0x1908082b, 0x08190808, 0x19081919, 0x08190808,
  0x19082b08, 0x08190808, 0x19190819, 0x08190808, 0x19191908, 0x08190808, 0x1919192b, 0x08190808,
  0x19192b19, 0x08190808, 0x192b0808, 0x08190808, 0x192b082b, 0x08190808, 0x192b1919, 0x08190808,
  0x192b2b08, 0x08190808, 0x2b080819, 0x08190808, 0x2b081908, 0x08190808, 0x2b08192b, 0x08190808,
  0x2b190808, 0x08190808, 0x2b191919, 0x08190808, 0x2b192b08, 0x08190808, 0x2b2b0819, 0x08190808,
  0x2b2b1908, 0x08190808, 0x08080808, 0x08190819, 0x0808082b, 0x08190819, 0x08081919, 0x08190819,
  0x08082b08, 0x08190819, 0x08082b2b, 0x08190819, 0x08190819, 0x08190819, 0x08191908, 0x08190819,
  0x0819192b, 0x08190819, 0x08192b19, 0x08190819, 0x082b0808, 0x08190819, 0x082b082b, 0x08190819,
  0x082b1919, 0x08190819, 0x082b2b08, 0x08190819, 0x19080819, 0x08190819, 0x19081908, 0x08190819,
  0x1908192b, 0x08190819, 0x19082b19, 0x08190819, 0x19190808, 0x08190819, 0x1919082b, 0x08190819,
  0x19191919, 0x08190819, 0x19192b08, 0x08190819, 0x192b0819, 0x08190819, 0x192b1908, 0x08190819,
  0x2b080808, 0x08190819, 0x2b08082b, 0x08190819, 0x2b081919, 0x08190819, 0x2b082b08, 0x08190819,
  0x2b190819, 0x08190819, 0x2b191908, 0x08190819, 0x08080819, 0x0819082b, 0x08081908, 0x0819082b,
  0x08082b19, 0x0819082b, 0x08190808, 0x0819082b, 0x08191919, 0x0819082b, 0x082b0819, 0x0819082b,
  0x082b1908, 0x0819082b, 0x19080808, 0x0819082b, 0x19081919, 0x0819082b, 0x19190819, 0x0819082b,
  0x19191908, 0x0819082b, 0x2b080819, 0x0819082b, 0x2b081908, 0x0819082b, 0x2b190808, 0x0819082b,
  0x08080808, 0x08191908, 0x0808082b, 0x08191908, 0x08081919, 0x08191908, 0x08082b08, 0x08191908,
  0x08190819, 0x08191908, 0x08191908, 0x08191908, 0x0819192b, 0x08191908, 0x08192b19, 0x08191908,
  0x082b0808, 0x08191908, 0x082b1919, 0x08191908, 0x082b2b08, 0x08191908, 0x19080819, 0x08191908,
  0x19081908, 0x08191908, 0x1908192b, 0x08191908, 0x19082b19, 0x08191908, 0x19190808, 0x08191908,
  0x1919082b, 0x08191908, 0x19191919, 0x08191908, 0x19192b08, 0x08191908, 0x192b0819, 0x08191908,
  0x192b1908, 0x08191908, 0x2b080808, 0x08191908, 0x2b08082b, 0x08191908, 0x2b081919, 0x08191908,
  0x2b082b08, 0x08191908, 0x2b190819, 0x08191908, 0x2b191908, 0x08191908, 0x2b2b0808, 0x08191908,
  0x08080819, 0x08191919, 0x08081908, 0x08191919, 0x0808192b, 0x08191919, 0x08082b19, 0x08191919,
  0x08190808, 0x08191919, 0x0819082b, 0x08191919, 0x08191919, 0x08191919, 0x08192b08, 0x08191919,
  0x082b0819, 0x08191919, 0x082b1908, 0x08191919, 0x19080808, 0x08191919, 0x1908082b, 0x08191919,
  0x19081919, 0x08191919, 0x19082b08, 0x08191919, 0x19190819, 0x08191919, 0x19191908, 0x08191919,
  0x192b0808, 0x08191919, 0x2b080819, 0x08191919, 0x2b081908, 0x08191919, 0x2b190808, 0x08191919,
  0x08080808, 0x0819192b, 0x08081919, 0x0819192b, 0x08082b08, 0x0819192b, 0x08190819, 0x0819192b,
  0x08191908, 0x0819192b, 0x082b0808, 0x0819192b, 0x19080819, 0x0819192b, 0x19081908, 0x0819192b,
  0x19190808, 0x0819192b, 0x2b080808, 0x0819192b, 0x2b2b2b2b, 0x0819192b, 0x08080819, 0x08192b08,
  0x08081908, 0x08192b08, 0x0808192b, 0x08192b08, 0x08082b19, 0x08192b08, 0x08190808, 0x08192b08,
  0x08191919, 0x08192b08, 0x08192b08, 0x08192b08, 0x082b0819, 0x08192b08, 0x19080808, 0x08192b08,
  0x1908082b, 0x08192b08, 0x19081919, 0x08192b08, 0x19082b08, 0x08192b08, 0x19190819, 0x08192b08,
  0x19191908, 0x08192b08, 0x192b0808, 0x08192b08, 0x2b080819, 0x08192b08, 0x2b081908, 0x08192b08,
  0x08080808, 0x08192b19, 0x0808082b, 0x08192b19, 0x08081919, 0x08192b19, 0x08082b08, 0x08192b19,
  0x08190819, 0x08192b19, 0x08191908, 0x08192b19, 0x082b0808, 0x08192b19, 0x19080819, 0x08192b19,
  0x19081908, 0x08192b19, 0x19190808, 0x08192b19, 0x192b2b19, 0x08192b19, 0x2b2b082b, 0x08192b19,
  0x08081908, 0x08192b2b, 0x08190808, 0x08192b2b, 0x19080808, 0x08192b2b, 0x1919192b, 0x08192b2b,
  0x08080808, 0x082b0808, 0x0808082b, 0x082b0808, 0x08081919, 0x082b0808, 0x08082b08, 0x082b0808,
  0x08190819, 0x082b0808, 0x08191908, 0x082b0808, 0x0819192b, 0x082b0808, 0x08192b19, 0x082b0808,
  0x082b0808, 0x082b0808, 0x082b1919, 0x082b0808, 0x082b2b2b, 0x082b0808, 0x19080819, 0x082b0808,
  0x19081908, 0x082b0808, 0x19190808, 0x082b0808, 0x1919082b, 0x082b0808, 0x19191919, 0x082b0808,
  0x192b1908, 0x082b0808, 0x2b080808, 0x082b0808, 0x2b082b2b, 0x082b0808, 0x2b191908, 0x082b0808,
  0x2b2b2b2b, 0x082b0808, 0x08080819, 0x082b0819, 0x08081908, 0x082b0819, 0x08190808, 0x082b0819,
  0x0819082b, 0x082b0819, 0x08191919, 0x082b0819, 0x082b0819, 0x082b0819, 0x19080808, 0x082b0819,
  0x1908082b, 0x082b0819, 0x19081919, 0x082b0819, 0x19190819, 0x082b0819, 0x19191908, 0x082b0819,
  0x192b0808, 0x082b0819, 0x2b080819, 0x082b0819, 0x2b081908, 0x082b0819, 0x2b190808, 0x082b0819,
  0x08080808, 0x082b082b, 0x08082b2b, 0x082b082b, 0x082b082b, 0x082b082b, 0x082b2b08, 0x082b082b,
  0x082b2b2b, 0x082b082b, 0x19081908, 0x082b082b, 0x19190808, 0x082b082b, 0x2b082b08, 0x082b082b,
  0x2b082b2b, 0x082b082b, 0x2b2b2b08, 0x082b082b, 0x08080819, 0x082b1908, 0x08081908, 0x082b1908,
  0x0808192b, 0x082b1908, 0x08082b19, 0x082b1908, 0x08190808, 0x082b1908, 0x08191919, 0x082b1908,
  0x08192b08, 0x082b1908, 0x082b0819, 0x082b1908, 0x082b1908, 0x082b1908, 0x19080808, 0x082b1908,
  0x1908082b, 0x082b1908, 0x19081919, 0x082b1908, 0x19082b08, 0x082b1908, 0x19190819, 0x082b1908,
  0x19191908, 0x082b1908, 0x192b0808, 0x082b1908, 0x2b080819, 0x082b1908, 0x2b081908, 0x082b1908,
  0x2b190808, 0x082b1908, 0x08080808, 0x082b1919, 0x08081919, 0x082b1919, 0x08082b08, 0x082b1919,
  0x08190819, 0x082b1919, 0x08191908, 0x082b1919, 0x082b0808, 0x082b1919, 0x19080819, 0x082b1919,
  0x19081908, 0x082b1919, 0x19190808, 0x082b1919, 0x192b192b, 0x082b1919, 0x2b080808, 0x082b1919,
  0x08080819, 0x082b192b, 0x08081908, 0x082b192b, 0x08190808, 0x082b192b, 0x19080808, 0x082b192b,
  0x19192b19, 0x082b192b, 0x08080808, 0x082b2b08, 0x08081919, 0x082b2b08, 0x08190819, 0x082b2b08,
  0x08191908, 0x082b2b08, 0x19080819, 0x082b2b08, 0x19081908, 0x082b2b08, 0x19190808, 0x082b2b08,
  0x2b082b2b, 0x082b2b08, 0x2b2b2b2b, 0x082b2b08, 0x08080819, 0x082b2b19, 0x08081908, 0x082b2b19,
  0x08190808, 0x082b2b19, 0x2b191919, 0x082b2b19, 0x08082b2b, 0x082b2b2b, 0x082b082b, 0x082b2b2b,
  0x192b1908, 0x082b2b2b, 0x2b082b08, 0x082b2b2b, 0x2b082b2b, 0x082b2b2b, 0x08080819, 0x19080808,
  0x08081908, 0x19080808, 0x0808192b, 0x19080808, 0x08082b19, 0x19080808, 0x08190808, 0x19080808,
  0x0819082b, 0x19080808, 0x08191919, 0x19080808, 0x08192b08, 0x19080808, 0x08192b2b, 0x19080808,
  0x082b0819, 0x19080808, 0x082b1908, 0x19080808, 0x082b192b, 0x19080808, 0x19080808, 0x19080808,
  0x1908082b, 0x19080808, 0x19081919, 0x19080808, 0x19082b08, 0x19080808, 0x19082b2b, 0x19080808,
  0x19190819, 0x19080808, 0x19191908, 0x19080808, 0x1919192b, 0x19080808, 0x19192b19, 0x19080808,
  0x192b0808, 0x19080808, 0x192b082b, 0x19080808, 0x192b1919, 0x19080808, 0x2b080819, 0x19080808,
  0x2b081908, 0x19080808, 0x2b190808, 0x19080808, 0x2b191919, 0x19080808, 0x2b192b08, 0x19080808,
  0x2b2b0819, 0x19080808, 0x2b2b1908, 0x19080808, 0x08080808, 0x19080819, 0x0808082b, 0x19080819,
  0x08081919, 0x19080819, 0x08082b08, 0x19080819, 0x08190819, 0x19080819, 0x08191908, 0x19080819,
  0x0819192b, 0x19080819, 0x08192b19, 0x19080819, 0x082b0808, 0x19080819, 0x082b082b, 0x19080819,
  0x082b1919, 0x19080819, 0x19080819, 0x19080819, 0x19081908, 0x19080819, 0x1908192b, 0x19080819,
  0x19082b19, 0x19080819, 0x19190808, 0x19080819, 0x1919082b, 0x19080819, 0x19191919, 0x19080819,
  0x19192b08, 0x19080819, 0x192b0819, 0x19080819, 0x192b1908, 0x19080819, 0x2b080808, 0x19080819,
  0x2b08082b, 0x19080819, 0x2b081919, 0x19080819, 0x2b082b08, 0x19080819, 0x2b190819, 0x19080819,
  0x2b191908, 0x19080819, 0x2b2b0808, 0x19080819, 0x08080819, 0x1908082b, 0x08081908, 0x1908082b,
  0x08190808, 0x1908082b, 0x0819082b, 0x1908082b, 0x08191919, 0x1908082b, 0x08192b08, 0x1908082b,
  0x082b1908, 0x1908082b, 0x19080808, 0x1908082b, 0x19081919, 0x1908082b, 0x19082b08, 0x1908082b,
  0x19190819, 0x1908082b, 0x19191908, 0x1908082b, 0x192b0808, 0x1908082b, 0x2b080819, 0x1908082b,
  0x2b081908, 0x1908082b, 0x08080808, 0x19081908, 0x0808082b, 0x19081908, 0x08081919, 0x19081908,
  0x08082b08, 0x19081908, 0x08082b2b, 0x19081908, 0x08190819, 0x19081908, 0x08191908, 0x19081908,
  0x0819192b, 0x19081908, 0x08192b19, 0x19081908, 0x082b0808, 0x19081908, 0x082b082b, 0x19081908,
  0x082b1919, 0x19081908, 0x082b2b08, 0x19081908, 0x19080819, 0x19081908, 0x19081908, 0x19081908,
  0x1908192b, 0x19081908, 0x19082b19, 0x19081908, 0x19190808, 0x19081908, 0x1919082b, 0x19081908,
  0x19191919, 0x19081908, 0x19192b08, 0x19081908, 0x192b0819, 0x19081908, 0x192b1908, 0x19081908,
  0x2b080808, 0x19081908, 0x2b08082b, 0x19081908, 0x2b081919, 0x19081908, 0x2b082b08, 0x19081908,
  0x2b190819, 0x19081908, 0x2b191908, 0x19081908, 0x2b2b0808, 0x19081908, 0x08080819, 0x19081919,
  0x08081908, 0x19081919, 0x0808192b, 0x19081919, 0x08082b19, 0x19081919, 0x08190808, 0x19081919,
  0x0819082b, 0x19081919, 0x08191919, 0x19081919, 0x08192b08, 0x19081919, 0x082b0819, 0x19081919,
  0x082b1908, 0x19081919, 0x19080808, 0x19081919, 0x1908082b, 0x19081919, 0x19081919, 0x19081919,
  0x19082b08, 0x19081919, 0x19190819, 0x19081919, 0x19191908, 0x19081919, 0x192b0808, 0x19081919,
  0x192b2b2b, 0x19081919, 0x2b080819, 0x19081919, 0x2b081908, 0x19081919, 0x2b190808, 0x19081919,
  0x08080808, 0x1908192b, 0x0808082b, 0x1908192b, 0x08081919, 0x1908192b, 0x08082b08, 0x1908192b,
  0x08190819, 0x1908192b, 0x08191908, 0x1908192b, 0x082b0808, 0x1908192b, 0x19080819, 0x1908192b,
  0x19081908, 0x1908192b, 0x19190808, 0x1908192b, 0x2b080808, 0x1908192b, 0x2b2b1919, 0x1908192b,
  0x08080819, 0x19082b08, 0x08081908, 0x19082b08, 0x08082b19, 0x19082b08, 0x08190808, 0x19082b08,
  0x0819082b, 0x19082b08, 0x08191919, 0x19082b08, 0x08192b08, 0x19082b08, 0x082b0819, 0x19082b08,
  0x082b1908, 0x19082b08, 0x19080808, 0x19082b08, 0x1908082b, 0x19082b08, 0x19081919, 0x19082b08,
  0x19082b08, 0x19082b08, 0x19190819, 0x19082b08, 0x19191908, 0x19082b08, 0x192b0808, 0x19082b08,
  0x2b081908, 0x19082b08, 0x2b190808, 0x19082b08, 0x08080808, 0x19082b19, 0x0808082b, 0x19082b19,
  0x08081919, 0x19082b19, 0x08082b08, 0x19082b19, 0x08190819, 0x19082b19, 0x08191908, 0x19082b19,
  0x082b0808, 0x19082b19, 0x19080819, 0x19082b19, 0x19081908, 0x19082b19, 0x19190808, 0x19082b19,
  0x2b080808, 0x19082b19, 0x2b19192b, 0x19082b19, 0x08080819, 0x19082b2b, 0x08081908, 0x19082b2b,
  0x08190808, 0x19082b2b, 0x19080808, 0x19082b2b, 0x08080808, 0x19190808, 0x0808082b, 0x19190808,
  0x08081919, 0x19190808, 0x08082b08, 0x19190808, 0x08190819, 0x19190808, 0x08191908, 0x19190808,
  0x0819192b, 0x19190808, 0x08192b19, 0x19190808, 0x082b0808, 0x19190808, 0x082b082b, 0x19190808,
  0x082b1919, 0x19190808, 0x082b2b08, 0x19190808, 0x19080819, 0x19190808, 0x19081908, 0x19190808,
  0x1908192b, 0x19190808, 0x19082b19, 0x19190808, 0x19190808, 0x19190808, 0x1919082b, 0x19190808,
  0x19191919, 0x19190808, 0x19192b08, 0x19190808, 0x192b0819, 0x19190808, 0x192b1908, 0x19190808,
  0x2b080808, 0x19190808, 0x2b08082b, 0x19190808, 0x2b081919, 0x19190808, 0x2b082b08, 0x19190808,
  0x2b190819, 0x19190808, 0x2b191908, 0x19190808, 0x08080819, 0x19190819, 0x08081908, 0x19190819,
  0x0808192b, 0x19190819, 0x08082b19, 0x19190819, 0x08190808, 0x19190819, 0x0819082b, 0x19190819,
  0x08191919, 0x19190819, 0x08192b08, 0x19190819, 0x082b0819, 0x19190819, 0x082b1908, 0x19190819,
  0x19080808, 0x19190819, 0x1908082b, 0x19190819, 0x19081919, 0x19190819, 0x19082b08, 0x19190819,
  0x19190819, 0x19190819, 0x19191908, 0x19190819, 0x192b0808, 0x19190819, 0x2b080819, 0x19190819,
  0x2b081908, 0x19190819, 0x2b190808, 0x19190819, 0x08080808, 0x1919082b, 0x08081919, 0x1919082b,
  0x08082b08, 0x1919082b, 0x08190819, 0x1919082b, 0x08191908, 0x1919082b, 0x082b0808, 0x1919082b,
  0x19080819, 0x1919082b, 0x19081908, 0x1919082b, 0x19190808, 0x1919082b, 0x192b2b19, 0x1919082b,
  0x2b080808, 0x1919082b, 0x08080819, 0x19191908, 0x08081908, 0x19191908, 0x0808192b, 0x19191908,
  0x08082b19, 0x19191908, 0x08190808, 0x19191908, 0x0819082b, 0x19191908, 0x08191919, 0x19191908,
  0x08192b08, 0x19191908, 0x082b0819, 0x19191908, 0x082b1908, 0x19191908, 0x19080808, 0x19191908,
  0x1908082b, 0x19191908, 0x19081919, 0x19191908, 0x19082b08, 0x19191908, 0x19190819, 0x19191908,
  0x19191908, 0x19191908, 0x192b0808, 0x19191908, 0x2b080819, 0x19191908, 0x2b081908, 0x19191908,
  0x2b190808, 0x19191908, 0x08080808, 0x19191919, 0x0808082b, 0x19191919, 0x08081919, 0x19191919,
  0x08082b08, 0x19191919, 0x08190819, 0x19191919, 0x08191908, 0x19191919, 0x082b0808, 0x19191919,
  0x19080819, 0x19191919, 0x19081908, 0x19191919, 0x19190808, 0x19191919, 0x2b080808, 0x19191919,
  0x08080819, 0x1919192b, 0x08081908, 0x1919192b, 0x08190808, 0x1919192b, 0x082b192b, 0x1919192b,
  0x19080808, 0x1919192b, 0x08080808, 0x19192b08, 0x0808082b, 0x19192b08, 0x08081919, 0x19192b08,
  0x08082b08, 0x19192b08, 0x08190819, 0x19192b08, 0x08191908, 0x19192b08, 0x082b0808, 0x19192b08,
  0x19080819, 0x19192b08, 0x19081908, 0x19192b08, 0x19190808, 0x19192b08, 0x19192b2b, 0x19192b08,
  0x2b080808, 0x19192b08, 0x08080819, 0x19192b19, 0x08081908, 0x19192b19, 0x08190808, 0x19192b19,
  0x19080808, 0x19192b19, 0x08080808, 0x19192b2b, 0x08192b19, 0x19192b2b, 0x2b081919, 0x19192b2b,
  0x2b2b2b08, 0x19192b2b, 0x08080819, 0x192b0808, 0x08081908, 0x192b0808, 0x0808192b, 0x192b0808,
  0x08190808, 0x192b0808, 0x0819082b, 0x192b0808, 0x08191919, 0x192b0808, 0x08192b08, 0x192b0808,
  0x082b0819, 0x192b0808, 0x082b1908, 0x192b0808, 0x19080808, 0x192b0808, 0x19081919, 0x192b0808,
  0x19082b08, 0x192b0808, 0x19190819, 0x192b0808, 0x19191908, 0x192b0808, 0x192b0808, 0x192b0808,
  0x2b081908, 0x192b0808, 0x2b190808, 0x192b0808, 0x08080808, 0x192b0819, 0x0808082b, 0x192b0819,
  0x08081919, 0x192b0819, 0x08082b08, 0x192b0819, 0x08190819, 0x192b0819, 0x08191908, 0x192b0819,
  0x082b0808, 0x192b0819, 0x19080819, 0x192b0819, 0x19081908, 0x192b0819, 0x19190808, 0x192b0819,
  0x2b080808, 0x192b0819, 0x2b192b19, 0x192b0819, 0x08081908, 0x192b082b, 0x08190808, 0x192b082b,
  0x19080808, 0x192b082b, 0x1919192b, 0x192b082b, 0x2b2b0819, 0x192b082b, 0x08080808, 0x192b1908,
  0x08081919, 0x192b1908, 0x08082b08, 0x192b1908, 0x08190819, 0x192b1908, 0x08191908, 0x192b1908,
  0x082b0808, 0x192b1908, 0x19080819, 0x192b1908, 0x19081908, 0x192b1908, 0x19190808, 0x192b1908,
  0x2b080808, 0x192b1908, 0x08080819, 0x192b1919, 0x08081908, 0x192b1919, 0x08190808, 0x192b1919,
  0x19080808, 0x192b1919, 0x19082b2b, 0x192b1919, 0x192b2b08, 0x192b1919, 0x2b19082b, 0x192b1919,
  0x08080808, 0x192b192b, 0x2b191908, 0x192b192b, 0x08080819, 0x192b2b08, 0x08081908, 0x192b2b08,
  0x08190808, 0x192b2b08, 0x192b1919, 0x192b2b08, 0x2b192b08, 0x192b2b08, 0x08080808, 0x192b2b19,
  0x082b2b2b, 0x192b2b19, 0x1908082b, 0x192b2b2b, 0x2b2b0819, 0x192b2b2b, 0x08080808, 0x2b080808,
  0x0808082b, 0x2b080808, 0x08081919, 0x2b080808, 0x08082b08, 0x2b080808, 0x08190819, 0x2b080808,
  0x08191908, 0x2b080808, 0x08192b19, 0x2b080808, 0x082b0808, 0x2b080808, 0x082b1919, 0x2b080808,
  0x19080819, 0x2b080808, 0x19081908, 0x2b080808, 0x19190808, 0x2b080808, 0x1919082b, 0x2b080808,
  0x19191919, 0x2b080808, 0x19192b08, 0x2b080808, 0x192b0819, 0x2b080808, 0x2b080808, 0x2b080808,
  0x2b081919, 0x2b080808, 0x2b190819, 0x2b080808, 0x2b191908, 0x2b080808, 0x08080819, 0x2b080819,
  0x08081908, 0x2b080819, 0x08082b19, 0x2b080819, 0x08190808, 0x2b080819, 0x0819082b, 0x2b080819,
  0x08191919, 0x2b080819, 0x08192b08, 0x2b080819, 0x082b0819, 0x2b080819, 0x082b1908, 0x2b080819,
  0x19080808, 0x2b080819, 0x1908082b, 0x2b080819, 0x19081919, 0x2b080819, 0x19082b08, 0x2b080819,
  0x19190819, 0x2b080819, 0x19191908, 0x2b080819, 0x2b080819, 0x2b080819, 0x2b081908, 0x2b080819,
  0x2b190808, 0x2b080819, 0x2b2b2b19, 0x2b080819, 0x08080808, 0x2b08082b, 0x08081919, 0x2b08082b,
  0x08082b2b, 0x2b08082b, 0x08190819, 0x2b08082b, 0x08191908, 0x2b08082b, 0x19080819, 0x2b08082b,
  0x19081908, 0x2b08082b, 0x19190808, 0x2b08082b, 0x08080819, 0x2b081908, 0x08081908, 0x2b081908,
  0x0808192b, 0x2b081908, 0x08082b19, 0x2b081908, 0x08190808, 0x2b081908, 0x0819082b, 0x2b081908,
  0x08191919, 0x2b081908, 0x08192b08, 0x2b081908, 0x082b0819, 0x2b081908, 0x19080808, 0x2b081908,
  0x1908082b, 0x2b081908, 0x19081919, 0x2b081908, 0x19082b08, 0x2b081908, 0x19190819, 0x2b081908,
  0x19191908, 0x2b081908, 0x192b0808, 0x2b081908, 0x2b080819, 0x2b081908, 0x2b081908, 0x2b081908,
  0x2b190808, 0x2b081908, 0x08080808, 0x2b081919, 0x0808082b, 0x2b081919, 0x08081919, 0x2b081919,
  0x08082b08, 0x2b081919, 0x08190819, 0x2b081919, 0x08191908, 0x2b081919, 0x082b0808, 0x2b081919,
  0x19080819, 0x2b081919, 0x19081908, 0x2b081919, 0x19190808, 0x2b081919, 0x2b080808, 0x2b081919,
  0x2b082b2b, 0x2b081919, 0x08080819, 0x2b08192b, 0x08081908, 0x2b08192b, 0x08190808, 0x2b08192b,
  0x082b2b19, 0x2b08192b, 0x19080808, 0x2b08192b, 0x08080808, 0x2b082b08, 0x08081919, 0x2b082b08,
  0x08190819, 0x2b082b08, 0x08191908, 0x2b082b08, 0x19080819, 0x2b082b08, 0x19081908, 0x2b082b08,
  0x19190808, 0x2b082b08, 0x2b2b082b, 0x2b082b08, 0x08080819, 0x2b082b19, 0x08081908, 0x2b082b19,
  0x19080808, 0x2b082b19, 0x192b1919, 0x2b082b19, 0x082b082b, 0x2b082b2b, 0x19192b08, 0x2b082b2b,
  0x19192b2b, 0x2b082b2b, 0x2b08082b, 0x2b082b2b, 0x2b2b082b, 0x2b082b2b, 0x08080819, 0x2b190808,
  0x08081908, 0x2b190808, 0x08082b19, 0x2b190808, 0x08190808, 0x2b190808, 0x0819082b, 0x2b190808,
  0x08191919, 0x2b190808, 0x08192b08, 0x2b190808, 0x082b1908, 0x2b190808, 0x19080808, 0x2b190808,
  0x1908082b, 0x2b190808, 0x19081919, 0x2b190808, 0x19082b08, 0x2b190808, 0x19190819, 0x2b190808,
  0x19191908, 0x2b190808, 0x192b0808, 0x2b190808, 0x2b080819, 0x2b190808, 0x2b081908, 0x2b190808,
  0x2b190808, 0x2b190808, 0x08080808, 0x2b190819, 0x08081919, 0x2b190819, 0x08190819, 0x2b190819,
  0x08191908, 0x2b190819, 0x19080819, 0x2b190819, 0x19081908, 0x2b190819, 0x19190808, 0x2b190819,
  0x19192b2b, 0x2b190819, 0x08080819, 0x2b19082b, 0x08081908, 0x2b19082b, 0x08190808, 0x2b19082b,
  0x19080808, 0x2b19082b, 0x2b2b192b, 0x2b19082b, 0x08080808, 0x2b191908, 0x0808082b, 0x2b191908,
  0x08081919, 0x2b191908, 0x08082b08, 0x2b191908, 0x08190819, 0x2b191908, 0x08191908, 0x2b191908,
  0x082b0808, 0x2b191908, 0x19080819, 0x2b191908, 0x19081908, 0x2b191908, 0x19190808, 0x2b191908,
  0x2b080808, 0x2b191908, 0x2b19192b, 0x2b191908, 0x08080819, 0x2b191919, 0x08081908, 0x2b191919,
  0x08190808, 0x2b191919, 0x19080808, 0x2b191919, 0x2b192b08, 0x2b191919, 0x2b2b0819, 0x2b191919,
  0x08080808, 0x2b19192b, 0x1908192b, 0x2b19192b, 0x192b1908, 0x2b19192b, 0x08080819, 0x2b192b08,
  0x08081908, 0x2b192b08, 0x08190808, 0x2b192b08, 0x082b192b, 0x2b192b08, 0x19080808, 0x2b192b08,
  0x2b2b2b19, 0x2b192b08, 0x08080808, 0x2b192b19, 0x19082b19, 0x2b192b19, 0x1919082b, 0x2b192b19,
  0x2b190808, 0x2b192b2b, 0x08080808, 0x2b2b0808, 0x08081919, 0x2b2b0808, 0x08082b2b, 0x2b2b0808,
  0x08191908, 0x2b2b0808, 0x082b082b, 0x2b2b0808, 0x082b2b2b, 0x2b2b0808, 0x19080819, 0x2b2b0808,
  0x19081908, 0x2b2b0808, 0x19190808, 0x2b2b0808, 0x2b2b082b, 0x2b2b0808, 0x2b2b2b2b, 0x2b2b0808,
  0x19080808, 0x2b2b0819, 0x192b1919, 0x2b2b0819, 0x0808082b, 0x2b2b082b, 0x08082b2b, 0x2b2b082b,
  0x082b082b, 0x2b2b082b, 0x082b2b08, 0x2b2b082b, 0x082b2b2b, 0x2b2b082b, 0x2b08082b, 0x2b2b082b,
  0x2b082b08, 0x2b2b082b, 0x2b082b2b, 0x2b2b082b, 0x2b2b2b08, 0x2b2b082b, 0x08080819, 0x2b2b1908,
  0x08081908, 0x2b2b1908, 0x08190808, 0x2b2b1908, 0x19080808, 0x2b2b1908, 0x2b082b19, 0x2b2b1908,
  0x2b2b1908, 0x2b2b1908, 0x08080808, 0x2b2b1919, 0x08192b19, 0x2b2b1919, 0x19190819, 0x2b2b192b,
  0x08082b2b, 0x2b2b2b08, 0x082b2b08, 0x2b2b2b08, 0x2b2b082b, 0x2b2b2b08, 0x19191908, 0x2b2b2b19,
  0x2b08192b, 0x2b2b2b19, 0x08082b08, 0x2b2b2b2b, 0x08082b2b, 0x2b2b2b2b, 0x082b0808, 0x2b2b2b2b,
  0x082b082b, 0x2b2b2b2b, 0x082b2b08, 0x2b2b2b2b, 0x2b082b08, 0x2b2b2b2b, 0x2b2b2b2b, 0x2b2b2b2b);
// END GENERATED IQ GRIDS
