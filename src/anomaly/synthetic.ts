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

export type StreamKind = 'sine' | 'two-sines' | 'square' | 'walk' | 'ar' | 'saw' | 'flat' | 'bursty';

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
