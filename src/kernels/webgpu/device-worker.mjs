// The WebGPU device thread: owns Dawn's GPU, adapter and device (npm `webgpu`) and runs one
// compute dispatch per request on storage that lives in the WASM backend's shared memory. The
// calling thread posts a request and blocks in Atomics.wait until this thread has written the
// outputs back and notified it (./index.ts), which keeps the kernel interface synchronous.
// Plain JavaScript: a worker_thread starts without the TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';

const { specifier, ctl, port } = workerData;
const signal = new Int32Array(ctl);

/** Request `id` finished: its status in signal[1], then its id in signal[0]; an error's text as a message first. */
function done(id, error) {
  if (error !== undefined) port.postMessage({ id, error });
  Atomics.store(signal, 1, error === undefined ? 0 : 1);
  Atomics.store(signal, 0, id);
  Atomics.notify(signal, 0);
}

let gpu, adapter, device;
try {
  const { create, globals } = await import(specifier);
  Object.assign(globalThis, globals);
  gpu = create([]);
  adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter found');
  device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  device.lost.then((info) => {
    if (info.reason !== 'destroyed') process.stderr.write(`rulebench webgpu: device lost: ${info.message}\n`);
  });
  parentPort.postMessage({ ready: true, adapter: adapter.info?.description || adapter.info?.vendor || 'unknown adapter' });
} catch (e) {
  parentPort.postMessage({ ready: false, error: String(e?.message ?? e), code: e?.code });
}

let memory = null;
const pipelines = new Map();
const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

async function run(req) {
  // Read here so that the GPU and adapter live as long as this function: Dawn crashes (a freed
  // mutex) once the GPU object is collected while its device is in use, and a module-level
  // binding that no closure reads does not keep it alive.
  if (!gpu || !adapter) throw new Error('the device thread has no device');
  let pipeline = pipelines.get(req.shader);
  if (!pipeline) {
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: req.code });
    pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const err = await device.popErrorScope();
    if (err) throw new Error(`shader ${req.shader}: ${err.message}`);
    pipelines.set(req.shader, pipeline);
  }
  device.pushErrorScope('validation');
  const made = [];
  const make = (bytes, usage) => {
    const b = device.createBuffer({ size: Math.max(4, Math.ceil(bytes / 4) * 4), usage });
    made.push(b);
    return b;
  };
  const params = make(req.params.byteLength, STORAGE());
  device.queue.writeBuffer(params, 0, req.params);
  const buffers = req.bindings.map(({ offset, bytes, input }) => {
    const b = make(bytes, STORAGE());
    // Dawn cannot read a view on a SharedArrayBuffer, so inputs travel through a private copy.
    if (input && bytes > 0) device.queue.writeBuffer(b, 0, new Uint8Array(memory, offset, bytes).slice());
    return b;
  });
  const entries = [params, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } }));
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
  pass.dispatchWorkgroups(...req.groups);
  pass.end();
  const reads = [];
  req.bindings.forEach(({ offset, bytes, output }, i) => {
    if (!output || bytes === 0) return;
    const staging = make(bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    enc.copyBufferToBuffer(buffers[i], 0, staging, 0, staging.size);
    reads.push({ staging, offset, bytes });
  });
  device.queue.submit([enc.finish()]);
  const err = await device.popErrorScope();
  if (err) throw new Error(`dispatch ${req.shader}: ${err.message}`);
  await Promise.all(reads.map((r) => r.staging.mapAsync(GPUMapMode.READ)));
  for (const r of reads) {
    new Uint8Array(memory, r.offset, r.bytes).set(new Uint8Array(r.staging.getMappedRange(), 0, r.bytes));
    r.staging.unmap();
  }
  for (const b of made) b.destroy();
}

// Requests run one at a time, in order (the caller blocks on each).
let queue = Promise.resolve();
port.on('message', (req) => {
  if (req.memory) {
    memory = req.memory;
    return;
  }
  queue = queue.then(() =>
    run(req).then(
      () => done(req.id),
      (e) => done(req.id, String(e?.message ?? e)),
    ),
  );
});
