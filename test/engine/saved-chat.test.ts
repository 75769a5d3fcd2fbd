/** The chat tab's saved conversation (src/ui/chat/saved.ts): round trip, and nothing malformed gets through. */
import { describe, expect, it } from 'vitest';
import { loadSavedChat, saveChat, SAVED_CHAT_KEY, SAVED_TURNS_MAX, type SavedChat } from '../../src/ui/chat/saved.ts';
import { DEFAULT_SETTINGS } from '../../src/ui/chat/settings.ts';

function memoryStorage(limit = Infinity) {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => {
      if (v.length > limit) throw new Error('QuotaExceededError: the quota has been exceeded');
      m.set(k, v);
    },
    removeItem: (k: string) => void m.delete(k),
    raw: m,
  };
}

const chat: SavedChat = {
  turns: [
    { role: 'user', content: 'ROMEO:' },
    { role: 'assistant', content: ' But soft', stats: '3 tokens' },
    { role: 'user', content: 'again' },
    { role: 'assistant', content: 'partial', live: true },
  ],
  settings: { ...DEFAULT_SETTINGS, maxTokens: 8, temperature: 0 },
  backend: 'wasm',
  contextLength: 512,
  kvCache: 'f16',
  attention: 'sparse',
  modelId: 'abc',
};

describe('saved chat', () => {
  it('round-trips; a reply still streaming reads back as stopped', () => {
    const st = memoryStorage();
    expect(saveChat(chat, st)).toBeUndefined();
    const back = loadSavedChat(st);
    expect(back.turns).toEqual([chat.turns[0], chat.turns[1], chat.turns[2], { role: 'assistant', content: 'partial', stopped: true }]);
    expect(back).toMatchObject({ settings: chat.settings, backend: 'wasm', contextLength: 512, kvCache: 'f16', attention: 'sparse', modelId: 'abc' });
  });

  it('drops what is malformed, field by field, and never throws', () => {
    const st = memoryStorage();
    for (const text of ['not json', '[]', 'null', '42']) {
      st.setItem(SAVED_CHAT_KEY, text);
      expect(loadSavedChat(st)).toEqual({});
    }
    st.setItem(SAVED_CHAT_KEY, JSON.stringify({
      turns: [{ role: 'system', content: 'x' }, { role: 'user', content: 3 }, { role: 'user', content: 'ok' }, null],
      settings: { temperature: 'hot', maxTokens: 16, topK: null, thinking: 'no' },
      backend: 'cuda',
      contextLength: -5,
      kvCache: 'f8',
      attention: 'flash',
      modelId: 7,
    }));
    expect(loadSavedChat(st)).toEqual({ turns: [{ role: 'user', content: 'ok' }], settings: { ...DEFAULT_SETTINGS, maxTokens: 16 } });
    expect(loadSavedChat(undefined)).toEqual({});
    // the thinking switch is kept when it is a boolean
    st.setItem(SAVED_CHAT_KEY, JSON.stringify({ settings: { ...DEFAULT_SETTINGS, thinking: false } }));
    expect(loadSavedChat(st).settings?.thinking).toBe(false);
  });

  it('keeps the newest messages of a long chat, and reports a full storage instead of throwing', () => {
    const st = memoryStorage();
    const many = Array.from({ length: SAVED_TURNS_MAX + 10 }, (_, i) => ({ role: (i % 2 ? 'assistant' : 'user') as 'user' | 'assistant', content: `m${i}` }));
    saveChat({ ...chat, turns: many }, st);
    const back = loadSavedChat(st).turns!;
    expect(back.length).toBe(SAVED_TURNS_MAX);
    expect(back[back.length - 1].content).toBe(`m${SAVED_TURNS_MAX + 9}`);
    const small = memoryStorage(100);
    expect(saveChat(chat, small)).toMatch(/quota/i);
  });
});
