/**
 * The token embedding lookup the transformer models share (Llama, Gemma 3): f32 / f16 / bf16 tables
 * are looked up on the device by the embedding op; a block-quantized table (a GGUF token_embd in
 * Q8_0, Q6_K, …) stays quantized on the device for the tied head, and the lookup dequantizes the n
 * needed rows on the host from the file's raw blocks.
 */
import { SparrowError } from '../errors.ts';
import type { Backend, Tensor } from '../backends/backend.ts';
import { dequantize } from '../formats/ggml-quants.ts';
import { ggmlTypeByName, rowBytes } from '../formats/ggml-types.ts';
import type { Scratch } from './scratch.ts';
import type { WeightFile } from './weights.ts';

/** A block-quantized embedding table looked up on the host (the embedding op takes f32/f16/bf16 only). */
export interface HostEmbedding {
  raw: Uint8Array;
  ggmlType: string;
  cols: number;
}

/** The host copy a table of `dtype` needs, or undefined when the device looks it up. */
export async function hostEmbeddingOf(file: WeightFile, name: string, dtype: string, cols: number, model: string): Promise<HostEmbedding | undefined> {
  if (dtype === 'f32' || dtype === 'f16' || dtype === 'bf16') return undefined;
  if (!file.raw || !file.ggmlType) throw new SparrowError('UNSUPPORTED', `${model}: embedding table of dtype ${dtype} needs raw block access`);
  return { raw: new Uint8Array(await file.raw(name)), ggmlType: file.ggmlType(name), cols };
}

/** x [n, cols] = rows `tokens` of the table (on the device) or of the host copy. */
export function embedTokens(b: Backend, x: Tensor, tokens: readonly number[], table: Tensor, host: HostEmbedding | undefined, vocab: number, scratch: Scratch): void {
  if (!host) {
    const ids = scratch.get([tokens.length], 'i32');
    b.write(ids, Int32Array.from(tokens));
    b.embedding(x, table, ids);
    return;
  }
  const type = ggmlTypeByName(host.ggmlType);
  const rb = rowBytes(type, host.cols);
  const out = new Float32Array(tokens.length * host.cols);
  tokens.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new SparrowError('INDEX_OUT_OF_RANGE', `embedding: id ${id} at ${i} is outside the vocabulary [0, ${vocab})`, { index: i, id, vocab });
    }
    dequantize(type, host.raw, host.cols, out, i * host.cols, id * rb);
  });
  b.write(x, out);
}
