/**
 * Reads the model-fixture manifest tree and classifies every file of every folder into a check the
 * parity suite runs. A file whose kind is unknown is reported, so the suite fails instead of
 * silently ignoring new fixtures.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_ROOT = process.env.SPARROW_MODEL_FIXTURES ?? 'test/fixtures/models';

export interface FolderManifest {
  name: string;
  family: string;
  inputs: Record<string, { token_ids: number[] }>;
  tolerance: { suggested_atol_float32_impl: number; suggested_atol_webgpu?: number };
  files: { path: string; shape?: number[]; hidden_state_labels?: string[] }[];
  generation?: { prompt: string; generated_token_ids: number[] };
  forced_decode?: { prompt: string; forced_token_ids: number[] };
  /** Present in the pruned folders (how they were pruned). */
  pruning?: unknown;
}

export type Check =
  | { kind: 'logits'; file: string; input: string; variant: string | null }
  | { kind: 'hidden'; file: string; input: string }
  | { kind: 'layer-outputs'; file: string; input: string }
  | { kind: 'mamba-cache'; file: string; input: string; layer: number; which: 'conv' | 'ssm' }
  | { kind: 'rwkv-state'; file: string; input: string; index: number }
  | { kind: 'greedy'; file: string; input: string }
  | { kind: 'forced'; file: string; input: string }
  | { kind: 'dequant'; file: string; variant: string; tensor: string };

export interface FolderPlan {
  dir: string;
  path: string;
  manifest: FolderManifest;
  atol: number;
  /** GGUF variants present (F32, Q8_0, …). */
  ggufVariants: string[];
  checks: Check[];
  unknownFiles: string[];
}

export function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

export function listFolders(root = FIXTURE_ROOT): string[] {
  return readdirSync(root)
    .filter((d) => statSync(join(root, d)).isDirectory())
    .sort();
}

export function planFolder(dir: string, root = FIXTURE_ROOT): FolderPlan {
  const path = join(root, dir);
  const manifest = JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')) as FolderManifest;
  const checks: Check[] = [];
  const unknownFiles: string[] = [];
  const ggufVariants: string[] = [];
  let m: RegExpExecArray | null;
  for (const f of readdirSync(path).sort()) {
    if (['manifest.json', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].includes(f)) continue;
    if ((m = /^model\.(\w+)\.gguf$/.exec(f))) ggufVariants.push(m[1]);
    else if ((m = /^logits\.(?:([A-Z]\w*)\.)?(seq\d+)\.bin$/.exec(f))) checks.push({ kind: 'logits', file: f, input: m[2], variant: m[1] ?? null });
    else if ((m = /^logits_f32mode\.(seq\d+)\.bin$/.exec(f))) checks.push({ kind: 'logits', file: f, input: m[1], variant: null });
    else if ((m = /^hidden_states\.(seq\d+)\.bin$/.exec(f))) checks.push({ kind: 'hidden', file: f, input: m[1] });
    else if ((m = /^layer_outputs\.(seq\d+)\.bin$/.exec(f))) checks.push({ kind: 'layer-outputs', file: f, input: m[1] });
    else if ((m = /^cache\.(seq\d+)\.layer(\d+)\.(conv|ssm)\.bin$/.exec(f))) checks.push({ kind: 'mamba-cache', file: f, input: m[1], layer: Number(m[2]), which: m[3] as 'conv' | 'ssm' });
    else if ((m = /^state\.(seq\d+)\.(\d)\.bin$/.exec(f))) checks.push({ kind: 'rwkv-state', file: f, input: m[1], index: Number(m[2]) });
    else if ((m = /^gen\.(seq\d+)\.step_logits\.bin$/.exec(f))) checks.push({ kind: 'greedy', file: f, input: m[1] });
    else if ((m = /^forced\.(seq\d+)\.step_logits\.bin$/.exec(f))) checks.push({ kind: 'forced', file: f, input: m[1] });
    else if ((m = /^dequant\.(\w+?)\.(.+)\.bin$/.exec(f))) checks.push({ kind: 'dequant', file: f, variant: m[1], tensor: m[2] });
    else unknownFiles.push(f);
  }
  for (const c of checks) {
    if (c.kind === 'logits' && c.variant && !ggufVariants.includes(c.variant)) unknownFiles.push(`${c.file} (no model.${c.variant}.gguf)`);
  }
  if (!existsSync(join(path, 'model.safetensors')) && ggufVariants.length === 0) unknownFiles.push('(no model.safetensors or .gguf)');
  return { dir, path, manifest, atol: manifest.tolerance.suggested_atol_float32_impl, ggufVariants, checks, unknownFiles };
}

export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let e = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= e)) e = Number.isNaN(d) ? Infinity : d;
  }
  return e;
}

/** Largest |a − b| / (atol + rtol·|b|): ≤ 1 passes. */
export function worstRatio(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): number {
  if (a.length !== b.length) return Infinity;
  let w = 0;
  for (let i = 0; i < a.length; i++) {
    const r = Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i]));
    if (!(r <= w)) w = Number.isNaN(r) ? Infinity : r;
  }
  return w;
}
