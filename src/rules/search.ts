// Checking what a rule declares for tuning (its search space, its presets; the types are in
// rule.ts), run when the rule is registered so a bad range is named before anything trains; and
// the value a search dimension takes at a sampler's coordinate.
import { SpecError } from '../errors.ts';
import type { Dimension, OptionValue, RuleOptions } from './rule.ts';

const show = (v: unknown) => JSON.stringify(v) ?? String(v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A range [lo, hi] of finite numbers with lo ≤ hi (and lo > 0 on a log scale). */
function checkRange(at: string, r: unknown, log: boolean, integer: boolean): void {
  const ok =
    Array.isArray(r) &&
    r.length === 2 &&
    r.every((x) => typeof x === 'number' && Number.isFinite(x) && (!integer || Number.isInteger(x))) &&
    r[0] <= r[1];
  if (!ok) throw new SpecError(`${at}: expected [low, high] with low ≤ high${integer ? ', integers' : ''}, got ${show(r)}`);
  if (log && (r as number[])[0] <= 0) throw new SpecError(`${at}: a log range needs low > 0, got ${show(r)}`);
}

/** Check one dimension of option `key` against the rule's default (its type) and choices. */
export function checkDimension(at: string, d: unknown, def: OptionValue, choices?: readonly string[]): void {
  if (!isRecord(d)) throw new SpecError(`${at}: expected { float: [lo, hi] }, { int: [lo, hi] } or { choice: [...] }, got ${show(d)}`);
  const kinds = ['float', 'int', 'choice'].filter((k) => k in d);
  const extra = Object.keys(d).find((k) => !['float', 'int', 'choice', 'log'].includes(k));
  if (kinds.length !== 1 || extra !== undefined)
    throw new SpecError(`${at}: expected exactly one of float, int or choice (and log), got keys ${Object.keys(d).join(', ')}`);
  if (d.log !== undefined && (typeof d.log !== 'boolean' || 'choice' in d))
    throw new SpecError(`${at}.log: a boolean on a float or int range, got ${show(d.log)}`);
  if ('choice' in d) {
    const vs = d.choice;
    if (!Array.isArray(vs) || vs.length === 0) throw new SpecError(`${at}.choice: expected a non-empty list, got ${show(vs)}`);
    for (const v of vs) {
      if (typeof v !== typeof def) throw new SpecError(`${at}.choice: ${show(v)} is not a ${typeof def} like the default ${show(def)}`);
      if (choices && !choices.includes(v as string))
        throw new SpecError(`${at}.choice: ${show(v)} is not accepted; choices: ${choices.join(', ')}`);
    }
    return;
  }
  if (typeof def !== 'number')
    throw new SpecError(`${at}: a numeric range for an option whose default is ${show(def)}; use { choice: [...] }`);
  const integer = 'int' in d;
  checkRange(`${at}.${integer ? 'int' : 'float'}`, integer ? d.int : d.float, d.log === true, integer);
}

/** Check a rule's `search` and `presets` declarations (called when the rule is registered). */
export function checkTuningDeclarations(
  rule: { id: string; defaults: RuleOptions; choices?: Record<string, readonly string[] | undefined>; search?: unknown; presets?: unknown },
  where: string,
): void {
  const at = `${where}: rule "${rule.id}"`;
  if (rule.search !== undefined) {
    if (!isRecord(rule.search)) throw new SpecError(`${at}: search must map option names to ranges, got ${show(rule.search)}`);
    for (const [k, d] of Object.entries(rule.search)) {
      if (!Object.hasOwn(rule.defaults, k))
        throw new SpecError(`${at}: search.${k} names no option; its options: ${Object.keys(rule.defaults).join(', ') || '(none)'}`);
      checkDimension(`${at}: search.${k}`, d, rule.defaults[k], rule.choices?.[k]);
    }
  }
  if (rule.presets !== undefined) {
    if (!isRecord(rule.presets))
      throw new SpecError(`${at}: presets must map names to { options, optimizer, source }, got ${show(rule.presets)}`);
    for (const [name, p] of Object.entries(rule.presets)) {
      const pat = `${at}: presets.${name}`;
      if (!isRecord(p) || typeof p.source !== 'string' || !p.source)
        throw new SpecError(`${pat}: expected { options?, optimizer?, source } with a source saying where the protocol comes from`);
      const extra = Object.keys(p).find((k) => !['options', 'optimizer', 'source'].includes(k));
      if (extra !== undefined) throw new SpecError(`${pat}.${extra}: unknown key; accepted keys: options, optimizer, source`);
      if (p.options !== undefined && !isRecord(p.options))
        throw new SpecError(`${pat}.options: expected an object, got ${show(p.options)}`);
      for (const k of Object.keys(p.options ?? {}))
        if (!Object.hasOwn(rule.defaults, k)) throw new SpecError(`${pat}.options.${k}: names no option of the rule`);
      if (p.optimizer !== undefined && !isRecord(p.optimizer) && typeof p.optimizer !== 'function')
        throw new SpecError(`${pat}.optimizer: expected an optimizer spec or a function of { stepsPerEpoch }`);
    }
  }
}

/** The value of dimension `d` at coordinate u ∈ [0, 1). */
export function valueAt(d: Dimension, u: number): OptionValue {
  if ('choice' in d) return d.choice[Math.min(d.choice.length - 1, Math.floor(u * d.choice.length))];
  const [lo, hi] = 'int' in d ? d.int : d.float;
  if ('int' in d) {
    // Every integer in [lo, hi] gets an equal share of [0, 1) (on a log scale, of log [lo, hi + 1)).
    const v = d.log ? Math.floor(lo * ((hi + 1) / lo) ** u) : Math.floor(lo + u * (hi - lo + 1));
    return Math.min(hi, Math.max(lo, v));
  }
  return d.log ? lo * (hi / lo) ** u : lo + u * (hi - lo);
}
