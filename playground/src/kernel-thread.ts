// A kernel thread of the playground's worker (src/kernels/wasm/browser.ts starts them when the
// page is cross-origin isolated): it runs the kernels' shared loop on the data of its first
// message, for as long as the page lives.
import { runKernelThread } from '../../src/kernels/wasm/kernel-loop.mjs';

const scope = self as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void };
scope.onmessage = (e) => {
  scope.onmessage = null;
  runKernelThread(e.data, (m) => scope.postMessage(m));
};
