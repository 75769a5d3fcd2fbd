/**
 * Node-side model opening for the CLI and tests: PATH is a folder (config.json + model.safetensors,
 * optional tokenizer.json / tokenizer_config.json) or a .gguf file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SparrowError } from '../errors.ts';
import type { Backend } from '../backends/backend.ts';
import { GgufFile } from '../formats/gguf.ts';
import { parseHfConfig, type ModelConfig } from '../formats/hf-config.ts';
import { SafetensorsFile } from '../formats/safetensors.ts';
import { tokenizerFromGguf } from '../engine/gguf-tokenizer.ts';
import { ByteTokenizer, HfTokenizer, type TextTokenizer } from '../engine/tokenizer.ts';
import { ggufLlamaConfig } from '../formats/gguf-config.ts';
import { GgufWeights, ggufMetadataRecord } from '../models/gguf-weights.ts';
import { PRUNE_METADATA_KEY, modelFromWeights, type LoadOptions } from '../models/load.ts';
import type { CausalLM } from '../models/types.ts';
import { SafetensorsWeights, type WeightFile } from '../models/weights.ts';

export interface OpenedModel {
  model: CausalLM;
  config: ModelConfig;
  weights: WeightFile;
  /** Undefined when the folder has no tokenizer.json and the vocabulary is not byte-level. */
  tokenizer?: TextTokenizer;
  /** Raw safetensors metadata (folders) or undefined (GGUF). */
  metadata?: Record<string, string>;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SparrowError('FORMAT_INVALID', `${path}: ${(e as Error).message}`, { file: path });
  }
}

/** Open the files of a model without uploading anything. */
export async function openWeights(path: string): Promise<{ config: ModelConfig; weights: WeightFile; tokenizer?: TextTokenizer; metadata?: Record<string, string> }> {
  if (!existsSync(path)) throw new SparrowError('INVALID_ARGUMENT', `model path ${path} does not exist`, { path });
  if (statSync(path).isFile()) {
    if (!path.endsWith('.gguf')) throw new SparrowError('UNSUPPORTED', `${path}: a model file must be .gguf (or pass a folder with config.json + model.safetensors)`, { path });
    const g = await GgufFile.open(readFileSync(path), path);
    return { config: ggufLlamaConfig(g).config, weights: new GgufWeights(g), tokenizer: tokenizerFromGguf(ggufMetadataRecord(g)) };
  }
  const cfgPath = join(path, 'config.json');
  const stPath = join(path, 'model.safetensors');
  for (const p of [cfgPath, stPath]) if (!existsSync(p)) throw new SparrowError('TENSOR_MISSING', `${path}: ${p} is missing (a model folder needs config.json + model.safetensors)`, { path: p });
  const config = parseHfConfig(readJson(cfgPath), cfgPath);
  const st = await SafetensorsFile.open(readFileSync(stPath), stPath);
  let tokenizer: TextTokenizer | undefined;
  const tokPath = join(path, 'tokenizer.json');
  if (existsSync(tokPath)) {
    const tc = join(path, 'tokenizer_config.json');
    tokenizer = new HfTokenizer(readJson(tokPath) as Record<string, unknown>, existsSync(tc) ? (readJson(tc) as Record<string, unknown>) : {});
  } else if (config.vocabSize === 256) {
    tokenizer = new ByteTokenizer(config.bosTokenId ?? undefined, config.eosTokenIds[0]);
  }
  return { config, weights: new SafetensorsWeights(st), tokenizer, metadata: { ...st.metadata } };
}

export async function openModel(backend: Backend, path: string, opts: LoadOptions = {}): Promise<OpenedModel> {
  const o = await openWeights(path);
  const pruned = o.metadata?.[PRUNE_METADATA_KEY] !== undefined;
  const model = await modelFromWeights(backend, o.config, o.weights, { sparseLinears: pruned, ...opts });
  return { ...o, model };
}
