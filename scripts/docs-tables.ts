// Tables of results in the README and docs/, generated from committed records: a table sits
// between `<!-- table: NAME -->` and `<!-- /table -->`, and this script rewrites it from the
// records NAME is made from, so a documented figure cannot drift from the records it quotes.
//   npx tsx scripts/docs-tables.ts           rewrite every table in README.md and docs/*.md
//   npx tsx scripts/docs-tables.ts --check   exit 1, naming each table that differs from its records
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryBreakdownRows } from '../src/report/charts.ts';
import { distillRows } from '../src/report/distill-table.ts';
import { countedTrials, seriesFigures, unfinishedText } from '../src/report/figures.ts';
import { pipelineRows } from '../src/report/pipeline-charts.ts';
import {
  changeRows,
  lossScaleRows,
  precisionPairs,
  underflowRows,
  type ChangeRow,
  type LossScaleRow,
  type UnderflowRow,
} from '../src/report/precision-charts.ts';
import { readResults, type Reference, type ResultSet, type Series } from '../src/report/records.ts';
import { summarize } from '../src/report/stats.ts';
import { summaryRows, type SummaryRow } from '../src/report/summary.ts';
import { reproductionRows } from '../src/report/tables.ts';
import { runProtocol } from '../src/runner/references.ts';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');

/**
 * A table: the record directories it reads (each read as a run's results), and how it turns them
 * into markdown rows; or, for an experiment script that writes plain JSONL, the record files.
 */
type Render = (sets: ResultSet[]) => string;
type RenderRows = (rows: Array<Array<Record<string, unknown>>>) => string;
type TableDef = { sources: string[]; render: Render } | { files: string[]; renderRows: RenderRows };

const jsonl = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);

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
/** The entry's rate, else the experiment's. */
const rateIn = (rs: ResultSet, s: Series) => {
  const own = rate(s);
  const o = (rs.experiment?.spec as { optimizer?: { lr?: number } } | undefined)?.optimizer;
  return own !== '–' || o?.lr === undefined ? own : String(o.lr);
};

const lines = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** Best-validation and final test error per series, beside the published figure: one seed each. */
function errorTable(withRate: boolean, refHead: string): Render {
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

const meanSd = (st: { n: number; mean: number; std: number }, f: (x: number) => string) =>
  st.n === 0 ? '–' : st.n > 1 ? `${f(st.mean)} ± ${f(st.std)}` : f(st.mean);

/**
 * Final test accuracy per series (mean ± sd over seeds), its cosine with the rule's declared
 * reference over the hidden layers and the output layer, optionally its memory peak ÷ inference's,
 * and the epochs reached: the figures a run of the docs' older experiments quotes. Several runs
 * give one table, each row naming its run.
 */
function accuracyTable(o: { memory?: boolean; alignment?: boolean } = {}): Render {
  const alignment = o.alignment ?? true;
  return (sets) =>
    lines(
      [
        ...(sets.length > 1 ? ['run'] : []),
        'series',
        'seeds',
        'test accuracy, %',
        ...(alignment ? ['cosine with reference: hidden / output'] : []),
        ...(o.memory ? ['peak ÷ inference'] : []),
        'epochs',
      ],
      sets.flatMap((rs) =>
        rs.series.map((s) => {
          const f = seriesFigures(s);
          const ep = Math.max(0, ...s.trials.map((t) => t.summary?.epochs ?? 0));
          const cos = (st: typeof f.hiddenCosine) => (st.n ? st.mean.toFixed(2) : '–');
          return [
            ...(sets.length > 1 ? [rs.experiment?.name ?? '–'] : []),
            s.label,
            String(f.counted),
            `**${meanSd(f.finalTestAcc, (x) => (100 * x).toFixed(2))}**`,
            ...(alignment ? [`${cos(f.hiddenCosine)} / ${cos(f.outputCosine)}`] : []),
            ...(o.memory ? [f.ratioToInference.n ? `${f.ratioToInference.mean.toFixed(2)}×` : '–'] : []),
            String(ep),
          ];
        }),
      ),
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
const npmStartShort: Render = ([tuned, untuned]) =>
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
const npmStartFull: Render = ([tuned, untuned]) =>
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

/** experiments/vanishing-gradients.ts: the first weight layer's gradient norm over the last's (the output layer), per network. */
const vanishing: RenderRows = ([rows]) => {
  const nets = new Map<string, Array<{ layer: number; norm: number }>>();
  for (const r of rows.filter((r) => r.type === 'gradient-norms')) {
    const key = `${r.activation} | ${r.init} | ${r.residual ? 'yes' : 'no'}`;
    nets.set(key, [...(nets.get(key) ?? []), { layer: Number(r.layer), norm: Number(r.norm) }]);
  }
  return lines(
    ['activation', 'init', 'residual', 'first ÷ last layer gradient norm'],
    [...nets].map(([key, ls]) => {
      const sorted = [...ls].sort((a, b) => a.layer - b.layer);
      return [...key.split(' | '), (sorted[0].norm / sorted[sorted.length - 1].norm).toExponential(1)];
    }),
  );
};

/** experiments/mezo-memory.ts: each rule's step peak ÷ inference's, across widths or depths of the MLP. */
function memorySweep(sweep: 'width' | 'depth'): RenderRows {
  return ([rows]) => {
    const sw = rows.filter((r) => r.type === 'memory-sweep' && r.sweep === sweep);
    const keys = [...new Set(sw.map((r) => Number(r[sweep])))].sort((a, b) => a - b);
    const rules = [...new Set(sw.map((r) => String(r.rule)))];
    return lines(
      ['rule', ...keys.map((k) => `${sweep} ${k}`)],
      rules.map((rule) => [
        rule,
        ...keys.map((k) => {
          const r = sw.find((x) => x.rule === rule && Number(x[sweep]) === k);
          return r ? `${Number(r.ratioToInference).toFixed(2)}×` : '–';
        }),
      ]),
    );
  };
}

/**
 * experiments/mezo-memory.ts checkpoint: saved activations against no checkpointing, per segment
 * length. Its time column is left out: the records' timings come from a shared machine.
 */
const checkpointing: RenderRows = ([rows]) =>
  lines(
    ['checkpoint every', 'saved activations ×', 'gradients bit-identical'],
    rows
      .filter((r) => r.type === 'checkpoint-timing')
      .map((r) => [
        Number(r.checkpoint) === -1 ? '√n blocks' : Number(r.checkpoint) === 0 ? 'never (plain backprop)' : `${r.checkpoint} block(s)`,
        Number(r.savedRatio).toFixed(2),
        r.identical ? 'yes' : 'no',
      ]),
  );

/**
 * experiments/estimators.ts: each estimator's gradient through stochastic binary units against the
 * exact gradient of the expected loss (by enumeration), over all layers: cosine, relative error,
 * variance, and squared bias over the noise floor of its draws (≫ 1: a bias).
 */
const estimators: RenderRows = ([rows]) =>
  lines(
    ['estimator', 'cosine', 'relative error', 'variance', 'bias² ÷ noise floor'],
    rows
      .filter((r) => r.type === 'estimator' && r.layer === 'overall')
      .map((r) => [
        `${r.estimator}${r.temperature !== undefined ? ` τ = ${r.temperature}` : ''}`,
        Number(r.cosine).toFixed(3),
        Number(r.relError).toFixed(3),
        Number(r.variance).toExponential(2),
        (Number(r.biasSq) / Number(r.noiseFloor)).toFixed(1),
      ]),
  );

/** Per rule, pipelined time per step over unpipelined backprop's (bubble in brackets) at K = 4 and 8, GPipe and 1F1B. */
const pipelineLocking: Render = ([rs]) => {
  const rows = pipelineRows(rs);
  const cell = (rule: string, K: number, schedule: string) => {
    const r = rows.find((x) => x.rule === rule && x.stages === K && x.schedule === schedule);
    return r ? `${r.relative.toFixed(2)} (${pct(r.bubble, 0)}%)` : '–';
  };
  const rules = [...new Set(rows.map((r) => r.rule))];
  return lines(
    ['rule', 'update waits for', 'K = 4, GPipe', 'K = 4, 1F1B', 'K = 8, GPipe', 'K = 8, 1F1B'],
    rules.map((rule) => [
      rule,
      rows.find((r) => r.rule === rule)!.waitsFor,
      cell(rule, 4, 'gpipe'),
      cell(rule, 4, '1f1b'),
      cell(rule, 8, 'gpipe'),
      cell(rule, 8, '1f1b'),
    ]),
  );
};

/** Per rule, one step's peak and its saved activations' own peak (MiB), and the peak over backprop's. */
const stepMemoryTable: Render = ([rs]) => {
  const rows = rs.others['step-memory'] ?? [];
  const mib = (b: unknown) => (typeof b === 'number' ? (b / 2 ** 20).toFixed(2) : '–');
  const bp = rows.find((r) => r.ruleId === 'backprop' && Object.keys(r.options ?? {}).length === 0);
  return lines(
    ['rule', 'peak, MiB', 'saved activations at their peak, MiB', 'peak ÷ backprop’s'],
    rows.map((r) => {
      const peak = r.peakBytes as number;
      const saved = (r.peakByCategory as Record<string, number> | undefined)?.['saved-activation'];
      return [String(r.rule), mib(peak), mib(saved), bp ? (peak / (bp.peakBytes as number)).toFixed(2) : '–'];
    }),
  );
};

/**
 * Per series, one figure per seed at the last evaluation: test accuracy, and for rules with
 * synthesizers their cosine with the target they regress on (the `*.cosTarget` metric).
 */
const perSeedAccuracyAndSynthFit: Render = ([rs]) =>
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

/** Text models: final bits per character on a split (mean ± sd over seeds) and the step's memory peak ÷ inference's. */
function bitsPerCharTable(split: 'test' | 'validation'): Render {
  const field = split === 'test' ? 'finalTestMetrics' : 'finalValMetrics';
  return ([rs]) =>
    lines(
      ['series', 'seeds', `${split} bits/char`, 'peak ÷ inference', 'steps'],
      rs.series.map((s) => {
        const done = countedTrials(s);
        const bpc = summarize(done.map((t) => (t.summary?.[field] as Record<string, number> | undefined)?.bitsPerChar ?? null));
        const f = seriesFigures(s);
        return [
          s.label,
          String(bpc.n),
          `**${meanSd(bpc, (x) => x.toFixed(3))}**`,
          f.ratioToInference.n ? `${f.ratioToInference.mean.toFixed(2)}×` : '–',
          String(Math.max(0, ...done.map((t) => t.summary?.steps ?? 0))),
        ];
      }),
    );
}

/** A series' final bits/char on a split, over its counted trials. */
const finalBits = (s: Series, split: 'test' | 'validation') =>
  summarize(
    countedTrials(s).map(
      (t) =>
        (t.summary?.[split === 'test' ? 'finalTestMetrics' : 'finalValMetrics'] as Record<string, number> | undefined)?.bitsPerChar ?? null,
    ),
  );
/** A series' last validation accuracy, over its counted trials. */
const finalValAcc = (s: Series) => summarize(countedTrials(s).map((t) => t.evals.at(-1)?.valAcc ?? null));
/** What sets an entry apart in a sweep: its adapters, its distillation, else full fine-tuning or the labels. */
const entrySetting = (rs: ResultSet, s: Series) => {
  const a = s.entry?.adapters;
  const d = s.entry?.distill;
  const plain = rs.series.some((x) => x.entry?.distill) ? 'labels' : 'full';
  return [a ? `LoRA r=${a.rank}` : null, d ? `distilled T=${d.temperature}` : null].filter(Boolean).join(', ') || plain;
};

/**
 * A tuning sweep run as an experiment: each entry's final validation score, the best of each group
 * (a rule with or without adapters, on labels or distilled) in bold: the setting the full run takes.
 */
function sweepTable(metric: 'bits/char' | 'accuracy'): Render {
  return ([rs]) => {
    const score = (s: Series) => (metric === 'bits/char' ? finalBits(s, 'validation') : finalValAcc(s));
    const group = (s: Series) => `${s.rule} ${s.entry?.adapters ? 'lora' : s.entry?.distill ? 'distilled' : 'plain'}`;
    const best = new Map<string, Series>();
    for (const s of rs.series) {
      const b = best.get(group(s));
      const better =
        metric === 'bits/char' ? score(s).mean < (b ? score(b).mean : Infinity) : score(s).mean > (b ? score(b).mean : -Infinity);
      if (score(s).n && better) best.set(group(s), s);
    }
    return lines(
      ['rule', 'setting', 'rate', `final validation ${metric}`],
      rs.series.map((s) => {
        const v = score(s);
        const text = v.n ? (metric === 'bits/char' ? v.mean.toFixed(3) : pct(v.mean)) : '–';
        return [s.rule, entrySetting(rs, s), rateIn(rs, s), best.get(group(s)) === s ? `**${text}** (chosen)` : text];
      }),
    );
  };
}

const KiB = (bytes: number | undefined) => (bytes ? (bytes / 1024).toFixed(0) : '–');

/** Fine-tuning with and without adapters: final test and best validation bits/char, and what memory holds at the peak, by ledger category (KiB). */
const loraTable: Render = ([rs]) => {
  const memory = memoryBreakdownRows(rs);
  const at = (s: Series, c: string) => memory.find((m) => m.series === s.label && m.category === c)?.MiB;
  const cats = ['param', 'grad', 'optimizer', 'saved-activation', 'transient', 'frozen'];
  return lines(
    ['series', 'seeds', 'test bits/char', 'best validation bits/char', ...cats.map((c) => `${c}, KiB`), 'peak, KiB'],
    rs.series.map((s) => {
      const f = seriesFigures(s);
      const best = summarize(countedTrials(s).map((t) => Math.min(...t.evals.map((e) => e.valMetrics?.bitsPerChar ?? Infinity))));
      return [
        s.label,
        String(f.counted),
        `**${meanSd(finalBits(s, 'test'), (x) => x.toFixed(3))}**`,
        meanSd(best, (x) => x.toFixed(3)),
        ...cats.map((c) => KiB((at(s, c) ?? 0) * 2 ** 20)),
        f.peakBytes.n ? KiB(f.peakBytes.mean) : '–',
      ];
    }),
  );
};

/** Each distilled student beside its label-trained twin (src/report/distill-table.ts), and the teacher's own test accuracy. */
const distillTableDocs: Render = ([rs, teacher]) => {
  const t = teacher.series.map((s) => seriesFigures(s).finalTestAcc);
  return (
    lines(
      ['student', 'rate on labels / distilled', 'T', 'seeds', 'test acc. % on labels', 'distilled', 'distilled − labels, points (95% CI)'],
      distillRows(rs).map((r) => [
        r.labels.rule,
        `${rateIn(rs, r.labels)} / ${rateIn(rs, r.distilled)}`,
        String(r.temperature),
        String(r.paired.n),
        pct(r.labelsAcc.mean),
        `**${pct(r.distilledAcc.mean)}**`,
        `${signed(100 * r.paired.mean)} (${interval(r.paired.lo, r.paired.hi, (x) => signed(100 * x))})${r.paired.separable ? '' : ', not separable'}`,
      ]),
    ) +
    `\n\nThe teacher (LeNet-5, ${teacher.series.map((s) => s.label).join(', ')}): ${t.map((x) => pct(x.mean)).join(', ')}% test accuracy.`
  );
};

/**
 * A run whose rules train for different step counts (MeZO at the paper's multiple of backprop's
 * steps): steps and forward passes spent, final and best validation bits per character (the
 * paper keeps the best-validation model), and the memory peak ÷ inference's.
 */
function stepRatioTable([rs]: ResultSet[]): string {
  const bits = (nats: number | null | undefined) => (nats === null || nats === undefined ? null : nats / Math.LN2);
  return lines(
    ['series', 'seeds', 'steps', 'forward passes', 'final validation bits/char', 'best validation bits/char', 'peak ÷ inference'],
    rs.series.map((s) => {
      const done = countedTrials(s);
      const final = summarize(done.map((t) => (t.summary?.finalValMetrics as Record<string, number> | undefined)?.bitsPerChar ?? null));
      const best = summarize(done.map((t) => bits(Math.min(...t.evals.map((e) => e.valLoss ?? Infinity)))));
      const f = seriesFigures(s);
      return [
        s.label,
        String(final.n),
        String(Math.max(0, ...done.map((t) => t.summary?.steps ?? 0))),
        String(Math.max(0, ...done.map((t) => t.summary?.cost?.forwardPasses ?? 0))),
        `**${meanSd(final, (x) => x.toFixed(3))}**`,
        meanSd(best, (x) => x.toFixed(3)),
        f.ratioToInference.n ? `${f.ratioToInference.mean.toFixed(2)}×` : '–',
      ];
    }),
  );
}

/**
 * Runs of published protocols, each series beside every figure its experiment declares: ours in the
 * figure's metric (final test), how many of the planned epochs it reached (marked while unfinished:
 * long runs are committed as they stand), the published figure and where it was read, and whether
 * the protocols match or what differs. A series with no declared figure gets one row saying so.
 */
const publishedBeside: Render = (sets) =>
  lines(
    ['run', 'series', 'ours', 'epochs', 'published', 'source (where read)', 'protocol: published vs ours'],
    sets.flatMap((rs) => {
      const planned = runProtocol(rs.experiment?.spec).epochs;
      const epochs = (s: Series) => {
        const f = seriesFigures(s);
        const at = unfinishedText(f, planned);
        if (at) return `${at} (unfinished)`;
        const ep = Math.max(0, ...countedTrials(s).map((t) => t.summary?.epochs ?? 0));
        return planned ? `${ep} of ${planned}` : String(ep);
      };
      const run = rs.experiment?.name ?? '–';
      const rows = reproductionRows(rs, rs.experiment?.references ?? []).filter((r) => r.series);
      const bare = rs.series.filter((s) => !rows.some((r) => r.series === s));
      return [
        ...rows.map((r) => [
          run,
          r.series!.label,
          r.ours?.n ? `**${r.ours.mean.toFixed(2)}** ${r.ref.metric}` : '–',
          epochs(r.series!),
          `${r.ref.value} ${r.ref.metric}`,
          `${r.ref.source}: ${r.ref.location}`,
          r.comparison?.matches
            ? `matches${r.comparison.unstated.length ? ` (not stated: ${r.comparison.unstated.join(', ')})` : ''}`
            : `differs: ${r.comparison?.differences.join('; ') ?? '–'}`,
        ]),
        ...bare.map((s) => [
          run,
          s.label,
          `**${errPct(seriesFigures(s).finalTestAcc.mean)}** error %`,
          epochs(s),
          '–',
          'none declared',
          '–',
        ]),
      ];
    }),
  );
/** A signed change at `digits` decimals; one that rounds to zero is "0" whatever its sign. */
const change = (x: number, digits: number) => (Number(Math.abs(x).toFixed(digits)) === 0 ? (0).toFixed(digits) : signed(x, digits));

/** The formats of a precision study in its order, and a cell per (rule, format) from `cell`. */
function perFormat<R extends { format: string; rule: string }>(
  rows: R[],
  cell: (rs: R[]) => string,
): (rule: string, format: string) => string {
  return (rule, format) => {
    const mine = rows.filter((r) => r.rule === rule && r.format === format);
    return mine.length ? cell(mine) : '–';
  };
}

/**
 * A precision study against float32: each rule's float32 test accuracy, then per format the change
 * in test accuracy (percentage points) and in mean cosine with backprop's float32 gradient. A run
 * part-way has a row for every rule whose float32 trial finished, "–" where its formats have not.
 */
const precisionChange: Render = ([rs]) => {
  const formats = [...new Set(precisionPairs(rs).map((p) => p.format))];
  const fp32 = rs.series.filter((s) => !s.entry?.precision && countedTrials(s).length > 0);
  const rules = fp32.map((s) => s.label);
  const acc = changeRows(rs, (f) => f.finalTestAcc);
  const cos = changeRows(rs, (f) => f.meanCosine);
  const pp = perFormat<ChangeRow>(acc, ([r]) => change(100 * r.delta, 1));
  const dc = perFormat<ChangeRow>(cos, ([r]) => change(r.delta, 3));
  // Over the seeds a format's trials share with it; with none of them finished yet, over its own.
  const base = (rule: string) =>
    acc.find((r) => r.rule === rule)?.base ?? seriesFigures(fp32.find((s) => s.label === rule)!).finalTestAcc.mean;
  return lines(
    ['rule', 'fp32 test accuracy, %', ...formats.map((f) => `${f}: Δ accuracy, points`), ...formats.map((f) => `${f}: Δ cosine`)],
    rules.map((rule) => [rule, (100 * base(rule)).toFixed(1), ...formats.map((f) => pp(rule, f)), ...formats.map((f) => dc(rule, f))]),
  );
};

/** The layer whose share is largest among `rows` (one rule, one format), as "share (layer)"; "0" when nothing was flushed. */
const largest = (rows: UnderflowRow[]) => {
  const top = rows.reduce((a, b) => (b.flushed > a.flushed ? b : a));
  return top.flushed > 0 ? `${(100 * top.flushed).toPrecision(2)}% at ${top.layer}` : '0';
};

/** A loss scale as a power of two, with the steps skipped for overflow: "2^8, 8 skipped" (seeds joined by " / "). */
const scaleText = ([r]: LossScaleRow[]) =>
  r.scales.map((x, i) => `2^${Math.log2(x)}${r.skipped[i] ? `, ${r.skipped[i]} skipped` : ''}`).join(' / ');

/**
 * Per rule and format, the largest share of cotangent entries and of update entries flushed to
 * zero, and where; and, for the formats whose loss scale is not 1, where it ended.
 */
const precisionUnderflow: Render = ([rs]) => {
  const formats = [...new Set(precisionPairs(rs).map((p) => p.format))];
  const rules = [...new Set(precisionPairs(rs).map((p) => p.rule))];
  const cot = perFormat(underflowRows(rs, 'cotangents'), largest);
  const upd = perFormat(underflowRows(rs, 'updates'), largest);
  const scales = lossScaleRows(rs);
  // A format left at a scale of 1 throughout (bf16 here) has nothing to show.
  const dynamic = formats.filter((f) => scales.some((r) => r.format === f && r.scales.some((x) => x !== 1)));
  const scale = perFormat(scales, scaleText);
  return lines(
    [
      'rule',
      ...formats.map((f) => `${f}: cotangents flushed`),
      ...formats.map((f) => `${f}: updates flushed`),
      ...dynamic.map((f) => `${f}: final loss scale`),
    ],
    rules.map((rule) => [
      rule,
      ...formats.map((f) => cot(rule, f)),
      ...formats.map((f) => upd(rule, f)),
      ...dynamic.map((f) => scale(rule, f)),
    ]),
  );
};

export const TABLES: Record<string, TableDef> = {
  'precision-mlp': { sources: ['results/precision-mlp'], render: precisionChange },
  'precision-lenet5': { sources: ['results/precision-lenet5'], render: precisionChange },
  'precision-underflow-mlp': { sources: ['results/precision-mlp'], render: precisionUnderflow },
  'precision-underflow-lenet5': { sources: ['results/precision-lenet5'], render: precisionUnderflow },
  'precision-lenet5-long': { sources: ['results/precision-lenet5-long'], render: precisionChange },
  'precision-underflow-lenet5-long': { sources: ['results/precision-lenet5-long'], render: precisionUnderflow },
  'mezo-finetune-ratio-quick': { sources: ['results/mezo-finetune-ratio'], render: stepRatioTable },
  'mezo-finetune-quick': { sources: ['results/mezo-finetune'], render: bitsPerCharTable('validation') },
  'lora-finetune': { sources: ['results/lora-finetune'], render: loraTable },
  'lora-sweep': { sources: ['results/lora-sweep'], render: sweepTable('bits/char') },
  distill: { sources: ['results/distill', 'results/distill-teacher'], render: distillTableDocs },
  'distill-sweep': { sources: ['results/distill-sweep'], render: sweepTable('accuracy') },
  'forward-forward': { sources: ['results/forward-forward'], render: accuracyTable({ alignment: false }) },
  'energy-based': { sources: ['results/energy-based'], render: accuracyTable({ memory: true }) },
  'char-lm-quick': { sources: ['results/char-lm-transformer-quick'], render: bitsPerCharTable('test') },
  'energy-based-conv': { sources: ['results/energy-based-conv'], render: accuracyTable({ memory: true }) },
  'mnist-rules': { sources: ['results/mnist-rules'], render: accuracyTable() },
  'evolution-error': { sources: ['results/evolution-error'], render: accuracyTable({ alignment: false }) },
  'synthetic-gradients': { sources: ['results/synthetic-gradients'], render: accuracyTable() },
  'step-memory': { sources: ['results/step-memory'], render: stepMemoryTable },
  'pipeline-locking': { sources: ['results/pipeline-locking'], render: pipelineLocking },
  'stochastic-mnist': { sources: ['results/stochastic-mnist'], render: accuracyTable({ alignment: false }) },
  evolution: { sources: ['results/evolution'], render: accuracyTable({ memory: true }) },
  estimators: { files: ['results/estimators/records.jsonl'], renderRows: estimators },
  'mnist-fa-dfa-variants': { sources: ['results/mnist-fa-dfa-tanh', 'results/mnist-fa-dfa-lr'], render: accuracyTable() },
  'memory-width': { files: ['results/mezo-memory/records.jsonl'], renderRows: memorySweep('width') },
  'memory-depth': { files: ['results/mezo-memory/records.jsonl'], renderRows: memorySweep('depth') },
  checkpointing: { files: ['results/mezo-memory/checkpointing.jsonl'], renderRows: checkpointing },
  'bp-baseline': {
    sources: ['results/bp-baseline-mnist', 'results/bp-baseline-fashion-mnist'],
    render: accuracyTable({ alignment: false }),
  },
  'vanishing-gradients': { files: ['results/vanishing-gradients/records.jsonl'], renderRows: vanishing },
  'npm-start': { sources: ['results/mnist-compare-tuned', 'results/mnist-compare-untuned'], render: npmStartShort },
  'npm-start-full': { sources: ['results/mnist-compare-tuned', 'results/mnist-compare-untuned'], render: npmStartFull },
  'biotorch-lenet-mnist': { sources: ['results/biotorch-lenet-mnist'], render: errorTable(true, 'BioTorch, %') },
  'biotorch-lenet-mnist-dfa-kernel': { sources: ['results/biotorch-lenet-mnist-dfa-kernel'], render: errorTable(true, 'BioTorch, %') },
  'biotorch-lenet-fashion-mnist': { sources: ['results/biotorch-lenet-fashion-mnist'], render: errorTable(true, 'BioTorch, %') },
  'biotorch-lenet-fashion-mnist-dfa-kernel': {
    sources: ['results/biotorch-lenet-fashion-mnist-dfa-kernel'],
    render: errorTable(true, 'BioTorch, %'),
  },
  'resnet-fashion': { sources: ['results/resnet-fashion-epochs3-train15000'], render: errorTable(true, 'BioTorch on CIFAR-10, %') },
  'published-protocols': {
    sources: ['results/nokland-mlp', 'results/forward-forward-hinton', 'results/forward-forward-loewex', 'results/forward-gradient-baydin'],
    render: publishedBeside,
  },
  'dni-rnn-copy-gap': { sources: ['results/dni-rnn/copy-gap'], render: perSeedAccuracyAndSynthFit },
  'dni-rnn-copy-gap-rate': { sources: ['results/dni-rnn/copy-gap-rate'], render: perSeedAccuracyAndSynthFit },
  'dni-rnn-copy-gap-long': { sources: ['results/dni-rnn/copy-gap-long'], render: perSeedAccuracyAndSynthFit },
};

// A block's body holds no `<!-- `: an empty or unclosed block can never swallow the next table.
const BLOCK = /(<!-- table: ([\w-]+) -->\n)((?:(?!<!-- )[\s\S])*?)(<!-- \/table -->)/g;

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

/** Each file's text with its tables regenerated (records read under `records`); unknown table names are errors. */
export async function regenerate(
  root = ROOT,
  tables = TABLES,
  records = root,
): Promise<Array<{ file: string; before: string; after: string; names: string[] }>> {
  const cache = new Map<string, string>();
  const made = async (name: string) => {
    if (!cache.has(name)) {
      const def = tables[name];
      if ('files' in def) cache.set(name, def.renderRows(def.files.map((f) => jsonl(readFileSync(resolve(records, f), 'utf8')))));
      else cache.set(name, def.render(await Promise.all(def.sources.map((d) => readResults(resolve(records, d))))));
    }
    return cache.get(name)!;
  };
  const out = [];
  for (const file of docFiles(root)) {
    const before = readFileSync(join(root, file), 'utf8');
    const names = [...before.matchAll(BLOCK)].map((m) => m[2]);
    const opened = [...before.matchAll(/^<!-- table: [\w-]+ -->$/gm)].length;
    if (opened !== names.length) throw new Error(`${file}: ${opened - names.length} table block(s) without their <!-- /table --> mark`);
    for (const n of names)
      if (!tables[n]) throw new Error(`${file}: table "${n}" is not one scripts/docs-tables.ts makes (${Object.keys(tables).join(', ')})`);
    let after = before;
    for (const n of names) {
      const body = await made(n);
      after = after.replace(
        new RegExp(`(<!-- table: ${n} -->\\n)(?:(?!<!-- )[\\s\\S])*?(<!-- \\/table -->)`),
        (_m, a: string, b: string) => `${a}${body}\n${b}`,
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
