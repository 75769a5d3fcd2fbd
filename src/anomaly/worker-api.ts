/**
 * Anomaly-demo methods of the engine worker (mixed into EngineApi by src/worker/engine-worker.ts):
 * load the sensor micro model, stream values through the detector in batches, toggle the
 * model's inner-loop adaptation. Everything returned is plain, structured-cloneable data.
 *
 * Learned-state persistence (docs/anomaly.md): `anomalyOpenStream(id)` starts a stream that
 * restores what was learned on it before (IndexedDB, keyed by model weights hash + stream id,
 * learned-state-store.ts), auto-saves every `everyValues` values / `everyMs` ms while pushing, and
 * can be saved, reloaded, forgotten and listed explicitly.
 */
import { SparrowError } from '../errors.ts';
import { loadMicro } from '../models/micro-weights.ts';
import { MicroWasm } from '../models/micro-wasm.ts';
import { MicroModel } from '../models/micro.ts';
import { paramCount } from '../models/micro-config.ts';
import { DEFAULT_DETECTOR, StreamingDetector, type MicroStepper } from './detector.ts';
import { exportDetectorState, importDetectorState } from './detector-state.ts';
import { LearnedStateStore, type LearnedStateEntry } from './learned-state-store.ts';
import { microWeightsHash } from '../models/micro-state.ts';
import type { StoreLimits } from '../worker/model-store.ts';
import { syntheticStream, xorshift, type StreamKind } from './synthetic.ts';

export interface AnomalyModelInfo {
  params: number;
  vocab: number;
  engine: 'wasm' | 'ts';
  meta: Record<string, string>;
}

export interface AnomalyBatch {
  scores: Float64Array;
  /** Raw surprise in [0, 1] (NaN where the value was skipped). */
  raw: Float64Array;
  tokens: Int32Array;
  /** Stream points scored per second over this batch (detector included; the model steps once per view stride). */
  pointsPerSec: number;
  /** The last auto-save of the open stream (or its failure), when there is an open stream. */
  persist?: PersistStatus;
}

/** What a restore brought back. */
export interface LearnedStateInfo {
  streamId: string;
  savedAt: number;
  /** Finite values the detector had scored. */
  points: number;
  /** Values pushed in all (skipped ones included): where a recorded series continues. */
  values: number;
  bytes: number;
}

export interface OpenStreamResult {
  /** null: fresh state (nothing stored, or the stored state could not be used: see `error`). */
  restored: LearnedStateInfo | null;
  /** Why a stored state was not used (stored record left untouched). */
  error?: { code: string; message: string };
}

export interface PersistStatus {
  lastSavedAt: number;
  lastSavedValues: number;
  error?: { code: string; message: string };
}

export interface PersistOptions {
  /** Auto-save after this many pushed values (0 = never by count). */
  everyValues: number;
  /** …or when this many ms passed since the last save (0 = never by time). */
  everyMs: number;
  /** Test aid: pretend quota / failing writes (model-store.ts StoreLimits). */
  limits?: StoreLimits;
}

export interface AnomalyApi {
  /** Fetch and load a sensor model (default: models/sensor.safetensors under the app's base URL). */
  anomalyLoad(url?: string): Promise<AnomalyModelInfo>;
  /** Fresh detector state (model context, memory, quantizer, likelihood). */
  anomalyReset(adapt: boolean): Promise<void>;
  /** Turn the delta-rule memory's online updates on or off (keeps all other state). */
  anomalySetAdapt(on: boolean): Promise<void>;
  anomalyPush(values: Float64Array): Promise<AnomalyBatch>;
  /** A seeded synthetic stream for the demo. */
  anomalySynthetic(kind: StreamKind, n: number, seed: number): Promise<Float64Array>;
  /** Fresh detector for stream `streamId`, then restore its saved learned state if there is one. */
  anomalyOpenStream(streamId: string, adapt: boolean): Promise<OpenStreamResult>;
  /** Save the open stream's learned state now (also the page-hide hook). */
  saveLearnedState(streamId?: string): Promise<LearnedStateEntry>;
  /** Fresh detector, then restore the saved state (throws the typed error; the detector stays fresh). */
  loadLearnedState(streamId?: string): Promise<LearnedStateInfo | null>;
  /**
   * Forget: delete the saved state and, for the open stream, start fresh. `modelHash` (from
   * listLearnedState) deletes another model version's record instead; the open stream is untouched.
   */
  resetLearnedState(streamId?: string, modelHash?: string): Promise<void>;
  /** Saved learned states (all models), newest first, with sizes and save times. */
  listLearnedState(): Promise<Array<LearnedStateEntry & { sameModel: boolean }>>;
  anomalyPersistOptions(o: Partial<PersistOptions>): Promise<void>;
  /** Test aid: overwrite a saved record's bytes without fixing its checksum. */
  anomalyDamageLearnedState(streamId: string, bytes: Uint8Array): Promise<void>;
}

export function createAnomalyApi(states = new LearnedStateStore()): AnomalyApi {
  let model: MicroStepper | undefined;
  let detector: StreamingDetector | undefined;
  let modelHash = '';
  /** The open stream (persistence on), values pushed on it, and auto-save bookkeeping. */
  let stream: string | undefined;
  let pushed = 0;
  let persist: PersistStatus = { lastSavedAt: 0, lastSavedValues: 0 };
  let options: PersistOptions = { everyValues: 2000, everyMs: 30_000 };
  let saving: Promise<unknown> = Promise.resolve();
  /** When the auto-save interval last started (stream opened or a save began): time (ms) and values pushed then. */
  let intervalStartMs = Date.now();
  let intervalStartValues = 0;
  /**
   * The open stream's stored record as this worker last knew it: the generation it restored or
   * last saved (null: none). Its saves are conditional on it, so a second tab streaming the same
   * stream cannot overwrite what this one saved, or the other way round; the loser gets CONFLICT
   * and stops auto-saving until the stream is opened again.
   */
  let baseGen: string | null = null;
  let conflicted = false;
  const need = () => {
    if (!detector) throw new SparrowError('INVALID_ARGUMENT', 'anomaly: call anomalyLoad first');
    return detector;
  };
  const fresh = (adapt: boolean) => {
    if (!model) throw new SparrowError('INVALID_ARGUMENT', 'anomaly: call anomalyLoad first');
    return (detector = new StreamingDetector(model, undefined, { ...DEFAULT_DETECTOR, adapt }));
  };
  const streamOf = (id?: string) => {
    const s = id ?? stream;
    if (!s) throw new SparrowError('INVALID_ARGUMENT', 'anomaly: no stream is open (call anomalyOpenStream or pass a stream id)');
    return s;
  };
  const errorOf = (e: unknown) => ({ code: e instanceof SparrowError ? e.code : 'INTERNAL', message: e instanceof Error ? e.message : String(e) });
  /** Saves run one after another (an auto-save never overlaps an explicit one). */
  const save = (id: string): Promise<LearnedStateEntry> => {
    const d = need();
    // serialise now (synchronously, at this exact point of the stream), write later
    const bytes = exportDetectorState(d, modelHash, { values: pushed, meta: { stream_id: id } });
    const at = pushed;
    intervalStartValues = pushed; // the auto-save count starts again from here
    intervalStartMs = Date.now();
    const open = id === stream; // another id (an explicit save under another name) is unconditional
    // baseGen is read when the save runs, after the saves queued before it have committed
    const p = saving.then(() => states.save(modelHash, id, bytes, open ? baseGen : undefined));
    saving = p.then(
      (e) => {
        if (open) baseGen = e.gen;
        persist = { lastSavedAt: e.savedAt, lastSavedValues: at };
      },
      (e: unknown) => {
        if (open && e instanceof SparrowError && e.code === 'CONFLICT') conflicted = true;
        persist = { ...persist, error: errorOf(e) };
      },
    );
    return p;
  };
  /** Restore `id` into the current (fresh) detector; on failure the detector is unchanged. */
  const restore = async (id: string): Promise<LearnedStateInfo | null> => {
    await saving;
    // a damaged record stays this stream's base: saving over it is how it gets repaired
    baseGen = (await states.peek(modelHash, id))?.gen ?? null;
    conflicted = false;
    const got = await states.load(modelHash, id);
    if (!got) return null;
    baseGen = got.entry.gen;
    const info = importDetectorState(need(), got.bytes, modelHash, `learned state "${id}"`);
    pushed = intervalStartValues = info.values;
    persist = { lastSavedAt: got.entry.savedAt, lastSavedValues: info.values };
    return { streamId: id, savedAt: got.entry.savedAt, points: info.points, values: info.values, bytes: got.entry.bytes };
  };
  return {
    async anomalyLoad(url?: string) {
      const href = url ?? new URL(`${import.meta.env?.BASE_URL ?? '/'}models/sensor.safetensors`, self.location.href).href;
      const res = await fetch(href);
      if (!res.ok) throw new SparrowError(res.status === 404 || res.status === 410 ? 'NOT_FOUND' : 'INVALID_ARGUMENT', `anomaly: fetching ${href} failed with HTTP ${res.status}`, { url: href, status: res.status });
      const { config, weights, metadata } = loadMicro(new Uint8Array(await res.arrayBuffer()), href);
      let engine: 'wasm' | 'ts' = 'wasm';
      try {
        model = await MicroWasm.create(config, weights);
      } catch {
        model = new MicroModel(config, weights);
        engine = 'ts';
      }
      detector = new StreamingDetector(model, undefined, DEFAULT_DETECTOR);
      modelHash = await microWeightsHash(config, weights);
      stream = undefined;
      return { params: paramCount(config), vocab: config.vocab, engine, meta: metadata };
    },
    async anomalyReset(adapt: boolean) {
      fresh(adapt);
      stream = undefined; // a plain reset is not persisted
    },
    async anomalySetAdapt(on: boolean) {
      need().adapt = on;
    },
    async anomalyPush(values: Float64Array) {
      const d = need();
      const n = values.length;
      const scores = new Float64Array(n), raw = new Float64Array(n), tokens = new Int32Array(n);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const s = d.push(values[i]);
        scores[i] = s.score;
        raw[i] = s.raw;
        tokens[i] = s.token;
      }
      const dt = (performance.now() - t0) / 1000;
      pushed += n;
      if (stream !== undefined) {
        const o = options;
        const unsaved = pushed - intervalStartValues;
        const due = !conflicted && unsaved > 0 && ((o.everyValues > 0 && unsaved >= o.everyValues) || (o.everyMs > 0 && Date.now() - intervalStartMs >= o.everyMs));
        if (due) {
          save(stream).catch(() => undefined); // failure lands in persist.error
        }
      }
      return { scores, raw, tokens, pointsPerSec: dt > 0 ? n / dt : 0, ...(stream !== undefined ? { persist: { ...persist } } : {}) };
    },
    async anomalySynthetic(kind: StreamKind, n: number, seed: number) {
      return syntheticStream(kind, n, xorshift(seed), false);
    },
    async anomalyOpenStream(streamId: string, adapt: boolean) {
      if (!streamId) throw new SparrowError('INVALID_ARGUMENT', 'anomalyOpenStream: stream id is empty');
      await saving;
      fresh(adapt);
      stream = streamId;
      pushed = intervalStartValues = 0;
      persist = { lastSavedAt: 0, lastSavedValues: 0 };
      intervalStartMs = Date.now();
      try {
        return { restored: await restore(streamId) };
      } catch (e) {
        fresh(adapt); // the note goes to the UI; the stored record stays as it is
        pushed = intervalStartValues = 0;
        return { restored: null, error: errorOf(e) };
      }
    },
    async saveLearnedState(streamId?: string) {
      return save(streamOf(streamId));
    },
    async loadLearnedState(streamId?: string) {
      const id = streamOf(streamId);
      const adapt = need().adapt;
      await saving;
      fresh(adapt);
      pushed = intervalStartValues = 0;
      persist = { lastSavedAt: 0, lastSavedValues: 0 };
      stream = id;
      return restore(id);
    },
    async resetLearnedState(streamId?: string, hash?: string) {
      const id = streamOf(streamId);
      if (hash !== undefined && hash !== modelHash) {
        await saving;
        return states.delete(hash, id);
      }
      // fresh first, so no push arriving while the delete runs can auto-save the old state again
      if (id === stream) {
        fresh(need().adapt);
        pushed = intervalStartValues = 0;
        persist = { lastSavedAt: 0, lastSavedValues: 0 };
      }
      await saving;
      await states.delete(modelHash, id);
      if (id === stream) {
        baseGen = null;
        conflicted = false;
      }
    },
    async listLearnedState() {
      await saving;
      return (await states.list()).map((e) => ({ ...e, sameModel: e.modelHash === modelHash }));
    },
    async anomalyPersistOptions(o: Partial<PersistOptions>) {
      options = { ...options, ...o };
      if (o.limits) states.setLimits(o.limits);
    },
    async anomalyDamageLearnedState(streamId: string, bytes: Uint8Array) {
      await saving;
      await states.damage(modelHash, streamId, bytes);
    },
  };
}
