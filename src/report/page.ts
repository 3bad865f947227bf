// The report page: one self-contained offline HTML file with the vega, vega-lite and vega-embed
// bundles inlined, interactive charts, summary tables, the spec and the environment; beside it
// the records as one CSV table and each chart as SVG and Vega-Lite JSON.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCharts } from './charts.ts';
import type { BuiltChart } from './chart-kit.ts';
import { escapeHtml, inlineJson, inlineScript } from './html.ts';
import { readResults, referenceSeries, type ResultSet } from './records.ts';
import { writeCharts } from './render.ts';
import { PAGE_CSS } from './style.ts';
import { describeRunArchitecture, runProtocol } from '../runner/references.ts';
import { writeRecordsCsv, CSV_NAME } from './csv.ts';
import { pairedTable } from './paired-table.ts';
import { distillTable } from './distill-table.ts';
import { writeSummaryCsv, SUMMARY_CSV } from './summary.ts';
import { metricTitle, taskMetricNames, taskSectionBody } from './task-metrics.ts';
import {
  alignmentTable,
  environmentTable,
  problemTable,
  quantileTable,
  QUANTILE_MIN_SEEDS,
  reproductionTables,
  summaryTable,
} from './tables.ts';

/** The browser bundles the page inlines, read from node_modules by path (run-time dependencies too). */
export const BUNDLES = ['vega/build/vega.min.js', 'vega-lite/build/vega-lite.min.js', 'vega-embed/build/vega-embed.min.js'];

/** The packages' exports maps hide their build folders from resolve(), so look in node_modules. */
function findModuleFile(rel: string): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const p = join(dir, 'node_modules', rel);
    if (existsSync(p)) return p;
    if (dirname(dir) === dir)
      throw new Error(`report: ${rel} not found in any node_modules above ${fileURLToPath(import.meta.url)}; run npm install`);
  }
}

let bundleCache: string[] | null = null;

export async function loadBundles(): Promise<string[]> {
  bundleCache ??= await Promise.all(BUNDLES.map(async (b) => inlineScript(await readFile(findModuleFile(b), 'utf8'))));
  return bundleCache;
}

// Runs in the browser. Sets data-charts-rendered on <body> once every chart has settled, so a
// test (or a screenshot) knows when to look.
export const EMBED_SCRIPT = `(function () {
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
export const CSP = "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:";

function section(id: string, title: string, body: string, intro = ''): string {
  return `<section id="${id}">\n<h2>${escapeHtml(title)}</h2>\n${intro ? `<p class="explain">${intro}</p>\n` : ''}${body}\n</section>`;
}

/** The task's own figures (bits per character, steps to a level) and generated text, when the records carry them. */
function taskSection(rs: ResultSet): string {
  const body = taskSectionBody(rs);
  if (!body) return '';
  const names = taskMetricNames(rs).map(metricTitle).join(', ');
  return section(
    'task',
    names ? `Task figures: ${names}` : 'Generated text',
    body,
    'Figures the task derives from its loss (lower is better), from the records’ validation and test evaluations; mean ± std over the finished seeds.',
  );
}

export function chartBlock(c: BuiltChart): string {
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

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/**
 * What this run was, from the resolved spec it recorded (after --quick and other overrides), so
 * the header never repeats a description written for a different run.
 */
export function runSummary(spec: unknown): string | null {
  if (!isObj(spec)) return null;
  const p = runProtocol(spec);
  const data = isObj(spec.data) ? spec.data : {};
  const opt = isObj(spec.optimizer) ? spec.optimizer : {};
  const seeds = Array.isArray(spec.seeds) ? spec.seeds.length : null;
  const parts = [
    p.dataset ?? null,
    p.split.train !== undefined
      ? `${plural(p.split.train, 'training image')}${data.validation === 'test' ? ' (validated on the test images)' : p.split.validation ? ` (+ ${p.split.validation.toLocaleString('en-US')} held out for validation)` : ''}`
      : null,
    p.split.test !== undefined
      ? `${plural(p.split.test, 'test image')}`
      : typeof data.test === 'number'
        ? plural(data.test, 'test image')
        : null,
    describeRunArchitecture(p.architecture),
    optimizerText(opt, Array.isArray(spec.rules) ? spec.rules : []),
    typeof spec.batchSize === 'number' ? `batch ${spec.batchSize}` : null,
    p.epochs !== undefined ? plural(p.epochs, 'epoch') : null,
    seeds !== null ? plural(seeds, 'seed') : null,
  ];
  return parts.filter((x): x is string => Boolean(x)).join(' · ');
}

/** "adam 0.001 (cosine)", then the rule entries that bring another rate: "; forward-forward threshold=2 at 0.003". */
function optimizerText(opt: Record<string, unknown>, rules: unknown[]): string | null {
  if (typeof opt.name !== 'string') return null;
  const base = `${opt.name}${typeof opt.lr === 'number' ? ` ${opt.lr}` : ''}${isObj(opt.schedule) && typeof opt.schedule.kind === 'string' ? ` (${opt.schedule.kind})` : ''}`;
  const own = rules.filter(isObj).flatMap((r) => {
    const o = isObj(r.optimizer) ? r.optimizer : opt;
    if (o.name === opt.name && o.lr === opt.lr) return [];
    const settings = [
      ...Object.entries(isObj(r.options) ? r.options : {}).map(([k, v]) => `${k}=${String(v)}`),
      ...Object.entries(isObj(r.grid) ? r.grid : {}).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('/') : String(v)}`),
    ];
    return [`${[r.rule, ...settings].join(' ')} at ${o.name === opt.name ? '' : `${String(o.name)} `}${String(o.lr)}`];
  });
  return own.length ? `${base}; ${own.join(', ')}` : base;
}

/** Which series ran at tuned settings, from where, with what tuning budget (series marked "(tuned)"). */
function tunedText(rs: ResultSet): string | null {
  const tuned = rs.series.filter((s) => s.entry?.tuned);
  if (!tuned.length) return null;
  const t = tuned[0].entry!.tuned!;
  return (
    `${tuned.length} of ${rs.series.length} series ran at the settings rulebench tune chose in ${t.from} (marked “(tuned)”): ` +
    `${t.configurations} configurations per entry, successive halving over ${t.rungs.join(' / ')} steps, chosen by ${t.metric} on the validation split (seed${t.seeds.length > 1 ? 's' : ''} ${t.seeds.join(', ')}).`
  );
}

/** What the paired table shows and how its figures are made (summary.csv holds them unrounded). */
function headlineIntro(rs: ResultSet): string {
  const ref = referenceSeries(rs);
  const against = ref
    ? `Δ is each rule’s final test accuracy minus that of the reference, <strong>${escapeHtml(ref.label)}</strong> (the first entry whose rule declares exact gradients), on the same seed: within a seed every rule starts from the same weights and sees the same batches.`
    : 'No entry of this experiment declares exact gradients, so there is no reference to pair with and the Δ columns are empty.';
  return (
    `Final test accuracy over the finished seeds with a percentile bootstrap 95% interval of the mean (10,000 resamples from a seeded stream; at a few seeds it spans about the seeds’ range, and says no more than they do). ${against} ` +
    'The interval of the mean difference holds zero where a row reads “not separable at N seeds”. P(improvement) is the share of paired seeds on which the rule beats the reference (a tie counts half). ' +
    'A run is collapsed when its validation accuracy ends more than 5 points below its own peak. Alignment is the mean cosine with the reference gradient over the hidden layers, the output layer apart (most rules train it with the true gradient). ' +
    `Unrounded, with the cost columns: <a href="${SUMMARY_CSV}">${SUMMARY_CSV}</a>.`
  );
}

function overridesText(o: Record<string, unknown> | null): string | null {
  if (!o) return null;
  const flags = Object.entries(o)
    .filter(([, v]) => v !== undefined && v !== false && v !== null)
    .map(([k, v]) => (v === true ? `--${k}` : `--${k} ${Array.isArray(v) ? v.join(',') : String(v)}`));
  return flags.length ? flags.join(' ') : null;
}

/** The page's HTML, built by concatenating parts in order (never by search-and-replace). */
export async function buildPage(rs: ResultSet, charts: readonly BuiltChart[], opts: PageOptions = {}): Promise<string> {
  const name = rs.experiment?.name ?? basename(resolve(rs.dir));
  const trials = rs.series.reduce((n, s) => n + s.trials.length, 0);
  const evals = rs.series.reduce((n, s) => n + s.trials.reduce((m, t) => m + t.evals.length, 0), 0);
  const when = (opts.generatedAt ?? new Date())
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const refs = rs.experiment?.references ?? [];
  const quantiles = quantileTable(rs);
  const problems = problemTable(rs);
  const distill = distillTable(rs);
  // The headline leads: the paired table and the Pareto view; the other charts follow further down.
  const pareto = charts.find((c) => c.name === 'headline');
  const otherCharts = charts.filter((c) => c !== pareto);
  const toc = [
    ...(rs.series.length
      ? [
          ['headline', 'Headline'],
          ['summary', 'Summary'],
          ...(taskSectionBody(rs) ? [['task', 'Task figures']] : []),
          ...(distill ? [['distillation', 'Distillation']] : []),
          ['alignment-table', 'Alignment'],
        ]
      : []),
    ...(refs.length ? [['reproduction', 'Published figures']] : []),
    ['charts', 'Charts'],
    ['spec', 'Experiment spec'],
    ['environment', 'Environment'],
  ]
    .map(([id, t]) => `<a href="#${id}">${t}</a>`)
    .join(' · ');

  const warnings = rs.warnings.length
    ? `<div class="warning"><strong>${rs.warnings.length} warning${rs.warnings.length > 1 ? 's' : ''} while reading records</strong><ul>${rs.warnings
        .slice(0, 20)
        .map((w) => `<li>${escapeHtml(w)}</li>`)
        .join('')}${rs.warnings.length > 20 ? `<li>… ${rs.warnings.length - 20} more</li>` : ''}</ul></div>`
    : '';
  const hasOthers = Object.keys(rs.others).length > 0;
  const otherCounts = Object.entries(rs.others)
    .map(([k, v]) => ` · ${v.length} ${escapeHtml(k)} rows`)
    .join('');
  const empty =
    rs.series.length || hasOthers
      ? ''
      : `<p class="warning">No trial records (*.jsonl) found in ${escapeHtml(rs.dir)} or its records/ folder.</p>`;
  const run = runSummary(rs.experiment?.spec);
  const overrides = overridesText(rs.experiment?.overrides ?? null);
  // The file's description was written for the run without overrides: say so when they applied.
  const description = rs.experiment?.description
    ? `<p class="lead">${escapeHtml(rs.experiment.description)}${overrides ? ` <span class="muted">(the experiment file’s description, for the run without ${escapeHtml(overrides)})</span>` : ''}</p>\n`
    : '';
  const runLine = run
    ? `<p class="run"><strong>This run:</strong> ${escapeHtml(run)}${overrides ? ` · <span class="warn">run with ${escapeHtml(overrides)}</span>` : ''}</p>\n`
    : '';
  const tuned = tunedText(rs);
  const tunedLine = tuned ? `<p class="run"><strong>Tuned:</strong> ${escapeHtml(tuned)}</p>\n` : '';
  // Hundreds of per-trial files are common; name them only when there are few.
  const fileList =
    rs.files.length <= 8
      ? rs.files.map(escapeHtml).join(', ')
      : `${rs.files.length} files (${[...new Set(rs.files.map((f) => (f.includes('/') ? f.slice(0, f.indexOf('/') + 1) : '')))].map((d) => escapeHtml(d || './')).join(', ')})`;
  const repro = refs.length ? reproductionTables(rs, refs) : null;

  const parts: string[] = [
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">\n`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n<link rel="icon" href="data:,">\n',
    `<title>${escapeHtml(name)} — rulebench report</title>\n<style>\n${PAGE_CSS}\n</style>\n</head>\n<body>\n<main>\n`,
    `<header>\n<h1>${escapeHtml(name)}</h1>\n${runLine}${tunedLine}${description}<p class="meta">rulebench report · ${rs.series.length} rule configuration${rs.series.length === 1 ? '' : 's'} · ${trials} trials · ${evals} evaluations${otherCounts} · generated ${escapeHtml(when)}</p>\n<nav>${toc}</nav>\n</header>\n`,
    warnings,
    empty,
    rs.series.length
      ? section(
          'headline',
          'Headline: rules against the reference, seed by seed',
          pairedTable(rs) + (pareto ? `\n${chartBlock(pareto)}` : ''),
          headlineIntro(rs),
        )
      : '',
    rs.series.length
      ? section(
          'summary',
          'Summary across seeds',
          summaryTable(rs) +
            (problems
              ? `\n<h3>Failed and diverged trials</h3>\n<p class="explain">Their figures are left out above: a failed trial has none, a diverged one stopped early.</p>\n${problems}`
              : '') +
            (quantiles
              ? `\n<h3>Quantiles across seeds</h3>\n${quantiles}`
              : `\n<p class="muted">No quantile table: no rule has ${QUANTILE_MIN_SEEDS} or more finished seeds.</p>`),
          `Mean ± sample standard deviation over the finished seeds (“2 of 3” when a trial failed, diverged or has not finished; those are counted, not averaged in). Memory is the logical ledger’s peak per training step; time covers the rule’s step and the optimizer only. Records as one table: <a href="${CSV_NAME}">${CSV_NAME}</a>.`,
        )
      : '',
    taskSection(rs),
    distill
      ? section(
          'distillation',
          'Distilled students against students trained on the labels',
          distill,
          'Each distilled series beside the series of the same rule, options and adapters trained on the labels alone (the one with the same optimizer, else the only one), both scored on the test labels. The difference is paired seed by seed, with a bootstrap 95% interval over the paired seeds.',
        )
      : '',
    rs.series.length
      ? section(
          'alignment-table',
          'Alignment with the reference',
          alignmentTable(rs),
          'Mean over the run’s alignment points, ± std across seeds. The reference is what the rule’s updates estimate: backprop’s gradient of the task loss, or the expected gradient of a stochastic network (with its Monte Carlo standard error when sampled). The headline figure is the mean over the hidden layers (every layer but the last); the output layer, which most rules train with the true gradient, is shown apart. The weighted cosine is dominated by the largest layer; the mean over layers counts each layer once.',
        )
      : '',
    repro
      ? section(
          'reproduction',
          'Published figures beside ours',
          `<h3>Same protocol</h3>\n${repro.matching ?? '<p class="muted">No published figure states a protocol that matches this run’s.</p>'}\n` +
            `<h3>Context: a different protocol</h3>\n${repro.context ?? '<p class="muted">None.</p>'}`,
          'Each published figure states its protocol (architecture, epochs, data split, regularization, evaluation split); a row is comparable only when every stated field matches the run, and otherwise says how it differs (published vs ours).',
        )
      : '',
    section(
      'charts',
      'Charts',
      otherCharts.length ? otherCharts.map(chartBlock).join('\n') : '<p class="muted">No records to chart.</p>',
      'Hover for values; on line charts drag to pan, scroll to zoom, double-click to reset. Every series keeps its colour and shape across charts.',
    ),
    section(
      'spec',
      'Experiment spec (as run)',
      rs.experiment?.spec !== undefined
        ? `<pre><code>${escapeHtml(JSON.stringify(rs.experiment.spec, null, 2))}</code></pre>`
        : '<p class="muted">No experiment.json spec in this directory.</p>',
    ),
    section('environment', 'Environment', environmentTable(rs.experiment?.environment)),
    `<footer class="muted">Records: ${fileList || 'none'}</footer>\n</main>\n`,
  ];
  for (const js of await loadBundles()) parts.push('<script>\n', js, '\n</script>\n');
  parts.push(
    '<script type="application/json" id="rb-charts">',
    inlineJson(charts.map((c) => ({ name: c.name, spec: c.spec }))),
    '</script>\n',
    '<script>\n',
    EMBED_SCRIPT,
    '\n</script>\n',
    '</body>\n</html>\n',
  );
  return parts.join('');
}

/** Read `dir`'s records, write records.csv, summary.csv, charts/*.svg + *.vl.json and report.html; returns the page's path. */
export async function writeReport(dir: string, opts: PageOptions = {}): Promise<string> {
  const rs = await readResults(dir);
  await writeRecordsCsv(rs, join(dir, CSV_NAME));
  await writeSummaryCsv(rs, join(dir, SUMMARY_CSV));
  const charts = buildCharts(rs);
  const warnings: string[] = [];
  await writeCharts(dir, charts, warnings);
  // A chart warning means a spec problem; show it on the page rather than hide it in a log.
  rs.warnings.push(...warnings);
  const path = join(dir, 'report.html');
  await writeFile(path, await buildPage(rs, charts, opts));
  return path;
}
