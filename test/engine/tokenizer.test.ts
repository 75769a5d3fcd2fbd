import { describe, expect, it } from 'vitest';
import { ByteTokenizer, HfTokenizer } from '../../src/engine/tokenizer.ts';
import { ggufTokenizerJson, tokenizerFromGguf } from '../../src/engine/gguf-tokenizer.ts';
import { renderChat } from '../../src/engine/chat-template.ts';
import { isSparrowError } from '../../src/errors.ts';

describe('ByteTokenizer', () => {
  it('round-trips UTF-8 text through byte ids', () => {
    const t = new ByteTokenizer();
    const ids = t.encode('héllo ✓');
    expect(ids).toEqual([104, 0xc3, 0xa9, 108, 108, 111, 32, 0xe2, 0x9c, 0x93]);
    expect(t.decode(ids)).toBe('héllo ✓');
    expect(t.idToToken(0x41)).toBe('<0x41>');
    expect(() => t.decode([256])).toThrow(/not a byte/);
  });
});

describe('GGUF vocabularies', () => {
  it("a pure '<0xNN>' vocabulary (the fixtures' GGUF) becomes the byte tokenizer", () => {
    const tokens = Array.from({ length: 256 }, (_, i) => `<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`);
    const t = tokenizerFromGguf({ 'tokenizer.ggml.model': 'llama', 'tokenizer.ggml.tokens': tokens, 'tokenizer.ggml.eos_token_id': 2 });
    expect(t).toBeInstanceOf(ByteTokenizer);
    expect(t.eosTokenId).toBe(2);
    expect(t.encode('Hi')).toEqual([72, 105]);
  });

  it("'gpt2' byte-level BPE with merges encodes and decodes", () => {
    // 'Ġ' is the byte-level image of the space byte.
    const tokens = ['a', 'b', 'Ġ', 'ab', 'Ġab', '<|endoftext|>'];
    const kv = {
      'tokenizer.ggml.model': 'gpt2',
      'tokenizer.ggml.tokens': tokens,
      'tokenizer.ggml.token_type': [1, 1, 1, 1, 1, 3],
      'tokenizer.ggml.merges': ['a b', 'Ġ ab'],
      'tokenizer.ggml.eos_token_id': 5,
      'tokenizer.chat_template': '{{ messages[0].content }}',
    };
    const t = tokenizerFromGguf(kv);
    expect(t.chatTemplate).toBe('{{ messages[0].content }}');
    expect(t.encode('ab ab')).toEqual([3, 4]);
    expect(t.encode('abab a')).toEqual([3, 3, 2, 0]);
    expect(t.decode([3, 4, 5])).toBe('ab ab');
    expect(t.eosTokenId).toBe(5);
    expect((ggufTokenizerJson({ model: 'gpt2', tokens, merges: ['a b'] }).model as { type: string }).type).toBe('BPE');
  });

  it("'llama' SentencePiece vocabularies encode with the ▁ convention", () => {
    // every piece reachable by merging two pieces (llama.cpp's SPM algorithm), e.g. ▁ + hello ← hell + o ← he + ll
    const tokens = ['<unk>', '<s>', '</s>', '▁hello', '▁world', '▁', 'h', 'e', 'l', 'o', 'w', 'r', 'd', 'he', 'll', 'hell', 'hello', 'or', 'wor', 'ld', 'world'];
    const scores = [0, 0, 0, -1, -1, -5, -6, -6, -6, -6, -6, -6, -6, -2, -2, -3, -3, -2, -3, -2, -3];
    const types = [2, 3, 3, ...new Array(18).fill(1)];
    const t = tokenizerFromGguf({
      'tokenizer.ggml.model': 'llama',
      'tokenizer.ggml.tokens': tokens,
      'tokenizer.ggml.scores': scores,
      'tokenizer.ggml.token_type': types,
      'tokenizer.ggml.bos_token_id': 1,
      'tokenizer.ggml.eos_token_id': 2,
    });
    expect(t.encode('hello world', { addSpecialTokens: false })).toEqual([3, 4]);
    expect(t.encode('hello world')).toEqual([3, 4]); // add_bos_token absent → no BOS
    const withBos = tokenizerFromGguf({
      'tokenizer.ggml.model': 'llama',
      'tokenizer.ggml.tokens': tokens,
      'tokenizer.ggml.scores': scores,
      'tokenizer.ggml.token_type': types,
      'tokenizer.ggml.bos_token_id': 1,
      'tokenizer.ggml.add_bos_token': true,
    });
    expect(withBos.encode('hello world')).toEqual([1, 3, 4]);
    expect(withBos.encode('hello world', { addSpecialTokens: false })).toEqual([3, 4]);
    expect(t.decode([1, 3, 4, 2])).toBe('hello world');
    expect(t.bosTokenId).toBe(1);
    // Gemma's files say add_space_prefix = false: no '▁' before the text, none stripped when decoding
    const noPrefix = tokenizerFromGguf({
      'tokenizer.ggml.model': 'llama', 'tokenizer.ggml.tokens': tokens, 'tokenizer.ggml.scores': scores, 'tokenizer.ggml.token_type': types,
      'tokenizer.ggml.add_space_prefix': false,
    });
    expect(noPrefix.encode('hello world')).toEqual([16, 4]);
    expect(noPrefix.decode([4, 3])).toBe(' world hello');
  });

  it("'llama' vocabularies merge as llama.cpp does (highest-scoring piece first, leftmost on ties; bytes for the rest)", () => {
    // "abcd": bc (−1) merges first, then no piece covers a·bc or bc·d → a, bc, d (sum −201). A Unigram
    // search over the same scores would take ab + cd (sum −5).
    const tokens = ['<unk>', 'a', 'b', 'c', 'd', 'bc', 'ab', 'cd', 'x', 'xx', '<0xC3>', '<0xA9>'];
    const scores = [0, -100, -100, -100, -100, -1, -2, -3, -100, -7, 0, 0];
    const t = tokenizerFromGguf({
      'tokenizer.ggml.model': 'llama', 'tokenizer.ggml.tokens': tokens, 'tokenizer.ggml.scores': scores,
      'tokenizer.ggml.token_type': [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 6, 6], 'tokenizer.ggml.add_space_prefix': false,
    });
    expect(t.encode('abcd')).toEqual([1, 5, 4]);
    expect(t.encode('cdab')).toEqual([7, 6]);
    // ties: the leftmost pair first ("xxx" → xx, x); 'é' is no piece → its UTF-8 bytes; '!' has no byte piece → <unk>
    expect(t.encode('xxx')).toEqual([9, 8]);
    expect(t.encode('aé')).toEqual([1, 10, 11]);
    expect(t.encode('a!')).toEqual([1, 0]);
    expect(t.decode([1, 10, 11])).toBe('aé');
  });

  it('unknown tokenizer models and missing vocabularies are typed errors', () => {
    expect(() => tokenizerFromGguf({ 'tokenizer.ggml.model': 'bert', 'tokenizer.ggml.tokens': ['a'] })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    let err: unknown;
    try {
      tokenizerFromGguf({});
    } catch (e) {
      err = e;
    }
    expect(isSparrowError(err, 'TENSOR_MISSING')).toBe(true);
  });
});

describe('HfTokenizer from tokenizer.json', () => {
  it('adds special tokens through the post-processor', () => {
    const json = ggufTokenizerJson({ model: 'gpt2', tokens: ['a', 'b', 'ab', '<s>'], tokenTypes: [1, 1, 1, 3], merges: ['a b'] });
    json.post_processor = { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: { '<s>': { id: '<s>', ids: [3], tokens: ['<s>'] } } };
    const t = new HfTokenizer(json, { bos_token: '<s>' });
    expect(t.encode('ab')).toEqual([3, 2]);
    expect(t.encode('ab', { addSpecialTokens: false })).toEqual([2]);
    expect(t.bosTokenId).toBe(3);
    expect(t.decode([3, 2])).toBe('ab');
  });
});

describe('tokens that end a reply (endTokenIds)', () => {
  const tokens = ['a', 'b', 'ab', '<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|eot_id|>', '<x>'];
  const kv = (extra: Record<string, unknown>) => ({
    'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.tokens': tokens, 'tokenizer.ggml.token_type': [1, 1, 1, 3, 3, 3, 3, 3], 'tokenizer.ggml.merges': ['a b'], ...extra,
  });
  it("EOS and the end-of-turn texts llama.cpp lists (<|im_end|>, <|eot_id|>, <|endoftext|>, …), not other control tokens", () => {
    // a ChatML model whose EOS is <|endoftext|> ends its turns with <|im_end|>
    expect(tokenizerFromGguf(kv({ 'tokenizer.ggml.eos_token_id': 3 })).endTokenIds).toEqual([3, 5, 6]);
  });
  it("a GGUF's eot / eom ids and a config.json eos list count too", () => {
    expect(tokenizerFromGguf(kv({ 'tokenizer.ggml.eos_token_id': 3, 'tokenizer.ggml.eot_token_id': 7 })).endTokenIds).toEqual([3, 5, 6, 7]);
    const json = ggufTokenizerJson({ model: 'gpt2', tokens, tokenTypes: [1, 1, 1, 3, 3, 3, 3, 3], merges: ['a b'] });
    expect(new HfTokenizer(json, { eos_token: '<|endoftext|>' }, [7, 999]).endTokenIds).toEqual([3, 5, 6, 7]); // 999: outside the vocabulary
    expect(new ByteTokenizer(undefined, 10).endTokenIds).toEqual([10]);
    expect(new ByteTokenizer().endTokenIds).toEqual([]);
  });
});

describe('chat templates', () => {
  it('renders a ChatML template with the generation prompt', () => {
    const tpl = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    const s = renderChat(tpl, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]);
    expect(s).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    expect(() => renderChat('{% for %}', [])).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID' }));
  });
});
