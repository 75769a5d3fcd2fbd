/** Numeric stream → token ids through a fresh OnlineQuantizer (non-finite values skipped). */
import { DEFAULT_QUANTIZER, OnlineQuantizer, type QuantizerOptions } from './quantizer.ts';

export function tokenize(values: ArrayLike<number>, opts: QuantizerOptions = DEFAULT_QUANTIZER): Uint8Array {
  const q = new OnlineQuantizer(opts);
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const t = q.encode(values[i]);
    if (t >= 0) out.push(t);
  }
  return Uint8Array.from(out);
}
