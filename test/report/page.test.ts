// The report page from fabricated records: self-contained (no network, no source maps), inline
// JSON escaped, tables filled, and static chart files written beside it.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml, inlineJson, inlineScript } from '../../src/report/html.ts';
import { writeReport } from '../../src/report/page.ts';
import { summarize } from '../../src/report/stats.ts';
import { cleanupTempDirs, FAKE_SERIES, fakeTrial, makeFixtureDir, SEEDS, tempDir } from './fixtures.ts';

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
    // Still the same program.
    expect(new Function(`${out}; return [a, b];`)()).toEqual(['</script>', '<!--']);
    expect(escapeHtml('<a href="x">&\'')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  });
});

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

  it('escapes the inline chart JSON', () => {
    const m = /<script type="application\/json" id="rb-charts">([^]*?)<\/script>/.exec(html);
    expect(m).not.toBeNull();
    expect(m![1]).not.toContain('<');
    const charts = JSON.parse(m![1]) as Array<{ name: string; spec: unknown }>;
    expect(charts.map((c) => c.name)).toContain('alignment');
    for (const c of charts) expect(html).toContain(`id="chart-${c.name}"`);
    // Text from experiment.json is escaped where it is shown.
    expect(html).toContain('tricky &lt;/script&gt;&lt;!-- text &amp;');
    expect(html).not.toContain('tricky </script>');
  });

  it('writes each chart as SVG and Vega-Lite JSON', async () => {
    const m = /<script type="application\/json" id="rb-charts">([^]*?)<\/script>/.exec(html)!;
    for (const { name } of JSON.parse(m[1]) as Array<{ name: string }>) {
      expect(existsSync(join(dir, 'charts', `${name}.svg`)), name).toBe(true);
      const svg = await readFile(join(dir, 'charts', `${name}.svg`), 'utf8');
      expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(JSON.parse(await readFile(join(dir, 'charts', `${name}.vl.json`), 'utf8')).$schema).toMatch(/vega-lite\/v6/);
    }
  });

  it('fills the summary, reproduction and environment tables', () => {
    const finals = (i: number) => SEEDS.map((seed) => {
      const s = fakeTrial(FAKE_SERIES[i], seed, 't').at(-1)!;
      return s.type === 'summary' ? s.finalTestAcc : NaN;
    });
    const acc = summarize(finals(1).map((a) => a * 100));
    expect(html).toContain(`${acc.mean.toFixed(2)} ± ${acc.std.toFixed(2)}`);
    // FA's published error beside ours, in the same unit.
    const err = summarize(finals(1).map((a) => (1 - a) * 100));
    expect(html).toMatch(new RegExp(`feedback-alignment variant=fa</td><td>test error %</td><td class="num">1.7</td><td class="num">${err.mean.toFixed(2)} ± ${err.std.toFixed(2)}</td>`));
    expect(html).toContain('<td class="num">not run</td>');
    expect(html).toContain('cifar10 (we ran mnist)');
    expect(html).toContain('v20.0.0-fixture');
    expect(html).toContain('Fixture CPU × 2');
    expect(html).toContain('<td>kernel backend</td><td>reference</td>');
    expect(html).toContain('(fabricated records)');
    expect(html).toMatch(/Records: \d+ files \(\.\/, records\/\)/);
    expect(html).toContain('torn last line');
  });

  it('still builds without experiment.json, and for an empty directory', async () => {
    const bare = await readFile(await writeReport(await makeFixtureDir({})), 'utf8');
    expect(bare).toContain('No experiment.json spec');
    expect(bare).toContain(process.version);
    expect(bare).not.toContain('id="reproduction"');
    const empty = await readFile(await writeReport(await tempDir('rulebench-empty-')), 'utf8');
    expect(empty).toContain('No trial records');
    expect(empty).toContain('No records to chart');
    expect(empty).not.toContain('id="summary"');
  });
});
