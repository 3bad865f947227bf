// Chart builders (spec shape, data columns, clean compile) and the statistics behind them,
// checked against hand-computed values.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedbackAlignment } from '../../algorithms/feedback-alignment.ts';
import { registerRule } from '../../src/rules/registry.ts';
import { aggregate, evalPoints } from '../../src/report/chart-data.ts';
import { buildCharts, wallTimeRows, type BuiltChart } from '../../src/report/charts.ts';
import { labelSeries, readResults, type ResultSet } from '../../src/report/records.ts';
import { compileSpec, renderSvg, staticSpec } from '../../src/report/render.ts';
import { quantiles, summarize } from '../../src/report/stats.ts';
import { inReferenceUnit } from '../../src/report/tables.ts';
import { cleanupTempDirs, FAKE_SERIES, fakeTrial, makeFixtureDir, SEEDS, tempDir } from './fixtures.ts';

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
    expect(summarize([]).mean).toBeNaN();
  });

  it('aggregates seeds per (series, layer, x) with a min–max or ±std band', () => {
    const pts = [
      { series: 'a', seed: 0, x: 1, y: 0.5 }, { series: 'a', seed: 1, x: 1 + 1e-12, y: 0.7 }, { series: 'a', seed: 2, x: 1, y: 0.9 },
      { series: 'b', seed: 0, x: 1, y: 0.1, layer: 'layer0' },
    ];
    const [a, b] = aggregate(pts);
    expect(a).toMatchObject({ series: 'a', x: 1, n: 3, min: 0.5, max: 0.9, lo: 0.5, hi: 0.9 });
    expect(a.mean).toBeCloseTo(0.7, 12);
    expect(a.std).toBeCloseTo(0.2, 12);
    expect(b).toMatchObject({ series: 'b', layer: 'layer0', n: 1, std: 0, lo: 0.1, hi: 0.1 });
    const [s] = aggregate(pts, 'std');
    expect(s.lo).toBeCloseTo(0.5, 12);
    expect(s.hi).toBeCloseTo(0.9, 12);
  });

  it('converts accuracies to the unit a published figure uses', () => {
    expect(inReferenceUnit('test error %', [0.98, 0.96])!.mean).toBeCloseTo(3, 12);
    expect(inReferenceUnit('accuracy', [0.9])!.mean).toBeCloseTo(0.9, 12);
    expect(inReferenceUnit('top-1 accuracy (%)', [0.9])!.mean).toBeCloseTo(90, 12);
    expect(inReferenceUnit('perplexity', [0.9])).toBeNull();
  });
});

describe('reading records', () => {
  let rs: ResultSet;
  beforeAll(async () => {
    rs = await readResults(await makeFixtureDir());
  });

  it('groups by series and seed, skips the torn line, keeps other kinds aside', () => {
    expect(rs.series.map((s) => s.label)).toEqual(['backprop', 'feedback-alignment variant=fa', 'feedback-alignment variant=usf']);
    for (const s of rs.series) {
      const done = s.trials.filter((t) => t.summary);
      expect(done.map((t) => t.seed)).toEqual(SEEDS);
      for (const t of done) {
        expect(t.summary?.type).toBe('summary');
        expect(t.evals.map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
      }
    }
    expect(rs.skippedLines).toBe(1);
    expect(rs.warnings[0]).toMatch(/records\/t2-9\.partial\.jsonl:2: .*torn last line/);
    // The partial trial's whole line still counts, as an incomplete trial.
    expect(rs.series[2].trials.at(-1)).toMatchObject({ seed: 9, summary: null });
    expect(Object.keys(rs.others).sort()).toEqual(['estimator', 'memory-sweep', 'progress-heartbeat']);
    expect(rs.experiment?.name).toBe('fixture-compare');
    expect(rs.experiment?.references).toHaveLength(3);
  });

  it('keeps the last copy of a (trial, step) a resumed run rewrote', async () => {
    const dir = await tempDir();
    const [first, second] = fakeTrial(FAKE_SERIES[0], 0, 't');
    const rerun = { ...first, testAcc: 0.5 };
    await writeFile(join(dir, 'a.jsonl'), [first, second, rerun].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const one = await readResults(dir);
    expect(one.series[0].trials[0].evals.map((e) => e.testAcc)).toEqual([0.5, second.type === 'eval' ? second.testAcc : NaN]);
    expect(one.experiment).toBeNull();
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

  it('labels a series by rule plus the options that set it apart', () => {
    const fa = (variant: string) => ({ rule: 'feedback-alignment', options: { variant, init: 'model' } });
    expect(labelSeries([{ rule: 'backprop', options: {} }, fa('fa'), fa('usf')])).toEqual(['backprop', 'feedback-alignment variant=fa', 'feedback-alignment variant=usf']);
    expect(labelSeries([{ rule: 'x', options: { a: 1 } }, { rule: 'x', options: { a: 1 } }])).toEqual(['x', 'x #2']);
    // A registered rule: its defaults decide, even for a lone series.
    registerRule(feedbackAlignment);
    expect(labelSeries([fa('usf')])).toEqual(['feedback-alignment variant=usf']);
    expect(labelSeries([fa('fa')])).toEqual(['feedback-alignment']);
  });
});

type Unit = { mark: string; encoding: Record<string, unknown>; params?: unknown[] };

/** Every unit (single-mark) spec inside a layered or faceted spec. */
function units(spec: unknown): Unit[] {
  const s = spec as Record<string, unknown>;
  if ('mark' in s) return [s as unknown as Unit];
  return [...((s.layer as unknown[]) ?? []), ...(s.spec ? [s.spec] : [])].flatMap(units);
}

const markType = (u: Unit) => (typeof u.mark === 'string' ? u.mark : (u.mark as { type: string }).type);

function fieldsUsed(u: Unit): string[] {
  return Object.values(u.encoding).flatMap((e) => (Array.isArray(e) ? e : [e])).flatMap((e) => {
    const f = (e as { field?: unknown }).field;
    return typeof f === 'string' ? [f] : [];
  });
}

describe('chart specs', () => {
  let charts: BuiltChart[];
  let rs: ResultSet;
  beforeAll(async () => {
    rs = await readResults(await makeFixtureDir());
    charts = buildCharts(rs);
  });

  it('builds every core and optional chart whose records are present', () => {
    expect(charts.map((c) => c.name)).toEqual([
      'test-accuracy', 'train-loss', 'accuracy-vs-memory', 'alignment', 'feedback-angle', 'wall-time',
      'estimators', 'memory-vs-width', 'memory-vs-depth', 'gradient-norms',
    ]);
  });

  it('leaves out charts whose records are absent', async () => {
    const bare = buildCharts(await readResults(await makeFixtureDir({ experiment: false })));
    expect(bare.map((c) => c.name)).not.toContain('estimators');
    expect(bare.map((c) => c.name)).not.toContain('memory-vs-width');
    expect(bare.map((c) => c.name)).toContain('alignment');
  });

  it('encodes only fields that exist in the inline data', () => {
    for (const c of charts) {
      const rows = (c.spec as { data: { values: Record<string, unknown>[] } }).data.values;
      expect(rows.length, c.name).toBeGreaterThan(0);
      const columns = new Set(rows.flatMap((r) => Object.keys(r)));
      const facet = (c.spec as { facet?: { field: string } }).facet;
      if (facet) expect(columns.has(facet.field), `${c.name} facet`).toBe(true);
      for (const u of units(c.spec)) {
        for (const f of fieldsUsed(u)) expect(columns.has(f), `${c.name}: ${markType(u)} encodes "${f}"`).toBe(true);
      }
    }
  });

  it('draws curves as a mean line over a seed band, with tooltips and zoom', () => {
    for (const name of ['test-accuracy', 'train-loss', 'alignment', 'feedback-angle', 'gradient-norms']) {
      const us = units(charts.find((c) => c.name === name)!.spec);
      const band = us.find((u) => markType(u) === 'area')!;
      const line = us.find((u) => markType(u) === 'line')!;
      expect(fieldsUsed(band), name).toEqual(expect.arrayContaining(['x', 'lo', 'hi', 'series']));
      expect(fieldsUsed(line), name).toEqual(expect.arrayContaining(['x', 'mean', 'series']));
      expect(line.encoding.tooltip, name).toBeDefined();
      expect(line.params, name).toEqual([{ name: 'grid', select: { type: 'interval' }, bind: 'scales' }]);
    }
    const alignment = charts.find((c) => c.name === 'alignment')!.spec as { facet: { field: string; sort: string[] } };
    expect(alignment.facet.field).toBe('layer');
    expect(alignment.facet.sort).toEqual(['overall', 'layer0', 'layer1', 'layer2']);
  });

  it('plots accuracy against memory with error bars, and time as a ratio to backprop', () => {
    const mem = units(charts.find((c) => c.name === 'accuracy-vs-memory')!.spec);
    expect(mem.map(markType)).toEqual(['errorbar', 'errorbar', 'point']);
    const rows = wallTimeRows(rs);
    expect(rows.map((r) => r.series)).toEqual(rs.series.map((s) => s.label));
    expect(rows[0].ratio).toBeCloseTo(1, 12);
    // The fixture makes FA 1.3× and USF 1.5× slower than BP, with the same per-seed jitter.
    expect(rows[1].ratio).toBeCloseTo(1.3, 6);
    expect(rows[2].ratio).toBeCloseTo(1.5, 6);
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
