// The cost charts of the energy-based and zeroth-order rules, from hand-made records: settling
// trajectories and costs (time per step against the baseline), gradient estimates against
// samples per step, accuracy against forward passes spent — checked against hand-computed values,
// compiled and rendered without warnings.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCharts, type BuiltChart } from '../../src/report/charts.ts';
import { estimateRows, forwardPassRows, settlingCostRows, settlingRows } from '../../src/report/cost-charts.ts';
import { readResults, type ResultSet } from '../../src/report/records.ts';
import { compileSpec, renderSvg, staticSpec } from '../../src/report/render.ts';
import { cleanupTempDirs, tempDir } from './fixtures.ts';

afterAll(cleanupTempDirs);

const STEPS_PER_EPOCH = 10;

/** A trial's eval records (two epochs) and its summary line. */
function trial(rule: string, seed: number, ms: number, metrics: (epoch: number) => Record<string, number>, acc: (epoch: number) => number) {
  const id = `${rule}-${seed}`;
  const evals = [0, 1].map((epoch) => ({
    type: 'eval',
    trial: id,
    rule,
    options: {},
    seed,
    epoch,
    step: (epoch + 1) * STEPS_PER_EPOCH,
    trainLoss: 1 - acc(epoch),
    valAcc: null,
    valLoss: null,
    testAcc: acc(epoch),
    testLoss: null,
    memory: null,
    estimates: 'task-gradient',
    objective: null,
    alignment: [],
    metrics: metrics(epoch),
    diagnostics: {},
    host: { wallMs: 1, stepMs: ms * (epoch + 1), stepCpuMs: 0, rssBytes: 1, heapBytes: 1 },
  }));
  const summary = {
    type: 'summary',
    trial: id,
    rule,
    options: {},
    seed,
    status: 'done',
    error: null,
    epochs: 2,
    steps: 2 * STEPS_PER_EPOCH,
    finalTestAcc: acc(1),
    bestValAcc: null,
    peakBytes: null,
    ratioToInference: null,
    estimates: 'task-gradient',
    objective: null,
    alignmentReference: null,
    meanCosine: null,
    meanLayerCosine: null,
    meanErrorSignalCosine: null,
    host: { wallMs: 1, stepMs: 2 * ms, stepCpuMs: 0, medianStepMs: null, msPerEpoch: ms },
  };
  return [...evals, summary].map((r) => JSON.stringify(r)).join('\n') + '\n';
}

async function fixture(): Promise<string> {
  const dir = await tempDir();
  await mkdir(join(dir, 'records'));
  const files: Record<string, string> = {};
  for (const seed of [0, 1]) {
    files[`bp-${seed}`] = trial(
      'backprop',
      seed,
      100,
      () => ({}),
      (e) => 0.9 + 0.01 * e,
    );
    // Energies 4, 2, 1 (seed 0) and 6, 3, 1.5 (seed 1) in the last interval; settling at step 2 or 3.
    files[`pc-${seed}`] = trial(
      'predictive-coding',
      seed,
      seed === 0 ? 300 : 500,
      (e) => ({
        'energy.0': (4 + 2 * seed) * (e + 1),
        'energy.1': (2 + seed) * (e + 1),
        'energy.2': (1 + 0.5 * seed) * (e + 1),
        settleSteps: 2 + seed,
        settledShare: seed,
        finalEnergy: 1 + e,
        'fc1.predictionError': 0.5,
      }),
      (e) => 0.8 + 0.01 * e,
    );
    files[`es-${seed}`] = trial(
      'evolution-strategies',
      seed,
      200,
      () => ({ forwardPasses: 8, lossSpread: 0.1 }),
      (e) => 0.5 + 0.1 * e + 0.02 * seed,
    );
  }
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, 'records', `${name}.jsonl`), text);
  const rows = [
    {
      type: 'zeroth-order',
      estimator: 'mezo (SPSA)',
      rule: 'mezo',
      options: { samples: 1 },
      forwardPasses: 2,
      parameters: 99,
      cosine: 0.1,
      cosineStd: 0.05,
      relativeVariance: 100,
    },
    {
      type: 'zeroth-order',
      estimator: 'mezo (SPSA)',
      rule: 'mezo',
      options: { samples: 4 },
      forwardPasses: 8,
      parameters: 99,
      cosine: 0.2,
      cosineStd: 0.04,
      relativeVariance: 25,
    },
    {
      type: 'zeroth-order',
      estimator: 'mezo (SPSA)',
      rule: 'mezo',
      options: { samples: 4 },
      forwardPasses: 8,
      parameters: 99,
      cosine: 0.3,
      cosineStd: 0.06,
      relativeVariance: 27,
    },
  ];
  await writeFile(join(dir, 'zeroth-order.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  await writeFile(
    join(dir, 'experiment.json'),
    JSON.stringify({
      name: 'cost-fixture',
      spec: { rules: [{ rule: 'backprop' }, { rule: 'predictive-coding' }, { rule: 'evolution-strategies' }] },
      trials: ['backprop', 'predictive-coding', 'evolution-strategies'].flatMap((rule) =>
        [0, 1].map((seed) => ({ id: `${rule}-${seed}`, rule, options: {}, seed })),
      ),
    }),
  );
  return dir;
}

describe('cost charts', () => {
  let rs: ResultSet;
  let charts: BuiltChart[];
  beforeAll(async () => {
    rs = await readResults(await fixture());
    charts = buildCharts(rs);
  });

  it('are built when their records are present, and trajectories leave the rule’s own metric chart', () => {
    const names = charts.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['settling', 'settling-cost', 'zeroth-order-estimates', 'accuracy-vs-forward-passes']));
    const pcMetrics = charts.find((c) => c.name === 'metrics-predictive-coding')!;
    const panels = new Set((pcMetrics.spec as { data: { values: Array<{ panel: string }> } }).data.values.map((r) => r.panel));
    expect([...panels].sort()).toEqual(['fc1.predictionError', 'finalEnergy', 'settleSteps', 'settledShare']);
  });

  it('settling: each step’s value in the last interval, averaged over seeds', () => {
    const rows = settlingRows(rs).filter((r) => r.series === 'predictive-coding');
    // Last interval (epoch 1): seed 0 → 8, 4, 2; seed 1 → 12, 6, 3.
    expect(rows.map((r) => [r.panel, r.x, r.mean])).toEqual([
      ['energy', 0, 10],
      ['energy', 1, 5],
      ['energy', 2, 2.5],
    ]);
    expect(rows[0]).toMatchObject({ lo: 8, hi: 12, n: 2 });
  });

  it('settling cost: steps, share settled and final energy over training, time per step ÷ the baseline’s', () => {
    const rows = settlingCostRows(rs);
    expect(new Set(rows.map((r) => r.series))).toEqual(new Set(['predictive-coding']));
    const by = Object.fromEntries(rows.map((r) => [r.quantity, r]));
    expect(by['steps to settle']).toMatchObject({ value: 2.5, lo: 2, hi: 3, n: 2 });
    expect(by['share of steps settled'].value).toBe(0.5);
    expect(by['final energy'].value).toBe(1.5);
    // (300 + 500) / 2 ms per epoch against backprop's 100.
    expect(by['time per step ÷ backprop']).toMatchObject({ value: 4, lo: 3, hi: 5 });
  });

  it('estimates: cosine with its spread over draws, variance, per estimator and forward passes', () => {
    const rows = estimateRows(rs);
    const at8 = rows.filter((r) => r.forwardPasses === 8);
    const cos = at8.find((r) => r.quantity === 'cosine')!;
    expect(cos.mean).toBeCloseTo(0.25, 12);
    expect(cos.lo).toBeCloseTo(0.2, 12);
    expect(cos.hi).toBeCloseTo(0.3, 12);
    expect(at8.find((r) => r.quantity === 'relative variance')).toMatchObject({ mean: 26, lo: 25, hi: 27, n: 2 });
  });

  it('accuracy against forward passes: steps × passes per step, cumulative, only for rules that report them', () => {
    const rows = forwardPassRows(rs);
    expect(new Set(rows.map((r) => r.series))).toEqual(new Set(['evolution-strategies']));
    expect(rows.map((r) => [r.x, r.mean])).toEqual([
      [80, expect.closeTo(0.51, 12)],
      [160, expect.closeTo(0.61, 12)],
    ]);
  });

  it('compile and render without warnings', async () => {
    for (const c of charts.filter((x) =>
      ['settling', 'settling-cost', 'zeroth-order-estimates', 'accuracy-vs-forward-passes'].includes(x.name),
    )) {
      expect(compileSpec(c.spec).warnings, c.name).toEqual([]);
      const warnings: string[] = [];
      const svg = await renderSvg(staticSpec(c.spec), warnings);
      expect(svg, c.name).toContain('<svg');
      expect(warnings, c.name).toEqual([]);
    }
  });
});
