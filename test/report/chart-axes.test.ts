// The charts read right on real runs: axes that never run below 0 for times and shares, test
// error on a log axis, tick labels that differ, a colour per series however many, per-rule rows
// of panels for per-layer charts, one point per epoch where a long run measured many, and a rule's
// expectation at the run's budget beside it. Checked on the committed LeNet records
// (results/biotorch-lenet-mnist) and on fabricated records shaped like a quick run's.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, View } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CURVE_POINTS } from '../../src/report/chart-data.ts';
import { PALETTE } from '../../src/report/chart-kit.ts';
import { buildCharts, type BuiltChart } from '../../src/report/charts.ts';
import { buildPage } from '../../src/report/page.ts';
import { readResults, type ResultSet } from '../../src/report/records.ts';
import { compileSpec, renderSvg, staticSpec } from '../../src/report/render.ts';
import type { TrialRecord } from '../../src/runner/record-types.ts';
import {
  cleanupTempDirs,
  FAKE_SERIES,
  fakeTrial,
  fixtureManifest,
  makeFixtureDir,
  manySeries,
  tempDir,
  type FakeSeries,
} from './fixtures.ts';

afterAll(cleanupTempDirs);

const LENET = 'results/biotorch-lenet-mnist';

const chart = (charts: BuiltChart[], name: string): TopLevelSpec => {
  const c = charts.find((x) => x.name === name);
  if (!c) throw new Error(`no chart ${name} among ${charts.map((x) => x.name).join(', ')}`);
  return c.spec;
};

/** Every scale's domain once Vega has run the spec on its data, by scale name. */
async function scaleDomains(spec: TopLevelSpec): Promise<Map<string, { type: string; domain: unknown[] }>> {
  const vega = compileSpec(staticSpec(spec)).vega;
  const names: Array<{ name: string; type: string }> = [];
  const walk = (n: { scales?: Array<{ name: string; type?: string }>; marks?: unknown[] }) => {
    for (const s of n.scales ?? []) names.push({ name: s.name, type: s.type ?? 'linear' });
    for (const m of n.marks ?? []) walk(m as typeof n);
  };
  walk(vega as typeof vega & { scales?: Array<{ name: string }> });
  const view = new View(parse(vega), { renderer: 'none' });
  await view.runAsync();
  try {
    return new Map(
      names.flatMap(({ name, type }) => {
        try {
          return [[name, { type, domain: view.scale(name).domain() as unknown[] }]];
        } catch {
          return []; // a scale inside a facet's group: not reachable by name from the top
        }
      }),
    );
  } finally {
    view.finalize();
  }
}

/** Axis tick labels of a rendered SVG, one list per axis. */
function tickLabels(svg: string): string[][] {
  return [...svg.matchAll(/<g class="mark-text role-axis-label"[^>]*>([^]*?)<\/g>/g)].map((m) =>
    [...m[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]),
  );
}

const rowsOf = (spec: TopLevelSpec) => (spec as unknown as { data: { values: Array<Record<string, unknown>> } }).data.values;

describe('on the committed LeNet records (100 epochs, alignment every 200 steps)', () => {
  let rs: ResultSet;
  let charts: BuiltChart[];
  beforeAll(async () => {
    rs = await readResults(LENET);
    charts = buildCharts(rs);
  });

  it('the headline’s time axis starts at 0, not below', async () => {
    const domains = await scaleDomains(chart(charts, 'headline'));
    const time = [...domains].filter(([n]) => /concat_1_x/.test(n)).map(([, d]) => d.domain as number[]);
    expect(time.length).toBe(1);
    expect(time[0][0]).toBe(0);
    // Training-step wall time in seconds: 100 epochs of LeNet take minutes.
    expect(time[0][1]).toBeGreaterThan(60);
  });

  it('shows test error on a log axis that spans LeNet’s sub-1% errors, as the headline does', async () => {
    const spec = chart(charts, 'test-accuracy');
    const y = [...(await scaleDomains(spec))].find(([n]) => n === 'y')![1];
    expect(y.type).toBe('log');
    const [lo, hi] = y.domain as number[];
    // The best final errors are 0.6–0.8%, DFA's first 70.5%: the axis holds both, and no more.
    expect(lo).toBeLessThan(0.65);
    expect(lo).toBeGreaterThan(0.1);
    expect(hi).toBeGreaterThan(70);
    expect(hi).toBeLessThanOrEqual(100);
    // Plotted in % error: backprop's last point is 100 × (1 − its final test accuracy).
    const backprop = rowsOf(spec).filter((r) => r.series === 'backprop') as Array<{ x: number; mean: number }>;
    const last = backprop.reduce((a, b) => (b.x > a.x ? b : a));
    expect(last.mean).toBeCloseTo(100 * (1 - rs.series[0].trials[0].summary!.finalTestAcc), 9);
  });

  it('the dead-unit axis starts at 0%', async () => {
    const y = (await scaleDomains(chart(charts, 'dead-units'))).get('y')!;
    expect((y.domain as number[])[0]).toBe(0);
  });

  it('draws one point per epoch where the run measured alignment five times an epoch', () => {
    const points = rs.series[1].trials[0].evals.reduce((n, e) => n + e.alignment.length, 0);
    expect(points).toBeGreaterThan(400);
    const spec = chart(charts, 'alignment') as unknown as {
      vconcat: Array<{
        data: { values: Array<{ series: string; panel: string; x: number }> };
        spec: { layer: Array<{ mark: { type: string; size?: number } }> };
      }>;
    };
    const rows = spec.vconcat[0].data.values;
    const perCurve = new Map<string, number>();
    for (const r of rows) perCurve.set(`${r.series} ${r.panel}`, (perCurve.get(`${r.series} ${r.panel}`) ?? 0) + 1);
    expect(Math.max(...perCurve.values())).toBeLessThanOrEqual(100);
    expect(Math.min(...perCurve.values())).toBeGreaterThan(90);
    expect(100).toBeGreaterThan(MAX_CURVE_POINTS);
    // The mean of each epoch's measurements: the first epoch's, from the records.
    const fa = rs.series[1];
    const firstEpoch = fa.trials[0].evals[0].alignment.filter((a) => a.step <= 938).map((a) => a.overall.cosine);
    const row = rows.find((r) => r.series === fa.label && r.panel === 'all parameters (weighted)' && r.x <= 1) as unknown as {
      mean: number;
    };
    expect(row.mean).toBeCloseTo(firstEpoch.reduce((a, b) => a + b, 0) / firstEpoch.length, 12);
    // A hundred markers per curve stay small enough not to merge into a block.
    expect(spec.vconcat[0].spec.layer.find((l) => l.mark.type === 'point')!.mark.size).toBeLessThan(20);
  });
});

/** A results directory with these trials' records and a manifest of the series. */
async function recordsDir(series: FakeSeries[], edit: (s: FakeSeries, r: TrialRecord) => TrialRecord): Promise<string> {
  const dir = await tempDir();
  await mkdir(join(dir, 'records'));
  for (const [i, s] of series.entries()) {
    const lines = fakeTrial(s, 0, `t${i}`).map((r) => JSON.stringify(edit(s, r)));
    await writeFile(join(dir, 'records', `t${i}.jsonl`), lines.join('\n') + '\n');
  }
  await writeFile(join(dir, 'experiment.json'), JSON.stringify(fixtureManifest(series, [0])));
  return dir;
}

describe('on records shaped like a quick run’s', () => {
  it('forward-pass chart ticks differ from each other for a rule near chance (8.6–10%)', async () => {
    const mezo: FakeSeries = { rule: 'mezo', options: {}, acc: 0.1, cos: [0, 0], slow: 2, feedback: false };
    const accs = [0.0855, 0.0905, 0.1, 0.0995];
    const dir = await recordsDir([FAKE_SERIES[0], mezo], (s, r) =>
      s === mezo && r.type === 'eval' ? { ...r, testAcc: accs[r.epoch], metrics: { forwardPasses: 2 } } : r,
    );
    const svg = await renderSvg(staticSpec(chart(buildCharts(await readResults(dir)), 'accuracy-vs-forward-passes')));
    const y = tickLabels(svg).find((labels) => labels.some((l) => l.startsWith('0.0')))!;
    expect(y.length).toBeGreaterThan(3);
    expect(new Set(y).size, y.join(' ')).toBe(y.length);
  });

  it('the relaxation’s share of steps settled reads 0–100% when no step settled', async () => {
    const pc: FakeSeries = { rule: 'predictive-coding', options: {}, acc: 0.87, cos: [0.8, 0.9], slow: 4.7, feedback: false };
    const dir = await recordsDir([FAKE_SERIES[0], pc], (s, r) =>
      s === pc && r.type === 'eval' ? { ...r, metrics: { settleSteps: 20, settledShare: 0, finalEnergy: 0.33 } } : r,
    );
    const svg = await renderSvg(staticSpec(chart(buildCharts(await readResults(dir)), 'settling-cost')));
    const share = tickLabels(svg).find((labels) => labels.includes('0%'))!;
    expect(share).toContain('100%');
    expect(
      tickLabels(svg)
        .flat()
        .some((l) => /^0\.0{4,}$/.test(l)),
    ).toBe(false);
  });

  it('a run cut short inside its first epoch (a quick run of a long protocol) sits on the spec’s epoch axis', async () => {
    // The fixture's spec: 6,000 images, 1,000 held out, batch 100: 50 steps per epoch. The trial stopped at step 30.
    const dir = await recordsDir([FAKE_SERIES[0]], (_s, r) => r);
    const [first] = fakeTrial(FAKE_SERIES[0], 0, 't0');
    const evals = [10, 20, 30].map((step) => JSON.stringify({ ...first, step, epoch: 0 }));
    await writeFile(join(dir, 'records', 't0.jsonl'), evals.join('\n') + '\n');
    const rows = rowsOf(chart(buildCharts(await readResults(dir)), 'test-accuracy')) as Array<{ x: number }>;
    expect(rows.map((r) => r.x)).toEqual([0.2, 0.4, 0.6].map((x) => expect.closeTo(x, 12)));
  });

  it('eighteen configurations wear eighteen colours', async () => {
    const series = [
      ...manySeries(),
      ...['predictive-coding', 'kolen-pollack', 'weight-mirroring', 'forward-gradient', 'pepita', 'target-propagation'].map(
        (rule, i): FakeSeries => ({ rule, options: {}, acc: 0.8 + 0.01 * i, cos: [0.3, 0.6], slow: 1.2, feedback: false }),
      ),
    ];
    expect(series.length).toBe(18);
    const rs = await readResults(await makeFixtureDir({ experiment: true, series, seeds: [0] }));
    const color = (
      chart(buildCharts(rs), 'headline') as unknown as {
        concat: Array<{ layer: Array<{ encoding: { color: { scale: { range: string[] } } } }> }>;
      }
    ).concat[0].layer[1].encoding.color.scale.range;
    expect(new Set(color).size).toBe(18);
    expect(PALETTE.length).toBeGreaterThanOrEqual(18);
  });

  it('with many configurations, per-layer charts get a row of panels per rule', async () => {
    const rs = await readResults(await makeFixtureDir({ experiment: true, series: manySeries(), seeds: [0] }));
    const charts = buildCharts(rs);
    const rules = [...new Set(rs.series.map((s) => s.rule))];
    const ruleOf = new Map(rs.series.map((s) => [s.label, s.rule]));
    const alignment = (chart(charts, 'alignment') as unknown as { vconcat: TopLevelSpec[] }).vconcat[0];
    for (const spec of [alignment, chart(charts, 'gradient-norms'), chart(charts, 'dead-units')]) {
      expect((spec as unknown as { facet: { row?: { field: string } } }).facet.row?.field).toBe('row');
      const rows = rowsOf(spec);
      // Each row holds its own rule's series only, and every rule with such records has a row.
      for (const r of rows) expect(r.row).toBe(ruleOf.get(r.series as string));
      expect(new Set(rows.map((r) => r.row)).size).toBeGreaterThan(rules.length / 2);
    }
    // A handful of configurations keep one panel per layer.
    const few = buildCharts(await readResults(await makeFixtureDir()));
    expect((chart(few, 'gradient-norms') as unknown as { facet: { row?: unknown } }).facet.row).toBeUndefined();
  });

  it('the summary names what a rule is expected to do at the run’s budget, beside it', async () => {
    const dir = await makeFixtureDir({ experiment: false });
    const manifest = fixtureManifest(FAKE_SERIES, [0, 1, 2]);
    const why = 'near chance at this budget: one random direction per step';
    manifest.spec.rules = manifest.spec.rules.map((r) => (r.rule === 'straight-through' ? { ...r, expect: why } : r));
    await writeFile(join(dir, 'experiment.json'), JSON.stringify(manifest));
    const rs = await readResults(dir);
    expect(rs.series.find((s) => s.rule === 'straight-through')?.entry?.expect).toBe(why);
    const html = await buildPage(rs, []);
    const summary = html.slice(html.indexOf('id="summary"'), html.indexOf('id="alignment-table"'));
    const row = summary.split('<tr>').find((r) => r.includes('straight-through'))!;
    expect(row).toContain(`expected: ${why}`);
    expect(summary.match(/expected: /g)?.length).toBe(1);
  });
});
