/**
 * The RWKV "World" GGUF vocabulary (tokenizer.ggml.model = 'rwkv'): token texts as
 * convert_hf_to_gguf.py's _set_vocab_rwkv_world writes them (Python `repr(bytes)[2:-1]`), encoded by
 * greedy longest match over bytes as llama.cpp's llm_tokenizer_rwkv_session::tokenize; and the
 * built-in 'rwkv-world' chat template of llama-chat.cpp. Expected ids are worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { RwkvTokenizer, tokenizerFromGguf, unescapeRwkvToken } from '../../src/engine/gguf-tokenizer.ts';
import { BUILTIN_CHAT_TEMPLATES, renderChat } from '../../src/engine/chat-template.ts';
import { GgufFile, GgufValueType } from '../../src/formats/gguf.ts';
import { kv, writeGguf } from '../../src/formats/gguf-writer.ts';
import { ggufMetadataRecord } from '../../src/models/gguf-weights.ts';

// The GGUF token texts (each JS string is what the file stores; a backslash is one character).
const TOKENS = [
  '<s>', //          0  CONTROL (the converter's token 0)
  'a', //            1
  'b', //            2
  'ab', //           3
  'abc', //          4
  '\\n', //          5  "\n"
  '\\n\\n', //       6  "\n\n" (the converter's eot)
  '\\\\', //         7  one backslash byte
  "\\'", //          8  "'" (repr writes \' when the bytes hold both quote kinds)
  '\\xe4\\xbd\\xa0', // 9  你 (E4 BD A0)
  '\\xe4', //        10 a partial UTF-8 sequence (its lead byte)
  '\\xbd\\xa0', //   11 its two continuation bytes
  ' ', //            12
  '\\t', //          13
  'c', //            14
  '\\x0b', //        15 VT
  '[PAD16]', //      16 UNUSED padding
  '<unk>', //        17 UNKNOWN
  'A\\xe2\\x9c\\x93', // 18 "A✓"
  'b<', //           19
];
const TYPES = [3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5, 2, 1, 1];

const meta = (extra: Record<string, unknown> = {}) => ({
  'tokenizer.ggml.model': 'rwkv',
  'tokenizer.ggml.tokens': TOKENS,
  'tokenizer.ggml.token_type': TYPES,
  'tokenizer.ggml.unknown_token_id': 17,
  ...extra,
});

describe('unescapeRwkvToken (llama_unescape_rwkv_token)', () => {
  const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  it('reads the escapes repr writes', () => {
    expect(hex(unescapeRwkvToken('\\n\\t\\r'))).toBe('0a 09 0d');
    expect(hex(unescapeRwkvToken('\\x0b\\xff\\x00'))).toBe('0b ff 00');
    expect(hex(unescapeRwkvToken('\\\\'))).toBe('5c');
    expect(hex(unescapeRwkvToken("\\'\""))).toBe('27 22');
    expect(hex(unescapeRwkvToken('ab'))).toBe('61 62');
  });
  it('other characters stand for their UTF-8 bytes; malformed escapes as llama.cpp reads them', () => {
    expect(hex(unescapeRwkvToken('é'))).toBe('c3 a9');
    expect(hex(unescapeRwkvToken('\\q'))).toBe('71'); // unknown escape: the character itself
    expect(hex(unescapeRwkvToken('a\\'))).toBe('61'); // trailing lone backslash dropped
    expect(hex(unescapeRwkvToken('\\x4'))).toBe(''); // half a hex escape dropped
    // an uppercase digit goes through `c - '0'`: 'A' → 17, then (17 << 4) + 0 = 0x110 → 0x10
    expect(hex(unescapeRwkvToken('\\xA0'))).toBe('10');
  });
});

describe("GGUF 'rwkv' vocabularies", () => {
  const t = tokenizerFromGguf(meta({ 'tokenizer.ggml.eos_token_id': 0, 'tokenizer.ggml.eot_token_id': 6, 'tokenizer.chat_template': 'rwkv-world' }));

  it('builds an RwkvTokenizer with the file’s ids and template', () => {
    expect(t).toBeInstanceOf(RwkvTokenizer);
    expect(t.vocabSize).toBe(TOKENS.length);
    expect(t.eosTokenId).toBe(0);
    expect(t.bosTokenId).toBeUndefined();
    expect(t.endTokenIds).toEqual([0, 6]);
    expect(t.chatTemplate).toBe('rwkv-world');
    expect(t.idToToken(6)).toBe('\\n\\n');
    expect(t.idToToken(99)).toBeUndefined();
  });

  it('encodes by greedy longest match over the bytes', () => {
    expect(t.encode('abcab')).toEqual([4, 3]); // abc, ab (not a, b, c, a, b)
    expect(t.encode('abab')).toEqual([3, 3]);
    expect(t.encode('abca')).toEqual([4, 1]);
    expect(t.encode('ab\n\n\n')).toEqual([3, 6, 5]); // "\n\n" before "\n"
    expect(t.encode('\t\x0b c')).toEqual([13, 15, 12, 14]);
  });

  it('matches the unescaped bytes: backslash, quote, multi-byte UTF-8', () => {
    expect(t.encode('a\\b')).toEqual([1, 7, 2]);
    expect(t.encode("a'b")).toEqual([1, 8, 2]);
    expect(t.encode('你a')).toEqual([9, 1]); // the whole character, not its bytes 10 + 11
    expect(t.encode('A✓')).toEqual([18]);
  });

  it('a byte that starts no token is the unknown token, one byte at a time', () => {
    expect(t.encode('azb')).toEqual([1, 17, 2]);
    expect(t.encode('é')).toEqual([17, 17]); // C3 A9: two bytes, two unknowns
    expect(t.encode('✓')).toEqual([17, 17, 17]); // E2 9C 93: "A✓" needs the A
  });

  it('control / unknown tokens in the text are split out first (tokenizer_st_partition)', () => {
    expect(t.encode('a<s>b')).toEqual([1, 0, 2]);
    expect(t.encode('b<s>')).toEqual([2, 0]); // not the longer match 'b<' then 's', '>'
    expect(t.encode('b<b')).toEqual([19, 2]);
    expect(t.encode('<s><unk>ab')).toEqual([0, 17, 3]);
    // every token is in the trie, UNUSED padding included (llm_tokenizer_rwkv inserts all ids)
    expect(t.encode('a[PAD16]')).toEqual([1, 16]);
  });

  it('adds no BOS / EOS, whatever add_bos_token says (llama.cpp tokenize, LLAMA_VOCAB_TYPE_RWKV)', () => {
    const withBos = tokenizerFromGguf(meta({ 'tokenizer.ggml.bos_token_id': 0, 'tokenizer.ggml.eos_token_id': 0, 'tokenizer.ggml.add_bos_token': true }));
    expect(withBos.bosTokenId).toBe(0);
    expect(withBos.encode('ab')).toEqual([3]);
    expect(withBos.encode('ab', { addSpecialTokens: true })).toEqual([3]);
    expect(withBos.encode('')).toEqual([]);
  });

  it('decodes the concatenated bytes as UTF-8, partial sequences included', () => {
    expect(t.decode([10, 11])).toBe('你'); // a character split over two tokens
    expect(t.decode([10])).toBe('\uFFFD'); // an unfinished sequence
    expect(t.decode([10, 1])).toBe('\uFFFDa');
    expect(t.decode([11])).toBe('\uFFFD\uFFFD'); // two lone continuation bytes
    expect(t.decode([1, 7, 8, 5, 13, 15])).toBe("a\\'\n\t\x0b");
    expect(t.decode([])).toBe('');
  });

  it('control / unknown tokens are left out of decoding unless asked for; padding is not', () => {
    expect(t.decode([0, 1, 17, 2])).toBe('ab');
    expect(t.decode([0, 1, 17, 2], { skipSpecialTokens: false })).toBe('<s>a<unk>b');
    expect(t.decode([16])).toBe('[PAD16]');
    expect(() => t.decode([TOKENS.length])).toThrow(expect.objectContaining({ code: 'INDEX_OUT_OF_RANGE' }));
  });

  it('round-trips text', () => {
    for (const s of ['abcab', 'a\\b\n\n\tc', "你a'b 你", 'A✓ab\x0b']) expect(t.decode(t.encode(s))).toBe(s);
  });

  it('reads the vocabulary from a written GGUF file', async () => {
    const bytes = writeGguf(
      [
        ['general.architecture', kv.str('rwkv7')],
        ['tokenizer.ggml.model', kv.str('rwkv')],
        ['tokenizer.ggml.tokens', kv.arr(GgufValueType.STRING, TOKENS)],
        ['tokenizer.ggml.token_type', kv.arr(GgufValueType.INT32, TYPES)],
        ['tokenizer.ggml.unknown_token_id', kv.u32(17)],
        ['tokenizer.ggml.eot_token_id', kv.u32(6)],
        ['tokenizer.chat_template', kv.str('rwkv-world')],
      ],
      [],
    );
    const g = tokenizerFromGguf(ggufMetadataRecord(await GgufFile.open(bytes)));
    expect(g.encode('a\\b你\n\n')).toEqual([1, 7, 2, 9, 6]);
    expect(g.endTokenIds).toEqual([6]);
    expect(g.chatTemplate).toBe('rwkv-world');
  });
});

describe('llama.cpp literal edge cases of the trie walk', () => {
  it("at the end of the text the walk may take a '\\x00' edge (std::string's text[size()] is NUL)", () => {
    const t = tokenizerFromGguf({ 'tokenizer.ggml.model': 'rwkv', 'tokenizer.ggml.tokens': ['a', 'a\\x00', 'b'] });
    expect(t.encode('a')).toEqual([1]);
    expect(t.encode('ab')).toEqual([0, 2]);
    expect(t.encode('a\0')).toEqual([1]);
  });
  it('a walk with no complete token (llama.cpp: endless loop) and an unknown byte without unknown_token_id are errors', () => {
    const t = tokenizerFromGguf({ 'tokenizer.ggml.model': 'rwkv', 'tokenizer.ggml.tokens': ['xy', 'z'] });
    expect(t.encode('xyz')).toEqual([0, 1]);
    expect(() => t.encode('xz')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => t.encode('q')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });
  it('a byte string listed twice keeps the last id (naive_trie::insert overwrites)', () => {
    const t = tokenizerFromGguf({ 'tokenizer.ggml.model': 'rwkv', 'tokenizer.ggml.tokens': ['\\n', '\\x0a'] });
    expect(t.encode('\n')).toEqual([1]);
  });
});

describe("the built-in 'rwkv-world' chat template (llama-chat.cpp LLM_CHAT_TEMPLATE_RWKV_WORLD)", () => {
  it('renders system / user / assistant turns, "Assistant:" after a last user message', () => {
    const s = renderChat('rwkv-world', [
      { role: 'system', content: '  Be brief. ' },
      { role: 'user', content: 'Hi\n' },
      { role: 'assistant', content: ' Hello!\n\n' },
      { role: 'user', content: '\tBye' },
    ]);
    expect(s).toBe('System: Be brief.\n\nUser: Hi\n\nAssistant: Hello!\n\nUser: Bye\n\nAssistant:');
  });
  it('no "Assistant:" when the last message is not the user’s; other roles left out; trim is ASCII whitespace only', () => {
    expect(renderChat('rwkv-world', [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }])).toBe('User: a\n\nAssistant: b\n\n');
    expect(renderChat('rwkv-world', [{ role: 'tool', content: 'x' }, { role: 'user', content: '\u00a0a\v\f\r' }])).toBe('User: \u00a0a\n\nAssistant:');
    // as llama.cpp: the prompt does not depend on add_generation_prompt
    expect(renderChat('rwkv-world', [{ role: 'user', content: 'a' }], { addGenerationPrompt: false })).toBe('User: a\n\nAssistant:');
  });
  it('only the exact name is built in; anything else is Jinja', () => {
    expect(Object.keys(BUILTIN_CHAT_TEMPLATES)).toContain('rwkv-world');
    expect(renderChat(' rwkv-world', [])).toBe(' rwkv-world');
    expect(renderChat('rwkv-world{{ messages[0].content }}', [{ role: 'user', content: 'x' }])).toBe('rwkv-worldx');
  });
  it('a prompt rendered with it encodes with the vocabulary', () => {
    const t = tokenizerFromGguf(meta({ 'tokenizer.chat_template': 'rwkv-world' }));
    const text = renderChat(t.chatTemplate!, [{ role: 'system', content: 'ab' }]);
    expect(text).toBe('System: ab\n\n');
    expect(t.encode(text).slice(-2)).toEqual([3, 6]);
  });
});
