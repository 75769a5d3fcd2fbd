/**
 * What every causal language model in Sparrow looks like to the engine. Models are written once
 * against `Backend`; their recurrent / KV state lives on the same backend, so a decode step moves
 * nothing across the JS boundary except the token id in and the logits (or one argmax) out.
 */
import type { Backend, Tensor } from '../backends/backend.ts';

export type ModelFamily = 'mamba' | 'mamba2' | 'rwkv' | 'rwkv7' | 'llama' | 'gemma3' | 'gemma2';

/** Per-sequence state: KV cache (llama) or recurrent state (mamba, rwkv). */
/**
 * One layer's recurrent state in the hybrids' mixers (Mamba-2, Gated DeltaNet): the conv windows of
 * its parts ([channels, K] each, oldest first) and the recurrence's state tensor.
 */
export interface ConvRecurrentState {
  conv: Tensor[];
  state: Tensor;
}

export interface ModelState {
  /** Tokens consumed so far (the position of the next token). */
  readonly position: number;
  /** Bytes this state holds on the backend. */
  bytes(): number;
  /** Release the state's tensors. */
  free(): void;
}

export interface PrefillOptions {
  /** Return logits for every position ([N, vocab]) instead of only the last ([1, vocab]). */
  allLogits?: boolean;
}

export interface CausalLM {
  readonly family: ModelFamily;
  readonly backend: Backend;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  /** A fresh, empty state (position 0). */
  newState(): ModelState;
  /**
   * Run `tokens` (N ≥ 1) as one batch through the model (matrix-matrix, not a per-token loop),
   * advancing `state`. Returns a new tensor of logits the caller owns (free it): [N, vocab] with
   * `allLogits`, else [1, vocab] for the last position.
   */
  prefill(tokens: readonly number[], state: ModelState, opts?: PrefillOptions): Tensor;
  /**
   * One decode step. Returns the state's own [1, vocab] logits tensor, valid until the next call
   * on this state (do not free it).
   */
  step(token: number, state: ModelState): Tensor;
  /** Most tokens one state can hold (a KV cache's capacity); absent: no limit (a recurrent state). */
  readonly contextLength?: number;
  /**
   * Forget the state's tokens from `position` on, so that it can continue from a shared prefix
   * (the engine reuses a chat's previous turns this way). Returns the position kept, which may be
   * lower than asked (see the model). Absent: the state cannot go back (a recurrent state).
   */
  rewind?(state: ModelState, position: number): number;
  /** True when `snapshot` / `restore` are worth using: the state cannot rewind (all the way) by itself. */
  readonly snapshots?: boolean;
  /**
   * For states that cannot rewind (or not all the way: LFM2's convolution windows): a copy of what
   * `rewind` cannot recover, at the state's current position, to resume from later with `restore`
   * (the engine keeps a few: at each prompt's end, so Regenerate does not run the prompt again, and
   * where each reply's new prompt tokens began, so an edited last message does not either).
   * Null when `rewind` alone suffices. The caller frees it (ModelState.free).
   */
  snapshot?(state: ModelState): ModelState | null;
  /**
   * Put a snapshot of this model back into `state` (which has run at least the snapshot's tokens,
   * the same ones): afterwards `state` is at the snapshot's position. Returns that position.
   */
  restore?(state: ModelState, snapshot: ModelState): number;
  /** Bytes held by the weights on the backend. */
  weightBytes(): number;
  /** Release the weights. */
  dispose(): void;
}
