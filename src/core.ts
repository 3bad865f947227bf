// The core API, `import … from 'rulebench/core'`: everything a rule needs and a trial loop runs
// on, with nothing from Node inside, so a browser (the playground's worker) bundles it. Rules
// import from here. 'rulebench' (src/index.ts) is this plus what needs Node: files, datasets by
// name, rule files, experiment specs and the CLI's trial.

// Errors (one class per kind, each message naming the field, file, op or layer) and seeded streams
export { SpecError, DataError, ShapeError, NumericsError } from './errors.ts';
export { Rng, rng } from './random.ts';

// Tensors, and the ledger that counts their bytes by category
export {
  Tensor,
  empty,
  zeros,
  ones,
  full,
  scalar,
  fromArray,
  tensor,
  uniform,
  normal,
  view,
  sizeOf,
  withArena,
  type Shape,
  type NestedArray,
} from './tensor/tensor.ts';
export { axpbyInPlace } from './tensor/in-place.ts';
export {
  ledger,
  withLedger,
  Ledger,
  CATEGORIES,
  type Category,
  type ByCategory,
  type StepMemory,
  type TimelinePoint,
} from './tensor/ledger.ts';

// Differentiable ops
export {
  add,
  sub,
  mul,
  div,
  maximum,
  neg,
  exp,
  log,
  tanh,
  sigmoid,
  relu,
  leakyRelu,
  softplus,
  gelu,
  sqrt,
  square,
  abs,
  sin,
  cos,
  sign,
  step,
  pow,
  matmul,
  sum,
  mean,
  max,
  broadcastTo,
  reshape,
  transpose,
  slice,
  concat,
  softmax,
  logSoftmax,
  pick,
  softmaxCrossEntropy,
  stopGradient,
  type Labels,
} from './autograd/ops.ts';
export { gather, bmm, causalMask, attention, tokenCrossEntropy, tokenScores, IGNORE } from './autograd/sequence-ops.ts';
export { conv2d, maxPool2d, avgPool2d, type Conv2dOptions, type Pool2dOptions } from './autograd/image-ops.ts';

// Transformations: gradients in reverse and forward mode, custom VJPs, trees of tensors, anomaly mode
export {
  valueAndGrad,
  grad,
  vjp,
  jvp,
  valueAndJvp,
  noGrad,
  customVjp,
  leaves,
  mapTree,
  type TensorTree,
  type LossOutput,
  type Tangents,
  type ValueAndJvp,
  type CustomVjpOptions,
} from './autograd/functional.ts';
export type { JvpFn, JvpPrimals } from './autograd/forward.ts';
export { withAnomalyMode, withLayer } from './autograd/tape.ts';

// Models: a module tree whose parameters flatten to one path-named list, built from a spec
export { Model, buildModel, buildNetwork, type ModelData } from './nn/model.ts';
export type { ModelSpec, MlpSpec, LayersSpec, LeNetSpec, ResNetSpec, TransformerSpec, RecurrentSpec } from './nn/presets.ts';

// Vocabularies: layer kinds and presets, each defined once (fields, checks, builder); users register their own
export { registerLayer, listLayers } from './nn/build.ts';
export type { Builder } from './nn/builder.ts';
export {
  defineLayer,
  layerList,
  type LayerSpec,
  type LayerSpecOf,
  type LayerKind,
  type LayerKinds,
  type LayerContext,
} from './nn/layer-kind.ts';
export { definePreset, type Preset, type PresetData, type PresetSpecOf } from './nn/preset-kind.ts';
export { registerPreset, listPresets } from './nn/presets.ts';
export { field, optional, anything, type Field, type Fields, type SpecOf, type Parsed } from './fields.ts';
export * as layerFields from './nn/layer-checks.ts';

// Modules: applying, walking, wrapping and swapping them (how a rule changes a network)
export {
  run,
  walk,
  wrap,
  mapModules,
  leaf,
  param,
  childPath,
  withSignalProbe,
  SignalProbe,
  BatchStats,
  type Module,
  type Slot,
  type ParamInit,
  type ForwardOptions,
  type ForwardContext,
} from './nn/module.ts';
export {
  isWeightLayer,
  replaceInputVjp,
  weightAndBias,
  weightNow,
  weightSlot,
  type DerivedWeight,
  type WeightLayer,
} from './nn/weight-layer.ts';
export { adaptedLayers, parseAdapters, refuseAdapters, withAdapters, type AdapterSpec } from './nn/adapters.ts';
export { distilled, distillationLoss, parseDistill, type DistillSpec } from './rules/distill.ts';
export { layerBlocks, runModules, paramIndices, type LayerBlock, type LayerChain } from './nn/blocks.ts';
export { isEmbedding, type EmbeddingModule } from './nn/embedding.ts';
export type { AttentionModule } from './nn/attention.ts';
export { isRecurrent, truncated, type RecurrentModule, type Boundary, type Cell } from './nn/recurrent.ts';

// Layer functions, activations, initializers and losses
export { linear } from './nn/layers.ts';
export { layerNorm, batchNorm, type BatchNormOptions } from './nn/norm.ts';
export { dropout, dropoutMask } from './nn/dropout.ts';
export { lengthNormalize } from './nn/normalize.ts';
export {
  activation,
  activationByName,
  isActivation,
  ACTIVATION_NAMES,
  type Activation,
  type ActivationName,
  type ActivationModule,
} from './nn/activations.ts';
export { initByName, initStd, fans, INIT_NAMES, xavierUniform, xavierNormal, heUniform, heNormal, type InitFn } from './nn/init.ts';
export { crossEntropy, mse, binaryCrossEntropy, accuracy } from './nn/losses.ts';

// Stochastic and discrete units
export {
  bernoulli,
  stochasticBinary,
  bernoulliSample,
  hardThreshold,
  hardSign,
  bernoulliLogProb,
  categorical,
  oneHot,
  categoricalSample,
  gumbelNoise,
  logisticNoise,
  gumbelSoftmax,
  binaryConcrete,
  perExampleLoss,
  stochasticUnits,
  predictStochastic,
  stochasticPredicts,
  withUnits,
  stochasticPaths,
  STOCHASTIC_PREDICTIONS,
  type StochasticNet,
  type StochasticPrediction,
} from './nn/stochastic.ts';

// Optimizers: transforms as init/update pairs, chain, the named optimizers, schedules, specs
export * from './optim/index.ts';

// Data: in-memory datasets, generated sets, transforms, batching (loading files and the
// registry of datasets by name are Node's: 'rulebench')
export {
  classificationDataset,
  regressionDataset,
  type Dataset,
  type ClassificationDataset,
  type RegressionDataset,
} from './data/dataset.ts';
export {
  blobs,
  bumps,
  circle,
  plane,
  pointInputs,
  POINT_INPUTS,
  teacherStudent,
  twoSpirals,
  xor,
  type NoisyXorOptions,
  type PointInput,
} from './data/synthetic.ts';
export { copyTask, type CopyOptions } from './data/copy.ts';
export { applyTransforms, type Transforms } from './data/transforms.ts';
export { Loader, split, subset, type LoaderBatch, type LoaderOptions } from './data/loader.ts';

// Learning rules: the contract, their options, the registry, a step's context
export {
  defineRule,
  ruleOptions,
  checkOption,
  ruleEstimates,
  forEachUpdate,
  isLazy,
  materialize,
  type LearningRule,
  type AnyRule,
  type RuleContext,
  type RuleOptions,
  type OptionValue,
  type Estimate,
  type Prediction,
  type UpdateWaitsFor,
  type StepResult,
  type Updates,
  type LazyUpdates,
  type Dimension,
  type SearchSpace,
  type RulePreset,
} from './rules/rule.ts';
export { registerRule, registerRulesOf, getRule, listRules } from './rules/registry.ts';
export {
  FORWARD,
  WEIGHT_GRADIENT,
  gaussianDraws,
  unitNoiseDraws,
  LOGISTIC_OPS,
  BERNOULLI_OPS,
  stepCost,
  modelStepCost,
  costContext,
  layerCostContext,
  type CostContext,
  type LayerWork,
} from './rules/cost.ts';
export { ruleContext, type ContextParts } from './rules/context.ts';

// Tasks: what a batch is, its loss and its scores
export {
  classification,
  regression,
  sequence,
  classificationError,
  taskFor,
  withObjective,
  refuseSequenceTask,
  TASK_NAMES,
  type Task,
  type TaskName,
  type Batch,
  type TaskScore,
  type TextSample,
  type SequenceTaskOptions,
} from './rules/task.ts';

// Rule-author helpers: a batch's task loss and gradient; the feedback-alignment family's parts
// (feedback layers and tensors, the B–W angles); zeroth-order noise, regenerated from counters
export { taskLoss, taskGradient, type TaskLossOptions } from './rules/task-loss.ts';
export { feedbackLayers, feedbackScheme, drawFeedback, initialFeedback, withFeedback, requireFeedbackLayers } from './rules/feedback.ts';
export { feedbackDiagnostics } from './metrics/feedback-angles.ts';
export {
  noiseKey,
  fillNoise,
  perturb,
  WideNoise,
  streamedUpdates,
  centeredRanks,
  type NoiseKey,
  type NoiseKind,
  type NoiseTerm,
  type ElementScale,
} from './rules/zeroth-order.ts';

// Metrics: alignment with a reference gradient and of error signals, gradient health
export {
  alignment,
  compare,
  cosineAndNormRatio,
  trueGradient,
  signalPaths,
  errorSignalAlignment,
  type Alignment,
  type AlignmentReport,
  type Reference as AlignmentReferenceGradient,
} from './metrics/alignment.ts';
export { gradientNorms, deadUnitShare } from './metrics/health.ts';

// Gradient estimators: the expected gradient of a stochastic net, an estimator's bias and variance
export {
  exactExpectedGradient,
  sampledExpectedGradient,
  expectedGradient,
  measureEstimator,
  tileBatch,
  MAX_ENUMERATED_UNITS,
  type ExpectedGradient,
  type EstimatorStats,
  type EstimatorLayerStats,
} from './metrics/estimators.ts';
export { estimateQuality, type EstimateQuality } from './metrics/zeroth-order.ts';

// Pipelines: one step split into stages and micro-batches, under a rule's locking
export {
  simulatePipeline,
  splitStages,
  type PipelineCase,
  type PipelineResult,
  type StageCost,
  type Schedule as PipelineSchedule,
  type Op as PipelineOp,
} from './metrics/pipeline-schedule.ts';

// The training loop (nothing from Node inside: a browser worker runs it too) and its observers
export {
  runTraining,
  trainLoop,
  trainSteps,
  standardObservers,
  Training,
  type TrainingRun,
  type Prepared,
  type Resume,
} from './runner/loop.ts';
export type { Observer, StepInfo, EvalInfo, Snapshot } from './runner/observer.ts';
// A trial's data, task and model from its config (the dataset from the caller's loader), and the generated point sets
export { prepareData, type LoadData } from './runner/prepare.ts';
export type { TrialConfig, DataConfig } from './runner/trial-config.ts';
export type { TrialRecord, EvalRecord, SummaryRecord, AlignmentPoint } from './runner/record-types.ts';
export {
  xorDataset,
  spiralsDataset,
  circleDataset,
  blobsDataset,
  teacherStudentDataset,
  planeDataset,
  bumpsDataset,
} from './data/dataset-kinds/points.ts';
export type { HostProbe } from './runner/observers/timing.ts';
