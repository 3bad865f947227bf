// The optimizers in one import: init/update pairs, clipping helpers, schedules, specs.
export {
  globalNorm, releaseState, makeOptimizer, type Optimizer, type OptState, type CommonOptions, type Kernel,
} from './optimizer.ts';
export { sgd, momentum, type MomentumOptions } from './sgd.ts';
export { adam, adamw, type AdamOptions } from './adam.ts';
export {
  constantSchedule, stepSchedule, cosineSchedule, withWarmup, scheduleFromSpec, type Schedule, type ScheduleSpec,
} from './schedules.ts';
export { optimizerFromSpec, OPTIMIZER_NAMES, type OptimizerSpec, type OptimizerName } from './spec.ts';
