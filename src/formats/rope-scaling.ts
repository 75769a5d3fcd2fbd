/**
 * RoPE frequency scaling the Llama model supports: Llama 3's ('llama3' in a Hugging Face config;
 * a GGUF carries the result as the rope_freqs.weight tensor). Each rotated pair i keeps its
 * frequency θ^(−2i/d) divided by a factor: 1 for short wavelengths, `factor` for long ones and a
 * smooth blend between (transformers' _compute_llama3_parameters, llama.cpp's converter).
 */
import { SparrowError } from '../errors.ts';
import type { RopeScaling } from './hf-config.ts';

/** The headDim/2 frequency divisors of Llama 3 RoPE scaling. */
export function llama3FreqFactors(s: RopeScaling, headDim: number, theta: number): number[] {
  const low = s.lowFreqFactor;
  const high = s.highFreqFactor;
  const ctx = s.originalMaxPositionEmbeddings;
  if (low === undefined || high === undefined || ctx === undefined || !(high > low)) {
    throw new SparrowError('FORMAT_INVALID', `rope_scaling 'llama3' needs low_freq_factor < high_freq_factor and original_max_position_embeddings (got ${low}, ${high}, ${ctx})`, { ropeType: 'llama3' });
  }
  const lowWavelen = ctx / low;
  const highWavelen = ctx / high;
  const out: number[] = [];
  for (let i = 0; i < headDim / 2; i++) {
    const wavelen = (2 * Math.PI) / Math.pow(theta, (-2 * i) / headDim);
    if (wavelen < highWavelen) out.push(1);
    else if (wavelen > lowWavelen) out.push(s.factor);
    else {
      const smooth = (ctx / wavelen - low) / (high - low);
      out.push(1 / ((1 - smooth) / s.factor + smooth));
    }
  }
  return out;
}
