/** `sparrow prune`: magnitude-prune a safetensors checkpoint and report sparsity and memory. */
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SparrowError } from '../errors.ts';
import { compareMemory, pruneCheckpoint, savePruned } from '../engine/prune.ts';
import { number, parse, required } from './args.ts';
import { cliBackend } from './backend.ts';
import type { Io } from './main.ts';
import { openWeights } from './model-files.ts';

const mb = (n: number) => `${(n / 1048576).toFixed(3)} MiB`;

export async function runPrune(argv: string[], io: Io): Promise<void> {
  const v = parse('prune', argv, { model: { type: 'string' }, sparsity: { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' } });
  const modelPath = required('prune', v, 'model');
  const outDir = required('prune', v, 'out');
  const sparsity = number('prune', v, 'sparsity');
  if (sparsity === undefined) throw new SparrowError('INVALID_ARGUMENT', 'prune: --sparsity is required');
  if (!statSync(modelPath).isDirectory()) throw new SparrowError('UNSUPPORTED', 'prune: --model must be a safetensors folder (GGUF pruning is not supported)');
  const { config, weights } = await openWeights(modelPath);
  const p = await pruneCheckpoint(config, weights, sparsity);
  const bytes = await savePruned(weights, p);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'model.safetensors'), bytes);
  for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    if (existsSync(join(modelPath, f))) copyFileSync(join(modelPath, f), join(outDir, f));
  }
  const r = p.report;
  const lines = [`pruned ${r.tensors.length} linear weights of ${modelPath} with l1_unstructured to ${sparsity}:`];
  for (const t of r.tensors) lines.push(`  ${t.name.padEnd(48)} [${t.shape.join(', ')}]  sparsity ${(t.sparsity * 100).toFixed(2)}%`);
  lines.push(`pruned tensors: ${r.prunedZeros} / ${r.prunedElements} zero (${(r.prunedSparsity * 100).toFixed(2)}%)`);
  lines.push(`whole model:    ${r.totalZeros} / ${r.totalElements} zero (${(r.totalSparsity * 100).toFixed(2)}%)`);
  const backendName = (v.backend as string | undefined) ?? 'wasm';
  const mem = await compareMemory(() => cliBackend(backendName), config, weights, p);
  lines.push(`memory on ${backendName}: dense ${mb(mem.denseBytes)} → sparse ${mb(mem.sparseBytes)} (${(mem.ratio * 100).toFixed(1)}%; the fastest in-cache layout, sparseLinears: 'speed': ${mb(mem.speedBytes)}, ${(mem.speedRatio * 100).toFixed(1)}%)`);
  lines.push(`wrote ${join(outDir, 'model.safetensors')}`);
  io.out(`${lines.join('\n')}\n`);
}
