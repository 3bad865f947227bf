// Optimizers from declarative experiment specs, validated field by field.
import { SpecError } from '../errors.ts';
import { adam, adamw, momentum, sgd } from './optimizers.ts';
import type { Optimizer } from './chain.ts';
import { scheduleFromSpec, type ScheduleSpec } from './schedules.ts';

export type OptimizerName = 'sgd' | 'momentum' | 'adam' | 'adamw';

export interface OptimizerSpec {
  name: OptimizerName;
  /** Peak learning rate (the schedule scales it). */
  lr: number;
  schedule?: ScheduleSpec;
  weightDecay?: number;
  clipValue?: number;
  clipNorm?: number;
  /** momentum only */
  momentum?: number;
  nesterov?: boolean;
  /** adam, adamw only */
  beta1?: number;
  beta2?: number;
  eps?: number;
}

const COMMON = ['name', 'lr', 'schedule', 'weightDecay', 'clipValue', 'clipNorm'];
const FIELDS: Record<OptimizerName, string[]> = {
  sgd: COMMON,
  momentum: [...COMMON, 'momentum', 'nesterov'],
  adam: [...COMMON, 'beta1', 'beta2', 'eps'],
  adamw: [...COMMON, 'beta1', 'beta2', 'eps'],
};
export const OPTIMIZER_NAMES = Object.keys(FIELDS) as OptimizerName[];

/** Build an optimizer from a spec; a SpecError names any unknown optimizer, field or bad value. */
export function optimizerFromSpec(spec: OptimizerSpec): Optimizer {
  const s = spec as unknown as Record<string, unknown>;
  const name = s.name as OptimizerName;
  if (typeof name !== 'string' || !Object.hasOwn(FIELDS, name)) {
    throw new SpecError(`optimizer: unknown name ${JSON.stringify(s.name)}; accepted: ${OPTIMIZER_NAMES.join(', ')}`);
  }
  for (const k of Object.keys(s)) {
    if (!FIELDS[name].includes(k)) {
      throw new SpecError(`optimizer ${name}: unknown field "${k}"; accepted fields: ${FIELDS[name].join(', ')}`);
    }
  }
  if (typeof s.lr !== 'number' || !Number.isFinite(s.lr) || s.lr < 0) {
    throw new SpecError(`optimizer ${name}: "lr" must be a non-negative number, got ${JSON.stringify(s.lr)}`);
  }
  if (s.nesterov !== undefined && typeof s.nesterov !== 'boolean') {
    throw new SpecError(`optimizer ${name}: "nesterov" must be true or false, got ${JSON.stringify(s.nesterov)}`);
  }
  const opts = { ...spec, lr: scheduleFromSpec(spec.lr, spec.schedule) };
  switch (name) {
    case 'sgd': return sgd(opts);
    case 'momentum': return momentum(opts);
    case 'adam': return adam(opts);
    case 'adamw': return adamw(opts);
  }
}
