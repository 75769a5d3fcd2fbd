/**
 * Micro model weights as safetensors: every parameter as F32 under its name (micro-config.ts
 * order) and the config as JSON in __metadata__.micro_config, so a file is self-describing.
 */
import { SparrowError } from '../errors.ts';
import { SafetensorsFile, writeSafetensors } from '../formats/safetensors.ts';
import { checkConfig, paramShapes, type MicroConfig } from './micro-config.ts';

export function saveMicro(config: MicroConfig, weights: Map<string, Float32Array>, extra: Record<string, string> = {}): Uint8Array {
  const tensors = paramShapes(config).map(([name, shape]) => ({ name, dtype: 'F32' as const, shape, data: weights.get(name)! }));
  return writeSafetensors(tensors, { ...extra, micro_config: JSON.stringify(config) });
}

export function loadMicro(bytes: Uint8Array | ArrayBuffer, name = 'micro.safetensors'): { config: MicroConfig; weights: Map<string, Float32Array>; metadata: Record<string, string> } {
  const f = SafetensorsFile.openSync(bytes, name);
  const cfgText = f.metadata['micro_config'];
  if (!cfgText) throw new SparrowError('FORMAT_INVALID', `${name}: no micro_config in the safetensors metadata`);
  const config = JSON.parse(cfgText) as MicroConfig;
  checkConfig(config);
  const weights = new Map<string, Float32Array>();
  for (const [pname, shape] of paramShapes(config)) {
    const info = f.info(pname);
    const n = shape.reduce((a, b) => a * b, 1);
    if (info.dtype !== 'F32' || info.size !== n) {
      throw new SparrowError('SHAPE_MISMATCH', `${name}: tensor '${pname}' is ${info.dtype} [${info.shape.join(', ')}], expected F32 [${shape.join(', ')}]`);
    }
    const raw = f.rawSync(pname);
    const copy = new Uint8Array(raw.byteLength);
    copy.set(raw);
    weights.set(pname, new Float32Array(copy.buffer));
  }
  return { config, weights, metadata: { ...f.metadata } };
}
