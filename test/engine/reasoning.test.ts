import { describe, expect, it } from 'vitest';
import { splitReasoning } from '../../src/ui/chat/reasoning.ts';

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
