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
 * - 'rwkv' (RWKV "World" vocabulary): no tokenizer.json equivalent; RwkvTokenizer below reproduces
 *   llama.cpp's llm_tokenizer_rwkv (greedy longest match over the bytes of the text).
 */
import { SparrowError } from '../errors.ts';
import { ByteTokenizer, END_OF_TURN_TEXTS, HfTokenizer, type TextTokenizer, type TokenizerJson } from './tokenizer.ts';

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
/** Qwen3.5's: Qwen2's with combining marks (\p{M}) kept inside words. */
const QWEN35_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/**
 * GPT-4o's (o200k, Phi-4-mini's vocabulary) as llama.cpp writes it: the letter classes approximated,
 * "upper" = a letter not a–z, "lower" = a letter not A–Z (llama-vocab.cpp, LLAMA_VOCAB_PRE_TYPE_GPT4O).
 */
const GPT4O_REGEX = "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
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
PRE_TOKENIZERS.qwen35 = { pre: { type: 'Sequence', pretokenizers: [split(QWEN35_REGEX), byteLevel(false)] } };
PRE_TOKENIZERS['gpt-4o'] = { pre: { type: 'Sequence', pretokenizers: [split(GPT4O_REGEX), byteLevel(false)] } };
for (const name of ['llama3', 'llama-v3', 'llama-bpe', 'falcon3', 'falcon-h1', 'dbrx', 'smaug-bpe', 'pixtral', 'midm-2.0', 'lfm2']) {
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
  if (m.model === 'rwkv') throw new SparrowError('UNSUPPORTED', "gguf: tokenizer.ggml.model 'rwkv' has no tokenizer.json equivalent (tokenizerFromGguf builds an RwkvTokenizer)", { model: m.model });
  throw new SparrowError('UNSUPPORTED', `gguf: tokenizer.ggml.model '${m.model}' is not supported (gpt2, llama, rwkv are)`, { model: m.model });
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
  if (m.model === 'rwkv') return new RwkvTokenizer(m, ids);
  const t = new HfTokenizer(ggufTokenizerJson(m), { bos_token: tok(m.bosTokenId), eos_token: tok(m.eosTokenId), chat_template: m.chatTemplate }, ids);
  if (m.model === 'llama') {
    const byText = new Map(m.tokens.map((s, i) => [s, i]));
    const scores = m.scores ?? m.tokens.map(() => 0);
    const unk = tok(m.unknownTokenId ?? 0);
    t.setModelEncoder((fragments) => fragments.flatMap((f) => spmEncode(f, byText, scores, unk)));
  }
  return t;
}

/**
 * A token text of an RWKV "World" GGUF → its bytes: llama.cpp's llama_unescape_rwkv_token
 * (src/llama-vocab.cpp). convert_hf_to_gguf.py's _set_vocab_rwkv_world stores each token of
 * rwkv_vocab_v20230424.txt as `repr(token_bytes)[2:-1]` (b'\n\xe4' → "\\n\\xe4"), so the text is
 * walked byte by byte (its UTF-8 form): after a backslash, 't' 'n' 'r' are TAB LF CR, 'x' takes the
 * next two characters as one byte, any other character stands for itself ("\\\\" → '\\', "\\'" →
 * "'"); a character outside an escape is its own UTF-8 bytes. Literally as llama.cpp: a hex digit is
 * `c >= 'a' ? c - 'a' + 10 : c - '0'` (repr writes lowercase; anything else gives what that formula
 * gives, mod 256, taking `char` as signed as on x86), a trailing lone backslash or half an \xN escape
 * is dropped.
 */
export function unescapeRwkvToken(text: string): Uint8Array {
  const src = new TextEncoder().encode(text);
  const out: number[] = [];
  let escaping = false;
  let hexRemaining = 0;
  let hexAcc = 0;
  for (const byte of src) {
    const c = byte >= 0x80 ? byte - 256 : byte; // C++ `char` (signed on x86)
    if (hexRemaining !== 0) {
      const value = c >= 0x61 ? c - 0x61 + 10 : c - 0x30;
      hexAcc = ((hexAcc << 4) + value) & 0xff;
      if (--hexRemaining === 0) {
        out.push(hexAcc);
        hexAcc = 0;
      }
      continue;
    }
    if (escaping) {
      if (byte === 0x74) out.push(0x09); // 't'
      else if (byte === 0x6e) out.push(0x0a); // 'n'
      else if (byte === 0x72) out.push(0x0d); // 'r'
      else if (byte === 0x78) hexRemaining = 2; // 'x'
      else out.push(byte);
      escaping = false;
      continue;
    }
    if (byte === 0x5c) {
      escaping = true;
      continue;
    }
    out.push(byte);
  }
  return Uint8Array.from(out);
}

interface TrieNode {
  children: Map<number, TrieNode>;
  value?: number;
}

function findBytes(hay: Uint8Array, needle: Uint8Array, from: number, end: number): number {
  if (needle.length === 0) return from <= end ? from : -1;
  const first = needle[0];
  for (let i = from; i + needle.length <= end; i++) {
    if (hay[i] !== first) continue;
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

type Fragment = { token: number } | { start: number; end: number };

/**
 * The RWKV "World" tokenizer as llama.cpp runs it (src/llama-vocab.cpp):
 * - vocabulary: token i's bytes are unescapeRwkvToken(tokenizer.ggml.tokens[i]), all of them in one
 *   byte trie (llm_tokenizer_rwkv; a byte string listed twice keeps the last id, as naive_trie::insert
 *   overwrites). _set_vocab_rwkv_world writes token 0 = "<s>" (CONTROL), the vocabulary file's tokens
 *   as NORMAL, "[PAD<i>]" (UNUSED) up to the model's vocab_size, chat template "rwkv-world" and
 *   eot = 261 ("\n\n").
 * - encode: first llama.cpp's tokenizer_st_partition, which runs for every vocabulary type: the
 *   CONTROL / USER_DEFINED / UNKNOWN tokens, longest text first, are cut out of the text where their
 *   (stored, escaped) text occurs — always, like parse_special = true, which is also what the other
 *   GGUF vocabularies here do (their added tokens are split out by @huggingface/tokenizers). Then
 *   llm_tokenizer_rwkv_session::tokenize on the UTF-8 bytes of each remaining piece: walk the trie
 *   from the byte at `position` as far as it goes, emit the longest complete token seen, go on after
 *   it; a first byte with no trie edge emits tokenizer.ggml.unknown_token_id and skips one byte.
 *   Two literal details: the walk reads `text[++position]` of a std::string, whose text[size()] is
 *   '\0', so at the end of a piece it may follow an edge for byte 0x00 (a token "a\x00" matches a
 *   piece ending in "a"; past that it would read out of bounds: we stop there); and a walk that sees
 *   no complete token (only possible when some token has no shorter token on its trie path) makes
 *   llama.cpp push token 0 and set position = 0, i.e. start over forever — here it is an error, as
 *   is an unknown byte when the file has no unknown_token_id (llama.cpp's default for 'rwkv' is none
 *   and it would push -1). Both need a vocabulary that lacks single bytes; World's has all 256.
 * - no BOS / EOS is ever added: the LLAMA_VOCAB_TYPE_RWKV case of llama_vocab::impl::tokenize
 *   ignores add_special and tokenizer.ggml.add_bos_token (bos / eos / unk / sep / pad default to
 *   none for 'rwkv' and come only from the file's keys).
 * - decode: token_to_piece → the unescaped bytes of every token (CONTROL and UNKNOWN tokens skipped
 *   unless special tokens are asked for; UNUSED ones are not skipped), concatenated and read as UTF-8
 *   with U+FFFD for broken sequences (as the byte-level decoders here; the BOM kept, as
 *   @huggingface/tokenizers' ByteLevel decoder does); no clean-up of spaces (llama.cpp's
 *   clean_spaces is for gpt2 / bert / t5 only).
 */
export class RwkvTokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly bosTokenId?: number;
  readonly eosTokenId?: number;
  readonly endTokenIds: readonly number[];
  readonly chatTemplate?: string;
  private readonly texts: readonly string[];
  private readonly bytes: Uint8Array[];
  private readonly types: readonly number[];
  private readonly unk?: number;
  private readonly root: TrieNode = { children: new Map() };
  /** The special tokens (CONTROL / USER_DEFINED / UNKNOWN) as llama.cpp's cache_special_tokens: longest text first. */
  private readonly specials: { id: number; text: Uint8Array }[];

  constructor(m: GgufTokenizerMeta, endTokenIds: readonly number[] = []) {
    const n = m.tokens.length;
    const inRange = (id: number | undefined) => (id !== undefined && Number.isInteger(id) && id >= 0 && id < n ? id : undefined);
    this.vocabSize = n;
    this.texts = m.tokens;
    // llama.cpp: a file without tokenizer.ggml.token_type has every token NORMAL
    this.types = m.tokens.map((_, i) => m.tokenTypes?.[i] ?? TOKEN_TYPE.NORMAL);
    this.bosTokenId = inRange(m.bosTokenId);
    this.eosTokenId = inRange(m.eosTokenId);
    this.unk = inRange(m.unknownTokenId);
    this.chatTemplate = m.chatTemplate;
    this.bytes = m.tokens.map(unescapeRwkvToken);
    this.bytes.forEach((b, id) => {
      let node = this.root;
      for (const c of b) {
        let next = node.children.get(c);
        if (!next) node.children.set(c, (next = { children: new Map() }));
        node = next;
      }
      node.value = id;
    });
    const enc = new TextEncoder();
    this.specials = [];
    this.types.forEach((t, id) => {
      if (t === TOKEN_TYPE.CONTROL || t === TOKEN_TYPE.USER_DEFINED || t === TOKEN_TYPE.UNKNOWN) this.specials.push({ id, text: enc.encode(m.tokens[id]) });
    });
    this.specials.sort((a, b) => b.text.length - a.text.length || a.id - b.id);
    const ends = new Set<number>();
    for (const id of endTokenIds) if (inRange(id) !== undefined) ends.add(id);
    if (this.eosTokenId !== undefined) ends.add(this.eosTokenId);
    for (const text of END_OF_TURN_TEXTS) {
      const id = m.tokens.lastIndexOf(text);
      if (id >= 0) ends.add(id);
    }
    this.endTokenIds = [...ends].sort((a, b) => a - b);
  }

  /** Text → ids. `addSpecialTokens` changes nothing: llama.cpp adds no BOS / EOS to RWKV vocabularies. */
  encode(text: string, _opts: { addSpecialTokens?: boolean } = {}): number[] {
    const b = new TextEncoder().encode(text);
    let frags: Fragment[] = b.length ? [{ start: 0, end: b.length }] : [];
    for (const sp of this.specials) {
      if (sp.text.length === 0) continue;
      const next: Fragment[] = [];
      for (const f of frags) {
        if ('token' in f) {
          next.push(f);
          continue;
        }
        let at = f.start;
        for (;;) {
          const i = findBytes(b, sp.text, at, f.end);
          if (i < 0) break;
          if (i > at) next.push({ start: at, end: i });
          next.push({ token: sp.id });
          at = i + sp.text.length;
        }
        if (at < f.end) next.push({ start: at, end: f.end });
      }
      frags = next;
    }
    const out: number[] = [];
    for (const f of frags) {
      if ('token' in f) out.push(f.token);
      else this.encodeBytes(b.subarray(f.start, f.end), out);
    }
    return out;
  }

  /** llm_tokenizer_rwkv_session::tokenize on one piece of text. */
  private encodeBytes(text: Uint8Array, out: number[]): void {
    const size = text.length;
    let position = 0;
    while (position < size) {
      let node = this.root.children.get(text[position]);
      if (node === undefined) {
        if (this.unk === undefined) {
          throw new SparrowError('UNSUPPORTED', `rwkv tokenizer: byte 0x${text[position].toString(16).padStart(2, '0')} starts no token and the vocabulary has no unknown token (tokenizer.ggml.unknown_token_id)`);
        }
        out.push(this.unk);
        position += 1;
        continue;
      }
      let tokenId = 0;
      let tokenLength = 0;
      while (node !== undefined) {
        if (node.value !== undefined) {
          tokenId = node.value;
          tokenLength = position + 1;
        }
        position += 1;
        // std::string: text[size()] is '\0'; beyond it, llama.cpp would read out of bounds
        const c = position < size ? text[position] : position === size ? 0 : undefined;
        node = c === undefined ? undefined : node.children.get(c);
      }
      if (tokenLength === 0) {
        throw new SparrowError('UNSUPPORTED', 'rwkv tokenizer: the text starts with bytes that only longer tokens begin with, and no token matches (llama.cpp loops forever here)');
      }
      out.push(tokenId);
      position = tokenLength;
    }
  }

  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    const skip = opts.skipSpecialTokens ?? true;
    const parts: Uint8Array[] = [];
    let len = 0;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new SparrowError('INDEX_OUT_OF_RANGE', `rwkv tokenizer: token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`, { id });
      const t = this.types[id];
      if (skip && (t === TOKEN_TYPE.CONTROL || t === TOKEN_TYPE.UNKNOWN)) continue;
      parts.push(this.bytes[id]);
      len += this.bytes[id].length;
    }
    const all = new Uint8Array(len);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(all);
  }

  /** The token's text as the GGUF stores it (escaped, e.g. "\\n\\n"). */
  idToToken(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 && id < this.vocabSize ? this.texts[id] : undefined;
  }

  /** The token's bytes (unescaped). */
  tokenBytes(id: number): Uint8Array | undefined {
    return Number.isInteger(id) && id >= 0 && id < this.vocabSize ? this.bytes[id] : undefined;
  }
}
