/**
 * The offline model cache: a user's model files kept in IndexedDB (idb-keyval) so the model is
 * there after a reload without the original files. One job: put bytes in, get them back intact.
 *
 * Layout (one object store, string keys):
 *   m:<id>                  StoredModel manifest — written LAST, so it doubles as the commit marker
 *   c:<id>:<gen>:<f>:<k>    Blob, chunk k of file f of write generation <gen> (CHUNK_BYTES each;
 *                           IndexedDB copes badly with single multi-hundred-MB values, and chunks
 *                           let a failed write be undone). Re-saving an id writes a new generation
 *                           and swaps the manifest, so a failed re-save leaves the old copy whole.
 * Every chunk's size and SHA-256 are in the manifest; `open` checks them and answers a missing,
 * truncated or altered chunk with FORMAT_INVALID instead of handing damaged bytes to a parser.
 *
 * Quota: `save` checks navigator.storage.estimate() before writing; a QuotaExceededError while
 * writing becomes SparrowError QUOTA_EXCEEDED after the partial entry's chunks are deleted, so
 * previously stored models are untouched. `setLimits` lets tests make the quota tiny or make a
 * write fail after N bytes (the browser's real quota is far too large to hit in a test).
 */
import { createStore, del, delMany, get, keys, set, update, type UseStore } from 'idb-keyval';
import { SparrowError } from '../errors.ts';

/** 8 MiB: large enough that per-value overhead is noise, small enough to undo cheaply. */
export const CHUNK_BYTES = 8 << 20;

export interface StoredFile {
  name: string;
  size: number;
  /** File.lastModified of the original, when known (shown, and used to spot a re-pick). */
  lastModified: number;
  /** Per-chunk byte counts and hex SHA-256, in order. */
  chunkSizes: number[];
  chunkSha256: string[];
}

export interface StoredModel {
  id: string;
  name: string;
  family: string;
  format: 'gguf' | 'safetensors';
  files: StoredFile[];
  /** Sum of the file sizes. */
  bytes: number;
  savedAt: number;
  /** Write generation of the chunks. */
  gen: string;
}

export interface StoreLimits {
  /** Pretend the origin's quota is this many bytes (usage = bytes already stored here). */
  quotaBytes?: number;
  /** Throw a QuotaExceededError once this many bytes were written by one save (simulates the browser). */
  failWriteAfterBytes?: number;
  /** Throw a NotReadableError when reading the source past this many bytes (simulates the browser). */
  failReadAfterBytes?: number;
}

export interface StoreProgress {
  done: number;
  total: number;
}

const manifestKey = (id: string) => `m:${id}`;
const chunkKey = (id: string, gen: string, f: number, k: number) => `c:${id}:${gen}:${f}:${k}`;

async function sha256Hex(data: ArrayBuffer): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

function isQuotaError(e: unknown): boolean {
  const n = (e as { name?: string } | null)?.name;
  return n === 'QuotaExceededError' || (e instanceof SparrowError && e.code === 'QUOTA_EXCEEDED');
}

function mib(n: number): string {
  return n < 1048576 ? `${Math.round(n / 1024)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
}

export class ModelStore {
  private readonly db: UseStore;
  private limits: StoreLimits = {};

  constructor(dbName = 'sparrow-models') {
    this.db = createStore(dbName, 'entries');
  }

  setLimits(limits: StoreLimits): void {
    this.limits = { ...limits };
  }

  /** Complete entries only (a manifest exists), newest first. */
  async list(): Promise<StoredModel[]> {
    const all = (await keys(this.db)).filter((k): k is string => typeof k === 'string' && k.startsWith('m:'));
    const out: StoredModel[] = [];
    for (const k of all) {
      const m = await get<StoredModel>(k, this.db);
      if (m) out.push(m);
    }
    return out.sort((a, b) => b.savedAt - a.savedAt);
  }

  async get(id: string): Promise<StoredModel | undefined> {
    return get<StoredModel>(manifestKey(id), this.db);
  }

  /** Bytes free for us: the pretend quota in tests, else the browser's estimate (undefined if unknown). */
  private async available(): Promise<{ free: number; quota: number; usage: number } | undefined> {
    if (this.limits.quotaBytes !== undefined) {
      const usage = (await this.list()).reduce((s, m) => s + m.bytes, 0);
      return { free: this.limits.quotaBytes - usage, quota: this.limits.quotaBytes, usage };
    }
    const est = await globalThis.navigator?.storage?.estimate?.().catch(() => undefined);
    if (!est || est.quota === undefined) return undefined;
    const usage = est.usage ?? 0;
    return { free: est.quota - usage, quota: est.quota, usage };
  }

  /**
   * Store `files` under `meta.id` (replacing an entry of that id). Throws QUOTA_EXCEEDED (nothing
   * of this entry left behind) when the bytes do not fit.
   *
   * `ifGen` makes the save conditional: it commits only if the stored entry is still write
   * generation `ifGen` (null: no entry), checked in the same IndexedDB transaction that writes
   * the manifest, so two tabs cannot both pass it. Otherwise it throws CONFLICT, removes the
   * chunks it wrote and leaves the stored entry as it is.
   */
  async save(meta: Pick<StoredModel, 'id' | 'name' | 'family' | 'format'>, files: Array<{ name: string; blob: Blob; lastModified?: number }>, onProgress?: (p: StoreProgress) => void, ifGen?: string | null): Promise<StoredModel> {
    const total = files.reduce((s, f) => s + f.blob.size, 0);
    const room = await this.available();
    // A re-save writes the new copy before dropping the old one, so it needs the full room too.
    const old = await this.get(meta.id);
    const gen = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
    if (room && room.free < total) {
      throw new SparrowError(
        'QUOTA_EXCEEDED',
        `Not enough browser storage to keep "${meta.name}" offline: it needs ${mib(total)}, ${mib(Math.max(0, room.free))} of ${mib(room.quota)} is free. Delete a cached model or free space; the model still runs for this session.`,
        { needed: total, free: room.free, quota: room.quota },
      );
    }
    const written: string[] = [];
    const stored: StoredFile[] = [];
    let done = 0;
    try {
      for (let f = 0; f < files.length; f++) {
        const { name, blob } = files[f];
        const sf: StoredFile = { name, size: blob.size, lastModified: files[f].lastModified ?? 0, chunkSizes: [], chunkSha256: [] };
        for (let k = 0, at = 0; at < blob.size || (k === 0 && blob.size === 0); k++, at += CHUNK_BYTES) {
          const part = blob.slice(at, Math.min(blob.size, at + CHUNK_BYTES));
          const failRead = this.limits.failReadAfterBytes !== undefined && done + part.size > this.limits.failReadAfterBytes;
          const read = failRead ? Promise.reject(new DOMException('simulated: The requested file could not be read', 'NotReadableError')) : part.arrayBuffer();
          const buf = await read.catch((e: unknown) => {
            // Chromium refuses to read a Blob back when its in-memory Blob storage is full (2 GiB in
            // all in a private window, which never spills Blobs to disk): with a 1.4 GiB model the
            // downloaded file plus the chunk copies can pass that. Its message blames permissions.
            if ((e as { name?: string } | null)?.name !== 'NotReadableError') throw e;
            throw new SparrowError(
              'QUOTA_EXCEEDED',
              `The browser could not read "${name}" back while caching it offline (after ${mib(done)} of ${mib(total)}): large files can exceed the browser's in-memory file storage, e.g. in a private window. The partial copy was removed; cached models are intact. The model still runs for this session.`,
              { needed: total, written: done, reason: 'NotReadableError' },
            );
          });
          if (this.limits.failWriteAfterBytes !== undefined && done + buf.byteLength > this.limits.failWriteAfterBytes) {
            throw new DOMException(`simulated: quota reached after ${done} bytes`, 'QuotaExceededError');
          }
          const key = chunkKey(meta.id, gen, f, k);
          written.push(key);
          // Store the bytes we hashed (not a lazy slice of a File the user may change meanwhile).
          await set(key, new Blob([buf]), this.db);
          sf.chunkSizes.push(buf.byteLength);
          sf.chunkSha256.push(await sha256Hex(buf));
          done += buf.byteLength;
          onProgress?.({ done, total });
          if (blob.size === 0) break;
        }
        stored.push(sf);
      }
      const manifest: StoredModel = { ...meta, files: stored, bytes: total, savedAt: Date.now(), gen };
      if (ifGen === undefined) await set(manifestKey(meta.id), manifest, this.db);
      else {
        // throwing inside the updater aborts before the put: the transaction commits nothing
        await update<StoredModel>(manifestKey(meta.id), (current) => {
          if ((current?.gen ?? null) !== ifGen) {
            throw new SparrowError('CONFLICT', `"${meta.name}" was saved elsewhere (another tab) since this copy was read${current ? ` (at ${new Date(current.savedAt).toISOString()})` : ', then deleted'}; it was not overwritten.`, { id: meta.id, savedAt: current?.savedAt });
          }
          return manifest;
        }, this.db);
      }
      // the generation this save replaced (a conditional save replaced exactly ifGen)
      const replaced = ifGen === undefined ? old?.gen : ifGen;
      if (replaced) await this.deleteChunks(meta.id, replaced).catch(() => undefined);
      return manifest;
    } catch (e) {
      await delMany(written, this.db).catch(() => undefined);
      if (e instanceof SparrowError) throw e;
      if (isQuotaError(e)) {
        throw new SparrowError(
          'QUOTA_EXCEEDED',
          `Browser storage is full: "${meta.name}" (${mib(total)}) could not be cached offline after ${mib(done)} were written. The partial copy was removed; cached models are intact. Delete a cached model or free space.`,
          { needed: total, written: done },
        );
      }
      throw e;
    }
  }

  /**
   * The stored files as Blobs, every chunk checked against the manifest. Throws NOT_FOUND
   * for an unknown id and FORMAT_INVALID for a damaged entry.
   */
  async open(id: string, onProgress?: (p: StoreProgress) => void): Promise<{ model: StoredModel; files: Array<{ name: string; blob: Blob }> }> {
    const model = await this.get(id);
    if (!model) throw new SparrowError('NOT_FOUND', `No cached model with id "${id}"`, { id });
    const damaged = (why: string) =>
      new SparrowError('FORMAT_INVALID', `Cached model "${model.name}" is damaged (${why}); delete it and load the files again.`, { id });
    const files: Array<{ name: string; blob: Blob }> = [];
    let done = 0;
    for (let f = 0; f < model.files.length; f++) {
      const sf = model.files[f];
      if (sf.chunkSizes.reduce((a, b) => a + b, 0) !== sf.size || sf.chunkSizes.length !== sf.chunkSha256.length) throw damaged(`${sf.name}: manifest sizes disagree`);
      const parts: Blob[] = [];
      for (let k = 0; k < sf.chunkSizes.length; k++) {
        const blob = await get<Blob>(chunkKey(id, model.gen, f, k), this.db);
        if (!(blob instanceof Blob)) throw damaged(`${sf.name}: chunk ${k + 1} of ${sf.chunkSizes.length} is missing`);
        if (blob.size !== sf.chunkSizes[k]) throw damaged(`${sf.name}: chunk ${k + 1} holds ${blob.size} bytes, expected ${sf.chunkSizes[k]}`);
        if ((await sha256Hex(await blob.arrayBuffer())) !== sf.chunkSha256[k]) throw damaged(`${sf.name}: chunk ${k + 1} fails its SHA-256 check`);
        parts.push(blob);
        done += blob.size;
        onProgress?.({ done, total: model.bytes });
      }
      files.push({ name: sf.name, blob: new Blob(parts) });
    }
    return { model, files };
  }

  /** Remove an entry: manifest first (so a half-deleted entry is never listed), then its chunks. */
  async delete(id: string): Promise<void> {
    await del(manifestKey(id), this.db);
    await this.deleteChunks(id);
  }

  /** Chunks of one id (of one write generation when given). */
  private async deleteChunks(id: string, gen?: string): Promise<void> {
    const prefix = gen === undefined ? `c:${id}:` : `c:${id}:${gen}:`;
    const chunks = (await keys(this.db)).filter((k): k is string => typeof k === 'string' && k.startsWith(prefix));
    if (chunks.length) await delMany(chunks, this.db);
  }

  /** Test/debug aid: overwrite one stored chunk (e.g. with fewer bytes) to check damage detection. */
  async damageChunk(id: string, file: number, chunk: number, blob: Blob): Promise<void> {
    const m = await this.get(id);
    if (!m) throw new SparrowError('NOT_FOUND', `No cached model with id "${id}"`, { id });
    await set(chunkKey(id, m.gen, file, chunk), blob, this.db);
  }
}
