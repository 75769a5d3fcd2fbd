/**
 * From model files to something a chat can talk to. Two kinds of model sit behind one
 * `ChatModel` surface:
 * - a CausalLM (Llama / Mamba / RWKV) opened from a .gguf file, or from config.json +
 *   model.safetensors (+ tokenizer.json, tokenizer_config.json), on a Backend;
 * - the byte-level micro text model (the app's built-in default), stepped by its fused WASM
 *   kernel (or the TS model where WASM is missing).
 * The decode loop here is the same as engine/generate.ts (prefill once, then one step per token,
 * argmax on the device when greedy) with one addition the worker needs: it yields a macrotask
 * every few milliseconds, so a Stop request (a separate message to the worker) is received and
 * aborts the loop within one token.
 */
import { SparrowError } from '../errors.ts';
import type { Backend } from '../backends/backend.ts';
import { GgufFile } from '../formats/gguf.ts';
import { ggufModelConfig } from '../formats/gguf-config.ts';
import { parseHfConfig, type ModelConfig } from '../formats/hf-config.ts';
import { SafetensorsFile } from '../formats/safetensors.ts';
import { blobSource, type ByteSource } from '../formats/source.ts';
import { GgufWeights, ggufMetadataRecord } from '../models/gguf-weights.ts';
import { PRUNE_METADATA_KEY, modelFromWeights } from '../models/load.ts';
import type { CausalLM, ModelState } from '../models/types.ts';
import { SafetensorsWeights, type WeightFile } from '../models/weights.ts';
import { loadMicro } from '../models/micro-weights.ts';
import { MicroWasm } from '../models/micro-wasm.ts';
import { MicroModel } from '../models/micro.ts';
import { paramCount } from '../models/micro-config.ts';
import type { MicroStepperLike } from '../models/micro-types.ts';
import { renderChat, type ChatMessage } from './chat-template.ts';
import { Sampler, checkSamplingOptions, isGreedy, type SamplingOptions } from './sampling.ts';
import { RwkvTokenizer, tokenizerFromGguf } from './gguf-tokenizer.ts';
import { ByteTokenizer, HfTokenizer, type TextTokenizer } from './tokenizer.ts';

export type ModelFormat = 'micro' | 'gguf' | 'safetensors';

export interface ChatModelInfo {
  name: string;
  family: string;
  format: ModelFormat;
  /** Where the math runs: 'webgpu' | 'wasm' | 'reference' for CausalLMs, 'micro-wasm' | 'micro-ts' for the micro model. */
  engine: string;
  vocabSize: number;
  numLayers: number;
  hiddenSize: number;
  /** True when prompts are rendered with the model's chat template; false = plain continuation. */
  chatTemplate: boolean;
  weightBytes: number;
  /** Most tokens a conversation can hold (prompt + reply); absent: no limit (a recurrent state). */
  contextLength?: number;
  /** Element type of the KV cache (attention models). */
  kvCache?: 'f32' | 'f16';
  /** Attention kind (attention models): 'sparse' is windowed + log-stride + landmark attention. */
  attention?: 'dense' | 'sparse';
  /** Quantized-weight decode with 8-bit activations (ChatModelOptions.int8Activations; WASM only). */
  int8Activations?: boolean;
}

/** How a loaded model holds its state (attention models; a recurrent model ignores both). */
export interface ChatModelOptions {
  /** KV cache capacity in tokens (default: the model's max_position_embeddings, at most 4096). */
  contextLength?: number;
  /** 'f16' halves the KV cache's memory at f16 rounding of keys and values (default 'f32'). */
  kvCache?: 'f32' | 'f16';
  /**
   * 'sparse': each token attends to a window of the last 128, log-stride tokens, block landmarks and
   * token 0 (src/backends/ops/attention.ts) — per-token cost that grows slowly with the context, an
   * approximation for a model trained with dense attention (equal to it while the context fits the
   * window). Default 'dense'.
   */
  attention?: 'dense' | 'sparse';
  /**
   * WASM: decode steps with GGML block weights (Q8_0, Q4_0, Q5_0, Q4_1, Q5_1, IQ4_NL, IQ4_XS, Q2_K…Q6_K)
   * quantize the activations to 8 bits (llama.cpp's Q8_0 / Q8_1 / Q8_K blocks) and take integer dot
   * products, as llama.cpp does — about 1.3–1.6× faster decode, at a shift of ~1e-2 in the
   * probabilities. Default off (exact f32 activations). F32 / F16 / BF16 weights and prefill are
   * unaffected; a WebGPU backend ignores it.
   */
  int8Activations?: boolean;
}

/** Throws INVALID_ARGUMENT for options a model could not be loaded with (callers check before unloading anything). */
export function checkModelOptions(o: ChatModelOptions): void {
  const c = o.contextLength;
  if (c !== undefined && !(Number.isInteger(c) && c >= 16 && c <= 1 << 20)) {
    throw new SparrowError('INVALID_ARGUMENT', `contextLength = ${c} must be an integer in [16, 1048576]`, { contextLength: c });
  }
  if (o.kvCache !== undefined && o.kvCache !== 'f32' && o.kvCache !== 'f16') throw new SparrowError('INVALID_ARGUMENT', `kvCache = ${String(o.kvCache)} must be 'f32' or 'f16'`, { kvCache: o.kvCache });
  if (o.attention !== undefined && o.attention !== 'dense' && o.attention !== 'sparse') throw new SparrowError('INVALID_ARGUMENT', `attention = ${String(o.attention)} must be 'dense' or 'sparse'`, { attention: o.attention });
  if (o.int8Activations !== undefined && typeof o.int8Activations !== 'boolean') throw new SparrowError('INVALID_ARGUMENT', `int8Activations = ${String(o.int8Activations)} must be a boolean`, { int8Activations: o.int8Activations });
}

export interface LoadProgress {
  phase: 'read' | 'upload' | 'store' | 'verify' | 'download';
  done: number;
  total: number;
}

export interface ChatGenerateOptions extends SamplingOptions {
  /** Most tokens to generate (default 128). */
  maxTokens?: number;
  /** Strings that end the reply (cut before the first match). */
  stop?: string[];
  /**
   * Continue from the previous reply's model state where the new prompt starts with the tokens it
   * consumed (default true): a chat's earlier turns are not run again. Off: every reply starts
   * from an empty state.
   */
  reuseContext?: boolean;
  /** The chat template's `enable_thinking` (Qwen3 / Qwen3.5: false skips the reasoning block); absent: the template's default. */
  enableThinking?: boolean;
}

export interface ChatGenerateResult {
  text: string;
  tokens: number;
  /** Tokens of the prompt as run (after trimming to the context). */
  promptTokens: number;
  /** Prompt tokens taken over from the previous reply's state instead of being run again. */
  reusedTokens: number;
  /**
   * Prompt tokens left out so that the prompt and the reply fit the model's context: the oldest
   * turns of a chat (system messages and the last user message stay), or the start of a plain
   * continuation. 0 when everything fit.
   */
  trimmedTokens: number;
  /** 'context': the model's context (KV cache) is full. */
  finishReason: 'length' | 'stop' | 'eos' | 'context';
  prefillMs: number;
  decodeMs: number;
  /** Decode tokens per second (generated tokens after the first / decode time). */
  tokensPerSec: number;
}

export interface MemoryReport {
  weightBytes: number;
  stateBytes: number;
}

export interface ChatModel {
  readonly info: ChatModelInfo;
  /**
   * Answer the conversation: the chat template renders `messages` when the model has one,
   * otherwise the last user message is continued as plain text. `onText` gets each new piece and the
   * number of tokens generated so far.
   */
  generate(messages: ChatMessage[], opts: ChatGenerateOptions, onText: (delta: string, tokens: number) => void, signal?: AbortSignal): Promise<ChatGenerateResult>;
  memory(): MemoryReport;
  dispose(): void;
}

export interface ModelFileInput {
  name: string;
  blob: Blob;
}

/** Let queued messages (e.g. Stop) in: a macrotask at most every YIELD_MS of busy decode. */
const YIELD_MS = 25;
function macrotask(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new SparrowError('ABORTED', 'generation stopped by the user');
}

function checkOptions(o: ChatGenerateOptions): number {
  checkSamplingOptions(o);
  const max = o.maxTokens ?? 128;
  if (!(Number.isInteger(max) && max >= 1 && max <= 1 << 16)) throw new SparrowError('INVALID_ARGUMENT', `maxTokens = ${max} must be an integer in [1, 65536]`, { maxTokens: max });
  // a widget host's message reaches here as is: "false" would silently leave thinking on
  if (o.enableThinking !== undefined && typeof o.enableThinking !== 'boolean') throw new SparrowError('INVALID_ARGUMENT', `enableThinking = ${JSON.stringify(o.enableThinking)} must be true or false`);
  return max;
}

function lastUserText(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return messages[i].content;
  throw new SparrowError('INVALID_ARGUMENT', 'the conversation has no user message to answer');
}

function findStop(text: string, stops: readonly string[] | undefined): number {
  let at = -1;
  for (const s of stops ?? []) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/** Text streaming over a tokenizer: emits only the settled part (a trailing U+FFFD may be a split UTF-8 char). */
class TextStream {
  private ids: number[] = [];
  private emitted = '';
  /**
   * Byte vocabularies (ByteTokenizer, RWKV's: a token is a byte string, decoding concatenates them)
   * decode piecewise: ids before `base` are complete UTF-8 and already
   * in `baseText`, so each token costs O(1) instead of re-decoding the whole reply. (BPE /
   * SentencePiece decoders treat the first token specially, so they re-decode everything.)
   */
  private base = 0;
  private baseText = '';
  private readonly piecewise: boolean;
  constructor(
    private readonly tok: TextTokenizer,
    private readonly stops: readonly string[] | undefined,
    private readonly onText: (d: string, tokens: number) => void,
  ) {
    this.piecewise = tok instanceof ByteTokenizer || tok instanceof RwkvTokenizer;
  }
  private decodeAll(): string {
    if (!this.piecewise) return this.tok.decode(this.ids);
    const tail = this.tok.decode(this.ids.slice(this.base));
    if (!tail.endsWith('\uFFFD')) {
      this.baseText += tail;
      this.base = this.ids.length;
      return this.baseText;
    }
    return this.baseText + tail;
  }
  /** Returns true when a stop string ended the text. */
  push(id: number): boolean {
    this.ids.push(id);
    let text = this.decodeAll();
    const at = findStop(text, this.stops);
    if (at >= 0) text = text.slice(0, at);
    else if (text.endsWith('\uFFFD')) return false;
    else {
      // Hold back a possible prefix of a stop string so it never flashes on screen.
      const hold = Math.max(0, ...(this.stops ?? []).map((s) => overlap(text, s)));
      text = text.slice(0, text.length - hold);
    }
    if (text.length > this.emitted.length && text.startsWith(this.emitted)) {
      this.onText(text.slice(this.emitted.length), this.ids.length);
      this.emitted = text;
    }
    return at >= 0;
  }
  get text(): string {
    return this.emitted;
  }
  flush(): void {
    const text = this.decodeAll();
    if (findStop(text, this.stops) < 0 && text.length > this.emitted.length && text.startsWith(this.emitted)) {
      this.onText(text.slice(this.emitted.length), this.ids.length);
      this.emitted = text;
    }
  }
}

/** Longest suffix of `text` that is a proper prefix of `stop`. */
function overlap(text: string, stop: string): number {
  for (let n = Math.min(stop.length - 1, text.length); n > 0; n--) if (text.endsWith(stop.slice(0, n))) return n;
  return 0;
}

/** Length of the common prefix of two token lists. */
function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * How many snapshots a state that cannot rewind keeps (each the size of its recurrent state, e.g.
 * 18 MB for Mamba-2-130M); the oldest go first. Each reply adds up to two: where its new prompt
 * tokens began (the end of the previous reply: editing the last message resumes there) and the
 * prompt's end (Regenerate resumes there).
 */
const MAX_SNAPSHOTS = 4;

/** Free every snapshot in `snaps`. */
function freeAll(snaps: readonly ModelState[]): void {
  for (const s of snaps) s.free();
}

/** A CausalLM with its tokenizer. */
class LmChatModel implements ChatModel {
  private stateBytes = 0;
  /**
   * The state after the previous reply and exactly the tokens it consumed (prompt + every token
   * stepped). The next reply continues from the longest prefix its prompt shares with them.
   * `snapshots` (models that cannot rewind): copies of the recurrent state at earlier positions of
   * `fed`, oldest first.
   */
  private kept: { state: ModelState; fed: number[]; snapshots: ModelState[] } | null = null;
  constructor(
    readonly info: ChatModelInfo,
    private readonly model: CausalLM,
    private readonly tok: TextTokenizer,
  ) {}

  private prompt(messages: ChatMessage[], enableThinking?: boolean): number[] {
    const t = this.tok;
    if (t.chatTemplate) {
      const tokStr = (id: number | undefined) => (id === undefined ? undefined : t.idToToken(id));
      const text = renderChat(t.chatTemplate, messages, { bosToken: tokStr(t.bosTokenId), eosToken: tokStr(t.eosTokenId), enableThinking });
      return t.encode(text, { addSpecialTokens: false });
    }
    const ids = t.encode(lastUserText(messages), { addSpecialTokens: true });
    // Plain continuation: start from BOS when the tokenizer did not add it (not for RWKV World
    // vocabularies: llama.cpp never adds BOS there, whatever the file declares)
    if (t.bosTokenId !== undefined && ids[0] !== t.bosTokenId && !(t instanceof RwkvTokenizer)) ids.unshift(t.bosTokenId);
    return ids;
  }

  /**
   * The prompt, trimmed so that it leaves room in the model's context for the reply (maxTokens,
   * at most half the context): a chat drops its oldest turns (system messages and the last user
   * message stay); a plain continuation keeps BOS and the end of the text. Returns the tokens left out.
   */
  private fitPrompt(messages: ChatMessage[], maxTokens: number, enableThinking?: boolean): { prompt: number[]; trimmed: number } {
    let prompt = this.prompt(messages, enableThinking);
    const ctx = this.model.contextLength;
    if (ctx === undefined) return { prompt, trimmed: 0 };
    const full = prompt.length;
    const room = ctx - Math.min(maxTokens, Math.floor(ctx / 2));
    if (this.tok.chatTemplate) {
      if (prompt.length > room) prompt = this.dropOldestTurns(messages, room, enableThinking);
    } else if (prompt.length > room) {
      const bos = this.tok.bosTokenId !== undefined && prompt[0] === this.tok.bosTokenId ? [prompt[0]] : [];
      prompt = [...bos, ...prompt.slice(prompt.length - (room - bos.length))];
    }
    if (prompt.length >= ctx) {
      throw new SparrowError('SIZE_LIMIT', `the prompt is ${prompt.length} tokens and the model's context holds ${ctx}: shorten the message`, { promptTokens: prompt.length, contextLength: ctx });
    }
    return { prompt, trimmed: full - prompt.length };
  }

  /**
   * The prompt without the fewest oldest turns that brings it within `room` tokens (a turn: a user
   * message and the replies up to the next one; leading system messages and the last user message
   * stay), or with only the last user message if even that is too long. The length only shrinks as
   * turns go, so the cut is found by bisection: a long chat costs a few renderings, not one per turn.
   */
  private dropOldestTurns(messages: ChatMessage[], room: number, enableThinking?: boolean): number[] {
    const first = messages.findIndex((m) => m.role !== 'system');
    let lastUser = messages.length - 1;
    while (lastUser >= 0 && messages[lastUser].role !== 'user') lastUser--;
    if (first < 0 || first >= lastUser) return this.prompt(messages, enableThinking);
    // cut points: keep messages[0, first) + messages[cut, …); cuts[0] drops nothing
    const cuts = [first];
    for (let i = first + 1; i <= lastUser; i++) if (messages[i].role === 'user') cuts.push(i);
    const at = (j: number) => this.prompt([...messages.slice(0, first), ...messages.slice(cuts[j])], enableThinking);
    let lo = 1, hi = cuts.length - 1; // cuts[0] is known too long
    let best = at(hi);
    if (best.length > room) return best;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const p = at(mid);
      if (p.length <= room) {
        hi = mid;
        best = p;
      } else lo = mid + 1;
    }
    return best;
  }

  /**
   * A state holding the longest usable prefix of `prompt` (from the previous reply's state, or
   * empty), that prefix's length, and the kept snapshots still on the new prompt's path (the caller
   * owns them; the others are freed).
   */
  private startState(prompt: number[], reuse: boolean): { state: ModelState; reused: number; snapshots: ModelState[] } {
    const m = this.model;
    const k = this.kept;
    this.kept = null;
    let snapshots: ModelState[] = [];
    try {
      if (k && reuse) {
        // at least one prompt token must run: its logits pick the first reply token
        const want = Math.min(commonPrefix(k.fed, prompt), prompt.length - 1);
        // snapshots up to `want` hold a prefix of the new prompt; later ones lie on the old path
        snapshots = k.snapshots.filter((s) => s.position <= want);
        freeAll(k.snapshots.filter((s) => s.position > want));
        // a state that cannot rewind that far goes back to the latest such snapshot (Regenerate: the
        // last prompt's end; an edited last message: the previous reply's end)
        const snap = want < k.fed.length && m.restore !== undefined ? snapshots[snapshots.length - 1] : undefined;
        if (m.rewind) {
          // LFM2: its convolution windows go back to the snapshot, then the KV caches rewind
          if (snap) m.restore!(k.state, snap);
          return { state: k.state, reused: m.rewind(k.state, want), snapshots };
        }
        if (want === k.fed.length) return { state: k.state, reused: want, snapshots }; // a recurrent state only goes forward
        if (snap) return { state: k.state, reused: m.restore!(k.state, snap), snapshots };
      }
    } catch (e) {
      k?.state.free(); // a failed rewind / restore leaves nothing to keep
      freeAll(snapshots);
      throw e;
    }
    k?.state.free();
    freeAll(k && !reuse ? k.snapshots : snapshots);
    return { state: m.newState(), reused: 0, snapshots: [] };
  }

  async generate(messages: ChatMessage[], opts: ChatGenerateOptions, onText: (d: string, tokens: number) => void, signal?: AbortSignal): Promise<ChatGenerateResult> {
    const maxTokens = checkOptions(opts);
    const { prompt, trimmed } = this.fitPrompt(messages, maxTokens, opts.enableThinking);
    if (prompt.length === 0) throw new SparrowError('INVALID_ARGUMENT', 'the prompt encodes to no tokens; type some text');
    for (const id of prompt) if (!(id >= 0 && id < this.model.vocabSize)) throw new SparrowError('INDEX_OUT_OF_RANGE', `prompt token ${id} is outside the model's vocabulary (${this.model.vocabSize})`, { token: id });
    const m = this.model;
    const b = m.backend;
    const sampler = new Sampler(opts);
    const greedy = isGreedy(opts);
    const ends = new Set(this.tok.endTokenIds);
    const ctx = m.contextLength ?? Infinity;
    const stream = new TextStream(this.tok, opts.stop, onText);
    const context = [...prompt];
    const argmaxOut = b.tensor([1], 'i32');
    let start: ReturnType<LmChatModel['startState']>;
    try {
      start = this.startState(prompt, opts.reuseContext ?? true);
    } catch (e) {
      b.free(argmaxOut);
      throw e;
    }
    const { state, reused, snapshots } = start;
    const fed = prompt.slice(); // what the state holds once the prompt has run (kept only from then on)
    let keep = false;
    const pick = async (logits: Parameters<Backend['read']>[0]) => {
      if (greedy) {
        b.argmax(argmaxOut, logits);
        return (await b.read(argmaxOut))[0];
      }
      return sampler.sample((await b.read(logits)) as Float32Array, context);
    };
    let n = 0;
    let finishReason: ChatGenerateResult['finishReason'] = 'length';
    try {
      checkAbort(signal);
      const t0 = performance.now();
      // Models whose state cannot rewind keep snapshots (CausalLM.snapshot): where this prompt's new
      // tokens begin (an edited last message resumes there), and, running all but the last prompt
      // token first, at the prompt's end (Regenerate resumes there) instead of the first token.
      let from = reused;
      if (m.snapshots && m.snapshot) {
        const take = () => {
          const s = m.snapshot!(state);
          if (s) snapshots.push(s);
        };
        if (reused > 0 && (snapshots.length === 0 || snapshots[snapshots.length - 1].position < reused)) take();
        if (prompt.length - reused >= 2) {
          b.free(m.prefill(prompt.slice(reused, -1), state));
          from = prompt.length - 1;
        }
        if (snapshots.length === 0 || snapshots[snapshots.length - 1].position < state.position) take();
        freeAll(snapshots.splice(0, Math.max(0, snapshots.length - MAX_SNAPSHOTS)));
      }
      const pre = m.prefill(prompt.slice(from), state);
      let next: number;
      try {
        next = await pick(pre);
      } finally {
        b.free(pre);
      }
      const t1 = performance.now();
      let lastYield = t1;
      keep = true; // from here the state holds exactly `fed`, also when the user stops the reply
      while (n < maxTokens) {
        if (performance.now() - lastYield > YIELD_MS) {
          await macrotask();
          lastYield = performance.now();
        }
        checkAbort(signal);
        if (ends.has(next)) {
          finishReason = 'eos';
          break;
        }
        n++;
        context.push(next);
        if (stream.push(next)) {
          finishReason = 'stop';
          break;
        }
        if (n === maxTokens) break;
        if (state.position >= ctx) {
          finishReason = 'context';
          break;
        }
        keep = false; // a step that throws leaves the state between tokens
        const logits = m.step(next, state);
        fed.push(next);
        keep = true;
        next = await pick(logits);
      }
      if (finishReason !== 'stop') stream.flush();
      this.stateBytes = state.bytes() + snapshots.reduce((n, s) => n + s.bytes(), 0); // the snapshots kept count too
      const decodeMs = performance.now() - t1;
      return { text: stream.text, tokens: n, promptTokens: prompt.length, reusedTokens: reused, trimmedTokens: trimmed, finishReason, prefillMs: t1 - t0, decodeMs, tokensPerSec: n > 1 ? ((n - 1) * 1000) / decodeMs : 0 };
    } catch (e) {
      // Stop keeps what was computed; any other failure (e.g. a lost device) may have left the state unusable
      if (!(e instanceof SparrowError && e.code === 'ABORTED')) keep = false;
      throw e;
    } finally {
      b.free(argmaxOut);
      if (keep) {
        // a reply that ran at the same time kept its own state: the newer one wins
        this.kept?.state.free();
        freeAll(this.kept?.snapshots ?? []);
        this.kept = { state, fed, snapshots };
      } else {
        state.free();
        freeAll(snapshots);
      }
    }
  }

  memory(): MemoryReport {
    if (!this.stateBytes) {
      // Before the first reply: the size of an empty state (recurrent state; a KV cache grows later).
      const s = this.model.newState();
      this.stateBytes = s.bytes();
      s.free();
    }
    return { weightBytes: this.model.weightBytes(), stateBytes: this.stateBytes };
  }

  dispose(): void {
    this.kept?.state.free();
    freeAll(this.kept?.snapshots ?? []);
    this.kept = null;
    this.model.dispose();
  }
}

/** The byte-level micro model: token id == UTF-8 byte; host-side logits. */
class MicroChatModel implements ChatModel {
  private readonly tok = new ByteTokenizer();
  constructor(
    readonly info: ChatModelInfo,
    private readonly model: MicroStepperLike,
    private readonly stateBytesEstimate: number,
  ) {}

  async generate(messages: ChatMessage[], opts: ChatGenerateOptions, onText: (d: string, tokens: number) => void, signal?: AbortSignal): Promise<ChatGenerateResult> {
    const maxTokens = checkOptions(opts);
    const prompt = this.tok.encode(lastUserText(messages) || '\n');
    if (prompt.length === 0) prompt.push(10);
    const sampler = new Sampler(opts);
    const stream = new TextStream(this.tok, opts.stop, onText);
    const context = [...prompt];
    const m = this.model;
    m.reset();
    checkAbort(signal);
    const t0 = performance.now();
    let logits: Float32Array = new Float32Array(0);
    for (const t of prompt) logits = m.step(t);
    let next = sampler.sample(logits, context);
    const t1 = performance.now();
    let lastYield = t1;
    let n = 0;
    let finishReason: ChatGenerateResult['finishReason'] = 'length';
    while (n < maxTokens) {
      if (performance.now() - lastYield > YIELD_MS) {
        await macrotask();
        lastYield = performance.now();
      }
      checkAbort(signal);
      n++;
      context.push(next);
      if (stream.push(next)) {
        finishReason = 'stop';
        break;
      }
      if (n === maxTokens) break;
      logits = m.step(next);
      next = sampler.sample(logits, context);
    }
    if (finishReason !== 'stop') stream.flush();
    const decodeMs = performance.now() - t1;
    return { text: stream.text, tokens: n, promptTokens: prompt.length, reusedTokens: 0, trimmedTokens: 0, finishReason, prefillMs: t1 - t0, decodeMs, tokensPerSec: n > 1 ? ((n - 1) * 1000) / decodeMs : 0 };
  }

  memory(): MemoryReport {
    return { weightBytes: this.info.weightBytes, stateBytes: this.stateBytesEstimate };
  }

  dispose(): void {
    /* the micro model's heap goes with its WASM instance */
  }
}

/** Open the built-in micro text model from its safetensors bytes. */
export async function openMicroText(bytes: Uint8Array, name: string): Promise<ChatModel> {
  const { config, weights } = loadMicro(bytes, name);
  if (config.vocab !== 256) throw new SparrowError('UNSUPPORTED', `${name}: the micro text model must be byte-level (vocab 256), got ${config.vocab}`);
  let model: MicroStepperLike;
  let engine = 'micro-wasm';
  try {
    model = await MicroWasm.create(config, weights);
  } catch {
    model = new MicroModel(config, weights);
    engine = 'micro-ts';
  }
  model.adapt = false; // plain continuation: no test-time learning between chat turns
  const params = paramCount(config);
  const dh = config.dim / config.heads;
  // KV ring (window × dim × 2) plus one dh×dh memory per head, per layer, f32.
  const stateBytes = config.layers * (config.window * config.dim * 2 + config.heads * dh * dh) * 4;
  return new MicroChatModel(
    { name, family: 'micro', format: 'micro', engine, vocabSize: config.vocab, numLayers: config.layers, hiddenSize: config.dim, chatTemplate: false, weightBytes: params * 4 },
    model,
    stateBytes,
  );
}

/** A Blob source that reports bytes read. */
function countingSource(blob: Blob, name: string, onRead: (n: number) => void): ByteSource {
  const src = blobSource(blob, name);
  return { name, size: src.size, read: async (b, e) => {
    const r = await src.read(b, e);
    onRead(e - b);
    return r;
  } };
}

/**
 * Counts tensor uploads: progress in tensors, not bytes (weights upload one tensor at a time).
 * The total is the file's tensor count; a model may upload fewer (tied or unused tensors), so
 * uploadPrepared reports a final done == total when it finishes.
 */
function countingWeights(w: WeightFile, onUpload: (done: number, total: number) => void): WeightFile & { uploaded(): number } {
  const total = w.names().length;
  let done = 0;
  return new Proxy(w as WeightFile & { uploaded(): number }, {
    get(target, prop, recv) {
      if (prop === 'uploaded') return () => done;
      if (prop === 'upload') {
        return async (name: string, backend: Backend) => {
          const t = await target.upload(name, backend);
          onUpload(++done, total);
          return t;
        };
      }
      const v = Reflect.get(target, prop, recv);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

async function readJson(f: ModelFileInput): Promise<Record<string, unknown>> {
  try {
    const v: unknown = JSON.parse(await f.blob.text());
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new SparrowError('FORMAT_INVALID', `${f.name}: ${(e as Error).message}`, { file: f.name });
  }
}

export interface FileSet {
  format: 'gguf' | 'safetensors';
  /** A display name derived from the files. */
  name: string;
}

/** Decide what a set of picked files is, or say clearly what is missing. */
export function classifyFiles(files: ModelFileInput[]): FileSet {
  const names = files.map((f) => f.name);
  const gguf = files.filter((f) => f.name.toLowerCase().endsWith('.gguf'));
  if (gguf.length === 1 && files.length === 1) return { format: 'gguf', name: gguf[0].name.replace(/\.gguf$/i, '') };
  if (gguf.length > 0) throw new SparrowError('INVALID_ARGUMENT', `pick one .gguf file on its own (got ${names.join(', ')})`, { files: names });
  const st = files.filter((f) => f.name.toLowerCase().endsWith('.safetensors'));
  const cfg = files.find((f) => f.name === 'config.json');
  if (st.length === 1 && cfg) return { format: 'safetensors', name: st[0].name };
  throw new SparrowError(
    'INVALID_ARGUMENT',
    `these files are not a model: pick one .gguf file, or config.json + one .safetensors file (+ tokenizer.json, tokenizer_config.json) together (got ${names.join(', ') || 'nothing'})`,
    { files: names },
  );
}

/** Model files parsed (headers, config, tokenizer) but not uploaded: cheap, and where bad files fail. */
export interface PreparedModel {
  set: FileSet;
  config: ModelConfig;
  weights: WeightFile;
  tok: TextTokenizer;
  sparse: boolean;
}

/**
 * Parse the headers of model files (progress: bytes read). Truncated or corrupt files fail here
 * with FORMAT_INVALID / SIZE_LIMIT, before any backend memory is touched — so a caller can keep
 * its current model until the new one is known to be good.
 */
export async function prepareModelFiles(files: ModelFileInput[], onProgress?: (p: LoadProgress) => void): Promise<PreparedModel> {
  const set = classifyFiles(files);
  const total = files.reduce((s, f) => s + f.blob.size, 0);
  let read = 0;
  const onRead = (n: number) => {
    read += n;
    onProgress?.({ phase: 'read', done: Math.min(read, total), total });
  };
  if (set.format === 'gguf') {
    const f = files[0];
    const g = await GgufFile.open(countingSource(f.blob, f.name, onRead), f.name);
    return { set, config: ggufModelConfig(g).config, weights: new GgufWeights(g), tok: tokenizerFromGguf(ggufMetadataRecord(g)), sparse: false };
  }
  const cfgFile = files.find((f) => f.name === 'config.json')!;
  const stFile = files.find((f) => f.name.toLowerCase().endsWith('.safetensors'))!;
  const config = parseHfConfig(await readJson(cfgFile), cfgFile.name);
  const st = await SafetensorsFile.open(countingSource(stFile.blob, stFile.name, onRead), stFile.name);
  const tj = files.find((f) => f.name === 'tokenizer.json');
  const tc = files.find((f) => f.name === 'tokenizer_config.json');
  let tok: TextTokenizer;
  // config.json's eos_token_id may list several (Llama 3 Instruct: end of text, of message, of turn)
  if (tj) tok = new HfTokenizer(await readJson(tj), tc ? await readJson(tc) : {}, config.eosTokenIds);
  else if (config.vocabSize === 256) tok = new ByteTokenizer(config.bosTokenId ?? undefined, config.eosTokenIds[0]);
  else throw new SparrowError('INVALID_ARGUMENT', `${stFile.name}: vocabulary of ${config.vocabSize} tokens needs tokenizer.json picked with it`, { vocabSize: config.vocabSize });
  return { set, config, weights: new SafetensorsWeights(st), tok, sparse: st.metadata[PRUNE_METADATA_KEY] !== undefined };
}

/** Upload a prepared model's tensors to `backend` (progress: tensors uploaded). */
export async function uploadPrepared(backend: Backend, backendName: string, p: PreparedModel, onProgress?: (p: LoadProgress) => void, displayName?: string, opts: ChatModelOptions = {}): Promise<ChatModel> {
  checkModelOptions(opts);
  const onUpload = (done: number, of: number) => onProgress?.({ phase: 'upload', done, total: of });
  const counted = countingWeights(p.weights, onUpload);
  // the WASM backend's switch (the chat API gives each loaded model its own backend)
  const int8 = opts.int8Activations === true && 'int8Activations' in backend;
  if (int8) (backend as { int8Activations: boolean }).int8Activations = true;
  const model = await modelFromWeights(backend, p.config, counted, { sparseLinears: p.sparse, contextLength: opts.contextLength, kvDtype: opts.kvCache, attention: opts.attention });
  onUpload(counted.uploaded(), counted.uploaded());
  return new LmChatModel(
    {
      name: displayName ?? p.set.name,
      // what the user loaded: qwen2 / qwen3 run on the Llama model but are named as themselves
      family: p.config.family === 'llama' ? p.config.arch : model.family,
      format: p.set.format,
      engine: backendName,
      vocabSize: model.vocabSize,
      numLayers: model.numLayers,
      hiddenSize: model.hiddenSize,
      chatTemplate: Boolean(p.tok.chatTemplate),
      weightBytes: model.weightBytes(),
      ...(model.contextLength !== undefined ? { contextLength: model.contextLength, kvCache: opts.kvCache ?? 'f32', attention: opts.attention ?? 'dense' } : {}),
      ...(int8 ? { int8Activations: true } : {}),
    },
    model,
    p.tok,
  );
}

/** prepareModelFiles + uploadPrepared in one call. */
export async function openModelFiles(backend: Backend, backendName: string, files: ModelFileInput[], onProgress?: (p: LoadProgress) => void, displayName?: string, opts: ChatModelOptions = {}): Promise<ChatModel> {
  return uploadPrepared(backend, backendName, await prepareModelFiles(files, onProgress), onProgress, displayName, opts);
}
