/** Backend selection for the CLI (Node has no WebGPU adapter of its own here: reference | wasm). */
import { SparrowError } from '../errors.ts';
import type { Backend } from '../backends/backend.ts';
import { ReferenceBackend } from '../backends/reference/backend.ts';
import { WasmBackend } from '../backends/wasm/backend.ts';

/**
 * `threads` (--threads N, wasm only): helper threads for the linear layers, docs/threads.md.
 * `int8Activations` (--int8-activations): quantized-weight decode with 8-bit activations, as llama.cpp.
 */
export async function cliBackend(name: string | undefined, threads?: number, int8Activations = false): Promise<Backend> {
  switch (name ?? 'wasm') {
    case 'reference':
      if (threads !== undefined && threads !== 1) throw new SparrowError('INVALID_ARGUMENT', `--threads ${threads}: only the wasm backend runs threads`, { threads });
      return new ReferenceBackend({ int8Activations });
    case 'wasm':
      return WasmBackend.create({ threads, int8Activations });
    default:
      throw new SparrowError('INVALID_ARGUMENT', `--backend ${name}: expected wasm or reference`, { backend: name });
  }
}
