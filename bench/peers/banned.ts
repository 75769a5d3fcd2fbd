/**
 * Token ids both engines must never emit in the peer benchmark: with random weights a model can
 * pick a token whose bytes are not valid UTF-8 on their own (a lone high byte), which makes
 * wllama's text decoding throw; and EOS/control tokens would end generation early.
 */
import type { TextTokenizer } from '../../src/engine/tokenizer.ts';

export function bannedTokenIds(tokenizer: TextTokenizer, vocab: number): number[] {
  const out: number[] = [];
  for (let id = 0; id < vocab; id++) {
    const text = tokenizer.decode([id]);
    if (text === '' || text.includes('\uFFFD') || id === tokenizer.eosTokenId || id === tokenizer.bosTokenId) out.push(id);
  }
  return out;
}
