// Every experiment's --quick mode shows its point: wherever an experiment runs backprop, the quick
// run's backprop trial (its first backprop entry, first seed, as `--quick --rules backprop` runs
// it) beats chance by a wide margin. Chance is what the best constant guess scores on the test
// labels the trial evaluates (the commonest label's share: about 1/classes on balanced data):
//   classification (a label per image, or a recall the input determines, as in the copy task):
//     test accuracy at least halfway from chance to 100% (MNIST: ≥ 0.56);
//   language modelling (the next character, which no model predicts surely): test cross-entropy
//     at least half a bit per character below the test labels' unigram entropy, the least any
//     predictor that ignores the context can reach (Moby-Dick: 4.4 bits).
// One trial per experiment on one kernel thread: about 100 s of one core in all.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { withThreads } from '../../src/kernels/index.ts';
import { executeTrial, loadExperiment } from '../../src/runner/execute.ts';
import { prepareOutput } from '../../src/runner/records.ts';
import type { ExperimentSpec, Trial } from '../../src/runner/spec.ts';
import { prepareTrial, type EvalRecord, type SummaryRecord } from '../../src/runner/trial.ts';

/** Experiments whose point is that backprop cannot run: their quick run must say so. */
const BACKPROP_FAILS: Record<string, RegExp> = {
  'evolution-error.ts': /not differentiable/,
};

const tmp = mkdtempSync(join(tmpdir(), 'rulebench-quick-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function specOf(file: string): Promise<ExperimentSpec | null> {
  // By file URL, as the runner imports an experiment (one module instance for both).
  const mod = (await import(pathToFileURL(resolve('experiments', file)).href)) as { default?: ExperimentSpec };
  return mod.default ?? null;
}

const ruleIds = (s: ExperimentSpec) => s.rules.map((e) => (typeof e === 'string' ? e : typeof e.rule === 'string' ? e.rule : e.rule.id));

interface Outcome {
  summary: SummaryRecord;
  last: EvalRecord | null;
  trial: Trial;
}

/** The experiment's quick backprop trial, run to disk in a temp directory on one thread. */
async function runQuick(file: string, edit: (t: Trial) => void = () => {}): Promise<Outcome> {
  const loaded = await loadExperiment(join('experiments', file), { quick: true, rules: ['backprop'] });
  const trial = loaded.trials[0];
  edit(trial);
  const out = mkdtempSync(join(tmp, file.replace(/\W/g, '_')));
  prepareOutput(out);
  let last: EvalRecord | null = null;
  const summary = withThreads(1, () =>
    executeTrial(trial, out, (r) => {
      if (r.type === 'eval') last = r;
    }),
  );
  return { summary, last, trial };
}

/** The best constant guess on the evaluated test labels: its accuracy and its cross-entropy (nats). */
function chance(trial: Trial): { accuracy: number; entropy: number } {
  const { test } = prepareTrial(trial.config);
  if (test.kind !== 'classification') throw new Error(`${trial.config.experiment}: a regression test set has no chance level here`);
  const counts = new Map<number, number>();
  let n = 0;
  for (const y of test.y) {
    if (y < 0) continue; // a position no loss scores
    counts.set(y, (counts.get(y) ?? 0) + 1);
    n++;
  }
  const shares = [...counts.values()].map((c) => c / n);
  return { accuracy: Math.max(...shares), entropy: -shares.reduce((h, p) => h + p * Math.log(p), 0) };
}

// The fine-tuning experiments (mezo-finetune, its step-ratio variant, lora-finetune) start from mezo-pretrain's quick
// parameters, the stage their spec `needs`: one pretraining serves them all.
const needsPretrain = (s: ExperimentSpec) =>
  [...(s.needs ?? []), ...(s.quick?.needs ?? [])].some((n) => n.experiment.endsWith('mezo-pretrain.ts'));
let pretrain: Promise<Outcome> | null = null;
const pretrained = join(tmp, 'pretrained-seed{seed}.json');
const runPretrain = () => (pretrain ??= runQuick('mezo-pretrain.ts', (t) => (t.config.saveParams = pretrained)));

const files = readdirSync('experiments')
  .filter((f) => f.endsWith('.ts'))
  .sort();
const specs = new Map<string, ExperimentSpec>();
for (const f of files) {
  const s = await specOf(f);
  // Files without a default export are scripts (estimators, memory sweeps), not experiments.
  if (s) specs.set(f, s);
}

// A trial takes seconds of one core; a shared machine may stretch that many times over.
describe('every experiment’s --quick run: backprop clearly learns', { timeout: 600_000 }, () => {
  it('every experiment has a quick mode, and this test knows what to check in each', () => {
    expect(specs.size).toBeGreaterThan(15);
    for (const [f, s] of specs) expect(s.quick, `${f} has no quick mode`).toBeDefined();
    for (const f of Object.keys(BACKPROP_FAILS)) expect(ruleIds(specs.get(f)!), f).toContain('backprop');
  });

  const withBackprop = files.filter((f) => specs.has(f) && ruleIds(specs.get(f)!).includes('backprop'));
  it.each(withBackprop)('%s', async (f) => {
    if (BACKPROP_FAILS[f]) {
      const { summary } = await runQuick(f);
      expect(summary.status).toBe('failed');
      expect(summary.error).toMatch(BACKPROP_FAILS[f]);
      return;
    }
    const { summary, last, trial } =
      f === 'mezo-pretrain.ts'
        ? await runPretrain()
        : needsPretrain(specs.get(f)!)
          ? (await runPretrain(), await runQuick(f, (t) => (t.config.init = pretrained.replace('{seed}', '0'))))
          : await runQuick(f);
    expect(summary.status, `${f}: ${summary.error}`).toBe('done');
    const c = chance(trial);
    if (trial.config.data.name === 'text') {
      const bits = (nats: number) => nats / Math.LN2;
      expect(
        bits(last!.testLoss!),
        `${f}: bits per character against the unigram entropy ${bits(c.entropy).toFixed(2)}`,
      ).toBeLessThanOrEqual(bits(c.entropy) - 0.5);
    } else {
      expect(summary.finalTestAcc, `${f}: test accuracy against chance ${c.accuracy.toFixed(3)}`).toBeGreaterThanOrEqual(
        c.accuracy + 0.5 * (1 - c.accuracy),
      );
    }
  });
});
