// Tables of results in the README and docs/, generated from committed records: a table sits
// between `<!-- table: NAME -->` and `<!-- /table -->`, and this script rewrites it from the
// records NAME is made from, so a documented figure cannot drift from the records it quotes.
//   npx tsx scripts/docs-tables.ts           rewrite every table in README.md and docs/*.md
//   npx tsx scripts/docs-tables.ts --check   exit 1, naming each table that differs from its records
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seriesFigures } from '../src/report/figures.ts';
import { readResults, type Reference, type ResultSet, type Series } from '../src/report/records.ts';
import { summaryRows, type SummaryRow } from '../src/report/summary.ts';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');

/** A table: the record directories it reads, and how it turns them into markdown rows. */
interface TableDef {
  sources: string[];
  render(sets: ResultSet[]): string;
}

const pct = (x: number | null | undefined, digits = 2) =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : (100 * x).toFixed(digits);
const errPct = (acc: number) => pct(Number.isFinite(acc) ? 1 - acc : NaN);

const sameOptions = (ref: Reference, s: Series) =>
  Object.entries(ref.options ?? {}).every(([k, v]) => JSON.stringify(s.options[k]) === JSON.stringify(v));

/** The published figure a source gives for a series (same rule, its options a subset of the series'). */
function published(rs: ResultSet, s: Series): string {
  const refs = (rs.experiment?.references ?? []).filter((r) => r.rule === s.rule && sameOptions(r, s));
  return refs.map((r) => `${r.value}`).join(' / ') || '–';
}

const rate = (s: Series) => {
  const o = s.entry?.optimizer as { lr?: number } | undefined;
  return o?.lr !== undefined ? String(o.lr) : '–';
};

const lines = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** Best-validation and final test error per series, beside the published figure: one seed each. */
function errorTable(withRate: boolean, refHead: string): TableDef['render'] {
  return ([rs]) =>
    lines(
      ['series', ...(withRate ? ['rate'] : []), 'best-validation error (final test error), %', 'epochs', refHead],
      rs.series.map((s) => {
        const f = seriesFigures(s);
        const ep = Math.max(0, ...s.trials.map((t) => t.summary?.epochs ?? 0));
        return [
          s.label,
          ...(withRate ? [rate(s)] : []),
          `**${errPct(f.bestValAcc.mean)}** (${errPct(f.finalTestAcc.mean)})`,
          String(ep),
          published(rs, s),
        ];
      }),
    );
}

const signed = (x: number, digits = 2) => `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x).toFixed(digits)}`;
const interval = (lo: number, hi: number, f: (x: number) => string) => (Number.isFinite(lo) ? `${f(lo)} to ${f(hi)}` : 'n/a');
/** The label without the tuned mark: every row of these tables ran tuned, the heading says so. */
const plainLabel = (s: Series) => s.label.replace(/ \(tuned\)$/, '');

/** Rows of the tuned run beside the untuned one (matched by label), ranked by mean test accuracy. */
function tunedBeside(tuned: ResultSet, untuned: ResultSet) {
  const rows = summaryRows(tuned);
  const before = new Map(summaryRows(untuned).map((r) => [plainLabel(r.series), r]));
  const rank = (rs: SummaryRow[]) =>
    new Map([...rs].sort((a, b) => b.testAcc.mean - a.testAcc.mean).map((r, i) => [plainLabel(r.series), i + 1]));
  const rankNow = rank(rows);
  const rankBefore = rank([...before.values()]);
  return [...rows]
    .sort((a, b) => b.testAcc.mean - a.testAcc.mean)
    .map((r) => ({
      r,
      label: plainLabel(r.series),
      untuned: before.get(plainLabel(r.series)) ?? null,
      now: rankNow.get(plainLabel(r.series))!,
      was: rankBefore.get(plainLabel(r.series)) ?? null,
    }));
}

const rankText = (now: number, was: number | null) => (was === null ? `${now}` : was === now ? `${now}` : `${now} (was ${was})`);

/** The README's headline: tuned test accuracy with its interval, the paired difference to backprop, the untuned figure and rank. */
const npmStartShort: TableDef['render'] = ([tuned, untuned]) =>
  lines(
    ['rule', 'test acc. %', 'vs BP, points', 'untuned', 'rank'],
    tunedBeside(tuned, untuned).map(({ r, label, untuned: u, now, was }) => [
      label,
      pct(r.testAcc.mean),
      r.paired ? `${signed(100 * r.paired.mean)}${r.paired.separable ? '' : ' ≈'}` : 'reference',
      u ? pct(u.testAcc.mean) : '–',
      rankText(now, was),
    ]),
  );

/** docs/results.md's full table: intervals, probability of improvement, collapse, alignment and cost. */
const npmStartFull: TableDef['render'] = ([tuned, untuned]) =>
  lines(
    [
      'rule',
      'seeds',
      'test acc. % (95% CI)',
      'vs BP, points (95% CI)',
      'P(better than BP)',
      'collapsed',
      'cosine: hidden / output',
      'forward passes per step',
      'untuned test acc. %',
    ],
    tunedBeside(tuned, untuned).map(({ r, label, untuned: u }) => [
      label,
      String(r.seeds),
      `${pct(r.testAcc.mean)} (${interval(r.testAcc.lo, r.testAcc.hi, (x) => pct(x))})`,
      r.paired
        ? `${signed(100 * r.paired.mean)} (${interval(r.paired.lo, r.paired.hi, (x) => signed(100 * x))})${r.paired.separable ? '' : ', not separable'}`
        : 'reference',
      r.paired ? r.paired.probImprovement.toFixed(2) : '',
      r.collapsedSeeds === null ? '–' : r.collapsedSeeds.length ? `${r.collapsedSeeds.length} of ${r.seeds}` : 'no',
      `${r.hiddenCosine === null ? '–' : r.hiddenCosine.toFixed(2)} / ${r.outputCosine === null ? '–' : r.outputCosine.toFixed(2)}`,
      r.forwardPassesPerStep === null ? '–' : r.forwardPassesPerStep.toFixed(1),
      u ? `${pct(u.testAcc.mean)} (${interval(u.testAcc.lo, u.testAcc.hi, (x) => pct(x))})` : '–',
    ]),
  );

/**
 * Per series, one figure per seed at the last evaluation: test accuracy, and for rules with
 * synthesizers their cosine with the target they regress on (the `*.cosTarget` metric).
 */
const perSeedAccuracyAndSynthFit: TableDef['render'] = ([rs]) =>
  lines(
    ['series', 'test accuracy, % per seed', 'synthesizer’s cosine with its target, per seed', 'steps'],
    rs.series.map((s) => {
      const last = s.trials.map((t) => t.evals.at(-1));
      const cos = last.map((e) => Object.entries(e?.metrics ?? {}).find(([k]) => k.endsWith('.cosTarget'))?.[1]);
      return [
        s.label,
        last.map((e) => pct(e?.testAcc, 1)).join(' / '),
        cos.every((c) => c === undefined) ? '' : cos.map((c) => (c === undefined ? '–' : c.toFixed(2))).join(' / '),
        String(Math.max(0, ...last.map((e) => e?.step ?? 0))),
      ];
    }),
  );

export const TABLES: Record<string, TableDef> = {
  'npm-start': { sources: ['results/mnist-compare-tuned', 'results/mnist-compare-untuned'], render: npmStartShort },
  'npm-start-full': { sources: ['results/mnist-compare-tuned', 'results/mnist-compare-untuned'], render: npmStartFull },
  'biotorch-lenet-mnist': { sources: ['results/biotorch-lenet-mnist'], render: errorTable(true, 'BioTorch, %') },
  'biotorch-lenet-mnist-dfa-kernel': { sources: ['results/biotorch-lenet-mnist-dfa-kernel'], render: errorTable(true, 'BioTorch, %') },
  'biotorch-lenet-fashion-mnist': { sources: ['results/biotorch-lenet-fashion-mnist'], render: errorTable(true, 'BioTorch, %') },
  'resnet-fashion': { sources: ['results/resnet-fashion-epochs3-train15000'], render: errorTable(true, 'BioTorch on CIFAR-10, %') },
  'dni-rnn-copy-gap': { sources: ['results/dni-rnn/copy-gap'], render: perSeedAccuracyAndSynthFit },
  'dni-rnn-copy-gap-rate': { sources: ['results/dni-rnn/copy-gap-rate'], render: perSeedAccuracyAndSynthFit },
  'dni-rnn-copy-gap-long': { sources: ['results/dni-rnn/copy-gap-long'], render: perSeedAccuracyAndSynthFit },
};

const BLOCK = /(<!-- table: ([\w-]+) -->\n)([\s\S]*?)(\n<!-- \/table -->)/g;

/** The markdown files that may hold tables. */
export function docFiles(root = ROOT): string[] {
  return [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => join('docs', f)),
  ];
}

/** Each file's text with its tables regenerated; unknown table names are errors. */
export async function regenerate(
  root = ROOT,
  tables = TABLES,
): Promise<Array<{ file: string; before: string; after: string; names: string[] }>> {
  const cache = new Map<string, string>();
  const made = async (name: string) => {
    if (!cache.has(name)) {
      const def = tables[name];
      const sets = await Promise.all(def.sources.map((d) => readResults(resolve(root, d))));
      cache.set(name, def.render(sets));
    }
    return cache.get(name)!;
  };
  const out = [];
  for (const file of docFiles(root)) {
    const before = readFileSync(join(root, file), 'utf8');
    const names = [...before.matchAll(BLOCK)].map((m) => m[2]);
    for (const n of names)
      if (!tables[n]) throw new Error(`${file}: table "${n}" is not one scripts/docs-tables.ts makes (${Object.keys(tables).join(', ')})`);
    let after = before;
    for (const n of names) {
      const body = await made(n);
      after = after.replace(
        new RegExp(`(<!-- table: ${n} -->\\n)[\\s\\S]*?(\\n<!-- \\/table -->)`),
        (_m, a: string, b: string) => a + body + b,
      );
    }
    out.push({ file, before, after, names });
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  try {
    const files = await regenerate();
    const stale = files.filter((f) => f.before !== f.after);
    if (check) {
      for (const f of stale) console.error(`docs-tables: ${f.file}: a table differs from its records; run npx tsx scripts/docs-tables.ts`);
      process.exit(stale.length ? 1 : 0);
    }
    for (const f of stale) writeFileSync(join(ROOT, f.file), f.after);
    console.log(
      `${files.reduce((n, f) => n + f.names.length, 0)} table(s) in ${files.filter((f) => f.names.length).length} file(s); ${stale.length} rewritten: ${stale.map((f) => relative(ROOT, join(ROOT, f.file))).join(', ') || 'none'}`,
    );
  } catch (e) {
    console.error(`docs-tables: ${(e as Error).message}`);
    process.exit(1);
  }
}
