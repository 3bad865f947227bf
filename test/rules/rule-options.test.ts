// A rule's options are its defaults overridden by what it is given, in the defaults' key order
// (records and trial ids hash them), whatever order the overrides come in.
import { describe, expect, it } from 'vitest';
import { ruleOptions } from '../../src/index.ts';

describe('ruleOptions', () => {
  it('fills what is not given from the defaults, keeping their key order', () => {
    const rule = { defaults: { variant: 'fa', init: 'model', scale: 'init' } };
    const o = ruleOptions(rule, { scale: 'current', variant: 'usf' });
    expect(o).toEqual({ variant: 'usf', init: 'model', scale: 'current' });
    expect(JSON.stringify(o)).toBe('{"variant":"usf","init":"model","scale":"current"}');
    expect(ruleOptions(rule)).toEqual(rule.defaults);
    expect(ruleOptions(rule)).not.toBe(rule.defaults);
  });
});
