// Fused single-token step of the micro model (src/models/micro.ts has the same math in TS).
// All weights, the KV ring buffers, the delta-rule memories and scratch live in linear memory;
// `ctx` is an i32 table of sizes and pointers laid out by src/models/micro-wasm.ts:
//   [0] vocab [1] dim [2] heads [3] layers [4] window [5] ffn [6] pos [7] eps (f32 bits)
//   [8] emb [9] normf [10] head.w [11] head.b [12] logits [13] scratch
//   [16 + 24·l + i] per layer l: norm1 wq wk wv bias mwq mwk mwv wbeta bbeta gw gb wo norm2 w1 b1 w2 b2 K V M

// @ts-ignore: decorator
@inline function slot(ctx: usize, i: i32): i32 {
  return load<i32>(ctx + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function ptr(ctx: usize, i: i32): usize {
  return <usize>load<i32>(ctx + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function f(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function sf(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}

function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; j < n; j++) s += f(a, j) * f(b, j);
  return s;
}

/** out[r] (+)= W[r, :] · x */
function mv(out: usize, w: usize, x: usize, m: i32, k: i32, accumulate: bool): void {
  const row = <usize>k << 2;
  for (let r = 0; r < m; r++) {
    const s = dot(w + <usize>r * row, x, k);
    sf(out, r, accumulate ? f(out, r) + s : s);
  }
}

function rms(out: usize, x: usize, g: usize, n: i32, eps: f32): void {
  const ss = dot(x, x, n);
  const r = <f32>(1.0 / Math.sqrt(<f64>(ss / <f32>n + eps)));
  for (let i = 0; i < n; i++) sf(out, i, f(x, i) * r * f(g, i));
}

function l2heads(x: usize, heads: i32, dh: i32): void {
  for (let h = 0; h < heads; h++) {
    const p = x + (<usize>(h * dh) << 2);
    const r = <f32>(1.0 / Math.sqrt(<f64>(dot(p, p, dh) + <f32>1e-6)));
    for (let i = 0; i < dh; i++) sf(p, i, f(p, i) * r);
  }
}

// @ts-ignore: decorator
@inline function sigm(x: f32): f32 {
  return <f32>(1.0 / (1.0 + Math.exp(-<f64>x)));
}

export function micro_step(ctx: usize, token: i32, adapt: i32): void {
  const V = slot(ctx, 0), d = slot(ctx, 1), H = slot(ctx, 2), L = slot(ctx, 3), W = slot(ctx, 4), F = slot(ctx, 5);
  const pos = slot(ctx, 6);
  const eps = load<f32>(ctx + 28);
  const dh = d / H;
  const sc = ptr(ctx, 13);
  const db = <usize>d << 2;
  const x = sc, h = x + db, q = h + db, a = q + db, mq = a + db, mk = mq + db, mvv = mk + db, m = mvv + db, g = m + db, u = g + db;
  const ff = u + db;
  const e = ff + (<usize>F << 2);
  const p = e + (<usize>dh << 2);
  memory.copy(x, ptr(ctx, 8) + <usize>token * db, db);
  const ring = pos % W;
  const n = pos + 1 < W ? pos + 1 : W;
  const scale = <f32>(1.0 / Math.sqrt(<f64>dh));
  for (let l = 0; l < L; l++) {
    const b = 16 + 24 * l;
    const K = ptr(ctx, b + 18), Vb = ptr(ctx, b + 19), M = ptr(ctx, b + 20);
    rms(h, x, ptr(ctx, b), d, eps);
    mv(q, ptr(ctx, b + 1), h, d, d, false);
    mv(K + <usize>ring * db, ptr(ctx, b + 2), h, d, d, false);
    mv(Vb + <usize>ring * db, ptr(ctx, b + 3), h, d, d, false);
    const bias = ptr(ctx, b + 4);
    memory.fill(a, 0, db);
    for (let hd = 0; hd < H; hd++) {
      const o = <usize>(hd * dh) << 2;
      let mx: f32 = -Infinity;
      for (let r = 0; r < n; r++) {
        const s = dot(q + o, K + <usize>((pos - r) % W) * db + o, dh) * scale + f(bias, hd * W + r);
        sf(p, r, s);
        if (s > mx) mx = s;
      }
      let z: f32 = 0;
      for (let r = 0; r < n; r++) {
        const ev = <f32>Math.exp(<f64>(f(p, r) - mx));
        sf(p, r, ev);
        z += ev;
      }
      const iz: f32 = <f32>1 / z;
      for (let r = 0; r < n; r++) {
        const w = f32x4.splat(f(p, r) * iz);
        const vr = Vb + <usize>((pos - r) % W) * db + o;
        let i = 0;
        for (; i + 4 <= dh; i += 4) {
          const io = <usize>i << 2;
          v128.store(a + o + io, f32x4.add(v128.load(a + o + io), f32x4.mul(w, v128.load(vr + io))));
        }
        for (; i < dh; i++) sf(a + o, i, f(a + o, i) + f(p, r) * iz * f(vr, i));
      }
    }
    mv(mq, ptr(ctx, b + 5), h, d, d, false);
    mv(mk, ptr(ctx, b + 6), h, d, d, false);
    mv(mvv, ptr(ctx, b + 7), h, d, d, false);
    l2heads(mq, H, dh);
    l2heads(mk, H, dh);
    const wbeta = ptr(ctx, b + 8), bbeta = ptr(ctx, b + 9);
    const rowB = <usize>dh << 2;
    for (let hd = 0; hd < H; hd++) {
      const o = <usize>(hd * dh) << 2;
      const Mh = M + (<usize>(hd * dh * dh) << 2);
      if (adapt) {
        const beta = sigm(dot(wbeta + (<usize>(hd * d) << 2), h, d) + f(bbeta, hd));
        for (let i = 0; i < dh; i++) sf(e, i, beta * (dot(Mh + <usize>i * rowB, mk + o, dh) - f(mvv + o, i)));
        for (let i = 0; i < dh; i++) {
          const ev = f32x4.splat(f(e, i));
          const row = Mh + <usize>i * rowB;
          let j = 0;
          for (; j + 4 <= dh; j += 4) {
            const jo = <usize>j << 2;
            v128.store(row + jo, f32x4.sub(v128.load(row + jo), f32x4.mul(ev, v128.load(mk + o + jo))));
          }
          for (; j < dh; j++) sf(row, j, f(row, j) - f(e, i) * f(mk + o, j));
        }
      }
      for (let i = 0; i < dh; i++) sf(m + o, i, dot(Mh + <usize>i * rowB, mq + o, dh));
    }
    mv(g, ptr(ctx, b + 10), h, d, d, false);
    const gb = ptr(ctx, b + 11);
    for (let i = 0; i < d; i++) sf(u, i, f(a, i) + f(m, i) * sigm(f(g, i) + f(gb, i)));
    mv(x, ptr(ctx, b + 12), u, d, d, true);
    rms(h, x, ptr(ctx, b + 13), d, eps);
    mv(ff, ptr(ctx, b + 14), h, F, d, false);
    const b1 = ptr(ctx, b + 15);
    for (let i = 0; i < F; i++) {
      const v = f(ff, i) + f(b1, i);
      sf(ff, i, v * sigm(v));
    }
    mv(x, ptr(ctx, b + 16), ff, d, F, true);
    const b2 = ptr(ctx, b + 17);
    for (let i = 0; i < d; i++) sf(x, i, f(x, i) + f(b2, i));
  }
  rms(h, x, ptr(ctx, 9), d, eps);
  const logits = ptr(ctx, 12), hb = ptr(ctx, 11);
  mv(logits, ptr(ctx, 10), h, V, d, false);
  for (let i = 0; i < V; i++) sf(logits, i, f(logits, i) + f(hb, i));
  store<i32>(ctx + 24, pos + 1);
}
