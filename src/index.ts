// The public API. Rules (algorithms/), experiments and user code import only from here.
export * from './errors.ts';
export { Rng, rng } from './random.ts';
export {
  Tensor, empty, zeros, ones, full, scalar, fromArray, tensor, uniform, normal, view, sizeOf,
  type Shape, type NestedArray,
} from './tensor/tensor.ts';
export { ledger, CATEGORIES, emptyByCategory, type Category, type ByCategory, type StepMemory } from './tensor/ledger.ts';
export { backend, setBackend, withFloat64, type Backend, type Buf } from './kernels/index.ts';
export {
  add, sub, mul, div, maximum, neg, exp, log, tanh, sigmoid, relu, leakyRelu, softplus, gelu, sqrt, square, abs,
  sin, cos, sign, step, pow, matmul, sum, mean, max, broadcastTo, reshape, transpose, slice, concat, softmax,
  logSoftmax, pick, softmaxCrossEntropy, stopGradient, OPS, type Labels,
} from './autograd/ops.ts';
export {
  valueAndGrad, grad, vjp, jvp, valueAndJvp, noGrad, customVjp, leaves, mapTree, type TensorTree, type LossOutput,
  type Tangents, type ValueAndJvp, type CustomVjpOptions,
} from './autograd/functional.ts';
export type { JvpFn, JvpPrimals } from './autograd/forward.ts';
export { withLayer, setAnomalyMode, withAnomalyMode, anomalyMode } from './autograd/tape.ts';
export { gradcheck, vjpCheck, jvpCheck, type GradcheckResult, type VjpCheckResult, type JvpCheckResult, type JvpCheckOptions } from './autograd/gradcheck.ts';
export { kUnary, kBinary } from './autograd/ops.ts';
export {
  gather, tokenIds, bmm, causalMask, attention, attentionComposed, tokenCrossEntropy, tokenScores, MASKED, IGNORE,
} from './autograd/sequence-ops.ts';
export {
  conv2d, maxPool2d, avgPool2d, conv2dBackwardInput, conv2dBackwardParams, windowGeometry, type Conv2dOptions, type Pool2dOptions,
} from './autograd/image-ops.ts';

// Networks
export { Model, buildModel, buildNetwork, modelInputShape, type ModelData } from './nn/model.ts';
export type { ModelSpec, MlpSpec, LayersSpec, LeNetSpec, ResNetSpec, TransformerSpec, RecurrentSpec } from './nn/presets.ts';
export { registerLayer, listLayers } from './nn/build.ts';
export type { Builder } from './nn/builder.ts';
export { defineLayer, layerList, type LayerSpec, type LayerSpecOf, type LayerKind, type LayerKinds, type LayerContext } from './nn/layer-kind.ts';
export { definePreset, type Preset, type PresetData, type PresetSpecOf } from './nn/preset-kind.ts';
export { registerPreset, listPresets } from './nn/presets.ts';
export { field, optional, anything, type Field, type Fields, type SpecOf, type Parsed } from './fields.ts';
export * as layerFields from './nn/layer-checks.ts';
export {
  run, walk, wrap, mapModules, leaf, param, childPath, withSignalProbe, SignalProbe, BatchStats,
  type Module, type Slot, type ParamInit, type ForwardOptions, type ForwardContext,
} from './nn/module.ts';
export { isWeightLayer, replaceInputVjp, weightAndBias, type WeightLayer } from './nn/weight-layer.ts';
export { layerBlocks, runModules, paramIndices, type LayerBlock, type LayerChain } from './nn/blocks.ts';
export { linear, dense, conv } from './nn/layers.ts';
export { embedding, isEmbedding, type EmbeddingModule } from './nn/embedding.ts';
export { attentionModule, transformerBlockLayers, type AttentionModule } from './nn/attention.ts';
export { recurrent, isRecurrent, truncated, CELLS, type RecurrentModule, type Boundary, type Cell } from './nn/recurrent.ts';
export {
  activation, activationByName, activationModule, isActivation, resolveActivation, ACTIVATIONS, ACTIVATION_NAMES, type Activation, type ActivationName, type ActivationModule,
} from './nn/activations.ts';
export { initByName, initStd, fans, INIT_NAMES, xavierUniform, xavierNormal, heUniform, heNormal, type InitFn } from './nn/init.ts';
export { crossEntropy, mse, binaryCrossEntropy, accuracy } from './nn/losses.ts';
export { layerNorm, batchNorm, type BatchNormOptions } from './nn/norm.ts';
export { dropout, dropoutMask } from './nn/dropout.ts';

// Optimizers
export * from './optim/index.ts';

// Data
export * from './data/index.ts';

// Learning rules
export {
  defineRule, forEachUpdate, isLazy, materialize, type LearningRule, type AnyRule, type RuleContext, type RuleOptions,
  type OptionValue, type StepResult, type Updates, type LazyUpdates,
} from './rules/rule.ts';
export {
  classification, regression, sequence, classificationError, taskFor, withObjective, refuseSequenceTask, TASK_NAMES,
  type Task, type TaskName, type Batch, type TaskScore, type TextSample, type SequenceTaskOptions,
} from './rules/task.ts';
export { noiseKey, fillNoise, perturb, streamedUpdates, centeredRanks, type NoiseKey, type NoiseTerm, type ElementScale } from './rules/zeroth-order.ts';
export { ruleContext, type ContextParts } from './rules/context.ts';
export { registerRule, getRule, listRules, loadRulesFrom } from './rules/registry.ts';

// Metrics
export {
  alignment, AlignmentMeter, compare, trueGradient, signalPaths, errorSignalAlignment, meanOfLayers,
  type Alignment, type AlignmentReport, type Reference as AlignmentReferenceGradient,
} from './metrics/alignment.ts';
export { lengthNormalize } from './nn/normalize.ts';
export { defineExperiment, type ExperimentSpec, type RuleEntry, type Reference } from './runner/spec.ts';

// Stochastic and discrete units; gradient-estimator bias and variance
export {
  bernoulli, stochasticBinary, bernoulliSample, hardThreshold, hardSign, bernoulliLogProb, categorical, oneHot, categoricalSample,
  gumbelNoise, logisticNoise, gumbelSoftmax, binaryConcrete, perExampleLoss, stochasticUnits, predictStochastic, withUnits, stochasticPaths,
  type StochasticNet,
  STOCHASTIC_PREDICTIONS, type StochasticPrediction,
} from './nn/stochastic.ts';
export {
  exactExpectedGradient, sampledExpectedGradient, expectedGradient, measureEstimator, tileBatch, MAX_ENUMERATED_UNITS,
  type ExpectedGradient, type EstimatorStats, type EstimatorLayerStats,
} from './metrics/estimators.ts';
export { estimateQuality, type EstimateQuality } from './metrics/zeroth-order.ts';
