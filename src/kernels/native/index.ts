// The optional native backend: the WASM backend (its memory, allocator and every other kernel)
// with matmul handed to OpenBLAS's sgemm through a Node-API addon (addon.c, built by
// scripts/build-native.mjs when OpenBLAS is installed). RULEBENCH_BACKEND=native selects it.
// OpenBLAS runs on one thread whatever --threads says: its results change with its own thread
// count (measured: 5,068 of 32,768 outputs of a 128×256×784 product differ between 1 and 2
// threads), and a thread count must never change a record. --threads still splits the WASM
// kernels (im2col, col2im).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { referenceBackend } from '../reference.ts';
import { createWasmBackend, type WasmBackend, type WasmOptions } from '../wasm/index.ts';

interface Addon {
  attach(view: Float32Array): void;
  sgemm(a: number, b: number, out: number, m: number, n: number, k: number, transA: number, transB: number, limit: number): void;
  setThreads(n: number): void;
  config(): string;
}

const addonPath = fileURLToPath(new URL('./build/Release/rulebench_native.node', import.meta.url));

/** The addon, or the reason it cannot be loaded. */
export function nativeAddon(): { addon: Addon } | { addon: null; reason: string } {
  if (!existsSync(addonPath)) {
    return {
      addon: null,
      reason: `${addonPath} is not built (needs OpenBLAS: apt-get install -y libopenblas-dev libopenblas0-pthread; then node scripts/build-native.mjs)`,
    };
  }
  try {
    return { addon: createRequire(import.meta.url)(addonPath) as Addon };
  } catch (e) {
    return { addon: null, reason: `${addonPath} failed to load: ${(e as Error).message}` };
  }
}

export interface NativeBackend extends WasmBackend {
  /** OpenBLAS's build configuration and thread count. */
  blasConfig(): string;
}

let cached: NativeBackend | null = null;

/** The native backend (one per thread). Throws, saying how to build it, if the addon is missing. */
export function loadNativeBackend(options: WasmOptions = {}): NativeBackend {
  cached ??= createNativeBackend(options);
  return cached;
}

export function createNativeBackend(options: WasmOptions = {}): NativeBackend {
  const found = nativeAddon();
  if (!found.addon) throw new Error(`RULEBENCH_BACKEND=native: ${found.reason}`);
  const blas = found.addon;
  // One OpenBLAS thread always, never OpenBLAS's own default of all cores.
  blas.setThreads(1);
  const wasm = createWasmBackend(options);
  let attached: ArrayBufferLike | null = null;
  const limit = (buf: Float32Array): number => {
    // The memory's base never moves; attaching again after a grow only refreshes the length.
    if (attached !== buf.buffer) {
      blas.attach(new Float32Array(buf.buffer, 0, buf.buffer.byteLength >> 2));
      attached = buf.buffer;
    }
    return buf.buffer.byteLength;
  };
  return {
    ...wasm,
    name: 'native-openblas',
    get threads() {
      return wasm.threads;
    },
    matmul(a, b, out, m, n, k, transA, transB) {
      if (!(wasm.owns(a) && wasm.owns(b) && wasm.owns(out))) return referenceBackend.matmul(a, b, out, m, n, k, transA, transB);
      if (out.length < m * n || a.length < m * k || b.length < k * n) return wasm.matmul(a, b, out, m, n, k, transA, transB);
      // Every buffer the heap owns lies in its newest SharedArrayBuffer's range.
      const big = [a, b, out].reduce((x, y) => (y.buffer.byteLength > x.buffer.byteLength ? y : x));
      blas.sgemm(a.byteOffset, b.byteOffset, out.byteOffset, m, n, k, transA ? 1 : 0, transB ? 1 : 0, limit(big as Float32Array));
    },
    blasConfig: () => blas.config(),
  };
}
