/** Sampling settings of the chat UI and their defaults (sensible for both the byte-level micro model and small BPE models). */
export interface ChatSettings {
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  maxTokens: number;
  seed: number;
  /** Let a model whose chat template can reason first (Qwen3, Qwen3.5: enable_thinking) do so; off skips it. */
  thinking: boolean;
}

/** The numeric settings (checked by settingsProblems). */
export type NumericSetting = Exclude<keyof ChatSettings, 'thinking'>;

export const DEFAULT_SETTINGS: ChatSettings = { temperature: 0.8, topK: 40, topP: 0.95, repetitionPenalty: 1.1, maxTokens: 200, seed: 1, thinking: true };

/** The engine's generate options of the UI settings: thinking off sends the template's enable_thinking false. */
export function generateOptions({ thinking, ...sampling }: ChatSettings): Omit<ChatSettings, 'thinking'> & { enableThinking?: boolean } {
  return { ...sampling, ...(thinking ? {} : { enableThinking: false }) };
}

/** One message of the conversation as the UI shows it. */
export interface Turn {
  role: 'user' | 'assistant';
  content: string;
  /** Still streaming. */
  live?: boolean;
  /** Stopped by the user. */
  stopped?: boolean;
  /** Ended by an error part-way (left out of the history sent with the next message). */
  failed?: boolean;
  /** e.g. "42 tokens · 180 tok/s". */
  stats?: string;
}

/** What each setting accepts (the engine's own checks, in words a user can act on). */
const RULES: Array<{ key: NumericSetting; label: string; ok: (v: number) => boolean; want: string }> = [
  { key: 'temperature', label: 'Temperature', ok: (v) => Number.isFinite(v) && v >= 0, want: 'a number ≥ 0 (0 is greedy)' },
  { key: 'topK', label: 'Top-k', ok: (v) => Number.isInteger(v) && v >= 0, want: 'a whole number ≥ 0 (0 turns it off)' },
  { key: 'topP', label: 'Top-p', ok: (v) => v > 0 && v <= 1, want: 'a number above 0 and at most 1 (1 turns it off)' },
  { key: 'repetitionPenalty', label: 'Repetition penalty', ok: (v) => Number.isFinite(v) && v > 0, want: 'a number above 0 (1 turns it off)' },
  { key: 'maxTokens', label: 'Max tokens', ok: (v) => Number.isInteger(v) && v >= 1 && v <= 65536, want: 'a whole number from 1 to 65536' },
  { key: 'seed', label: 'Seed', ok: (v) => Number.isFinite(v), want: 'a number' },
];

/**
 * The settings a generation would be refused for, each with a message naming the field (an
 * emptied number field binds null): checked before sending, so the prompt is not used up.
 */
export function settingsProblems(s: ChatSettings): Array<{ key: NumericSetting; message: string }> {
  return RULES.filter((r) => !(typeof s[r.key] === 'number' && r.ok(s[r.key]))).map((r) => ({
    key: r.key,
    message: `${r.label} ${typeof s[r.key] === 'number' ? `${s[r.key]} is out of range` : 'is empty'}: enter ${r.want}.`,
  }));
}
