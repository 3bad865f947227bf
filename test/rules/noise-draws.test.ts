// A rule that regenerates its noise declares the full-width draws a step makes (noiseDraws,
// src/rules/cost.ts), and the bench's cost model charges it for them: here each such rule's
// steps are run with the backend's addNoise counted, so a declaration cannot drift from what the
// step does (a rule drawing more than it declares would look cheaper in the model than it is).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  blobs,
  buildModel,
  classification,
  costContext,
  fromArray,
  getRule,
  materialize,
  noGrad,
  rng,
  ruleContext,
  type AnyRule,
  type Batch,
} from '../../src/index.ts';
import { backend, withBackend } from '../../src/kernels/index.ts';
import type { Backend } from '../../src/kernels/backend.ts';
import { loadBuiltins } from '../../src/runner/execute.ts';

beforeAll(() => loadBuiltins());

/** Gaussian values drawn over `steps` steps of `id` (updates materialized and applied, as the runner does), per step after the first. */
function gaussianValuesPerStep(
  id: string,
  options: Record<string, number | string>,
  steps = 3,
): { drawn: number[]; parameters: number; declared: number } {
  const data = blobs(64, 3, 6, 1, rng(0));
  const model = buildModel({ sizes: [6, 12, 3] });
  const params = model.init(rng(0).child('init'));
  const parameters = params.reduce((a, p) => a + p.size, 0);
  const rule = getRule(id) as AnyRule;
  const batch: Batch = { x: fromArray(data.x, [64, 6]), labels: data.y as Int32Array, size: 64 };
  const ctx = (s: number) => ruleContext({ model, task: classification(3), params, rule, options, rng: rng(1), dropout: rng(2), step: s });
  let values = 0;
  const inner = backend();
  const counting: Backend = {
    ...inner,
    addNoise(out, scale, key, offset, kind, elementScale) {
      if (kind === 'gaussian') values += out.length;
      inner.addNoise(out, scale, key, offset, kind, elementScale);
    },
  };
  const drawn: number[] = [];
  withBackend(counting, () => {
    let state = rule.init(ctx(-1));
    for (let s = 0; s < steps; s++) {
      values = 0;
      const res = rule.step(ctx(s), state, batch);
      const u = materialize(res.updates);
      noGrad(() => params.forEach((p, i) => p.data.forEach((v, k) => (p.data[k] = v - 0.01 * u[i].data[k]))));
      state = res.state;
      drawn.push(values);
    }
  });
  const declared = rule.noiseDraws!(costContext(model, { ...rule.defaults, ...options }, 64) as never);
  return { drawn: drawn.slice(1), parameters, declared };
}

describe('declared noise draws', () => {
  for (const [id, options] of [
    ['cma-es', { population: 6 }],
    ['cma-es', { population: 9 }],
    ['evolution-strategies', { population: 6 }],
    ['mezo', { samples: 2 }],
    ['forward-gradient', { directions: 2 }],
  ] as const) {
    it(`${id} ${JSON.stringify(options)}: a step draws the Gaussian values its noiseDraws declares, each over every parameter`, () => {
      const { drawn, parameters, declared } = gaussianValuesPerStep(id, options);
      for (const d of drawn) expect(d / parameters).toBe(declared);
    });
  }
});
