/** Argument parsing for the CLI commands: node:util parseArgs with typed SparrowErrors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SparrowError } from '../errors.ts';

export function parse(cmd: string, argv: string[], options: NonNullable<ParseArgsConfig['options']>): Record<string, string | string[] | boolean | undefined> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values as Record<string, string | string[] | boolean | undefined>;
  } catch (e) {
    throw new SparrowError('INVALID_ARGUMENT', `${cmd}: ${(e as Error).message}`);
  }
}

export function required(cmd: string, v: Record<string, unknown>, name: string): string {
  const x = v[name];
  if (typeof x !== 'string' || x === '') throw new SparrowError('INVALID_ARGUMENT', `${cmd}: --${name} is required`);
  return x;
}

export function number(cmd: string, v: Record<string, unknown>, name: string, opts: { int?: boolean } = {}): number | undefined {
  const x = v[name];
  if (x === undefined) return undefined;
  const n = Number(x);
  if (typeof x !== 'string' || x.trim() === '' || !Number.isFinite(n) || (opts.int && !Number.isInteger(n))) {
    throw new SparrowError('INVALID_ARGUMENT', `${cmd}: --${name} must be ${opts.int ? 'an integer' : 'a number'}, got '${String(x)}'`);
  }
  return n;
}

export function tokenList(cmd: string, s: string): number[] {
  const parts = s.split(',').map((p) => p.trim());
  const ids = parts.map(Number);
  if (parts.some((p) => p === '') || ids.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new SparrowError('INVALID_ARGUMENT', `${cmd}: --tokens must be comma-separated non-negative integers, got '${s}'`);
  }
  return ids;
}

/** `--sparse-layout size|speed`: the layout a pruned checkpoint's sparse linears load into (default: size). */
export function sparseLayout(cmd: string, v: Record<string, unknown>): 'size' | 'speed' | undefined {
  const s = v['sparse-layout'];
  if (s === undefined) return undefined;
  if (s === 'size' || s === 'speed') return s;
  throw new SparrowError('INVALID_ARGUMENT', `${cmd}: --sparse-layout must be size or speed, got ${JSON.stringify(s)}`);
}
