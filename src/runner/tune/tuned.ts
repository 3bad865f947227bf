// Running tuned: each rule entry (each grid point) of a spec at the best configuration a
// `rulebench tune` directory found for it, marked with where it came from and with what budget.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpecError } from '../../errors.ts';
import type { OptimizerSpec } from '../../optim/index.ts';
import type { RuleOptions } from '../../rules/rule.ts';
import { cartesian, type ValidatedRule, type ValidatedSpec } from '../spec.ts';

export type { TunedEntry } from '../spec.ts';
import { refuseUntunable, unitKey } from './plan.ts';
import type { TuneFile } from './tune-file.ts';

export const TUNE_FILE = 'tune.json';

export function readTuneFile(dir: string, field: string): TuneFile {
  const path = join(dir, TUNE_FILE);
  if (!existsSync(path)) throw new SpecError(`${field}: ${path} does not exist; give the --out directory of a finished \`rulebench tune\``);
  let f: TuneFile;
  try {
    f = JSON.parse(readFileSync(path, 'utf8')) as TuneFile;
  } catch (e) {
    throw new SpecError(`${field}: ${path} is unreadable (${(e as Error).message})`);
  }
  if (!Array.isArray(f.entries) || typeof f.complete !== 'boolean')
    throw new SpecError(`${field}: ${path} is not a tune.json written by rulebench tune`);
  return f;
}

/** The spec with each entry (one per grid point) at its tuned configuration from `dir`. */
export function applyTuned(spec: ValidatedSpec, dir: string, shown = dir): ValidatedSpec {
  const field = 'tuned';
  refuseUntunable(spec, '--tuned');
  const f = readTuneFile(dir, field);
  if (!f.complete)
    throw new SpecError(
      `${field}: tuning in ${shown} has not finished; continue it with rulebench tune ${f.experiment.file} --out ${shown} --resume`,
    );
  const rules = spec.rules.flatMap((r, i) =>
    cartesian(r.grid).map((point): ValidatedRule => {
      const fixed: RuleOptions = { ...r.options, ...point };
      const key = unitKey(r.rule.id, r.preset, fixed);
      const e = f.entries.find((x) => x.key === key);
      if (!e)
        throw new SpecError(
          `${field}: ${shown}/${TUNE_FILE} has no tuned configuration for rules[${i}] (${key}); it holds: ${f.entries.map((x) => x.key).join('; ')}`,
        );
      if (!e.best)
        throw new SpecError(
          `${field}: tuning found no configuration of rules[${i}] (${key}) that trained (every one diverged); see ${shown}/${TUNE_FILE}`,
        );
      return {
        rule: r.rule,
        options: { ...fixed, ...e.best.options },
        grid: [],
        optimizer: e.best.optimizer as OptimizerSpec,
        ...(r.preset ? { preset: r.preset } : {}),
        // An equal-compute budget is part of the protocol, not of the configuration: it stays.
        ...(r.budget ? { budget: r.budget } : {}),
        tuned: {
          from: shown,
          key,
          options: Object.keys(e.best.options),
          optimizer: e.space.optimizer !== 'fixed',
          configurations: f.budget.configurations,
          rungs: f.halving.rungs.map((g) => g.steps),
          seeds: f.budget.seeds,
          metric: f.metric,
          score: e.best.score,
        },
      };
    }),
  );
  return { ...spec, rules };
}
