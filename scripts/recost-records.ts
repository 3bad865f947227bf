// Brings a results directory's cost fields up to the current cost model (src/rules/cost.ts), as a
// rerun at this commit would write them: each trial's per-step cost from its rule, options, model
// and batch size (the directory's experiment.json, its trials rebuilt as the runner expands them),
// accumulated step by step as the cost observer does (`spent += perStep`). Only the cost fields of
// lines whose figures moved are rewritten; every other byte stays. A trial whose cost decides when
// it stops (a forwardPasses budget) would train a different number of steps, so it is refused:
// it needs a real rerun.
//   npx tsx scripts/recost-records.ts <results dir> [--check]
//     --check: write nothing; exit 1 listing the trials whose cost fields are stale.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Model } from '../src/nn/model.ts';
import { getRule } from '../src/rules/registry.ts';
import { ruleOptions, type RuleOptions } from '../src/rules/rule.ts';
import { loadBuiltins, loadExperiment } from '../src/runner/execute.ts';
import type { Manifest } from '../src/runner/manifest.ts';
import { trialStepCost } from '../src/runner/observers/cost.ts';
import { trainedModel } from '../src/runner/preflight.ts';
import { canonical, expandTrials, type RunOverrides, type Trial, type ValidatedSpec } from '../src/runner/spec.ts';
import { prepareTrial } from '../src/runner/trial.ts';

type Rec = Record<string, unknown> & { type?: string; trial?: string; step?: number; steps?: number };
type Cost = { forwardPasses: number; forwardPassesPerStep?: number };

/** One record file: its lines as read, and the parsed records (null for a blank line). */
interface RecordFile {
  path: string;
  lines: string[];
  records: Array<Rec | null>;
}

/** A trial whose cost fields moved: per step before and after, and where its records lie. */
export interface StaleTrial {
  trial: string;
  rule: string;
  file: string;
  oldPerStep: number;
  newPerStep: number;
}

/** What recostDir found (and, unless checking, wrote). */
export interface Recost {
  trials: number;
  /** Record trial ids whose options gained a default since: rebuilt as the trial a rerun would run (its id). */
  moved: Map<string, string>;
  stale: StaleTrial[];
  written: string[];
}

/** The records' files of a results directory: records/*.jsonl (partials too), or one records.jsonl. */
function recordFiles(dir: string): string[] {
  const sub = join(dir, 'records');
  if (existsSync(sub) && statSync(sub).isDirectory())
    return readdirSync(sub)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()
      .map((f) => join(sub, f));
  const one = join(dir, 'records.jsonl');
  if (existsSync(one)) return [one];
  throw new Error(`${dir}: no records/ directory and no records.jsonl`);
}

function readRecords(path: string): RecordFile {
  const lines = readFileSync(path, 'utf8').split('\n');
  const records = lines.map((l, i) => {
    if (!l.trim()) return null;
    try {
      return JSON.parse(l) as Rec;
    } catch {
      throw new Error(`${path}:${i + 1}: not a JSON line`);
    }
  });
  return { path, lines, records };
}

/** A run directory's manifest, read. */
function readManifest(dir: string): Manifest {
  const path = join(dir, 'experiment.json');
  if (!existsSync(path)) throw new Error(`${path}: no such file (not a run directory)`);
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw new Error(`${path}: unreadable (${(e as Error).message})`);
  }
  const spec = m.spec as { rules?: unknown; seeds?: unknown };
  if (!Array.isArray(spec?.rules) || !Array.isArray(spec.seeds) || !Array.isArray(m.trials))
    throw new Error(`${path}: no spec.rules, spec.seeds or trials (not a runner's manifest)`);
  return m;
}

/** The manifest's spec's trials, expanded as the runner expands them (an entry's own budget is not in the manifest). */
function manifestTrials(dir: string, m: Manifest): Trial[] {
  const spec = m.spec as Record<string, unknown> & { rules: Array<Record<string, unknown>>; debug?: boolean };
  type Entry = ValidatedSpec['rules'][number];
  const rules = spec.rules.map((r, i): Entry => {
    const id = String(r.rule);
    let rule;
    try {
      rule = getRule(id);
    } catch {
      throw new Error(
        `${join(dir, 'experiment.json')}: spec.rules[${i}].rule "${id}" is not a built-in rule; its records cannot be rebuilt here`,
      );
    }
    return {
      rule,
      options: (r.options ?? {}) as Entry['options'],
      grid: Object.entries((r.grid ?? {}) as Record<string, never[]>),
      optimizer: r.optimizer as Entry['optimizer'],
      ...(r.adapters ? { adapters: r.adapters as Entry['adapters'] } : {}),
      ...(r.distill ? { distill: r.distill as Entry['distill'] } : {}),
    };
  });
  return expandTrials({ ...(spec as unknown as ValidatedSpec), rules }, spec.debug ?? false);
}

/**
 * Each record trial's rebuilt trial, by id: the manifest's spec expanded, or the experiment file
 * loaded with the manifest's overrides (it holds an entry's own budget). A trial whose options
 * gained a default since (so its id moved) is matched through the manifest's trial list: the
 * same entry and seed, its options under today's defaults, as a rerun would run it.
 */
async function rebuildTrials(dir: string, ids: ReadonlySet<string>): Promise<{ trials: Map<string, Trial>; moved: Map<string, string> }> {
  const m = readManifest(dir);
  const expanded = manifestTrials(dir, m);
  const trials = new Map(expanded.map((t) => [t.id, t]));
  const moved = new Map<string, string>();
  if ([...ids].every((id) => trials.has(id))) return { trials, moved };
  try {
    const loaded = await loadExperiment(m.experiment, m.overrides as RunOverrides);
    for (const t of loaded.trials) if (!trials.has(t.id)) trials.set(t.id, t);
  } catch {
    // The file moved or no longer loads: the manifest alone rebuilds what it can.
  }
  for (const id of ids) {
    const listed = m.trials.find((t) => t.id === id);
    if (trials.has(id) || !listed || listed.entry === undefined) continue;
    const rule = expanded.find((t) => t.entry === listed.entry)?.rule;
    if (!rule) continue;
    const options = canonical(ruleOptions(rule, listed.options as RuleOptions));
    const now = expanded.find((t) => t.entry === listed.entry && t.config.seed === listed.seed && canonical(t.config.options) === options);
    if (now) {
      trials.set(id, now);
      moved.set(id, now.id);
    }
  }
  return { trials, moved };
}

/** The model a trial trains, as the runner's preflight builds it (its data's shapes; adapters on a frozen draw of the base). */
function trialModel(t: Trial, built: Map<string, Model>): Model {
  const c = t.config;
  const key = canonical({ data: c.data, task: c.task, model: c.model, adapters: c.adapters });
  let model = built.get(key);
  if (!model) {
    model = trainedModel(prepareTrial(c).model, c.adapters).model;
    built.set(key, model);
  }
  return model;
}

/** `perStep` added `steps` times, as the cost observer adds it after each step. */
export function spentAfter(perStep: number, steps: number): number {
  let spent = 0;
  for (let i = 0; i < steps; i++) spent += perStep;
  return spent;
}

const stepsOf = (r: Rec) => (r.type === 'summary' ? r.steps : r.step);

/**
 * Recompute the cost fields of every trial of `dir` under the current cost model; unless `check`,
 * rewrite the lines whose figures moved. Every trial is rebuilt and checked before anything is
 * written; a problem throws, naming the path.
 */
export async function recostDir(dir: string, check: boolean): Promise<Recost> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: no such results directory`);
  await loadBuiltins();
  const files = recordFiles(dir).map(readRecords);
  const ids = new Set(files.flatMap((f) => f.records.flatMap((r) => (r?.cost && r.trial !== undefined ? [r.trial] : []))));
  const { trials, moved } = await rebuildTrials(dir, ids);
  const built = new Map<string, Model>();
  const perStepOf = new Map<string, number>();
  const stale = new Map<string, StaleTrial>();
  const edits: Array<{ file: RecordFile; line: number; rec: Rec }> = [];
  for (const file of files) {
    // Each trial's old per-step figure: its summary's, else its first eval's after a step.
    const old = new Map<string, number>();
    for (const r of file.records) {
      const cost = r?.cost as Cost | undefined;
      if (r?.type === 'summary' && cost && cost.forwardPassesPerStep) old.set(r.trial!, cost.forwardPassesPerStep);
    }
    for (const r of file.records) {
      const cost = r?.cost as Cost | undefined;
      if (r?.type === 'eval' && cost && (r.step ?? 0) > 0 && !old.has(r.trial!)) old.set(r.trial!, cost.forwardPasses / r.step!);
    }
    for (const [i, r] of file.records.entries()) {
      const cost = r?.cost as Cost | undefined;
      if (!r || !cost) continue;
      const where = `${file.path}:${i + 1}`;
      const id = r.trial;
      const t = id === undefined ? undefined : trials.get(id);
      if (!t)
        throw new Error(
          `${where}: trial ${String(id)} (rule ${String(r.rule)}) is not among experiment.json's trials as this commit expands them; it cannot be rebuilt`,
        );
      let perStep = perStepOf.get(t.id);
      if (perStep === undefined) {
        perStep = trialStepCost(t.rule, ruleOptions(t.rule, t.config.options), trialModel(t, built), t.config.batchSize);
        perStepOf.set(t.id, perStep);
      }
      // A failed trial's summary (written by the runner, not the cost observer) spends nothing.
      if (r.type === 'summary' && !cost.forwardPassesPerStep) continue;
      const steps = stepsOf(r);
      const was = old.get(id!) ?? 0;
      // The old figures must be the old per-step cost accumulated step by step, or this is no recosting.
      if (typeof steps !== 'number' || spentAfter(was, steps) !== cost.forwardPasses)
        throw new Error(
          `${where}: cost.forwardPasses ${cost.forwardPasses} is not ${was} a step over ${String(steps)} steps; these records cannot be recosted`,
        );
      if (was === perStep) continue;
      if (t.config.budget && 'forwardPasses' in t.config.budget)
        throw new Error(
          `${where}: trial ${t.id} (rule ${t.rule.id}) stops at budget.forwardPasses, so its cost (${was} → ${perStep} a step) moves its steps; it needs a real rerun`,
        );
      // The line is rewritten whole: it must be what JSON.stringify makes of it, so only the cost moves.
      if (JSON.stringify(r) !== file.lines[i])
        throw new Error(`${where}: the line is not in the runner's JSON form; rewriting it would change more than its cost`);
      if (!stale.has(t.id)) stale.set(t.id, { trial: t.id, rule: t.rule.id, file: file.path, oldPerStep: was, newPerStep: perStep });
      const next: Cost =
        r.type === 'summary'
          ? { forwardPasses: spentAfter(perStep, steps), forwardPassesPerStep: perStep }
          : { forwardPasses: spentAfter(perStep, steps) };
      edits.push({ file, line: i, rec: { ...r, cost: next } });
    }
  }
  const written: string[] = [];
  if (!check) {
    for (const e of edits) e.file.lines[e.line] = JSON.stringify(e.rec);
    for (const f of new Set(edits.map((e) => e.file))) {
      writeFileSync(f.path, f.lines.join('\n'));
      written.push(f.path);
    }
  }
  return { trials: perStepOf.size, moved, stale: [...stale.values()], written };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const dirs = args.filter((a) => a !== '--check');
  const fail = (msg: string) => {
    console.error(`recost-records: ${msg}`);
    process.exit(2);
  };
  if (dirs.length !== 1 || args.some((a) => a.startsWith('--') && a !== '--check'))
    fail('usage: npx tsx scripts/recost-records.ts <results dir> [--check]');
  try {
    const r = await recostDir(dirs[0], check);
    for (const [was, now] of r.moved)
      console.log(`${dirs[0]}: trial ${was} is trial ${now} at this commit (its options gained a default); costed as that`);
    for (const s of r.stale) console.log(`${s.file} (${s.rule}): ${s.oldPerStep} → ${s.newPerStep} forward passes a step`);
    console.log(
      `${dirs[0]}: ${r.trials} trial(s), ${r.stale.length} with stale cost fields${check ? '' : `; ${r.written.length} file(s) rewritten`}`,
    );
    process.exit(check && r.stale.length ? 1 : 0);
  } catch (e) {
    fail((e as Error).message);
  }
}
