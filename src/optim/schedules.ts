// Learning-rate schedules: pure functions of the 0-based step (the number of updates already
// applied), so a resumed or replayed run gets the same rate at the same step.
import { SpecError } from '../errors.ts';

export type Schedule = (step: number) => number;

export const constantSchedule = (lr: number): Schedule => () => lr;

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

export type ScheduleSpec =
  | { kind: 'constant'; warmupSteps?: number }
  | { kind: 'step'; every: number; gamma: number; warmupSteps?: number }
  /** × gamma at each milestone step (PyTorch's MultiStepLR, counted in steps). */
  | { kind: 'multistep'; milestones: number[]; gamma: number; warmupSteps?: number }
  /** totalSteps counts the warmup too: the cosine spans totalSteps − warmupSteps. */
  | { kind: 'cosine'; totalSteps: number; minLr?: number; warmupSteps?: number };

const FIELDS: Record<ScheduleSpec['kind'], { required: string[]; optional: string[] }> = {
  constant: { required: [], optional: ['warmupSteps'] },
  step: { required: ['every', 'gamma'], optional: ['warmupSteps'] },
  multistep: { required: ['milestones', 'gamma'], optional: ['warmupSteps'] },
  cosine: { required: ['totalSteps'], optional: ['minLr', 'warmupSteps'] },
};

function num(spec: Record<string, unknown>, field: string, ok: (v: number) => boolean, what: string): number {
  const v = spec[field];
  if (typeof v !== 'number' || !ok(v)) throw new SpecError(`optimizer schedule: "${field}" must be ${what}, got ${JSON.stringify(v)}`);
  return v;
}

/** A schedule from its spec, with the peak rate `lr`. */
export function scheduleFromSpec(lr: number, spec: ScheduleSpec | undefined): Schedule {
  if (spec === undefined) return constantSchedule(lr);
  const s = spec as unknown as Record<string, unknown>;
  const kind = s.kind as ScheduleSpec['kind'];
  const fields = Object.hasOwn(FIELDS, String(kind)) ? FIELDS[kind] : undefined;
  if (!fields) {
    throw new SpecError(`optimizer schedule: unknown kind ${JSON.stringify(s.kind)}; accepted: ${Object.keys(FIELDS).join(', ')}`);
  }
  for (const k of Object.keys(s)) {
    if (k !== 'kind' && !fields.required.includes(k) && !fields.optional.includes(k)) {
      throw new SpecError(`optimizer schedule "${kind}": unknown field "${k}"; accepted: ${['kind', ...fields.required, ...fields.optional].join(', ')}`);
    }
  }
  const intAtLeast = (n: number) => (v: number) => Number.isInteger(v) && v >= n;
  const warmup = s.warmupSteps === undefined ? 0 : num(s, 'warmupSteps', intAtLeast(0), 'a non-negative integer');
  let after: Schedule;
  if (kind === 'constant') after = constantSchedule(lr);
  else if (kind === 'step') {
    after = stepSchedule(lr, num(s, 'every', intAtLeast(1), 'a positive integer'), num(s, 'gamma', (v) => v > 0 && v <= 1, 'in (0, 1]'));
  } else if (kind === 'multistep') {
    const m = s.milestones;
    if (!Array.isArray(m) || m.length === 0 || !m.every((v, i) => Number.isInteger(v) && v >= 1 && (i === 0 || v > m[i - 1]))) {
      throw new SpecError(`optimizer schedule: "milestones" must be increasing positive step counts, got ${JSON.stringify(m)}`);
    }
    const gamma = num(s, 'gamma', (v) => v > 0 && v <= 1, 'in (0, 1]');
    after = (step) => lr * gamma ** (m as number[]).filter((x) => step >= x).length;
  } else {
    const total = num(s, 'totalSteps', intAtLeast(warmup + 1), `an integer greater than warmupSteps (${warmup})`);
    const minLr = s.minLr === undefined ? 0 : num(s, 'minLr', (v) => v >= 0 && v <= lr, `in [0, lr = ${lr}]`);
    after = cosineSchedule(lr, total - warmup, minLr);
  }
  return withWarmup(after, warmup);
}
