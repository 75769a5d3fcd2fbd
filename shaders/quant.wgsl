// Quantized linear layers: out[N, M] = X[N, K] · Wᵀ with W in raw GGML blocks (Q8_0, Q4_0, Q4_1,
// Q5_0, Q5_1, IQ4_NL, IQ4_XS, IQ3_XXS, IQ3_S, IQ2_S, IQ2_XS, IQ2_XXS, Q2_K…Q6_K), exactly the bytes of a GGUF tensor, bound as an array of u32
// words. Blocks are 34/18/20/22/24/66/74/82/84/98/110/136/144/176/210 bytes, so a block may start mid-word: `qword` reads any 4 bytes with a
// funnel shift and `extractBits` unpacks (sign-extended for i32) bytes and nibbles. Block scales are
// f16 and are unpacked with unpack2x16float (no shader-f16 feature needed). Layouts:
// src/formats/ggml-quants.ts.
//
// Each output element (row r, token i; g = i·M + r) gets `lanes` threads (4–64, a power of two
// chosen by the host: the largest ≤ the row's unit count), so one 64-thread workgroup computes
// 64 / lanes outputs: g = (wg.x + wg.y·grid_x) · (64 / lanes) + li / lanes. Every type is processed in
// 32-element units (a Q8_0/Q4_0/Q4_1/Q5_0/Q5_1/IQ4_NL block, an IQ4_XS/IQ3_XXS/IQ3_S/IQ2_*/Q4_K/Q5_K sub-block, a quarter of a Q6_K/Q3_K/Q2_K
// 128-value half); lane j takes units j, j+lanes, …; a segmented tree reduction in workgroup memory
// sums each output's partials.
// (One output per workgroup left most threads idle at small K: K = 576 is 18 Q8_0 blocks, so 46
// of 64 threads had no work — the Q8_0 head ran at 75 GB/s on an H100, docs/gpu.md.)

struct QParams { m: u32, k: u32, grid_x: u32, n: u32, lanes: u32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> qp: QParams;
@group(0) @binding(1) var<storage, read_write> q_out: array<f32>; // [n, m]
@group(0) @binding(2) var<storage, read> qw: array<u32>;          // raw blocks, rows of k/blockSize blocks
@group(0) @binding(3) var<storage, read> q_x: array<vec4<f32>>;   // [n, k] (k is a multiple of 32)
// The IQ types' lookup tables (kvalues_iq4nl, the IQ3 / IQ2 / IQ1 grids), bound by their kernels only.
// Word offsets <NAME>_AT are prepended by the host (src/backends/webgpu/iq-table.ts). They are not
// `const` arrays: indexed at run time, those become a copy in every thread's private memory.
@group(0) @binding(4) var<storage, read> q_tab: array<u32>;

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

/** IQ4_NL's 16 non-linear levels (kvalues_iq4nl, stored as f32 bits at IQ4NL_AT). */
fn iq4nl(i: u32) -> f32 { return bitcast<f32>(q_tab[IQ4NL_AT + i]); }

/** The levels of the 4 nibbles at bit `sh` (0: low, 4: high) of the 4 bytes of a word. */
fn iq4nl4(w: u32, sh: u32) -> vec4<f32> {
  return vec4<f32>(iq4nl(extractBits(w, sh, 4u)), iq4nl(extractBits(w, 8u + sh, 4u)), iq4nl(extractBits(w, 16u + sh, 4u)), iq4nl(extractBits(w, 24u + sh, 4u)));
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

// ggml's ksigns_iq2xs[s7]: 7 stored sign bits, the eighth their parity (an even count of minus signs).
fn ksigns(s7: u32) -> u32 {
  return s7 | ((countOneBits(s7) & 1u) << 7u);
}

// x[xo .. xo + 8] · one IQ2 grid entry (8 bytes in words w0, w1) with 8 sign bits.
fn grid8_dot(w0: u32, w1: u32, signs: u32, xo: u32) -> f32 {
  return dot(grid_signed4(w0, signs & 15u), xs4(xo)) + dot(grid_signed4(w1, signs >> 4u), xs4(xo + 4u));
}

// IQ2_S / IQ2_XS: values 0..15 of a sub-block (sum s0) scaled by d·(0.5 + low nibble of sc)·0.25,
// values 16..31 (s1) by the high nibble's.
fn nibble_scaled(d: f32, sc: u32, s0: f32, s1: f32) -> f32 {
  return d * (f32(sc & 15u) + 0.5) * 0.25 * s0 + d * (f32(sc >> 4u) + 0.5) * 0.25 * s1;
}

// IQ3_XXS (98 bytes: f16 d, qs[64] grid indices, 8 u32 scales_and_signs; blocks start at 0 or 2 mod 4).
// Unit u = super-block u/8, sub-block j = u%8 with aux = its u32: db = d·(0.5 + aux>>28)·0.5; values
// 4k … 4k + 3 (k = 0..7) are iq3xxs_grid[qs[8j + k]], signs bits 4(k%2) … of ksigns(aux >> 7(k/2)).
fn unit_iq3_xxs(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + (u >> 3u) * 98u;
  let j = u & 7u;
  let aux = qword(b + 66u + 4u * j);
  let qa = qword(b + 2u + 8u * j);
  let qb = qword(b + 6u + 8u * j);
  var s = 0.0;
  for (var k = 0u; k < 8u; k++) {
    let s7 = extractBits(aux, 7u * (k >> 1u), 7u);
    let signs = ksigns(s7);
    let idx = extractBits(select(qa, qb, k >= 4u), 8u * (k & 3u), 8u);
    s += dot(grid_signed4(q_tab[IQ3XXS_AT + idx], extractBits(signs, 4u * (k & 1u), 4u)), xs4(xo + 4u * k));
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
    s += dot(grid_signed4(q_tab[IQ3S_AT + idx], extractBits(sg, 4u * k, 4u)), xs4(xo + 4u * k));
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
    let p = grid8_dot(q_tab[IQ2S_AT + 2u * idx], q_tab[IQ2S_AT + 2u * idx + 1u], signs, xo + 8u * l);
    if (l < 2u) { s0 += p; } else { s1 += p; }
  }
  return nibble_scaled(qhalf(b), sc, s0, s1);
}

// IQ2_XXS (66 bytes: f16 d, 8 × (4 grid indices, u32 aux); blocks at 0 or 2 mod 4). Unit u = super-block
// u/8, sub-block j = u%8: group l = iq2xxs_grid[byte l] (two words), signs ksigns((aux >> 7l) & 127),
// db = d·(0.5 + aux >> 28)·0.25.
fn unit_iq2_xxs(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + (u >> 3u) * 66u;
  let j = u & 7u;
  let qs = qword(b + 2u + 8u * j);
  let aux = qword(b + 6u + 8u * j);
  var s = 0.0;
  for (var l = 0u; l < 4u; l++) {
    let idx = extractBits(qs, 8u * l, 8u);
    let s7 = extractBits(aux, 7u * l, 7u);
    let signs = ksigns(s7);
    s += grid8_dot(q_tab[IQ2XXS_AT + 2u * idx], q_tab[IQ2XXS_AT + 2u * idx + 1u], signs, xo + 8u * l);
  }
  return qhalf(b) * (f32(aux >> 28u) + 0.5) * 0.25 * s;
}

// IQ2_XS (74 bytes: f16 d, 32 × u16, scales[8]; blocks at 0 or 2 mod 4). Unit u: sub-block j's u16
// q (l = 0..3): iq2xs_grid[q & 511], signs ksigns(q >> 9); values 0..15 scaled by d·(0.5 + low nibble
// of scales[j])·0.25, 16..31 by the high nibble's.
fn unit_iq2_xs(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + (u >> 3u) * 74u;
  let j = u & 7u;
  let sc = qbyte(b + 66u + j);
  let qa = qword(b + 2u + 8u * j);
  let qb = qword(b + 6u + 8u * j);
  var s0 = 0.0;
  var s1 = 0.0;
  for (var l = 0u; l < 4u; l++) {
    let q = extractBits(select(qa, qb, l >= 2u), 16u * (l & 1u), 16u);
    let idx = q & 511u;
    let s7 = q >> 9u;
    let signs = ksigns(s7);
    let p = grid8_dot(q_tab[IQ2XS_AT + 2u * idx], q_tab[IQ2XS_AT + 2u * idx + 1u], signs, xo + 8u * l);
    if (l < 2u) { s0 += p; } else { s1 += p; }
  }
  return nibble_scaled(qhalf(b), sc, s0, s1);
}

// IQ1_S (50 bytes: f16 d, qs[32], qh u16[8]; blocks at 0 or 2 mod 4). Unit u: sub-block j's qh word
// (four 3-bit high index parts, 3-bit scale s at bit 12, delta sign at bit 15); group l =
// iq1s_grid[qs byte l | high part l << 8] (two words of int8 −1 / 0 / +1), value d·(2s + 1)·(g + delta).
fn unit_iq1_s(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + (u >> 3u) * 50u;
  let j = u & 7u;
  let qs = qword(b + 2u + 4u * j);
  let qh = qbyte(b + 34u + 2u * j) | (qbyte(b + 35u + 2u * j) << 8u);
  let delta = select(0.125, -0.125, (qh & 0x8000u) != 0u);
  var s = 0.0;
  for (var l = 0u; l < 4u; l++) {
    let idx = extractBits(qs, 8u * l, 8u) | (extractBits(qh, 3u * l, 3u) << 8u);
    s += dot(i8x4(q_tab[IQ1S_AT + 2u * idx]) + delta, xs4(xo + 8u * l)) + dot(i8x4(q_tab[IQ1S_AT + 2u * idx + 1u]) + delta, xs4(xo + 8u * l + 4u));
  }
  return qhalf(b) * f32(2u * extractBits(qh, 12u, 3u) + 1u) * s;
}

// IQ1_M (56 bytes: qs[32], qh[16], scales u16[4]; blocks on words). Unit u: sub-block j's qh nibble l
// (3 high index bits, delta sign at bit 3) for group l; 3-bit scales at bits 6(j & 1) and + 3 of
// scale word j / 2 for values 0..15 and 16..31; d the f16 of the four words' top nibbles.
fn unit_iq1_m(row: u32, u: u32, xo: u32) -> f32 {
  let b = row + (u >> 3u) * 56u;
  let j = u & 7u;
  let qs = qword(b + 4u * j);
  let qh = qbyte(b + 32u + 2u * j) | (qbyte(b + 33u + 2u * j) << 8u);
  let sc = qbyte(b + 48u + 2u * (j >> 1u)) | (qbyte(b + 49u + 2u * (j >> 1u)) << 8u);
  let d = unpack2x16float((qbyte(b + 49u) >> 4u) | ((qbyte(b + 51u) >> 4u) << 4u) | ((qbyte(b + 53u) >> 4u) << 8u) | ((qbyte(b + 55u) >> 4u) << 12u)).x;
  var s0 = 0.0;
  var s1 = 0.0;
  for (var l = 0u; l < 4u; l++) {
    let h = extractBits(qh, 4u * l, 4u);
    let idx = extractBits(qs, 8u * l, 8u) | ((h & 7u) << 8u);
    let delta = select(0.125, -0.125, (h & 8u) != 0u);
    let p = dot(i8x4(q_tab[IQ1S_AT + 2u * idx]) + delta, xs4(xo + 8u * l)) + dot(i8x4(q_tab[IQ1S_AT + 2u * idx + 1u]) + delta, xs4(xo + 8u * l + 4u));
    if (l < 2u) { s0 += p; } else { s1 += p; }
  }
  let sh = 6u * (j & 1u);
  return d * f32(2u * extractBits(sc, sh, 3u) + 1u) * s0 + d * f32(2u * extractBits(sc, sh + 3u, 3u) + 1u) * s1;
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

@compute @workgroup_size(64)
fn matmul_iq2_xxs(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_iq2_xxs(t.y * (qp.k / 256u) * 66u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_iq2_xs(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_iq2_xs(t.y * (qp.k / 256u) * 74u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_iq1_s(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_iq1_s(t.y * (qp.k / 256u) * 50u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

@compute @workgroup_size(64)
fn matmul_iq1_m(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = q_task(wg, li);
  let units = qp.k / 32u;
  var acc = 0.0;
  if (t.x < qp.m * qp.n) {
    for (var u = t.w; u < units; u += qp.lanes) { acc += unit_iq1_m(t.y * (qp.k / 256u) * 56u, u, t.z * qp.k + u * 32u); }
  }
  q_reduce(li, t.x, acc);
}

