// The command line: rulebench run | tune | report | list. Every problem is one line naming the flag,
// field or path and what to do, never a stack trace. Exit codes: 0 all trials done (diverged is a
// result), 1 a trial failed or the run could not proceed, 2 a malformed command line, 130/143
// stopped by SIGINT/SIGTERM.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DataError, NumericsError, ShapeError, SpecError } from './errors.ts';
// Only light modules up front: a refusal (bad flag, busy --out) must not wait for the whole
// library to load; the runner, rules and report are imported when a command needs them.
import { describeError, isSystemError, oneLine } from './runner/failure.ts';
import { requestStop, stopRequested } from './runner/interrupt.ts';
import { OutLock } from './runner/lock.ts';
import { BACKEND_NAMES } from './kernels/select.ts';
import { parseShard } from './runner/shard.ts';
import type { SummaryRecord } from './runner/record-types.ts';

const RUN_USAGE = `usage: rulebench run <experiment.ts> [flags]
  --rules a,b       run only these rules of the experiment
  --seeds 0,1,2     run these seeds instead of the experiment's
  --epochs N        train for N epochs
  --subset N        train on N samples (a validation count scales with it)
  --out dir         results directory (default results/<experiment name>)
  --workers N       trials in parallel (default: one per core)
  --threads N       kernel threads per trial (default: the cores left per running trial; records never depend on it)
  --backend name    kernel backend: wasm (default), native, webgpu, reference (as RULEBENCH_BACKEND)
  --shard i/n       run every n-th trial starting at i (array jobs; one shared --out)
  --resume          skip finished trials, rerun failed and interrupted ones
  --fresh           start --out afresh; its earlier contents move to <out>/superseded/
  --quick           apply the experiment's quick settings
  --tuned dir       run each rule entry at its tuned configuration from a rulebench tune directory
  --debug           anomaly mode (names the op producing NaN/Inf); stack traces for internal errors
  --no-report       do not write the report page after the run`;

const TUNE_USAGE = `usage: rulebench tune <experiment.ts> [flags]
  Tunes every rule entry with the same number of configurations (a seeded Halton sequence over the
  rule's search space and the shared optimizer space), successive halving on the validation split.
  --budget N        configurations per rule entry (default: the spec's tune.budget, else 16)
  --out dir         tuning directory (default results/<experiment name>-tune)
  --workers N       trials in parallel (default: one per core)
  --threads N       kernel threads per trial
  --backend name    kernel backend: wasm (default), native, webgpu, reference (as RULEBENCH_BACKEND)
  --shard i/n       run every n-th trial of each rung (array jobs; one shared --out); rerun with --resume once other shards finish a rung
  --resume          continue: skip finished trials, rerun failed and interrupted ones, go on to the next rungs
  --fresh           start --out afresh; its earlier contents move to <out>/superseded/
  --debug           anomaly mode; stack traces for internal errors
  --no-report       do not write the tuning report page`;

const USAGE = `usage:
  rulebench run <experiment.ts> [--rules a,b] [--seeds 0,1,2] [--epochs N] [--subset N] [--out dir]
                                [--workers N] [--threads N] [--backend name] [--shard i/n] [--resume] [--fresh] [--quick] [--debug] [--no-report]
  rulebench tune <experiment.ts> [--budget N] [--out dir] [--shard i/n] [--resume] [--fresh] [--workers N] [--threads N] [--backend name]
  rulebench report <results-dir>
  rulebench list
(rulebench run --help and rulebench tune --help describe each flag)`;

// The flags run and tune share (where results go, how the work is spread, what is kept).
const SHARED_FLAGS = {
  out: { type: 'string' },
  workers: { type: 'string' },
  threads: { type: 'string' },
  backend: { type: 'string' },
  shard: { type: 'string' },
  resume: { type: 'boolean' },
  fresh: { type: 'boolean' },
  debug: { type: 'boolean' },
  'no-report': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const RUN_FLAGS = {
  rules: { type: 'string' },
  seeds: { type: 'string' },
  epochs: { type: 'string' },
  subset: { type: 'string' },
  quick: { type: 'boolean' },
  tuned: { type: 'string' },
  ...SHARED_FLAGS,
} as const;

const TUNE_FLAGS = { budget: { type: 'string' }, ...SHARED_FLAGS } as const;

type Flags = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** A malformed command line: exit code 2. */
class UsageError extends SpecError {}

/**
 * --backend: the backend RULEBENCH_BACKEND would name, for this run. Set in the environment so
 * that the trial workers this run starts read the same one.
 */
function useBackendFlag(name: string | undefined): void {
  if (name === undefined) return;
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`--backend: unknown backend "${name}"; accepted: ${BACKEND_NAMES.join(', ')}`);
  }
  process.env.RULEBENCH_BACKEND = name;
}

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const defaultIo: Io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/** parseArgs, with its errors turned into one line naming the flag. */
function parseCommandArgs<F extends Flags>(cmd: string, args: string[], FLAGS: F) {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options: FLAGS });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const flag = /'(-[^' ]+)/.exec((e as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const name = flag.replace(/^-+/, '').split('=')[0];
      const near = Object.keys(FLAGS)
        .filter((f) => editDistance(f, name) <= 2 || f.startsWith(name))
        .map((f) => `--${f}`);
      throw new UsageError(
        `${cmd}: unknown flag ${flag}${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}; see rulebench ${cmd} --help`,
      );
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = flag.replace(/^-+/, '').split('=')[0];
      // "--subset -5": parseArgs takes -5 for a flag; it is a bad value.
      const next = args[args.indexOf(flag) + 1];
      if (next !== undefined && /^-\d/.test(next))
        throw new UsageError(`${flag}: expected ${name === 'shard' ? 'i/n' : 'a positive integer'}, got "${next}"`);
      const takes = (FLAGS as Flags)[name]?.type === 'string';
      throw new UsageError(
        takes
          ? `${cmd}: ${flag} needs a value (e.g. ${flag} ${name === 'shard' ? '0/2' : name === 'out' || name === 'tuned' ? 'results/x' : '3'})`
          : `${cmd}: ${flag} takes no value`,
      );
    }
    throw new UsageError(`${cmd}: ${oneLine((e as Error).message)}; see rulebench ${cmd} --help`);
  }
}

function intList(flag: string, s: string): number[] {
  return s.split(',').map((x) => {
    const n = Number(x);
    if (x.trim() === '' || !Number.isInteger(n) || n < 0)
      throw new UsageError(`${flag}: expected comma-separated non-negative integers, got "${s}"`);
    return n;
  });
}

function positiveInt(flag: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (s.trim() === '' || !Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: expected a positive integer, got "${s}"`);
  return n;
}

const quote = (a: string) => (/^[\w./,:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
const CLI = fileURLToPath(import.meta.url);
const REPO = resolve(CLI, '..', '..');

/**
 * The command that reruns this one with --resume, as the user can type it: through the npm
 * script they used, `npx rulebench` if they ran the package's command (`entry`, the script Node
 * started: node_modules/.bin/rulebench or bin/rulebench.mjs), or through npx tsx.
 */
export function resumeCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), entry = process.argv[1]): string {
  const args = argv.includes('--resume') ? argv : [...argv, '--resume'];
  const event = env.npm_lifecycle_event;
  const script = env.npm_lifecycle_script?.trim().split(/\s+/);
  const at = script?.findIndex((w) => w.endsWith('cli.ts')) ?? -1;
  if (event && script && at >= 0) {
    const fixed = script.slice(at + 1);
    if (fixed.every((w, i) => argv[i] === w)) {
      const extra = argv.slice(fixed.length);
      const rest = fixed.includes('--resume') || extra.includes('--resume') ? extra : [...extra, '--resume'];
      const npm = event === 'start' ? 'npm start' : `npm run ${event}`;
      return rest.length ? `${npm} -- ${rest.map(quote).join(' ')}` : npm;
    }
  }
  if (entry !== undefined && /(^|[/\\])(rulebench|rulebench\.mjs)$/.test(entry)) return `npx rulebench ${args.map(quote).join(' ')}`;
  const inside = !relative(REPO, cwd).startsWith('..');
  const cli = inside ? `npx tsx ${relative(cwd, CLI) || CLI}` : `${join(REPO, 'node_modules', '.bin', 'tsx')} ${CLI}`;
  return `${cli} ${args.map(quote).join(' ')}`;
}

/**
 * First SIGINT/SIGTERM: stop after the current step. Under npm, npx or tsx one Ctrl-C arrives
 * twice (the terminal signals the whole process group and the wrapper forwards it again), so a
 * repeat within a second is the same press; a later one exits at once.
 */
function stopOnSignals(io: Io, resume: string): { exitCode: () => number; stop: () => void } {
  let first = 0;
  let by: NodeJS.Signals = 'SIGINT';
  const handler = (signal: NodeJS.Signals) => {
    if (!stopRequested()) {
      first = Date.now();
      by = signal;
      requestStop();
      io.stderr(`\n${signal === 'SIGINT' ? 'Ctrl-C: ' : `${signal}: `}stopping after the current step (Ctrl-C again to exit at once)…\n`);
      return;
    }
    if (Date.now() - first < 1000) return;
    io.stderr(`\nexiting now; finished trials are kept, the rest rerun with:\n  ${resume}\n`);
    process.exit(signal === 'SIGTERM' ? 143 : 130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    exitCode: () => (by === 'SIGTERM' ? 143 : 130),
    stop: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** The report page of a results directory, or the tuning page of a tune directory (it holds tune.json). */
async function report(dir: string): Promise<string> {
  if (existsSync(join(dir, 'tune.json'))) {
    const { writeTuneReport } = await import('./report/tune-page.ts');
    return writeTuneReport(dir);
  }
  const { writeReport } = await import('./report/page.ts');
  return writeReport(dir);
}

function summarize(summaries: SummaryRecord[]): { line: string; failed: SummaryRecord[]; diverged: SummaryRecord[] } {
  const failed = summaries.filter((s) => s.status === 'failed');
  const diverged = summaries.filter((s) => s.status === 'diverged');
  const done = summaries.length - failed.length - diverged.length;
  return { line: `${done} done, ${diverged.length} diverged (a result), ${failed.length} failed`, failed, diverged };
}

async function run(args: string[], io: Io, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('run', args, RUN_FLAGS);
  if (values.help) {
    io.stdout(`${RUN_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(
      `run: expected one experiment file, got ${positionals.length ? positionals.map((p) => `"${p}"`).join(' ') : 'none'}; see rulebench run --help`,
    );
  const opts = {
    rules: values.rules?.split(','),
    seeds: values.seeds !== undefined ? intList('--seeds', values.seeds) : undefined,
    epochs: positiveInt('--epochs', values.epochs),
    subset: positiveInt('--subset', values.subset),
    out: values.out,
    workers: positiveInt('--workers', values.workers),
    threads: positiveInt('--threads', values.threads),
    shard: values.shard !== undefined ? parseShardFlag(values.shard) : undefined,
    resume: values.resume,
    fresh: values.fresh,
    quick: values.quick,
    tuned: values.tuned !== undefined ? tunedDir(values.tuned) : undefined,
    debug: values.debug,
  };
  useBackendFlag(values.backend);
  const resume = resumeCommand(argv.filter((a) => a !== '--fresh'));
  const signals = stopOnSignals(io, resume);
  try {
    // Trials train on worker threads, so this thread sees a Ctrl-C at once.
    // Another process holding --out: say so now, not after loading the experiment.
    if (opts.out !== undefined) OutLock.check(opts.out, opts.shard);
    const { runExperiment } = await import('./runner/run.ts');
    let res;
    try {
      res = await runExperiment(positionals[0], { ...opts, inline: false, log: io.stderr });
    } catch (e) {
      if (!isSystemError(e)) throw e;
      // A full disk or a read-only directory mid-run: what is finished stays finished.
      io.stderr(`rulebench: cannot write ${describeError(e)}; finished trials are kept; once fixed, rerun with: ${resume}\n`);
      return 1;
    }
    const { line, failed, diverged } = summarize(res.summaries);
    if (res.interrupted) {
      io.stdout(
        `\ninterrupted: ${res.summaries.length} trial(s) finished in this run (${line}), kept in ${res.out}/records; the unfinished ones rerun with:\n  ${resume}\n`,
      );
      return signals.exitCode();
    }
    io.stdout(
      `\n${res.ran} trial(s) run: ${line}; ${res.skipped} already finished (backend: ${res.backend}); records in ${res.out}/records\n`,
    );
    for (const s of [...failed, ...diverged])
      io.stdout(`  ${s.status}: ${s.rule} ${JSON.stringify(s.options)} seed ${s.seed}: ${s.error}\n`);
    let code = 0;
    // A shard writes records only; the single report step runs after all shards.
    if (!values['no-report'] && !values.shard) {
      try {
        io.stdout(`report: ${await report(res.out)}\n`);
      } catch (e) {
        if (!isSystemError(e)) throw e;
        io.stderr(
          `rulebench: report not written to ${res.out}: ${describeError(e)}; the records are complete: write it later with ${resumeCommand(['report', res.out]).replace(/ --resume$/, '')}\n`,
        );
        code = 1;
      }
    }
    if (failed.length) {
      io.stderr(`rulebench: ${failed.length} trial(s) failed (see above); fix the cause, then rerun them with: ${resume}\n`);
      code = 1;
    }
    return code;
  } finally {
    signals.stop();
  }
}

/** --tuned: a directory holding tune.json, as an absolute path (workers resolve nothing). */
function tunedDir(dir: string): string {
  if (!dir) throw new UsageError('--tuned: expected the --out directory of a rulebench tune, got ""');
  return resolve(dir);
}

async function tune(args: string[], io: Io, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('tune', args, TUNE_FLAGS);
  if (values.help) {
    io.stdout(`${TUNE_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(
      `tune: expected one experiment file, got ${positionals.length ? positionals.map((p) => `"${p}"`).join(' ') : 'none'}; see rulebench tune --help`,
    );
  const opts = {
    budget: positiveInt('--budget', values.budget),
    out: values.out,
    workers: positiveInt('--workers', values.workers),
    threads: positiveInt('--threads', values.threads),
    shard: values.shard !== undefined ? parseShardFlag(values.shard) : undefined,
    resume: values.resume,
    fresh: values.fresh,
    debug: values.debug,
  };
  useBackendFlag(values.backend);
  const resume = resumeCommand(argv.filter((a) => a !== '--fresh'));
  const signals = stopOnSignals(io, resume);
  try {
    if (opts.out !== undefined) OutLock.check(opts.out, opts.shard);
    const { tuneExperiment } = await import('./runner/tune/run-tune.ts');
    let res;
    try {
      res = await tuneExperiment(positionals[0], { ...opts, inline: false, log: io.stderr });
    } catch (e) {
      if (!isSystemError(e)) throw e;
      io.stderr(`rulebench: cannot write ${describeError(e)}; finished trials are kept; once fixed, rerun with: ${resume}\n`);
      return 1;
    }
    const { line, failed } = summarize(res.summaries);
    if (res.interrupted) {
      io.stdout(
        `\ninterrupted: ${res.summaries.length} tuning trial(s) finished in this run (${line}), kept in ${res.out}/records; continue with:\n  ${resume}\n`,
      );
      return signals.exitCode();
    }
    const entries = res.file.entries;
    io.stdout(
      `\n${res.ran} tuning trial(s) run: ${line}; ${res.skipped} already finished (backend: ${res.backend}); ${entries.filter((e) => e.complete).length} of ${entries.length} entries tuned; ${res.out}/tune.json\n`,
    );
    for (const s of failed) io.stdout(`  failed: ${s.rule} ${JSON.stringify(s.options)} seed ${s.seed}: ${s.error}\n`);
    if (res.waiting.length) {
      io.stdout(
        `waiting for other shards (or failed trials) to finish:\n${res.waiting.map((w) => `  ${w}`).join('\n')}\nonce they have, continue with:\n  ${resume}\n`,
      );
    }
    let code = 0;
    if (res.file.complete && !values['no-report']) {
      try {
        const { writeTuneReport } = await import('./report/tune-page.ts');
        io.stdout(`report: ${await writeTuneReport(res.out)}\n`);
      } catch (e) {
        if (!isSystemError(e)) throw e;
        io.stderr(`rulebench: tuning report not written to ${res.out}: ${describeError(e)}; tune.json is complete\n`);
        code = 1;
      }
    }
    if (failed.length) {
      io.stderr(
        `rulebench: ${failed.length} tuning trial(s) failed (see above): their entries wait at that rung; fix the cause, then rerun them with: ${resume}\n`,
      );
      code = 1;
    }
    return code;
  } finally {
    signals.stop();
  }
}

function parseShardFlag(s: string) {
  try {
    return parseShard(s);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function reportCommand(args: string[], io: Io): Promise<number> {
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    io.stdout('usage: rulebench report <results-dir>   writes <results-dir>/report.html from its records\n');
    return 0;
  }
  if (args.length !== 1 || args[0].startsWith('-'))
    throw new UsageError(
      `report: expected one results directory, got ${args.length ? args.join(' ') : 'none'}; usage: rulebench report <results-dir>`,
    );
  const dir = args[0];
  if (!existsSync(dir))
    throw new SpecError(`report: ${dir} does not exist; give the --out directory of a run (default results/<experiment name>)`);
  if (!statSync(dir).isDirectory()) throw new SpecError(`report: ${dir} is not a directory; give the --out directory of a run`);
  const entries = readdirSync(dir);
  if (!entries.includes('records') && !entries.includes('experiment.json') && !entries.some((f) => f.endsWith('.jsonl'))) {
    throw new SpecError(`report: ${dir} holds no records (no records/ or experiment.json); give the --out directory of a run`);
  }
  // Every run writes its resolved spec before a trial starts: without it the records are not a run's.
  if (!entries.includes('experiment.json') && !entries.includes('tune.json'))
    throw new SpecError(
      `report: ${join(dir, 'experiment.json')} is missing (every run writes it first); give the --out directory of a run`,
    );
  try {
    io.stdout(`report: ${await report(dir)}\n`);
  } catch (e) {
    if (!isSystemError(e)) throw e;
    io.stderr(`rulebench: report not written to ${dir}: ${describeError(e)}\n`);
    return 1;
  }
  return 0;
}

async function list(args: string[], io: Io): Promise<number> {
  if (args.length) throw new UsageError(`list: takes no arguments, got ${args.join(' ')}`);
  const [{ loadBuiltins }, { listRules }, { listDatasets }, { listLayers }, { listPresets }, { listOptimizers, listSchedules }] =
    await Promise.all([
      import('./runner/execute.ts'),
      import('./rules/registry.ts'),
      import('./data/index.ts'),
      import('./nn/build.ts'),
      import('./nn/presets.ts'),
      import('./optim/index.ts'),
    ]);
  await loadBuiltins();
  const lines = ['rules:'];
  for (const r of listRules()) {
    const opts = Object.entries(r.defaults).map(
      ([k, v]) => `${k}=${JSON.stringify(v)}${r.choices?.[k] ? ` (${r.choices[k]!.join('|')})` : ''}`,
    );
    const tuning = [
      ...(r.search && Object.keys(r.search).length ? [`tunes: ${Object.keys(r.search).join(', ')}`] : []),
      ...(r.presets ? [`presets: ${Object.keys(r.presets).join(', ')}`] : []),
    ];
    lines.push(
      `  ${r.id.padEnd(28)} ${r.description}${opts.length ? `\n  ${''.padEnd(28)} options: ${opts.join(', ')}` : ''}${tuning.length ? `\n  ${''.padEnd(28)} ${tuning.join('; ')}` : ''}`,
    );
  }
  lines.push(
    `\ndatasets: ${listDatasets()
      .map((d) => d.name)
      .join(', ')}`,
  );
  lines.push(
    `layer types: ${listLayers()
      .map((k) => k.type)
      .join(', ')}`,
  );
  lines.push(
    `presets: ${listPresets()
      .map((p) => p.name)
      .join(', ')}`,
  );
  lines.push(
    `optimizers: ${listOptimizers()
      .map((k) => k.name)
      .join(', ')}`,
  );
  lines.push(
    `schedules: ${listSchedules()
      .map((k) => k.kind)
      .join(', ')}`,
  );
  const dir = fileURLToPath(new URL('../experiments/', import.meta.url));
  lines.push(
    `\nexperiments (in ${dir}):\n${readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => `  ${f}`)
      .join('\n')}`,
  );
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'run') return await run(rest, io, argv);
    if (cmd === 'tune') return await tune(rest, io, argv);
    if (cmd === 'report') return await reportCommand(rest, io);
    if (cmd === 'list') return await list(rest, io);
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    io.stderr(`rulebench: unknown command "${cmd}"; commands: run, tune, report, list\n${USAGE}\n`);
    return 2;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`rulebench: ${e.message}\n`);
      return 2;
    }
    // Known kinds (SpecError, DataError, ...) and file-system errors carry a message naming the
    // field, file or path. Anything else is a bug: one line, and its stack with --debug.
    const known =
      e instanceof SpecError || e instanceof DataError || e instanceof ShapeError || e instanceof NumericsError || isSystemError(e);
    if (!known) {
      io.stderr(
        `rulebench: internal error: ${describeError(e)}${argv.includes('--debug') ? `\n${(e as Error).stack}` : ' (rerun with --debug for the stack trace, and please report it)'}\n`,
      );
      return 1;
    }
    io.stderr(`rulebench: ${describeError(e)}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === CLI) process.exitCode = await main(process.argv.slice(2));
