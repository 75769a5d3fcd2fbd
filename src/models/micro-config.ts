/**
 * The micro model's shape: token embedding → L blocks of [sliding-window causal attention +
 * delta-rule associative memory, mixed by a learned gate] → SiLU MLP → RMSNorm → head.
 * This file only names parameters and their shapes; micro.ts runs it, src/train/ trains it.
 */
import { SparrowError } from '../errors.ts';

export interface MicroConfig {
  vocab: number;
  dim: number;
  heads: number;
  layers: number;
  /** Attention looks at the last `window` tokens (itself included). */
  window: number;
  /** MLP hidden width. */
  ffn: number;
  eps: number;
}

export const SENSOR_CONFIG: MicroConfig = { vocab: 64, dim: 48, heads: 2, layers: 1, window: 32, ffn: 96, eps: 1e-5 };
export const TEXT_CONFIG: MicroConfig = { vocab: 256, dim: 48, heads: 2, layers: 1, window: 32, ffn: 96, eps: 1e-5 };

/** Parameter name → shape, in a fixed order (also the safetensors order). */
export function paramShapes(c: MicroConfig): Array<[string, number[]]> {
  checkConfig(c);
  const d = c.dim;
  const out: Array<[string, number[]]> = [['emb', [c.vocab, d]]];
  for (let l = 0; l < c.layers; l++) {
    const p = `blocks.${l}.`;
    out.push(
      [p + 'norm1', [d]],
      [p + 'attn.wq', [d, d]], [p + 'attn.wk', [d, d]], [p + 'attn.wv', [d, d]], [p + 'attn.bias', [c.heads, c.window]],
      [p + 'mem.wq', [d, d]], [p + 'mem.wk', [d, d]], [p + 'mem.wv', [d, d]], [p + 'mem.wbeta', [c.heads, d]], [p + 'mem.bbeta', [c.heads]],
      [p + 'gate.w', [d, d]], [p + 'gate.b', [d]],
      [p + 'wo', [d, d]],
      [p + 'norm2', [d]],
      [p + 'mlp.w1', [c.ffn, d]], [p + 'mlp.b1', [c.ffn]], [p + 'mlp.w2', [d, c.ffn]], [p + 'mlp.b2', [d]],
    );
  }
  out.push(['normf', [d]], ['head.w', [c.vocab, d]], ['head.b', [c.vocab]]);
  return out;
}

export function paramCount(c: MicroConfig): number {
  return paramShapes(c).reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
}

export function checkConfig(c: MicroConfig): void {
  const ints: Array<keyof MicroConfig> = ['vocab', 'dim', 'heads', 'layers', 'window', 'ffn'];
  for (const k of ints) {
    if (!Number.isInteger(c[k]) || (c[k] as number) < 1) throw new SparrowError('INVALID_ARGUMENT', `micro: config.${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.dim % c.heads !== 0) throw new SparrowError('INVALID_ARGUMENT', `micro: dim ${c.dim} is not divisible by heads ${c.heads}`);
}

/**
 * Deterministic initialisation (seeded): matrices ~ U(±√(3/fan_in)), norms 1, biases 0, the
 * memory's β bias −1 (σ ≈ 0.27: moderate writes), the gate bias 0, output projections scaled down.
 */
export function initParams(c: MicroConfig, seed = 1): Map<string, Float32Array> {
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of paramShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    const last = name.split('.').pop()!;
    if (last.startsWith('norm') || name === 'normf') a.fill(1);
    else if (name.endsWith('bbeta')) a.fill(-1);
    else if (shape.length === 2 && !name.endsWith('attn.bias')) {
      const lim = Math.sqrt(3 / shape[1]) * (name.endsWith('wo') || name.endsWith('mlp.w2') ? 0.5 : 1) * (name === 'emb' ? 1 : 1);
      for (let i = 0; i < n; i++) a[i] = (rnd() * 2 - 1) * lim;
    }
    out.set(name, a);
  }
  return out;
}
