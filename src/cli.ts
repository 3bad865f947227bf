// The command line: rulebench run | report | list.
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { SpecError, DataError, ShapeError, NumericsError } from './errors.ts';
import { DATASET_NAMES } from './data/index.ts';
import { listRules } from './rules/registry.ts';
import { loadBuiltins } from './runner/execute.ts';
import { runExperiment } from './runner/run.ts';
import { parseShard } from './runner/spec.ts';
import { requestStop, stopRequested } from './runner/interrupt.ts';

const USAGE = `usage:
  rulebench run <experiment.ts> [--rules a,b] [--seeds 0,1,2] [--epochs N] [--subset N] [--out dir]
                                [--workers N] [--threads N] [--shard i/n] [--resume] [--quick] [--debug] [--no-report]
  rulebench report <results-dir>
  rulebench list`;

function intList(flag: string, s: string): number[] {
  return s.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 0) throw new SpecError(`${flag}: expected comma-separated non-negative integers, got "${s}"`);
    return n;
  });
}

function positiveInt(flag: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new SpecError(`${flag}: expected a positive integer, got "${s}"`);
  return n;
}

async function report(dir: string): Promise<string> {
  const { writeReport } = await import('./report/page.ts');
  return writeReport(dir);
}

async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      rules: { type: 'string' }, seeds: { type: 'string' }, epochs: { type: 'string' }, subset: { type: 'string' },
      out: { type: 'string' }, workers: { type: 'string' }, threads: { type: 'string' }, shard: { type: 'string' }, resume: { type: 'boolean' },
      quick: { type: 'boolean' }, debug: { type: 'boolean' }, 'no-report': { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new SpecError(`run: expected one experiment file\n${USAGE}`);
  // First Ctrl-C: stop after the current step, keep everything finished; second: exit now.
  process.on('SIGINT', () => {
    if (stopRequested()) process.exit(130);
    requestStop();
    console.error('\nstopping after the current step (Ctrl-C again to exit at once)…');
  });
  const res = await runExperiment(positionals[0], {
    rules: values.rules?.split(','),
    seeds: values.seeds ? intList('--seeds', values.seeds) : undefined,
    epochs: positiveInt('--epochs', values.epochs),
    subset: positiveInt('--subset', values.subset),
    out: values.out,
    workers: positiveInt('--workers', values.workers),
    threads: positiveInt('--threads', values.threads),
    shard: values.shard ? parseShard(values.shard) : undefined,
    resume: values.resume,
    quick: values.quick,
    debug: values.debug,
  });
  if (res.interrupted) {
    const again = ['rulebench run', ...args.filter((a) => a !== '--resume'), '--resume'].join(' ');
    console.log(`\ninterrupted: ${res.summaries.length} trial(s) finished in this run and kept in ${res.out}/records; the unfinished ones rerun with:\n  ${again}`);
    process.exitCode = 130;
    return;
  }
  const failed = res.summaries.filter((s) => s.status !== 'done');
  console.log(`\n${res.ran} trial(s) run, ${res.skipped} already finished (backend: ${res.backend}); records in ${res.out}/records`);
  for (const f of failed) console.log(`  ${f.status}: ${f.rule} seed ${f.seed}: ${f.error}`);
  // A shard writes records only; the single report step runs after all shards.
  if (!values['no-report'] && !values.shard) console.log(`report: ${await report(res.out)}`);
}

async function list(): Promise<void> {
  await loadBuiltins();
  console.log('rules:');
  for (const r of listRules()) {
    const opts = Object.entries(r.defaults).map(([k, v]) => `${k}=${JSON.stringify(v)}${r.choices?.[k] ? ` (${r.choices[k]!.join('|')})` : ''}`);
    console.log(`  ${r.id.padEnd(28)} ${r.description}${opts.length ? `\n  ${''.padEnd(28)} options: ${opts.join(', ')}` : ''}`);
  }
  console.log(`\ndatasets: ${DATASET_NAMES.join(', ')}`);
  const dir = fileURLToPath(new URL('../experiments/', import.meta.url));
  console.log(`\nexperiments (in ${dir}):\n${readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => `  ${f}`).join('\n')}`);
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'run') {
      await run(rest);
      return typeof process.exitCode === 'number' ? process.exitCode : 0;
    }
    if (cmd === 'report') {
      if (rest.length !== 1) throw new SpecError(`report: expected one results directory\n${USAGE}`);
      console.log(`report: ${await report(rest[0])}`);
    } else if (cmd === 'list') await list();
    else {
      console.error(USAGE);
      return cmd === undefined || cmd === '--help' ? 0 : 2;
    }
    return 0;
  } catch (e) {
    // Known error kinds carry a message that names the field, file or op: no stack trace.
    if (e instanceof SpecError || e instanceof DataError || e instanceof ShapeError || e instanceof NumericsError) {
      console.error(`rulebench: ${e.name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
