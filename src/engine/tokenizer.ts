/**
 * Text ↔ token ids. Three sources, one interface:
 * - a Hugging Face tokenizer.json (+ tokenizer_config.json), run by @huggingface/tokenizers;
 * - the vocabulary embedded in a GGUF file (tokenizer.ggml.*), converted to a tokenizer.json
 *   equivalent (see gguf-tokenizer.ts) and run by the same library;
 * - a byte-level tokenizer for 256-token models (token id == UTF-8 byte), which is what the tiny
 *   fixture models and their GGUF '<0xNN>' vocabularies mean.
 */
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import { SparrowError } from '../errors.ts';

export interface TextTokenizer {
  readonly vocabSize: number;
  readonly bosTokenId?: number;
  readonly eosTokenId?: number;
  /**
   * Tokens that end a reply: EOS and the end-of-turn / end-of-text tokens the vocabulary has
   * (`<|im_end|>`, `<|eot_id|>`, `<end_of_turn>`, …), the set llama.cpp calls end-of-generation.
   * A chat model whose EOS is `<|endoftext|>` ends its turns with `<|im_end|>`.
   */
  readonly endTokenIds: readonly number[];
  /** Jinja chat template (tokenizer_config.json chat_template / GGUF tokenizer.chat_template), if any. */
  readonly chatTemplate?: string;
  /** Text → ids. `addSpecialTokens` adds what the tokenizer's post-processor adds (e.g. BOS). */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  /** Ids → text; special tokens are skipped unless asked for. */
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** The string form of one token (for logs, the UI), or undefined if out of range. */
  idToToken(id: number): string | undefined;
}

/** Token id == byte value; decoding is UTF-8 with replacement characters for broken sequences. */
export class ByteTokenizer implements TextTokenizer {
  readonly vocabSize = 256;
  readonly endTokenIds: readonly number[];
  constructor(
    readonly bosTokenId?: number,
    readonly eosTokenId?: number,
  ) {
    this.endTokenIds = eosTokenId === undefined ? [] : [eosTokenId];
  }
  encode(text: string): number[] {
    return [...new TextEncoder().encode(text)];
  }
  decode(ids: readonly number[]): string {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id > 255) throw new SparrowError('INDEX_OUT_OF_RANGE', `ByteTokenizer.decode: token id ${id} is not a byte (0..255)`, { id });
    }
    return new TextDecoder('utf-8', { fatal: false }).decode(Uint8Array.from(ids));
  }
  idToToken(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 && id < 256 ? `<0x${id.toString(16).toUpperCase().padStart(2, '0')}>` : undefined;
  }
}

export type TokenizerJson = Record<string, unknown>;

/** Token texts that end generation wherever a vocabulary has them (llama.cpp's list, llama-vocab.cpp). */
export const END_OF_TURN_TEXTS = ['<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|eom_id|>', '<EOT>', '_<EOT>', '<|end_of_text|>', '<end_of_utterance>'];

/** A tokenizer.json run by @huggingface/tokenizers. */
export class HfTokenizer implements TextTokenizer {
  private readonly impl: HfTokenizerImpl;
  readonly vocabSize: number;
  readonly bosTokenId?: number;
  readonly eosTokenId?: number;
  readonly endTokenIds: readonly number[];
  readonly chatTemplate?: string;

  /**
   * `config` is tokenizer_config.json's content; `endTokenIds` adds ids that end a reply beyond EOS and
   * the END_OF_TURN_TEXTS found in the vocabulary (a GGUF's eot / eom ids, config.json's eos list).
   */
  constructor(
    json: TokenizerJson,
    readonly config: Record<string, unknown> = {},
    endTokenIds: readonly number[] = [],
  ) {
    try {
      this.impl = new HfTokenizerImpl(json, config);
    } catch (e) {
      throw new SparrowError('FORMAT_INVALID', `tokenizer.json: ${(e as Error).message}`);
    }
    this.vocabSize = this.impl.get_vocab(true).size;
    this.bosTokenId = this.idOf(config.bos_token);
    this.eosTokenId = this.idOf(config.eos_token);
    const ends = new Set<number>(endTokenIds.filter((id) => Number.isInteger(id) && id >= 0 && id < this.vocabSize));
    if (this.eosTokenId !== undefined) ends.add(this.eosTokenId);
    for (const text of END_OF_TURN_TEXTS) {
      const id = this.impl.token_to_id(text);
      if (id !== undefined) ends.add(id);
    }
    this.endTokenIds = [...ends].sort((a, b) => a - b);
    if (typeof config.chat_template === 'string') this.chatTemplate = config.chat_template;
  }

  private idOf(tok: unknown): number | undefined {
    const s = typeof tok === 'string' ? tok : tok && typeof tok === 'object' && 'content' in tok ? String((tok as { content: unknown }).content) : undefined;
    return s === undefined ? undefined : this.impl.token_to_id(s);
  }

  /**
   * Replace the model step of encoding (the normalized text fragments between special tokens →
   * token strings of the vocabulary); splitting out special tokens, normalizing, ids, the
   * post-processor and decoding stay the library's (a piece listed twice maps to its last id, as in
   * llama.cpp). For algorithms the library does not have
   * (llama.cpp's SentencePiece merging, gguf-tokenizer.ts).
   */
  setModelEncoder(encode: (fragments: string[]) => string[]): void {
    const model = (this.impl as unknown as { model?: { encode?: unknown; fuse_unk: boolean } }).model;
    // a private field of @huggingface/tokenizers: fail loudly if a new version moves it
    if (typeof model?.encode !== 'function') throw new SparrowError('UNSUPPORTED', 'tokenizer: this @huggingface/tokenizers version has no model.encode to replace (SentencePiece GGUF vocabularies need it)');
    model.encode = encode;
    model.fuse_unk = false; // its output is taken as is
  }

  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    return this.impl.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids;
  }
  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    return this.impl.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? true });
  }
  idToToken(id: number): string | undefined {
    return this.impl.id_to_token(id);
  }
}
