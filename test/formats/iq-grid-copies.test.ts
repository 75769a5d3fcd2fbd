/**
 * The IQ grid tables exist twice, one per backend language (scripts/gen-iq-grids.py writes both from
 * gguf-py): src/formats/iq-grids.ts (reference backend, dequantizer; the WebGPU backend uploads these
 * same arrays as its lookup-table buffer, src/backends/webgpu/iq-table.ts) and assembly/iq-grids.ts
 * (wasm). Random-block tests only touch the entries their indices hit; this reads the wasm copy as
 * text and asks for every word to be the same, so a hand edit of one copy cannot go unnoticed. It also
 * checks that the WebGPU buffer holds each table whole at the offset its shader is told.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KVALUES_IQ4NL } from '../../src/formats/ggml-quants.ts';
import { IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID } from '../../src/formats/iq-grids.ts';
import { IQ_TABLE, IQ_TABLE_WGSL, IQ_TABLES } from '../../src/backends/webgpu/iq-table.ts';

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

const TABLES: Array<[string, Uint32Array]> = [
  ['IQ3XXS_GRID', IQ3XXS_GRID],
  ['IQ3S_GRID', IQ3S_GRID],
  ['IQ2S_GRID', IQ2S_GRID],
  ['IQ2XXS_GRID', IQ2XXS_GRID],
  ['IQ2XS_GRID', IQ2XS_GRID],
  ['IQ1S_GRID', IQ1S_GRID],
];

describe('IQ grid tables: the wasm copy equals the TypeScript one', () => {
  for (const [name, ts] of TABLES) {
    it(`${name} (${ts.length} words)`, () => {
      expect(words(asm, `export const ${name}: usize = memory.data<u32>([`, ']')).toEqual(Array.from(ts));
    });
  }
});

describe('the WebGPU lookup-table buffer (iq-table.ts)', () => {
  /** NAME → word offset, as the shader reads them from the prepended `const NAME_AT = …u;` lines. */
  const offsets = new Map([...IQ_TABLE_WGSL.matchAll(/const (\w+)_AT = (\d+)u;/g)].map((m) => [m[1], Number(m[2])]));

  it('holds every grid and the IQ4_NL levels whole, at the offset the shader is given', () => {
    expect(IQ_TABLES.map(([name]) => name).sort()).toEqual(['IQ1S', 'IQ2S', 'IQ2XS', 'IQ2XXS', 'IQ3S', 'IQ3XXS', 'IQ4NL']);
    for (const [name, w] of IQ_TABLES) {
      const at = offsets.get(name)!;
      expect(Array.from(IQ_TABLE.subarray(at, at + w.length)), name).toEqual(Array.from(w));
    }
    for (const [name, grid] of TABLES) {
      const at = offsets.get(name.replace('_GRID', ''))!;
      expect(Array.from(IQ_TABLE.subarray(at, at + grid.length)), name).toEqual(Array.from(grid));
    }
    const at = offsets.get('IQ4NL')!;
    expect(Array.from(new Float32Array(IQ_TABLE.slice(at, at + 16).buffer))).toEqual(KVALUES_IQ4NL);
  });

  it('is what the shader indexes: every offset is used, and no const grid copy is left in quant.wgsl', () => {
    for (const name of offsets.keys()) expect(wgsl, name).toContain(`${name}_AT + `);
    expect(wgsl).not.toMatch(/const \w+_grid = array/);
    expect(wgsl).not.toMatch(/var<private> \w+: array/);
  });
});
