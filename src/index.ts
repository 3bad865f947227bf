// The public API, `import … from 'rulebench'`: what experiments and users need — the core
// (src/core.ts, 'rulebench/core': Node-free, what rules import) and what needs Node. Two more entries: 'rulebench/testing' (src/testing.ts: the conformance suite, gradient checks)
// and 'rulebench/kernels' (src/kernels-api.ts: the kernel backends and how one is chosen).

// Everything in the core (Node-free; a browser bundles it)
export * from './core.ts';

// Data: datasets by name and the files behind them
export {
  loadDataset,
  DATASET_NAMES,
  loadMnist,
  loadFashionMnist,
  FASHION_MNIST_CLASSES,
  loadCifar10,
  CIFAR10_CLASSES,
  loadText,
  type DatasetName,
  type LoadDatasetOptions,
  type TrainTest,
  type MnistSplit,
  type FashionMnistSplit,
  type Cifar10Split,
  type ImageSetOptions,
  type TextOptions,
  type TextSource,
  type TextSplits,
} from './data/index.ts';
// Datasets of one's own: each defined once (options, checks, loader), registered by name
export {
  defineDataset,
  registerDataset,
  listDatasets,
  describeDataset,
  pickOptions,
  needRng,
  splitGenerated,
  type DatasetKind,
  type DatasetInfo,
} from './data/index.ts';

// Rule files loaded by path
export { loadRulesFrom } from './rules/load-rules.ts';

// Experiments: the declarative spec; one trial run in this process, and the records it writes
export { defineExperiment, type ExperimentSpec, type RuleEntry, type Reference } from './runner/spec.ts';
export { runSingleTrial, type SingleTrialOptions } from './runner/single-trial.ts';
export type { TrialConfig, DataConfig } from './runner/trial.ts';
export type { TrialRecord, EvalRecord, SummaryRecord, MemoryRecord, AlignmentPoint, TrialStatus } from './runner/record-types.ts';
// Number formats, rounding and loss scaling (a spec's `precision`), and what the records carry of them
export type { PrecisionSpec, PrecisionRecord, FormatName, DynamicLossScale } from './runner/precision.ts';

// Observers that measure inside a step: live bytes by category over its logical clock, and each
// layer's forward, backward and update time (what the pipeline experiment feeds its schedule)
export { memoryTimelineObserver } from './runner/observers/memory.ts';
export {
  layerCostObserver,
  pipelineLayers,
  OUTSIDE_LAYERS,
  type LayerCost,
  type LayerCostOptions,
} from './runner/observers/layer-costs.ts';

// What a measuring script leaves in its results directory: records.jsonl and experiment.json
export { writeScriptRecords, type ScriptRun } from './runner/script-records.ts';
// Shards (--shard i/n): a deterministic slice of a list of trials, for scripts that run their own
export { shard, parseShard, type Shard } from './runner/shard.ts';
