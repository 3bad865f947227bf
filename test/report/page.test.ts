// The report page from fabricated records: self-contained (no network, no source maps), inline
// JSON escaped, tables filled as a reader needs them (outcomes, references, protocols), the
// header from the resolved spec, and the records as one CSV table beside the page.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml, inlineJson, inlineScript } from '../../src/report/html.ts';
import { runSummary, writeReport } from '../../src/report/page.ts';
import { summarize } from '../../src/report/stats.ts';
import {
  cleanupTempDirs,
  EPOCHS,
  FAILED_ERROR,
  FAKE_SERIES,
  fakeTrial,
  makeFixtureDir,
  SEEDS,
  STEPS_PER_EPOCH,
  tempDir,
} from './fixtures.ts';

afterAll(cleanupTempDirs);

describe('inlining helpers', () => {
  it('leaves no "<" in inline JSON, and the JSON still parses back', () => {
    const v = { s: '</script><!-- & \u2028', n: [1, 2] };
    const text = inlineJson(v);
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual(v);
  });

  it('strips source maps and breaks up </script and <!-- in bundles', () => {
    const js = 'var a="</script>",b="<!--";\n//# sourceMappingURL=x.js.map\n/*# sourceMappingURL=y.map */';
    const out = inlineScript(js);
    expect(out).not.toMatch(/sourceMappingURL|<\/script|<!--/i);
    expect(new Function(`${out}; return [a, b];`)()).toEqual(['</script>', '<!--']);
    expect(escapeHtml('<a href="x">&\'')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  });
});

/** The rows of the section's first table, as arrays of cell texts (tags stripped). */
function sectionRows(html: string, id: string): string[][] {
  const m = new RegExp(`<section id="${id}">[^]*?<table>([^]*?)</table>`).exec(html);
  if (!m) return [];
  return [...m[1].matchAll(/<tr>([^]*?)<\/tr>/g)].map((r) =>
    [...r[1].matchAll(/<t[dh][^>]*>([^]*?)<\/t[dh]>/g)].map((c) =>
      c[1]
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    ),
  );
}

const finals = (i: number, seeds: number[]) =>
  seeds.map((seed) => (fakeTrial(FAKE_SERIES[i], seed, 't').at(-1) as { finalTestAcc: number }).finalTestAcc);

/** A minimal RFC 4180 reader: enough to check what the page's CSV holds. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') ((cell += '"'), i++);
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') (row.push(cell), (cell = ''));
    else if (ch === '\n') (row.push(cell), rows.push(row), (row = []), (cell = ''));
    else cell += ch;
  }
  return rows;
}

describe('report page', () => {
  let dir: string;
  let html: string;
  beforeAll(async () => {
    dir = await makeFixtureDir();
    html = await readFile(await writeReport(dir), 'utf8');
  });

  it('is self-contained: no external script, style or link, no source maps', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
    expect(html).not.toContain('sourceMappingURL');
    // vega, vega-lite, vega-embed, the chart data, the embed script — and nothing else.
    expect(html.match(/<script\b/gi)).toHaveLength(5);
    expect(html.match(/<\/script/gi)).toHaveLength(5);
    expect(html.trimEnd().endsWith('</body>\n</html>')).toBe(true);
  });

  it('escapes the inline chart JSON and text from experiment.json', () => {
    const m = /<script type="application\/json" id="rb-charts">([^]*?)<\/script>/.exec(html);
    expect(m).not.toBeNull();
    expect(m![1]).not.toContain('<');
    const charts = JSON.parse(m![1]) as Array<{ name: string }>;
    expect(charts.map((c) => c.name)).toContain('error-signals');
    for (const c of charts) expect(html).toContain(`id="chart-${c.name}"`);
    expect(html).toContain('tricky &lt;/script&gt;&lt;!-- text &amp;');
    expect(html).not.toContain('tricky </script>');
  });

  it('writes each chart as SVG and Vega-Lite JSON', async () => {
    const m = /<script type="application\/json" id="rb-charts">([^]*?)<\/script>/.exec(html)!;
    for (const { name } of JSON.parse(m[1]) as Array<{ name: string }>) {
      const svg = await readFile(join(dir, 'charts', `${name}.svg`), 'utf8');
      expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(JSON.parse(await readFile(join(dir, 'charts', `${name}.vl.json`), 'utf8')).$schema).toMatch(/vega-lite\/v6/);
    }
  });

  it('summary: finished seeds only, failed and diverged counted with the first error, no 0 ms', () => {
    const rows = sectionRows(html, 'summary');
    const usf = rows.find((r) => r[0] === 'feedback-alignment variant=usf')!;
    expect(usf[1]).toBe('2 of 3 (1 failed)');
    const acc = summarize(finals(2, [0, 1]).map((a) => a * 100));
    expect(usf[2]).toBe(`${acc.mean.toFixed(2)} ± ${acc.std.toFixed(2)}`);
    expect(usf[7]).toContain(`seed 2 failed: ${escapeHtml(FAILED_ERROR).slice(0, 40)}`);
    const st = rows.find((r) => r[0] === 'straight-through')!;
    expect(st[1]).toBe('2 of 3 (1 diverged)');
    expect(st[7]).toContain('seed 1 diverged: rule &quot;straight-through&quot;: loss is NaN at step 75');
    for (const r of rows.slice(1)) expect(parseFloat(r[6]), r[0]).toBeGreaterThan(0);
    // Every seed of backprop finished: a plain count, and the mean over all three.
    const bp = rows.find((r) => r[0] === 'backprop')!;
    expect(bp[1]).toBe('3');
    // The failed and diverged trials are listed with their errors.
    expect(html).toContain('<h3>Failed and diverged trials</h3>');
    expect(html).toContain(escapeHtml(FAILED_ERROR));
  });

  it('alignment table: the reference named, n/a with the objective for own-objective rules, the mean over layers beside the weighted figure', () => {
    const rows = sectionRows(html, 'alignment-table');
    expect(rows[0]).toEqual([
      'rule',
      'its updates estimate',
      'reference',
      'cosine, hidden layers (mean)',
      'cosine, output layer',
      'cosine, all parameters (weighted)',
      'cosine, mean over layers',
      'error-signal cosine (mean over layers)',
      'reference MC std err',
    ]);
    const ff = rows.find((r) => r[0] === 'forward-forward threshold=2 (lr=0.003)')!;
    expect(ff.slice(1, 8)).toEqual(['own-objective', 'n/a — own objective: layer-local goodness', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a']);
    const st = rows.find((r) => r[0] === 'straight-through')!;
    expect(st.slice(1, 3)).toEqual(['expected-gradient', 'expected-gradient']);
    expect(st[8]).toBe('± 0.0040 (sampled)');
    const fa = rows.find((r) => r[0] === 'feedback-alignment variant=fa')!;
    expect(fa[2]).toBe('task-gradient');
    expect(fa[8]).toBe('exact');
    // The fixture's mean over layers is (start + end cosine) / 2 per trial, identical over seeds.
    expect(fa[6]).toBe(((FAKE_SERIES[1].cos[0] + FAKE_SERIES[1].cos[1]) / 2).toFixed(3));
    // Its output layer has cosine 1 throughout; its hidden layers hold the rule's own cosines.
    expect(fa[4]).toBe('1.000');
    expect(Number(fa[3])).toBeLessThan(0.9);
  });

  it('published figures: matching protocols apart from context rows, each saying how it differs', () => {
    const m = /<section id="reproduction">([^]*?)<\/section>/.exec(html)![1];
    const [same, context] = m.split('<h3>Context: a different protocol</h3>');
    expect(same).toContain('Fixture et al. 2024');
    expect(same).toContain('Abstract-only 2016');
    expect(same).not.toContain('BioTorch');
    expect(same).toMatch(
      /Abstract-only 2016[^]*?matches[^]*?not stated in the source: hidden widths, activation, epochs, data split, regularization/,
    );
    // Ours beside "Fixture et al.": backprop's final test error over its three seeds.
    const err = summarize(finals(0, SEEDS).map((a) => (1 - a) * 100));
    expect(same).toContain(`${err.mean.toFixed(2)} ± ${err.std.toFixed(2)}`);
    expect(context).toMatch(
      /BioTorch[^]*?differs \(published vs ours\):<\/span><ul><li>LeNet vs MLP 784-64-64-10 relu<\/li><li>100 vs 4 epochs<\/li><li>60,000 vs 5,000 training images<\/li><li>10,000 vs 1,000 validation images<\/li><li>weight decay 0.001 vs none \(regularization\)<\/li>/,
    );
    expect(context).toContain('(best val)');
    expect(context).toMatch(/mezo \(not run\)[^]*?cifar10 vs mnist[^]*?300 vs 4 epochs/);
    expect(html).toMatch(/experiment\.json: references\[4\]\.location: expected a non-empty string[^<]*left out of the reproduction table/);
  });

  it('header: what this run was, from its resolved spec', () => {
    expect(html).toContain(
      '<strong>This run:</strong> mnist · 5,000 training images (+ 1,000 held out for validation) · 10,000 test images · MLP 784-64-64-10 relu · adam 0.001; forward-forward threshold=2 at 0.003 · batch 100 · 4 epochs · 3 seeds',
    );
    expect(html).not.toContain('run with --');
    expect(html).toContain('<h3>Quantiles across seeds</h3>');
  });

  it('header: validation on the test split, and each rule entry that brings its own rate', () => {
    const sgd = (lr: number) => ({ name: 'momentum', lr, schedule: { kind: 'multistep' } });
    const spec = {
      data: { name: 'mnist', validation: 'test' },
      model: { preset: 'lenet5' },
      optimizer: sgd(0.1),
      batchSize: 64,
      epochs: 100,
      seeds: [0],
      rules: [
        { rule: 'backprop', options: {}, grid: {}, optimizer: sgd(0.1) },
        { rule: 'feedback-alignment', options: {}, grid: { variant: ['usf', 'brsf'] }, optimizer: sgd(0.01) },
        { rule: 'direct-feedback-alignment', options: {}, grid: {}, optimizer: { name: 'adam', lr: 1e-4 } },
      ],
    };
    expect(runSummary(spec)).toBe(
      'mnist · 60,000 training images (validated on the test images) · 10,000 test images · LeNet · ' +
        'momentum 0.1 (multistep); feedback-alignment variant=usf/brsf at 0.01, direct-feedback-alignment at adam 0.0001 · batch 64 · 100 epochs · 1 seed',
    );
  });

  it('writes the records as one CSV: a row per evaluation point, config as columns', async () => {
    const rows = parseCsv(await readFile(join(dir, 'records.csv'), 'utf8'));
    const [head, ...body] = rows;
    for (const c of [
      'trial',
      'series',
      'rule',
      'seed',
      'status',
      'error',
      'option.variant',
      'optimizer.name',
      'epoch',
      'step',
      'testAcc',
      'stoppedBy',
      'cost.forwardPassesPerStep',
      'cost.forwardPasses',
      'memory.peakBytes',
      'alignment.reference',
      'alignment.cosine',
      'alignment.layerMeanCosine',
      'alignment.errorSignalMean',
      'alignment.cosine.layers.0',
      'errorSignal.cosine.layers.1',
      'metrics.layers.0.goodnessPos',
      'diagnostics.layers.0.gradNorm',
    ]) {
      expect(head, c).toContain(c);
    }
    const col = (name: string) => head.indexOf(name);
    // 5 series × 3 seeds × EPOCHS rows, less the failed trial's (it has one row instead) and the
    // diverged trial's last EPOCHS − 2, plus the cut-off trial's one whole line.
    expect(body.length).toBe(5 * 3 * EPOCHS - EPOCHS + 1 - (EPOCHS - 2) + 1);
    const r = body.find((x) => x[col('trial')] === 't1-0' && x[col('step')] === String(2 * STEPS_PER_EPOCH))!;
    const rec = fakeTrial(FAKE_SERIES[1], 0, 't1-0')[1] as { testAcc: number; alignment: Array<{ overall: { cosine: number } }> };
    expect(Number(r[col('testAcc')])).toBe(rec.testAcc);
    expect(Number(r[col('alignment.cosine')])).toBeCloseTo(
      rec.alignment.reduce((a, p) => a + p.overall.cosine, 0) / rec.alignment.length,
      12,
    );
    expect(r[col('option.variant')]).toBe('fa');
    expect(r[col('series')]).toBe('feedback-alignment variant=fa');
    // Cost: cumulative at the row's step, per step and what ended training from the summary.
    expect(Number(r[col('cost.forwardPasses')])).toBe(3 * 2 * STEPS_PER_EPOCH);
    expect(r[col('cost.forwardPassesPerStep')]).toBe('3');
    expect(r[col('stoppedBy')]).toBe('epochs');
    const failed = body.find((x) => x[col('status')] === 'failed')!;
    expect(failed[col('error')]).toBe(FAILED_ERROR);
    expect(failed[col('step')]).toBe('');
    expect(
      body
        .filter((x) => x[col('rule')] === 'forward-forward')
        .every((x) => x[col('alignment.cosine')] === '' && x[col('objective')] === 'layer-local goodness'),
    ).toBe(true);
  });

  it('a --quick, one-seed run: the header says so, and there is no quantile table', async () => {
    const quick = await makeFixtureDir({ experiment: true, seeds: [0], overrides: { quick: true } });
    const page = await readFile(await writeReport(quick), 'utf8');
    expect(page).toContain('1 seed');
    expect(page).toContain('run with --quick');
    expect(page).toContain('(the experiment file’s description, for the run without --quick)');
    expect(page).not.toContain('<h3>Quantiles across seeds</h3>');
    expect(page).toContain('No quantile table');
  });

  it('still builds without experiment.json, and for an empty directory', async () => {
    const bare = await readFile(await writeReport(await makeFixtureDir({})), 'utf8');
    expect(bare).toContain('No experiment.json spec');
    expect(bare).toContain(process.version);
    expect(bare).not.toContain('id="reproduction"');
    const emptyDir = await tempDir('rulebench-empty-');
    const empty = await readFile(await writeReport(emptyDir), 'utf8');
    expect(empty).toContain('No trial records');
    expect(empty).toContain('No records to chart');
    expect(empty).not.toContain('id="summary"');
    expect(existsSync(join(emptyDir, 'records.csv'))).toBe(true);
  });
});
