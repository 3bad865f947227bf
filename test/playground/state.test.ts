// The playground's state in the URL hash: every key round-trips in a fixed order, absent keys
// keep their defaults, and a bad value or an unknown key is refused naming it.
import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, formatState, parseState, ruleEntry } from '../../playground/src/state.ts';

describe('playground state', () => {
  it('round-trips through the hash, every key in a fixed order', () => {
    const s = {
      ...DEFAULT_STATE,
      seed: 9,
      data: 'xor' as const,
      hidden: [3, 4, 5],
      activation: 'relu',
      l2: 0.01,
      rules: ['backprop', 'mezo'],
    };
    const h = formatState(s);
    expect(h).toBe(
      'seed=9&data=xor&noise=0.1&inputs=x1%2Cx2&points=400&train=0.5&net=mlp&hidden=3%2C4%2C5&act=relu&lr=0.1&l2=0.01&clip=0&batch=16&rules=backprop%2Cmezo',
    );
    expect(parseState(h)).toEqual(s);
    expect(parseState(`#${h}`)).toEqual(s);
    expect(parseState('')).toEqual(DEFAULT_STATE);
    expect(parseState('hidden=').hidden).toEqual([]);
  });

  it('refuses a bad value or an unknown key, naming it', () => {
    expect(() => parseState('lr=0')).toThrow('lr: expected a number in [0.00001, 10], got "0"');
    expect(() => parseState('points=12.5')).toThrow(/^points: expected an integer/);
    expect(() => parseState('data=moons')).toThrow(
      'data: expected one of circle, xor, gaussians, spirals, plane, bumps, mnist, got "moons"',
    );
    expect(() => parseState('hidden=4,x')).toThrow(/^hidden\[1\]: expected an integer/);
    expect(() => parseState('hidden=1,1,1,1,1,1,1')).toThrow('hidden: at most 6 layers, got 7');
    expect(parseState('rules=a,b,c').rules).toEqual(['a', 'b', 'c']);
    expect(() => parseState('rules=')).toThrow('rules: expected 1 to 3 rule ids, got ""');
    expect(() => parseState('rules=a,b,c,d')).toThrow('rules: expected 1 to 3 rule ids, got "a,b,c,d"');
    expect(() => parseState('rules=a,a')).toThrow('rules: each rule once, got "a,a"');
    expect(() => parseState('rules=Back Prop')).toThrow('rules: "Back Prop" is not a rule id (or id:option=value;…)');
    expect(parseState('rules=backprop,backprop:checkpoint=-1;truncate=2').rules).toEqual(['backprop', 'backprop:checkpoint=-1;truncate=2']);
    expect(ruleEntry('backprop:checkpoint=-1;x=true;y=sign')).toEqual({
      rule: 'backprop',
      options: { checkpoint: -1, x: true, y: 'sign' },
    });
    expect(() => parseState('rules=backprop:checkpoint')).toThrow('rules: "backprop:checkpoint": expected option=value, got "checkpoint"');
    expect(() => parseState('net=lenet5')).toThrow('net: lenet5 reads images; data=circle is points on a plane');
    expect(() => parseState('clip=-1')).toThrow('clip: expected a number in [0, 1000], got "-1"');
    expect(parseState('inputs=sin(x2),x1').inputs).toEqual(['sin(x2)', 'x1']);
    expect(() => parseState('inputs=x1,cos(x1)')).toThrow(
      'inputs[1]: expected one of x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2), got "cos(x1)"',
    );
    expect(() => parseState('inputs=x1,x1')).toThrow(/^inputs: expected one or more of .*, each once, got "x1,x1"/);
    expect(() => parseState('speed=3')).toThrow(/^speed: unknown key; known: seed, data/);
  });
});
