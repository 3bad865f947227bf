// experiment.json: the resolved experiment a results directory belongs to. A run whose trials
// are not among the directory's (another epoch count, data size, optimizer, ...) is refused with
// the differing fields named, so two configurations are never merged into one report.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SpecError } from '../errors.ts';
import { describeError } from './failure.ts';
import { recordsDir, writeFileAtomic } from './records.ts';
import type { ManifestRule } from './series-label.ts';
import { ruleOptions } from '../rules/rule.ts';
import { shownPath } from './shown-path.ts';
import { canonical, cartesian, type Need, type Trial, type ValidatedRule, type ValidatedSpec } from './spec.ts';

export interface Manifest {
  name: string;
  description: string | null;
  experiment: string;
  spec: Record<string, unknown>;
  references: unknown[];
  overrides: Record<string, unknown>;
  trials: Array<{ id: string; rule: string; options: unknown; seed: number; entry?: number }>;
  environment: Record<string, unknown>;
}

/** A rule entry as experiment.json records it (the report labels series from these). */
export function manifestRule(r: ValidatedRule): ManifestRule {
  return {
    rule: r.rule.id,
    options: r.options,
    grid: Object.fromEntries(r.grid),
    optimizer: r.optimizer,
    defaults: r.rule.defaults,
    ...(isExact(r) ? { exact: true } : {}),
    ...(r.expect ? { expect: r.expect } : {}),
    ...(r.preset ? { preset: r.preset } : {}),
    ...(r.adapters ? { adapters: r.adapters } : {}),
    ...(r.distill ? { distill: r.distill } : {}),
    ...(r.tuned ? { tuned: r.tuned } : {}),
  };
}

/** Whether the entry's rule declares exact gradients at each of the entry's grid points. */
function isExact(r: ValidatedRule): boolean {
  return (
    r.rule.exact !== undefined &&
    cartesian(r.grid).every((point) => r.rule.exact!(ruleOptions(r.rule, { ...r.options, ...point })) === true)
  );
}

const shownNeed = (n: Need): Need => ({ ...n, experiment: shownPath(n.experiment) });

export function buildManifest(
  spec: ValidatedSpec,
  experimentPath: string,
  trials: Trial[],
  debug: boolean,
  environment: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
): Manifest {
  return {
    name: spec.name,
    description: spec.description ?? null,
    experiment: experimentPath,
    spec: {
      ...spec,
      // Each rule's defaults too: the report labels series by what differs from them, whatever process builds it.
      rules: spec.rules.map((r) => manifestRule(r)),
      // Stage files as the user would type them (the runner holds them absolute).
      ...(spec.needs ? { needs: spec.needs.map(shownNeed) } : {}),
      ...(spec.quick?.needs ? { quick: { ...spec.quick, needs: spec.quick.needs.map(shownNeed) } } : {}),
      // --debug changes every trial's config (anomaly mode): part of what the directory holds.
      ...(debug ? { debug } : {}),
    },
    // Published figures belong to experiments (which fix the protocol), not to rules.
    references: spec.references ?? [],
    // What the command line changed (the file's description speaks of the run without them).
    overrides,
    // Which entry each trial belongs to: the report keeps entries that share a rule and options apart.
    trials: trials.map((t) => ({
      id: t.id,
      rule: t.config.rule,
      options: t.config.options,
      seed: t.config.seed,
      ...(t.entry !== undefined ? { entry: t.entry } : {}),
    })),
    environment,
  };
}

const MANIFEST = 'experiment.json';
// Fields that describe the experiment without entering any trial's config.
// (`needs` names the stages a run starts from; their outputs enter the trials through `init`.)
const DESCRIPTIVE: ReadonlySet<string> = new Set(['description', 'references', 'quick', 'overrides', 'needs']);

const short = (v: unknown) => {
  const s = v === undefined ? '(unset)' : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
};

/** Field paths where `a` and `b` differ, as "path: a → b". */
function differences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (canonical(a) === canonical(b)) return;
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (!DESCRIPTIVE.has(k) || path) differences(a[k], b[k], path ? `${path}.${k}` : k, out);
    }
  } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.some((x) => typeof x === 'object')) {
    a.forEach((x, i) => differences(x, b[i], `${path}[${i}]`, out));
  } else {
    out.push(`${path}: ${short(a)} in the directory, ${short(b)} now`);
  }
}

function readManifest(out: string): Manifest | null {
  const path = join(out, MANIFEST);
  if (!existsSync(path)) return null;
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
    if (!Array.isArray(m.trials) || typeof m.spec !== 'object') throw new Error('no trial list or spec');
    return m;
  } catch (e) {
    throw new SpecError(
      `--out ${out}: ${path} is unreadable (${describeError(e)}); use another --out, or --fresh to start the directory afresh (its contents are kept aside)`,
    );
  }
}

/**
 * Why `out` cannot take this run's trials (null: it can), without writing: records of other
 * trials and no manifest, or a manifest of another configuration (the fields that differ named).
 */
export function claimConflict(
  out: string,
  manifest: Manifest,
  trials: readonly Trial[],
): { conflict: string | null; old: Manifest | null } {
  const old = readManifest(out);
  if (!old) {
    const dir = recordsDir(out);
    const ids = new Set(trials.map((t) => t.id));
    const foreign = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl') && !ids.has(f.split('.')[0])) : [];
    const conflict = foreign.length
      ? `holds ${foreign.length} record file(s) of other trials and no ${MANIFEST} saying what they are`
      : null;
    return { conflict, old };
  }
  const known = new Set(old.trials.map((t) => t.id));
  const extra = trials.filter((t) => !known.has(t.id));
  if (!extra.length) return { conflict: null, old };
  const diffs: string[] = [];
  differences(old.spec, manifest.spec, '', diffs);
  if (!diffs.length) diffs.push(`${extra.length} trial(s) whose settings differ (a rule's defaults may have changed)`);
  const shown = diffs.slice(0, 6).join('; ') + (diffs.length > 6 ? `; and ${diffs.length - 6} more` : '');
  return { conflict: `holds another configuration of experiment "${old.name}" (${shown})`, old };
}

/** claimConflict as the run's own --out refuses it (nothing written); the manifest already there, if any. */
export function checkClaim(out: string, manifest: Manifest, trials: readonly Trial[]): Manifest | null {
  const { conflict, old } = claimConflict(out, manifest, trials);
  if (conflict && !old)
    throw new SpecError(
      `--out ${out}: ${conflict}; use another --out, or --fresh to start the directory afresh (its contents are kept aside)`,
    );
  if (conflict)
    throw new SpecError(
      `--out ${out} ${conflict}; nothing was run.` +
        ' Use another --out, or add --fresh to start this directory afresh (the old records are moved to its superseded/ folder, not deleted)',
    );
  return old;
}

/**
 * Claim `out` for this run's experiment: write the manifest into a new directory; in an existing
 * one, every trial of this run must be one of its trials (a --rules/--seeds/--shard selection is
 * fine), else this stops before training, naming the fields that differ.
 */
export function claimDirectory(out: string, manifest: Manifest, trials: Trial[]): void {
  const old = checkClaim(out, manifest, trials);
  if (!old) {
    writeFileAtomic(join(out, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    return;
  }
  // The same trials: refresh what only describes them (an edited description, reference or
  // rule expectation; the rule entries themselves are those trials').
  const same = trials.length === old.trials.length;
  const described = (m: Manifest) => [m.description, m.references, m.spec.rules];
  if (same && canonical(described(old)) !== canonical(described(manifest))) {
    const spec = { ...old.spec, rules: manifest.spec.rules };
    writeFileAtomic(
      join(out, MANIFEST),
      `${JSON.stringify({ ...old, description: manifest.description, references: manifest.references, spec }, null, 2)}\n`,
    );
  }
}
