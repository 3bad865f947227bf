// Failure modes: faulty user rules fail only their own trial, with an error naming the rule and
// parameter; an unwritable results directory is refused before any trial starts.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecords } from '../../src/runner/records.ts';
import { runExperiment } from '../../src/runner/run.ts';
import type { SummaryRecord } from '../../src/runner/trial.ts';

const quiet = { log: () => {}, tty: false, workers: 1 };

describe('runner reliability', () => {
  it('a rule that throws, returns a misshapen update or NaN fails only its own trial, naming the rule', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rulebench-faulty-'));
    const res = await runExperiment('test/runner/fixtures/faulty-experiment.ts', { out, ...quiet });
    const byRule = Object.fromEntries(res.summaries.map((s) => [s.rule, s]));
    expect(byRule.backprop.status).toBe('done');
    expect(byRule['throwing-rule'].status).toBe('failed');
    expect(byRule['throwing-rule'].error).toMatch(/rule "throwing-rule".*synthesizer exploded/);
    expect(byRule['misshapen-rule'].status).toBe('failed');
    expect(byRule['misshapen-rule'].error).toMatch(/misshapen-rule.*update 1 \(fc1\.bias\) has shape \[3, 1\], expected \[8\]/);
    expect(byRule['nan-rule'].status).toBe('diverged');
    expect(byRule['nan-rule'].error).toMatch(/nan-rule.*fc2\.weight.*NaN/);
    // Records up to the failure are kept, and every trial has exactly one summary.
    const summaries = readRecords(out).filter((r): r is SummaryRecord => r.type === 'summary');
    expect(summaries).toHaveLength(4);
  });

  it('an unwritable results directory is refused before any trial starts', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'rulebench-ro-'));
    const out = join(parent, 'results');
    mkdirSync(out);
    chmodSync(out, 0o500);
    try {
      // Root ignores permission bits; a path under a regular file is unwritable for everyone.
      const blocked = process.getuid?.() === 0 ? join('/proc/self/status', 'results') : out;
      await expect(runExperiment('test/runner/fixtures/tiny-experiment.ts', { out: blocked, ...quiet })).rejects.toThrow(
        /--out .*(not writable|cannot create the results directory).*choose another/,
      );
      expect(readdirSync(out)).toEqual([]);
    } finally {
      chmodSync(out, 0o700);
    }
  });
});

describe('--debug anomaly mode', () => {
  it('names the first op producing NaN with its layer and step; the trial ends diverged with its records kept', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rulebench-debug-'));
    // A learning rate this large overflows within a few steps.
    const res = await runExperiment('test/runner/fixtures/exploding-experiment.ts', { out, debug: true, ...quiet });
    const s = res.summaries[0];
    expect(s.status).toBe('diverged');
    expect(s.error).toMatch(/anomaly: op "\w+".* in layer "fc\d".*\(step \d+, epoch \d+\)/);
    expect(readRecords(out).at(-1)?.type).toBe('summary');
  });
});
