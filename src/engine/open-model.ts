/**
 * Open a model from its files in any runtime (browser File/Blob objects, fetched ArrayBuffers, or
 * Node buffers): a Hugging Face set (config.json + model.safetensors [+ tokenizer.json,
 * tokenizer_config.json]) or one .gguf file. Returns the running model, its config and a tokenizer
 * (undefined when none can be built). Large files are read range by range, never copied whole.
 */
import { SparrowError } from '../errors.ts';
import type { Backend } from '../backends/backend.ts';
import { ggufModelConfig } from '../formats/gguf-config.ts';
import { GgufFile } from '../formats/gguf.ts';
import { parseHfConfig, type ModelConfig } from '../formats/hf-config.ts';
import { SafetensorsFile } from '../formats/safetensors.ts';
import { GgufWeights, ggufMetadataRecord } from '../models/gguf-weights.ts';
import { PRUNE_METADATA_KEY, modelFromWeights, prunedLinears, type LoadOptions } from '../models/load.ts';
import type { CausalLM } from '../models/types.ts';
import { SafetensorsWeights, type WeightFile } from '../models/weights.ts';
import { tokenizerFromGguf } from './gguf-tokenizer.ts';
import { ByteTokenizer, HfTokenizer, type TextTokenizer } from './tokenizer.ts';

export type FileData = Blob | ArrayBuffer | Uint8Array;

export interface ModelFiles {
  weights: WeightFile;
  config: ModelConfig;
  tokenizer?: TextTokenizer;
  /** safetensors __metadata__ (folders), absent for GGUF. */
  metadata?: Record<string, string>;
}

export interface OpenedModel extends ModelFiles {
  model: CausalLM;
}

async function text(d: FileData): Promise<string> {
  if (typeof Blob !== 'undefined' && d instanceof Blob) return d.text();
  return new TextDecoder().decode(d instanceof Uint8Array ? d : new Uint8Array(d as ArrayBuffer));
}

async function json(name: string, d: FileData): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await text(d));
  } catch (e) {
    throw new SparrowError('FORMAT_INVALID', `${name}: ${(e as Error).message}`, { file: name });
  }
}

/** Parse the files (headers only for the weights) without uploading anything. */
export async function openModelFiles(files: ReadonlyMap<string, FileData>, label = 'model'): Promise<ModelFiles> {
  const ggufs = [...files.keys()].filter((n) => n.endsWith('.gguf'));
  if (ggufs.length > 1) throw new SparrowError('INVALID_ARGUMENT', `${label}: ${ggufs.length} .gguf files given (${ggufs.join(', ')}); pass one`);
  if (ggufs.length === 1) {
    const g = await GgufFile.open(files.get(ggufs[0])!, ggufs[0]);
    return { config: ggufModelConfig(g).config, weights: new GgufWeights(g), tokenizer: tokenizerFromGguf(ggufMetadataRecord(g)) };
  }
  const cfg = files.get('config.json');
  const st = files.get('model.safetensors');
  if (!cfg || !st) throw new SparrowError('TENSOR_MISSING', `${label}: a model needs config.json + model.safetensors, or one .gguf file (got ${[...files.keys()].join(', ') || 'nothing'})`);
  const config = parseHfConfig(await text(cfg), `${label}/config.json`);
  const sf = await SafetensorsFile.open(st, `${label}/model.safetensors`);
  let tokenizer: TextTokenizer | undefined;
  const tj = files.get('tokenizer.json');
  if (tj) {
    const tc = files.get('tokenizer_config.json');
    tokenizer = new HfTokenizer(await json(`${label}/tokenizer.json`, tj), tc ? await json(`${label}/tokenizer_config.json`, tc) : {}, config.eosTokenIds);
  } else if (config.vocabSize === 256) {
    tokenizer = new ByteTokenizer(config.bosTokenId ?? undefined, config.eosTokenIds[0]);
  }
  return { config, weights: new SafetensorsWeights(sf), tokenizer, metadata: { ...sf.metadata } };
}

/** Open and upload: pruned checkpoints (sparrow.pruning metadata) get sparse linears by default. */
export async function openModel(backend: Backend, files: ReadonlyMap<string, FileData>, opts: LoadOptions = {}, label = 'model'): Promise<OpenedModel> {
  const f = await openModelFiles(files, label);
  const pruned = f.metadata?.[PRUNE_METADATA_KEY] !== undefined;
  const model = await modelFromWeights(backend, f.config, f.weights, { ...opts, sparseLinears: opts.sparseLinears ?? prunedLinears(pruned, opts) });
  return { ...f, model };
}
