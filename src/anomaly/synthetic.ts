/**
 * Synthetic sensor-like streams (seeded): periodic signals, square waves, random walks, AR noise,
 * sawtooth, flat lines, with optional rare spikes and level shifts. They train the sensor micro
 * model (no NAB data is used for training) and feed the demo's synthetic stream.
 */
export type Rng = () => number;

export function xorshift(seed: number): Rng {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

function gauss(r: Rng): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

export type StreamKind = 'sine' | 'two-sines' | 'square' | 'walk' | 'ar' | 'saw' | 'flat' | 'bursty' | 'daily' | 'counts' | 'plateaus' | 'spikes';

/** One synthetic stream of n values; `anomalies` adds rare spikes / level shifts / dropouts. */
export function syntheticStream(kind: StreamKind, n: number, r: Rng, anomalies = true): Float64Array {
  const out = new Float64Array(n);
  const p1 = 12 + Math.floor(r() * 300);
  const p2 = p1 * (2 + Math.floor(r() * 6));
  const amp = 0.2 + r() * 5;
  const base = (r() - 0.5) * 100;
  const noise = amp * (r() < 0.3 ? 0.005 : 0.02 + r() * 0.25);
  let walk = 0, ar = 0;
  const phi = 0.5 + r() * 0.49;
  const duty = 0.2 + r() * 0.6;
  // the EXTRA_KINDS draw their own parameters (after the shared ones, so the original kinds'
  // streams and the shipped model's training corpus stay bit-identical)
  const extra = EXTRA_KINDS.includes(kind) ? extraParams(r) : null;
  let level = 0, levelLeft = 0;
  for (let t = 0; t < n; t++) {
    let v: number;
    switch (kind) {
      case 'sine': v = amp * Math.sin((2 * Math.PI * t) / p1); break;
      case 'two-sines': v = amp * Math.sin((2 * Math.PI * t) / p1) + 0.6 * amp * Math.sin((2 * Math.PI * t) / p2); break;
      case 'square': v = (t % p1) / p1 < duty ? amp : 0; break;
      case 'walk': walk += gauss(r) * amp * 0.05; v = walk; break;
      case 'ar': ar = phi * ar + gauss(r) * amp * 0.3; v = ar; break;
      case 'saw': v = amp * ((t % p1) / p1); break;
      case 'flat': v = 0; break;
      case 'bursty': v = r() < 0.05 ? amp * r() * 3 : amp * 0.1 * r(); break;
      case 'daily': v = amp * dailyShape(t, p1, extra!) * weekly(t, p1, extra!); break;
      case 'counts': {
        // heavy-tailed positive counts around a daily rate (tweet / request volumes)
        const rate = amp * (1 + 0.8 * dailyShape(t, p1, extra!)) * weekly(t, p1, extra!);
        v = Math.max(0, rate * Math.exp(0.4 * gauss(r)) + (r() < 0.01 ? amp * 2 * r() : 0));
        break;
      }
      case 'plateaus': {
        // piecewise-constant levels of random duration (server metrics)
        if (levelLeft <= 0) {
          level = amp * (r() - 0.5) * 2;
          levelLeft = 30 + Math.floor(-Math.log(r() + 1e-12) * 600);
        }
        levelLeft--;
        v = level;
        break;
      }
      case 'spikes': v = (t + extra!.phase) % p1 < 2 ? amp * (1 + 0.3 * gauss(r)) : 0; break;
    }
    out[t] = base + v + gauss(r) * noise;
  }
  if (anomalies) {
    const k = Math.floor(r() * 3);
    for (let i = 0; i < k; i++) {
      const at = Math.floor(n * (0.2 + 0.8 * r()));
      const what = r();
      if (what < 0.4) out[at] += (r() < 0.5 ? -1 : 1) * amp * (2 + 4 * r());
      else if (what < 0.7) for (let t = at; t < n; t++) out[t] += amp * (r() - 0.5) * 2;
      else for (let t = at; t < Math.min(n, at + 20 + Math.floor(r() * 200)); t++) out[t] = out[at];
    }
  }
  return out;
}

export const STREAM_KINDS: StreamKind[] = ['sine', 'two-sines', 'square', 'walk', 'ar', 'saw', 'flat', 'bursty'];
/** Kinds added for more NAB-like variety (train:sensor --kinds all); not in the shipped model's corpus. */
export const EXTRA_KINDS: StreamKind[] = ['daily', 'counts', 'plateaus', 'spikes'];

interface ExtraParams {
  /** Amplitudes and phases of 3 harmonics of the daily shape. */
  h: number[];
  ph: number[];
  /** Every `week` periods the last `weekend` periods are scaled by `weekendScale`. */
  week: number;
  weekend: number;
  weekendScale: number;
  phase: number;
}

function extraParams(r: Rng): ExtraParams {
  return {
    h: [1, r() * 0.6, r() * 0.3],
    ph: [r(), r(), r()].map((x) => 2 * Math.PI * x),
    week: r() < 0.5 ? 7 : 0,
    weekend: 2,
    weekendScale: 0.3 + 0.6 * r(),
    phase: Math.floor(r() * 1000),
  };
}

/** A non-sinusoidal periodic shape in about [−1, 1]. */
function dailyShape(t: number, p: number, e: ExtraParams): number {
  let v = 0;
  for (let k = 0; k < 3; k++) v += e.h[k] * Math.sin((2 * Math.PI * (k + 1) * t) / p + e.ph[k]);
  return v / (e.h[0] + e.h[1] + e.h[2]);
}

function weekly(t: number, p: number, e: ExtraParams): number {
  if (!e.week) return 1;
  return Math.floor(t / p) % e.week >= e.week - e.weekend ? e.weekendScale : 1;
}
