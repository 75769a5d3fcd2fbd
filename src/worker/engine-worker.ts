/**
 * The engine worker: everything heavy (backends, weights, generation) runs here, off the UI
 * thread. It exposes an `EngineApi` (src/worker/api.ts) through Comlink; the UI holds the proxy.
 */
import * as Comlink from 'comlink';
import { installSparrowErrorTransfer } from './error-transfer.ts';
import type { Capabilities, EngineApi, WasmCapabilities, WebGpuCapabilities } from './api.ts';
import { compileSparrowWasm, wasmRelaxedSimdSupported, wasmSimdSupported } from '../backends/wasm/module.ts';
import { kernelCheck } from './kernel-check.ts';
import { createAnomalyApi } from '../anomaly/worker-api.ts';
import { createChatApi, defaultWasmThreads } from './chat-api.ts';
import { threadSupport } from '../backends/wasm/threads.ts';

/** The chat's default wasm thread count here, with the reason when it is 1 for lack of isolation. */
function wasmThreadsInfo(): Capabilities['wasmThreads'] {
  const s = threadSupport();
  return s.ok ? { threads: defaultWasmThreads() } : { threads: 1, note: s.why };
}

/** The adapter limits worth showing: they bound tensor sizes and workgroup shapes. */
const LIMIT_NAMES = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
] as const;

async function probeWebGpu(): Promise<WebGpuCapabilities> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return { available: false, reason: 'navigator.gpu is missing (browser without WebGPU, or not a secure context)' };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { available: false, reason: `requestAdapter failed: ${String(e)}` };
  }
  if (!adapter) return { available: false, reason: 'requestAdapter returned no adapter (GPU blocklisted or disabled)' };
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) limits[name] = adapter.limits[name];
  // `isFallbackAdapter` moved from the adapter to its info; accept either, and SwiftShader by name.
  const fallback =
    Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter) ||
    Boolean((adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter) ||
    info.architecture === 'swiftshader';
  return {
    available: true,
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    features: [...adapter.features].sort(),
    limits,
    fallback,
  };
}

async function probeWasm(): Promise<WasmCapabilities> {
  const simd = wasmSimdSupported();
  if (!simd) return { available: false, simd, reason: 'WebAssembly SIMD does not validate in this runtime' };
  try {
    // The build the wasm backend will run (compiled once, cached for it).
    const relaxedSimd = wasmRelaxedSimdSupported();
    const module = await compileSparrowWasm(relaxedSimd);
    const kernels = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').length;
    return { available: true, simd: true, kernels, relaxedSimd };
  } catch (e) {
    return { available: false, simd, reason: e instanceof Error ? e.message : String(e) };
  }
}

const api: EngineApi = {
  ...createAnomalyApi(),
  ...createChatApi(),
  async capabilities(): Promise<Capabilities> {
    const [webgpu, wasm] = await Promise.all([probeWebGpu(), probeWasm()]);
    return {
      webgpu,
      wasm,
      crossOriginIsolated: Boolean(globalThis.crossOriginIsolated),
      hardwareConcurrency: globalThis.navigator?.hardwareConcurrency ?? 1,
      wasmThreads: wasmThreadsInfo(),
      userAgent: globalThis.navigator?.userAgent ?? '',
    };
  },
  kernelCheck,
};

installSparrowErrorTransfer();
Comlink.expose(api);
