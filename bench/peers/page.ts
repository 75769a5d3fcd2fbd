/**
 * Runs one engine per call, driven from Node (bench/peers/run.ts) through window.__peer.
 * wllama (llama.cpp compiled to WebAssembly, CPU only: n_gpu_layers 0) runs in its own worker;
 * Sparrow runs in bench/peers/sparrow-worker.ts.
 */
import * as Comlink from 'comlink';
import { Wllama } from '@wllama/wllama';
import wllamaWasm from '@wllama/wllama/esm/wasm/wllama.wasm?url';
import type { PeerJob, PeerRun } from './protocol.ts';
import type { SparrowPeerApi } from './sparrow-worker.ts';

async function runSparrow(job: PeerJob, backend: 'wasm' | 'webgpu') {
  const worker = new Worker(new URL('./sparrow-worker.ts', import.meta.url), { type: 'module' });
  try {
    return await Comlink.wrap<SparrowPeerApi>(worker).run(job, backend);
  } finally {
    worker.terminate();
  }
}

async function runWllama(job: PeerJob, banned: number[]): Promise<PeerRun> {
  const w = new Wllama({ default: wllamaWasm }, { suppressNativeLog: !new URLSearchParams(location.search).has('debug') });
  try {
    const blob = await (await fetch(job.modelUrl)).blob();
    await w.loadModel([blob], { n_threads: job.threads, n_ctx: 256, n_batch: 64, n_gpu_layers: 0 });
    type Params = import('@wllama/wllama/esm/types/oai-compat.js').RawCompletionParams & { stream?: false };
    // The typings intersect two logit_bias forms; llama.cpp's server reads the OpenAI one,
    // { "<token id>": bias }, so the object is typed loosely here.
    const opts: Record<string, unknown> = {
      prompt: job.prompt,
      max_tokens: job.maxTokens,
      temp: 0,
      top_k: 1,
      ignore_eos: true,
      logit_bias: Object.fromEntries(banned.map((id) => [String(id), -1e9])),
      seed: 1,
    };
    // Warm-up on a different prompt, so llama.cpp cannot reuse a cached prefix in the timed run.
    await w.createCompletion({ ...opts, prompt: 'Hello there', max_tokens: 2 } as unknown as Params);
    const res = await w.createCompletion(opts as unknown as Params);
    const t = res.timings!;
    return {
      engine: 'wllama', model: job.modelName, threads: job.threads, backend: 'wasm (llama.cpp)',
      promptTokens: t.prompt_n, generatedTokens: t.predicted_n,
      prefillMs: t.prompt_ms, decodeMs: t.predicted_ms,
      prefillTokPerS: t.prompt_per_second, decodeTokPerS: t.predicted_per_second,
      tokens: [], text: res.choices[0]?.text ?? '',
    };
  } finally {
    await w.exit();
  }
}

declare global {
  interface Window {
    __peer?: {
      sparrow(job: PeerJob, backend: 'wasm' | 'webgpu'): Promise<unknown>;
      wllama(job: PeerJob, banned: number[]): Promise<PeerRun>;
      isolated: boolean;
    };
  }
}
window.__peer = { sparrow: runSparrow, wllama: runWllama, isolated: crossOriginIsolated };
