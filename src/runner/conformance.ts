// The conformance suite every learning rule must pass (built-in or user-written): the same
// checks, on the same small task, through the same training loop the experiments use (hence
// on the runner's floor; users reach it through 'rulebench/testing').
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blobs } from '../data/synthetic.ts';
import { SpecError } from '../errors.ts';
import { BatchStats } from '../nn/module.ts';
import { buildModel } from '../nn/model.ts';
import type { ModelSpec } from '../nn/presets.ts';
import { rng } from '../random.ts';
import { ruleContext } from '../rules/context.ts';
import { materialize, type AnyRule, type RuleContext, type RuleOptions } from '../rules/rule.ts';
import { stateBytes } from '../rules/state.ts';
import { classification, type Batch } from '../rules/task.ts';
import { fromArray, type Tensor } from '../tensor/tensor.ts';
import { readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { runTrial, type EvalRecord, type TrialConfig, type TrialRecord } from './trial.ts';

export interface ConformanceCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** The three architectures every rule is checked on: an MLP, a conv net with batch norm, a residual net. */
export const CONFORMANCE_MODELS = {
  mlp: { sizes: [36, 24, 24, 4], activation: 'tanh', init: 'xavierUniform' },
  conv: {
    layers: [
      { type: 'conv2d', channels: 4, kernel: 3, padding: 1, name: 'conv1' },
      { type: 'batchNorm', name: 'bn1' },
      { type: 'activation', fn: 'relu', name: 'act1' },
      { type: 'maxPool2d', kernel: 2, name: 'pool1' },
      { type: 'conv2d', channels: 6, kernel: 3, padding: 1, name: 'conv2' },
      { type: 'batchNorm', name: 'bn2' },
      { type: 'activation', fn: 'relu', name: 'act2' },
      { type: 'flatten', name: 'flatten' },
      { type: 'dense', units: 4, name: 'fc' },
    ],
    init: 'heUniform',
  },
  residual: {
    layers: [
      { type: 'conv2d', channels: 4, kernel: 3, padding: 1, bias: false, name: 'conv1' },
      { type: 'batchNorm', name: 'bn1' },
      { type: 'activation', fn: 'relu', name: 'act1' },
      {
        type: 'residual',
        name: 'block1',
        activation: 'relu',
        layers: [
          { type: 'conv2d', channels: 4, kernel: 3, padding: 1, bias: false, name: 'conv1' },
          { type: 'batchNorm', name: 'bn1' },
          'relu',
          { type: 'conv2d', channels: 4, kernel: 3, padding: 1, bias: false, name: 'conv2' },
          { type: 'batchNorm', name: 'bn2' },
        ],
      },
      {
        type: 'residual',
        name: 'block2',
        activation: 'relu',
        layers: [
          { type: 'conv2d', channels: 8, kernel: 3, stride: 2, padding: 1, bias: false, name: 'conv1' },
          { type: 'batchNorm', name: 'bn1' },
          'relu',
          { type: 'conv2d', channels: 8, kernel: 3, padding: 1, bias: false, name: 'conv2' },
          { type: 'batchNorm', name: 'bn2' },
        ],
      },
      { type: 'globalAvgPool', name: 'pool' },
      { type: 'dense', units: 4, name: 'fc' },
    ],
  },
} satisfies Record<string, ModelSpec>;

export type ConformanceArchitecture = keyof typeof CONFORMANCE_MODELS;

export interface ConformanceOptions {
  /** Rule options for the run (defaults otherwise). */
  options?: RuleOptions;
  /** Which model (default the MLP). */
  architecture?: ConformanceArchitecture;
  /** Training budget for the "loss falls" check. */
  steps?: number;
  lr?: number;
}

// Blobs in 36 dimensions, read as 1×6×6 images by the conv nets.
const DATA = { name: 'blobs' as const, train: 512, test: 128, classes: 4, features: 36, spread: 0.6 };
const IMAGE = [1, 6, 6];

function setup(rule: AnyRule, options: RuleOptions, seed: number, arch: ConformanceArchitecture) {
  const image = arch !== 'mlp';
  const model = buildModel(CONFORMANCE_MODELS[arch] as ModelSpec, { sampleShape: image ? IMAGE : [DATA.features], outputs: DATA.classes });
  const params = model.init(rng(seed).child('init'));
  const buffers = model.initBuffers();
  const task = classification(DATA.classes);
  const ctx = (step: number): RuleContext =>
    ruleContext({
      model,
      task,
      params,
      buffers,
      rule,
      options,
      rng: rng(seed).child('rule'),
      dropout: rng(seed).child('dropout'),
      step,
      stats: new BatchStats(),
    });
  const ds = blobs(64, DATA.classes, DATA.features, DATA.spread, rng(seed).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
  return { model, params, ctx, batch };
}

const snapshot = (ts: readonly Tensor[]) => ts.map((t) => Float64Array.from(t.data));
function maxDiff(before: Float64Array[], ts: readonly Tensor[]): number {
  let m = 0;
  ts.forEach((t, i) => {
    for (let k = 0; k < t.size; k++) m = Math.max(m, Math.abs(t.data[k] - before[i][k]));
  });
  return m;
}

/**
 * The message of the SpecError a rule's `check` refuses this architecture with, or null when it
 * accepts it (a rule not defined for a model must say so before training, naming the module).
 */
export function refusal(rule: AnyRule, opts: Pick<ConformanceOptions, 'options' | 'architecture'> = {}): string | null {
  const s = setup(rule, opts.options ?? {}, 1, opts.architecture ?? 'mlp');
  try {
    rule.check?.(s.ctx(-1));
    return null;
  } catch (e) {
    if (e instanceof SpecError) return e.message;
    throw e;
  }
}

/** Run every check; a rule conforms when all are ok. */
export function checkConformance(rule: AnyRule, opts: ConformanceOptions = {}): ConformanceCheck[] {
  const checks: ConformanceCheck[] = [];
  const check = (name: string, f: () => string | true) => {
    try {
      const r = f();
      checks.push({ name, ok: r === true, detail: r === true ? '' : r });
    } catch (e) {
      checks.push({ name, ok: false, detail: `threw: ${(e as Error).message}` });
    }
  };
  const options = opts.options ?? {};
  const arch = opts.architecture ?? 'mlp';

  // Three steps (parameters held fixed) from a fresh init, as the runner would call them.
  const threeSteps = (seed: number) => {
    const s = setup(rule, options, seed, arch);
    rule.check?.(s.ctx(-1));
    let state = rule.init(s.ctx(-1));
    const out: Array<{ updates: Tensor[]; loss: number; metrics: Record<string, number>; stateBytes: number; mutated: number }> = [];
    for (let step = 0; step < 3; step++) {
      const before = snapshot(s.params);
      const res = rule.step(s.ctx(step), state, s.batch);
      const mutated = maxDiff(before, s.params);
      state = res.state;
      out.push({ updates: materialize(res.updates), loss: res.loss, metrics: res.metrics, stateBytes: stateBytes(state), mutated });
    }
    return { ...s, runs: out, state };
  };

  const a = threeSteps(1);
  const b = threeSteps(1);

  check('same seed gives identical updates', () => {
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < a.runs[s].updates.length; i++) {
        const x = a.runs[s].updates[i].data;
        const y = b.runs[s].updates[i].data;
        for (let k = 0; k < x.length; k++)
          if (!Object.is(x[k], y[k])) return `step ${s}, ${a.model.paramNames[i]}[${k}]: ${x[k]} vs ${y[k]}`;
      }
    }
    return true;
  });

  check('updates are finite and shaped like their parameters', () => {
    for (const run of a.runs) {
      if (run.updates.length !== a.params.length) return `${run.updates.length} updates for ${a.params.length} parameters`;
      for (let i = 0; i < run.updates.length; i++) {
        const u = run.updates[i];
        const p = a.params[i];
        if (u.shape.join() !== p.shape.join()) return `${a.model.paramNames[i]}: update [${u.shape}] vs parameter [${p.shape}]`;
        if (!u.data.every(Number.isFinite)) return `${a.model.paramNames[i]}: update has NaN/Inf`;
      }
    }
    return true;
  });

  check('step does not mutate the parameters', () => {
    const tol = rule.restoreTolerance ?? 0;
    const worst = Math.max(...a.runs.map((r) => r.mutated));
    return worst <= tol || `parameters changed by up to ${worst} (allowed ${tol})`;
  });

  check('state keeps the same size across steps', () => {
    const sizes = a.runs.map((r) => r.stateBytes);
    return sizes.every((s) => s === sizes[0]) || `state bytes per step: ${sizes.join(', ')}`;
  });

  check('loss and metrics are finite numbers', () => {
    for (const run of a.runs) {
      if (typeof run.loss !== 'number' || !Number.isFinite(run.loss)) return `loss is ${run.loss}`;
      for (const [k, v] of Object.entries(run.metrics)) if (typeof v !== 'number' || !Number.isFinite(v)) return `metric ${k} is ${v}`;
    }
    return true;
  });

  if (rule.predict) {
    check('predict returns finite scores [n, classes]', () => {
      const scores = rule.predict!(a.ctx(3), a.state, a.batch.x);
      if (scores.shape.join() !== [a.batch.size, DATA.classes].join()) return `predict shape [${scores.shape}]`;
      return scores.data.every(Number.isFinite) || 'predict returned NaN/Inf';
    });
  }

  if (rule.diagnostics) {
    check('diagnostics are finite numbers', () => {
      for (const [k, v] of Object.entries(rule.diagnostics!(a.ctx(3), a.state))) if (!Number.isFinite(v)) return `diagnostic ${k} is ${v}`;
      return true;
    });
  }

  check('loss falls on a small task within the budget', () => {
    const steps = opts.steps ?? 240;
    const config: TrialConfig = {
      experiment: 'conformance',
      rule: rule.id,
      options,
      seed: 0,
      data: arch === 'mlp' ? DATA : { ...DATA, shape: IMAGE },
      model: CONFORMANCE_MODELS[arch] as ModelSpec,
      optimizer: { name: 'adam', lr: opts.lr ?? 0.01 },
      batchSize: 32,
      epochs: 1000,
      maxSteps: steps,
      evalEvery: 16,
      alignEvery: 0,
      alignSamples: 16,
      memory: false,
      debug: false,
    };
    const evals: EvalRecord[] = [];
    const summary = runTrial(config, 'conformance', rule, (r) => {
      if (r.type === 'eval') evals.push(r);
    });
    if (summary.status !== 'done') return `trial ${summary.status}: ${summary.error}`;
    const first = evals[0].trainLoss;
    const lastLoss = evals[evals.length - 1].trainLoss;
    return lastLoss < 0.8 * first || `train loss ${first.toFixed(4)} → ${lastLoss.toFixed(4)} after ${steps} steps (needs a 20% drop)`;
  });

  check('an interrupted trial continues from its checkpoint exactly', () => resumesExactly(rule, options, arch));

  return checks;
}

/**
 * Train three short epochs straight through; then again, stopped after epoch 1's checkpoint (written
 * to and read back from a file), and resumed from it. The records must be the same, host timings aside.
 */
function resumesExactly(rule: AnyRule, options: RuleOptions, arch: ConformanceArchitecture): string | true {
  const config: TrialConfig = {
    experiment: 'conformance',
    rule: rule.id,
    options,
    seed: 0,
    data: { ...DATA, train: 192, test: 64, ...(arch === 'mlp' ? {} : { shape: IMAGE }) },
    model: CONFORMANCE_MODELS[arch] as ModelSpec,
    optimizer: { name: 'adam', lr: 0.01 },
    batchSize: 32,
    epochs: 3,
    maxSteps: 0,
    evalEvery: 4,
    alignEvery: 3,
    alignSamples: 4,
    memory: true,
    debug: false,
  };
  const line = (r: TrialRecord) => JSON.stringify({ ...r, host: null });
  const straight: string[] = [];
  runTrial(config, 'resume', rule, (r) => straight.push(line(r)));

  const dir = mkdtempSync(join(tmpdir(), 'rulebench-conformance-'));
  const path = join(dir, 'trial.ckpt');
  try {
    const before: string[] = [];
    let saves = 0;
    try {
      // The header's byte count holds the number of records written so far here.
      runTrial(config, 'resume', rule, (r) => before.push(line(r)), {
        resume: null,
        save: (s) => {
          writeCheckpoint(path, 'resume', before.length, s);
          if (++saves === 2) throw new Error('stop');
        },
      });
    } catch (e) {
      if ((e as Error).message !== 'stop') throw e;
    }
    if (saves !== 2) return `the trial saved ${saves} checkpoint(s) in 3 epochs, expected one per epoch`;
    const ckpt = readCheckpoint(path);
    if (!ckpt) return 'the checkpoint could not be read back';
    const after: string[] = [];
    runTrial(config, 'resume', rule, (r) => after.push(line(r)), { resume: ckpt, save: () => {} });
    const resumed = [...before.slice(0, ckpt.recordsBytes), ...after];
    if (resumed.length !== straight.length) return `${resumed.length} records after resuming, ${straight.length} straight through`;
    const k = resumed.findIndex((r, i) => r !== straight[i]);
    return k < 0 || `record ${k} differs after resuming: ${resumed[k].slice(0, 300)} vs ${straight[k].slice(0, 300)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
