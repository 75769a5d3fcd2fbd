import { describe, expect, it } from 'vitest';
import { splitReasoning } from '../../src/ui/chat/reasoning.ts';
import { DEFAULT_SETTINGS, generateOptions } from '../../src/ui/chat/settings.ts';

describe('splitReasoning (the chat folds a <think> block away)', () => {
  it('a block the template opened: everything before </think> is reasoning', () => {
    expect(splitReasoning('Let me see.\nOK.\n</think>\n\nParis.')).toEqual({ reasoning: 'Let me see.\nOK.', answer: 'Paris.' });
  });
  it('a block the reply opened and closed; one not closed yet is all reasoning so far', () => {
    expect(splitReasoning('<think>\nhm\n</think>\n\nYes')).toEqual({ reasoning: 'hm', answer: 'Yes' });
    expect(splitReasoning('<think>\nstill going')).toEqual({ reasoning: 'still going', answer: '' });
  });
  it('no block: all answer, untouched (leading spaces kept); an empty block (thinking off) leaves the answer', () => {
    expect(splitReasoning('  plain text <b>')).toEqual({ answer: '  plain text <b>' });
    expect(splitReasoning('<think>\n\n</think>\n\nHi')).toEqual({ reasoning: '', answer: 'Hi' });
  });
});

describe('generateOptions (the UI settings as the engine takes them)', () => {
  it('thinking off sends enable_thinking false; on leaves the template default; the UI-only key is not sent', () => {
    const off = generateOptions({ ...DEFAULT_SETTINGS, thinking: false });
    expect(off).toMatchObject({ enableThinking: false, maxTokens: DEFAULT_SETTINGS.maxTokens });
    expect('thinking' in off).toBe(false);
    const on = generateOptions(DEFAULT_SETTINGS);
    expect('enableThinking' in on || 'thinking' in on).toBe(false);
  });
});
