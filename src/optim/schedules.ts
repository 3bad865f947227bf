// Learning-rate schedules: pure functions of the 0-based step (the number of updates already
// applied), so a resumed or replayed run gets the same rate at the same step; and the schedule
// kinds a spec names (constant, step, multistep, cosine; a user registers their own alike), each
// one definition of its fields and its builder.
import { SpecError } from '../errors.ts';
import { anything, field, isRecord, optional, parseFields, unknownKey, type Fields, type Parsed, type SpecOf } from '../fields.ts';
import { Registry } from '../registry.ts';

export type Schedule = (step: number) => number;

export const constantSchedule =
  (lr: number): Schedule =>
  () =>
    lr;

/** lr · gamma^⌊step / every⌋ (PyTorch StepLR). */
export function stepSchedule(lr: number, every: number, gamma: number): Schedule {
  return (step) => lr * gamma ** Math.floor(step / every);
}

/** Half-cosine from lr at step 0 down to minLr at totalSteps, then held at minLr. */
export function cosineSchedule(lr: number, totalSteps: number, minLr = 0): Schedule {
  return (step) => (step >= totalSteps ? minLr : minLr + (lr - minLr) * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps)));
}

/**
 * Linear warmup into `after`: step s < warmupSteps gets after(0)·(s+1)/warmupSteps (so the
 * very first update already moves), then after(s − warmupSteps).
 */
export function withWarmup(after: Schedule, warmupSteps: number): Schedule {
  if (warmupSteps <= 0) return after;
  return (step) => (step < warmupSteps ? (after(0) * (step + 1)) / warmupSteps : after(step - warmupSteps));
}

export interface ScheduleKind<K extends string = string, F extends Fields = Fields> {
  /** The spec's `kind`. */
  readonly kind: K;
  /** The spec's keys besides kind and warmupSteps (errors name them: optimizer schedule: "every" …). */
  readonly fields: F;
  /** The schedule after the warmup, from peak rate `lr` (checks across fields throw SpecErrors). */
  build(spec: Parsed<F>, lr: number, warmupSteps: number): Schedule;
}

/** A schedule kind with its spec type inferred (register it with registerSchedule to use it in specs). */
export function defineSchedule<const K extends string, F extends Fields>(kind: ScheduleKind<K, F>): ScheduleKind<K, F> {
  return kind;
}

export function checkScheduleNumber(field: string, v: unknown, ok: (v: number) => boolean, what: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new SpecError(`optimizer schedule: "${field}" must be ${what}, got ${JSON.stringify(v)}`);
  return v;
}

/** A number field of a schedule spec, `what` saying what it must be. */
export const scheduleNumber = (ok: (v: number) => boolean, what: string) => field<number>((v, at) => checkScheduleNumber(at, v, ok, what));

const intAtLeast = (n: number) => (v: number) => Number.isInteger(v) && v >= n;
const factor = scheduleNumber((v) => v > 0 && v <= 1, 'in (0, 1]');

const constant = defineSchedule({ kind: 'constant', fields: {}, build: (_s, lr) => constantSchedule(lr) });

const step = defineSchedule({
  kind: 'step',
  fields: { every: scheduleNumber(intAtLeast(1), 'a positive integer'), gamma: factor },
  build: ({ every, gamma }, lr) => stepSchedule(lr, every, gamma),
});

/** × gamma at each milestone step (PyTorch's MultiStepLR, counted in steps). */
const multistep = defineSchedule({
  kind: 'multistep',
  fields: {
    milestones: field<number[]>((m, at) => {
      if (!Array.isArray(m) || m.length === 0 || !m.every((v, i) => Number.isInteger(v) && v >= 1 && (i === 0 || v > m[i - 1]))) {
        throw new SpecError(`optimizer schedule: "${at}" must be increasing positive step counts, got ${JSON.stringify(m)}`);
      }
      return m;
    }),
    gamma: factor,
  },
  build:
    ({ milestones, gamma }, lr) =>
    (s) =>
      lr * gamma ** milestones.filter((x) => s >= x).length,
});

/** totalSteps counts the warmup too: the cosine spans totalSteps − warmupSteps. */
const cosine = defineSchedule({
  kind: 'cosine',
  // Both are checked against other numbers (the warmup, the peak rate) when built.
  fields: { totalSteps: anything<number>(), minLr: optional(anything<number>()) },
  build({ totalSteps, minLr }, lr, warmup) {
    const total = checkScheduleNumber('totalSteps', totalSteps, intAtLeast(warmup + 1), `an integer greater than warmupSteps (${warmup})`);
    const floor = minLr === undefined ? 0 : checkScheduleNumber('minLr', minLr, (v) => v >= 0 && v <= lr, `in [0, lr = ${lr}]`);
    return cosineSchedule(lr, total - warmup, floor);
  },
});

const BUILTIN_SCHEDULES = [constant, step, multistep, cosine] as const;

type KindSpec<S> = S extends ScheduleKind<infer K, infer F> ? { kind: K; warmupSteps?: number } & SpecOf<F> : never;
/** A schedule spec, for the built-in kinds. */
export type ScheduleSpec = KindSpec<(typeof BUILTIN_SCHEDULES)[number]>;

const kinds = new Registry<ScheduleKind>(
  'schedule kind',
  { name: 'kind', fields: 'fields', functions: ['build'], reserved: ['kind', 'warmupSteps'] },
  BUILTIN_SCHEDULES as unknown as ScheduleKind[],
);

/** Make a schedule kind usable in specs (returns it); call it from a spec file or a file it imports. */
export function registerSchedule<const K extends string, F extends Fields>(kind: ScheduleKind<K, F>): ScheduleKind<K, F> {
  kinds.register(kind, 'registerSchedule');
  return kind;
}

/** Every registered schedule kind, built-ins first. */
export function listSchedules(): ScheduleKind[] {
  return kinds.values();
}

const warmupSteps = optional(scheduleNumber(intAtLeast(0), 'a non-negative integer'), 0);

/** A schedule from its spec, with the peak rate `lr`. */
export function scheduleFromSpec(lr: number, spec: ScheduleSpec | undefined): Schedule {
  if (spec === undefined) return constantSchedule(lr);
  if (!isRecord(spec)) throw new SpecError(`optimizer schedule: expected { kind, … }, got ${JSON.stringify(spec)}`);
  const s: Record<string, unknown> = spec;
  const kind = kinds.get(s.kind);
  if (!kind) throw new SpecError(`optimizer schedule: unknown kind ${JSON.stringify(s.kind)}; accepted: ${kinds.names().join(', ')}`);
  const accepted = ['kind', ...Object.keys(kind.fields), 'warmupSteps'];
  const extra = unknownKey(s, accepted);
  if (extra !== undefined)
    throw new SpecError(`optimizer schedule "${kind.kind}": unknown field "${extra}"; accepted: ${accepted.join(', ')}`);
  const warmup = warmupSteps.parse(s.warmupSteps, 'warmupSteps');
  return withWarmup(
    kind.build(
      parseFields(kind.fields, s, (k) => k),
      lr,
      warmup,
    ),
    warmup,
  );
}
