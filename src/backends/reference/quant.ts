/**
 * Quantized weights on the reference backend: a row of raw GGML blocks is dequantized with the
 * bit-exact llama.cpp transcription (formats/ggml-quants.ts), then used like any dense row
 * (float64 accumulation in matvec/matmul). Obviously right, not fast: the oracle for wasm/webgpu.
 */
import { dequantize } from '../../formats/ggml-quants.ts';
import { QUANT_DTYPES, type QuantDType, ggmlTypeByName, rowBytes } from '../../formats/ggml-types.ts';

/** Row r (k elements) of a quantized [rows, k] matrix as float64 values. */
export function quantRow(bytes: Uint8Array, dtype: QuantDType, r: number, k: number): Float64Array {
  const t = ggmlTypeByName(QUANT_DTYPES[dtype]);
  const rb = rowBytes(t, k);
  return Float64Array.from(dequantize(t, bytes, k, new Float32Array(k), 0, r * rb));
}
