// The report page: one self-contained offline HTML file with the vega, vega-lite and vega-embed
// bundles inlined, interactive charts, summary tables, the spec and the environment.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCharts } from './charts.ts';
import type { BuiltChart } from './chart-kit.ts';
import { escapeHtml, inlineJson, inlineScript } from './html.ts';
import { readResults, type ResultSet } from './records.ts';
import { writeCharts } from './render.ts';
import { PAGE_CSS } from './style.ts';
import { environmentTable, quantileTable, reproductionTable, summaryTable } from './tables.ts';

const BUNDLES = ['vega/build/vega.min.js', 'vega-lite/build/vega-lite.min.js', 'vega-embed/build/vega-embed.min.js'];

/** The packages' exports maps hide their build folders from resolve(), so look in node_modules. */
function findModuleFile(rel: string): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const p = join(dir, 'node_modules', rel);
    if (existsSync(p)) return p;
    if (dirname(dir) === dir) throw new Error(`report: ${rel} not found in any node_modules above ${fileURLToPath(import.meta.url)}; run npm install`);
  }
}

let bundleCache: string[] | null = null;

export async function loadBundles(): Promise<string[]> {
  bundleCache ??= await Promise.all(BUNDLES.map(async (b) => inlineScript(await readFile(findModuleFile(b), 'utf8'))));
  return bundleCache;
}

// Runs in the browser. Sets data-charts-rendered on <body> once every chart has settled, so a
// test (or a screenshot) knows when to look.
const EMBED_SCRIPT = `(function () {
  var charts = JSON.parse(document.getElementById('rb-charts').textContent);
  var jobs = charts.map(function (c) {
    var el = document.getElementById('chart-' + c.name);
    return vegaEmbed(el, c.spec, { renderer: 'svg', actions: false, mode: 'vega-lite' }).catch(function (e) {
      el.textContent = 'This chart failed to render: ' + e.message;
      el.className += ' failed';
      console.error(e);
    });
  });
  Promise.all(jobs).then(function () { document.body.setAttribute('data-charts-rendered', String(charts.length)); });
})();`;

// No network at all: the CSP makes an accidental fetch fail loudly instead of silently
// working online. Vega compiles its expressions with Function, hence 'unsafe-eval'.
const CSP = "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:";

function section(id: string, title: string, body: string, intro = ''): string {
  return `<section id="${id}">\n<h2>${escapeHtml(title)}</h2>\n${intro ? `<p class="explain">${intro}</p>\n` : ''}${body}\n</section>`;
}

function chartBlock(c: BuiltChart): string {
  const n = escapeHtml(c.name);
  return `<div class="chart-block" id="sec-${n}">
<h3>${escapeHtml(c.title)}</h3>
<p class="explain">${escapeHtml(c.explain)}</p>
<div class="chart" id="chart-${n}" data-chart="${n}"></div>
<p class="files">Static copies: <a href="charts/${n}.svg">${n}.svg</a> · <a href="charts/${n}.vl.json">${n}.vl.json</a></p>
</div>`;
}

export interface PageOptions {
  /** Shown in the header; defaults to now. */
  generatedAt?: Date;
}

/** The page's HTML, built by concatenating parts in order (never by search-and-replace). */
export async function buildPage(rs: ResultSet, charts: readonly BuiltChart[], opts: PageOptions = {}): Promise<string> {
  const name = rs.experiment?.name ?? basename(resolve(rs.dir));
  const trials = rs.series.reduce((n, s) => n + s.trials.length, 0);
  const evals = rs.series.reduce((n, s) => n + s.trials.reduce((m, t) => m + t.evals.length, 0), 0);
  const when = (opts.generatedAt ?? new Date()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const refs = rs.experiment?.references ?? [];
  const toc = [
    ...(rs.series.length ? [['summary', 'Summary']] : []), ...(refs.length ? [['reproduction', 'Reproduction']] : []), ['charts', 'Charts'],
    ['spec', 'Experiment spec'], ['environment', 'Environment'],
  ].map(([id, t]) => `<a href="#${id}">${t}</a>`).join(' · ');

  const warnings = rs.warnings.length
    ? `<div class="warning"><strong>${rs.warnings.length} warning${rs.warnings.length > 1 ? 's' : ''} while reading records</strong><ul>${rs.warnings
        .slice(0, 20).map((w) => `<li>${escapeHtml(w)}</li>`).join('')}${rs.warnings.length > 20 ? `<li>… ${rs.warnings.length - 20} more</li>` : ''}</ul></div>`
    : '';
  const hasOthers = Object.keys(rs.others).length > 0;
  const otherCounts = Object.entries(rs.others).map(([k, v]) => ` · ${v.length} ${escapeHtml(k)} rows`).join('');
  const empty = rs.series.length || hasOthers ? '' : `<p class="warning">No trial records (*.jsonl) found in ${escapeHtml(rs.dir)} or its records/ folder.</p>`;
  const description = rs.experiment?.description ? `<p class="lead">${escapeHtml(rs.experiment.description)}</p>\n` : '';
  // Hundreds of per-trial files are common; name them only when there are few.
  const fileList = rs.files.length <= 8 ? rs.files.map(escapeHtml).join(', ') : `${rs.files.length} files (${[...new Set(rs.files.map((f) => (f.includes('/') ? f.slice(0, f.indexOf('/') + 1) : '')))].map((d) => escapeHtml(d || './')).join(', ')})`;

  const parts: string[] = [
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">\n`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n<link rel="icon" href="data:,">\n',
    `<title>${escapeHtml(name)} — rulebench report</title>\n<style>\n${PAGE_CSS}\n</style>\n</head>\n<body>\n<main>\n`,
    `<header>\n<h1>${escapeHtml(name)}</h1>\n${description}<p class="meta">rulebench report · ${rs.series.length} rule configuration${rs.series.length === 1 ? '' : 's'} · ${trials} trials · ${evals} evaluations${otherCounts} · generated ${escapeHtml(when)}</p>\n<nav>${toc}</nav>\n</header>\n`,
    warnings,
    empty,
    rs.series.length
      ? section('summary', 'Summary across seeds', summaryTable(rs) + '\n<h3>Quantiles across seeds</h3>\n' + quantileTable(rs),
        'Mean ± sample standard deviation across seeds. Memory is the logical ledger’s peak per training step; time covers the rule’s step and the optimizer only. Trials still running or cut off are counted under seeds but left out of the figures.')
      : '',
    refs.length
      ? section('reproduction', 'Reproduction', reproductionTable(rs, refs), 'Published figures the experiment declares, beside ours. Small runs are not expected to match long published ones; the direction of the gaps is the point.')
      : '',
    section('charts', 'Charts', charts.length ? charts.map(chartBlock).join('\n') : '<p class="muted">No records to chart.</p>', 'Hover for values; on line charts drag to pan, scroll to zoom, double-click to reset.'),
    section('spec', 'Experiment spec',
      rs.experiment?.spec !== undefined
        ? `<pre><code>${escapeHtml(JSON.stringify(rs.experiment.spec, null, 2))}</code></pre>`
        : '<p class="muted">No experiment.json spec in this directory.</p>'),
    section('environment', 'Environment', environmentTable(rs.experiment?.environment)),
    `<footer class="muted">Records: ${fileList || 'none'}</footer>\n</main>\n`,
  ];
  for (const js of await loadBundles()) parts.push('<script>\n', js, '\n</script>\n');
  parts.push(
    '<script type="application/json" id="rb-charts">', inlineJson(charts.map((c) => ({ name: c.name, spec: c.spec }))), '</script>\n',
    '<script>\n', EMBED_SCRIPT, '\n</script>\n',
    '</body>\n</html>\n',
  );
  return parts.join('');
}

/** Read `dir`'s records, write charts/*.svg + *.vl.json and report.html; returns the page's path. */
export async function writeReport(dir: string, opts: PageOptions = {}): Promise<string> {
  const rs = await readResults(dir);
  const charts = buildCharts(rs);
  const warnings: string[] = [];
  await writeCharts(dir, charts, warnings);
  // A chart warning means a spec problem; show it on the page rather than hide it in a log.
  rs.warnings.push(...warnings);
  const path = join(dir, 'report.html');
  await writeFile(path, await buildPage(rs, charts, opts));
  return path;
}
