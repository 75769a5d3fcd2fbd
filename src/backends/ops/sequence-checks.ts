/**
 * Operand checks for the sequence ops (see ops/sequence.ts), shared by all three backends so a bad
 * call throws the same SparrowError (code and message) everywhere.
 */
import { SparrowError, fmtShape } from '../../errors.ts';
import type { Tensor } from '../backend.ts';
import { checkDtype } from '../validate.ts';

function fail(op: string, detail: string, ts: Record<string, Tensor | null>): never {
  const named = Object.entries(ts).filter((e): e is [string, Tensor] => e[1] !== null);
  const shapes = named.map(([k, t]) => `${k} ${fmtShape(t.shape)}`).join(', ');
  throw new SparrowError('SHAPE_MISMATCH', `${op}: ${detail} (${shapes})`, {
    op,
    shapes: Object.fromEntries(named.map(([k, t]) => [k, [...t.shape]])),
  });
}

function f32(op: string, ts: Record<string, Tensor | null>): void {
  for (const [name, t] of Object.entries(ts)) if (t) checkDtype(op, name, t, ['f32']);
}

/** [T, C] token-major activations: returns T and C (a 1-D tensor is one token). */
function rows(t: Tensor): { t: number; c: number } {
  const c = t.shape.length ? t.shape[t.shape.length - 1] : 1;
  return { t: c === 0 ? 0 : t.size / c, c };
}

/** `out` and `state` are written: neither may be the same tensor as another operand. */
function noAlias(op: string, out: Tensor, ins: Record<string, Tensor | null>): void {
  const state = ins.state ?? null;
  for (const [name, t] of Object.entries(ins)) {
    if (t === out) throw new SparrowError('INVALID_ARGUMENT', `${op}: out must not alias ${name}`, { op });
    if (state && name !== 'state' && t === state) throw new SparrowError('INVALID_ARGUMENT', `${op}: state must not alias ${name}`, { op });
  }
}

export function causalConv1d(op: string, out: Tensor, x: Tensor, w: Tensor, bias: Tensor | null, state: Tensor): { t: number; c: number; k: number } {
  f32(op, { out, x, w, bias, state });
  noAlias(op, out, { x, w, bias, state });
  if (w.shape.length !== 2) fail(op, 'w must be [C, K]', { w });
  const [c, k] = w.shape;
  if (k < 1) fail(op, 'kernel size K must be at least 1', { w });
  const { t, c: xc } = rows(x);
  if (xc !== c) fail(op, `x rows must have C = ${c} channels`, { x, w });
  if (out.size !== x.size) fail(op, `out must be [${t}, ${c}]`, { out, x });
  if (bias && bias.size !== c) fail(op, `bias must have ${c} elements`, { bias, w });
  if (state.shape.length !== 2 || state.shape[0] !== c || state.shape[1] !== k) fail(op, `state must be [${c}, ${k}]`, { state, w });
  return { t, c, k };
}

export function selectiveScan(
  op: string,
  out: Tensor,
  x: Tensor,
  dt: Tensor,
  a: Tensor,
  b: Tensor,
  c: Tensor,
  d: Tensor | null,
  z: Tensor | null,
  dtBias: Tensor | null,
  state: Tensor,
): { t: number; i: number; n: number } {
  f32(op, { out, x, dt, a, b, c, d, z, dtBias, state });
  noAlias(op, out, { x, dt, a, b, c, d, z, dtBias, state });
  if (a.shape.length !== 2) fail(op, 'A must be [I, N]', { a });
  const [i, n] = a.shape;
  const { t, c: xi } = rows(x);
  if (xi !== i) fail(op, `x rows must have I = ${i} channels`, { x, a });
  if (dt.size !== x.size || rows(dt).c !== i) fail(op, `dt must be [${t}, ${i}]`, { dt, x });
  if (z && (z.size !== x.size || rows(z).c !== i)) fail(op, `z must be [${t}, ${i}]`, { z, x });
  if (out.size !== x.size) fail(op, `out must be [${t}, ${i}]`, { out, x });
  if (b.size !== t * n || rows(b).c !== n) fail(op, `B must be [${t}, ${n}]`, { b, x, a });
  if (c.size !== t * n || rows(c).c !== n) fail(op, `C must be [${t}, ${n}]`, { c, x, a });
  if (d && d.size !== i) fail(op, `D must have ${i} elements`, { d, a });
  if (dtBias && dtBias.size !== i) fail(op, `dtBias must have ${i} elements`, { dtBias, a });
  if (state.shape.length !== 2 || state.shape[0] !== i || state.shape[1] !== n) fail(op, `state must be [${i}, ${n}]`, { state, a });
  return { t, i, n };
}

export function wkv4(op: string, out: Tensor, k: Tensor, v: Tensor, timeDecay: Tensor, timeFirst: Tensor, state: Tensor): { t: number; c: number } {
  f32(op, { out, k, v, timeDecay, timeFirst, state });
  noAlias(op, out, { k, v, timeDecay, timeFirst, state });
  const { t, c } = rows(k);
  if (v.size !== k.size || rows(v).c !== c) fail(op, `v must be [${t}, ${c}] like k`, { k, v });
  if (out.size !== k.size) fail(op, `out must be [${t}, ${c}]`, { out, k });
  if (timeDecay.size !== c) fail(op, `timeDecay must have ${c} elements`, { timeDecay, k });
  if (timeFirst.size !== c) fail(op, `timeFirst must have ${c} elements`, { timeFirst, k });
  if (state.shape.length !== 2 || state.shape[0] !== 3 || state.shape[1] !== c) fail(op, `state must be [3, ${c}] (num, den, max)`, { state, k });
  return { t, c };
}

export function ternaryMatvec(op: string, out: Tensor, w: Tensor, x: Tensor): { r: number; m: number; k: number } {
  checkDtype(op, 'w', w, ['ternary']);
  f32(op, { out, x });
  if (w.shape.length !== 2) fail(op, 'w must be [M, K]', { w });
  const [m, k] = w.shape;
  const { t: r, c } = rows(x);
  if (c !== k) fail(op, `x rows must have K = ${k} elements`, { x, w });
  if (out.size !== r * m || rows(out).c !== m) fail(op, `out must be [${r}, ${m}]`, { out, x, w });
  return { r, m, k };
}

export function deltaRule(op: string, out: Tensor, q: Tensor, k: Tensor, v: Tensor, beta: Tensor, state: Tensor): { t: number; h: number; dk: number; dv: number } {
  f32(op, { out, q, k, v, beta, state });
  noAlias(op, out, { q, k, v, beta, state });
  if (state.shape.length !== 3) fail(op, 'state must be [H, Dv, Dk]', { state });
  const [h, dv, dk] = state.shape;
  if (k.shape.length !== 3 || k.shape[1] !== h || k.shape[2] !== dk) fail(op, `k must be [T, ${h}, ${dk}]`, { k, state });
  const t = k.shape[0];
  if (q.shape.length !== 3 || q.shape[0] !== t || q.shape[1] !== h || q.shape[2] !== dk) fail(op, `q must be [${t}, ${h}, ${dk}]`, { q, k });
  if (v.shape.length !== 3 || v.shape[0] !== t || v.shape[1] !== h || v.shape[2] !== dv) fail(op, `v must be [${t}, ${h}, ${dv}]`, { v, state });
  if (beta.size !== t * h) fail(op, `beta must be [${t}, ${h}]`, { beta, k });
  if (out.size !== t * h * dv) fail(op, `out must be [${t}, ${h}, ${dv}]`, { out, v });
  return { t, h, dk, dv };
}

/** wkv7: r, w, k, v, a, b [T, C], state [H, N, N] with C = H·N, out [T, C]. */
export function wkv7(op: string, out: Tensor, r: Tensor, w: Tensor, k: Tensor, v: Tensor, a: Tensor, b: Tensor, state: Tensor): { t: number; h: number; n: number } {
  f32(op, { out, r, w, k, v, a, b, state });
  noAlias(op, out, { r, w, k, v, a, b, state });
  if (state.shape.length !== 3 || state.shape[1] !== state.shape[2]) fail(op, 'state must be [H, N, N]', { state });
  const [h, n] = state.shape;
  const c = h * n;
  const { t, c: kc } = rows(k);
  if (kc !== c) fail(op, `k must be [T, ${c}] (H·N of the state)`, { k, state });
  for (const [name, x] of Object.entries({ r, w, v, a, b, out })) {
    const rc = rows(x);
    if (rc.c !== c || rc.t !== t) fail(op, `${name} must be [${t}, ${c}]`, { [name]: x, k });
  }
  return { t, h, n };
}

/** wkv7Bonus: out, r, k, v [T, C], u [C], headSize divides C. */
export function wkv7Bonus(op: string, out: Tensor, r: Tensor, k: Tensor, v: Tensor, u: Tensor, headSize: number): { t: number; c: number; n: number } {
  f32(op, { out, r, k, v, u });
  noAlias(op, out, { r, k, v, u });
  const { t, c } = rows(out);
  if (!Number.isInteger(headSize) || headSize < 1 || c % headSize !== 0) {
    throw new SparrowError('INVALID_ARGUMENT', `${op}: headSize ${headSize} must be a positive divisor of ${c}`, { op, headSize, channels: c });
  }
  for (const [name, x] of Object.entries({ r, k, v })) {
    const rc = rows(x);
    if (rc.c !== c || rc.t !== t) fail(op, `${name} must be [${t}, ${c}]`, { [name]: x, out });
  }
  if (u.size !== c) fail(op, `u must be [${c}]`, { u, out });
  return { t, c, n: headSize };
}
