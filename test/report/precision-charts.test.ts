// The precision charts, from hand-made records in the shape experiments/precision.ts writes: rule
// entries that differ only in their `precision` are separate series, named by their format, and
// each is read against its float32 twin seed by seed; shares of flushed entries per layer come
// from the evaluation records' `precision` field.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCharts } from '../../src/report/charts.ts';
import { changeRows, lossScaleRows, precisionPairs, underflowRows } from '../../src/report/precision-charts.ts';
import { readResults, type ResultSet } from '../../src/report/records.ts';
import { compileSpec } from '../../src/report/render.ts';
import { cleanupTempDirs, tempDir } from './fixtures.ts';

afterAll(cleanupTempDirs);

const FORMATS = [null, { compute: 'bf16' }, { compute: { forward: 'fp8-e4m3', backward: 'fp8-e5m2' }, lossScale: 'dynamic' }];
const RULES = [
  { rule: 'backprop', options: {} },
  { rule: 'feedback-alignment', options: { variant: 'fa' } },
];

/** Final accuracy and mean cosine per (rule, format, seed): what the fixture's summaries say. */
const acc = (r: number, f: number, seed: number) => 0.9 - 0.05 * r - 0.01 * f * (seed + 1);
const cos = (r: number, f: number, seed: number) => (r === 0 ? 1 : 0.5) - 0.1 * f - 0.02 * seed * f;

/** A low-precision trial's per-layer flushed shares at evaluation `k`: cotangents come output layer first, as a backward pass makes them. */
const shares = (f: number, k: number) => ({
  // The fp8 entries scale dynamically: 2^15 after the first evaluation, 2^14 after the second, a step skipped each time.
  lossScale: f === 2 ? 2 ** (16 - k) : 1,
  lossScaleRange: [1, 1],
  skippedSteps: f === 2 ? 1 : 0,
  skippedTotal: f === 2 ? k : 0,
  cotangents: { fc2: { flushed: 0.01 * f * k, saturated: 0 }, fc1: { flushed: 0.1 * f, saturated: 0.5 } },
  updates: { 'fc1.weight': { flushed: 0.2 * f, saturated: 0 }, 'fc2.weight': { flushed: 0, saturated: 0 } },
  activations: {},
});

async function fixture(): Promise<string> {
  const dir = await tempDir();
  const rules = RULES.flatMap((r) =>
    FORMATS.map((p) => ({
      ...r,
      grid: {},
      defaults: { variant: 'fa' },
      ...(p ? { precision: p } : {}),
      ...(r.rule === 'backprop' ? { exact: true } : {}),
    })),
  );
  const trials: object[] = [];
  const lines: object[] = [];
  RULES.forEach((r, i) =>
    FORMATS.forEach((p, j) =>
      // The fp8 feedback-alignment trial ran seed 0 only: its change is over that seed alone.
      (i === 1 && j === 2 ? [0] : [0, 1]).forEach((seed) => {
        const id = `${r.rule}-${j}-${seed}`;
        trials.push({ id, rule: r.rule, options: r.options, seed, entry: i * FORMATS.length + j });
        const base = { trial: id, rule: r.rule, options: r.options, seed };
        for (const k of [1, 2])
          lines.push({
            type: 'eval',
            ...base,
            epoch: k - 1,
            step: 10 * k,
            testAcc: acc(i, j, seed),
            alignment: [],
            ...(p ? { precision: shares(j, k) } : {}),
          });
        lines.push({
          type: 'summary',
          ...base,
          status: 'done',
          finalTestAcc: acc(i, j, seed),
          meanCosine: cos(i, j, seed),
          epochs: 2,
          steps: 20,
        });
      }),
    ),
  );
  await writeFile(join(dir, 'records.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  await writeFile(join(dir, 'experiment.json'), JSON.stringify({ name: 'precision-fixture', spec: { rules }, trials }));
  return dir;
}

let rs: ResultSet;
beforeAll(async () => {
  rs = await readResults(await fixture());
});

describe('precision charts', () => {
  it('keeps entries that differ only in precision apart, each named by its format', () => {
    expect(rs.series.map((s) => s.label)).toEqual([
      'backprop',
      'backprop (bf16)',
      'backprop (fp8-e4m3/fp8-e5m2 dynamic scale)',
      'feedback-alignment',
      'feedback-alignment (bf16)',
      'feedback-alignment (fp8-e4m3/fp8-e5m2 dynamic scale)',
    ]);
    expect(precisionPairs(rs).map((p) => [p.format, p.rule, p.low.label, p.base.label])).toEqual([
      ['bf16', 'backprop', 'backprop (bf16)', 'backprop'],
      ['fp8-e4m3/fp8-e5m2 dynamic scale', 'backprop', 'backprop (fp8-e4m3/fp8-e5m2 dynamic scale)', 'backprop'],
      ['bf16', 'feedback-alignment', 'feedback-alignment (bf16)', 'feedback-alignment'],
      [
        'fp8-e4m3/fp8-e5m2 dynamic scale',
        'feedback-alignment',
        'feedback-alignment (fp8-e4m3/fp8-e5m2 dynamic scale)',
        'feedback-alignment',
      ],
    ]);
  });

  it('reads accuracy and alignment against float32 seed by seed, over the seeds both ran', () => {
    const a = changeRows(rs, (f) => f.finalTestAcc);
    // backprop at bf16: −0.01 (seed 0) and −0.02 (seed 1); at fp8: −0.02 and −0.04.
    expect(a[0]).toMatchObject({ format: 'bf16', rule: 'backprop', n: 2 });
    expect(a[0].delta).toBeCloseTo(-0.015, 12);
    expect([a[0].lo, a[0].hi].map((x) => +x.toFixed(12))).toEqual([-0.02, -0.01]);
    expect(a[1].delta).toBeCloseTo(-0.03, 12);
    // feedback alignment at fp8 ran seed 0 only: −0.02, not the two-seed mean.
    expect(a[3]).toMatchObject({ n: 1 });
    expect(a[3].delta).toBeCloseTo(-0.02, 12);
    expect(a[3].base).toBeCloseTo(0.85, 12);
    const c = changeRows(rs, (f) => f.meanCosine);
    // bf16: −0.1 and −0.12; fp8 feedback alignment, seed 0: −0.2.
    expect(c[0].delta).toBeCloseTo(-0.11, 12);
    expect(c[3].delta).toBeCloseTo(-0.2, 12);
  });

  it('averages flushed shares per layer over evaluations, then seeds; cotangents listed input layer first', () => {
    const cot = underflowRows(rs, 'cotangents').filter((r) => r.rule === 'backprop' && r.format === 'bf16');
    // fc2 at bf16 (f = 1): 0.01 and 0.02 at the two evaluations.
    expect(cot.map((r) => r.layer)).toEqual(['fc1', 'fc2']);
    expect(cot[0]).toMatchObject({ flushed: 0.1, saturated: 0.5 });
    expect(cot[1].flushed).toBeCloseTo(0.015, 12);
    const upd = underflowRows(rs, 'updates').filter((r) => r.format === 'fp8-e4m3/fp8-e5m2 dynamic scale');
    expect(upd.map((r) => [r.rule, r.layer, r.flushed])).toEqual([
      ['backprop', 'fc1.weight', 0.4],
      ['backprop', 'fc2.weight', 0],
      ['feedback-alignment', 'fc1.weight', 0.4],
      ['feedback-alignment', 'fc2.weight', 0],
    ]);
  });

  it("reads where each seed's loss scale ended from its last evaluation", () => {
    expect(lossScaleRows(rs).map((r) => [r.rule, r.format, r.scales, r.skipped])).toEqual([
      ['backprop', 'bf16', [1, 1], [0, 0]],
      ['backprop', 'fp8-e4m3/fp8-e5m2 dynamic scale', [2 ** 14, 2 ** 14], [2, 2]],
      ['feedback-alignment', 'bf16', [1, 1], [0, 0]],
      ['feedback-alignment', 'fp8-e4m3/fp8-e5m2 dynamic scale', [2 ** 14], [2]],
    ]);
  });

  it('draws a panel per format, and nothing for a run without precision entries', async () => {
    const names = ['precision-accuracy', 'precision-alignment', 'precision-underflow-cotangents', 'precision-underflow-updates'];
    const charts = buildCharts(rs).filter((c) => names.includes(c.name));
    expect(charts.map((c) => c.name)).toEqual(names);
    for (const c of charts) {
      const spec = c.spec as { facet: { field: string; sort: string[] } };
      expect(spec.facet.field).toBe('format');
      expect(spec.facet.sort).toEqual(['bf16', 'fp8-e4m3/fp8-e5m2 dynamic scale']);
      expect(() => compileSpec(c.spec)).not.toThrow();
    }
    const plain = { ...rs, series: rs.series.filter((s) => !s.entry?.precision) };
    expect(buildCharts(plain).filter((c) => names.includes(c.name))).toEqual([]);
  });
});
