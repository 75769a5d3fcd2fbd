/**
 * Anomaly-demo methods of the engine worker (mixed into EngineApi by src/worker/engine-worker.ts):
 * load the sensor micro model, stream values through the detector in batches, toggle the
 * model's inner-loop adaptation. Everything returned is plain, structured-cloneable data.
 */
import { SparrowError } from '../errors.ts';
import { loadMicro } from '../models/micro-weights.ts';
import { MicroWasm } from '../models/micro-wasm.ts';
import { MicroModel } from '../models/micro.ts';
import { paramCount } from '../models/micro-config.ts';
import { DEFAULT_DETECTOR, StreamingDetector, type MicroStepper } from './detector.ts';
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
  /** Model tokens per second over this batch (detector included). */
  tokensPerSec: number;
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
}

export function createAnomalyApi(): AnomalyApi {
  let model: MicroStepper | undefined;
  let detector: StreamingDetector | undefined;
  const need = () => {
    if (!detector) throw new SparrowError('INVALID_ARGUMENT', 'anomaly: call anomalyLoad first');
    return detector;
  };
  return {
    async anomalyLoad(url?: string) {
      const href = url ?? new URL(`${import.meta.env?.BASE_URL ?? '/'}models/sensor.safetensors`, self.location.href).href;
      const res = await fetch(href);
      if (!res.ok) throw new SparrowError('TENSOR_MISSING', `anomaly: fetching ${href} failed with HTTP ${res.status}`, { url: href, status: res.status });
      const { config, weights, metadata } = loadMicro(new Uint8Array(await res.arrayBuffer()), href);
      let engine: 'wasm' | 'ts' = 'wasm';
      try {
        model = await MicroWasm.create(config, weights);
      } catch {
        model = new MicroModel(config, weights);
        engine = 'ts';
      }
      detector = new StreamingDetector(model, undefined, DEFAULT_DETECTOR);
      return { params: paramCount(config), vocab: config.vocab, engine, meta: metadata };
    },
    async anomalyReset(adapt: boolean) {
      if (!model) throw new SparrowError('INVALID_ARGUMENT', 'anomaly: call anomalyLoad first');
      detector = new StreamingDetector(model, undefined, { ...DEFAULT_DETECTOR, adapt });
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
      return { scores, raw, tokens, tokensPerSec: dt > 0 ? n / dt : 0 };
    },
    async anomalySynthetic(kind: StreamKind, n: number, seed: number) {
      return syntheticStream(kind, n, xorshift(seed), false);
    },
  };
}
