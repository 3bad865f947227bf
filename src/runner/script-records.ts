// What an experiment script (one that measures rather than trains trials through the runner)
// leaves in its results directory: its rows as records.jsonl, written atomically, and an
// experiment.json naming it and its setup, so `rulebench report` and the docs tables read it as
// they read a run's directory.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './records.ts';

export interface ScriptRun {
  name: string;
  description: string;
  spec: unknown;
  /** Its trials with their rule entries (`spec.rules` indices), when entries share a rule and options: the report keeps them apart. */
  trials?: Array<{ id: string; rule: string; options: unknown; seed: number; entry?: number }>;
}

/** Write `rows` and the run's experiment.json into `out`; returns the records file's path. */
export function writeScriptRecords(out: string, rows: readonly object[], run: ScriptRun): string {
  mkdirSync(out, { recursive: true });
  const file = join(out, 'records.jsonl');
  writeFileAtomic(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const info = {
    name: run.name,
    description: run.description,
    spec: run.spec,
    rules: [],
    trials: run.trials ?? [],
    overrides: null,
    references: [],
  };
  writeFileAtomic(join(out, 'experiment.json'), JSON.stringify(info, null, 2) + '\n');
  return file;
}
