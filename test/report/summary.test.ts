// summary.csv and the rows behind the paired table, from hand-made records: the reference found by
// declaration (not by rule id or position), paired differences worked out on paper, collapsed runs
// per trial and per row, hidden layers' alignment apart from the output layer's, and the cost
// columns present only when the records carry them.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/page.ts';
import { testAccuracyChart } from '../../src/report/charts.ts';
import { readResults, referenceSeries } from '../../src/report/records.ts';
import { summaryRows } from '../../src/report/summary.ts';
import { trialLabels } from '../../src/runner/series-label.ts';
import { cleanupTempDirs } from './fixtures.ts';
import { handDir, type HandEntry } from './paired-fixture.ts';

afterAll(cleanupTempDirs);

const REF = [0.9, 0.92, 0.94];
const flat = (test: number, seed: number, extra: object = {}) => ({ seed, val: [0.5, 0.8, 0.85], test, ...extra });

const ENTRIES: HandEntry[] = [
  // Named like the usual reference but not declaring exact gradients: never the reference.
  { rule: 'backprop', trials: REF.map((a, s) => flat(a - 0.1, s)) },
  { rule: 'exact-rule', exact: true, trials: REF.map((a, s) => flat(a, s, { layerCosines: [1, 1, 1] })) },
  { rule: 'better', trials: REF.map((a, s) => flat(a + 0.01 * (s + 1), s, { layerCosines: [0.2, 0.4, 1] })) },
  { rule: 'mixed', trials: [0.01, -0.01, 0].map((d, s) => flat(REF[s] + d, s)) },
  {
    rule: 'collapsing',
    trials: [
      { seed: 0, val: [0.5, 0.9, 0.86], test: 0.9 }, // 4 points below its peak: not collapsed
      { seed: 1, val: [0.5, 0.9, 0.8], test: 0.8 }, // 10 points below: collapsed
      { seed: 2, val: [0.5, 0.6, 0.7], test: 0.7 },
    ],
  },
  { rule: 'partial', trials: [flat(0.95, 0), flat(0.9, 1), { ...flat(0.2, 2), status: 'diverged' as const }] },
];

function parseCsv(text: string): Array<Record<string, string>> {
  const [head, ...lines] = text.trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

describe('summary rows', () => {
  it("charts draw the reference as every panel's dashed baseline, not the first series", async () => {
    // Seven series: the accuracy chart turns to one panel per rule, each with the baseline.
    const rs = await readResults(await handDir([...ENTRIES, { rule: 'seventh', trials: REF.map((a, s) => flat(a, s)) }]));
    const spec = JSON.stringify(testAccuracyChart(rs));
    const dashedTest = (label: string) => JSON.stringify(`datum.series === ${JSON.stringify(label)}`).slice(1, -1);
    expect(spec).toContain(dashedTest('exact-rule'));
    expect(spec).not.toContain(dashedTest('backprop'));
  });

  it('take the entry that declares exact gradients as the reference, whatever its id or place', async () => {
    const rs = await readResults(await handDir(ENTRIES));
    expect(referenceSeries(rs)?.rule).toBe('exact-rule');
    const rows = summaryRows(rs);
    const by = (rule: string) => rows.find((r) => r.series.rule === rule)!;
    expect(by('exact-rule').isReference).toBe(true);
    expect(by('exact-rule').paired).toBeNull();
    // Paired with the reference seed by seed: +0.01, +0.02, +0.03.
    const better = by('better').paired!;
    expect(better.diffs.map((d) => +d.toFixed(9))).toEqual([0.01, 0.02, 0.03]);
    expect(better.mean).toBeCloseTo(0.02, 9);
    expect(better.lo).toBeGreaterThanOrEqual(0.01 - 1e-9);
    expect(better.hi).toBeLessThanOrEqual(0.03 + 1e-9);
    expect(better.probImprovement).toBe(1);
    expect(better.separable).toBe(true);
    const mixed = by('mixed').paired!;
    expect(mixed.probImprovement).toBe(0.5);
    expect(mixed.separable).toBe(false);
    // The diverged seed counts in neither the mean nor the pairs.
    expect(by('partial').seeds).toBe(2);
    expect(by('partial').paired!.seeds).toEqual([0, 1]);
    expect(by('partial').testAcc.mean).toBeCloseTo(0.925, 9);
    // The rule named backprop is compared like any other: 0.1 below on every seed.
    expect(by('backprop').paired!.mean).toBeCloseTo(-0.1, 9);
  });

  it('mark collapsed runs: validation more than 5 points below its own peak at the end', async () => {
    const rows = summaryRows(await readResults(await handDir(ENTRIES)));
    expect(rows.find((r) => r.series.rule === 'collapsing')!.collapsedSeeds).toEqual([1]);
    expect(rows.find((r) => r.series.rule === 'better')!.collapsedSeeds).toEqual([]);
    const noVal = await handDir([{ rule: 'x', trials: [{ seed: 0, val: [null, null], test: 0.5 }] }]);
    expect(summaryRows(await readResults(noVal))[0].collapsedSeeds).toBeNull();
  });

  it('give the hidden layers’ mean cosine and the output layer’s apart', async () => {
    const rows = summaryRows(await readResults(await handDir(ENTRIES)));
    const better = rows.find((r) => r.series.rule === 'better')!;
    expect(better.hiddenCosine).toBeCloseTo(0.3, 9);
    expect(better.outputCosine).toBeCloseTo(1, 9);
  });

  it('leave the paired columns empty when no entry declares exact gradients', async () => {
    const rs = await readResults(await handDir(ENTRIES.map((e) => ({ ...e, exact: false }))));
    expect(referenceSeries(rs)).toBeNull();
    expect(summaryRows(rs).every((r) => r.paired === null && !r.isReference)).toBe(true);
  });
});

describe('summary.csv', () => {
  it('sits beside records.csv with a row per series, and records.csv marks each collapsed trial', async () => {
    const dir = await handDir(ENTRIES);
    await writeReport(dir);
    const rows = parseCsv(await readFile(join(dir, 'summary.csv'), 'utf8'));
    expect(rows.map((r) => r.series)).toEqual(ENTRIES.map((e) => e.rule));
    for (const c of [
      'rule',
      'series',
      'seeds',
      'testAcc',
      'testAccCiLow',
      'testAccCiHigh',
      'diffVsBackprop',
      'diffCiLow',
      'diffCiHigh',
      'probImprovement',
      'collapsed',
    ])
      expect(Object.keys(rows[0])).toContain(c);
    const better = rows.find((r) => r.rule === 'better')!;
    expect(Number(better.diffVsBackprop)).toBeCloseTo(0.02, 9);
    expect(Number(better.probImprovement)).toBe(1);
    expect(better.separable).toBe('true');
    expect(rows.find((r) => r.rule === 'exact-rule')!.diffVsBackprop).toBe('');
    expect(rows.find((r) => r.rule === 'exact-rule')!.reference).toBe('true');
    expect(rows.find((r) => r.rule === 'collapsing')!.collapsed).toBe('1');
    // No cost in these records: no cost columns.
    expect(Object.keys(rows[0])).not.toContain('forwardPasses');
    const records = parseCsv(await readFile(join(dir, 'records.csv'), 'utf8'));
    const marks = new Set(records.filter((r) => r.rule === 'collapsing').map((r) => `${r.seed}:${r.collapsed}`));
    expect([...marks].sort()).toEqual(['0:false', '1:true', '2:false']);
  });

  it('is the same file when the report is written again (seeded intervals)', async () => {
    const dir = await handDir(ENTRIES);
    await writeReport(dir);
    const first = await readFile(join(dir, 'summary.csv'), 'utf8');
    await writeReport(dir);
    expect(await readFile(join(dir, 'summary.csv'), 'utf8')).toBe(first);
    // The intervals are real intervals, not the point estimate repeated.
    const better = parseCsv(first).find((r) => r.rule === 'better')!;
    expect(Number(better.diffCiLow)).toBeLessThan(Number(better.diffCiHigh));
  });

  it('carries cost columns when the records do', async () => {
    const costly = ENTRIES.slice(1, 3).map((e, i) => ({
      ...e,
      trials: e.trials.map((t) => ({ ...t, forwardPasses: 3000 * (i + 1), peakBytes: 1e6 * (i + 1), stepMs: 100 + t.seed })),
    }));
    const dir = await handDir(costly);
    await writeReport(dir);
    const rows = parseCsv(await readFile(join(dir, 'summary.csv'), 'utf8'));
    expect(rows.map((r) => Number(r.forwardPasses))).toEqual([3000, 6000]);
    expect(rows.map((r) => Number(r.forwardPassesPerStep))).toEqual([100, 200]);
    expect(rows.map((r) => Number(r.peakBytes))).toEqual([1e6, 2e6]);
    expect(rows.map((r) => Number(r.stepMs))).toEqual([101, 101]);
  });
});

describe('one protocol per row', () => {
  const sgd = { name: 'sgd', lr: 0.1, momentum: 0.9 };
  const entries: HandEntry[] = [
    { rule: 'exact-rule', exact: true, trials: REF.map((a, s) => flat(a, s)) },
    // The same rule and options at another optimizer: its own row, its optimizer in the label.
    { rule: 'exact-rule', optimizer: sgd, trials: REF.map((a, s) => flat(a - 0.02, s)) },
    // An entry that names the experiment's own optimizer changes nothing: no note.
    { rule: 'other', optimizer: { name: 'adam', lr: 0.001 }, trials: REF.map((a, s) => flat(a, s)) },
  ];

  it('keeps entries that differ only in optimizer apart, and says so in the label', async () => {
    const rs = await readResults(await handDir(entries));
    expect(rs.series.map((s) => s.label)).toEqual(['exact-rule', 'exact-rule (sgd lr=0.1 momentum=0.9)', 'other']);
    expect(rs.series.map((s) => s.trials.length)).toEqual([3, 3, 3]);
    const rows = summaryRows(rs);
    expect(rows[0].isReference).toBe(true);
    expect(rows[1].paired!.mean).toBeCloseTo(-0.02, 9);
  });

  it('labels the run’s progress lines alike', () => {
    const rules = entries.map((e) => ({
      rule: e.rule,
      options: {},
      grid: {},
      defaults: {},
      ...(e.optimizer ? { optimizer: e.optimizer } : {}),
    }));
    const trials = entries.flatMap((e, entry) => [0, 1].map((seed) => ({ id: `e${entry}-${seed}`, rule: e.rule, options: {}, entry })));
    const labels = trialLabels(trials, rules, { optimizer: { name: 'adam', lr: 0.001 } });
    expect([...new Set(labels.values())]).toEqual(['exact-rule', 'exact-rule (sgd lr=0.1 momentum=0.9)', 'other']);
  });
});

describe('the report’s headline', () => {
  it('leads the page: the paired table with its marks, then the Pareto view', async () => {
    const dir = await handDir(ENTRIES);
    const html = await readFile(await writeReport(dir), 'utf8');
    const sections = [...html.matchAll(/<section id="([^"]+)">/g)].map((m) => m[1]);
    expect(sections[0]).toBe('headline');
    const headline = /<section id="headline">([^]*?)<\/section>/.exec(html)![1];
    const rows = [...headline.matchAll(/<tr>([^]*?)<\/tr>/g)].map((m) =>
      [...m[1].matchAll(/<t[hd][^>]*>([^]*?)<\/t[hd]>/g)].map((c) =>
        c[1]
          .replace(/<[^>]+>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim(),
      ),
    );
    expect(rows[0].slice(0, 6)).toEqual([
      'rule',
      'seeds',
      'test acc % [95% interval]',
      'Δ vs exact-rule (points) [95% interval]',
      'P(improvement)',
      'collapsed',
    ]);
    const row = (rule: string) => rows.find((r) => r[0] === rule)!;
    expect(row('exact-rule')[3]).toBe('reference');
    expect(row('mixed')[3]).toMatch(/not separable at 3 seeds$/);
    expect(row('mixed')[4]).toBe('0.50');
    expect(row('better')[3]).toMatch(/^\+2\.00 \[\+1\.\d\d, \+\d\.\d\d\]$/);
    expect(row('better')[3]).not.toMatch(/not separable/);
    expect(row('partial')[3]).toMatch(/not separable at 2 seeds$/);
    expect(row('collapsing')[5]).toBe('1 of 3 (seed 1)');
    expect(row('better')[5]).toBe('0');
    // The hidden layers' mean and the output layer apart.
    expect(rows[0]).toContain('cosine, hidden layers (mean)');
    expect(row('better')[rows[0].indexOf('cosine, hidden layers (mean)')]).toBe('0.300');
    expect(row('better')[rows[0].indexOf('cosine, output layer')]).toBe('1.000');
    // The Pareto view sits in the headline, once on the page.
    expect(headline).toContain('id="chart-headline"');
    expect(html.match(/id="chart-headline"/g)!.length).toBe(1);
  });
});
