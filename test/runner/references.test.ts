// Published figures with their protocols: validation names the field, figures not read in a
// source are refused, the run's protocol comes from its resolved spec (overrides applied), and
// the comparison names each difference as "published vs ours".
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../src/errors.ts';
import { compareProtocol, referenceApplies, runProtocol, validateReferences, type Reference } from '../../src/runner/references.ts';
import { applyOverrides, validateSpec, type ExperimentSpec } from '../../src/runner/spec.ts';
import { getRule } from '../../src/rules/registry.ts';
import { loadBuiltins } from '../../src/runner/execute.ts';
import mnistCompare from '../../experiments/mnist-compare.ts';
import { BIOTORCH_MNIST, NOKLAND_2016 } from '../../experiments/mnist-rules.ts';
import { FORWARD_FORWARD_FIGURES } from '../../experiments/forward-forward.ts';

const good = (): Record<string, unknown> => ({
  source: 'Someone 2020',
  location: 'Table 1',
  rule: 'backprop',
  dataset: 'mnist',
  metric: 'error %',
  value: 1.5,
  protocol: {
    architecture: { name: 'MLP', hidden: [100], activation: 'relu' },
    epochs: 10,
    split: { train: 50_000 },
    regularization: {},
    evaluation: 'test',
  },
});

describe('reference validation', () => {
  it('accepts a complete reference', () => {
    expect(validateReferences([good()])[0].protocol.epochs).toBe(10);
  });

  it.each([
    ['no protocol', (r: Record<string, unknown>) => delete r.protocol, /references\[0\]\.protocol: expected an object/],
    ['no location', (r: Record<string, unknown>) => delete r.location, /references\[0\]\.location: expected a non-empty string/],
    [
      'a recalled figure',
      (r: Record<string, unknown>) => (r.source = 'Jaderberg et al. 2017 (recalled)'),
      /references\[0\]\.source: says the figure was not read in its source/,
    ],
    ['an unverified note', (r: Record<string, unknown>) => (r.note = 'unverified'), /references\[0\]\.note: says the figure was not read/],
    [
      'epochs left out',
      (r: Record<string, unknown>) => delete (r.protocol as Record<string, unknown>).epochs,
      /references\[0\]\.protocol\.epochs: missing; .*null for what the source does not state/,
    ],
    [
      'an unknown evaluation',
      (r: Record<string, unknown>) => ((r.protocol as Record<string, unknown>).evaluation = 'best-test'),
      /protocol\.evaluation: expected one of "test", "best-validation"/,
    ],
    [
      'a free-text metric',
      (r: Record<string, unknown>) => (r.metric = 'test error %'),
      /references\[0\]\.metric: expected one of "error %", "accuracy %"/,
    ],
    ['an unknown key', (r: Record<string, unknown>) => (r.dataSet = 'mnist'), /references\[0\]\.dataSet: unknown key/],
    [
      'a bad width',
      (r: Record<string, unknown>) => ((r.protocol as Record<string, Record<string, unknown>>).architecture.hidden = [100, 0]),
      /architecture\.hidden\[1\]: expected an integer ≥ 1/,
    ],
    [
      'a dropout of 1',
      (r: Record<string, unknown>) => ((r.protocol as Record<string, unknown>).regularization = { dropout: 1 }),
      /regularization\.dropout: expected a number in \[0, 1\)/,
    ],
  ])('names the field for %s', (_name, mutate, message) => {
    const r = good();
    mutate(r);
    expect(() => validateReferences([r])).toThrow(SpecError);
    expect(() => validateReferences([r])).toThrow(message);
  });

  it('is what spec validation runs on `references`', async () => {
    await loadBuiltins();
    const spec = { ...mnistCompare, references: [{ ...good(), protocol: undefined }] };
    expect(() => validateSpec(spec, getRule)).toThrow(/references\[0\]\.protocol/);
  });

  it('every experiment file’s references validate', async () => {
    await loadBuiltins();
    const files = readdirSync('experiments').filter((f) => f.endsWith('.ts'));
    let checked = 0;
    for (const f of files) {
      const mod = (await import(pathToFileURL(resolve('experiments', f)).href)) as { default?: ExperimentSpec };
      if (!mod.default?.references) continue;
      expect(validateReferences(mod.default.references).length, f).toBeGreaterThan(0);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });
});

describe('the run’s protocol and the comparison', () => {
  const biotorchBp = BIOTORCH_MNIST.find((r) => r.rule === 'backprop')!;

  it('reads the resolved spec: --quick changes what the run was', () => {
    const full = runProtocol(mnistCompare);
    // mnist-compare: MNIST's 60,000 training images of which 5,000 are held out; its 10,000 test images.
    expect(full).toMatchObject({
      dataset: 'mnist',
      epochs: 2,
      split: { train: 55_000, validation: 5000, test: 10_000 },
      regularization: { dropout: 0, weightDecay: 0 },
    });
    expect(full.architecture).toMatchObject({ name: 'MLP', hidden: [256, 256], activation: 'relu' });
    const quick = runProtocol(applyOverrides(mnistCompare, { quick: true }));
    // Its quick block: 4,000 images, 500 held out, 2,000 test images, 2 epochs.
    expect(quick).toMatchObject({ epochs: 2, split: { train: 3500, validation: 500, test: 2000 } });
  });

  it('names every difference from BioTorch’s LeNet protocol, published first', () => {
    const c = compareProtocol(biotorchBp, runProtocol(mnistCompare));
    expect(c.matches).toBe(false);
    expect(c.ours).toBe('best-validation');
    expect(c.differences).toEqual([
      'LeNet vs MLP 784-256-256-10 relu',
      '100 vs 2 epochs',
      '60,000 vs 55,000 training images',
      '10,000 vs 5,000 validation images',
      'weight decay 0.001 vs none (regularization)',
    ]);
  });

  it('matches where a reference states the run’s protocol, and lists what it leaves unstated', () => {
    const spec = { ...mnistCompare, epochs: 60, model: { sizes: [784, 2000, 2000, 2000, 2000, 10], activation: 'relu' } };
    const hinton = FORWARD_FORWARD_FIGURES.find((r) => r.value === 1.36)!;
    const c = compareProtocol(hinton, runProtocol(spec));
    expect(c.differences).toEqual([]);
    expect(c.matches).toBe(true);
    expect(c.unstated).toEqual(['data split', 'regularization']);
    // The same reference against the default run: architecture and epochs differ.
    expect(compareProtocol(hinton, runProtocol(mnistCompare)).differences).toEqual(['MLP 4×2000 relu vs MLP 2×256 relu', '60 vs 2 epochs']);
  });

  it('dropout stated without its rate: a run with none differs, one with some matches', () => {
    // Nøkland's network (2×800 tanh), so only the regularization can differ.
    const nokland = { ...mnistCompare, model: { sizes: [784, 800, 800, 10], activation: 'tanh' } };
    const none = compareProtocol(NOKLAND_2016, runProtocol(nokland));
    expect(none.differences).toEqual(['dropout vs none (regularization)']);
    const some = compareProtocol(NOKLAND_2016, runProtocol({ ...nokland, model: { ...nokland.model, dropout: 0.5 } }));
    expect(some.matches).toBe(true);
    expect(some.unstated).toEqual(expect.arrayContaining(['epochs', 'data split', 'dropout rate']));
    // mnist-compare's own network is not Nøkland's, and the comparison says so.
    expect(compareProtocol(NOKLAND_2016, runProtocol(mnistCompare)).differences).toContain('MLP 2×800 tanh vs MLP 2×256 relu');
  });

  it('a best-validation figure against a run without a validation split compares our final test figure, and says so', () => {
    const c = compareProtocol(biotorchBp, runProtocol({ ...mnistCompare, data: { name: 'mnist' } }));
    expect(c.ours).toBe('test');
    expect(c.differences).toContain('best validation vs final test figure');
    // Full MNIST training set, as BioTorch's: no difference there.
    expect(c.differences.some((d) => d.includes('training images'))).toBe(false);
  });

  it('applies to a series by rule and the options it names', () => {
    const usf = BIOTORCH_MNIST.find((r) => r.options?.variant === 'usf') as Reference;
    expect(referenceApplies(usf, 'feedback-alignment', { variant: 'usf', init: 'xavierUniform' })).toBe(true);
    expect(referenceApplies(usf, 'feedback-alignment', { variant: 'fa', init: 'xavierUniform' })).toBe(false);
    expect(referenceApplies(biotorchBp, 'backprop', { checkpoint: 0 })).toBe(true);
  });
});
