// The WebGPU device thread in Node: owns Dawn's GPU, adapter and device (npm `webgpu`) and serves
// the backend's requests with ./device-protocol.mjs, which holds the whole protocol (a browser
// device worker serves the same one with a device from navigator.gpu). The calling thread blocks
// in Atomics.wait only where it needs an answer (./index.ts), which keeps the kernel interface
// synchronous. Plain JavaScript: a worker_thread starts without the TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import { deviceServer } from './device-protocol.mjs';

const { specifier, ctl, port } = workerData;

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

if (device) {
  // `keep`: Dawn crashes (a freed mutex) once the GPU object is collected while its device is in use.
  const serve = deviceServer({ device, signal: new Int32Array(ctl), reply: (m) => port.postMessage(m), keep: { gpu, adapter } });
  port.on('message', serve);
}
