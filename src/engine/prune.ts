/**
 * Magnitude pruning, equal to torch.nn.utils.prune.l1_unstructured applied per tensor:
 * k = round(amount · n) (Python round: half to even) entries with the smallest |w| are zeroed,
 * chosen by a topk over |w|. Ties at the threshold go to the lowest flat index first (torch's
 * CPU topk order for equal keys is unspecified; with real-valued weights ties are only exact
 * zeros, which are pruned either way).
 *
 * Every block linear of the model is pruned; embeddings and heads (tied or not) stay dense.
 * The pruned checkpoint is an ordinary safetensors file (pruned weights stored dense with zeros,
 * loadable by Hugging Face) plus the metadata key `sparrow.pruning` (docs/pruning.md), which makes
 * Sparrow load the pruned linears as sparse matrices that run through spmv.
 */
import { SparrowError } from '../errors.ts';
import type { Backend } from '../backends/backend.ts';
import type { ModelConfig } from '../formats/hf-config.ts';
import { writeSafetensors, type SafetensorsWriteTensor } from '../formats/safetensors.ts';
import { PRUNE_METADATA_KEY, linearNames, modelFromWeights } from '../models/load.ts';
import type { WeightFile } from '../models/weights.ts';
import { selectKth } from '../util/select.ts';

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export function checkSparsity(amount: number): void {
  if (!(amount >= 0 && amount <= 1)) throw new SparrowError('INVALID_ARGUMENT', `prune: sparsity ${amount} must be in [0, 1]`, { sparsity: amount });
}

/** Number of entries l1_unstructured zeroes for `amount` of `n`. */
export function pruneCount(n: number, amount: number): number {
  checkSparsity(amount);
  return roundHalfEven(amount * n);
}

/** A pruned copy of `w`: the round(amount·n) smallest-magnitude entries set to zero. */
export function l1Unstructured(w: Float32Array, amount: number): Float32Array {
  const k = pruneCount(w.length, amount);
  const out = Float32Array.from(w);
  if (k === 0) return out;
  // Threshold = k-th smallest |w| (selection in O(n); NaN counts as largest, never pruned first).
  const mags = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) mags[i] = Number.isNaN(w[i]) ? Infinity : Math.abs(w[i]);
  const threshold = selectKth(mags, k - 1);
  let below = 0;
  for (let i = 0; i < w.length; i++) if (mags[i] < threshold) below++;
  // Everything strictly below the threshold goes; ties at it go by lowest flat index.
  let tiesLeft = k - below;
  for (let i = 0; i < w.length; i++) {
    const m = Math.abs(w[i]);
    if (m < threshold) out[i] = 0;
    else if (m === threshold && tiesLeft > 0) {
      out[i] = 0;
      tiesLeft--;
    }
  }
  return out;
}

export interface TensorPruneStats {
  name: string;
  shape: number[];
  elements: number;
  zeros: number;
  sparsity: number;
}

export interface PruneReport {
  method: 'l1_unstructured';
  target: number;
  tensors: TensorPruneStats[];
  /** Over the pruned tensors. */
  prunedElements: number;
  prunedZeros: number;
  prunedSparsity: number;
  /** Over every parameter of the checkpoint (embeddings, norms … included). */
  totalElements: number;
  totalZeros: number;
  totalSparsity: number;
}

export interface PrunedModel {
  /** Pruned linear weights, float32, by name. */
  pruned: Map<string, Float32Array>;
  report: PruneReport;
}

function countZeros(x: Float32Array): number {
  let z = 0;
  for (let i = 0; i < x.length; i++) if (x[i] === 0) z++;
  return z;
}

/** Prune every block linear of a checkpoint to `sparsity`. */
export async function pruneCheckpoint(config: ModelConfig, file: WeightFile, sparsity: number): Promise<PrunedModel> {
  checkSparsity(sparsity);
  const targets = new Set(linearNames(config));
  for (const n of targets) if (!file.has(n)) throw new SparrowError('TENSOR_MISSING', `${file.name}: linear weight '${n}' is missing`, { tensor: n });
  const pruned = new Map<string, Float32Array>();
  const tensors: TensorPruneStats[] = [];
  let totalElements = 0;
  let totalZeros = 0;
  for (const name of file.names()) {
    const data = await file.f32(name);
    let z: number;
    if (targets.has(name)) {
      const p = l1Unstructured(data, sparsity);
      pruned.set(name, p);
      z = countZeros(p);
      tensors.push({ name, shape: file.shape(name), elements: p.length, zeros: z, sparsity: z / p.length });
    } else {
      z = countZeros(data);
    }
    totalElements += data.length;
    totalZeros += z;
  }
  const prunedElements = tensors.reduce((a, t) => a + t.elements, 0);
  const prunedZeros = tensors.reduce((a, t) => a + t.zeros, 0);
  return {
    pruned,
    report: {
      method: 'l1_unstructured',
      target: sparsity,
      tensors,
      prunedElements,
      prunedZeros,
      prunedSparsity: prunedElements ? prunedZeros / prunedElements : 0,
      totalElements,
      totalZeros,
      totalSparsity: totalElements ? totalZeros / totalElements : 0,
    },
  };
}

/** The JSON stored under `sparrow.pruning` in a pruned checkpoint's safetensors metadata. */
export interface PruneMetadata {
  method: 'l1_unstructured';
  sparsity: number;
  tensors: string[];
}

/** Serialize the checkpoint with the pruned linears (F32, zeros kept dense) and the pruning metadata. */
export async function savePruned(file: WeightFile, p: PrunedModel, extraMetadata: Record<string, string> = { format: 'pt' }): Promise<Uint8Array> {
  const out: SafetensorsWriteTensor[] = [];
  for (const name of file.names()) {
    const pruned = p.pruned.get(name);
    out.push({ name, dtype: 'F32', shape: file.shape(name), data: pruned ?? (await file.f32(name)) });
  }
  const meta: PruneMetadata = { method: 'l1_unstructured', sparsity: p.report.target, tensors: [...p.pruned.keys()] };
  return writeSafetensors(out, { ...extraMetadata, [PRUNE_METADATA_KEY]: JSON.stringify(meta) });
}

/** A WeightFile view of a checkpoint with the pruned tensors swapped in (for loading without saving). */
export function prunedWeightFile(file: WeightFile, p: PrunedModel): WeightFile {
  return {
    kind: file.kind,
    name: `${file.name} (pruned)`,
    names: () => file.names(),
    has: (n) => file.has(n),
    shape: (n) => file.shape(n),
    dtype: (n) => (p.pruned.has(n) ? 'f32' : file.dtype(n)),
    upload: (n, b) => {
      const d = p.pruned.get(n);
      return d ? Promise.resolve(b.tensor(file.shape(n), 'f32', d)) : file.upload(n, b);
    },
    f32: (n) => {
      const d = p.pruned.get(n);
      return d ? Promise.resolve(d) : file.f32(n);
    },
  };
}

export interface MemoryComparison {
  denseBytes: number;
  /** With the layout a pruned checkpoint loads with (`sparseLinears: true`: the backend's smallest). */
  sparseBytes: number;
  ratio: number;
  /** With the backend's fastest in-cache layout (`sparseLinears: 'speed'`; wasm: csr16n). */
  speedBytes: number;
  speedRatio: number;
}

/** Bytes the backend holds for the dense model vs the pruned model run with sparse linears (default and 'speed' layouts). */
export async function compareMemory(makeBackend: () => Promise<Backend>, config: ModelConfig, file: WeightFile, p: PrunedModel): Promise<MemoryComparison> {
  const measure = async (f: WeightFile, sparse: boolean | 'speed') => {
    const b = await makeBackend();
    try {
      const m = await modelFromWeights(b, config, f, { sparseLinears: sparse });
      const bytes = b.memoryBytes();
      m.dispose();
      return bytes;
    } finally {
      b.dispose();
    }
  };
  const denseBytes = await measure(file, false);
  const sparseBytes = await measure(prunedWeightFile(file, p), true);
  const speedBytes = await measure(prunedWeightFile(file, p), 'speed');
  return { denseBytes, sparseBytes, ratio: sparseBytes / denseBytes, speedBytes, speedRatio: speedBytes / denseBytes };
}
