/**
 * Sparrow's side of the peer benchmark, in a worker (wllama runs in its own worker too):
 * load the GGUF from a URL, prefill the prompt in one batch, then greedy-decode token by token
 * with banned ids masked on the backend (argmax on the backend, one i32 read back per token).
 */
import * as Comlink from 'comlink';
import { WasmBackend } from '../../src/backends/wasm/backend.ts';
import { WebGpuBackend } from '../../src/backends/webgpu/backend.ts';
import type { Backend } from '../../src/backends/backend.ts';
import { GgufFile } from '../../src/formats/gguf.ts';
import { ggufModelConfig } from '../../src/formats/gguf-config.ts';
import { GgufWeights, ggufMetadataRecord } from '../../src/models/gguf-weights.ts';
import { modelFromWeights } from '../../src/models/load.ts';
import { tokenizerFromGguf } from '../../src/engine/gguf-tokenizer.ts';
import { bannedTokenIds } from './banned.ts';
import type { PeerJob, PeerRun } from './protocol.ts';

/** 'wasm', plus ', 8-bit activations' and ', plain SIMD' (the build without relaxed SIMD) where so. */
function wasmLabel(b: WasmBackend): string {
  return `wasm${b.int8Activations ? ', 8-bit activations' : ''}${b.relaxedSimd ? '' : ', plain SIMD'}`;
}

async function run(job: PeerJob, backendName: 'wasm' | 'webgpu'): Promise<PeerRun & { banned: number[]; promptIds: number[] }> {
  // wasm: job.threads threads for the linear layers (helper Workers nested in this one; the page is cross-origin isolated).
  const backend: Backend = backendName === 'wasm' ? await WasmBackend.create({ threads: job.threads, int8Activations: job.int8 ?? false, relaxedSimd: job.relaxedSimd ?? 'auto' }) : await WebGpuBackend.create();
  const blob = await (await fetch(job.modelUrl)).blob();
  const g = await GgufFile.open(blob, job.modelName);
  const { config } = ggufModelConfig(g);
  const tokenizer = tokenizerFromGguf(ggufMetadataRecord(g));
  const model = await modelFromWeights(backend, config, new GgufWeights(g), { contextLength: 256 });
  const banned = bannedTokenIds(tokenizer, model.vocabSize);
  const bias = new Float32Array(model.vocabSize);
  for (const id of banned) bias[id] = -1e30;
  const biasT = backend.tensor([model.vocabSize], 'f32', bias);
  const idT = backend.tensor([1], 'i32');
  const promptIds = tokenizer.encode(job.prompt);

  const pick = async (logits: ReturnType<typeof model.step>): Promise<number> => {
    backend.add(logits, logits, biasT);
    backend.argmax(idT, logits);
    return (await backend.read(idT))[0];
  };
  // Warm-up (pipelines, code paths) on a throwaway state.
  {
    const s = model.newState();
    const l = model.prefill(promptIds.slice(0, 4), s);
    await pick(l);
    backend.free(l);
    await pick(model.step(1, s));
    s.free();
  }
  const state = model.newState();
  const t0 = performance.now();
  const logits = model.prefill(promptIds, state);
  let tok = await pick(logits);
  backend.free(logits);
  const t1 = performance.now();
  const tokens = [tok];
  while (tokens.length < job.maxTokens) {
    tok = await pick(model.step(tok, state));
    tokens.push(tok);
  }
  const t2 = performance.now();
  state.free();
  model.dispose();
  backend.dispose();
  const steps = job.maxTokens - 1;
  return {
    engine: 'sparrow', model: job.modelName, threads: backendName === 'wasm' ? job.threads : 1, backend: backendName === 'wasm' ? wasmLabel(backend as WasmBackend) : backendName,
    promptTokens: promptIds.length, generatedTokens: tokens.length,
    prefillMs: t1 - t0, decodeMs: t2 - t1,
    prefillTokPerS: (promptIds.length / (t1 - t0)) * 1000, decodeTokPerS: (steps / (t2 - t1)) * 1000,
    tokens, text: tokenizer.decode(tokens), banned, promptIds,
  };
}

Comlink.expose({ run });
export type SparrowPeerApi = { run: typeof run };
