// The project's PyTorch float64 fixtures (MLPs, layers, LeNet-5, the residual block, the
// transformer block, the RNN) on the WebGPU backend: the same suites every backend runs
// (test/autograd/*-fixtures.ts), held to the same tolerances as the CPU backends. The device's
// kernels meet them on SwiftShader: the transcendental ops sit far inside the conformance
// suite's WGSL bounds there, and each gradient is checked against float64, not against WASM.
// On SwiftShader (no GPU) each dispatch costs milliseconds; the fixtures are small. Where the
// optional package `webgpu` is absent, the backend's refusal is what there is to test.
// First: it sets up SwiftShader's environment before anything below can start Dawn.
import { webgpuPresent as present } from './webgpu-env.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { createWebGpuBackend } from '../../src/kernels/webgpu/index.ts';
import { layerFixtures } from '../autograd/layer-fixtures.ts';
import { mlpFixtures } from '../autograd/pytorch-fixtures.ts';

if (present) {
  const B = await createWebGpuBackend();
  afterAll(() => B.close());
  mlpFixtures('webgpu', B);
  layerFixtures('webgpu', B);
} else {
  describe('the PyTorch fixtures without the optional package webgpu', () => {
    it('have no WebGPU backend: selecting it says the package is not installed', async () => {
      await expect(createWebGpuBackend()).rejects.toThrow(/the optional package "webgpu" is not installed/);
    });
  });
}
