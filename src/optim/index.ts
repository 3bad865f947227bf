// The optimizers in one import: transforms, chain, the named optimizers, schedules, specs.
export { chain, releaseState, type Optimizer, type OptState } from './chain.ts';
export {
  addDecayedWeights,
  clipByGlobalNorm,
  clipByValue,
  scaleByAdam,
  scaleByLearningRate,
  scaleByRms,
  traceMomentum,
  type Stage,
  type Transform,
} from './transforms.ts';
export {
  sgd,
  momentum,
  rmsprop,
  adam,
  adamw,
  type AdamOptions,
  type CommonOptions,
  type MomentumOptions,
  type RmspropOptions,
} from './optimizers.ts';
export {
  constantSchedule,
  stepSchedule,
  cosineSchedule,
  withWarmup,
  scheduleFromSpec,
  defineSchedule,
  registerSchedule,
  listSchedules,
  type Schedule,
  type ScheduleSpec,
  type ScheduleKind,
} from './schedules.ts';
export {
  optimizerFromSpec,
  defineOptimizer,
  registerOptimizer,
  listOptimizers,
  OPTIMIZER_NAMES,
  type OptimizerSpec,
  type OptimizerName,
  type OptimizerKind,
} from './spec.ts';
