/**
 * Text generation with a byte-level micro model (vocab 256): feed the prompt's UTF-8 bytes, then
 * sample bytes (temperature / top-k, seeded) and decode. For the app's default offline chat.
 */
import type { MicroStepperLike } from './micro-types.ts';

export interface GenerateOptions {
  maxBytes: number;
  temperature?: number;
  topK?: number;
  seed?: number;
  /** Called with each decoded chunk as soon as it forms complete UTF-8 characters. */
  onText?: (text: string) => void;
}

export function generateText(model: MicroStepperLike, prompt: string, o: GenerateOptions): string {
  const bytes = new TextEncoder().encode(prompt.length ? prompt : '\n');
  let logits: Float32Array = new Float32Array(0);
  for (const b of bytes) logits = model.step(b);
  let s = (o.seed ?? 1) >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const T = o.temperature ?? 0.8;
  const K = o.topK ?? 40;
  const out: number[] = [];
  const dec = new TextDecoder('utf-8', { fatal: false });
  let emitted = 0;
  for (let n = 0; n < o.maxBytes; n++) {
    const idx = Array.from(logits, (_, i) => i).sort((a, b) => logits[b] - logits[a]).slice(0, Math.max(1, K));
    let next = idx[0];
    if (T > 0) {
      const w = idx.map((i) => Math.exp((logits[i] - logits[idx[0]]) / T));
      let r = rnd() * w.reduce((a, b) => a + b, 0);
      for (let j = 0; j < idx.length; j++) if ((r -= w[j]) <= 0) { next = idx[j]; break; }
    }
    out.push(next);
    logits = model.step(next);
    if (o.onText) {
      // emit up to the last complete UTF-8 sequence
      let end = out.length;
      while (end > emitted && (out[end - 1] & 0xc0) === 0x80) end--;
      if (end > emitted && out[end - 1] >= 0xc0) end--;
      if (end > emitted) {
        o.onText(dec.decode(Uint8Array.from(out.slice(emitted, end))));
        emitted = end;
      }
    }
  }
  return dec.decode(Uint8Array.from(out));
}
