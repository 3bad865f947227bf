// Rules by id. Built-ins register themselves when algorithms/index.ts is loaded; a user's rule
// file is loaded by path the same way (./load-rules.ts, Node), so both run identically.
import { SpecError } from '../errors.ts';
import { checkPrediction, type AnyRule, type LearningRule, type RuleOptions } from './rule.ts';
import { checkCostModel } from './cost.ts';
import { checkTuningDeclarations } from './search.ts';

const rules = new Map<string, AnyRule>();

/** Register a rule by its id. Another rule already holding the id is an error, never replaced. */
export function registerRule<S, O extends RuleOptions>(rule: LearningRule<S, O>, where = 'registerRule'): void {
  validateRuleShape(rule, where);
  const known = rules.get(rule.id);
  if (known && known !== (rule as unknown as AnyRule)) {
    throw new SpecError(`${where}: a rule with id "${rule.id}" is already registered (a built-in?); give this rule its own id`);
  }
  rules.set(rule.id, rule as unknown as AnyRule);
}

export function getRule(id: string): AnyRule {
  const r = rules.get(id);
  if (!r) throw new SpecError(`rule "${id}" is unknown; registered rules: ${[...rules.keys()].join(', ') || '(none)'}`);
  return r;
}

export function listRules(): AnyRule[] {
  return [...rules.values()];
}

/** Throws a SpecError naming `where` unless `rule` has a rule's shape and valid declarations. */
export function validateRuleShape(rule: unknown, where: string): asserts rule is AnyRule {
  const r = rule as Partial<AnyRule> | null;
  const problems: string[] = [];
  if (!r || typeof r !== 'object') throw new SpecError(`${where}: expected a rule object, got ${typeof rule}`);
  if (typeof r.id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(r.id)) problems.push('id must be a kebab-case string');
  if (typeof r.init !== 'function') problems.push('init must be a function');
  if (typeof r.step !== 'function') problems.push('step must be a function');
  if (typeof r.defaults !== 'object' || r.defaults === null) problems.push('defaults must be an object');
  if (r.exact !== undefined && typeof r.exact !== 'function') problems.push('exact must be a function of the options');
  if (problems.length) throw new SpecError(`${where}: not a learning rule (${problems.join('; ')})`);
  checkTuningDeclarations(r as AnyRule, where);
  checkCostModel(r as AnyRule, where);
  checkPrediction(r as AnyRule, where);
}

/**
 * Register every rule a loaded module exports (its default export, named exports that are rules,
 * and arrays of them) and return them; `where` names the file in any error. Node's loadRulesFrom
 * and the playground's rule-file loader both use it, so a rule file registers alike in both.
 */
export function registerRulesOf(mod: Record<string, unknown>, where: string): AnyRule[] {
  const found: AnyRule[] = [];
  for (const v of Object.values(mod)) {
    const cands = Array.isArray(v) ? v : [v];
    for (const c of cands) {
      if (c && typeof c === 'object' && 'id' in c && 'step' in c) {
        validateRuleShape(c, where);
        registerRule(c, where);
        if (!found.includes(c)) found.push(c);
      }
    }
  }
  if (!found.length) throw new SpecError(`${where}: exports no learning rule (an object with id, defaults, init and step)`);
  return found;
}
