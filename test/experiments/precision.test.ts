// The precision study's plan: every rule entry of npm start's comparison (each grid point its own
// series), both models, and the four formats, each a valid precision spec.
import { describe, expect, it } from 'vitest';
import { FORMATS, FULL, MODELS, precisionStudy, ruleVariants, studyManifest } from '../../experiments/precision.ts';
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
});
