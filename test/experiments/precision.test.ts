// The precision study's plan: every rule entry of npm start's comparison (each grid point its own
// series), both models, and the four formats, each a valid precision spec.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FORMATS,
  FULL,
  LONG,
  LONG_SERIES,
  MODELS,
  precisionStudy,
  protocolVariants,
  ruleVariants,
  studyManifest,
} from '../../experiments/precision.ts';
import mnistCompare from '../../experiments/mnist-compare.ts';
import { getRule } from '../../src/index.ts';
import { resolvePrecision } from '../../src/runner/precision.ts';

describe('experiments/precision.ts', () => {
  it("covers every rule of mnist-compare, feedback alignment's variants each a series", () => {
    const ids = mnistCompare.rules.map((e) => (typeof e === 'string' ? e : typeof e.rule === 'string' ? e.rule : e.rule.id));
    const variants = ruleVariants();
    expect(new Set(variants.map((v) => v.rule))).toEqual(new Set(ids));
    expect(variants.filter((v) => v.rule === 'feedback-alignment').map((v) => v.options.variant)).toEqual(['fa', 'usf', 'brsf', 'frsf']);
    expect(new Set(variants.map((v) => v.label)).size).toBe(variants.length);
    expect(MODELS.map((m) => m.name)).toEqual(['mlp', 'lenet5']);
  });

  it('runs fp32, bf16, fp16 with dynamic loss scaling, and fp8 E4M3 forward / E5M2 backward', () => {
    expect(FORMATS.map((f) => f.name)).toEqual(['fp32', 'bf16', 'fp16+dynamic', 'fp8 e4m3/e5m2']);
    const resolved = FORMATS.slice(1).map((f) => resolvePrecision(f.precision));
    expect(resolved.map((p) => [p.forward.name, p.backward.name, 'init' in p.lossScale])).toEqual([
      ['bf16', 'bf16', false],
      ['fp16', 'fp16', true],
      ['fp8-e4m3', 'fp8-e5m2', true],
    ]);
  });

  it("names each trial's entry in experiment.json: one per rule and format, differing only in precision", () => {
    const { spec, trials } = studyManifest(FULL, MODELS[0]);
    expect(spec.rules).toHaveLength(ruleVariants().length * FORMATS.length);
    expect(trials).toHaveLength(ruleVariants().length * FORMATS.length * FULL.seeds.length);
    for (const t of trials) {
      const e = spec.rules[t.entry];
      const f = FORMATS.find((x) => t.id.endsWith(`-${x.name}-${t.seed}`))!;
      expect([e.rule, 'precision' in e ? e.precision : null]).toEqual([t.rule, f.precision]);
      // The trial's options as its records carry them: the entry's over the rule's defaults.
      expect(t.options).toEqual({ ...getRule(t.rule).defaults, ...e.options });
    }
    expect(spec.rules.filter((e) => 'exact' in e).map((e) => e.rule)).toEqual(FORMATS.map(() => 'backprop'));
  });

  it('keeps the trials an earlier run finished and runs none of them again', () => {
    // Data that cannot load: a trial run again would come back as a not-run row, not as the earlier run's.
    const p = { ...FULL, data: { name: 'mnist', train: -1 } };
    const m = MODELS[0];
    const prior = ruleVariants().flatMap((v) =>
      FORMATS.flatMap((f) => [
        { type: 'eval', series: v.label, format: f.name, seed: 0, step: 1 },
        { type: 'summary', series: v.label, format: f.name, seed: 0 },
      ]),
    );
    expect(
      precisionStudy(
        p,
        m,
        () => {},
        () => {},
        prior,
      ),
    ).toEqual(prior);
  });

  it('--long trains the series it names on LeNet-5 only, ten times as long, on the same data', () => {
    expect(protocolVariants(LONG).map((v) => v.label)).toEqual(LONG_SERIES);
    const { series, model, epochs, ...rest } = LONG;
    const { epochs: fullEpochs, ...fullRest } = FULL;
    expect([model, epochs, rest]).toEqual(['lenet5', 10 * fullEpochs, fullRest]);
    const { spec, trials } = studyManifest(LONG, MODELS[1]);
    expect(trials.map((t) => t.id)).toEqual(series!.flatMap((s) => FORMATS.map((f) => `lenet5-${s}-${f.name}-0`)));
    expect(spec.rules).toHaveLength(series!.length * FORMATS.length);
  });

  it("runs only its shard's series and keeps, in order, what the other shards finished", () => {
    // Data that cannot load: a trial this shard runs comes back as a not-run row.
    const p = { ...FULL, data: { name: 'mnist', train: -1 }, series: LONG_SERIES.slice(0, 4) };
    const row = (label: string, type: string) => FORMATS.map((f) => ({ type, series: label, format: f.name, seed: 0 }));
    // Shard 1/2 holds series 1 and 3; series 0 finished in an earlier shard, series 2 never ran.
    const prior = [...row(LONG_SERIES[0], 'summary'), ...row(LONG_SERIES[3], 'summary')];
    const writes: object[][] = [];
    const rows = precisionStudy(
      p,
      MODELS[0],
      () => {},
      (r) => writes.push(r),
      prior,
      { index: 1, count: 2 },
    );
    const ran = (label: string) => FORMATS.map((f) => expect.objectContaining({ type: 'not-run', series: label, format: f.name }));
    expect(rows).toEqual([...row(LONG_SERIES[0], 'summary'), ...ran(LONG_SERIES[1]), ...row(LONG_SERIES[3], 'summary')]);
    // A write after each trial run, each with every trial finished so far, the other shard's too:
    // a stop part-way loses none of them.
    expect(writes).toHaveLength(FORMATS.length);
    writes.forEach((w, k) =>
      expect(w).toEqual([...row(LONG_SERIES[0], 'summary'), ...ran(LONG_SERIES[1]).slice(0, k + 1), ...row(LONG_SERIES[3], 'summary')]),
    );
  });

  it('refuses a bad --shard or --long with another model in one line, before writing anything', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'rb-precision-')), 'out');
    for (const [args, message] of [
      [['--long', '--shard', '2/2'], 'precision: --shard: expected i/n with 0 ≤ i < n (e.g. 0/4), got "2/2"'],
      [['--long', '--model', 'mlp'], 'precision: --model: unknown model "mlp" for --long; accepted: lenet5'],
      [['--long', '--quick'], 'precision: --quick and --long are two protocols: give one'],
    ]) {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'experiments', 'precision.ts'), ...args, '--out', out],
        {
          encoding: 'utf8',
        },
      );
      expect([r.status, r.stderr.trim()]).toEqual([2, message]);
      expect(existsSync(out)).toBe(false);
    }
  }, 180_000);
});
