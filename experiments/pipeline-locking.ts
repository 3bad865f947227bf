// Why backprop locks pipelines, from measured costs: each rule's real step on one MLP, timed
// layer by layer (forward, backward or the rule's own signal, update), drives the pipeline
// simulator — the step split into K stages (one device each) fed M micro-batches, under the GPipe
// and 1F1B schedules and the rule's declared `updateWaitsFor`. Per rule and K: time per step
// (relative to unpipelined backprop on the same micro-batches), bubble and utilisation, and the
// operations of each schedule at K = 4 for a Gantt chart. Rules without a declaration (a step
// with no layer-by-layer structure a pipeline could split) are left out, with a line saying so.
//   npx tsx experiments/pipeline-locking.ts [--out DIR] [--steps N]     (default results/pipeline-locking, 41 steps)
//   npx tsx src/cli.ts report results/pipeline-locking                   (its charts: report.html)
// Times are wall clock (the median step after one warm-up, so a preempted step does not move it):
// a rerun gives other milliseconds, the records say which host and clock.
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import '../algorithms/index.ts';
import {
  writeScriptRecords,
  buildModel,
  getRule,
  layerCostObserver,
  OUTSIDE_LAYERS,
  runSingleTrial,
  simulatePipeline,
  splitStages,
  type DataConfig,
  type LayerCost,
  type PipelineSchedule,
  type StageCost,
  type TrialConfig,
} from '../src/index.ts';
import { useBackendFromEnv } from '../src/kernels-api.ts';

export interface LockingSetup {
  data: DataConfig;
  /** The MLP's sizes: at least max(stages) top-level layers. */
  sizes: number[];
  /** Samples per micro-batch: each measured step is one micro-batch. */
  microBatch: number;
  /** Micro-batches per pipelined step (M). */
  microBatches: number;
  /** Steps measured per rule (the first is a warm-up, left out). */
  steps: number;
  /** Pipeline depths K (1: unpipelined). */
  stages: number[];
  /** Depths whose operations are kept for the Gantt chart. */
  ganttStages: number[];
  schedules: PipelineSchedule[];
  rules: string[];
}

export const SETUP: LockingSetup = {
  // 256 features in, so that every hidden layer is the same 256 × 256 (MNIST's 784-wide first layer
  // would be 3× the others and alone set the pace of any deeper pipeline). Only shapes matter here.
  data: { name: 'blobs', train: 64 * 48, test: 64, classes: 10, features: 256, spread: 0.6 },
  // Eight dense layers of 256 and a head (with their ReLUs, 17 top-level layers): K = 8 puts one on each device.
  sizes: [256, 256, 256, 256, 256, 256, 256, 256, 256, 10],
  microBatch: 64,
  microBatches: 8,
  steps: 41,
  stages: [1, 2, 4, 8],
  ganttStages: [4],
  schedules: ['gpipe', '1f1b'],
  // MeZO declares 'output-error' too, but its perturbations run outside every layer's label (one
  // helper over all parameters), so its costs would land on the last stage: left out until labelled.
  rules: ['backprop', 'feedback-alignment', 'direct-feedback-alignment', 'synthetic-gradients', 'forward-forward'],
};

export interface LayerCostRecord extends LayerCost {
  type: 'layer-costs';
  rule: string;
  microBatch: number;
  /** Where the times came from: 'wall ms on <backend>' (performance.now), or a test's own clock. */
  clock: string;
}

export interface PipelineRecord {
  type: 'pipeline';
  rule: string;
  waitsFor: string;
  stages: number;
  microBatches: number;
  schedule: PipelineSchedule;
  /** Each stage's first layer (a top-level module path). */
  firstLayers: string[];
  timePerStep: number;
  /** timePerStep over unpipelined backprop's (one device, the same M micro-batches). */
  relativeToBackprop: number;
  bubble: number;
  utilisation: number;
  peakActivations: number[];
}

export interface PipelineOpRecord {
  type: 'pipeline-op';
  rule: string;
  stages: number;
  schedule: PipelineSchedule;
  stage: number;
  kind: 'forward' | 'backward' | 'update';
  micro: number;
  /** Start and end over unpipelined backprop's time per step. */
  start: number;
  end: number;
}

export type LockingRecord = LayerCostRecord | PipelineRecord | PipelineOpRecord;

/** A rule's per-layer costs over `setup.steps` real steps (plain SGD, no alignment or memory measurement). */
export function measureLayerCosts(ruleId: string, setup: LockingSetup, now?: () => number): LayerCost[] {
  const rule = getRule(ruleId);
  const model = { sizes: setup.sizes, activation: 'relu' };
  const obs = layerCostObserver(buildModel(model), { skip: 1, now });
  const config: TrialConfig = {
    experiment: 'pipeline-locking',
    rule: rule.id,
    options: {},
    seed: 0,
    data: setup.data,
    model,
    optimizer: { name: 'sgd', lr: 0.01 },
    batchSize: setup.microBatch,
    epochs: 1_000_000,
    maxSteps: setup.steps,
    evalEvery: 0,
    alignEvery: 0,
    alignSamples: 16,
    memory: false,
    debug: false,
  } as TrialConfig;
  runSingleTrial(config, rule, { id: `pipeline-locking-${rule.id}`, observers: [obs] });
  return obs.costs();
}

/** Layers as pipeline units: what ran outside every layer (the loss) joins the last one, at the output. */
function units(costs: readonly LayerCost[]): { names: string[]; layers: StageCost[] } {
  const inside = costs.filter((c) => c.layer !== OUTSIDE_LAYERS);
  const outside = costs.find((c) => c.layer === OUTSIDE_LAYERS);
  const layers = inside.map((c) => ({ forward: c.forward, backward: c.backward, update: c.update }));
  if (outside && layers.length) {
    const last = layers[layers.length - 1];
    last.forward += outside.forward;
    last.backward += outside.backward;
    last.update += outside.update;
  }
  return { names: inside.map((c) => c.layer), layers };
}

/** The pipeline records of every measured rule, against unpipelined backprop (which must be among them). */
export function pipelineRecords(costs: ReadonlyMap<string, LayerCost[]>, setup: LockingSetup): Array<PipelineRecord | PipelineOpRecord> {
  const bp = costs.get('backprop');
  if (!bp) throw new Error('pipeline-locking: rules: backprop must be measured (it is the reference every time is relative to)');
  const M = setup.microBatches;
  const reference = simulatePipeline({
    stages: splitStages(units(bp).layers, 1).stages,
    microBatches: M,
    schedule: 'gpipe',
    waitsFor: 'layer-above',
  }).timePerStep;
  const out: Array<PipelineRecord | PipelineOpRecord> = [];
  for (const [ruleId, c] of costs) {
    const waitsFor = getRule(ruleId).updateWaitsFor!;
    const { names, layers } = units(c);
    for (const K of setup.stages)
      for (const schedule of setup.schedules) {
        const split = splitStages(layers, K);
        const r = simulatePipeline({ stages: split.stages, microBatches: M, schedule, waitsFor });
        out.push({
          type: 'pipeline',
          rule: ruleId,
          waitsFor,
          stages: K,
          microBatches: M,
          schedule,
          firstLayers: split.first.map((i) => names[i]),
          timePerStep: r.timePerStep,
          relativeToBackprop: r.timePerStep / reference,
          bubble: r.bubble,
          utilisation: r.utilisation,
          peakActivations: r.peakActivations,
        });
        if (setup.ganttStages.includes(K))
          for (const o of r.ops)
            out.push({
              type: 'pipeline-op',
              rule: ruleId,
              stages: K,
              schedule,
              stage: o.stage,
              kind: o.kind,
              micro: o.micro,
              start: o.start / reference,
              end: o.end / reference,
            });
      }
  }
  return out;
}

/** Every record of the experiment; rules that declare no `updateWaitsFor` are skipped (logged). */
export function pipelineLocking(
  setup: LockingSetup,
  log: (s: string) => void = () => {},
  o: { now?: () => number; clock?: string } = {},
): LockingRecord[] {
  const { now, clock = 'wall ms' } = o;
  const maxK = Math.max(...setup.stages);
  if (setup.sizes.length - 1 < maxK)
    throw new Error(`pipeline-locking: sizes: ${setup.sizes.length - 1} dense layers cannot fill ${maxK} stages one layer or more each`);
  const costs = new Map<string, LayerCost[]>();
  const rows: LockingRecord[] = [];
  for (const id of setup.rules) {
    if (!getRule(id).updateWaitsFor) {
      log(`skip ${id}: it declares no updateWaitsFor (no layer-by-layer step to pipeline)`);
      continue;
    }
    const c = measureLayerCosts(id, setup, now);
    costs.set(id, c);
    for (const l of c) rows.push({ type: 'layer-costs', rule: id, microBatch: setup.microBatch, clock, ...l });
    log(`measured ${id}: ${c.reduce((a, l) => a + l.forward + l.backward + l.update, 0).toFixed(2)} per micro-batch step`);
  }
  return [...rows, ...pipelineRecords(costs, setup)];
}

async function main(): Promise<void> {
  let values: { out?: string; steps?: string };
  try {
    ({ values } = parseArgs({ options: { out: { type: 'string' }, steps: { type: 'string' } } }));
  } catch (e) {
    console.error(`pipeline-locking: ${(e as Error).message}`);
    process.exit(2);
  }
  const out = values.out ?? 'results/pipeline-locking';
  const steps = values.steps === undefined ? SETUP.steps : Number(values.steps);
  if (!Number.isInteger(steps) || steps < 2) {
    console.error(`pipeline-locking: --steps: expected an integer ≥ 2 (one warm-up and at least one measured step), got ${values.steps}`);
    process.exit(2);
  }
  const backend = await useBackendFromEnv();
  const rows = pipelineLocking({ ...SETUP, steps }, (s) => console.log(s), {
    clock: `wall ms, ${backend} backend, ${cpus()[0]?.model ?? 'cpu'}`,
  });
  const file = writeScriptRecords(out, rows, {
    name: 'pipeline-locking',
    description: `Each rule's measured per-layer costs (${SETUP.sizes.join('-')} ReLU MLP, micro-batches of ${SETUP.microBatch}, median of ${steps - 1} steps) split into K pipeline stages with M = ${SETUP.microBatches} micro-batches under GPipe and 1F1B: time per step relative to unpipelined backprop, bubble, and each rule's schedule at K = ${SETUP.ganttStages.join(', ')}.`,
    spec: { ...SETUP, steps },
  });
  console.log(`\ntime per step relative to unpipelined backprop (M = ${SETUP.microBatches}), bubble in brackets`);
  for (const r of rows)
    if (r.type === 'pipeline' && r.stages > 1)
      console.log(
        `${r.rule.padEnd(28)} K=${r.stages} ${r.schedule.padEnd(6)} ${r.relativeToBackprop.toFixed(3)} (${(100 * r.bubble).toFixed(1)}%)`,
      );
  console.log(`wrote ${rows.length} records to ${file}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
