// What the device thread imports for its GPU (../device-worker.mjs: `create` and `globals`, as
// the npm package `webgpu` gives Dawn's): in a browser, the worker's own navigator.gpu, whose
// GPUBufferUsage and the rest are globals already.
export const create = (): unknown => (globalThis as unknown as { navigator: { gpu?: unknown } }).navigator.gpu;
export const globals: Readonly<Record<string, never>> = {};
