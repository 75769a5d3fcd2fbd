/** Backend selection for the CLI (Node has no WebGPU adapter of its own here: reference | wasm). */
import { SparrowError } from '../errors.ts';
import type { Backend } from '../backends/backend.ts';
import { ReferenceBackend } from '../backends/reference/backend.ts';
import { WasmBackend } from '../backends/wasm/backend.ts';

export async function cliBackend(name: string | undefined): Promise<Backend> {
  switch (name ?? 'wasm') {
    case 'reference':
      return new ReferenceBackend();
    case 'wasm':
      return WasmBackend.create();
    default:
      throw new SparrowError('INVALID_ARGUMENT', `--backend ${name}: expected wasm or reference`, { backend: name });
  }
}
