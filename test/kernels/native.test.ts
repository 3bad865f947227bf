// The native backend (OpenBLAS sgemm on the WASM memory) runs the same kernel conformance suite as
// the WASM builds. `npm test`'s pretest installs OpenBLAS and builds the addon; without it these
// tests fail with the reason, rather than being skipped.
import { describe, expect, it } from 'vitest';
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
    it('names OpenBLAS and follows setThreads', () => {
      expect(B.name).toBe('native-openblas');
      expect(B.blasConfig()).toMatch(/OpenBLAS.*threads 1$/);
      B.setThreads(2);
      expect(B.blasConfig()).toMatch(/threads 2$/);
      B.setThreads(1);
    });
  });
  kernelConformance('native', B);
}
