// Entry point of the WASM kernel module (AssemblyScript, built by scripts/build-wasm.mjs).
// Memory is imported and shared; the host (../index.ts) owns all allocation above heapBase().

import { matmulScratchBytes, setMatmulScratch } from './matmul';
import { optimScratchBytes, setOptimScratch } from './optim';
import { reduceScratchBytes, setReduceScratch } from './reduce';

export { matmul } from './matmul';
export { unary, binary, leakyRelu, axpby, axpbyWide } from './elementwise';
export { reduce, softmax, transpose2d, transposeBlocks, allFinite, fingerprint, fingerprintAbs, fingerprintSquares } from './reduce';
export { optimizerStep, optimProgram, optimSlots } from './optim';
export { im2col, col2im, maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward } from './image';
export { addNoise, bernoulliSigmoid, binaryConcrete, sigmoidAffine } from './noise';
export { quantize, matmulRounded } from './quantize';

/** Bytes of scratch the kernels need; the host allocates them once and passes them to setScratch. */
export function scratchBytes(): i32 {
  return matmulScratchBytes() + reduceScratchBytes() + optimScratchBytes();
}

export function setScratch(ptr: usize): void {
  setMatmulScratch(ptr);
  setReduceScratch(ptr + <usize>matmulScratchBytes());
  setOptimScratch(ptr + <usize>matmulScratchBytes() + <usize>reduceScratchBytes());
}

/** First byte the host may allocate: everything below holds this module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

/** Zero `bytes` bytes at ptr (typed-array fill on shared memory is an order of magnitude slower). */
export function zero(ptr: usize, bytes: usize): void {
  memory.fill(ptr, 0, bytes);
}

/** memmove within the shared memory. */
export function copy(dst: usize, src: usize, bytes: usize): void {
  memory.copy(dst, src, bytes);
}
