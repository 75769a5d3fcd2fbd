/**
 * Core op benchmarks: dense matvec/matmul at the shapes small LMs use (576/1536 = SmolLM-135M
 * hidden/FFN, 49152 = its vocabulary head, 4096² as a large square), sparse vs dense matvec,
 * elementwise/norm ops, and memory-copy loops as the bandwidth ceiling each backend can reach.
 */
import type { Backend, BackendName, DType, Tensor, CsrData } from '../../src/backends/backend.ts';
import type { WasmBackend, WasmTensor } from '../../src/backends/wasm/backend.ts';
import { toF16Bits } from '../../src/util/f16.ts';
import { randomF32, rng } from '../../test/helpers/random.ts';
import type { BenchCase } from './types.ts';

const ALL: BackendName[] = ['reference', 'wasm', 'webgpu'];

/** Allocate tensors on `b`, remembering them so dispose frees exactly what setup made. */
function arena(b: Backend) {
  const made: Tensor[] = [];
  return {
    t(shape: number[], dtype: DType = 'f32', data?: Float32Array): Tensor {
      const payload = data && dtype === 'f16' ? Uint16Array.from(data, toF16Bits) : data;
      const t = b.tensor(shape, dtype, payload);
      made.push(t);
      return t;
    },
    keep(t: Tensor): Tensor {
      made.push(t);
      return t;
    },
    dispose(): void {
      for (const t of made.splice(0)) b.free(t);
    },
  };
}

const elemBytes = (dtype: 'f32' | 'f16') => (dtype === 'f16' ? 2 : 4);

function matvecCases(): BenchCase[] {
  const shapes: [number, number][] = [
    [576, 1536],
    [1536, 576],
    [4096, 4096],
    [49152, 576],
  ];
  const out: BenchCase[] = [];
  for (const dtype of ['f32', 'f16'] as const) {
    for (const [m, k] of shapes) {
      out.push({
        family: 'core',
        op: 'matvec',
        shape: `${m}x${k}`,
        dtype,
        // The f64 reference takes seconds per run on the vocabulary-head shape: left out there.
        backends: m * k > 2 ** 24 ? ['wasm', 'webgpu'] : ALL,
        ...(m * k > 2 ** 24 ? { note: 'reference backend left out at this size (seconds per run)' } : {}),
        bytes: m * k * elemBytes(dtype) + 4 * (m + k),
        flops: 2 * m * k,
        async setup(b) {
          const a = arena(b);
          const w = a.t([m, k], dtype, randomF32(m * k, m + k));
          const x = a.t([k], 'f32', randomF32(k, 7));
          const o = a.t([m]);
          return { run: () => b.matvec(o, w, x), dispose: a.dispose };
        },
      });
    }
  }
  return out;
}

function matmulCases(): BenchCase[] {
  // x[N, 576] · W[1536, 576]ᵀ: an FFN up-projection over a batch / prefill chunk of N rows.
  const [m, k] = [1536, 576];
  return [8, 32].map((n) => ({
    family: 'core',
    op: 'matmul',
    shape: `${n}x${k} · ${m}x${k}ᵀ`,
    dtype: 'f32',
    backends: ALL,
    bytes: 4 * (m * k + n * k + n * m),
    flops: 2 * n * m * k,
    tokens: n,
    async setup(b) {
      const a = arena(b);
      const w = a.t([m, k], 'f32', randomF32(m * k, 11));
      const x = a.t([n, k], 'f32', randomF32(n * k, 12));
      const o = a.t([n, m]);
      return { run: () => b.matmul(o, x, w), dispose: a.dispose };
    },
  }));
}

/**
 * A random CSR matrix with exactly round(density·cols) nonzeros per row (selection sampling, so
 * columns come out sorted), making the stored size known before any backend builds it.
 */
function randomCsr(rows: number, cols: number, density: number, seed: number): CsrData {
  const perRow = Math.round(density * cols);
  const r = rng(seed);
  const rowPtr = new Uint32Array(rows + 1);
  const colIdx = new Uint32Array(rows * perRow);
  const values = randomF32(rows * perRow, seed + 1);
  let p = 0;
  for (let i = 0; i < rows; i++) {
    let need = perRow;
    for (let j = 0; j < cols && need > 0; j++) {
      if (r() * (cols - j) < need) {
        colIdx[p++] = j;
        need--;
      }
    }
    rowPtr[i + 1] = p;
  }
  return { rows, cols, rowPtr, colIdx, values };
}

function sparseCases(): BenchCase[] {
  const n = 4096;
  const viaDefault = [0.5, 0.8, 0.9, 0.95].map((sparsity): BenchCase => {
    const nnz = n * Math.round((1 - sparsity) * n);
    return {
      family: 'core',
      op: 'spmv',
      shape: `${n}x${n} ${Math.round(sparsity * 100)}% zero`,
      dtype: 'sparse',
      backends: ALL,
      // CSR traffic: values + column indices + row pointers + x + out (x reads may repeat: lower
      // bound). Each backend reports its own layout's size, which replaces the CSR estimate.
      bytes: nnz * 8 + 4 * (n + 1) + 8 * n,
      flops: 2 * nnz,
      denseBytes: 4 * n * n,
      baseline: `matvec ${n}x${n} f32`,
      async setup(b) {
        const a = arena(b);
        const s = a.keep(b.sparse(randomCsr(n, n, 1 - sparsity, 21)));
        const x = a.t([n], 'f32', randomF32(n, 22));
        const o = a.t([n]);
        return { run: () => b.spmv(o, s, x), dispose: a.dispose, storedBytes: s.byteSize, bytes: s.byteSize + 8 * n };
      },
    };
  });
  // wasm's default ('speed') is csr16n here (csr16's kernel, row lengths in the offsets' spare bits:
  // 6 B per entry and nothing else); csr16 (+ row pointers), win16 and word8 (the 'size' layout)
  // side by side on the same positions. word8 gets the values magnitude pruning leaves — |w| in the
  // top 20 % of a uniform weight, [0.8, 1) — since it relies on the kept values spanning few binades
  // (others become exceptions; randomCsr's uniform values would make 25 %).
  const prunedValues = (v: number) => Math.sign(v || 1) * (0.8 + 0.2 * Math.abs(v));
  const layouts = (['csr16', 'win16', 'word8'] as const).flatMap((layout) => [0.8, 0.9].map((sparsity): BenchCase => ({
    ...viaDefault.find((c) => c.shape.startsWith(`${n}x${n} ${Math.round(sparsity * 100)}%`))!,
    op: `spmv ${layout}`,
    backends: ['wasm'],
    ...(layout === 'word8' ? { note: 'kept values |w| in [0.8, 1): what l1 pruning of uniform weights leaves' } : {}),
    async setup(b) {
      const a = arena(b);
      const m = randomCsr(n, n, 1 - sparsity, 21);
      if (layout === 'word8') m.values = m.values.map(prunedValues);
      const s = a.keep((b as WasmBackend).sparse(m, layout));
      const x = a.t([n], 'f32', randomF32(n, 22));
      const o = a.t([n]);
      return { run: () => b.spmv(o, s, x), dispose: a.dispose, storedBytes: s.byteSize, bytes: s.byteSize + 8 * n };
    },
  })));
  return [...viaDefault, ...layouts];
}

type Unary = 'silu' | 'gelu' | 'sigmoid' | 'exp' | 'softplus';

function elementwiseCases(): BenchCase[] {
  const out: BenchCase[] = [];
  const rowsOf = (n: number) => n / 4096;
  // add at three sizes shows where per-dispatch overhead stops dominating.
  for (const n of [4096, 4096 * 16, 4096 * 256]) {
    out.push({
      family: 'core', op: 'add', shape: `${rowsOf(n)}x4096`, dtype: 'f32', backends: ALL, bytes: 12 * n, flops: n,
      async setup(b) {
        const a = arena(b);
        const x = a.t([rowsOf(n), 4096], 'f32', randomF32(n, 31));
        const y = a.t([rowsOf(n), 4096], 'f32', randomF32(n, 32));
        const o = a.t([rowsOf(n), 4096]);
        return { run: () => b.add(o, x, y), dispose: a.dispose };
      },
    });
  }
  const n = 4096 * 256;
  const rows = rowsOf(n);
  out.push({
    // x[rows,4096] ⊙ y[4096] (broadcast, like a norm weight): y stays in cache.
    family: 'core', op: 'mul', shape: `${rows}x4096 ⊙ 4096`, dtype: 'f32', backends: ALL, bytes: 8 * n + 4 * 4096, flops: n,
    async setup(b) {
      const a = arena(b);
      const x = a.t([rows, 4096], 'f32', randomF32(n, 33));
      const y = a.t([4096], 'f32', randomF32(4096, 34));
      const o = a.t([rows, 4096]);
      return { run: () => b.mul(o, x, y), dispose: a.dispose };
    },
  });
  out.push({
    family: 'core', op: 'scale', shape: `${rows}x4096`, dtype: 'f32', backends: ALL, bytes: 8 * n, flops: n,
    async setup(b) {
      const a = arena(b);
      const x = a.t([rows, 4096], 'f32', randomF32(n, 35));
      const o = a.t([rows, 4096]);
      return { run: () => b.scale(o, x, 0.5), dispose: a.dispose };
    },
  });
  for (const op of ['silu', 'gelu', 'sigmoid', 'exp', 'softplus'] as Unary[]) {
    out.push({
      family: 'core', op, shape: `${rows}x4096`, dtype: 'f32', backends: ALL, bytes: 8 * n,
      async setup(b) {
        const a = arena(b);
        const x = a.t([rows, 4096], 'f32', randomF32(n, 36, -4, 4));
        const o = a.t([rows, 4096]);
        return { run: () => b[op](o, x), dispose: a.dispose };
      },
    });
  }
  out.push({
    family: 'core', op: 'rmsnorm', shape: `${rows}x4096`, dtype: 'f32', backends: ALL, bytes: 8 * n + 4 * 4096, flops: 4 * n,
    async setup(b) {
      const a = arena(b);
      const x = a.t([rows, 4096], 'f32', randomF32(n, 37));
      const w = a.t([4096], 'f32', randomF32(4096, 38));
      const o = a.t([rows, 4096]);
      return { run: () => b.rmsnorm(o, x, w, 1e-5), dispose: a.dispose };
    },
  });
  out.push({
    family: 'core', op: 'layernorm', shape: `${rows}x4096`, dtype: 'f32', backends: ALL, bytes: 8 * n + 8 * 4096, flops: 7 * n,
    async setup(b) {
      const a = arena(b);
      const x = a.t([rows, 4096], 'f32', randomF32(n, 39));
      const w = a.t([4096], 'f32', randomF32(4096, 40));
      const bias = a.t([4096], 'f32', randomF32(4096, 41));
      const o = a.t([rows, 4096]);
      return { run: () => b.layernorm(o, x, w, bias, 1e-5), dispose: a.dispose };
    },
  });
  out.push({
    family: 'core', op: 'softmax', shape: `${rows}x4096`, dtype: 'f32', backends: ALL, bytes: 8 * n,
    async setup(b) {
      const a = arena(b);
      const x = a.t([rows, 4096], 'f32', randomF32(n, 42, -8, 8));
      const o = a.t([rows, 4096]);
      return { run: () => b.softmax(o, x), dispose: a.dispose };
    },
  });
  return out;
}

/** Bandwidth ceilings: the best a memory-bound kernel can hope for on each backend. */
function copyCases(): BenchCase[] {
  const n = 4096 * 1024; // 16 MiB per operand: well past every cache
  return [
    {
      family: 'core', op: 'copy', shape: `${n}`, dtype: 'f32', backends: ALL, bytes: 8 * n,
      note: 'Backend.copy (webgpu: copyBufferToBuffer)',
      async setup(b) {
        const a = arena(b);
        const src = a.t([n], 'f32', randomF32(n, 51));
        const dst = a.t([n]);
        return { run: () => b.copy(dst, 0, src, 0, n), dispose: a.dispose };
      },
    },
    {
      family: 'core', op: 'memcopy_f32', shape: `${n}`, dtype: 'f32', backends: ['wasm'], bytes: 8 * n,
      note: 'raw SIMD load/store loop in the wasm module: the wasm bandwidth ceiling',
      async setup(b) {
        const k = (b as WasmBackend).k as { memcopy_f32?: (dst: number, src: number, n: number) => void };
        if (typeof k.memcopy_f32 !== 'function') throw new Error('memcopy_f32 is not exported by build/sparrow.wasm yet');
        const memcopy = k.memcopy_f32;
        const a = arena(b);
        const src = a.t([n], 'f32', randomF32(n, 52)) as WasmTensor;
        const dst = a.t([n]) as WasmTensor;
        return { run: () => memcopy(dst.ptr, src.ptr, n), dispose: a.dispose };
      },
    },
    {
      family: 'core', op: 'typedarray_set', shape: `${n}`, dtype: 'f32', backends: ['reference'], bytes: 8 * n,
      note: 'plain JS Float32Array.set, no backend op: the JS bandwidth ceiling',
      async setup() {
        const src = randomF32(n, 53);
        const dst = new Float32Array(n);
        return { run: () => dst.set(src), dispose: () => {} };
      },
    },
  ];
}

export function cases(): BenchCase[] {
  return [...matvecCases(), ...matmulCases(), ...sparseCases(), ...elementwiseCases(), ...copyCases()];
}
