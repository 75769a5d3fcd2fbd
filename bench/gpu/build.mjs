/**
 * `npm run gpu:build`: bundles bench/gpu/run.ts into dist/gpu/bench/run.mjs, a single file that
 * needs only a Node binary, the `webgpu` package (left external: .gpu/ links it on the GPU machine)
 * and build/sparrow.wasm. WGSL `?raw` imports are inlined as strings. The bundle sits three
 * folders down so the wasm loader's `new URL('../../../build/sparrow.wasm', import.meta.url)`
 * still lands on build/ at the repo root.
 */
import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';

const raw = {
  name: 'raw',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: new URL(a.path.slice(0, -4), `file://${a.resolveDir}/`).pathname, namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, async (a) => ({ contents: await readFile(a.path, 'utf8'), loader: 'text' }));
  },
};

await build({
  entryPoints: ['bench/gpu/run.ts'],
  outfile: 'dist/gpu/bench/run.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['webgpu'],
  plugins: [raw],
  logLevel: 'info',
  // Some dependencies are CommonJS: give the ESM bundle a require().
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
