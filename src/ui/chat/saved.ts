/**
 * The chat tab's conversation and choices, kept in localStorage so that a reload (or a closed tab)
 * loses nothing: the messages, the sampling settings, the backend / context / KV cache / attention choices and
 * which model was loaded. Everything read back is checked field by field; anything malformed is
 * dropped (a damaged entry never breaks the tab), and a reply that was still streaming comes back
 * marked as stopped.
 */
import type { BackendChoice } from '../../worker/chat-api.ts';
import { DEFAULT_SETTINGS, type ChatSettings, type NumericSetting, type Turn } from './settings.ts';

export const SAVED_CHAT_KEY = 'sparrow.chat.v1';
/** Messages kept at most (the newest); a long chat's older turns are dropped from storage first. */
export const SAVED_TURNS_MAX = 400;

export interface SavedChat {
  turns: Turn[];
  settings: ChatSettings;
  backend: BackendChoice;
  contextLength: number | null;
  kvCache: 'f32' | 'f16';
  attention?: 'dense' | 'sparse';
  int8Activations?: boolean;
  /** Id of the model that was loaded (restored when it is still in the offline cache). */
  modelId?: string;
}

type Storage = Pick<globalThis.Storage, 'getItem' | 'setItem' | 'removeItem'>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function turnOf(v: unknown): Turn | undefined {
  if (!isObj(v) || (v.role !== 'user' && v.role !== 'assistant') || typeof v.content !== 'string') return undefined;
  const t: Turn = { role: v.role, content: v.content };
  if (v.stopped === true || v.live === true) t.stopped = true; // a reply cut off by the reload counts as stopped
  if (v.failed === true) t.failed = true;
  if (typeof v.stats === 'string') t.stats = v.stats;
  return t;
}

/** What was saved, every field checked (absent or malformed fields are left out). */
export function loadSavedChat(storage: Storage | undefined = globalThis.localStorage): Partial<SavedChat> {
  let raw: unknown;
  try {
    const text = storage?.getItem(SAVED_CHAT_KEY);
    if (!text) return {};
    raw = JSON.parse(text);
  } catch {
    return {};
  }
  if (!isObj(raw)) return {};
  const out: Partial<SavedChat> = {};
  if (Array.isArray(raw.turns)) out.turns = raw.turns.map(turnOf).filter((t): t is Turn => t !== undefined).slice(-SAVED_TURNS_MAX);
  if (isObj(raw.settings)) {
    const s: ChatSettings = { ...DEFAULT_SETTINGS };
    for (const k of Object.keys(DEFAULT_SETTINGS) as Array<keyof ChatSettings>) {
      const v = raw.settings[k];
      if (k === 'thinking') {
        if (typeof v === 'boolean') s.thinking = v;
      } else if (typeof v === 'number' && Number.isFinite(v)) s[k as NumericSetting] = v;
    }
    out.settings = s;
  }
  if (raw.backend === 'auto' || raw.backend === 'webgpu' || raw.backend === 'wasm') out.backend = raw.backend;
  if (raw.contextLength === null || (typeof raw.contextLength === 'number' && Number.isInteger(raw.contextLength) && raw.contextLength > 0)) out.contextLength = raw.contextLength as number | null;
  if (raw.kvCache === 'f32' || raw.kvCache === 'f16') out.kvCache = raw.kvCache;
  if (raw.attention === 'dense' || raw.attention === 'sparse') out.attention = raw.attention;
  if (typeof raw.int8Activations === 'boolean') out.int8Activations = raw.int8Activations;
  if (typeof raw.modelId === 'string') out.modelId = raw.modelId;
  return out;
}

/** Save the chat; returns why it could not be saved (e.g. the storage quota), else undefined. */
export function saveChat(c: SavedChat, storage: Storage | undefined = globalThis.localStorage): string | undefined {
  if (!storage) return 'no local storage in this browser';
  // a reply still streaming is saved as it stands (it reads back as stopped)
  const turns = c.turns.slice(-SAVED_TURNS_MAX).map(({ role, content, live, stopped, failed, stats }) => ({ role, content, stopped: stopped || live, failed, stats }));
  try {
    storage.setItem(SAVED_CHAT_KEY, JSON.stringify({ ...c, turns }));
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
