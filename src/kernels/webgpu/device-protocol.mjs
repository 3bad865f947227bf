// The device side of the WebGPU backend's protocol (docs/webgpu.md): given a GPUDevice, it
// serves the requests the calling thread posts (./index.ts), in the order they were posted.
// A Node device thread (./device-worker.mjs) and a browser one can both serve it: all they add is
// how they get a device and how messages arrive. Plain JavaScript, so a worker loads it without
// the TypeScript loader.
//
// The control words the calling thread waits on, in a shared Int32Array:
//   DONE     the id of the last answered request (stored after its status)
//   STATUS   0: it succeeded; 1: it failed, its error text posted first as { id, error }
//   HANDLED  how many requests have been handled (the caller's back-pressure)
//
// Requests (each message one object; `id` 0 means nobody waits for the answer):
//   { op: 'memory', memory }                 the WASM memory's newest SharedArrayBuffer
//   { op: 'upload', ptr, size, data }        data (an ArrayBuffer, its own copy) into block ptr's buffer
//   { op: 'dispatch', id, shader, code?, params, bindings, groups }
//        code the first time a shader is used (compiled once); bindings [{ ptr, size, offset, bytes,
//        output, inout }]: a range of block ptr's buffer, in binding order after the params at
//        binding 0; inout marks an output the kernel reads too
//   { op: 'read', id, blocks: [{ ptr, size, bytes }] }   each block's first bytes into the memory at ptr
// A block's buffer is made at its first use with the block's size and kept (the heap never
// merges blocks). A failure nobody waits for is reported by the next answered request.
export const DONE = 0;
export const STATUS = 1;
export const HANDLED = 2;
export const CONTROL_WORDS = 3;

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const round4 = (bytes) => Math.max(4, Math.ceil(bytes / 4) * 4);

/**
 * Serve requests on `device`. `signal` is the shared control array, `reply(message)` posts an
 * error's text to the caller, and `keep` holds what must stay reachable while the device is in
 * use (Dawn crashes once its GPU object is collected). Returns the function to call per message.
 */
export function deviceServer({ device, signal, reply, keep }) {
  let memory = null;
  const pipelines = new Map();
  const buffers = new Map();
  /** Scratch buffers by binding slot, for ranges that cannot be bound in place. */
  const scratch = [];
  let params = null;
  const align = device.limits.minStorageBufferOffsetAlignment;
  /** The first failure of a request nobody waited for. */
  let failure = null;
  /** Error scopes of asynchronous dispatches still being decided. */
  let pending = [];

  const bufferOf = (ptr, size) => {
    let b = buffers.get(ptr);
    if (!b) buffers.set(ptr, (b = device.createBuffer({ size: round4(size), usage: STORAGE() })));
    return b;
  };
  const scratchOf = (slot, bytes) => {
    if (!scratch[slot] || scratch[slot].size < bytes) {
      scratch[slot]?.destroy();
      scratch[slot] = device.createBuffer({ size: round4(bytes), usage: STORAGE() });
    }
    return scratch[slot];
  };

  async function compile(req) {
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: req.code });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const err = await device.popErrorScope();
    if (err) throw new Error(`shader ${req.shader}: ${err.message}`);
    pipelines.set(req.shader, pipeline);
  }

  function dispatch(req) {
    const pipeline = pipelines.get(req.shader);
    if (!pipeline) throw new Error(`shader ${req.shader}: used before it was compiled`);
    device.pushErrorScope('validation');
    // One params buffer serves every dispatch: the queue runs its writes and submits in order.
    if (!params || params.size < req.params.byteLength) {
      params?.destroy();
      params = device.createBuffer({ size: Math.max(256, round4(req.params.byteLength)), usage: STORAGE() });
    }
    device.queue.writeBuffer(params, 0, req.params);
    const enc = device.createCommandEncoder();
    const entries = [{ binding: 0, resource: { buffer: params, offset: 0, size: round4(req.params.byteLength) } }];
    const copyOut = [];
    req.bindings.forEach((b, i) => {
      if (b.bytes === 0) {
        entries.push({ binding: i + 1, resource: { buffer: scratchOf(i, 4) } });
        return;
      }
      const buffer = bufferOf(b.ptr, b.size);
      // WebGPU binds at offsets aligned to minStorageBufferOffsetAlignment and forbids a written
      // range aliasing another binding: such an input is copied to scratch first, and so is an output
      // the kernel reads too (inout: addNoise's out +=, the optimizer's parameter and state updated in
      // place); an output is copied back after the pass.
      const aliased = !b.output && req.bindings.some((o, j) => j !== i && o.output && o.ptr === b.ptr);
      if (b.offset % align === 0 && !aliased) {
        entries.push({ binding: i + 1, resource: { buffer, offset: b.offset, size: b.bytes } });
        return;
      }
      const s = scratchOf(i, b.bytes);
      if (!b.output || b.inout) enc.copyBufferToBuffer(buffer, b.offset, s, 0, b.bytes);
      if (b.output) copyOut.push([s, buffer, b.offset, b.bytes]);
      entries.push({ binding: i + 1, resource: { buffer: s, offset: 0, size: b.bytes } });
    });
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
    pass.dispatchWorkgroups(...req.groups);
    pass.end();
    for (const [s, buffer, offset, bytes] of copyOut) enc.copyBufferToBuffer(s, 0, buffer, offset, bytes);
    device.queue.submit([enc.finish()]);
    pending.push(
      device.popErrorScope().then((err) => {
        if (err) failure ??= `dispatch ${req.shader}: ${err.message}`;
      }),
    );
  }

  async function read(req) {
    if (!memory) throw new Error('read before the memory was attached');
    const enc = device.createCommandEncoder();
    const staged = req.blocks.map(({ ptr, size, bytes }) => {
      const staging = device.createBuffer({ size: round4(bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      enc.copyBufferToBuffer(bufferOf(ptr, size), 0, staging, 0, round4(bytes));
      return { staging, ptr, bytes };
    });
    device.queue.submit([enc.finish()]);
    await Promise.all(staged.map((r) => r.staging.mapAsync(GPUMapMode.READ)));
    for (const r of staged) {
      new Uint8Array(memory, r.ptr, r.bytes).set(new Uint8Array(r.staging.getMappedRange(), 0, r.bytes));
      r.staging.unmap();
      r.staging.destroy();
    }
  }

  async function handle(req) {
    // Read here so that what `keep` holds lives as long as the device is used (a binding that no
    // running closure reads does not keep it alive).
    if (!keep) throw new Error('the device thread has no device');
    if (req.op === 'memory') memory = req.memory;
    else if (req.op === 'upload') device.queue.writeBuffer(bufferOf(req.ptr, req.size), 0, req.data);
    else if (req.op === 'dispatch') {
      if (req.code !== undefined) await compile(req);
      dispatch(req);
    } else if (req.op === 'read') await read(req);
    else throw new Error(`unknown request ${req.op}`);
    if (req.id) {
      // An answered request also answers for the asynchronous ones before it.
      await Promise.all(pending);
      pending = [];
    }
  }

  const answer = (id, error) => {
    if (error !== undefined) reply({ id, error });
    Atomics.store(signal, STATUS, error === undefined ? 0 : 1);
    Atomics.store(signal, DONE, id);
    Atomics.notify(signal, DONE);
  };
  const handled = () => {
    Atomics.add(signal, HANDLED, 1);
    Atomics.notify(signal, HANDLED);
  };

  // Requests run one at a time, in the order they were posted.
  let queue = Promise.resolve();
  return (req) => {
    queue = queue.then(() =>
      handle(req).then(
        () => {
          if (req.id) answer(req.id, failure ?? undefined);
          handled();
        },
        (e) => {
          const error = String(e?.message ?? e);
          if (req.id) answer(req.id, error);
          else failure ??= error;
          handled();
        },
      ),
    );
  };
}
