// What a rule's context tells it about where training stands: the step, the epoch it belongs to
// and the steps in an epoch ("redraw every epoch" needs no hand-computed constant).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/runner/run.ts';
import { readRecords } from '../../src/runner/records.ts';
import type { EvalRecord } from '../../src/runner/record-types.ts';
import { quiet, tmp } from './helpers.ts';

describe('the rule context', () => {
  it('holds the epoch and the steps per epoch at every step', async () => {
    const api = join(import.meta.dirname, '..', '..', 'src', 'index.ts');
    const dir = tmp('rule-context');
    const file = join(dir, 'exp.ts');
    writeFileSync(
      file,
      `import { defineRule, taskGradient } from '${api}';
export default {
  name: 'rule-context',
  data: { name: 'blobs', train: 64, test: 16, classes: 3, features: 4 },
  model: { sizes: [4, 8, 3] },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: [{ rule: defineRule({ id: 'epoch-aware', description: 'x', defaults: {}, cost: () => 3, init: () => null,
    step(ctx, state, batch) {
      const { loss, grads } = taskGradient(ctx, batch);
      const epochStart = ctx.step % ctx.stepsPerEpoch === 0 ? 1 : 0;
      return { updates: grads, state, loss, metrics: { epoch: ctx.epoch, stepsPerEpoch: ctx.stepsPerEpoch, epochStart } };
    } }) }],
  seeds: [0],
  epochs: 3,
  batchSize: 16,
};
`,
    );
    const res = await runExperiment(file, { out: join(dir, 'out'), ...quiet });
    expect(res.summaries.map((s) => s.status)).toEqual(['done']);
    const evals = readRecords(join(dir, 'out')).filter((r): r is EvalRecord => r.type === 'eval');
    // One evaluation per epoch; its metrics are means over the epoch's 64 / 16 = 4 steps.
    expect(evals.map((e) => [e.epoch, e.metrics])).toEqual(
      [0, 1, 2].map((epoch) => [epoch, { epoch, stepsPerEpoch: 4, epochStart: 0.25 }]),
    );
  });
});
