// The training loop and its observers: the loop needs nothing from Node, a resumed trial
// continues every observer's figures, a trial keeps a caller's anomaly mode, and two trials in one
// process never count each other's bytes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/backprop.ts';
import { anomalyMode, withAnomalyMode } from '../../src/autograd/tape.ts';
import type { AnyRule } from '../../src/rules/rule.ts';
import { ledger } from '../../src/tensor/ledger.ts';
import { zeros } from '../../src/tensor/tensor.ts';
import { readCheckpoint, writeCheckpoint } from '../../src/runner/checkpoint.ts';
import { standardObservers, trainLoop, Training } from '../../src/runner/loop.ts';
import type { Observer } from '../../src/runner/observer.ts';
import {
  nodeHost,
  prepareTrial,
  runTrial,
  type EvalRecord,
  type SummaryRecord,
  type TrialConfig,
  type TrialRecord,
} from '../../src/runner/trial.ts';
import { startingParams } from '../../src/runner/param-files.ts';
import { rng } from '../../src/random.ts';

const root = resolve(import.meta.dirname, '../..');

/** Modules `file` imports for their values (type-only imports are erased), followed through relative paths. */
function runtimeImports(file: string, seen = new Set<string>()): Set<string> {
  const bare = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^;'"]*?\s+from\s+)?'([^']+)';/gm)) {
      if (m[1]) continue;
      const spec = m[2];
      if (spec.startsWith('.')) visit(resolve(dirname(f), spec));
      else bare.add(spec);
    }
  };
  visit(file);
  return bare;
}

const trialConfig = (over: Partial<TrialConfig> = {}): TrialConfig => ({
  experiment: 'loop-test',
  rule: 'backprop',
  options: {},
  seed: 4,
  data: { name: 'blobs', train: 96, test: 32, classes: 3, features: 6, spread: 0.5, validation: 16 },
  model: { sizes: [6, 12, 3], activation: 'tanh', init: 'xavierUniform', dropout: 0.2 },
  optimizer: { name: 'adam', lr: 0.02, clipNorm: 0.5 },
  batchSize: 16,
  epochs: 3,
  maxSteps: 0,
  evalEvery: 2,
  alignEvery: 2,
  alignSamples: 4,
  memory: true,
  debug: false,
  ...over,
});

const withoutHost = (r: TrialRecord) => JSON.stringify({ ...r, host: null });

describe('the training loop', () => {
  it('imports nothing from Node, so a browser worker can run it', () => {
    const bare = [...runtimeImports(join(root, 'src/runner/loop.ts'))];
    const node = bare.filter((s) => s.startsWith('node:') || builtinModules.includes(s));
    expect(bare.length).toBeGreaterThan(0);
    expect(node).toEqual([]);
  });

  it('the import scan sees through relative imports to a Node module', () => {
    expect([...runtimeImports(join(root, 'src/runner/trial.ts'))].some((s) => s.startsWith('node:'))).toBe(true);
  });

  it('a resumed trial continues every observer: the same records, and time and steps carried over', () => {
    const config = trialConfig();
    const straight: TrialRecord[] = [];
    runTrial(config, 'resume', backprop as AnyRule, (r) => straight.push(r));
    const dir = mkdtempSync(join(tmpdir(), 'rulebench-loop-'));
    try {
      const path = join(dir, 'trial.ckpt');
      const before: TrialRecord[] = [];
      let saves = 0;
      expect(() =>
        runTrial(config, 'resume', backprop as AnyRule, (r) => before.push(r), {
          resume: null,
          save: (s) => {
            writeCheckpoint(path, 'resume', before.length, s);
            if (++saves === 2) throw new Error('stop');
          },
        }),
      ).toThrow('stop');
      const ckpt = readCheckpoint(path)!;
      const after: TrialRecord[] = [];
      runTrial(config, 'resume', backprop as AnyRule, (r) => after.push(r), { resume: ckpt, save: () => {} });
      const resumed = [...before.slice(0, ckpt.recordsBytes), ...after];
      expect(resumed.map(withoutHost)).toEqual(straight.map(withoutHost));
      // Timing is carried: the first record after resuming counts the time of the steps before it.
      const lastBefore = before[ckpt.recordsBytes - 1] as EvalRecord;
      const firstAfter = after[0] as EvalRecord;
      expect(firstAfter.host.stepMs).toBeGreaterThan(lastBefore.host.stepMs);
      expect(firstAfter.host.wallMs).toBeGreaterThan(lastBefore.host.wallMs);
      const summary = after[after.length - 1] as SummaryRecord;
      const stepsPerEpoch = Math.ceil((96 - 16) / 16);
      expect(summary.host.msPerEpoch).toBeCloseTo(summary.host.stepMs / config.epochs, 9);
      expect(summary.steps).toBe(stepsPerEpoch * config.epochs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an observer's own state is checkpointed and restored by name", () => {
    const config = trialConfig({ memory: false, alignEvery: 0 });
    const counter = (): Observer & { count: number } => {
      const o = {
        name: 'counter',
        count: 0,
        afterStep: () => void o.count++,
        evalFields: () => ({ metrics: { stepsSeen: o.count } }),
        snapshot: () => ({ count: o.count }),
        restore: (v: unknown) => void (o.count = (v as { count: number }).count),
      };
      return o;
    };
    const run = (resume: ReturnType<typeof readCheckpoint>, save: (s: Parameters<typeof writeCheckpoint>[3]) => void) => {
      const data = prepareTrial(config);
      const { params, buffers } = startingParams(config, { seed: 4, rule: 'backprop' }, data.model, data.train, rng(4).child('init'));
      const t = new Training(config, 'counter', backprop as AnyRule, data, params, buffers);
      const recs: TrialRecord[] = [];
      const c = counter();
      trainLoop(
        t,
        [...standardObservers(t, nodeHost), c, { name: 'save', onEpochEnd: (_e, snap) => save(snap()) }],
        (r) => recs.push(r),
        resume,
      );
      return { recs, c };
    };
    const dir = mkdtempSync(join(tmpdir(), 'rulebench-loop-'));
    try {
      const path = join(dir, 'c.ckpt');
      let n = 0;
      expect(() =>
        run(null, (s) => {
          writeCheckpoint(path, 'counter', 0, s);
          if (++n === 1) throw new Error('stop');
        }),
      ).toThrow('stop');
      const { recs, c } = run(readCheckpoint(path), () => {});
      // 5 steps an epoch: the count goes on from epoch 1's 5, not from 0; the first record after
      // resuming is at step 6 (every 2 steps).
      expect(c.count).toBe(15);
      expect((recs[0] as EvalRecord).step).toBe(6);
      expect((recs[0] as EvalRecord).metrics.stepsSeen).toBe(6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps a caller's anomaly mode", () => {
    const config = trialConfig({ epochs: 1, memory: false, alignEvery: 0 });
    withAnomalyMode(() => {
      runTrial(config, 'anomaly', backprop as AnyRule, () => {});
      expect(anomalyMode()).toBe(true);
    });
    expect(anomalyMode()).toBe(false);
  });

  it("two trials in one process: another's live bytes never enter a trial's memory figures", () => {
    const config = trialConfig({ epochs: 1, alignEvery: 0 });
    const memoryOf = () => {
      const recs: TrialRecord[] = [];
      runTrial(config, 'memory', backprop as AnyRule, (r) => recs.push(r));
      return recs.filter((r): r is EvalRecord => r.type === 'eval').map((r) => r.memory);
    };
    const alone = memoryOf();
    // Parameters, optimizer and rule state of someone else, alive throughout.
    const foreign = ['param', 'optimizer', 'rule-state'].map((c) => zeros([1000]).keep(c as 'param'));
    expect(ledger().totalLiveBytes()).toBeGreaterThanOrEqual(12_000);
    const beside = memoryOf();
    for (const t of foreign) t.dispose();
    expect(alone[0]?.peakBytes).toBeGreaterThan(0);
    expect(beside).toEqual(alone);
  });
});
