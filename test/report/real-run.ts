// A small real run for the browser test: backprop and feedback alignment on 1000 MNIST images,
// 2 seeds × 2 epochs, records written as JSONL the way the runner will (one file per rule).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backprop } from '../../algorithms/backprop.ts';
import { feedbackAlignment } from '../../algorithms/feedback-alignment.ts';
import type { AnyRule } from '../../src/rules/rule.ts';
import { runTrial, type TrialConfig, type TrialRecord } from '../../src/runner/trial.ts';
import { tempDir } from './fixtures.ts';

export async function makeRealRunDir(): Promise<string> {
  const dir = await tempDir('rulebench-real-');
  const base: Omit<TrialConfig, 'rule' | 'seed'> = {
    experiment: 'report-browser-test', options: {},
    data: { name: 'mnist', train: 1000, test: 500, validation: 0.1 },
    model: { sizes: [784, 32, 32, 10], activation: 'tanh', init: 'xavierUniform' },
    optimizer: { name: 'sgd', lr: 0.1 }, batchSize: 32, epochs: 2, maxSteps: 0,
    evalEvery: 0, alignEvery: 5, alignSamples: 16, memory: true, debug: false,
  };
  for (const rule of [backprop, feedbackAlignment] as AnyRule[]) {
    const records: TrialRecord[] = [];
    for (const seed of [1, 2]) runTrial({ ...base, rule: rule.id, seed }, `${rule.id}-s${seed}`, rule, (r) => records.push(r));
    await writeFile(join(dir, `${rule.id}.jsonl`), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
  await writeFile(join(dir, 'experiment.json'), JSON.stringify({
    name: 'report-browser-test',
    spec: { name: 'report-browser-test', rules: ['backprop', 'feedback-alignment'], seeds: [1, 2], ...base },
    references: [{ source: 'Sanfiz & Akrout 2021 (BioTorch), LeNet', dataset: 'mnist', metric: 'test error %', value: 1.7, rule: 'feedback-alignment' }],
  }, null, 2));
  return dir;
}
