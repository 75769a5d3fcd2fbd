/**
 * Seeded inputs and runners for the sequence ops, shared by the Node suite
 * (test/kernels/sequence.test.ts) and the browser case (test/browser/cases/sequence.ts).
 * Each runner allocates its operands on a backend, runs the op once (out poisoned with NaN) and
 * returns the output and the updated state.
 */
import type { Backend, Tensor } from '../../src/backends/backend.ts';
import { randomF32 } from '../helpers/random.ts';

export const nan = (n: number) => new Float32Array(n).fill(NaN);
export const f32 = (b: Backend, shape: number[], data: Float32Array) => b.tensor(shape, 'f32', data);
export const read = async (b: Backend, t: Tensor) => (await b.read(t)) as Float32Array;

// ---- input generators (one per op, deterministic from the seed) ---------------------------------

export interface ConvIn { T: number; C: number; K: number; x: Float32Array; w: Float32Array; bias: Float32Array | null; state: Float32Array; act: boolean }
export function convIn(T: number, C: number, K: number, seed: number, bias: boolean, act: boolean): ConvIn {
  return { T, C, K, x: randomF32(T * C, seed), w: randomF32(C * K, seed + 1), bias: bias ? randomF32(C, seed + 2) : null, state: randomF32(C * K, seed + 3), act };
}
export async function runConv(b: Backend, p: ConvIn, x = p.x, T = p.T, state = p.state): Promise<{ out: Float32Array; state: Float32Array }> {
  const st = f32(b, [p.C, p.K], state);
  const out = f32(b, [T, p.C], nan(T * p.C));
  b.causalConv1d(out, f32(b, [T, p.C], x), f32(b, [p.C, p.K], p.w), p.bias ? f32(b, [p.C], p.bias) : null, st, p.act);
  return { out: await read(b, out), state: await read(b, st) };
}

export interface ScanIn { T: number; I: number; N: number; x: Float32Array; dt: Float32Array; a: Float32Array; bm: Float32Array; c: Float32Array; d: Float32Array | null; z: Float32Array | null; dtBias: Float32Array | null; state: Float32Array; sp: boolean }
export function scanIn(T: number, I: number, N: number, seed: number, opts: { d: boolean; z: boolean; bias: boolean; sp: boolean }): ScanIn {
  // A = −exp(A_log) with A_log = log(1..N) jittered, as Mamba initialises it
  const a = new Float32Array(I * N);
  const jit = randomF32(I * N, seed + 9, -0.3, 0.3);
  for (let i = 0; i < I; i++) for (let n = 0; n < N; n++) a[i * N + n] = -Math.exp(Math.log(n + 1) + jit[i * N + n]);
  return {
    T, I, N, a,
    x: randomF32(T * I, seed, -2, 2),
    // without the softplus the caller passes Δ itself, which is positive
    dt: opts.sp ? randomF32(T * I, seed + 1, -4, 1) : randomF32(T * I, seed + 1, 0.001, 0.2),
    bm: randomF32(T * N, seed + 2),
    c: randomF32(T * N, seed + 3),
    d: opts.d ? randomF32(I, seed + 4, 0.5, 1.5) : null,
    z: opts.z ? randomF32(T * I, seed + 5, -3, 3) : null,
    dtBias: opts.bias ? randomF32(I, seed + 6, -3, -1) : null,
    state: randomF32(I * N, seed + 7),
    sp: opts.sp,
  };
}
export const rows = (a: Float32Array | null, w: number, from: number, to: number) => (a ? a.slice(from * w, to * w) : null);
export function scanSlice(p: ScanIn, from: number, to: number): ScanIn {
  return { ...p, T: to - from, x: rows(p.x, p.I, from, to)!, dt: rows(p.dt, p.I, from, to)!, bm: rows(p.bm, p.N, from, to)!, c: rows(p.c, p.N, from, to)!, z: rows(p.z, p.I, from, to) };
}
export async function runScan(b: Backend, p: ScanIn, state = p.state): Promise<{ out: Float32Array; state: Float32Array }> {
  const { T, I, N } = p;
  const st = f32(b, [I, N], state);
  const out = f32(b, [T, I], nan(T * I));
  const opt = (a: Float32Array | null, shape: number[]) => (a ? f32(b, shape, a) : null);
  b.selectiveScan(out, f32(b, [T, I], p.x), f32(b, [T, I], p.dt), f32(b, [I, N], p.a), f32(b, [T, N], p.bm), f32(b, [T, N], p.c), opt(p.d, [I]), opt(p.z, [T, I]), opt(p.dtBias, [I]), st, p.sp);
  return { out: await read(b, out), state: await read(b, st) };
}

export interface WkvIn { T: number; C: number; k: Float32Array; v: Float32Array; td: Float32Array; tf: Float32Array; state: Float32Array }
export function wkvIn(T: number, C: number, seed: number, fresh: boolean): WkvIn {
  const state = new Float32Array(3 * C);
  if (fresh) state.fill(-1e38, 2 * C);
  else {
    state.set(randomF32(C, seed + 5, -2, 2), 0);
    state.set(randomF32(C, seed + 6, 0.5, 3), C);
    state.set(randomF32(C, seed + 7, -3, 3), 2 * C);
  }
  return { T, C, state, k: randomF32(T * C, seed, -6, 6), v: randomF32(T * C, seed + 1, -2, 2), td: randomF32(C, seed + 2, -3, 1.5), tf: randomF32(C, seed + 3, -1, 1) };
}
export function wkvSlice(p: WkvIn, from: number, to: number): WkvIn {
  return { ...p, T: to - from, k: rows(p.k, p.C, from, to)!, v: rows(p.v, p.C, from, to)! };
}
export async function runWkv(b: Backend, p: WkvIn, state = p.state): Promise<{ out: Float32Array; state: Float32Array }> {
  const st = f32(b, [3, p.C], state);
  const out = f32(b, [p.T, p.C], nan(p.T * p.C));
  b.wkv4(out, f32(b, [p.T, p.C], p.k), f32(b, [p.T, p.C], p.v), f32(b, [p.C], p.td), f32(b, [p.C], p.tf), st);
  return { out: await read(b, out), state: await read(b, st) };
}

export interface DeltaIn { T: number; H: number; DK: number; DV: number; q: Float32Array; k: Float32Array; v: Float32Array; beta: Float32Array; state: Float32Array }
export function deltaIn(T: number, H: number, DK: number, DV: number, seed: number): DeltaIn {
  const k = randomF32(T * H * DK, seed + 1);
  for (let r = 0; r < T * H; r++) {
    // unit-norm keys (DeltaNet L2-normalises them) keep the recurrence contractive
    let s = 0;
    for (let j = 0; j < DK; j++) s += k[r * DK + j] ** 2;
    for (let j = 0; j < DK; j++) k[r * DK + j] /= Math.sqrt(s) || 1;
  }
  return { T, H, DK, DV, k, q: randomF32(T * H * DK, seed), v: randomF32(T * H * DV, seed + 2), beta: randomF32(T * H, seed + 3, 0, 1), state: randomF32(H * DV * DK, seed + 4) };
}
export function deltaSlice(p: DeltaIn, from: number, to: number): DeltaIn {
  const r = p.H;
  return { ...p, T: to - from, q: rows(p.q, r * p.DK, from, to)!, k: rows(p.k, r * p.DK, from, to)!, v: rows(p.v, r * p.DV, from, to)!, beta: rows(p.beta, r, from, to)! };
}
export async function runDelta(b: Backend, p: DeltaIn, state = p.state): Promise<{ out: Float32Array; state: Float32Array }> {
  const { T, H, DK, DV } = p;
  const st = f32(b, [H, DV, DK], state);
  const out = f32(b, [T, H, DV], nan(T * H * DV));
  b.deltaRule(out, f32(b, [T, H, DK], p.q), f32(b, [T, H, DK], p.k), f32(b, [T, H, DV], p.v), f32(b, [T, H], p.beta), st);
  return { out: await read(b, out), state: await read(b, st) };
}

export interface Wkv7In { T: number; H: number; N: number; r: Float32Array; w: Float32Array; k: Float32Array; v: Float32Array; a: Float32Array; b: Float32Array; state: Float32Array }
/**
 * RWKV-7-shaped inputs: w = exp(−e^−½·σ(x)) in (0.54, 1); a = −κ̂ and b = κ̂ ⊙ iclr with κ̂ unit-norm
 * per head and iclr in (0, 1), as the model passes them (the state update stays contractive).
 */
export function wkv7In(T: number, H: number, N: number, seed: number): Wkv7In {
  const C = H * N;
  const w = randomF32(T * C, seed + 1, -6, 6).map((x) => Math.exp(-Math.exp(-0.5) / (1 + Math.exp(-x))));
  const kap = randomF32(T * C, seed + 4);
  const iclr = randomF32(T * C, seed + 5, 0, 1);
  const a = new Float32Array(T * C), b = new Float32Array(T * C);
  for (let r = 0; r < T * H; r++) {
    let s = 0;
    for (let j = 0; j < N; j++) s += kap[r * N + j] ** 2;
    for (let j = 0; j < N; j++) {
      const kh = kap[r * N + j] / (Math.sqrt(s) || 1);
      a[r * N + j] = -kh;
      b[r * N + j] = kh * iclr[r * N + j];
    }
  }
  return { T, H, N, w, a, b, r: randomF32(T * C, seed), k: randomF32(T * C, seed + 2), v: randomF32(T * C, seed + 3, -2, 2), state: randomF32(H * N * N, seed + 6) };
}
export function wkv7Slice(p: Wkv7In, from: number, to: number): Wkv7In {
  const C = p.H * p.N;
  return { ...p, T: to - from, r: rows(p.r, C, from, to)!, w: rows(p.w, C, from, to)!, k: rows(p.k, C, from, to)!, v: rows(p.v, C, from, to)!, a: rows(p.a, C, from, to)!, b: rows(p.b, C, from, to)! };
}
export async function runWkv7(b: Backend, p: Wkv7In, state = p.state): Promise<{ out: Float32Array; state: Float32Array }> {
  const { T, H, N } = p;
  const C = H * N;
  const st = f32(b, [H, N, N], state);
  const out = f32(b, [T, C], nan(T * C));
  const x = (d: Float32Array) => f32(b, [T, C], d);
  b.wkv7(out, x(p.r), x(p.w), x(p.k), x(p.v), x(p.a), x(p.b), st);
  return { out: await read(b, out), state: await read(b, st) };
}

export interface Wkv7BonusIn { T: number; C: number; N: number; out: Float32Array; r: Float32Array; k: Float32Array; v: Float32Array; u: Float32Array }
export function wkv7BonusIn(T: number, C: number, N: number, seed: number): Wkv7BonusIn {
  return { T, C, N, out: randomF32(T * C, seed), r: randomF32(T * C, seed + 1), k: randomF32(T * C, seed + 2), v: randomF32(T * C, seed + 3, -2, 2), u: randomF32(C, seed + 4, -1.5, 1.5) };
}
/** The bonus is in place on out: returns out after the call (`state` is empty, for the shared comparers). */
export async function runWkv7Bonus(b: Backend, p: Wkv7BonusIn): Promise<{ out: Float32Array; state: Float32Array }> {
  const { T, C } = p;
  const out = f32(b, [T, C], p.out);
  b.wkv7Bonus(out, f32(b, [T, C], p.r), f32(b, [T, C], p.k), f32(b, [T, C], p.v), f32(b, [C], p.u), p.N);
  return { out: await read(b, out), state: new Float32Array(0) };
}

/** Run `run` on the whole sequence and as `split` consecutive pieces chaining the state. */
export async function chained<P extends { T: number }>(
  b: Backend,
  p: P,
  cuts: number[],
  slice: (p: P, from: number, to: number) => P,
  run: (b: Backend, p: P, state?: Float32Array) => Promise<{ out: Float32Array; state: Float32Array }>,
  initial: Float32Array,
): Promise<{ out: Float32Array; state: Float32Array }> {
  const outs: Float32Array[] = [];
  let state = initial;
  const bounds = [0, ...cuts, p.T];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const r = await run(b, slice(p, bounds[i], bounds[i + 1]), state);
    outs.push(r.out);
    state = r.state;
  }
  const out = new Float32Array(outs.reduce((n, o) => n + o.length, 0));
  let off = 0;
  for (const o of outs) {
    out.set(o, off);
    off += o.length;
  }
  return { out, state };
}
export const everyStep = (T: number) => Array.from({ length: T - 1 }, (_, i) => i + 1);


export interface TernaryIn { M: number; K: number; R: number; w: Float32Array; x: Float32Array }
export function ternaryIn(M: number, K: number, R: number, seed: number): TernaryIn {
  return { M, K, R, w: randomF32(M * K, seed), x: randomF32(R * K, seed + 1, -3, 3) };
}
export async function runTernary(b: Backend, p: TernaryIn, packed: Uint8Array, lut: boolean): Promise<Float32Array> {
  const out = f32(b, p.R === 1 ? [p.M] : [p.R, p.M], nan(p.R * p.M));
  const wt = b.tensor([p.M, p.K], 'ternary', packed);
  const xt = f32(b, p.R === 1 ? [p.K] : [p.R, p.K], p.x);
  if (lut) b.ternaryMatvecLut(out, wt, xt);
  else b.ternaryMatvec(out, wt, xt);
  return read(b, out);
}
