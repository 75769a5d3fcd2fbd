/**
 * The IQ lookup tables of shaders/quant.wgsl — kvalues_iq4nl and the IQ3 / IQ2 / IQ1 grids — as one
 * read-only storage buffer (binding 4 of the IQ kernels), uploaded once per device.
 *
 * They used to be WGSL `const` arrays. Indexed at run time, such an array is materialised as a copy
 * in every thread's private memory (Dawn → SPIR-V on NVIDIA), so a kernel cost in proportion to its
 * table: on an H100 a 4096×4096 matvec took 3.1 ms for IQ1_S (4,096-word grid), 2.2 ms for IQ2_S
 * (2,048) and 1.2 ms for IQ2_XS (1,024), against 0.28 ms for Q4_K (docs/gpu.md). A storage buffer is
 * read through the cache instead. The word offsets are prepended to the shader as `<NAME>_AT`
 * constants, so shader and buffer agree by construction.
 */
import { KVALUES_IQ4NL } from '../../formats/ggml-quants.ts';
import { IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID } from '../../formats/iq-grids.ts';

/** Each table's name in the shader (`<NAME>_AT`) and its words; IQ4NL holds the levels' f32 bits. */
export const IQ_TABLES: ReadonlyArray<readonly [name: string, words: Uint32Array]> = [
  ['IQ4NL', new Uint32Array(Float32Array.from(KVALUES_IQ4NL).buffer)],
  ['IQ3XXS', IQ3XXS_GRID],
  ['IQ3S', IQ3S_GRID],
  ['IQ2S', IQ2S_GRID],
  ['IQ2XXS', IQ2XXS_GRID],
  ['IQ2XS', IQ2XS_GRID],
  ['IQ1S', IQ1S_GRID],
];

/** All tables back to back, in IQ_TABLES' order. */
export const IQ_TABLE: Uint32Array<ArrayBuffer> = (() => {
  const out = new Uint32Array(IQ_TABLES.reduce((n, [, w]) => n + w.length, 0));
  let at = 0;
  for (const [, w] of IQ_TABLES) {
    out.set(w, at);
    at += w.length;
  }
  return out;
})();

/** `const <NAME>_AT = <word offset>u;` for every table, to prepend to shaders/quant.wgsl. */
export const IQ_TABLE_WGSL: string = (() => {
  let at = 0;
  let text = '';
  for (const [name, w] of IQ_TABLES) {
    text += `const ${name}_AT = ${at}u;\n`;
    at += w.length;
  }
  return text;
})();
