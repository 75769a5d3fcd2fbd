/**
 * The part of prefill / step / hiddenStates (and the weights' memory and disposal) that every model
 * family shares: each model only writes `forward` (run n tokens through the network, advancing the
 * state, writing logits of every row or only the last, and optionally the hidden states after each
 * stage).
 */
import { SparrowError } from '../errors.ts';
import type { Backend, Tensor } from '../backends/backend.ts';
import { Scratch } from './scratch.ts';
import type { WeightMap } from './weights.ts';
import type { ModelState, PrefillOptions } from './types.ts';

/** A state that owns a [1, vocab] logits tensor reused by every decode step. */
export interface StepState extends ModelState {
  readonly logits: Tensor;
}

/**
 * A recurrent model's state (Mamba, Mamba-2, RWKV-4, RWKV-7): a fixed set of tensors (conv windows,
 * SSM / WKV states, token shifts) plus the [1, vocab] logits and the scratch every decode step reuses.
 */
export abstract class RecurrentState implements StepState {
  position = 0;
  readonly logits: Tensor;
  /** Decode-step scratch, reused every token. */
  readonly scratch: Scratch;
  constructor(
    private readonly owner: Backend,
    vocab: number,
  ) {
    this.logits = owner.tensor([1, vocab], 'f32');
    this.scratch = new Scratch(owner);
  }
  /** The model's own state tensors (not the logits or the scratch), in a fixed order. */
  protected abstract tensors(): Tensor[];
  /** Copy another state of the same model into this one (tensors and position). */
  copyFrom(other: RecurrentState): void {
    const [to, from] = [this.tensors(), other.tensors()];
    if (to.length !== from.length) throw new SparrowError('INTERNAL', `state copy: ${from.length} tensors into ${to.length}`);
    to.forEach((t, i) => this.owner.copy(t, 0, from[i], 0, t.size));
    this.position = other.position;
  }
  bytes(): number {
    return [...this.tensors(), this.logits].reduce((a, t) => a + t.byteSize, 0) + this.scratch.bytes();
  }
  free(): void {
    for (const t of [...this.tensors(), this.logits]) this.owner.free(t);
    this.scratch.free();
  }
}

/** The rows the final norm and head read: all n rows of x [n, width], or with lastOnly a copy of the last one. */
export function headRows(b: Backend, x: Tensor, n: number, width: number, lastOnly: boolean, scratch: Scratch): Tensor {
  if (!lastOnly || n === 1) return x;
  const last = scratch.get([1, width]);
  b.copy(last, 0, x, (n - 1) * width, width);
  return last;
}

/** SIZE_LIMIT unless n more tokens after `position` fit a KV cache of `capacity` rows (models with one). */
export function checkKvRoom(model: string, position: number, n: number, capacity: number): void {
  if (position + n > capacity) {
    throw new SparrowError('SIZE_LIMIT', `${model}: ${position} + ${n} tokens exceed the KV cache capacity ${capacity}`, { position, tokens: n, capacity });
  }
}

export abstract class ForwardLM<S extends StepState> {
  abstract readonly backend: Backend;
  abstract readonly vocabSize: number;
  abstract readonly hiddenSize: number;
  abstract readonly weights: WeightMap;
  /** Rows of `hiddenStates`: the stages forward() records (e.g. every block + the final norm). */
  protected abstract readonly hiddenStages: number;

  /** Run `tokens` (n ≥ 1) at the state's position; logits [n, vocab] or, with lastOnly, [1, vocab]. */
  protected abstract forward(tokens: readonly number[], s: S, logits: Tensor, lastOnly: boolean, hidden?: Tensor): void;

  /** CausalLM.snapshots: recurrent models say true; models with a KV cache that rewinds, false. */
  get snapshots(): boolean {
    return false;
  }

  /** Recurrent states: a full copy (CausalLM.snapshot); models with a KV cache override both. */
  snapshot(state: ModelState): ModelState | null {
    if (!(state instanceof RecurrentState)) return null;
    const copy = (this as unknown as { newState(): ModelState }).newState() as RecurrentState;
    copy.copyFrom(state);
    return copy;
  }

  restore(state: ModelState, snapshot: ModelState): number {
    if (!(state instanceof RecurrentState) || !(snapshot instanceof RecurrentState)) throw new SparrowError('INVALID_ARGUMENT', 'restore: not a recurrent state of this model');
    state.copyFrom(snapshot);
    return state.position;
  }

  prefill(tokens: readonly number[], state: ModelState, opts: PrefillOptions = {}): Tensor {
    const out = this.backend.tensor([opts.allLogits ? tokens.length : 1, this.vocabSize], 'f32');
    try {
      this.forward(tokens, state as S, out, !opts.allLogits);
    } catch (e) {
      this.backend.free(out);
      throw e;
    }
    return out;
  }

  step(token: number, state: ModelState): Tensor {
    const s = state as S;
    this.forward([token], s, s.logits, true);
    return s.logits;
  }

  /** Hidden states for parity checks: [hiddenStages, n, hiddenSize]. */
  hiddenStates(tokens: readonly number[], state: S): Tensor {
    const out = this.backend.tensor([this.hiddenStages, tokens.length, this.hiddenSize], 'f32');
    const logits = this.backend.tensor([tokens.length, this.vocabSize], 'f32');
    try {
      this.forward(tokens, state, logits, false, out);
    } finally {
      this.backend.free(logits);
    }
    return out;
  }

  weightBytes(): number {
    return this.weights.bytes();
  }

  dispose(): void {
    this.weights.dispose();
  }
}

/**
 * The recurrent models (Mamba, Mamba-2, RWKV-4, RWKV-7): hidden states after every block and the final
 * norm, sizes from the config, and a state that cannot rewind, so the engine keeps snapshots of it.
 */
export abstract class RecurrentLM<S extends RecurrentState> extends ForwardLM<S> {
  protected readonly hiddenStages: number;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  constructor(sizes: { vocabSize: number; hiddenSize: number; numLayers: number }) {
    super();
    this.hiddenStages = sizes.numLayers + 1;
    this.vocabSize = sizes.vocabSize;
    this.hiddenSize = sizes.hiddenSize;
    this.numLayers = sizes.numLayers;
  }
  override get snapshots(): boolean {
    return true;
  }
}
