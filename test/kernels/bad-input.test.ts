/**
 * Bad input on the reference AND wasm backends: every case must throw a SparrowError with the
 * expected code and a message naming the op (and the shapes involved), the same on both backends.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend, CsrData } from '../../src/backends/backend.ts';
import { ReferenceBackend } from '../../src/backends/reference/backend.ts';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { SparrowError, type ErrorCode } from '../../src/errors.ts';

let ref: ReferenceBackend;
let wasm: WasmBackend;
beforeAll(async () => {
  ref = new ReferenceBackend();
  wasm = await WasmBackend.create();
});

/** Throws a SparrowError of `code` whose message contains every fragment; returns the message. */
function expectError(f: () => unknown, code: ErrorCode, ...fragments: string[]): string {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code} (${fragments.join(', ')})`).toBeInstanceOf(SparrowError);
  const e = caught as SparrowError;
  expect(e.code, e.message).toBe(code);
  for (const s of fragments) expect(e.message).toContain(s);
  return e.message;
}

interface Case {
  name: string;
  code: ErrorCode;
  fragments: string[];
  run(b: Backend): void;
  /** Messages must match across backends (true for everything validated in validate.ts). */
  sameMessage?: boolean;
}

const f32 = (b: Backend, shape: number[]) => b.tensor(shape, 'f32');
const csr = (over: Partial<CsrData>): CsrData => ({
  rows: 2,
  cols: 3,
  rowPtr: Uint32Array.of(0, 1, 3),
  colIdx: Uint32Array.of(2, 0, 1),
  values: Float32Array.of(1, 2, 3),
  ...over,
});

const cases: Case[] = [
  // shape mismatches
  { name: 'matvec x too short', code: 'SHAPE_MISMATCH', fragments: ['matvec', '[4, 8]', '[7]'], run: (b) => b.matvec(f32(b, [4]), f32(b, [4, 8]), f32(b, [7])) },
  { name: 'matvec out too long', code: 'SHAPE_MISMATCH', fragments: ['matvec', '[4, 8]', '[5]'], run: (b) => b.matvec(f32(b, [5]), f32(b, [4, 8]), f32(b, [8])) },
  { name: 'matvec 3-D weight', code: 'SHAPE_MISMATCH', fragments: ['matvec', '[2, 2, 2]'], run: (b) => b.matvec(f32(b, [2]), f32(b, [2, 2, 2]), f32(b, [2])) },
  { name: 'matmul row length', code: 'SHAPE_MISMATCH', fragments: ['matmul', '[3, 7]', '[4, 8]'], run: (b) => b.matmul(f32(b, [3, 4]), f32(b, [3, 7]), f32(b, [4, 8])) },
  { name: 'matmul out shape', code: 'SHAPE_MISMATCH', fragments: ['matmul', '[3, 5]'], run: (b) => b.matmul(f32(b, [3, 5]), f32(b, [3, 8]), f32(b, [4, 8])) },
  { name: 'add b does not divide a', code: 'SHAPE_MISMATCH', fragments: ['add', '[2, 5]', '[3]'], run: (b) => b.add(f32(b, [2, 5]), f32(b, [2, 5]), f32(b, [3])) },
  { name: 'mul out size', code: 'SHAPE_MISMATCH', fragments: ['mul', '[9]', '[10]'], run: (b) => b.mul(f32(b, [9]), f32(b, [10]), f32(b, [10])) },
  { name: 'silu out size', code: 'SHAPE_MISMATCH', fragments: ['silu', '[3]', '[4]'], run: (b) => b.silu(f32(b, [3]), f32(b, [4])) },
  { name: 'rmsnorm weight length', code: 'SHAPE_MISMATCH', fragments: ['rmsnorm', '[2, 6]', '[5]'], run: (b) => b.rmsnorm(f32(b, [2, 6]), f32(b, [2, 6]), f32(b, [5]), 1e-5) },
  { name: 'addRmsnorm b size', code: 'SHAPE_MISMATCH', fragments: ['addRmsnorm', 'b must have the size of a', '[2, 6]', '[6]'], run: (b) => b.addRmsnorm(f32(b, [2, 6]), f32(b, [2, 6]), f32(b, [2, 6]), f32(b, [6]), f32(b, [6]), 1e-5) },
  { name: 'addRmsnorm weight length', code: 'SHAPE_MISMATCH', fragments: ['addRmsnorm', '[2, 6]', '[5]'], run: (b) => b.addRmsnorm(f32(b, [2, 6]), f32(b, [2, 6]), f32(b, [2, 6]), f32(b, [2, 6]), f32(b, [5]), 1e-5) },
  { name: 'addRmsnorm sum is out', code: 'INVALID_ARGUMENT', fragments: ['addRmsnorm', 'sum and out'], run: (b) => { const t = f32(b, [2, 4]); b.addRmsnorm(t, t, f32(b, [2, 4]), f32(b, [2, 4]), f32(b, [4]), 1e-5); } },
  { name: 'lerp b size', code: 'SHAPE_MISMATCH', fragments: ['lerp', 'b must have the size of a', '[2, 4]', '[4]'], run: (b) => b.lerp(f32(b, [2, 4]), f32(b, [2, 4]), f32(b, [4]), f32(b, [4])) },
  { name: 'lerp t does not divide a', code: 'SHAPE_MISMATCH', fragments: ['lerp', "t's size must divide", '[2, 5]', '[3]'], run: (b) => b.lerp(f32(b, [2, 5]), f32(b, [2, 5]), f32(b, [2, 5]), f32(b, [3])) },
  { name: 'siluMul u size', code: 'SHAPE_MISMATCH', fragments: ['siluMul', 'u must have the size of g', '[4]', '[2]'], run: (b) => b.siluMul(f32(b, [4]), f32(b, [4]), f32(b, [2])) },
  { name: 'swiglu gu width', code: 'SHAPE_MISMATCH', fragments: ['swiglu', '[2, 4]', '[2, 6]'], run: (b) => b.swiglu(f32(b, [2, 4]), f32(b, [2, 6])) },
  { name: 'ropeQkv qkv width', code: 'SHAPE_MISMATCH', fragments: ['ropeQkv', '[2, 20]'], run: (b) => b.ropeQkv(f32(b, [2, 8]), f32(b, [2, 4]), f32(b, [2, 4]), f32(b, [2, 20]), { pos: 0, headDim: 4, theta: 1e4, style: 'half' }) },
  { name: 'ropeQkv k is v', code: 'INVALID_ARGUMENT', fragments: ['ropeQkv', 'different tensors'], run: (b) => { const t = f32(b, [2, 4]); b.ropeQkv(f32(b, [2, 8]), t, t, f32(b, [2, 16]), { pos: 0, headDim: 4, theta: 1e4, style: 'half' }); } },
  { name: 'layernorm bias length', code: 'SHAPE_MISMATCH', fragments: ['layernorm', '[2, 6]', '[7]'], run: (b) => b.layernorm(f32(b, [2, 6]), f32(b, [2, 6]), f32(b, [6]), f32(b, [7]), 1e-5) },
  { name: 'softmax out size', code: 'SHAPE_MISMATCH', fragments: ['softmax', '[2, 3]', '[2, 4]'], run: (b) => b.softmax(f32(b, [2, 3]), f32(b, [2, 4])) },
  { name: 'rope row not a multiple of headDim', code: 'SHAPE_MISMATCH', fragments: ['rope', '[2, 10]'], run: (b) => b.rope(f32(b, [2, 10]), f32(b, [2, 10]), { pos: 0, headDim: 4, theta: 1e4, style: 'half' }) },
  { name: 'embedding out shape', code: 'SHAPE_MISMATCH', fragments: ['embedding', '[3, 4]', '[5, 4]', '[2]'], run: (b) => b.embedding(f32(b, [3, 4]), f32(b, [5, 4]), b.tensor([2], 'i32')) },
  { name: 'argmax out size', code: 'SHAPE_MISMATCH', fragments: ['argmax', '[3, 5]', '[2]'], run: (b) => b.argmax(b.tensor([2], 'i32'), f32(b, [3, 5])) },
  { name: 'spmv x length', code: 'SHAPE_MISMATCH', fragments: ['spmv', '[2, 3]', '[4]'], run: (b) => b.spmv(f32(b, [2]), b.sparse(csr({})), f32(b, [4])) },
  { name: 'spmm x row length', code: 'SHAPE_MISMATCH', fragments: ['spmm', '[2, 3]', '[5, 4]'], run: (b) => b.spmm(f32(b, [5, 2]), b.sparse(csr({})), f32(b, [5, 4])) },
  { name: 'spmm out shape', code: 'SHAPE_MISMATCH', fragments: ['spmm', '[5, 3]', '[5, 3]'], run: (b) => b.spmm(f32(b, [5, 3]), b.sparse(csr({})), f32(b, [5, 3])) },
  { name: 'spmm with a dense matrix', code: 'UNSUPPORTED', fragments: ['spmm', 'f32'], run: (b) => b.spmm(f32(b, [5, 2]), f32(b, [2, 3]), f32(b, [5, 3])) },
  { name: 'copy dtypes differ', code: 'SHAPE_MISMATCH', fragments: ['copy', 'f32', 'i32'], run: (b) => b.copy(f32(b, [4]), 0, b.tensor([4], 'i32'), 0, 4) },
  { name: 'write with the wrong length', code: 'SHAPE_MISMATCH', fragments: ['write', 'f32'], run: (b) => b.write(f32(b, [4]), new Float32Array(3)), sameMessage: false },
  // sizes
  { name: 'negative dimension', code: 'INVALID_ARGUMENT', fragments: ['tensor', '[-1, 4]'], run: (b) => b.tensor([-1, 4]) },
  { name: 'NaN dimension', code: 'INVALID_ARGUMENT', fragments: ['tensor', '[NaN]'], run: (b) => b.tensor([NaN]) },
  { name: 'infinite dimension', code: 'INVALID_ARGUMENT', fragments: ['tensor', '[Infinity, 2]'], run: (b) => b.tensor([Infinity, 2]) },
  { name: 'fractional dimension', code: 'INVALID_ARGUMENT', fragments: ['tensor', '[2.5]'], run: (b) => b.tensor([2.5]) },
  { name: 'too many elements', code: 'SIZE_LIMIT', fragments: ['tensor', '[65536, 65536]'], run: (b) => b.tensor([65536, 65536]) },
  { name: 'sparse with NaN rows', code: 'INVALID_ARGUMENT', fragments: ['sparse', '[NaN, 3]'], run: (b) => b.sparse(csr({ rows: NaN })) },
  // non-finite parameters
  { name: 'rmsnorm NaN eps', code: 'INVALID_ARGUMENT', fragments: ['rmsnorm', 'eps', 'NaN'], run: (b) => b.rmsnorm(f32(b, [2, 4]), f32(b, [2, 4]), f32(b, [4]), NaN) },
  { name: 'rmsnorm infinite eps', code: 'INVALID_ARGUMENT', fragments: ['rmsnorm', 'eps', 'Infinity'], run: (b) => b.rmsnorm(f32(b, [2, 4]), f32(b, [2, 4]), f32(b, [4]), Infinity) },
  { name: 'layernorm NaN eps', code: 'INVALID_ARGUMENT', fragments: ['layernorm', 'eps'], run: (b) => b.layernorm(f32(b, [2, 4]), f32(b, [2, 4]), f32(b, [4]), f32(b, [4]), NaN) },
  { name: 'scale by Infinity', code: 'INVALID_ARGUMENT', fragments: ['scale', 's'], run: (b) => b.scale(f32(b, [3]), f32(b, [3]), Infinity) },
  { name: 'rope odd headDim', code: 'INVALID_ARGUMENT', fragments: ['rope', 'headDim', '3'], run: (b) => b.rope(f32(b, [1, 6]), f32(b, [1, 6]), { pos: 0, headDim: 3, theta: 1e4, style: 'half' }) },
  { name: 'rope negative pos', code: 'INVALID_ARGUMENT', fragments: ['rope', 'pos', '-1'], run: (b) => b.rope(f32(b, [1, 4]), f32(b, [1, 4]), { pos: -1, headDim: 4, theta: 1e4, style: 'half' }) },
  { name: 'rope NaN theta', code: 'INVALID_ARGUMENT', fragments: ['rope', 'theta'], run: (b) => b.rope(f32(b, [1, 4]), f32(b, [1, 4]), { pos: 0, headDim: 4, theta: NaN, style: 'interleaved' }) },
  { name: 'copy negative offset', code: 'INVALID_ARGUMENT', fragments: ['copy', 'srcOffset', '-2'], run: (b) => b.copy(f32(b, [4]), 0, f32(b, [4]), -2, 1) },
  { name: 'copy NaN count', code: 'INVALID_ARGUMENT', fragments: ['copy', 'count', 'NaN'], run: (b) => b.copy(f32(b, [4]), 0, f32(b, [4]), 0, NaN) },
  // indices out of range
  { name: 'copy past the end', code: 'INDEX_OUT_OF_RANGE', fragments: ['copy', '[4]', '[6]'], run: (b) => b.copy(f32(b, [4]), 2, f32(b, [6]), 0, 3) },
  { name: 'sparse column index out of range', code: 'INDEX_OUT_OF_RANGE', fragments: ['sparse', 'column index 3', '[2, 3]'], run: (b) => b.sparse(csr({ colIdx: Uint32Array.of(2, 3, 1) })) },
  { name: 'embedding id = vocab', code: 'INDEX_OUT_OF_RANGE', fragments: ['embedding', 'id 5', '[0, 5)'], run: (b) => b.embedding(f32(b, [2, 4]), f32(b, [5, 4]), b.tensor([2], 'i32', Int32Array.of(1, 5))) },
  { name: 'embedding negative id (f16 table)', code: 'INDEX_OUT_OF_RANGE', fragments: ['embedding', 'id -1'], run: (b) => b.embedding(f32(b, [1, 4]), b.tensor([5, 4], 'f16'), b.tensor([1], 'i32', Int32Array.of(-1))) },
  // malformed CSR
  { name: 'sparse rowPtr decreasing', code: 'FORMAT_INVALID', fragments: ['sparse', 'rowPtr decreases at row 1'], run: (b) => b.sparse(csr({ rows: 3, rowPtr: Uint32Array.of(0, 2, 1, 3) })) },
  { name: 'sparse rowPtr wrong length', code: 'SHAPE_MISMATCH', fragments: ['sparse', 'rowPtr has 2 entries', '3'], run: (b) => b.sparse(csr({ rowPtr: Uint32Array.of(0, 3) })) },
  { name: 'sparse rowPtr[0] not 0', code: 'SHAPE_MISMATCH', fragments: ['sparse', 'rowPtr[0]'], run: (b) => b.sparse(csr({ rowPtr: Uint32Array.of(1, 1, 3) })) },
  { name: 'sparse nnz disagrees with arrays', code: 'SHAPE_MISMATCH', fragments: ['sparse', 'rowPtr[rows] = 3'], run: (b) => b.sparse(csr({ values: Float32Array.of(1, 2) })) },
  // dtypes
  { name: 'spmv on a dense matrix', code: 'UNSUPPORTED', fragments: ['spmv', 'f32', 'sparse'], run: (b) => b.spmv(f32(b, [2]), f32(b, [2, 3]), f32(b, [3])) },
  { name: 'argmax into f32', code: 'UNSUPPORTED', fragments: ['argmax', 'out', 'i32'], run: (b) => b.argmax(f32(b, [2]), f32(b, [2, 3])) },
  { name: 'embedding with f32 ids', code: 'UNSUPPORTED', fragments: ['embedding', 'ids'], run: (b) => b.embedding(f32(b, [2, 4]), f32(b, [5, 4]), f32(b, [2])) },
  { name: 'matvec with i32 weight', code: 'UNSUPPORTED', fragments: ['matvec', 'i32'], run: (b) => b.matvec(f32(b, [2]), b.tensor([2, 3], 'i32'), f32(b, [3])), sameMessage: false },
  { name: 'fill of f16', code: 'UNSUPPORTED', fragments: ['fill', 'f16'], run: (b) => b.fill(b.tensor([4], 'f16'), 1), sameMessage: false },
  // bf16 weights (raw bfloat16 bytes) fail like the other weight dtypes
  { name: 'bf16 matvec x too short', code: 'SHAPE_MISMATCH', fragments: ['matvec', '[4, 7]', '[6]'], run: (b) => b.matvec(f32(b, [4]), b.tensor([4, 7], 'bf16'), f32(b, [6])) },
  { name: 'bf16 matmul row length', code: 'SHAPE_MISMATCH', fragments: ['matmul', '[3, 7]', '[4, 8]'], run: (b) => b.matmul(f32(b, [3, 4]), f32(b, [3, 7]), b.tensor([4, 8], 'bf16')) },
  { name: 'bf16 matvec 3-D weight', code: 'SHAPE_MISMATCH', fragments: ['matvec', '[2, 2, 2]'], run: (b) => b.matvec(f32(b, [2]), b.tensor([2, 2, 2], 'bf16'), f32(b, [2])) },
  { name: 'bf16 embedding negative id', code: 'INDEX_OUT_OF_RANGE', fragments: ['embedding', 'id -1'], run: (b) => b.embedding(f32(b, [1, 3]), b.tensor([5, 3], 'bf16'), b.tensor([1], 'i32', Int32Array.of(-1))) },
  { name: 'bf16 data of the wrong length', code: 'SHAPE_MISMATCH', fragments: ['bf16', '[2,3]', 'Uint8Array'], run: (b) => b.tensor([2, 3], 'bf16', new Uint8Array(11)), sameMessage: false },
  { name: 'bf16 as a norm weight', code: 'UNSUPPORTED', fragments: ['rmsnorm', 'bf16'], run: (b) => b.rmsnorm(f32(b, [2, 4]), f32(b, [2, 4]), b.tensor([4], 'bf16'), 1e-5) },
  { name: 'bf16 as x of matvec', code: 'UNSUPPORTED', fragments: ['matvec', 'x', 'bf16'], run: (b) => b.matvec(f32(b, [2]), f32(b, [2, 3]), b.tensor([3], 'bf16')) },
  { name: 'copy of bf16', code: 'UNSUPPORTED', fragments: ['copy', 'bf16'], run: (b) => b.copy(b.tensor([4], 'bf16'), 0, b.tensor([4], 'bf16'), 0, 2), sameMessage: false },
  { name: 'fill of bf16', code: 'UNSUPPORTED', fragments: ['fill', 'bf16'], run: (b) => b.fill(b.tensor([4], 'bf16'), 1), sameMessage: false },
];

describe.each(['reference', 'wasm'] as const)('bad input on the %s backend', (name) => {
  for (const c of cases) {
    it(`${c.name} → ${c.code}`, () => {
      const b = name === 'wasm' ? wasm : ref;
      expectError(() => c.run(b), c.code, ...c.fragments);
    });
  }

  it('freed tensors are rejected by ops, read, write and a second free', async () => {
    const b: Backend = name === 'wasm' ? wasm : ref;
    const w = b.tensor([4, 8]);
    const x = b.tensor([8]);
    const out = b.tensor([4]);
    b.free(w);
    expectError(() => b.matvec(out, w, x), 'INVALID_ARGUMENT', 'matvec', '[4, 8]', 'freed');
    expectError(() => b.write(w, new Float32Array(32)), 'INVALID_ARGUMENT', 'write', '[4, 8]', 'freed');
    expectError(() => b.free(w), 'INVALID_ARGUMENT', 'free', 'freed');
    await expect(b.read(w)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('read') });
    const s = b.sparse(csr({}));
    b.free(s);
    expectError(() => b.spmv(b.tensor([2]), s, b.tensor([3])), 'INVALID_ARGUMENT', 'spmv', '[2, 3]', 'freed');
    b.silu(out, x.size === 8 ? out : out); // live tensors still work after a neighbour was freed
  });

  it('tensors from another backend are rejected', async () => {
    const b: Backend = name === 'wasm' ? wasm : ref;
    const other: Backend = name === 'wasm' ? ref : wasm;
    const otherName = name === 'wasm' ? 'reference' : 'wasm';
    const foreign = other.tensor([3]);
    expectError(() => b.add(b.tensor([3]), b.tensor([3]), foreign), 'INVALID_ARGUMENT', 'add', '[3]', otherName);
    expectError(() => b.matvec(b.tensor([2]), other.tensor([2, 3]), b.tensor([3])), 'INVALID_ARGUMENT', 'matvec', '[2, 3]', otherName);
    await expect(b.read(foreign)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(otherName) });
    expectError(() => b.free(foreign), 'INVALID_ARGUMENT', 'free', otherName);
  });
});

describe('bad input: both backends fail identically', () => {
  for (const c of cases.filter((c) => c.sameMessage !== false)) {
    it(c.name, () => {
      const msgs = [ref, wasm].map((b) => expectError(() => c.run(b), c.code));
      expect(msgs[1]).toBe(msgs[0]);
    });
  }
});
