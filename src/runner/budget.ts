// Equal-compute budgets: a trial trains until it has spent its budget — forward-pass equivalents
// (the rule's cost model, src/rules/cost.ts) or seconds of step wall time — and stops before the
// step that would overspend it. Epochs and maxSteps still bound it; the summary's stoppedBy says
// which limit ended training.
import { SpecError } from '../errors.ts';

export type Budget = { readonly forwardPasses: number } | { readonly wallSeconds: number };

/** What ended a trial's training when it finished: its epochs, maxSteps, or its budget. */
export type StopReason = 'epochs' | 'maxSteps' | 'budget.forwardPasses' | 'budget.wallSeconds';

const KEYS = ['forwardPasses', 'wallSeconds'] as const;
const show = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v)));

/** Check a spec's `budget` (at `field`): exactly one of forwardPasses or wallSeconds, a finite number > 0. */
export function validateBudget(field: string, v: unknown): Budget {
  const accepted = '{ forwardPasses: N } or { wallSeconds: S }';
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SpecError(`${field}: expected ${accepted}, got ${show(v)}`);
  const keys = Object.keys(v);
  const extra = keys.find((k) => !(KEYS as readonly string[]).includes(k));
  if (extra !== undefined) throw new SpecError(`${field}.${extra}: unknown key; a budget is ${accepted}`);
  if (keys.length !== 1)
    throw new SpecError(`${field}: expected one of forwardPasses or wallSeconds, got ${keys.length ? keys.join(' and ') : 'neither'}`);
  const key = keys[0] as (typeof KEYS)[number];
  const n = (v as Record<string, unknown>)[key];
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0)
    throw new SpecError(`${field}.${key}: expected a finite number > 0, got ${show(n)}`);
  return { [key]: n } as Budget;
}
