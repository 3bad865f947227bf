// Run by wasm.test.ts in a child process with --expose-gc: views that are never freed must be
// returned to the allocator by the FinalizationRegistry after a GC.
import { createWasmBackend } from '../../src/kernels/wasm/index.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const W = createWasmBackend();

(function leak(): void {
  for (let i = 0; i < 200; i++) W.alloc(1000)[0] = i;
})();
const liveBefore = W.memoryStats().liveBytes;
for (let round = 0; round < 5 && W.memoryStats().finalizedBlocks < 200; round++) {
  gc();
  // Finalizers run between tasks.
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const s = W.memoryStats();
console.log(JSON.stringify({ finalized: s.finalizedBlocks, liveBefore, liveAfter: s.liveBytes }));
