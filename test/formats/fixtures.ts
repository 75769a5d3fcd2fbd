/** Where the model fixtures live: env SPARROW_MODEL_FIXTURES, else the copy under test/fixtures/. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
export const MODEL_ROOT = process.env.SPARROW_MODEL_FIXTURES ?? resolve(here, '../fixtures/models');
export const KQUANT_ROOT = process.env.SPARROW_KQUANT_FIXTURES ?? resolve(MODEL_ROOT, '../gguf-kquants');

export function fixtureBytes(root: string, ...parts: string[]): Uint8Array {
  const b = readFileSync(join(root, ...parts));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function fixtureF32(root: string, ...parts: string[]): Float32Array {
  const b = readFileSync(join(root, ...parts));
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

export function fixtureJson<T = unknown>(root: string, ...parts: string[]): T {
  return JSON.parse(readFileSync(join(root, ...parts), 'utf8')) as T;
}
