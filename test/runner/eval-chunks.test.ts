// Evaluation runs in chunks whose arena holds every forward output until the chunk ends, so a
// deep conv net must get smaller chunks than an MLP (1000 ResNet-20 images took over 6 GB).
import { describe, expect, it } from 'vitest';
import { blobs, buildModel, rng, sizeOf, type ModelSpec } from '../../src/index.ts';
import { EVAL_BYTES, evalRows } from '../../src/runner/evaluate.ts';

const images = { ...blobs(10, 10, 1024, 0.5, rng(0)), shape: [1, 32, 32] };
const build = (spec: ModelSpec, sample: number[]) => buildModel(spec, { sampleShape: sample, outputs: 10 });
const leafOutputs = (spec: ModelSpec, sample: number[]) =>
  build(spec, sample)
    .modules()
    .reduce((s, m) => s + (m.children.length ? 0 : sizeOf(m.outShape)), 0);

describe('evaluation chunks', () => {
  it('an MLP and LeNet-5 keep chunks of 1000 rows', () => {
    expect(evalRows(build({ sizes: [1024, 256, 256, 10] }, [1024]), images)).toBe(1000);
    expect(evalRows(build({ preset: 'lenet5' }, [1, 32, 32]), images)).toBe(1000);
  });

  it('a ResNet-20 on 32×32 images gets chunks whose forward outputs fit the budget', () => {
    const spec: ModelSpec = { preset: 'resnet', depth: 20, shortcut: 'A' };
    const rows = evalRows(build(spec, [1, 32, 32]), images);
    expect(rows).toBeLessThan(100);
    expect(rows).toBeGreaterThan(10);
    // Even at four tensors per layer output, a chunk stays within EVAL_BYTES.
    expect(rows * leafOutputs(spec, [1, 32, 32]) * 4 * 4).toBeLessThanOrEqual(EVAL_BYTES);
  });
});
