/**
 * One tab at a time saves the chat. Every tab of the app shares one localStorage entry
 * (chat/saved.ts), so two tabs saving would overwrite each other's conversation, and the one
 * written last would silently win. A Web Lock decides which tab saves: the first tab to open the
 * chat holds it until it closes. Another tab is told (the chat shows why it is not saving) and can
 * take the lock over, and the tab that held it is then told in turn. No tab takes the lock over by
 * itself when the holder closes: its conversation would replace the one the holder just saved.
 */

/** The lock's name, shared by every tab of the origin. */
export const CHAT_SAVE_LOCK = 'sparrow.chat.save';

/**
 * How long a tab waits for the lock when it opens before it counts as a second tab. A reloading
 * tab's old page may still hold the lock for a moment.
 */
export const CHAT_SAVE_LOCK_WAIT_MS = 1500;

/** What `LockManager.request` needs here (the browser's navigator.locks; a fake in Node tests). */
export interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal; steal?: boolean }, callback: (lock: unknown) => Promise<void> | void): Promise<unknown>;
}

/** A tab's claim on saving the chat. */
export interface ChatSaveLock {
  /** Take the lock from the tab holding it (this tab saves from now on, the other stops). */
  takeOver(): void;
  /** Give the lock back (the chat view is going away). */
  release(): void;
}

/**
 * Claim the right to save the chat. `onChange(true)` once this tab holds the lock, `onChange(false)`
 * when another tab holds it (after `waitMs`) or takes it from this tab. Without Web Locks (an old
 * browser) every tab saves, as before.
 */
export function claimChatSave(
  onChange: (saving: boolean) => void,
  locks: LockManagerLike | undefined = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks,
  waitMs = CHAT_SAVE_LOCK_WAIT_MS,
): ChatSaveLock {
  if (!locks) {
    onChange(true);
    return { takeOver() {}, release() {} };
  }
  let releaseHeld: (() => void) | undefined;
  let closed = false;
  // each request's generation: only the latest one speaks (a takeover's own earlier request may settle after it)
  let generation = 0;
  const hold = (steal: boolean) => {
    const mine = ++generation;
    const options = steal ? { steal: true } : { signal: AbortSignal.timeout(waitMs) };
    locks
      .request(CHAT_SAVE_LOCK, options, () => {
        if (closed || mine !== generation) return;
        onChange(true);
        // held until released, or until another tab steals it (then request() rejects)
        return new Promise<void>((resolve) => (releaseHeld = resolve));
      })
      .catch(() => {
        // timed out waiting (another tab holds it), or stolen by another tab
        if (mine !== generation) return;
        releaseHeld = undefined;
        if (!closed) onChange(false);
      });
  };
  hold(false);
  return {
    takeOver() {
      if (!closed) hold(true);
    },
    release() {
      closed = true;
      releaseHeld?.();
      releaseHeld = undefined;
    },
  };
}
