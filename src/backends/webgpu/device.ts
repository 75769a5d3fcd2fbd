/**
 * WebGPU plumbing shared by every op family: device acquisition, buffers, the pipeline cache and a
 * recorder that batches dispatches into one command encoder until `flush`/`read`.
 *
 * Binding convention for every kernel in shaders/*.wgsl: @group(0) @binding(0) is a uniform
 * struct of 4-byte scalars (u32/i32/f32, in the order the JS side passes them), bindings 1..n are
 * the storage buffers in the order passed to `dispatch`.
 */
import { SparrowError } from '../../errors.ts';

export interface GpuParam {
  type: 'u32' | 'i32' | 'f32';
  value: number;
}
export const u32 = (value: number): GpuParam => ({ type: 'u32', value });
export const i32 = (value: number): GpuParam => ({ type: 'i32', value });
export const f32 = (value: number): GpuParam => ({ type: 'f32', value });

/** Bytes per uniform slot; also the minimum uniform offset alignment WebGPU guarantees. */
const SLOT = 256;
const RING_SLOTS = 1024;
/**
 * Bind groups kept for reuse. A decode step records the same dispatches over the same buffers
 * every token, and createBindGroup is the costliest call of a dispatch (≈9 µs in Dawn on the CPU,
 * more on a real GPU's driver), so each (pipeline, uniform slot, buffers) bind group is made once.
 * The cache is dropped whole when it grows past this (prefills of new lengths, many models).
 */
const BIND_GROUP_CACHE = 8192;

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  features: string[];
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export async function requestGpuDevice(gpu: GPU | undefined = globalThis.navigator?.gpu): Promise<{ device: GPUDevice; adapter: AdapterSummary }> {
  if (!gpu) throw new SparrowError('BACKEND_UNAVAILABLE', 'webgpu: navigator.gpu is not available in this context');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new SparrowError('BACKEND_UNAVAILABLE', 'webgpu: no GPU adapter was found');
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    },
  });
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  return {
    device,
    adapter: {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      description: info.description ?? '',
      features: [...adapter.features],
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    },
  };
}

/** The arguments of one `GpuContext.dispatch` call, as `recording` keeps them. */
export type DispatchArgs = [family: string, source: string, entry: string, params: GpuParam[], buffers: GPUBuffer[], workgroups: [number, number?, number?], writes: number];

interface PipelineEntry {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  id: number;
}

export class GpuContext {
  /**
   * Dispatches recorded before they are submitted without waiting for a flush. Submitting as the
   * work is recorded lets the GPU start on the first layers while JavaScript records the rest (a
   * decode step is ~540 dispatches). Each submit costs a little, so not after every dispatch.
   * On an H100 (docs/gpu.md) 64 or 128 took a SmolLM2-135M-shaped decode step from ~12–18 ms to
   * ~7–12 ms, and a Mamba-130M one from ~7–13 to ~4–8 ms, against one submit per step.
   */
  static submitEvery = 64;
  /** Pipelines by family, then entry point, each with its bind group layout and a number for cache keys. */
  private pipelines = new Map<string, Map<string, PipelineEntry>>();
  private modules = new Map<string, GPUShaderModule>();
  private nextPipelineId = 1;
  /** The pipeline last set on the open compute pass (setPipeline is skipped when it repeats). */
  private passPipeline: GPUComputePipeline | undefined;
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  private ring: GPUBuffer;
  private ringSlot = 0;
  /** CPU copy of the ring's uniforms, written to the GPU in one writeBuffer per submit. */
  private ringData = new ArrayBuffer(SLOT * RING_SLOTS);
  private ringView = new DataView(this.ringData);
  private bindGroups = new Map<string, GPUBindGroup>();
  /** Lookup tables by key (tableBuffer). */
  private tables = new Map<string, GPUBuffer>();
  /** A number per buffer for the bind-group keys (never reused, so a destroyed buffer's groups are never hit). */
  private bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  /** Buffers to destroy once the work recorded so far has been submitted (they may be in use). */
  private retired: GPUBuffer[] = [];
  /** Scratch buffers by purpose (`scratchBuffer`), e.g. 'alias': the target of dispatches whose output aliases an input. */
  private scratch = new Map<string, GPUBuffer>();
  /** Idle MAP_READ staging buffers for small read-backs (a decode step reads its token every step). */
  private staging: GPUBuffer[] = [];
  /** Validation / out-of-memory errors the device reported asynchronously; raised at flush/read. */
  private errors: string[] = [];
  /**
   * CPU copies of small i32 tensors written from the CPU (e.g. token ids), by buffer, so ops can
   * validate indices without a readback. Any recorded GPU write to a buffer drops its shadow.
   */
  readonly shadows = new Map<GPUBuffer, Int32Array>();
  lost: string | undefined;
  /**
   * When set, every dispatch recorded is also appended here, so a profiler can replay one decode
   * step kernel by kernel (bench/gpu/profile.ts). Unset in normal use.
   */
  recording: DispatchArgs[] | undefined;
  /** Resolves (with the reason) when the device is lost; never rejects. */
  readonly lostPromise: Promise<string>;

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterSummary,
  ) {
    this.ring = device.createBuffer({ size: SLOT * RING_SLOTS, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.lostPromise = device.lost.then((info) => {
      this.lost = info.message || info.reason || 'unknown reason';
      return this.lost;
    });
    device.addEventListener('uncapturederror', (e) => {
      const err = (e as GPUUncapturedErrorEvent).error;
      if (this.errors.length < 8) this.errors.push(err.message);
    });
  }

  checkAlive(op: string): void {
    if (this.lost !== undefined) throw new SparrowError('DEVICE_LOST', `${op}: the GPU device was lost (${this.lost})`, { op });
  }

  /** Raise (once) the errors the device reported since the last check: a kernel bug, not bad input. */
  checkErrors(op: string): void {
    if (!this.errors.length) return;
    const msgs = this.errors.splice(0);
    throw new SparrowError('INTERNAL', `${op}: the GPU reported ${msgs.length} error(s): ${msgs.join(' | ')}`, { op });
  }

  /** Destroy `b` after the work recorded so far has been submitted. */
  retire(b: GPUBuffer): void {
    this.retired.push(b);
  }

  /** Wait for `p` unless the device is lost first (then DEVICE_LOST instead of hanging). */
  async orLost<T>(op: string, p: Promise<T>): Promise<T> {
    const lost = this.lostPromise.then(() => {
      throw new SparrowError('DEVICE_LOST', `${op}: the GPU device was lost (${this.lost})`, { op });
    });
    lost.catch(() => {}); // only the race's loser; never an unhandled rejection
    return Promise.race([p, lost]);
  }

  /**
   * A storage buffer of at least `bytes`, rounded up to 4 and at least 16: kernels may bind any
   * buffer as array<vec4<…>>, whose minimum binding size is 16 (e.g. an empty x of a k = 0 matvec).
   */
  createBuffer(bytes: number, op = 'tensor'): GPUBuffer {
    this.checkAlive(op);
    const size = Math.max(16, Math.ceil(bytes / 4) * 4);
    if (size > this.adapter.maxBufferSize) {
      throw new SparrowError('SIZE_LIMIT', `${op}: ${bytes} bytes exceeds this GPU's maximum buffer size ${this.adapter.maxBufferSize}`, { op, bytes });
    }
    // Every kernel binds whole buffers as storage, so this smaller limit is the real one.
    if (size > this.adapter.maxStorageBufferBindingSize) {
      throw new SparrowError('SIZE_LIMIT', `${op}: ${bytes} bytes exceeds this GPU's maximum storage binding size ${this.adapter.maxStorageBufferBindingSize}`, { op, bytes });
    }
    return this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  }

  /** Two-level lookup (no key string built per dispatch: a decode step makes ~400). */
  private pipelineEntry(family: string, source: string, entry: string): PipelineEntry {
    let byEntry = this.pipelines.get(family);
    if (!byEntry) this.pipelines.set(family, (byEntry = new Map()));
    let e = byEntry.get(entry);
    if (!e) {
      let module = this.modules.get(family);
      if (!module) {
        module = this.device.createShaderModule({ code: source, label: family });
        this.modules.set(family, module);
      }
      const pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: entry }, label: `${family}:${entry}` });
      e = { pipeline, layout: pipeline.getBindGroupLayout(0), id: this.nextPipelineId++ };
      byEntry.set(entry, e);
    }
    return e;
  }

  private currentPass(): GPUComputePassEncoder {
    if (!this.pass) {
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
      this.passPipeline = undefined;
    }
    return this.pass;
  }

  private endPass(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    if (this.pass) {
      this.pass.end();
      this.pass = undefined;
    }
    return this.encoder;
  }

  /**
   * Record one dispatch. `params` fill the kernel's uniform struct in order; `buffers` bind to
   * 1..n, the first `writes` of them being the ones the kernel writes. Workgroup counts above
   * 65535 must be split by the caller (see `grid`).
   *
   * WebGPU rejects a writable binding that aliases another binding, so an op called in place
   * (out === input, e.g. add(h, h, b)) runs into a scratch buffer seeded with out's contents and
   * is copied back: correct for any kernel, at the cost of two copies.
   */
  dispatch(family: string, source: string, entry: string, params: GpuParam[], buffers: GPUBuffer[], workgroups: [number, number?, number?], writes = 1): void {
    this.checkAlive(entry);
    for (let w = 0; w < writes; w++) {
      const out = buffers[w];
      this.shadows.delete(out);
      if (buffers.some((b, i) => i !== w && b === out)) {
        const tmp = this.scratchBuffer('alias', out.size);
        this.copyBuffer(out, 0, tmp, 0, out.size);
        const rebound = buffers.map((b, i) => (i === w ? tmp : b));
        this.dispatch(family, source, entry, params, rebound, workgroups, writes);
        this.copyBuffer(tmp, 0, out, 0, out.size);
        return;
      }
    }
    this.recording?.push([family, source, entry, params, buffers, workgroups, writes]);
    const pipe = this.pipelineEntry(family, source, entry);
    if (this.ringSlot >= Math.min(RING_SLOTS, GpuContext.submitEvery)) this.submit();
    const offset = this.ringSlot++ * SLOT;
    const size = Math.max(16, Math.ceil((params.length * 4) / 16) * 16);
    const view = this.ringView;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      if (p.type === 'f32') view.setFloat32(offset + i * 4, p.value, true);
      else if (p.type === 'i32') view.setInt32(offset + i * 4, p.value, true);
      else view.setUint32(offset + i * 4, p.value, true);
    }
    const bindGroup = this.bindGroup(pipe, offset, size, buffers);
    const pass = this.currentPass();
    if (this.passPipeline !== pipe.pipeline) {
      pass.setPipeline(pipe.pipeline);
      this.passPipeline = pipe.pipeline;
    }
    pass.setBindGroup(0, bindGroup);
    const [x, y = 1, z = 1] = workgroups;
    if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
  }

  /** The bind group of `buffers` at uniform slot `offset` for the pipeline, from the cache or made now. */
  private bindGroup(pipe: PipelineEntry, offset: number, size: number, buffers: GPUBuffer[]): GPUBindGroup {
    let key = `${pipe.id}|${offset}|${size}`;
    for (const b of buffers) {
      let id = this.bufferIds.get(b);
      if (id === undefined) this.bufferIds.set(b, (id = this.nextBufferId++));
      key += `|${id}`;
    }
    let group = this.bindGroups.get(key);
    if (!group) {
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.ring, offset, size } }];
      buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
      group = this.device.createBindGroup({ layout: pipe.layout, entries });
      if (this.bindGroups.size >= BIND_GROUP_CACHE) this.bindGroups.clear();
      this.bindGroups.set(key, group);
    }
    return group;
  }

  /** Record a buffer-to-buffer copy (ends the current compute pass). Offsets/size: multiples of 4. */
  copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.checkAlive('copy');
    this.shadows.delete(dst);
    if (bytes > 0) this.endPass().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /**
   * The read-only storage buffer holding `words` (a lookup table kernels index at run time, e.g. the
   * IQ grids), uploaded on the first call for `key` and kept for the device's lifetime.
   */
  tableBuffer(key: string, words: Uint32Array<ArrayBuffer>): GPUBuffer {
    let b = this.tables.get(key);
    if (!b) {
      b = this.createBuffer(words.byteLength, key);
      this.device.queue.writeBuffer(b, 0, words);
      this.tables.set(key, b);
    }
    return b;
  }

  /**
   * The scratch storage buffer kept for `key`, at least `bytes` long: reused across calls (dispatches
   * run in order, so a later one may overwrite what an earlier one read), grown by doubling; an
   * outgrown one is retired (destroyed once the work that uses it is submitted).
   */
  scratchBuffer(key: string, bytes: number, op = 'scratch'): GPUBuffer {
    const have = this.scratch.get(key);
    if (have && have.size >= bytes) return have;
    if (have) this.retire(have);
    const b = this.createBuffer(Math.max(bytes, (have?.size ?? 0) * 2), op);
    this.scratch.set(key, b);
    return b;
  }

  /** Submit everything recorded so far. */
  submit(): void {
    // The uniforms of every dispatch recorded since the last submit, in one write; queue order
    // puts it after earlier submits (which read the old values) and before this one.
    if (this.ringSlot > 0) this.device.queue.writeBuffer(this.ring, 0, this.ringData, 0, this.ringSlot * SLOT);
    if (this.encoder || this.pass) {
      const enc = this.endPass();
      this.encoder = undefined;
      this.device.queue.submit([enc.finish()]);
    }
    this.ringSlot = 0;
    for (const b of this.retired.splice(0)) b.destroy(); // safe once submitted: destroy waits for the GPU
  }

  async flush(): Promise<void> {
    this.checkAlive('flush');
    this.submit();
    await this.orLost('flush', this.device.queue.onSubmittedWorkDone());
    this.checkAlive('flush');
    this.checkErrors('flush');
  }

  /** Copy `bytes` from a storage buffer back to the CPU (submits pending work first). */
  async readBuffer(src: GPUBuffer, bytes: number, op = 'read'): Promise<ArrayBuffer> {
    this.checkAlive(op);
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.takeStaging(size);
    this.endPass().copyBufferToBuffer(src, 0, staging, 0, size);
    this.submit();
    try {
      await this.orLost(op, staging.mapAsync(GPUMapMode.READ, 0, size));
    } catch (e) {
      staging.destroy();
      if (e instanceof SparrowError) throw e;
      this.checkAlive(op);
      this.checkErrors(op);
      throw new SparrowError('INTERNAL', `${op}: mapping the readback buffer failed: ${String(e)}`, { op });
    }
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.giveStaging(staging);
    this.checkErrors(op);
    return out;
  }

  /**
   * A staging buffer of at least `size` bytes: an idle one when a small one fits (creating one per
   * read cost a buffer allocation on every decode step), else a new one. Reads in flight at the
   * same time each hold their own.
   */
  private takeStaging(size: number): GPUBuffer {
    const i = this.staging.findIndex((b) => b.size >= size);
    if (i >= 0) return this.staging.splice(i, 1)[0];
    const keep = size <= STAGING_KEEP_BYTES ? STAGING_KEEP_BYTES : size;
    return this.device.createBuffer({ size: keep, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /** Back to the idle list (unmapped), or destroyed if it is large or the list is full. */
  private giveStaging(b: GPUBuffer): void {
    if (b.size <= STAGING_KEEP_BYTES && this.staging.length < STAGING_IDLE_MAX) this.staging.push(b);
    else b.destroy();
  }
}

/** Read-backs up to this size share pooled staging buffers of this size; larger ones get their own. */
const STAGING_KEEP_BYTES = 64 * 1024;
/** Idle staging buffers kept (more only exist while reads overlap). */
const STAGING_IDLE_MAX = 4;

/**
 * Split `count` workgroups into an (x, y) grid within the 65535-per-dimension limit. Kernels
 * recover the linear workgroup index as wg.x + wg.y * gridX (pass gridX as a param).
 */
export function grid(count: number): [number, number] {
  if (count <= 65535) return [count, 1];
  const y = Math.ceil(count / 65535);
  return [Math.ceil(count / y), y];
}
