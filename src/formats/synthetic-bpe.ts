/**
 * A real, self-consistent byte-level BPE vocabulary (GPT-2 conventions) built deterministically,
 * for synthetic models: special tokens, the 256 byte tokens in GPT-2's byte-to-unicode alphabet,
 * then merges learned from a text corpus (pairs seen at least twice, most frequent first) and, once
 * the corpus is exhausted, synthetic merges (existing token + byte token) up to the requested size.
 * Every merge "a b" joins two existing tokens into a new one, so any BPE implementation can use it.
 */

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 upwards. */
export function byteToUnicode(): string[] {
  const bs: number[] = [];
  for (let c = 0x21; c <= 0x7e; c++) bs.push(c);
  for (let c = 0xa1; c <= 0xac; c++) bs.push(c);
  for (let c = 0xae; c <= 0xff; c++) bs.push(c);
  const map: string[] = new Array(256);
  for (const b of bs) map[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (map[b] === undefined) map[b] = String.fromCodePoint(256 + n++);
  return map;
}

/** GPT-2's pre-tokenizer regex (contractions, letters, numbers, punctuation, whitespace runs). */
export const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export interface BpeVocab {
  tokens: string[];
  /** llama.cpp token types: 1 normal, 3 control. */
  tokenTypes: number[];
  merges: string[];
  /** How many merges came from the corpus (the rest are synthetic). */
  corpusMerges: number;
}

/** Max-heap of (count, key) with lazy deletion; ties broken by the smaller key (deterministic). */
class PairHeap {
  private c: number[] = [];
  private k: number[] = [];
  push(count: number, key: number): void {
    const { c, k } = this;
    let i = c.length;
    c.push(count);
    k.push(key);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(p, i)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): [number, number] | undefined {
    const { c, k } = this;
    if (!c.length) return undefined;
    const top: [number, number] = [c[0], k[0]];
    const lc = c.pop()!;
    const lk = k.pop()!;
    if (c.length) {
      c[0] = lc;
      k[0] = lk;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < c.length && this.less(m, l)) m = l;
        if (r < c.length && this.less(m, r)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
  /** Is element a below element b (b should be nearer the top)? */
  private less(a: number, b: number): boolean {
    return this.c[a] < this.c[b] || (this.c[a] === this.c[b] && this.k[a] > this.k[b]);
  }
  private swap(a: number, b: number): void {
    [this.c[a], this.c[b]] = [this.c[b], this.c[a]];
    [this.k[a], this.k[b]] = [this.k[b], this.k[a]];
  }
}

const KEY = 65536; // token ids stay below 2^16 here, so a pair (a, b) is a·2^16 + b

export function buildBpeVocab(corpus: string, vocabSize: number, specials: readonly string[]): BpeVocab {
  if (vocabSize > KEY) throw new Error(`buildBpeVocab: vocabSize ${vocabSize} above ${KEY}`);
  const b2u = byteToUnicode();
  const tokens: string[] = [...specials];
  const tokenTypes: number[] = specials.map(() => 3);
  const byteId: number[] = [];
  for (let b = 0; b < 256; b++) {
    byteId.push(tokens.length);
    tokens.push(b2u[b]);
    tokenTypes.push(1);
  }
  const ids = new Map(tokens.map((t, i) => [t, i]));
  const merges: string[] = [];

  // Word types with counts, as symbol arrays.
  const counts = new Map<string, number>();
  const enc = new TextEncoder();
  for (const m of corpus.matchAll(GPT2_SPLIT)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  const words: number[][] = [];
  const freq: number[] = [];
  for (const [w, c] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    words.push([...enc.encode(w)].map((b) => byteId[b]));
    freq.push(c);
  }
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const addPairs = (wi: number, sign: number) => {
    const s = words[wi];
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i] * KEY + s[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * freq[wi]);
      if (sign > 0) {
        let set = where.get(key);
        if (!set) where.set(key, (set = new Set()));
        set.add(wi);
      }
    }
  };
  for (let wi = 0; wi < words.length; wi++) addPairs(wi, 1);
  const heap = new PairHeap();
  for (const [key, c] of pairCount) heap.push(c, key);

  while (tokens.length < vocabSize) {
    const top = heap.pop();
    if (!top) break;
    const [c, key] = top;
    if (pairCount.get(key) !== c) continue; // stale entry
    if (c < 2) break;
    const a = Math.floor(key / KEY);
    const b = key % KEY;
    const merged = tokens[a] + tokens[b];
    // The same string may be reachable by another split ("ab c" and "a bc"): a second merge rule
    // producing the existing token, as real GPT-2-style vocabularies have.
    let id = ids.get(merged);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      tokenTypes.push(1);
      ids.set(merged, id);
    }
    merges.push(`${tokens[a]} ${tokens[b]}`);
    const touched = new Set<number>();
    for (const wi of where.get(key) ?? []) {
      addPairs(wi, -1);
      const s = words[wi];
      const out: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(id);
          i++;
        } else out.push(s[i]);
      }
      words[wi] = out;
      addPairs(wi, 1);
      for (let i = 0; i + 1 < out.length; i++) touched.add(out[i] * KEY + out[i + 1]);
    }
    // Re-push counts that changed (removed pairs just go stale in the heap).
    for (const t of touched) heap.push(pairCount.get(t)!, t);
    pairCount.delete(key);
    where.delete(key);
  }
  const corpusMerges = merges.length;

  // Synthetic merges: token + byte token, walking tokens in id order, until the vocabulary is full.
  const learned = tokens.length;
  outer: for (let round = 0; tokens.length < vocabSize; round++) {
    for (let a = specials.length; a < learned && tokens.length < vocabSize; a++) {
      const b = byteId[(a * 7 + round * 13) % 256];
      const merged = tokens[a] + tokens[b];
      if (ids.has(merged)) continue;
      ids.set(merged, tokens.length);
      tokens.push(merged);
      tokenTypes.push(1);
      merges.push(`${tokens[a]} ${tokens[b]}`);
    }
    if (round > 10_000) break outer;
  }
  return { tokens, tokenTypes, merges, corpusMerges };
}

/** A SentencePiece-style vocabulary (GGUF tokenizer.ggml.model 'llama'): pieces, llama.cpp token types, scores. */
/**
 * A vocabulary grown to `size` with `[PAD<id>]` tokens no merge produces, as llama.cpp's converter
 * pads a vocabulary to the embedding's rows (there of type UNUSED, 5; the generated full-size files
 * use NORMAL, 1): the encoder never emits them, the head still has their rows.
 */
export function padVocab(v: BpeVocab, size: number, tokenType = 1): BpeVocab {
  if (v.tokens.length > size) throw new Error(`padVocab: ${v.tokens.length} tokens for ${size} rows`);
  const pad = Array.from({ length: size - v.tokens.length }, (_, i) => v.tokens.length + i);
  return { ...v, tokens: [...v.tokens, ...pad.map((id) => `[PAD${id}]`)], tokenTypes: [...v.tokenTypes, ...pad.map(() => tokenType)] };
}

export interface SpmVocab {
  tokens: string[];
  /** llama.cpp token types: 1 normal, 3 control, 5 unused, 6 byte. */
  tokenTypes: number[];
  scores: number[];
}

/**
 * The same vocabulary the SentencePiece way, as Gemma's or Llama 2's GGUF files hold theirs: text
 * pieces with '▁' for the space, one '<0xNN>' piece per byte that is not printable ASCII or a newline
 * (byte fallback), specials kept as control pieces, and scores −id, SentencePiece BPE's merge order
 * (a pair merges before another when the piece it makes came earlier). Pieces that are not whole UTF-8
 * text (the synthetic merges of partial bytes), hold a control character, or repeat one, become '<unusedN>' placeholders, so
 * ids stay those of the byte-level vocabulary.
 */
export function sentencePieceOf(v: BpeVocab): SpmVocab {
  const fromUnicode = new Map(byteToUnicode().map((c, b) => [c, b]));
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const out: SpmVocab = { tokens: [], tokenTypes: [], scores: [] };
  const seen = new Set<string>();
  const add = (t: string, type: number, score: number) => {
    out.tokens.push(t);
    out.tokenTypes.push(type);
    out.scores.push(score);
    seen.add(t);
  };
  v.tokens.forEach((t, i) => {
    if (v.tokenTypes[i] === 3) return add(t, 3, 0);
    const bytes = Uint8Array.from([...t], (c) => fromUnicode.get(c)!);
    if (bytes.length === 1 && (bytes[0] < 0x20 || bytes[0] > 0x7e) && bytes[0] !== 0x0a) return add(`<0x${bytes[0].toString(16).toUpperCase().padStart(2, '0')}>`, 6, 0);
    let text: string | undefined;
    try {
      text = utf8.decode(bytes).replaceAll(' ', '▁');
    } catch {
      text = undefined;
    }
    // control characters inside a piece (synthetic merges of a text piece and a low byte): llama.cpp
    // reads pieces as C strings, so "keep\0" would come back as "keep", a second copy of that piece
    if (text === undefined || seen.has(text) || (text.length > 1 && /[\x00-\x08\x0b-\x1f\x7f]/.test(text))) return add(`<unused${i}>`, 5, 0);
    add(text, 1, -i);
  });
  return out;
}
