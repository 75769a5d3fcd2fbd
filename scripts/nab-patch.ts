/** A grid entry of nab:tune / nab:analyse: a patch of DetectorOptions (objects merged one level deep). */
import type { DetectorOptions } from '../src/anomaly/detector.ts';

export function mergeDetectorPatch(base: DetectorOptions, patch: Record<string, unknown>): DetectorOptions {
  const o = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && o[k] && typeof o[k] === 'object') o[k] = { ...(o[k] as object), ...(v as object) };
    else o[k] = v;
  }
  return o as unknown as DetectorOptions;
}
