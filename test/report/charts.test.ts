// Reading records (order, labels, outcomes), the chart specs built from them (panels, references,
// series styles, axes) and the statistics behind them, checked against hand-computed values.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregate, evalPoints, LAYER_MEAN, OVERALL } from '../../src/report/chart-data.ts';
import { buildCharts, SMALL_MULTIPLES_ABOVE, type BuiltChart } from '../../src/report/charts.ts';
import { paretoRows } from '../../src/report/pareto.ts';
import { seedsText, seriesFigures } from '../../src/report/figures.ts';
import { labelSeries, readResults, type ResultSet } from '../../src/report/records.ts';
import { compileSpec, renderSvg, staticSpec } from '../../src/report/render.ts';
import { quantiles, summarize } from '../../src/report/stats.ts';
import { inReferenceUnit, reproductionRows, reproductionTables } from '../../src/report/tables.ts';
import { loadBuiltins } from '../../src/runner/execute.ts';
import { listRules } from '../../src/rules/registry.ts';
import {
  cleanupTempDirs,
  EPOCHS,
  FAKE_SERIES,
  fakeTrial,
  fixtureManifest,
  FIXTURE_REFERENCES,
  hiddenCosine,
  LAYERS,
  makeFixtureDir,
  manySeries,
  SEEDS,
  tempDir,
} from './fixtures.ts';

afterAll(cleanupTempDirs);

describe('statistics across seeds', () => {
  it('matches hand-computed mean, sample std, extremes and quantiles', () => {
    // Sorted: 2 4 4 4 5 5 7 9. Mean 5; squared deviations sum to 32, so sample std = sqrt(32/7).
    // Linear quantiles at (n−1)p: p=.25 → index 1.75 → 4; p=.5 → 3.5 → 4.5; p=.75 → 5.25 → 5.5.
    const s = summarize([9, 4, 2, 4, 5, 4, 5, 7]);
    expect(s.n).toBe(8);
    expect(s.mean).toBeCloseTo(5, 12);
    expect(s.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect([s.min, s.max]).toEqual([2, 9]);
    expect([s.q25, s.median, s.q75]).toEqual([4, 4.5, 5.5]);
    expect(quantiles([1, 2, 3, 4], [0, 0.1, 1])).toEqual([1, 1.3, 4].map((v) => expect.closeTo(v, 12)));
  });

  it('skips null/NaN/Infinity and reports no spread for a single seed', () => {
    const s = summarize([0.5, null, NaN, Infinity, undefined]);
    expect(s).toMatchObject({ n: 1, mean: 0.5, min: 0.5, max: 0.5, median: 0.5 });
    expect(s.std).toBeNaN();
    expect(summarize([]).n).toBe(0);
  });

  it('aggregates seeds per (series, panel, x) with a min–max or ±std band', () => {
    const pts = [
      { series: 'a', seed: 0, x: 1, y: 0.5 },
      { series: 'a', seed: 1, x: 1 + 1e-12, y: 0.7 },
      { series: 'a', seed: 2, x: 1, y: 0.9 },
      { series: 'b', seed: 0, x: 1, y: 0.1, panel: 'layers.0', stdErr: 0.02 },
    ];
    const [a, b] = aggregate(pts);
    expect(a).toMatchObject({ series: 'a', x: 1, n: 3, min: 0.5, max: 0.9, lo: 0.5, hi: 0.9 });
    expect(a.mean).toBeCloseTo(0.7, 12);
    expect(a.std).toBeCloseTo(0.2, 12);
    expect(b).toMatchObject({ series: 'b', panel: 'layers.0', n: 1, std: 0, lo: 0.1, hi: 0.1, stdErr: 0.02 });
    const [s] = aggregate(pts, 'std');
    expect(s.lo).toBeCloseTo(0.5, 12);
    expect(s.hi).toBeCloseTo(0.9, 12);
  });

  it('converts accuracies to the unit a published figure uses', () => {
    expect(inReferenceUnit('error %', [0.98, 0.96]).mean).toBeCloseTo(3, 12);
    expect(inReferenceUnit('accuracy %', [0.9]).mean).toBeCloseTo(90, 12);
  });
});

describe('reading records', () => {
  let rs: ResultSet;
  beforeAll(async () => {
    rs = await readResults(await makeFixtureDir());
  });

  it('groups by series in the experiment’s order, skips the torn line, keeps other kinds aside', () => {
    // A grid value equal to the rule's default (variant fa) still names the series.
    expect(rs.series.map((s) => s.label)).toEqual([
      'backprop',
      'feedback-alignment variant=fa',
      'feedback-alignment variant=usf',
      'straight-through',
      'forward-forward threshold=2 (lr=0.003)',
    ]);
    expect(rs.skippedLines).toBe(1);
    expect(rs.warnings.some((w) => /records\/t1-9\.partial\.jsonl:2: .*torn last line/.test(w))).toBe(true);
    // The partial trial's whole line still counts, as an unfinished trial.
    expect(rs.series[1].trials.at(-1)).toMatchObject({ seed: 9, summary: null });
    expect(Object.keys(rs.others).sort()).toEqual(['estimator', 'memory-sweep', 'progress-heartbeat']);
    expect(rs.series.map((s) => s.estimates)).toEqual([
      'task-gradient',
      'task-gradient',
      'task-gradient',
      'expected-gradient',
      'own-objective',
    ]);
    expect(rs.series[4].objective).toBe('layer-local goodness');
  });

  it('orders series as the manifest lists its trials, not by rule id', async () => {
    const dir = await makeFixtureDir({ experiment: false });
    const reversed = [...FAKE_SERIES].reverse();
    const manifest = fixtureManifest(FAKE_SERIES, SEEDS);
    manifest.trials = reversed.flatMap((s) => manifest.trials.filter((t) => t.rule === s.rule && t.options === s.options));
    await writeFile(join(dir, 'experiment.json'), JSON.stringify(manifest));
    expect((await readResults(dir)).series.map((s) => s.rule)).toEqual(reversed.map((s) => s.rule));
  });

  it('reads the manifest’s own references, which a rerun with new ones rewrites, over its resolved spec’s', async () => {
    const dir = await makeFixtureDir({ experiment: false });
    const manifest = { ...fixtureManifest(FAKE_SERIES, SEEDS), references: [FIXTURE_REFERENCES[1]] };
    await writeFile(join(dir, 'experiment.json'), JSON.stringify(manifest));
    const refs = (await readResults(dir)).experiment!.references;
    expect(refs.map((r) => r.source)).toEqual([(FIXTURE_REFERENCES[1] as { source: string }).source]);
    // Without them (older manifests), the spec's.
    await writeFile(join(dir, 'experiment.json'), JSON.stringify(fixtureManifest(FAKE_SERIES, SEEDS)));
    expect((await readResults(dir)).experiment!.references.length).toBeGreaterThan(1);
  });

  it('labels from what the run recorded, never from the rules this process has loaded', async () => {
    const fa = (variant: string) => ({ rule: 'feedback-alignment', options: { variant, init: 'xavierUniform' } });
    const manifestRules = [
      { rule: 'feedback-alignment', options: {}, grid: { variant: ['fa', 'usf'] }, defaults: { variant: 'fa', init: 'xavierUniform' } },
    ];
    const before = labelSeries([fa('fa'), fa('usf')], manifestRules);
    await loadBuiltins(); // the registry now knows feedback-alignment: labels must not change
    expect(labelSeries([fa('fa'), fa('usf')], manifestRules)).toEqual(before);
    expect(before).toEqual(['feedback-alignment variant=fa', 'feedback-alignment variant=usf']);
    // A lone series: options that differ from the recorded defaults name it; the rest do not.
    expect(
      labelSeries([{ rule: 'x', options: { a: 1, b: 2 } }], [{ rule: 'x', options: { a: 1 }, grid: {}, defaults: { a: 0, b: 2 } }]),
    ).toEqual(['x a=1']);
    // Without a manifest: what differs between series of one rule.
    expect(labelSeries([fa('fa'), fa('usf')])).toEqual(before);
    expect(
      labelSeries([
        { rule: 'x', options: { a: 1 } },
        { rule: 'x', options: { a: 1 } },
      ]),
    ).toEqual(['x', 'x #2']);
  });

  it('counts failed and diverged trials apart and keeps them out of the figures', () => {
    const usf = seriesFigures(rs.series[2]);
    expect(usf).toMatchObject({ planned: 3, counted: 2, done: 2, failed: 1, diverged: 0 });
    expect(seedsText(usf)).toBe('2 of 3 (1 failed)');
    expect(usf.problems).toEqual([expect.objectContaining({ seed: 2, status: 'failed' })]);
    // Time from the two finished seeds only: no 0 ms from the failed one.
    expect(usf.msPerEpoch.n).toBe(2);
    expect(usf.msPerEpoch.min).toBeGreaterThan(0);
    const finals = [0, 1].map((seed) => (fakeTrial(FAKE_SERIES[2], seed, 't').at(-1) as { finalTestAcc: number }).finalTestAcc);
    expect(usf.finalTestAcc.mean).toBeCloseTo((finals[0] + finals[1]) / 2, 12);
    const st = seriesFigures(rs.series[3]);
    expect(seedsText(st)).toBe('2 of 3 (1 diverged)');
    expect(seedsText(seriesFigures(rs.series[0]))).toBe('3');
    // FA fa has a trial cut off mid-run (the torn file), beside its three finished seeds.
    expect(seedsText(seriesFigures(rs.series[1]))).toBe('3 of 4 (1 running or cut off)');
  });

  it('says a series with only unfinished trials is unfinished, and how far its trials got', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'experiment.json'), JSON.stringify(fixtureManifest([FAKE_SERIES[0]], [0, 1])));
    await mkdir(join(dir, 'records'));
    // Seed 0 has written 3 of its epochs, seed 1 only 1: neither has a summary line.
    for (const [seed, epochs] of [
      [0, 3],
      [1, 1],
    ]) {
      const evals = fakeTrial(FAKE_SERIES[0], seed, `t${seed}`).filter((r) => r.type === 'eval' && r.epoch < epochs);
      expect(evals.length).toBeGreaterThan(0);
      await writeFile(join(dir, 'records', `t${seed}.partial.jsonl`), evals.map((r) => JSON.stringify(r)).join('\n') + '\n');
    }
    const rs = await readResults(dir);
    const f = seriesFigures(rs.series[0]);
    expect(f).toMatchObject({ planned: 2, counted: 2, running: 2, runningEpochs: [1, 3] });
    expect(seedsText(f)).toBe('2 of 2 (unfinished, at epoch 1–3)');
    expect(seedsText(f, EPOCHS)).toBe(`2 of 2 (unfinished, at epoch 1–3 of ${EPOCHS})`);
    // Beside a published figure, ours says it is not the protocol's end yet: the epochs reached of those planned.
    const refs = rs.experiment!.references;
    const rows = reproductionRows(rs, refs).filter((r) => r.series);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.unfinished).toBe(`epoch 1–3 of ${EPOCHS}`);
    const { matching, context } = reproductionTables(rs, refs);
    expect(`${matching}${context}`).toContain(`(unfinished: epoch 1–3 of ${EPOCHS})`);
    // Finished trials carry no such mark.
    const done = await readResults(await makeFixtureDir());
    const doneRows = reproductionRows(done, done.experiment!.references).filter((r) => r.series);
    expect(doneRows.length).toBeGreaterThan(0);
    for (const r of doneRows) expect(r.unfinished).toBeNull();
  });

  it('places evaluations on an epoch axis, also when evaluating several times per epoch', async () => {
    const dir = await tempDir();
    const [e] = fakeTrial(FAKE_SERIES[0], 0, 't');
    // evalEvery 10 with 30 steps per epoch: the epoch-end record is the one at step 30.
    const evals = [10, 20, 30, 40, 50, 60].map((step) => ({ ...e, step, epoch: step <= 30 ? 0 : 1 }));
    await writeFile(join(dir, 'a.jsonl'), evals.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const xs = evalPoints(await readResults(dir), (r) => r.testAcc).map((p) => p.x);
    expect(xs).toEqual([1, 2, 3, 4, 5, 6].map((k) => expect.closeTo(k / 3, 12)));
  });

  it('no rule id appears in the report’s source: it decides from what records declare', async () => {
    await loadBuiltins();
    const ids = listRules().map((r) => r.id);
    expect(ids.length).toBeGreaterThan(5);
    for (const f of readdirSync('src/report').filter((x) => x.endsWith('.ts'))) {
      const src = readFileSync(join('src/report', f), 'utf8');
      for (const id of ids) expect(src.includes(`'${id}'`) || src.includes(`"${id}"`), `${f} names rule "${id}"`).toBe(false);
      expect(src, f).not.toMatch(/rules\/registry/);
    }
  });
});

type Unit = { mark: string | { type: string }; encoding: Record<string, unknown>; params?: unknown[] };

/** Every unit (single-mark) spec inside a layered, faceted or concatenated spec. */
function units(spec: unknown): Unit[] {
  const s = spec as Record<string, unknown>;
  if ('mark' in s) return [s as unknown as Unit];
  return [
    ...((s.layer as unknown[]) ?? []),
    ...((s.hconcat as unknown[]) ?? []),
    ...((s.vconcat as unknown[]) ?? []),
    ...((s.concat as unknown[]) ?? []),
    ...(s.spec ? [s.spec] : []),
  ].flatMap(units);
}

/** Data rows of a spec, wherever its blocks keep them. */
function rowsOf(spec: unknown): Record<string, unknown>[] {
  const s = spec as Record<string, unknown>;
  return [
    ...((s.data as { values?: Record<string, unknown>[] })?.values ?? []),
    ...[...((s.hconcat as unknown[]) ?? []), ...((s.vconcat as unknown[]) ?? [])].flatMap(rowsOf),
  ];
}

const markType = (u: Unit) => (typeof u.mark === 'string' ? u.mark : u.mark.type);

function fieldsUsed(u: Unit): string[] {
  return Object.values(u.encoding)
    .flatMap((e) => (Array.isArray(e) ? e : [e]))
    .flatMap((e) => {
      const f = (e as { field?: unknown }).field;
      return typeof f === 'string' ? [f] : [];
    });
}

const chart = (charts: BuiltChart[], name: string) => {
  const c = charts.find((x) => x.name === name);
  if (!c) throw new Error(`no chart ${name} among ${charts.map((x) => x.name).join(', ')}`);
  return c.spec as unknown as Record<string, unknown>;
};

/** Axis tick labels of a rendered SVG, grouped per axis. */
function tickLabels(svg: string): string[][] {
  return [...svg.matchAll(/<g class="mark-text role-axis-label"[^>]*>([^]*?)<\/g>/g)].map((m) =>
    [...m[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]),
  );
}

describe('chart specs', () => {
  let charts: BuiltChart[];
  let rs: ResultSet;
  beforeAll(async () => {
    rs = await readResults(await makeFixtureDir());
    charts = buildCharts(rs);
  });

  it('builds every chart whose records are present, each rule’s own metrics last', () => {
    expect(charts.map((c) => c.name)).toEqual([
      'headline',
      'test-accuracy',
      'train-loss',
      'alignment',
      'error-signals',
      'feedback-angle',
      'memory-breakdown',
      'estimators',
      'memory-vs-width',
      'memory-vs-depth',
      'gradient-norms',
      'dead-units',
      'metrics-forward-forward',
    ]);
  });

  it('encodes only fields that exist in the inline data', () => {
    for (const c of charts) {
      const rows = rowsOf(c.spec);
      expect(rows.length, c.name).toBeGreaterThan(0);
      const columns = new Set(rows.flatMap((r) => Object.keys(r)));
      for (const u of units(c.spec)) {
        for (const f of fieldsUsed(u)) expect(columns.has(f), `${c.name}: ${markType(u)} encodes "${f}"`).toBe(true);
      }
    }
  });

  it('names the reference of every alignment block and leaves own-objective rules out', () => {
    const spec = chart(charts, 'alignment') as {
      vconcat: Array<{ title: { text: string }; data: { values: Array<{ series: string; panel: string; stdErr?: number }> } }>;
    };
    expect(spec.vconcat.map((b) => b.title.text.split(' — ')[0])).toEqual(['Reference: task-gradient', 'Reference: expected-gradient']);
    const [task, expected] = spec.vconcat.map((b) => b.data.values);
    expect(new Set(task.map((r) => r.series))).toEqual(
      new Set(['backprop', 'feedback-alignment variant=fa', 'feedback-alignment variant=usf']),
    );
    expect(new Set(expected.map((r) => r.series))).toEqual(new Set(['straight-through']));
    // Weighted overall, then the mean over layers, then layers by module path in model order.
    expect([...new Set(task.map((r) => r.panel))]).toEqual([OVERALL, LAYER_MEAN, ...LAYERS]);
    // The sampled reference's Monte Carlo error travels with the overall cosine.
    expect(expected.filter((r) => r.panel === OVERALL).every((r) => r.stdErr === 0.004)).toBe(true);
    expect(task.some((r) => r.stdErr !== undefined)).toBe(false);
    for (const b of spec.vconcat) expect(b.data.values.some((r) => r.series.startsWith('forward-forward'))).toBe(false);
  });

  it('charts error-signal alignment per hidden layer beside its mean', () => {
    const spec = chart(charts, 'error-signals') as {
      vconcat: Array<{ data: { values: Array<{ series: string; panel: string; mean: number }> } }>;
    };
    const rows = spec.vconcat[0].data.values;
    expect([...new Set(rows.map((r) => r.panel))]).toEqual([LAYER_MEAN, 'layers.0', 'layers.1']);
    // The fixture delivers 0.9 × the hidden cosine: at step 0, the mean over seeds of that.
    const expected = SEEDS.map((seed) => 0.9 * hiddenCosine(FAKE_SERIES[1], seed, 0)).reduce((a, b) => a + b, 0) / SEEDS.length;
    const first = rows.find((r) => r.series === 'feedback-alignment variant=fa' && r.panel === 'layers.0')!;
    expect(first.mean).toBeCloseTo(expected, 12);
  });

  it('puts losses of different objectives on separate panels with their own axes', () => {
    const spec = chart(charts, 'train-loss') as {
      data: { values: Array<{ series: string; panel: string; lo: number }> };
      resolve: unknown;
      spec: { layer: Unit[] };
    };
    const rows = spec.data.values;
    expect(new Set(rows.map((r) => r.panel))).toEqual(new Set(['task loss', 'layer-local goodness']));
    expect(new Set(rows.filter((r) => r.panel === 'layer-local goodness').map((r) => r.series))).toEqual(
      new Set(['forward-forward threshold=2 (lr=0.003)']),
    );
    expect(spec.resolve).toMatchObject({ scale: { y: 'independent' } });
    // Losses are positive: a log axis, which cannot run below 0.
    expect(rows.every((r) => r.lo > 0)).toBe(true);
    expect((spec.spec.layer[1].encoding.y as { scale: { type: string } }).scale.type).toBe('log');
  });

  it('fits the test-error axis to the data: log scale, not widened to powers of ten or to 0', () => {
    const spec = chart(charts, 'test-accuracy') as { layer: Unit[] };
    const y = spec.layer[1].encoding.y as { field: string; scale: { type?: string; nice?: boolean; zero?: boolean; domain?: unknown } };
    expect(y.scale).toMatchObject({ type: 'log', nice: false });
    expect(y.scale.zero).toBeUndefined();
    expect(y.scale.domain).toBeUndefined();
  });

  it('the headline view: error with its interval against memory and time, per rule over its counted seeds', () => {
    const rows = paretoRows(rs);
    expect(rows.map((r) => r.series)).toEqual(rs.series.map((s) => s.label));
    const usf = rows[2];
    expect(usf.seeds).toBe(2);
    expect(usf.err).toBeCloseTo((1 - seriesFigures(rs.series[2]).finalTestAcc.mean) * 100, 12);
    // The interval holds the mean error; the fixture's trials record their cost: a forward-pass panel leads.
    expect(usf.errLo!).toBeLessThanOrEqual(usf.err);
    expect(usf.errHi!).toBeGreaterThanOrEqual(usf.err);
    expect(rows.every((r) => r.forwardPasses !== null && r.forwardPasses > 0)).toBe(true);
    const spec = chart(charts, 'headline') as { concat: Array<{ layer: Unit[] }>; resolve: unknown };
    expect(spec.concat.map((p) => fieldsUsed(p.layer[1]).slice(0, 2))).toEqual([
      ['forwardPasses', 'err'],
      ['peakMiB', 'err'],
      ['stepSeconds', 'err'],
    ]);
    expect(spec.concat.map((p) => p.layer.map(markType))).toEqual([
      ['errorbar', 'point'],
      ['errorbar', 'point'],
      ['errorbar', 'point'],
    ]);
  });

  it('gives every rule’s own metrics a chart, a panel per metric', () => {
    const spec = chart(charts, 'metrics-forward-forward') as { data: { values: Array<{ panel: string }> } };
    expect([...new Set(spec.data.values.map((r) => r.panel))]).toEqual([
      'layers.0.goodnessPos',
      'layers.1.goodnessPos',
      'layers.0.goodnessNeg',
      'layers.1.goodnessNeg',
    ]);
  });

  it('dead-unit ticks are distinct, readable percentages', async () => {
    const svg = await renderSvg(staticSpec(charts.find((c) => c.name === 'dead-units')!.spec));
    const axes = tickLabels(svg).filter((labels) => labels.some((l) => l.endsWith('%')));
    expect(axes.length).toBeGreaterThan(0);
    for (const labels of axes) expect(new Set(labels).size, labels.join(' ')).toBe(labels.length);
  });

  it('compiles without Vega-Lite warnings and renders SVG marks in Node', async () => {
    for (const c of charts) {
      expect(compileSpec(c.spec).warnings, c.name).toEqual([]);
      const warnings: string[] = [];
      const svg = await renderSvg(staticSpec(c.spec), warnings);
      expect(warnings, c.name).toEqual([]);
      expect(svg.startsWith('<svg'), c.name).toBe(true);
      expect(svg, c.name).toMatch(/class="mark-(line|symbol|rect|area|rule)[^"]*role-mark/);
    }
  });
});

describe('a dozen configurations', () => {
  let rs: ResultSet;
  let charts: BuiltChart[];
  beforeAll(async () => {
    const series = manySeries();
    rs = await readResults(await makeFixtureDir({ experiment: true, series, seeds: [0] }));
    charts = buildCharts(rs);
  });

  it('every series wears its own colour and shape pair', () => {
    expect(rs.series.length).toBe(12);
    const point = units(chart(charts, 'headline')).find((u) => markType(u) === 'point')!;
    const color = point.encoding.color as { scale: { domain: string[]; range: string[] } };
    const shape = point.encoding.shape as { scale: { domain: string[]; range: string[] } };
    expect(color.scale.domain).toEqual(rs.series.map((s) => s.label));
    expect(new Set(color.scale.range).size).toBe(12);
    const pairs = color.scale.domain.map((l, i) => `${color.scale.range[i]} ${shape.scale.range[shape.scale.domain.indexOf(l)]}`);
    expect(new Set(pairs).size).toBe(12);
  });

  it(`above ${SMALL_MULTIPLES_ABOVE} series, curves get a panel per rule with the baseline in each`, () => {
    const spec = chart(charts, 'test-accuracy') as { data: { values: Array<{ series: string; panel: string }> }; resolve: unknown };
    const rows = spec.data.values;
    const rules = [...new Set(rs.series.map((s) => s.rule))];
    expect([...new Set(rows.map((r) => r.panel))]).toEqual(rules);
    for (const rule of rules)
      expect(
        rows.some((r) => r.panel === rule && r.series === 'backprop'),
        rule,
      ).toBe(true);
    expect(spec.resolve).toMatchObject({ scale: { y: 'independent' } });
    // The loss chart: the baseline's task loss never joins the panel of a rule's own objective.
    const loss = (chart(charts, 'train-loss') as { data: { values: Array<{ series: string; panel: string }> } }).data.values;
    const own = loss.filter((r) => r.panel.startsWith('forward-forward'));
    expect(own.length).toBeGreaterThan(0);
    expect(own.some((r) => r.series === 'backprop')).toBe(false);
    expect(loss.some((r) => r.panel === 'mezo' && r.series === 'backprop')).toBe(true);
  });

  it('a one-seed run has curves without bands wider than a point', () => {
    const rows = aggregate(evalPoints(rs, (e) => e.testAcc));
    expect(rows.every((r) => r.n === 1 && r.lo === r.hi)).toBe(true);
    expect(rows.length).toBe(12 * EPOCHS);
  });
});
