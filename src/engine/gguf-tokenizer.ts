/**
 * Build a tokenizer from the vocabulary a GGUF file embeds (tokenizer.ggml.* metadata), by writing
 * the tokenizer.json a Hugging Face conversion would have and handing it to HfTokenizer:
 * - 'gpt2' (byte-level BPE: SmolLM2, Qwen, GPT-2…): BPE model with the file's merges, ByteLevel
 *   pre-tokenizer and decoder.
 * - 'llama' (SentencePiece): llama.cpp's SPM tokenizer (spmEncode: adjacent pieces merged by the
 *   score of the piece they make, highest first, bytes for characters outside the vocabulary) with the
 *   '▁' space convention; the tokenizer.json only carries the vocabulary, special tokens and decoder.
 *   A vocabulary made only of the 256 '<0xNN>' byte tokens (token id == byte) is the byte tokenizer,
 *   which is what the fixture GGUF files carry.
 */
import { SparrowError } from '../errors.ts';
import { ByteTokenizer, HfTokenizer, type TextTokenizer, type TokenizerJson } from './tokenizer.ts';

/** GGUF token types (llama.cpp llama_token_type). */
const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export interface GgufTokenizerMeta {
  model: string;
  /** tokenizer.ggml.pre: which pre-tokenizer a 'gpt2' vocabulary was trained with. */
  pre?: string;
  tokens: string[];
  scores?: number[];
  tokenTypes?: number[];
  merges?: string[];
  bosTokenId?: number;
  eosTokenId?: number;
  unknownTokenId?: number;
  addBosToken?: boolean;
  /**
   * tokenizer.ggml.add_space_prefix ('llama' vocabularies): prepend '▁' to the text, as SentencePiece
   * does by default (absent: true, llama.cpp's default). Gemma's converter writes false.
   */
  addSpacePrefix?: boolean;
  chatTemplate?: string;
}

/** Pick the tokenizer.ggml.* keys out of a GGUF metadata record. */
export function ggufTokenizerMeta(kv: Record<string, unknown>): GgufTokenizerMeta {
  const model = kv['tokenizer.ggml.model'];
  const tokens = kv['tokenizer.ggml.tokens'];
  if (typeof model !== 'string' || !Array.isArray(tokens)) {
    throw new SparrowError('TENSOR_MISSING', 'gguf: no embedded tokenizer (tokenizer.ggml.model / tokenizer.ggml.tokens missing)');
  }
  const num = (k: string) => (kv[k] === undefined ? undefined : Number(kv[k]));
  const arr = (k: string) => (Array.isArray(kv[k]) ? (kv[k] as unknown[]).map(Number) : undefined);
  return {
    model,
    pre: typeof kv['tokenizer.ggml.pre'] === 'string' ? (kv['tokenizer.ggml.pre'] as string) : undefined,
    tokens: tokens.map(String),
    scores: arr('tokenizer.ggml.scores'),
    tokenTypes: arr('tokenizer.ggml.token_type'),
    merges: Array.isArray(kv['tokenizer.ggml.merges']) ? (kv['tokenizer.ggml.merges'] as unknown[]).map(String) : undefined,
    bosTokenId: num('tokenizer.ggml.bos_token_id'),
    eosTokenId: num('tokenizer.ggml.eos_token_id'),
    unknownTokenId: num('tokenizer.ggml.unknown_token_id'),
    addBosToken: kv['tokenizer.ggml.add_bos_token'] === undefined ? undefined : Boolean(kv['tokenizer.ggml.add_bos_token']),
    addSpacePrefix: kv['tokenizer.ggml.add_space_prefix'] === undefined ? undefined : Boolean(kv['tokenizer.ggml.add_space_prefix']),
    chatTemplate: typeof kv['tokenizer.chat_template'] === 'string' ? (kv['tokenizer.chat_template'] as string) : undefined,
  };
}

function isPureByteVocab(m: GgufTokenizerMeta): boolean {
  return m.tokens.length === 256 && m.tokens.every((t, i) => t === `<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`);
}

function addedTokens(m: GgufTokenizerMeta): TokenizerJson[] {
  const out: TokenizerJson[] = [];
  m.tokens.forEach((content, id) => {
    const type = m.tokenTypes?.[id];
    if (type === TOKEN_TYPE.CONTROL || type === TOKEN_TYPE.USER_DEFINED) {
      out.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: type === TOKEN_TYPE.CONTROL });
    }
  });
  return out;
}

/** tokenizer.ggml.add_bos_token → a post-processor that prepends BOS (what llama.cpp's tokenize does). */
function bosPostProcessor(m: GgufTokenizerMeta): TokenizerJson | null {
  if (!m.addBosToken || m.bosTokenId === undefined || m.tokens[m.bosTokenId] === undefined) return null;
  const bos = m.tokens[m.bosTokenId];
  return {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { [bos]: { id: bos, ids: [m.bosTokenId], tokens: [bos] } },
  };
}

// The split regexes of the Hugging Face tokenizer.json files these vocabularies come from (the
// tokenizers library rewrites their Oniguruma (?i:…) to JavaScript); llama.cpp holds the same ones.
const QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/**
 * llama.cpp's 'default' BPE split (llm_tokenizer_bpe, also what it uses for a file without
 * tokenizer.ggml.pre): four regexes, each splitting the pieces of the one before, matches and the text
 * between kept as pieces (Split, Isolated). Its \p{P} over ASCII is !"#%&'()*,-./:;?@[\]_{} (the
 * k_ucat_map of unicode.cpp), as JavaScript's.
 */
const DEFAULT_REGEXES = ['[\\p{P}\\$\\+<=>\\^~\\|]+', "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)", '\\p{N}+', '[0-9][0-9][0-9]'];
const byteLevel = (useRegex: boolean): TokenizerJson => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex });
const split = (regex: string): TokenizerJson => ({ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false });

/**
 * tokenizer.ggml.pre → the pre-tokenizer of the original tokenizer.json, by llama.cpp's grouping of
 * the names (llama-vocab.cpp). A byte-level BPE vocabulary split the wrong way still encodes, but to
 * other tokens than the model was trained on (e.g. "2024" as one piece instead of four digits), so an
 * unknown name is refused rather than guessed.
 */
const PRE_TOKENIZERS: Record<string, { pre: TokenizerJson; ignoreMerges?: boolean; addBos?: boolean }> = {};
PRE_TOKENIZERS.default = { pre: { type: 'Sequence', pretokenizers: [...DEFAULT_REGEXES.map(split), byteLevel(false)] } };
for (const name of ['gpt-2', 'gpt2', 'phi-2', 'mpt', 'olmo', 'jais', 'exaone4']) PRE_TOKENIZERS[name] = { pre: byteLevel(true) };
for (const name of ['smollm', 'starcoder', 'refact', 'command-r', 'codeshell', 'exaone', 'minerva-7b']) {
  PRE_TOKENIZERS[name] = { pre: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(true)] } };
}
for (const name of ['qwen2', 'deepseek-r1-qwen', 'stablelm2', 'megrez']) PRE_TOKENIZERS[name] = { pre: { type: 'Sequence', pretokenizers: [split(QWEN2_REGEX), byteLevel(false)] } };
for (const name of ['llama3', 'llama-v3', 'llama-bpe', 'falcon3', 'dbrx', 'smaug-bpe', 'pixtral']) {
  // llama.cpp adds BOS for these unless tokenizer.ggml.add_bos_token says otherwise
  PRE_TOKENIZERS[name] = { pre: { type: 'Sequence', pretokenizers: [split(LLAMA3_REGEX), byteLevel(false)] }, ignoreMerges: true, addBos: true };
}
/** The tokenizer.ggml.pre names this module understands. */
export const GGUF_PRE_TOKENIZERS = Object.keys(PRE_TOKENIZERS);

/** The tokenizer.json equivalent of a GGUF vocabulary (exported for inspection and tests). */
export function ggufTokenizerJson(m: GgufTokenizerMeta): TokenizerJson {
  if (m.model === 'gpt2') {
    if (!m.merges) throw new SparrowError('FORMAT_INVALID', "gguf: tokenizer.ggml.model 'gpt2' needs tokenizer.ggml.merges");
    // no tokenizer.ggml.pre: llama.cpp's 'default' (it warns "missing pre-tokenizer type, using: 'default'")
    const pre = PRE_TOKENIZERS[m.pre ?? 'default'];
    if (!pre) {
      throw new SparrowError('UNSUPPORTED', `gguf: pre-tokenizer '${m.pre}' (tokenizer.ggml.pre) is not supported; known: ${GGUF_PRE_TOKENIZERS.join(', ')}`, { pre: m.pre });
    }
    const vocab: Record<string, number> = {};
    m.tokens.forEach((t, i) => (vocab[t] = i));
    return {
      version: '1.0',
      added_tokens: addedTokens(m),
      normalizer: null,
      pre_tokenizer: pre.pre,
      post_processor: bosPostProcessor({ ...m, addBosToken: m.addBosToken ?? pre.addBos }),
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false,
        ignore_merges: pre.ignoreMerges ?? false, vocab, merges: m.merges,
      },
    };
  }
  if (m.model === 'llama') {
    const scores = m.scores ?? m.tokens.map(() => 0);
    // the '▁' SentencePiece prepends (and decoding strips again), unless the file says not to (Gemma)
    const prefix = m.addSpacePrefix !== false;
    const replace = { type: 'Replace', pattern: { String: ' ' }, content: '▁' };
    return {
      version: '1.0',
      added_tokens: addedTokens(m),
      normalizer: { type: 'Sequence', normalizers: prefix ? [{ type: 'Prepend', prepend: '▁' }, replace] : [replace] },
      pre_tokenizer: null,
      post_processor: bosPostProcessor(m),
      decoder: {
        type: 'Sequence',
        decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, ...(prefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : [])],
      },
      model: { type: 'Unigram', unk_id: m.unknownTokenId ?? 0, vocab: m.tokens.map((t, i) => [t, scores[i]]), byte_fallback: true },
    };
  }
  throw new SparrowError('UNSUPPORTED', `gguf: tokenizer.ggml.model '${m.model}' is not supported (gpt2, llama are)`, { model: m.model });
}

/**
 * llama.cpp's SentencePiece tokenizer (llm_tokenizer_spm): start from the characters of one
 * normalized text fragment; repeatedly merge the adjacent pair whose concatenation is the vocabulary
 * piece of highest score (ties: the leftmost pair); characters no piece covers become their UTF-8
 * '<0xNN>' byte pieces (or the unknown piece). This is SentencePiece BPE on the scores the converter
 * stores (−rank for BPE models: Llama 2, Gemma); a Unigram search over the same scores prefers other
 * splits (on a Gemma-style vocabulary it gave 53 tokens where llama.cpp gives 31).
 */
export function spmEncode(text: string, ids: ReadonlyMap<string, number>, scores: readonly number[], unk: string | undefined): string[] {
  const sym = Array.from(text);
  const n = sym.length;
  const prev = Array.from({ length: n }, (_, i) => i - 1);
  const next = Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
  // max-heap of candidate merges [score, left, right, merged length]; stale entries are skipped
  const heap: [number, number, number, number][] = [];
  const above = (a: [number, number, number, number], b: [number, number, number, number]) => a[0] > b[0] || (a[0] === b[0] && a[1] < b[1]);
  const push = (e: [number, number, number, number]) => {
    heap.push(e);
    for (let i = heap.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!above(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const pop = (): [number, number, number, number] => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let m = i;
        if (l < heap.length && above(heap[l], heap[m])) m = l;
        if (r < heap.length && above(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  };
  const tryPair = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const piece = sym[left] + sym[right];
    const id = ids.get(piece);
    if (id !== undefined) push([scores[id] ?? 0, left, right, piece.length]);
  };
  for (let i = 0; i + 1 < n; i++) tryPair(i, i + 1);
  while (heap.length) {
    const [, left, right, len] = pop();
    // skip a pair one of whose symbols has changed since it was queued
    if (sym[left] === '' || sym[right] === '' || sym[left].length + sym[right].length !== len || next[left] !== right) continue;
    sym[left] += sym[right];
    sym[right] = '';
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    tryPair(prev[left], left);
    tryPair(left, next[left]);
  }
  const out: string[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i >= 0 && i < n; i = next[i]) {
    if (ids.has(sym[i])) out.push(sym[i]);
    else {
      for (const b of enc.encode(sym[i])) {
        const byte = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
        out.push(ids.has(byte) || unk === undefined ? byte : unk);
      }
    }
  }
  return out;
}

export function tokenizerFromGguf(kv: Record<string, unknown>): TextTokenizer {
  const m = ggufTokenizerMeta(kv);
  if (isPureByteVocab(m)) return new ByteTokenizer(m.bosTokenId, m.eosTokenId);
  const tok = (id: number | undefined) => (id === undefined ? undefined : m.tokens[id]);
  const ids = ['tokenizer.ggml.eot_token_id', 'tokenizer.ggml.eom_token_id'].map((k) => kv[k]).filter((v): v is number => typeof v === 'number');
  const t = new HfTokenizer(ggufTokenizerJson(m), { bos_token: tok(m.bosTokenId), eos_token: tok(m.eosTokenId), chat_template: m.chatTemplate }, ids);
  if (m.model === 'llama') {
    const byText = new Map(m.tokens.map((s, i) => [s, i]));
    const scores = m.scores ?? m.tokens.map(() => 0);
    const unk = tok(m.unknownTokenId ?? 0);
    t.setModelEncoder((fragments) => fragments.flatMap((f) => spmEncode(f, byText, scores, unk)));
  }
  return t;
}
