// Optimizers from declarative experiment specs: the optimizer kinds a spec names (sgd, momentum,
// rmsprop, adam, adamw; a user registers their own alike), each one definition of its fields and its
// builder, and the fields every optimizer takes (lr, schedule, weight decay, clipping).
import { SpecError } from '../errors.ts';
import { anything, field, isRecord, optional, parseFields, unknownKey, type Fields, type Parsed, type SpecOf } from '../fields.ts';
import { Registry } from '../registry.ts';
import type { Optimizer } from './chain.ts';
import { adam, adamw, momentum, rmsprop, sgd, type CommonOptions } from './optimizers.ts';
import { scheduleFromSpec, type ScheduleSpec } from './schedules.ts';

export interface OptimizerKind<N extends string = string, F extends Fields = Fields> {
  /** The spec's `name`. */
  readonly name: N;
  /** The spec's keys beyond the common ones (errors name them: optimizer adam: "beta1" …). */
  readonly fields: F;
  /** The optimizer, its rate already a schedule; throws SpecErrors naming the optimizer and field. */
  build(options: CommonOptions & Parsed<F>): Optimizer;
}

/** An optimizer kind with its spec type inferred (register it with registerOptimizer to use it in specs). */
export function defineOptimizer<const N extends string, F extends Fields>(kind: OptimizerKind<N, F>): OptimizerKind<N, F> {
  return kind;
}

/** Fields every optimizer takes; their numbers are checked by the optimizer (optimizers.ts). */
const COMMON = {
  /** Peak learning rate (the schedule scales it). */
  lr: field<number>((v, at) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new SpecError(`${at} must be a non-negative number, got ${JSON.stringify(v)}`);
    return v;
  }),
  schedule: optional(anything<ScheduleSpec>()),
  /** sgd/momentum/adam: L2 (wd·param added to the update); adamw: decoupled decay. */
  weightDecay: optional(anything<number>()),
  /** Clamp each update element to [−clipValue, clipValue] (applied first). */
  clipValue: optional(anything<number>()),
  /** Rescale all updates together so their global L2 norm is at most clipNorm. */
  clipNorm: optional(anything<number>()),
};

const ADAM_FIELDS = { beta1: optional(anything<number>()), beta2: optional(anything<number>()), eps: optional(anything<number>()) };

const BUILTIN_OPTIMIZERS = [
  defineOptimizer({ name: 'sgd', fields: {}, build: sgd }),
  defineOptimizer({
    name: 'momentum',
    fields: {
      /** μ in [0, 1); default 0.9. */
      momentum: optional(anything<number>()),
      /** Look ahead: step along g + μv instead of v. */
      nesterov: optional(
        field<boolean>((v, at) => {
          if (typeof v !== 'boolean') throw new SpecError(`${at} must be true or false, got ${JSON.stringify(v)}`);
          return v;
        }),
      ),
    },
    build: momentum,
  }),
  defineOptimizer({ name: 'rmsprop', fields: { alpha: optional(anything<number>()), eps: optional(anything<number>()) }, build: rmsprop }),
  defineOptimizer({ name: 'adam', fields: ADAM_FIELDS, build: adam }),
  defineOptimizer({ name: 'adamw', fields: ADAM_FIELDS, build: adamw }),
] as const;

type KindSpec<K> = K extends OptimizerKind<infer N, infer F> ? { name: N } & SpecOf<typeof COMMON> & SpecOf<F> : never;
/** An optimizer spec, for the built-in optimizers. */
export type OptimizerSpec = KindSpec<(typeof BUILTIN_OPTIMIZERS)[number]>;
export type OptimizerName = OptimizerSpec['name'];
/** The built-in optimizers' names. */
export const OPTIMIZER_NAMES: OptimizerName[] = BUILTIN_OPTIMIZERS.map((k) => k.name);

const kinds = new Registry<OptimizerKind>(
  'optimizer',
  { name: 'name', fields: 'fields', functions: ['build'], reserved: ['name', ...Object.keys(COMMON)] },
  BUILTIN_OPTIMIZERS as unknown as OptimizerKind[],
);

/** Make an optimizer kind usable in specs (returns it); call it from a spec file or a file it imports. */
export function registerOptimizer<const N extends string, F extends Fields>(kind: OptimizerKind<N, F>): OptimizerKind<N, F> {
  kinds.register(kind, 'registerOptimizer');
  return kind;
}

/** Every registered optimizer kind, built-ins first. */
export function listOptimizers(): OptimizerKind[] {
  return kinds.values();
}

/** Build an optimizer from a spec; a SpecError names any unknown optimizer, field or bad value. */
export function optimizerFromSpec(spec: OptimizerSpec): Optimizer {
  if (!isRecord(spec)) throw new SpecError(`optimizer: expected { name, lr, … }, got ${JSON.stringify(spec)}`);
  const s: Record<string, unknown> = spec;
  const kind = kinds.get(s.name);
  if (!kind) throw new SpecError(`optimizer: unknown name ${JSON.stringify(s.name)}; accepted: ${kinds.names().join(', ')}`);
  const accepted = ['name', ...Object.keys(COMMON), ...Object.keys(kind.fields)];
  const extra = unknownKey(s, accepted);
  if (extra !== undefined) throw new SpecError(`optimizer ${kind.name}: unknown field "${extra}"; accepted fields: ${accepted.join(', ')}`);
  const at = (k: string) => `optimizer ${kind.name}: "${k}"`;
  const common = parseFields(COMMON, s, at);
  const own = parseFields(kind.fields, s, at);
  return kind.build({ ...common, ...own, lr: scheduleFromSpec(common.lr, common.schedule) });
}
