// Sparse attention forward, four query rows at a time (spec: /work/shared/specs/sparse-attention.md).
// Same candidates and the same softmax as attn_sparse_forward (assembly/attention.ts), which works one
// row at a time with a dot product per (candidate, head); this one is the fast path for prefill.
//
// Why it is faster: about 85 % of a query's candidates are its window, and the windows of four
// consecutive rows are almost the same keys. So per (4 rows, head):
//  * window scores are a small GEMM, 4 rows × 8 keys per step, lanes over keys: per tile of 64 rows,
//    the keys its windows reach are transposed into panels [hkv][panel][d][8], so eight keys' x-th
//    components are two vector loads, the four q[x] are splat loads, and each lane sums its products
//    in x order (the crate's order) with no horizontal sums;
//  * out-of-window candidates all four rows have (landmark blocks, globals) are scored 4 rows × 4
//    candidates per step against q transposed; each row's own ones (log-stride tokens) by a dot;
//  * the values of the window part the four rows share (keys lo(row 3) … hi(row 0)) and of the shared
//    candidates are one pass of 4 rows × 8 outputs per V row load; the window ends that only some rows
//    see, and each row's own candidates, are summed per row from a pointer list.
// Masked keys never enter a sum (no 0·V products), so non-finite values outside a row's candidate set
// cannot leak into it. The softmax is the exact two-pass form (max, then e^(s − max)), equal to the
// spec's one-pass online softmax in exact arithmetic; rounding differs as in the row kernel.

import { vexp } from './core-vexp';
import { fmadd } from './relaxed';
import { CAUSAL, SORT, dot, hsum, candidates, nTok, nBlk, maxTokens, MAX_BLOCKS } from './attention-lists';

/** Rows per group: the register tiles below are written for exactly four. */
// @ts-ignore: decorator
@inline const R: i32 = 4;

/** Query rows per tile: the keys a tile's windows reach are transposed once per tile. */
// @ts-ignore: decorator
@inline const TILE: i32 = 64;

/**
 * Panels of eight keys per kv head in the transposed-key buffer (one panel = d·8 floats): enough for
 * the keys of one tile's windows, [tile start − W, tile end + W] from an 8-aligned start, and never
 * more than all S keys (a window ≥ S would otherwise size the buffer by 2W).
 */
// @ts-ignore: decorator
@inline function panels(w: i32, s: i32): i32 {
  return min(((2 * w + TILE + 7) >> 3) + 2, ((s + 7) >> 3) + 1);
}

/** Floats per row of the window score buffer: the group's key span from its 8-aligned start (≤ 2W + 11) rounded up to 8, plus 8. */
// @ts-ignore: decorator
@inline function scStride(w: i32): i32 {
  return ((2 * w + R + 14) & ~7) + 8;
}

// @ts-ignore: decorator
@inline function align16(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

/** Scratch bytes of attn_sparse_forward_tiled. */
export function attn_sparse_tiled_scratch_bytes(s: i32, w: i32, ng: i32, hq: i32, hkv: i32, d: i32): i32 {
  const cand = maxTokens(w, ng) + MAX_BLOCKS;
  const kt = hkv * panels(w, s) * d * 8;
  const lists = R * cand * 2 + R * 8; // token + block lists per row, window bounds, 1/den
  const sc = R * scStride(w);
  const ex = R * cand; // out-of-window candidate scores / weights per row
  const acc = R * ((d + 3) & ~3);
  const gather = cand * 2 + 8; // one row's V pointers and weights
  const shared = R * cand + cand * 2 + d * 4; // per-row out-of-window lists, shared list + its V pointers, q transposed
  return (kt + lists + sc + ex + acc + gather + shared) * 4 + 10 * 16;
}

let ktP: usize = 0, toksP: usize = 0, blksP: usize = 0, boundsP: usize = 0, invP: usize = 0;
let scP: usize = 0, exP: usize = 0, accP: usize = 0, gPtr: usize = 0, gW: usize = 0;
let xlP: usize = 0, slP: usize = 0, sPtr: usize = 0, qtP: usize = 0;
let candN: i32 = 0, scN: i32 = 0, accN: i32 = 0;

function carve(scratch: usize, s: i32, w: i32, ng: i32, hkv: i32, d: i32): void {
  candN = maxTokens(w, ng) + MAX_BLOCKS;
  scN = scStride(w);
  accN = (d + 3) & ~3;
  ktP = align16(scratch);
  scP = align16(ktP + (<usize>(hkv * panels(w, s) * d) << 5));
  exP = align16(scP + (<usize>(R * scN) << 2));
  accP = align16(exP + (<usize>(R * candN) << 2));
  gPtr = align16(accP + (<usize>(R * accN) << 2));
  gW = gPtr + (<usize>candN << 2);
  toksP = gW + (<usize>candN << 2);
  blksP = toksP + (<usize>(R * candN) << 2);
  boundsP = align16(blksP + (<usize>(R * candN) << 2)); // per row: lo, hi, nTok, nBlk
  invP = boundsP + (<usize>R << 4); // per row: 1/den
  xlP = invP + 16; // per row: own out-of-window candidates (token j as j, block b as ~b), count at [0]
  slP = xlP + (<usize>(R * candN) << 2); // candidates all four rows have
  sPtr = slP + (<usize>candN << 2);
  qtP = align16(sPtr + (<usize>candN << 2)); // [d][4 rows]
}

/**
 * Keys j0 … j1 (j0 a multiple of 8) transposed into panels of eight: kt[h][(j − j0) / 8][x][j % 8] =
 * k[j][h][x], so one 8-key step of windowScores reads d·32 contiguous bytes. 4×4 blocks are transposed
 * in registers; lanes of the last panel past j1 stay unwritten (their scores are never read).
 * One tile's keys (a few hundred KB at the anchor shape) stay in cache for the tile's rows.
 */
function transposeKeys(kt: usize, k: usize, j0: i32, j1: i32, hkv: i32, d: i32, headB: usize): void {
  const panelB = <usize>d << 5;
  const rowB = <usize>(hkv * d) << 2;
  let j = j0;
  for (; j + 3 <= j1; j += 4) {
    const src = k + <usize>j * rowB;
    const dst = kt + <usize>((j - j0) >> 3) * panelB + (<usize>(j & 7) << 2);
    for (let h = 0; h < hkv; h++) {
      const sh = src + (<usize>(h * d) << 2);
      const dh = dst + <usize>h * headB;
      let x = 0;
      for (; x + 4 <= d; x += 4) {
        const o = <usize>x << 2;
        const r0 = v128.load(sh + o), r1 = v128.load(sh + rowB + o), r2 = v128.load(sh + 2 * rowB + o), r3 = v128.load(sh + 3 * rowB + o);
        const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
        const p = dh + (<usize>x << 5);
        v128.store(p, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(p, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 32);
        v128.store(p, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 64);
        v128.store(p, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 96);
      }
      for (; x < d; x++) {
        for (let a = 0; a < 4; a++) store<f32>(dh + (<usize>x << 5) + (<usize>a << 2), load<f32>(sh + <usize>a * rowB + (<usize>x << 2)));
      }
    }
  }
  for (; j <= j1; j++) {
    const dst = kt + <usize>((j - j0) >> 3) * panelB + (<usize>(j & 7) << 2);
    for (let h = 0; h < hkv; h++) {
      const sh = k + <usize>j * rowB + (<usize>(h * d) << 2);
      for (let x = 0; x < d; x++) store<f32>(dst + <usize>h * headB + (<usize>x << 5), load<f32>(sh + (<usize>x << 2)));
    }
  }
}

/**
 * sc[r][jj] = scale · q_r · K_(j0 + jj) for jj in [0, n) rounded up to 8 (the overrun lanes are
 * garbage and never read). kt points at the panel of key j0 (a multiple of 8) of the kv head;
 * q0..q3 at the four rows' head.
 */
function windowScores(sc: usize, q0: usize, q1: usize, q2: usize, q3: usize, kt: usize, d: i32, n: i32, scale: f32): void {
  const scb = <usize>scN << 2;
  const sv = f32x4.splat(scale);
  for (let jj = 0; jj < n; jj += 8) {
    let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
    let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
    let kp = kt + <usize>jj * (<usize>d << 2); // panel jj / 8 starts jj·d floats in
    for (let x = 0; x < d; x++) {
      const o = <usize>x << 2;
      const k0 = v128.load(kp);
      const k1 = v128.load(kp, 16);
      kp += 32;
      const s0 = v128.load32_splat(q0 + o);
      a00 = fmadd(s0, k0, a00);
      a01 = fmadd(s0, k1, a01);
      const s1 = v128.load32_splat(q1 + o);
      a10 = fmadd(s1, k0, a10);
      a11 = fmadd(s1, k1, a11);
      const s2 = v128.load32_splat(q2 + o);
      a20 = fmadd(s2, k0, a20);
      a21 = fmadd(s2, k1, a21);
      const s3 = v128.load32_splat(q3 + o);
      a30 = fmadd(s3, k0, a30);
      a31 = fmadd(s3, k1, a31);
    }
    const p = sc + (<usize>jj << 2);
    v128.store(p, f32x4.mul(a00, sv));
    v128.store(p, f32x4.mul(a01, sv), 16);
    v128.store(p + scb, f32x4.mul(a10, sv));
    v128.store(p + scb, f32x4.mul(a11, sv), 16);
    v128.store(p + 2 * scb, f32x4.mul(a20, sv));
    v128.store(p + 2 * scb, f32x4.mul(a21, sv), 16);
    v128.store(p + 3 * scb, f32x4.mul(a30, sv));
    v128.store(p + 3 * scb, f32x4.mul(a31, sv), 16);
  }
}

/** qt[x] = (q0[x], q1[x], q2[x], q3[x]): the four rows side by side, for sharedScores. */
function transposeQ(qt: usize, q0: usize, q1: usize, q2: usize, q3: usize, d: i32): void {
  let x = 0;
  for (; x + 4 <= d; x += 4) {
    const o = <usize>x << 2;
    const r0 = v128.load(q0 + o), r1 = v128.load(q1 + o), r2 = v128.load(q2 + o), r3 = v128.load(q3 + o);
    const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
    const p = qt + (<usize>x << 4);
    v128.store(p, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
    v128.store(p, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
    v128.store(p, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
    v128.store(p, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
  }
  for (; x < d; x++) {
    const o = <usize>x << 2;
    const p = qt + (<usize>x << 4);
    store<f32>(p, load<f32>(q0 + o));
    store<f32>(p, load<f32>(q1 + o), 4);
    store<f32>(p, load<f32>(q2 + o), 8);
    store<f32>(p, load<f32>(q3 + o), 12);
  }
}

/**
 * Scores of the candidates all four rows share (landmark blocks, globals): ex_r[c] = scale · q_r · K_c
 * for c in [0, n), four candidates per step with lanes over rows (qt), each lane summed in x order.
 * ptrs: the candidates' key rows. Writes up to three slack entries past n in each row.
 */
function sharedScores(ex: usize, exb: usize, qt: usize, ptrs: usize, n: i32, d: i32, scale: f32): void {
  const sv = f32x4.splat(scale);
  for (let c = 0; c < n; c += 4) {
    const p0 = load<usize>(ptrs + (<usize>c << 2));
    const p1 = c + 1 < n ? load<usize>(ptrs + (<usize>(c + 1) << 2)) : p0;
    const p2 = c + 2 < n ? load<usize>(ptrs + (<usize>(c + 2) << 2)) : p0;
    const p3 = c + 3 < n ? load<usize>(ptrs + (<usize>(c + 3) << 2)) : p0;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let x = 0; x < d; x++) {
      const o = <usize>x << 2;
      const qv = v128.load(qt + (<usize>x << 4));
      a0 = fmadd(qv, v128.load32_splat(p0 + o), a0);
      a1 = fmadd(qv, v128.load32_splat(p1 + o), a1);
      a2 = fmadd(qv, v128.load32_splat(p2 + o), a2);
      a3 = fmadd(qv, v128.load32_splat(p3 + o), a3);
    }
    // a_k holds candidate k for rows 0..3; transpose so each row gets its four candidates
    const t0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
    const e = ex + (<usize>c << 2);
    v128.store(e, f32x4.mul(v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), sv));
    v128.store(e + exb, f32x4.mul(v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), sv));
    v128.store(e + 2 * exb, f32x4.mul(v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), sv));
    v128.store(e + 3 * exb, f32x4.mul(v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), sv));
  }
}

/**
 * Max of n floats at p. pmax (one instruction in V8, where f32x4.max is ~8) may skip a NaN score, but
 * a NaN score still makes its e^(s − m) and so the row's sum NaN, as in the row kernel.
 */
function vmax(p: usize, n: i32, m0: f32): f32 {
  let mv = f32x4.splat(m0);
  let c = 0;
  for (; c + 4 <= n; c += 4) mv = f32x4.pmax(mv, v128.load(p + (<usize>c << 2)));
  let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (; c < n; c++) m = max(m, load<f32>(p + (<usize>c << 2)));
  return m;
}

/** p[c] = e^(p[c] − m) for c in [0, n); returns the sum. The last vector may write past n (slack). */
function vexpSum(p: usize, n: i32, m: f32): f32 {
  const mv = f32x4.splat(m);
  let dv = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= n; c += 4) {
    const o = <usize>c << 2;
    const e = vexp(f32x4.sub(v128.load(p + o), mv));
    v128.store(p + o, e);
    dv = f32x4.add(dv, e);
  }
  let den = hsum(dv);
  if (c < n) {
    const o = <usize>c << 2;
    v128.store(p + o, vexp(f32x4.sub(v128.load(p + o), mv)));
    for (; c < n; c++) den += load<f32>(p + (<usize>c << 2));
  }
  return den;
}

/** acc[0..d) = Σ_c w[c] · V_c (V_c at ptr[c]), 16 outputs held in registers across the list. */
function gatherValues(acc: usize, ptrs: usize, ws: usize, n: i32, d: i32): void {
  let x = 0;
  for (; x + 16 <= d; x += 16) {
    const xo = <usize>x << 2;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let c = 0; c < n; c++) {
      const w = v128.load32_splat(ws + (<usize>c << 2));
      const p = load<usize>(ptrs + (<usize>c << 2)) + xo;
      a0 = fmadd(w, v128.load(p), a0);
      a1 = fmadd(w, v128.load(p, 16), a1);
      a2 = fmadd(w, v128.load(p, 32), a2);
      a3 = fmadd(w, v128.load(p, 48), a3);
    }
    v128.store(acc + xo, a0);
    v128.store(acc + xo, a1, 16);
    v128.store(acc + xo, a2, 32);
    v128.store(acc + xo, a3, 48);
  }
  for (; x < d; x++) {
    const xo = <usize>x << 2;
    let a: f32 = 0;
    for (let c = 0; c < n; c++) a += load<f32>(ws + (<usize>c << 2)) * load<f32>(load<usize>(ptrs + (<usize>c << 2)) + xo);
    store<f32>(acc + xo, a);
  }
}

/**
 * out_r = (acc_r + Σ_{j=c0}^{c1} w_r[j] · V_j + Σ_{c<ns} e_r[c] · V(sp[c])) · inv_r for the four rows:
 * one V row load feeds four rows (8 outputs per pass). w_r[j] sits at wr + r·scStride + j·4, V_j at
 * v + j·vst; the shared out-of-window candidates' V rows are listed at sp, their weights at exw + r·exb.
 */
function sharedValues(out0: usize, out1: usize, out2: usize, out3: usize, v: usize, vst: usize, wr: usize, c0: i32, c1: i32, sp: usize, ns: i32, exw: usize, exb: usize, d: i32, inv: v128): void {
  const scb = <usize>scN << 2;
  const i0 = f32x4.splat(f32x4.extract_lane(inv, 0)), i1 = f32x4.splat(f32x4.extract_lane(inv, 1));
  const i2 = f32x4.splat(f32x4.extract_lane(inv, 2)), i3 = f32x4.splat(f32x4.extract_lane(inv, 3));
  const accB = <usize>accN << 2;
  let x = 0;
  for (; x + 8 <= d; x += 8) {
    const xo = <usize>x << 2;
    const a = accP + xo;
    let a00 = v128.load(a), a01 = v128.load(a, 16);
    let a10 = v128.load(a + accB), a11 = v128.load(a + accB, 16);
    let a20 = v128.load(a + 2 * accB), a21 = v128.load(a + 2 * accB, 16);
    let a30 = v128.load(a + 3 * accB), a31 = v128.load(a + 3 * accB, 16);
    let vp = v + <usize>c0 * vst + xo;
    let wp = wr + (<usize>c0 << 2);
    for (let j = c0; j <= c1; j++) {
      const v0 = v128.load(vp);
      const v1 = v128.load(vp, 16);
      vp += vst;
      const w0 = v128.load32_splat(wp);
      a00 = fmadd(w0, v0, a00);
      a01 = fmadd(w0, v1, a01);
      const w1 = v128.load32_splat(wp + scb);
      a10 = fmadd(w1, v0, a10);
      a11 = fmadd(w1, v1, a11);
      const w2 = v128.load32_splat(wp + 2 * scb);
      a20 = fmadd(w2, v0, a20);
      a21 = fmadd(w2, v1, a21);
      const w3 = v128.load32_splat(wp + 3 * scb);
      a30 = fmadd(w3, v0, a30);
      a31 = fmadd(w3, v1, a31);
      wp += 4;
    }
    for (let c = 0; c < ns; c++) {
      const p = load<usize>(sp + (<usize>c << 2)) + xo;
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const e = exw + (<usize>c << 2);
      const w0 = v128.load32_splat(e);
      a00 = fmadd(w0, v0, a00);
      a01 = fmadd(w0, v1, a01);
      const w1 = v128.load32_splat(e + exb);
      a10 = fmadd(w1, v0, a10);
      a11 = fmadd(w1, v1, a11);
      const w2 = v128.load32_splat(e + 2 * exb);
      a20 = fmadd(w2, v0, a20);
      a21 = fmadd(w2, v1, a21);
      const w3 = v128.load32_splat(e + 3 * exb);
      a30 = fmadd(w3, v0, a30);
      a31 = fmadd(w3, v1, a31);
    }
    v128.store(out0 + xo, f32x4.mul(a00, i0));
    v128.store(out0 + xo, f32x4.mul(a01, i0), 16);
    v128.store(out1 + xo, f32x4.mul(a10, i1));
    v128.store(out1 + xo, f32x4.mul(a11, i1), 16);
    v128.store(out2 + xo, f32x4.mul(a20, i2));
    v128.store(out2 + xo, f32x4.mul(a21, i2), 16);
    v128.store(out3 + xo, f32x4.mul(a30, i3));
    v128.store(out3 + xo, f32x4.mul(a31, i3), 16);
  }
  for (; x < d; x++) {
    const xo = <usize>x << 2;
    let b0 = load<f32>(accP + xo), b1 = load<f32>(accP + accB + xo), b2 = load<f32>(accP + 2 * accB + xo), b3 = load<f32>(accP + 3 * accB + xo);
    for (let j = c0; j <= c1; j++) {
      const vv = load<f32>(v + <usize>j * vst + xo);
      const wp = wr + (<usize>j << 2);
      b0 += load<f32>(wp) * vv;
      b1 += load<f32>(wp + scb) * vv;
      b2 += load<f32>(wp + 2 * scb) * vv;
      b3 += load<f32>(wp + 3 * scb) * vv;
    }
    for (let c = 0; c < ns; c++) {
      const vv = load<f32>(load<usize>(sp + (<usize>c << 2)) + xo);
      const e = exw + (<usize>c << 2);
      b0 += load<f32>(e) * vv;
      b1 += load<f32>(e + exb) * vv;
      b2 += load<f32>(e + 2 * exb) * vv;
      b3 += load<f32>(e + 3 * exb) * vv;
    }
    store<f32>(out0 + xo, b0 * f32x4.extract_lane(inv, 0));
    store<f32>(out1 + xo, b1 * f32x4.extract_lane(inv, 1));
    store<f32>(out2 + xo, b2 * f32x4.extract_lane(inv, 2));
    store<f32>(out3 + xo, b3 * f32x4.extract_lane(inv, 3));
  }
}

/**
 * Sparse forward over all S query rows (crate forward / forward_gqa / forward_gated), four rows at a
 * time. Arguments as attn_sparse_forward; scratch: attn_sparse_tiled_scratch_bytes(s, w, ng, hq, hkv, d).
 * Output rows are written with plain stores, so `out` needs no initialisation.
 */
export function attn_sparse_forward_tiled(out: usize, q: usize, k: usize, v: usize, km: usize, vm: usize, keep: usize, s: i32, hq: i32, hkv: i32, d: i32, w: i32, bsize: i32, g: usize, ng: i32, flags: i32, scratch: usize): void {
  carve(scratch, s, w, ng, hkv, d);
  const scale: f32 = 1 / Mathf.sqrt(<f32>d);
  const causal = (flags & CAUSAL) != 0;
  const group = hq / hkv;
  const qRow = <usize>(hq * d) << 2;
  const kvRow = <usize>(hkv * d) << 2;
  const headB = <usize>panels(w, s) * (<usize>d << 5);
  const scb = <usize>scN << 2;
  const candB = <usize>candN << 2;
  const accB = <usize>accN << 2;
  // Candidate order only changes rounding (spec 1.5), and this kernel sums in its own order anyway.
  const lflags = flags & ~SORT;
  let ktLo = 0; // first key of the current tile's transposed keys (a multiple of 8)
  for (let i0 = 0; i0 < s; i0 += R) {
    if (i0 % TILE == 0) {
      const t1 = min(i0 + TILE, s) - 1;
      ktLo = max(0, i0 - w) & ~7;
      transposeKeys(ktP, k, ktLo, causal ? t1 : min(t1 + w, s - 1), hkv, d, headB);
    }
    const nr = min(R, s - i0);
    // candidate lists and window bounds of the group's rows; missing rows repeat the last one
    for (let r = 0; r < R; r++) {
      const i = i0 + min(r, nr - 1);
      const tl = toksP + <usize>r * candB;
      const bl = blksP + <usize>r * candB;
      candidates(i, s, w, bsize, g, ng, lflags, keep, tl, bl);
      const bp = boundsP + (<usize>r << 4);
      store<i32>(bp, max(0, i - w));
      store<i32>(bp, causal ? i : min(i + w, s - 1), 4);
      store<i32>(bp, nTok, 8);
      store<i32>(bp, nBlk, 12);
    }
    const gLo = load<i32>(boundsP) & ~7; // the rows' windows grow with i, so row 0 has the lowest start (taken down to its panel) …
    const gHi = load<i32>(boundsP + 3 * 16, 4); // … and row 3 the highest end
    const cLo = load<i32>(boundsP + 3 * 16); // keys every row sees: [start of row 3, end of row 0]
    const cHi = load<i32>(boundsP, 4);
    const shared = cLo <= cHi;
    const span = gHi - gLo + 1;
    // Out-of-window candidates (tokens after the window: j; blocks: ~b) split into those all four rows
    // have (landmark blocks and globals, mostly) and each row's own (log-stride tokens, mostly).
    for (let r = 0; r < R; r++) {
      const bp = boundsP + (<usize>r << 4);
      const nwin = load<i32>(bp, 4) - load<i32>(bp) + 1;
      const nt = load<i32>(bp, 8), nbk = load<i32>(bp, 12);
      const xl = xlP + <usize>r * candB;
      let n = 0;
      for (let c = nwin; c < nt; c++) store<i32>(xl + (<usize>(++n) << 2), load<i32>(toksP + <usize>r * candB + (<usize>c << 2)));
      for (let c = 0; c < nbk; c++) store<i32>(xl + (<usize>(++n) << 2), ~load<i32>(blksP + <usize>r * candB + (<usize>c << 2)));
      store<i32>(xl, n);
    }
    let ns = 0;
    {
      const n0 = load<i32>(xlP);
      let keep0 = 0;
      for (let c = 1; c <= n0; c++) {
        const e = load<i32>(xlP + (<usize>c << 2));
        let inAll = true;
        for (let r = 1; r < R && inAll; r++) {
          const xl = xlP + <usize>r * candB;
          const nrr = load<i32>(xl);
          let found = false;
          for (let y = 1; y <= nrr; y++) if (load<i32>(xl + (<usize>y << 2)) == e) found = true;
          inAll = found;
        }
        if (inAll) store<i32>(slP + (<usize>(ns++) << 2), e);
        else store<i32>(xlP + (<usize>(++keep0) << 2), e);
      }
      store<i32>(xlP, keep0);
      // drop the shared ones from rows 1..3 (each row's list has no repeats)
      for (let r = 1; r < R; r++) {
        const xl = xlP + <usize>r * candB;
        const nrr = load<i32>(xl);
        let kept = 0;
        for (let y = 1; y <= nrr; y++) {
          const e = load<i32>(xl + (<usize>y << 2));
          let isShared = false;
          for (let z = 0; z < ns; z++) if (load<i32>(slP + (<usize>z << 2)) == e) isShared = true;
          if (!isShared) store<i32>(xl + (<usize>(++kept) << 2), e);
        }
        store<i32>(xl, kept);
      }
    }
    for (let h = 0; h < hq; h++) {
      const kvh = h / group;
      const qh = q + <usize>i0 * qRow + (<usize>(h * d) << 2);
      const q0 = qh, q1 = qh + <usize>min(1, nr - 1) * qRow, q2 = qh + <usize>min(2, nr - 1) * qRow, q3 = qh + <usize>min(3, nr - 1) * qRow;
      windowScores(scP, q0, q1, q2, q3, ktP + <usize>kvh * headB + (<usize>(gLo - ktLo) << 2) * <usize>d, d, span, scale);
      const kOff = <usize>(kvh * d) << 2;
      const vh = v + kOff;
      if (ns > 0) {
        transposeQ(qtP, q0, q1, q2, q3, d);
        for (let c = 0; c < ns; c++) {
          const e = load<i32>(slP + (<usize>c << 2));
          store<usize>(sPtr + (<usize>c << 2), (e >= 0 ? k + <usize>e * kvRow : km + <usize>(~e) * kvRow) + kOff);
        }
        sharedScores(exP, candB, qtP, sPtr, ns, d, scale);
        for (let c = 0; c < ns; c++) {
          const e = load<i32>(slP + (<usize>c << 2));
          store<usize>(sPtr + (<usize>c << 2), (e >= 0 ? v + <usize>e * kvRow : vm + <usize>(~e) * kvRow) + kOff);
        }
      }
      for (let r = 0; r < R; r++) {
        const bp = boundsP + (<usize>r << 4);
        const lo = load<i32>(bp), hi = load<i32>(bp, 4);
        const nwin = hi - lo + 1;
        const xl = xlP + <usize>r * candB;
        const no = load<i32>(xl); // this row's own out-of-window candidates: ex[ns … ns + no)
        const nx = ns + no;
        const qr = q0 + <usize>min(r, nr - 1) * qRow;
        const ex = exP + <usize>r * candB;
        for (let c = 0; c < no; c++) {
          const e = load<i32>(xl + (<usize>(c + 1) << 2));
          const kp = e >= 0 ? k + <usize>e * kvRow : km + <usize>(~e) * kvRow;
          store<f32>(ex + (<usize>(ns + c) << 2), dot(qr, kp + kOff, d) * scale);
        }
        // softmax over the row's window scores and its out-of-window scores
        const sw = scP + <usize>r * scb + (<usize>(lo - gLo) << 2);
        const m = vmax(ex, nx, vmax(sw, nwin, -Infinity));
        const den = vexpSum(sw, nwin, m) + vexpSum(ex, nx, m);
        store<f32>(invP + (<usize>r << 2), den > 0 ? 1 / den : 0); // den ≥ 1 (the max term is e^0)
        // what only this row sees: window keys outside [cLo, cHi], then its own out-of-window candidates
        let n = 0;
        const aLo = shared ? cLo - 1 : hi; // left end: [lo, aLo]; right end: [cHi + 1, hi]
        for (let j = lo; j <= min(aLo, hi); j++) {
          store<usize>(gPtr + (<usize>n << 2), vh + <usize>j * kvRow);
          store<f32>(gW + (<usize>(n++) << 2), load<f32>(sw + (<usize>(j - lo) << 2)));
        }
        if (shared) {
          for (let j = cHi + 1; j <= hi; j++) {
            store<usize>(gPtr + (<usize>n << 2), vh + <usize>j * kvRow);
            store<f32>(gW + (<usize>(n++) << 2), load<f32>(sw + (<usize>(j - lo) << 2)));
          }
        }
        for (let c = 0; c < no; c++) {
          const e = load<i32>(xl + (<usize>(c + 1) << 2));
          store<usize>(gPtr + (<usize>n << 2), (e >= 0 ? v + <usize>e * kvRow : vm + <usize>(~e) * kvRow) + kOff);
          store<f32>(gW + (<usize>(n++) << 2), load<f32>(ex + (<usize>(ns + c) << 2)));
        }
        gatherValues(accP + <usize>r * accB, gPtr, gW, n, d);
      }
      // the shared window keys and shared candidates for all four rows at once, plus the per-row sums, times 1/den
      const oh = out + <usize>i0 * qRow + (<usize>(h * d) << 2);
      // rows past S write into the scratch acc of row 3 instead of out (never read again)
      const o1 = nr > 1 ? oh + qRow : accP + 3 * accB;
      const o2 = nr > 2 ? oh + 2 * qRow : accP + 3 * accB;
      const o3 = nr > 3 ? oh + 3 * qRow : accP + 3 * accB;
      sharedValues(oh, o1, o2, o3, vh, kvRow, scP + (<usize>(-gLo) << 2), shared ? cLo : 0, shared ? cHi : -1, sPtr, ns, exP, candB, d, v128.load(invP));
    }
  }
}
