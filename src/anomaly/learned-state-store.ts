/**
 * Where the anomaly detector's learned state lives between page loads: IndexedDB through the
 * model cache's ModelStore (its own database, "sparrow-learned-state"), one entry per
 * (model weights hash, stream id). ModelStore gives what this needs: each blob's SHA-256 is
 * checked on read (damage → FORMAT_INVALID, the record left as it is), a re-save writes the new
 * copy before swapping the manifest, and a quota failure (QUOTA_EXCEEDED) leaves the previous
 * state intact.
 */
import { SparrowError } from '../errors.ts';
import { ModelStore, type StoreLimits } from '../worker/model-store.ts';

export interface LearnedStateEntry {
  streamId: string;
  modelHash: string;
  bytes: number;
  savedAt: number;
  /** The record's write generation: a conditional save (`ifGen`) names the one it replaces. */
  gen: string;
}

const FAMILY = 'learned-state';
const entryId = (modelHash: string, streamId: string) => `${modelHash}:${streamId}`;

export class LearnedStateStore {
  private readonly store: ModelStore;

  constructor(dbName = 'sparrow-learned-state') {
    this.store = new ModelStore(dbName);
  }

  setLimits(limits: StoreLimits): void {
    this.store.setLimits(limits);
  }

  async list(): Promise<LearnedStateEntry[]> {
    return (await this.store.list())
      .filter((m) => m.family === FAMILY)
      .map((m) => ({ streamId: m.name, modelHash: m.id.slice(0, m.id.length - m.name.length - 1), bytes: m.bytes, savedAt: m.savedAt, gen: m.gen }));
  }

  /** The stored record's entry (its manifest only, no bytes read), or undefined. */
  async peek(modelHash: string, streamId: string): Promise<LearnedStateEntry | undefined> {
    const m = await this.store.get(entryId(modelHash, streamId));
    return m && { streamId, modelHash, bytes: m.bytes, savedAt: m.savedAt, gen: m.gen };
  }

  /**
   * Save `bytes` for the pair. With `ifGen` (the generation this state was restored from or last
   * saved as; null: there was no record), only if the record is still that one: a save from a second
   * tab that restored or saved the same stream in between throws CONFLICT and overwrites nothing.
   */
  async save(modelHash: string, streamId: string, bytes: Uint8Array, ifGen?: string | null): Promise<LearnedStateEntry> {
    try {
      const m = await this.store.save({ id: entryId(modelHash, streamId), name: streamId, family: FAMILY, format: 'safetensors' }, [{ name: 'state.safetensors', blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) }], undefined, ifGen);
      return { streamId, modelHash, bytes: m.bytes, savedAt: m.savedAt, gen: m.gen };
    } catch (e) {
      if (e instanceof SparrowError && e.code === 'CONFLICT') {
        const at = typeof e.details?.savedAt === 'number' ? ` at ${new Date(e.details.savedAt).toLocaleTimeString()}` : '';
        throw new SparrowError(
          'CONFLICT',
          `The learned state of "${streamId}" was saved by another tab${at} after this tab opened the stream, so this tab's state was not saved over it. Start the stream again to continue from the newest saved state.`,
          { ...e.details, streamId },
        );
      }
      if (e instanceof SparrowError && e.code === 'QUOTA_EXCEEDED') {
        throw new SparrowError('QUOTA_EXCEEDED', `Browser storage is full: the learned state of "${streamId}" (${bytes.length} bytes) was not saved; the previously saved state is intact.`, { ...e.details, streamId });
      }
      throw e;
    }
  }

  /** The stored bytes (SHA-256 checked), or undefined when nothing is stored for the pair. */
  async load(modelHash: string, streamId: string): Promise<{ bytes: Uint8Array; entry: LearnedStateEntry } | undefined> {
    const id = entryId(modelHash, streamId);
    if (!(await this.store.get(id))) return undefined;
    const { model, files } = await this.store.open(id).catch((e: unknown) => {
      if (e instanceof SparrowError && e.code === 'FORMAT_INVALID') {
        throw new SparrowError('FORMAT_INVALID', `The saved learned state of "${streamId}" is damaged (${e.message}); it was left as it is and the detector starts fresh.`, { ...e.details, streamId });
      }
      throw e;
    });
    return { bytes: new Uint8Array(await files[0].blob.arrayBuffer()), entry: { streamId, modelHash, bytes: model.bytes, savedAt: model.savedAt, gen: model.gen } };
  }

  async delete(modelHash: string, streamId: string): Promise<void> {
    await this.store.delete(entryId(modelHash, streamId));
  }

  /** Test aid: overwrite the stored bytes without updating the checksum. */
  async damage(modelHash: string, streamId: string, bytes: Uint8Array): Promise<void> {
    await this.store.damageChunk(entryId(modelHash, streamId), 0, 0, new Blob([bytes as Uint8Array<ArrayBuffer>]));
  }
}
