// The tuning report: tune.json as a page — what was searched and how (sampler, budget, rungs,
// validation metric), each entry's best configuration and the budget it spent, and the charts.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TuneFile } from '../runner/tune/tune-file.ts';
import { CSV_NAME, writeRecordsCsv } from './csv.ts';
import { escapeHtml, inlineJson, table } from './html.ts';
import { chartBlock, CSP, EMBED_SCRIPT, loadBundles } from './page.ts';
import { writeCharts } from './render.ts';
import { readResults } from './records.ts';
import { PAGE_CSS } from './style.ts';
import { buildTuneCharts } from './tune-charts.ts';

const fmtOptions = (o: Record<string, unknown>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');

/** "momentum 0.0123 (momentum=0.9)": an optimizer spec on one line. */
export function optimizerLine(o: Record<string, unknown>): string {
  const { name, lr, ...rest } = o;
  return `${String(name)} ${String(lr)}${Object.keys(rest).length ? ` (${fmtOptions(rest)})` : ''}`;
}

function entriesTable(f: TuneFile): string {
  const rows = f.entries.map((e) => [
    { text: e.key, className: 'rule' },
    e.best ? e.best.score.toFixed(4) : e.complete ? 'none trained' : 'pending',
    e.best ? `${fmtOptions(e.best.options) || '(no options searched)'}` : '',
    e.best ? optimizerLine(e.best.optimizer as Record<string, unknown>) : '',
    e.best ? String(e.best.rung) : '',
    String(e.spent.trials),
    e.spent.steps.toLocaleString('en-US'),
    e.spent.wallSeconds.toFixed(1),
    [...Object.keys(e.space.options), ...(e.space.optimizer === 'shared' ? ['optimizer', 'lr'] : [])].join(', ') || '(nothing)',
  ]);
  return table(
    ['entry', `best ${f.metric}`, 'tuned options', 'optimizer', 'rung', 'trials', 'steps', 'wall s', 'searched'],
    rows,
    [1, 4, 5, 6, 7],
  );
}

export async function buildTunePage(f: TuneFile, charts: ReturnType<typeof buildTuneCharts>, generatedAt = new Date()): Promise<string> {
  const when = generatedAt
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const h = f.halving;
  const rungs = h.rungs.map((r) => `${r.configurations} × ${r.steps} steps`).join(' → ');
  const families = f.optimizers
    .map((o) => {
      const { lr, ...rest } = o as Record<string, unknown>;
      return `${optimizerLine({ ...rest, lr: Array.isArray(lr) ? `${lr[0]}–${lr[1]}` : lr })}`;
    })
    .join('; ');
  const how =
    `${f.budget.configurations} configurations per entry from a ${f.sampler.kind} (seed ${f.sampler.seed}); successive halving, η = ${h.eta}: ${rungs} ` +
    `(${h.stepsPerEpoch} steps per epoch); scored by ${f.metric} on the validation split only (the test split is never read), seed${f.budget.seeds.length > 1 ? 's' : ''} ${f.budget.seeds.join(', ')}; shared optimizer space: ${families} (learning rate log-uniform).`;
  const parts = [
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">\n`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n<link rel="icon" href="data:,">\n',
    `<title>${escapeHtml(f.experiment.name)} tuning — rulebench report</title>\n<style>\n${PAGE_CSS}\n</style>\n</head>\n<body>\n<main>\n`,
    `<header>\n<h1>${escapeHtml(f.experiment.name)}: tuning</h1>\n<p class="run"><strong>How:</strong> ${escapeHtml(how)}</p>\n`,
    `<p class="meta">rulebench tuning report · ${f.entries.length} entries · ${f.complete ? 'complete' : '<span class="warn">not finished</span>'} · generated ${escapeHtml(when)} · <a href="tune.json">tune.json</a></p>\n</header>\n`,
    `<section id="best">\n<h2>Best configuration per entry</h2>\n<p class="explain">Each entry's best configuration at the highest rung any reached, with the validation score it was chosen by and the budget the entry spent. Run them with <code>rulebench run ${escapeHtml(f.experiment.file)} --tuned &lt;this directory&gt;</code>.</p>\n${entriesTable(f)}\n</section>\n`,
    `<section id="charts">\n<h2>Charts</h2>\n${charts.length ? charts.map(chartBlock).join('\n') : '<p class="muted">No scores yet.</p>'}\n</section>\n`,
    '</main>\n',
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

/**
 * Read `dir`/tune.json, write its charts, `dir`/tune.html and the tuning trials' records as one
 * table (`dir`/records.csv, as a run's report does); returns the page's path.
 */
export async function writeTuneReport(dir: string, generatedAt?: Date): Promise<string> {
  const f = JSON.parse(await readFile(join(dir, 'tune.json'), 'utf8')) as TuneFile;
  await writeRecordsCsv(await readResults(dir), join(dir, CSV_NAME));
  const charts = buildTuneCharts(f);
  await writeCharts(dir, charts);
  const path = join(dir, 'tune.html');
  await writeFile(path, await buildTunePage(f, charts, generatedAt));
  return path;
}
