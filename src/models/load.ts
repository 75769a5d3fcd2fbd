/**
 * One entry point from files to a running model: a Hugging Face folder (config.json +
 * model.safetensors) or a GGUF file, on any Backend.
 */
import { SparrowError } from '../errors.ts';
import type { Backend, SparsePreference } from '../backends/backend.ts';
import { parseHfConfig, type ModelConfig } from '../formats/hf-config.ts';
import { SafetensorsFile } from '../formats/safetensors.ts';
import { Gemma3, type GemmaOptions } from './gemma.ts';
import { Llama, type LlamaOptions } from './llama.ts';
import { Mamba } from './mamba.ts';
import { Mamba2 } from './mamba2.ts';
import { Rwkv } from './rwkv.ts';
import { Rwkv7 } from './rwkv7.ts';
import type { CausalLM } from './types.ts';
import { SafetensorsWeights, type WeightFile } from './weights.ts';

export interface LoadOptions extends Pick<LlamaOptions, 'kvDtype' | 'attention' | 'sparse' | 'contextLength' | 'stackLinears'>, Pick<GemmaOptions, 'slidingCacheRows'> {
  /**
   * Run linear weights as sparse matrices (for pruned checkpoints). Default: the file's pruning
   * metadata. `true` / 'size' = the backend's smallest layout (wasm: word8, ~4.25 B per non-zero,
   * as fast as csr16n in a model, docs/pruning.md); 'speed' = its fastest in-cache layout (csr16n).
   */
  sparseLinears?: boolean | SparsePreference;
  /**
   * The layout preference for linears that run sparse because the file says it is pruned (when
   * `sparseLinears` is not given): 'size' (default) or 'speed'. Dense checkpoints stay dense.
   */
  sparseLayout?: SparsePreference;
}

/** How a file's linears load when the options do not say: sparse in `sparseLayout` (default 'size') if pruned, else dense. */
export function prunedLinears(pruned: boolean, opts: LoadOptions): boolean | SparsePreference {
  return pruned ? (opts.sparseLayout ?? true) : false;
}

/** Metadata key a pruned safetensors file carries (see docs/pruning.md). */
export const PRUNE_METADATA_KEY = 'sparrow.pruning';

export async function modelFromWeights(backend: Backend, config: ModelConfig, file: WeightFile, opts: LoadOptions & { ropeStyle?: 'half' | 'interleaved' } = {}): Promise<CausalLM> {
  const sparse = opts.sparseLinears ?? false;
  switch (config.family) {
    case 'llama':
      // Gemma 3 and Gemma 2 have a Llama config (arch 'gemma3' / 'gemma2') and a block of their own
      if (config.arch === 'gemma3' || config.arch === 'gemma2') return Gemma3.load(backend, config, file, { ...opts, sparseLinears: sparse });
      return Llama.load(backend, config, file, { ...opts, sparseLinears: sparse });
    case 'mamba':
      return Mamba.load(backend, config, file, { sparse });
    case 'rwkv':
      return Rwkv.load(backend, config, file, { sparse });
    case 'rwkv7':
      return Rwkv7.load(backend, config, file, { sparse });
    case 'mamba2':
      return Mamba2.load(backend, config, file, { sparse });
  }
}

/** A Hugging Face checkpoint: config.json (text or parsed) + model.safetensors bytes / Blob. */
export async function loadSafetensorsModel(backend: Backend, configJson: unknown, weights: ArrayBuffer | Uint8Array | Blob, opts: LoadOptions = {}, name = 'model.safetensors'): Promise<CausalLM> {
  const config = parseHfConfig(configJson);
  const st = await SafetensorsFile.open(weights, name);
  const pruned = st.metadata[PRUNE_METADATA_KEY] !== undefined;
  return modelFromWeights(backend, config, new SafetensorsWeights(st), { ...opts, sparseLinears: opts.sparseLinears ?? prunedLinears(pruned, opts) });
}

export function linearNames(config: ModelConfig): string[] {
  switch (config.family) {
    case 'llama':
      return Llama.linearNames(config);
    case 'mamba':
      return Mamba.linearNames(config);
    case 'rwkv':
      return Rwkv.linearNames(config);
    case 'rwkv7':
      return Rwkv7.linearNames(config);
    case 'mamba2':
      return Mamba2.linearNames(config);
    default:
      throw new SparrowError('UNSUPPORTED', `no model family ${(config as { family: string }).family}`);
  }
}
