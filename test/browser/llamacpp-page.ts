/**
 * llama.cpp as an oracle (test/browser/llamacpp-parity.test.ts): @wllama/wllama (llama.cpp compiled
 * to WebAssembly, CPU) loads a GGUF and runs one raw completion; the Node side compares its tokens
 * and next-token probabilities with Sparrow's.
 */
import { Wllama } from '@wllama/wllama';
import wllamaWasm from '@wllama/wllama/esm/wasm/wllama.wasm?url';

declare global {
  interface Window {
    __llamacpp?: { complete(url: string, body: Record<string, unknown>): Promise<unknown> };
  }
}

window.__llamacpp = {
  async complete(url, body) {
    const w = new Wllama({ default: wllamaWasm }, { suppressNativeLog: true });
    try {
      const blob = await (await fetch(url)).blob();
      // f32 KV cache and no flash attention: llama.cpp's CPU flash-attention kernel rounds through
      // f16 (probabilities then differ by ~5e-4), the plain path is f32 throughout (~1e-7)
      await w.loadModel([blob], { n_threads: 1, n_ctx: 256, n_batch: 64, n_gpu_layers: 0, cache_type_k: 'f32', cache_type_v: 'f32', flash_attn: false });
      return await w.createCompletion(body as unknown as Parameters<Wllama['createCompletion']>[0] & { stream?: false });
    } finally {
      await w.exit();
    }
  },
};
