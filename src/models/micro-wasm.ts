/**
 * The micro model's fused WebAssembly SIMD step (assembly/micro.ts), in its own instance of
 * build/sparrow.wasm: weights, KV rings, memories and scratch are laid out once in linear memory
 * and `step` is one call per token. Same interface and math as MicroModel (micro.ts).
 */
import { SparrowError } from '../errors.ts';
import { compileSparrowWasm } from '../backends/wasm/module.ts';
import { WasmHeap } from '../backends/wasm/memory.ts';
import { checkConfig, paramShapes, type MicroConfig } from './micro-config.ts';
import { checkMicroState, decodeMicroState, encodeMicroState } from './micro-state.ts';
import type { MicroState } from './micro.ts';

interface MicroExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  micro_step(ctx: number, token: number, adapt: number): void;
}

/** Slot of the stream position in the ctx table (layout: assembly/micro.ts header). */
const CTX_POS = 6;

const LAYER_NAMES = ['norm1', 'attn.wq', 'attn.wk', 'attn.wv', 'attn.bias', 'mem.wq', 'mem.wk', 'mem.wv', 'mem.wbeta', 'mem.bbeta', 'gate.w', 'gate.b', 'wo', 'norm2', 'mlp.w1', 'mlp.b1', 'mlp.w2', 'mlp.b2'];

export class MicroWasm {
  adapt = true;
  private ctx: number;
  private logitsPtr: number;
  /** [start, bytes] of the mutable state (KV rings + memories) per layer, for reset/snapshot. */
  private stateRegions: Array<[number, number]> = [];
  private memRegions: Array<[number, number]> = [];

  private constructor(
    readonly config: MicroConfig,
    private readonly k: MicroExports,
    heap: WasmHeap,
    weights: Map<string, Float32Array>,
  ) {
    const c = config;
    const dh = c.dim / c.heads;
    const put = (a: Float32Array) => {
      const p = heap.alloc(a.byteLength);
      new Float32Array(k.memory.buffer, p, a.length).set(a);
      return p;
    };
    const zeros = (n: number) => {
      const p = heap.alloc(n * 4);
      new Uint8Array(k.memory.buffer, p, n * 4).fill(0);
      return p;
    };
    const table = new Int32Array(16 + 24 * c.layers);
    table.set([c.vocab, c.dim, c.heads, c.layers, c.window, c.ffn, 0, 0]);
    new Float32Array(table.buffer, 28, 1)[0] = c.eps;
    table[8] = put(weights.get('emb')!);
    table[9] = put(weights.get('normf')!);
    table[10] = put(weights.get('head.w')!);
    table[11] = put(weights.get('head.b')!);
    table[12] = this.logitsPtr = zeros(c.vocab);
    table[13] = zeros(10 * c.dim + c.ffn + dh + c.window + 4);
    for (let l = 0; l < c.layers; l++) {
      const b = 16 + 24 * l;
      LAYER_NAMES.forEach((n, i) => (table[b + i] = put(weights.get(`blocks.${l}.${n}`)!)));
      table[b + 18] = zeros(c.window * c.dim);
      table[b + 19] = zeros(c.window * c.dim);
      table[b + 20] = zeros(c.heads * dh * dh);
      this.stateRegions.push([table[b + 18], c.window * c.dim * 4], [table[b + 19], c.window * c.dim * 4], [table[b + 20], c.heads * dh * dh * 4]);
      this.memRegions.push([table[b + 20], c.heads * dh * dh * 4]);
    }
    this.ctx = heap.alloc(table.byteLength);
    new Int32Array(k.memory.buffer, this.ctx, table.length).set(table);
  }

  static async create(config: MicroConfig, weights: Map<string, Float32Array>): Promise<MicroWasm> {
    checkConfig(config);
    for (const [name, shape] of paramShapes(config)) {
      const n = shape.reduce((a, b) => a * b, 1);
      if (weights.get(name)?.length !== n) throw new SparrowError('SHAPE_MISMATCH', `micro-wasm: weight "${name}" missing or not [${shape.join(', ')}]`);
    }
    const module = await compileSparrowWasm();
    const instance = await WebAssembly.instantiate(module, { env: { abort: () => { throw new SparrowError('INTERNAL', 'micro-wasm: abort'); } } });
    const k = instance.exports as unknown as MicroExports;
    if (typeof k.micro_step !== 'function') throw new SparrowError('BACKEND_UNAVAILABLE', 'micro-wasm: build/sparrow.wasm has no micro_step; run npm run build:wasm');
    return new MicroWasm(config, k, new WasmHeap(k.memory, k.heapBase()), weights);
  }

  get pos(): number {
    return new Int32Array(this.k.memory.buffer, this.ctx, 8)[CTX_POS];
  }

  /** Set the position the next step writes at (the kernel keeps it in the ctx table). */
  private setPos(pos: number): void {
    new Int32Array(this.k.memory.buffer, this.ctx, 8)[CTX_POS] = pos;
  }

  /** Feed one token; returns the next-token logits (a view into wasm memory, valid until the next call). */
  step(token: number): Float32Array {
    if (!Number.isInteger(token) || token < 0 || token >= this.config.vocab) {
      throw new SparrowError('INDEX_OUT_OF_RANGE', `micro-wasm.step: token ${token} outside vocab [0, ${this.config.vocab})`);
    }
    this.k.micro_step(this.ctx, token, this.adapt ? 1 : 0);
    return new Float32Array(this.k.memory.buffer, this.logitsPtr, this.config.vocab);
  }

  reset(): void {
    for (const [p, n] of this.stateRegions) new Uint8Array(this.k.memory.buffer, p, n).fill(0);
    this.setPos(0);
  }

  resetMemory(): void {
    for (const [p, n] of this.memRegions) new Uint8Array(this.k.memory.buffer, p, n).fill(0);
  }

  /** Copy of the mutable state (position, KV rings, memories). */
  snapshot(): { pos: number; bytes: Uint8Array[] } {
    return { pos: this.pos, bytes: this.stateRegions.map(([p, n]) => new Uint8Array(this.k.memory.buffer, p, n).slice()) };
  }

  /** Copy of the learned state in MicroModel's layout (same ring order, so states move between the two). */
  getState(): MicroState {
    const f = this.stateRegions.map(([p, n]) => new Float32Array(this.k.memory.buffer, p, n / 4).slice());
    const s: MicroState = { pos: this.pos, keys: [], values: [], mem: [] };
    for (let l = 0; l < this.config.layers; l++) s.keys.push(f[3 * l]), s.values.push(f[3 * l + 1]), s.mem.push(f[3 * l + 2]);
    return s;
  }

  /** Replace the learned state (checked against the config first: SHAPE_MISMATCH). */
  setState(s: MicroState): void {
    checkMicroState(this.config, s, 'micro-wasm.setState');
    const buf = this.k.memory.buffer;
    for (let l = 0; l < this.config.layers; l++) {
      [s.keys[l], s.values[l], s.mem[l]].forEach((a, j) => new Float32Array(buf, this.stateRegions[3 * l + j][0], a.length).set(a));
    }
    this.setPos(s.pos);
  }

  /** The learned state as a self-describing file tied to `modelHash` (micro-state.ts). */
  saveState(modelHash: string): Uint8Array {
    return encodeMicroState(this.config, this.getState(), modelHash);
  }

  /** Restore from saveState bytes; a bad file throws (FORMAT_INVALID / SHAPE_MISMATCH) and changes nothing. */
  loadState(bytes: Uint8Array, modelHash: string): void {
    this.setState(decodeMicroState(bytes, this.config, modelHash));
  }

  restore(s: { pos: number; bytes: Uint8Array[] }): void {
    this.stateRegions.forEach(([p, n], i) => new Uint8Array(this.k.memory.buffer, p, n).set(s.bytes[i]));
    this.setPos(s.pos);
  }
}
