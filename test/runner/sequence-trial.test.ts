// A character-level LM through the one training loop: bits per character in the records, a
// seeded sample of text in the summary, identical records for one seed, and a trial started from
// the parameters an earlier trial saved.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/index.ts';
import { validateSpec } from '../../src/runner/spec.ts';
import { runTrial, type EvalRecord, type SummaryRecord, type TrialConfig, type TrialRecord } from '../../src/runner/trial.ts';
import { getRule, type AnyRule } from '../../src/index.ts';

const rule = backprop as unknown as AnyRule;
const base: TrialConfig = {
  experiment: 'lm-test',
  rule: 'backprop',
  options: { checkpoint: 0, truncate: 0 },
  seed: 0,
  data: { name: 'text', sections: 'chapter_1', context: 16, train: 64, evalWindows: 8 },
  model: { preset: 'transformer', blocks: 1, dim: 16, heads: 2, init: 'xavierUniform' },
  optimizer: { name: 'adam', lr: 3e-3 },
  batchSize: 16,
  epochs: 1,
  maxSteps: 4,
  evalEvery: 2,
  alignEvery: 2,
  alignSamples: 4,
  memory: true,
  debug: false,
};

function run(config: TrialConfig): TrialRecord[] {
  const out: TrialRecord[] = [];
  runTrial(config, 'lm-test', rule, (r) => out.push(r));
  return out;
}
const noHost = (rs: TrialRecord[]) => rs.map(({ host: _h, ...rest }) => JSON.stringify(rest));

describe('a character-level LM trial', () => {
  it('records bits per character on validation and test, and a seeded sample of generated text', () => {
    const rs = run(base);
    const evals = rs.filter((r): r is EvalRecord => r.type === 'eval');
    expect(evals.map((e) => e.step)).toEqual([2, 4]);
    for (const e of evals) {
      expect(e.testMetrics!.bitsPerChar).toBeCloseTo(e.testLoss! / Math.LN2, 10);
      expect(e.valMetrics!.bitsPerChar).toBeCloseTo(e.valLoss! / Math.LN2, 10);
      // A fresh model is near uniform over the vocabulary (about log2 of its size).
      expect(e.testMetrics!.bitsPerChar).toBeGreaterThan(3);
      expect(e.alignment[0].overall.cosine).toBeCloseTo(1, 5);
      expect(e.memory!.ratioToInference).toBeGreaterThan(1);
    }
    const s = rs.at(-1) as SummaryRecord;
    expect(s.status).toBe('done');
    expect(s.finalTestMetrics).toEqual(evals[1].testMetrics);
    expect(Array.from(s.sample!.prompt)).toHaveLength(16);
    expect(Array.from(s.sample!.text)).toHaveLength(240);
    expect(noHost(run(base))).toEqual(noHost(rs));
    expect(noHost(run({ ...base, seed: 1 }))).not.toEqual(noHost(rs));
  });

  it('starts a trial from the parameters an earlier one saved', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rulebench-params-'));
    const saved = join(dir, 'seed{seed}.json');
    const first = run({ ...base, saveParams: saved });
    const last = first.filter((r): r is EvalRecord => r.type === 'eval').at(-1)!;
    // A zero learning rate keeps the loaded parameters: its first evaluation is where the first trial ended.
    const second = run({ ...base, init: saved, optimizer: { name: 'sgd', lr: 0 }, maxSteps: 2 });
    const e = second.find((r): r is EvalRecord => r.type === 'eval')!;
    expect(e.testLoss).toBe(last.testLoss);
    expect(() => run({ ...base, init: join(dir, 'missing.json') })).toThrow(/no parameter file/);
    expect(() => run({ ...base, init: saved, model: { preset: 'transformer', blocks: 2, dim: 16, heads: 2 } })).toThrow(
      /does not have|has no parameter/,
    );
  });

  it('validates text data fields before anything runs', () => {
    const spec = (data: Record<string, unknown>) => ({
      name: 'x',
      data,
      model: base.model,
      optimizer: base.optimizer,
      rules: ['backprop'],
      seeds: [0],
      epochs: 1,
      batchSize: 4,
    });
    expect(() => validateSpec(spec({ name: 'text', context: 16, validation: 0.1 }), getRule)).toThrow(/data.split/);
    expect(() => validateSpec(spec({ name: 'text' }), getRule)).toThrow(/data.context/);
    expect(() => validateSpec(spec({ name: 'mnist', context: 16 }), getRule)).toThrow(/data\.context: does not apply to dataset "mnist"/);
    expect(() => validateSpec(spec({ name: 'text', context: 16, sections: 'chapter_1' }), getRule)).not.toThrow();
  });
});
