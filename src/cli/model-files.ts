/**
 * Node-side model opening for the CLI and tests: PATH is a folder (config.json + model.safetensors,
 * optional tokenizer.json / tokenizer_config.json) or a .gguf file. The files are handed to the
 * runtime-neutral opener in src/engine/open-model.ts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SparrowError } from '../errors.ts';
import type { Backend } from '../backends/backend.ts';
import { openModel as openFromFiles, openModelFiles, type FileData, type ModelFiles, type OpenedModel } from '../engine/open-model.ts';
import type { LoadOptions } from '../models/load.ts';

export type { OpenedModel };

const FOLDER_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];

function readPath(path: string): Map<string, FileData> {
  if (!existsSync(path)) throw new SparrowError('INVALID_ARGUMENT', `model path ${path} does not exist`, { path });
  const files = new Map<string, FileData>();
  if (statSync(path).isFile()) {
    if (!path.endsWith('.gguf')) throw new SparrowError('UNSUPPORTED', `${path}: a model file must be .gguf (or pass a folder with config.json + model.safetensors)`, { path });
    files.set(basename(path), readFileSync(path));
    return files;
  }
  for (const f of FOLDER_FILES) if (existsSync(join(path, f))) files.set(f, readFileSync(join(path, f)));
  return files;
}

/** Open the files of a model without uploading anything. */
export function openWeights(path: string): Promise<ModelFiles> {
  return openModelFiles(readPath(path), path);
}

export function openModel(backend: Backend, path: string, opts: LoadOptions = {}): Promise<OpenedModel> {
  return openFromFiles(backend, readPath(path), opts, path);
}
