// The native backend (OpenBLAS sgemm on the WASM memory) runs the same kernel conformance suite as
// the WASM builds. `npm test`'s pretest installs OpenBLAS and builds the addon; without it these
// tests fail with the reason, rather than being skipped.
import { describe, expect, it } from 'vitest';
import { withThreads } from '../../src/kernels/index.ts';
import { createNativeBackend, nativeAddon } from '../../src/kernels/native/index.ts';
import { kernelConformance } from './conformance.ts';

const found = nativeAddon();

describe('the native addon', () => {
  it('is built and loads (pretest: scripts/ensure-openblas.sh, scripts/build-native.mjs)', () => {
    expect(found.addon ? 'loaded' : found.reason).toBe('loaded');
  });
});

if (found.addon) {
  const B = createNativeBackend();
  describe('native backend setup', () => {
    it('names OpenBLAS and keeps it on one thread whatever the thread count (its results depend on its own)', () => {
      expect(B.name).toBe('native-openblas');
      expect(B.blasConfig()).toMatch(/OpenBLAS.*threads 1$/);
      const g = { n: 32, c: 6, h: 14, w: 14, kh: 5, kw: 5, sh: 1, sw: 1, ph: 0, pw: 0, oh: 10, ow: 10 };
      withThreads(2, () => B.im2col(B.alloc(32 * 6 * 14 * 14), B.alloc(6 * 25 * 32 * 100), g));
      expect(B.threads).toBe(2);
      expect(B.blasConfig()).toMatch(/threads 1$/);
    });

    it('gives the same matmul bits for any thread count', () => {
      // A shape where OpenBLAS on 2 threads would change 5,068 of the 32,768 outputs.
      const [m, n, k] = [128, 256, 784];
      const a = B.alloc(m * k),
        b = B.alloc(k * n),
        out = B.alloc(m * n);
      for (let i = 0; i < a.length; i++) a[i] = Math.sin(i);
      for (let i = 0; i < b.length; i++) b[i] = Math.cos(0.7 * i);
      const runs = [1, 2, 1].map((t) =>
        withThreads(t, () => {
          B.matmul(a, b, out, m, n, k, false, true);
          return Array.from(out);
        }),
      );
      expect(runs[1]).toEqual(runs[0]);
      expect(runs[2]).toEqual(runs[0]);
    });
  });
  kernelConformance('native', B);
}
