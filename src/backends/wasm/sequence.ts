/**
 * Sequence ops (ops/sequence.ts) on the wasm backend: validation here, loops in
 * assembly/sequence.ts. Absent optional tensors are passed as pointer 0.
 */
import { SparrowError } from '../../errors.ts';
import type { Tensor } from '../backend.ts';
import * as v from '../validate.ts';
import * as s from '../ops/sequence-checks.ts';
import { restoreF16 } from './f16.ts';
import { ternaryRowStride } from '../ops/ternary-layout.ts';
import type { WasmBackend, WasmTensor } from './backend.ts';
import { scratchRowRunner } from './threads-ops.ts';

type Kernel = (...args: number[]) => void;

function kernel(b: WasmBackend, name: string): Kernel {
  const f = b.k[name];
  if (typeof f !== 'function') throw new SparrowError('INTERNAL', `wasm: kernel ${name} is missing from build/sparrow.wasm (rebuild with npm run build:wasm)`);
  return f as Kernel;
}

/** Pointers of the operands (0 for null), after the backend/freed checks. */
function ptrs(b: WasmBackend, op: string, ...ts: Array<Tensor | null>): number[] {
  return ts.map((t) => {
    if (!t) return 0;
    v.checkBackend(op, b.name, t);
    const w = t as WasmTensor;
    if (w.freed) throw new SparrowError('INVALID_ARGUMENT', `${op}: tensor ${JSON.stringify(t.shape)} was freed`, { op });
    if (w.f16plan !== undefined) restoreF16(w); // a prepared f16 weight's original halves (./f16.ts)
    return w.ptr;
  });
}

/** Run `f` with a temporary 16-byte-aligned scratch block of `bytes` bytes. */
function withScratch(b: WasmBackend, bytes: number, f: (p: number) => void): void {
  const p = b.heap.alloc(bytes);
  try {
    f(p);
  } finally {
    b.heap.release(p);
  }
}

export function causalConv1d(b: WasmBackend, out: Tensor, x: Tensor, w: Tensor, bias: Tensor | null, state: Tensor, act: boolean): void {
  const op = 'causalConv1d';
  const p = ptrs(b, op, out, x, w, bias, state);
  const { t, c, k } = s.causalConv1d(op, out, x, w, bias, state);
  // scratch: the weight transposed to [K, C]
  withScratch(b, 4 * c * k, (wt) => kernel(b, 'causal_conv1d_f32')(...p, wt, t, c, k, act ? 1 : 0));
}

export function selectiveScan(
  b: WasmBackend,
  out: Tensor,
  x: Tensor,
  dt: Tensor,
  a: Tensor,
  bm: Tensor,
  c: Tensor,
  d: Tensor | null,
  z: Tensor | null,
  dtBias: Tensor | null,
  state: Tensor,
  deltaSoftplus: boolean,
): void {
  const op = 'selectiveScan';
  const p = ptrs(b, op, out, x, dt, a, bm, c, d, z, dtBias, state);
  const { t, i, n } = s.selectiveScan(op, out, x, dt, a, bm, c, d, z, dtBias, state);
  // scratch: Δ and SiLU(z) of one token, [2·I], one per part when the channels are split across the
  // thread pool (each channel's state row is independent: bit-identical to one thread)
  kernel(b, 'selective_scan_rows');
  scratchRowRunner(b, 4 * t * i * n)('selective_scan_rows', i, (c0, c1, scratch) => [...p, scratch, t, i, n, deltaSoftplus ? 1 : 0, c0, c1], 8 * i);
}

export function wkv4(b: WasmBackend, out: Tensor, k: Tensor, v_: Tensor, timeDecay: Tensor, timeFirst: Tensor, state: Tensor): void {
  const op = 'wkv4';
  const p = ptrs(b, op, out, k, v_, timeDecay, timeFirst, state);
  const { t, c } = s.wkv4(op, out, k, v_, timeDecay, timeFirst, state);
  kernel(b, 'wkv4_f32')(...p, t, c);
}

export function deltaRule(b: WasmBackend, out: Tensor, q: Tensor, k: Tensor, v_: Tensor, beta: Tensor, state: Tensor): void {
  const op = 'deltaRule';
  const p = ptrs(b, op, out, q, k, v_, beta, state);
  const { t, h, dk, dv } = s.deltaRule(op, out, q, k, v_, beta, state);
  kernel(b, 'delta_rule_f32')(...p, t, h, dk, dv);
}

export function wkv7(b: WasmBackend, out: Tensor, r: Tensor, w: Tensor, k: Tensor, v_: Tensor, a: Tensor, bb: Tensor, state: Tensor): void {
  const op = 'wkv7';
  const p = ptrs(b, op, out, r, w, k, v_, a, bb, state);
  const { t, h, n } = s.wkv7(op, out, r, w, k, v_, a, bb, state);
  kernel(b, 'wkv7_f32')(...p, t, h, n);
}

export function wkv7Bonus(b: WasmBackend, out: Tensor, r: Tensor, k: Tensor, v_: Tensor, u: Tensor, headSize: number): void {
  const op = 'wkv7Bonus';
  const p = ptrs(b, op, out, r, k, v_, u);
  const { t, c, n } = s.wkv7Bonus(op, out, r, k, v_, u, headSize);
  kernel(b, 'wkv7_bonus_f32')(...p, t, c, n);
}

export function ternaryMatvec(b: WasmBackend, out: Tensor, w: Tensor, x: Tensor): void {
  const op = 'ternaryMatvec';
  const [po, pw, px] = ptrs(b, op, out, w, x);
  const { r, m, k } = s.ternaryMatvec(op, out, w, x);
  const stride = ternaryRowStride(k);
  withScratch(b, stride * 4, (xt) => kernel(b, 'ternary_matvec')(po, pw, px, xt, r, m, k, stride));
}

export function ternaryMatvecLut(b: WasmBackend, out: Tensor, w: Tensor, x: Tensor): void {
  const op = 'ternaryMatvecLut';
  const [po, pw, px] = ptrs(b, op, out, w, x);
  const { r, m, k } = s.ternaryMatvec(op, out, w, x);
  const stride = ternaryRowStride(k);
  const groups = stride * 4; // padded: 16 groups per 16-byte block of a row
  // scratch: xt, xq (4 B/group), i16 tables (32 B/group), low/high byte tables (16 B/group each)
  withScratch(b, stride * 4 + groups * (4 + 32 + 16 + 16), (xt) => kernel(b, 'ternary_matvec_tmac')(po, pw, px, xt, r, m, k, stride));
}
