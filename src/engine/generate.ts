/**
 * The generation loop: prefill the prompt in one batch, then decode one token per step, sampling
 * each token on the host (or argmax on the device when sampling is greedy, so only one i32 is read
 * back per step). Tokens stream out through a callback or an async iterator; stop sequences,
 * EOS, a token budget and an AbortSignal end it.
 */
import { SparrowError } from '../errors.ts';
import type { Tensor } from '../backends/backend.ts';
import type { CausalLM, ModelState } from '../models/types.ts';
import { Sampler, isGreedy, type SamplingOptions } from './sampling.ts';
import type { TextTokenizer } from './tokenizer.ts';

export interface GenerateOptions extends SamplingOptions {
  /** Most tokens to generate (default 64). */
  maxTokens?: number;
  /** Token ids that end generation (not included in the output); defaults to the tokenizer's EOS. */
  stopTokens?: number[];
  /** Strings that end generation; the text is cut before the first one (needs a tokenizer). */
  stop?: string[];
  signal?: AbortSignal;
  /** Called for every generated token, with the text decoded so far. */
  onToken?: (token: number, text: string) => void;
  /** An existing state to continue (e.g. a chat); a fresh one is made (and freed) otherwise. */
  state?: ModelState;
}

export type FinishReason = 'length' | 'stop' | 'eos';

export interface GenerateResult {
  tokens: number[];
  text: string;
  finishReason: FinishReason;
  promptTokens: number;
  /** Wall-clock milliseconds of the prefill and of the decode loop. */
  prefillMs: number;
  decodeMs: number;
}

export interface StreamEvent {
  token: number;
  text: string;
}

/**
 * CPU backends resolve `read` as a microtask, so a decode loop would never let timers or worker
 * messages (a Stop button) run. Yield a macrotask when this much time has passed since the last.
 */
const YIELD_EVERY_MS = 8;
const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SparrowError('ABORTED', 'generate: cancelled by the caller');
}

/** Pick the next token from a [1, vocab] logits tensor. */
async function nextToken(model: CausalLM, logits: Tensor, sampler: Sampler, greedy: boolean, context: number[], argmaxOut: Tensor): Promise<number> {
  if (greedy) {
    model.backend.argmax(argmaxOut, logits);
    return (await model.backend.read(argmaxOut))[0];
  }
  return sampler.sample((await model.backend.read(logits)) as Float32Array, context);
}

/** Find the earliest stop string in `text`; returns its index or -1. */
function findStop(text: string, stops: readonly string[]): number {
  let at = -1;
  for (const s of stops) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/**
 * Generate from `prompt` (token ids). Streams via `opts.onToken`; see `generateStream` for an
 * async iterator. Throws SparrowError('ABORTED') when `opts.signal` fires.
 */
export async function generate(model: CausalLM, prompt: readonly number[], opts: GenerateOptions = {}, tokenizer?: TextTokenizer): Promise<GenerateResult> {
  const maxTokens = opts.maxTokens ?? 64;
  if (!(Number.isInteger(maxTokens) && maxTokens >= 0)) throw new SparrowError('INVALID_ARGUMENT', `generate: maxTokens = ${maxTokens} must be an integer ≥ 0`);
  if (prompt.length === 0) throw new SparrowError('INVALID_ARGUMENT', 'generate: the prompt has no tokens (add a BOS token or some text)');
  if (opts.stop?.length && !tokenizer) throw new SparrowError('INVALID_ARGUMENT', 'generate: stop strings need a tokenizer');
  for (const t of prompt) {
    if (!Number.isInteger(t) || t < 0 || t >= model.vocabSize) throw new SparrowError('INDEX_OUT_OF_RANGE', `generate: prompt token ${t} is outside the vocabulary (${model.vocabSize})`, { token: t });
  }
  const sampler = new Sampler(opts);
  const greedy = isGreedy(opts);
  const stopTokens = new Set(opts.stopTokens ?? tokenizer?.endTokenIds ?? []);
  const b = model.backend;
  const state = opts.state ?? model.newState();
  const argmaxOut = b.tensor([1], 'i32');
  const context = [...prompt];
  const tokens: number[] = [];
  let text = '';
  let finishReason: FinishReason = 'length';
  const decodeText = () => (tokenizer ? tokenizer.decode(tokens) : '');
  try {
    checkAbort(opts.signal);
    const t0 = performance.now();
    const prefillLogits = model.prefill(prompt, state);
    let next: number;
    try {
      next = maxTokens > 0 ? await nextToken(model, prefillLogits, sampler, greedy, context, argmaxOut) : -1;
    } finally {
      b.free(prefillLogits);
    }
    const t1 = performance.now();
    let lastYield = t1;
    while (tokens.length < maxTokens) {
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await macrotask();
        lastYield = performance.now();
      }
      checkAbort(opts.signal);
      if (stopTokens.has(next)) {
        finishReason = 'eos';
        break;
      }
      tokens.push(next);
      context.push(next);
      text = decodeText();
      if (opts.stop?.length) {
        const at = findStop(text, opts.stop);
        if (at >= 0) {
          text = text.slice(0, at);
          finishReason = 'stop';
          opts.onToken?.(next, text);
          break;
        }
      }
      opts.onToken?.(next, text);
      if (tokens.length === maxTokens) break;
      const logits = model.step(next, state);
      next = await nextToken(model, logits, sampler, greedy, context, argmaxOut);
    }
    return { tokens, text, finishReason, promptTokens: prompt.length, prefillMs: t1 - t0, decodeMs: performance.now() - t1 };
  } finally {
    b.free(argmaxOut);
    if (!opts.state) state.free();
  }
}

/** The same loop as an async iterator of tokens (break out of the loop to stop early). */
export async function* generateStream(model: CausalLM, prompt: readonly number[], opts: GenerateOptions = {}, tokenizer?: TextTokenizer): AsyncGenerator<StreamEvent, GenerateResult> {
  const queue: StreamEvent[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  let failure: unknown;
  let result: GenerateResult | undefined;
  const inner = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, inner.signal]) : inner.signal;
  const run = generate(model, prompt, { ...opts, signal, onToken: (token, text) => {
    opts.onToken?.(token, text);
    queue.push({ token, text });
    wake?.();
  } }, tokenizer)
    .then((r) => (result = r))
    .catch((e) => (failure = e))
    .finally(() => {
      done = true;
      wake?.();
    });
  try {
    while (true) {
      if (queue.length) {
        yield queue.shift()!;
        continue;
      }
      if (done) break;
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
    await run;
    if (failure) throw failure;
    return result!;
  } finally {
    if (!done) {
      inner.abort();
      await run;
    }
  }
}
