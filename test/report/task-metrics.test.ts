// The report on a language-model run: bits per character against steps and training time, the
// steps and time each rule needs to reach the level every rule reaches, and generated text.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backprop, mezo } from '../../algorithms/index.ts';
import { buildCharts } from '../../src/report/charts.ts';
import { writeReport } from '../../src/report/page.ts';
import { readResults } from '../../src/report/records.ts';
import { metricTitle } from '../../src/report/task-metrics.ts';
import { runTrial, type EvalRecord, type TrialConfig, type TrialRecord } from '../../src/runner/trial.ts';
import type { AnyRule, RuleOptions } from '../../src/index.ts';

const config = (rule: string, options: RuleOptions, optimizer: TrialConfig['optimizer']): TrialConfig => ({
  experiment: 'lm-report',
  rule,
  options,
  seed: 0,
  data: { name: 'text', sections: 'chapter_1', context: 16, train: 96, evalWindows: 8 },
  model: { preset: 'transformer', blocks: 1, dim: 16, heads: 2, init: 'xavierUniform' },
  optimizer,
  batchSize: 16,
  epochs: 1,
  maxSteps: 6,
  evalEvery: 2,
  alignEvery: 0,
  alignSamples: 4,
  memory: true,
  debug: false,
});

describe('report of a language-model run', () => {
  it("charts bits per character, tabulates steps to a common level and shows each rule's text", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rulebench-lm-report-'));
    mkdirSync(join(dir, 'records'));
    const runs: Array<[AnyRule, TrialConfig]> = [
      [backprop as unknown as AnyRule, config('backprop', { checkpoint: 0, truncate: 0 }, { name: 'adam', lr: 1e-2 })],
      [mezo as unknown as AnyRule, config('mezo', { ...mezo.defaults } as RuleOptions, { name: 'sgd', lr: 1e-3 })],
    ];
    const evals = new Map<string, EvalRecord[]>();
    for (const [rule, c] of runs) {
      const out: TrialRecord[] = [];
      runTrial(c, `t-${rule.id}`, rule, (r) => out.push(r));
      writeFileSync(join(dir, 'records', `t-${rule.id}.jsonl`), out.map((r) => JSON.stringify(r)).join('\n') + '\n');
      evals.set(
        rule.id,
        out.filter((r): r is EvalRecord => r.type === 'eval'),
      );
    }
    const rs = await readResults(dir);
    const names = buildCharts(rs).map((c) => c.name);
    expect(names.slice(0, 2)).toEqual(['task-bitsPerChar-steps', 'task-bitsPerChar-time']);
    expect(metricTitle('bitsPerChar')).toBe('bits per char');

    const html = await readFile(await writeReport(dir), 'utf8');
    expect(html).toContain('Task figures: bits per char');
    const best = (id: string) => Math.min(...evals.get(id)!.map((e) => e.valMetrics!.bitsPerChar));
    const level = Math.max(best('backprop'), best('mezo'));
    expect(html).toContain(`Level reached by every series: <strong>${level.toFixed(3)} bits per char</strong>`);
    const firstAt = (id: string) => evals.get(id)!.find((e) => e.valMetrics!.bitsPerChar <= level + 1e-12)!.step;
    const row = (label: string) =>
      new RegExp(`<td class="rule">${label}</td>(?:<td[^>]*>[^<]*</td>){3}<td[^>]*>(\\d+)</td>`).exec(html)?.[1];
    expect(row('backprop')).toBe(String(firstAt('backprop')));
    expect(row('mezo')).toBe(String(firstAt('mezo')));
    // Each rule's sample, its prompt the first test window.
    expect((html.match(/<div class="sample">/g) ?? []).length).toBe(2);
    expect(html).toContain('temperature 0.8');
    const csv = await readFile(join(dir, 'records.csv'), 'utf8');
    expect(csv.split('\n')[0]).toContain('valMetrics.bitsPerChar,testMetrics.bitsPerChar');
  });
});
