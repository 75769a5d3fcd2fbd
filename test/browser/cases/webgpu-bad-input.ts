/**
 * Runs in the backend-host worker: every bad call on the webgpu backend must throw the same
 * SparrowError (code and message) as on the reference backend. Returns one row per case.
 */
import type { Backend, CsrData } from '../../../src/backends/backend.ts';
import { SparrowError } from '../../../src/errors.ts';
import type { CaseContext } from '../../../src/worker/backend-host.ts';

const f32 = (b: Backend, shape: number[]) => b.tensor(shape, 'f32');
const csr = (over: Partial<CsrData>): CsrData => ({
  rows: 2,
  cols: 3,
  rowPtr: Uint32Array.of(0, 1, 3),
  colIdx: Uint32Array.of(2, 0, 1),
  values: Float32Array.of(1, 2, 3),
  ...over,
});

const cases: Array<[string, (b: Backend) => unknown]> = [
  ['matvec x too short', (b) => b.matvec(f32(b, [4]), f32(b, [4, 8]), f32(b, [7]))],
  ['matvec 3-D weight', (b) => b.matvec(f32(b, [2]), f32(b, [2, 2, 2]), f32(b, [2]))],
  ['matvec i32 weight', (b) => b.matvec(f32(b, [2]), b.tensor([2, 3], 'i32'), f32(b, [3]))],
  ['matmul row length', (b) => b.matmul(f32(b, [3, 4]), f32(b, [3, 7]), f32(b, [4, 8]))],
  ['matmul out shape', (b) => b.matmul(f32(b, [3, 5]), f32(b, [3, 8]), f32(b, [4, 8]))],
  ['add b does not divide a', (b) => b.add(f32(b, [2, 5]), f32(b, [2, 5]), f32(b, [3]))],
  ['mul out size', (b) => b.mul(f32(b, [9]), f32(b, [10]), f32(b, [10]))],
  ['silu out size', (b) => b.silu(f32(b, [3]), f32(b, [4]))],
  ['scale by Infinity', (b) => b.scale(f32(b, [3]), f32(b, [3]), Infinity)],
  ['rmsnorm weight length', (b) => b.rmsnorm(f32(b, [2, 6]), f32(b, [2, 6]), f32(b, [5]), 1e-5)],
  ['rmsnorm NaN eps', (b) => b.rmsnorm(f32(b, [2, 4]), f32(b, [2, 4]), f32(b, [4]), NaN)],
  ['addRmsnorm b size', (b) => b.addRmsnorm(f32(b, [2, 6]), f32(b, [2, 6]), f32(b, [2, 6]), f32(b, [6]), f32(b, [6]), 1e-5)],
  ['addRmsnorm sum is out', (b) => { const t = f32(b, [2, 4]); b.addRmsnorm(t, t, f32(b, [2, 4]), f32(b, [2, 4]), f32(b, [4]), 1e-5); }],
  ['lerp b size', (b) => b.lerp(f32(b, [2, 4]), f32(b, [2, 4]), f32(b, [4]), f32(b, [4]))],
  ['lerp t does not divide a', (b) => b.lerp(f32(b, [2, 5]), f32(b, [2, 5]), f32(b, [2, 5]), f32(b, [3]))],
  ['siluMul u size', (b) => b.siluMul(f32(b, [4]), f32(b, [4]), f32(b, [2]))],
  ['swiglu gu width', (b) => b.swiglu(f32(b, [2, 4]), f32(b, [2, 6]))],
  ['ropeQkv qkv width', (b) => b.ropeQkv(f32(b, [2, 8]), f32(b, [2, 4]), f32(b, [2, 4]), f32(b, [2, 20]), { pos: 0, headDim: 4, theta: 1e4, style: 'half' })],
  ['layernorm bias length', (b) => b.layernorm(f32(b, [2, 6]), f32(b, [2, 6]), f32(b, [6]), f32(b, [7]), 1e-5)],
  ['softmax out size', (b) => b.softmax(f32(b, [2, 3]), f32(b, [2, 4]))],
  ['rope row not a multiple of headDim', (b) => b.rope(f32(b, [2, 10]), f32(b, [2, 10]), { pos: 0, headDim: 4, theta: 1e4, style: 'half' })],
  ['rope odd headDim', (b) => b.rope(f32(b, [1, 6]), f32(b, [1, 6]), { pos: 0, headDim: 3, theta: 1e4, style: 'half' })],
  ['rope negative pos', (b) => b.rope(f32(b, [1, 4]), f32(b, [1, 4]), { pos: -1, headDim: 4, theta: 1e4, style: 'half' })],
  ['rope NaN theta', (b) => b.rope(f32(b, [1, 4]), f32(b, [1, 4]), { pos: 0, headDim: 4, theta: NaN, style: 'interleaved' })],
  ['embedding out shape', (b) => b.embedding(f32(b, [3, 4]), f32(b, [5, 4]), b.tensor([2], 'i32'))],
  ['embedding id = vocab', (b) => b.embedding(f32(b, [2, 4]), f32(b, [5, 4]), b.tensor([2], 'i32', Int32Array.of(1, 5)))],
  ['embedding negative id (f16 table)', (b) => b.embedding(f32(b, [1, 4]), b.tensor([5, 4], 'f16'), b.tensor([1], 'i32', Int32Array.of(-1)))],
  ['embedding f32 ids', (b) => b.embedding(f32(b, [2, 4]), f32(b, [5, 4]), f32(b, [2]))],
  ['argmax out size', (b) => b.argmax(b.tensor([2], 'i32'), f32(b, [3, 5]))],
  ['argmax into f32', (b) => b.argmax(f32(b, [2]), f32(b, [2, 3]))],
  ['spmv x length', (b) => b.spmv(f32(b, [2]), b.sparse(csr({})), f32(b, [4]))],
  ['spmv on a dense matrix', (b) => b.spmv(f32(b, [2]), f32(b, [2, 3]), f32(b, [3]))],
  ['copy dtypes differ', (b) => b.copy(f32(b, [4]), 0, b.tensor([4], 'i32'), 0, 4)],
  ['copy negative offset', (b) => b.copy(f32(b, [4]), 0, f32(b, [4]), -2, 1)],
  ['copy past the end', (b) => b.copy(f32(b, [4]), 2, f32(b, [6]), 0, 3)],
  ['fill of f16', (b) => b.fill(b.tensor([4], 'f16'), 1)],
  ['bf16 matvec x too short', (b) => b.matvec(f32(b, [4]), b.tensor([4, 7], 'bf16'), f32(b, [6]))],
  ['bf16 matmul row length', (b) => b.matmul(f32(b, [3, 4]), f32(b, [3, 7]), b.tensor([4, 8], 'bf16'))],
  ['bf16 embedding negative id', (b) => b.embedding(f32(b, [1, 3]), b.tensor([5, 3], 'bf16'), b.tensor([1], 'i32', Int32Array.of(-1)))],
  ['bf16 as a norm weight', (b) => b.rmsnorm(f32(b, [2, 4]), f32(b, [2, 4]), b.tensor([4], 'bf16'), 1e-5)],
  ['negative dimension', (b) => b.tensor([-1, 4])],
  ['too many elements', (b) => b.tensor([65536, 65536])],
  ['sparse column index out of range', (b) => b.sparse(csr({ colIdx: Uint32Array.of(2, 3, 1) }))],
  ['sparse rowPtr decreasing', (b) => b.sparse(csr({ rows: 3, rowPtr: Uint32Array.of(0, 2, 1, 3) }))],
  ['sparse rowPtr wrong length', (b) => b.sparse(csr({ rowPtr: Uint32Array.of(0, 3) }))],
  [
    'freed weight',
    (b) => {
      const w = f32(b, [4, 8]);
      b.free(w);
      b.matvec(f32(b, [4]), w, f32(b, [8]));
    },
  ],
  [
    'second free',
    (b) => {
      const w = f32(b, [3]);
      b.free(w);
      b.free(w);
    },
  ],
];

export interface BadInputRow {
  name: string;
  reference: string;
  webgpu: string;
}

const outcome = (f: () => unknown): string => {
  try {
    f();
    return 'no error';
  } catch (e) {
    return e instanceof SparrowError ? `${e.code}: ${e.message}` : `not a SparrowError: ${String(e)}`;
  }
};

export async function badInput(_: unknown, ctx: CaseContext): Promise<BadInputRow[]> {
  const ref = await ctx.backend('reference');
  const gpu = await ctx.backend('webgpu');
  const rows = cases.map(([name, run]) => ({ name, reference: outcome(() => run(ref)), webgpu: outcome(() => run(gpu)) }));
  await gpu.flush(); // nothing bad may have reached the GPU
  return rows;
}
