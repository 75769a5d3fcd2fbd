/** Sampling settings of the chat UI and their defaults (sensible for both the byte-level micro model and small BPE models). */
export interface ChatSettings {
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  maxTokens: number;
  seed: number;
}

export const DEFAULT_SETTINGS: ChatSettings = { temperature: 0.8, topK: 40, topP: 0.95, repetitionPenalty: 1.1, maxTokens: 200, seed: 1 };

/** One message of the conversation as the UI shows it. */
export interface Turn {
  role: 'user' | 'assistant';
  content: string;
  /** Still streaming. */
  live?: boolean;
  /** Stopped by the user. */
  stopped?: boolean;
  /** e.g. "42 tokens · 180 tok/s". */
  stats?: string;
}
