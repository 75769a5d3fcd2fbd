/**
 * The IQ grid tables exist three times, one per backend language (scripts/gen-iq-grids.py writes all
 * three from gguf-py): src/formats/iq-grids.ts (reference backend, dequantizer), assembly/iq-grids.ts
 * (wasm) and the `const` arrays in shaders/quant.wgsl (WebGPU). Random-block tests only touch the
 * entries their indices hit; this reads the other two copies as text and asks for every word to be the
 * same, so a hand edit of one copy cannot go unnoticed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID } from '../../src/formats/iq-grids.ts';

const root = new URL('../../', import.meta.url).pathname;
const asm = readFileSync(`${root}assembly/iq-grids.ts`, 'utf8');
const wgsl = readFileSync(`${root}shaders/quant.wgsl`, 'utf8');

/** The hex words of the array literal that follows `head` in `text` (up to its closing bracket). */
function words(text: string, head: string, close: string): number[] {
  const at = text.indexOf(head);
  if (at < 0) throw new Error(`${head} not found`);
  const body = text.slice(at + head.length, text.indexOf(close, at + head.length));
  return [...body.matchAll(/0x[0-9a-fA-F]+/g)].map((m) => Number(m[0]));
}

const TABLES: Array<[string, string, Uint32Array]> = [
  ['IQ3XXS_GRID', 'iq3xxs_grid', IQ3XXS_GRID],
  ['IQ3S_GRID', 'iq3s_grid', IQ3S_GRID],
  ['IQ2S_GRID', 'iq2s_grid', IQ2S_GRID],
  ['IQ2XXS_GRID', 'iq2xxs_grid', IQ2XXS_GRID],
  ['IQ2XS_GRID', 'iq2xs_grid', IQ2XS_GRID],
  ['IQ1S_GRID', 'iq1s_grid', IQ1S_GRID],
];

describe('IQ grid tables: the wasm and WGSL copies equal the TypeScript one', () => {
  for (const [asName, wgslName, ts] of TABLES) {
    it(`${wgslName} (${ts.length} words)`, () => {
      expect(words(asm, `export const ${asName}: usize = memory.data<u32>([`, ']')).toEqual(Array.from(ts));
      expect(words(wgsl, `const ${wgslName} = array<u32, ${ts.length}>(`, ')')).toEqual(Array.from(ts));
    });
  }
});
