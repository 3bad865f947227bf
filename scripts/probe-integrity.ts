// Reruns issue 15's probes (and issue 31's inputs) against the CLI, as a new user would meet them: malformed specs, bad
// command lines, corrupt data files, kill -9 at random points with --workers 2, a full disk (a
// small tmpfs; needs root), a read-only directory, and two writers on one --out. Prints, per
// group, the cases tried, the clear one-line errors, the right exit codes, stack traces seen,
// and finished records lost or duplicated.
// Usage: npx tsx scripts/probe-integrity.ts [specs|flags|data|issue31|kill|disk|writers] [-v]   (-v: every case's message)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { rng } from '../src/random.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'src/cli.ts');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const SLOW = join(ROOT, 'test/runner/fixtures/slow-experiment.ts');
const TINY = join(ROOT, 'test/runner/fixtures/tiny-experiment.ts');
const work = mkdtempSync(join(tmpdir(), 'rulebench-probe-'));
const r = rng('probe-integrity');

interface Exit {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run the CLI as a job in its own process group (tsx and its node child); `onStart` gets the group's id. */
function cli(args: string[], opts: { cwd?: string; onStart?: (pid: number) => void } = {}): Promise<Exit> {
  const t0 = performance.now();
  return new Promise((done) => {
    const p = spawn(TSX, [CLI, ...args], { cwd: opts.cwd ?? work, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    opts.onStart?.(p.pid!);
    p.on('exit', (code, signal) => done({ code, signal, stdout, stderr, ms: performance.now() - t0 }));
  });
}

/** At most `n` at once: the machine has few cores. */
async function inPool<T, R>(items: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const k = next++;
        out[k] = await fn(items[k]);
      }
    }),
  );
  return out;
}

const STACK = /^\s+at .+[(:]|node:internal|^\s*\^$/m;
const errorLines = (e: Exit) => e.stderr.split('\n').filter((l) => l.startsWith('rulebench:'));
/** One line saying what is wrong, and no stack trace anywhere. */
const clear = (e: Exit) => errorLines(e).length === 1 && errorLines(e)[0].length > 25 && !STACK.test(e.stderr + e.stdout);

interface Tally {
  group: string;
  cases: number;
  clear: number;
  rightExit: number;
  stacks: number;
  lost: number;
  duplicated: number;
  notes: string[];
}
const tallies: Tally[] = [];
const tally = (group: string): Tally => {
  const t = { group, cases: 0, clear: 0, rightExit: 0, stacks: 0, lost: 0, duplicated: 0, notes: [] };
  tallies.push(t);
  return t;
};
const verbose = process.argv.includes('-v');
function count(t: Tally, name: string, e: Exit, wantCode: number | 'nonzero', wantClear = true): void {
  t.cases++;
  if (verbose) console.log(`[${t.group}] ${name} → exit ${e.code ?? e.signal}: ${errorLines(e)[0] ?? e.stdout.trim().split('\n').at(-1)}`);
  const okExit = wantCode === 'nonzero' ? e.code !== 0 && e.code !== null : e.code === wantCode;
  if (okExit) t.rightExit++;
  if (!wantClear || clear(e)) t.clear++;
  if (STACK.test(e.stderr + e.stdout)) t.stacks++;
  if (!okExit || (wantClear && !clear(e)))
    t.notes.push(`${name}: exit ${e.code ?? e.signal}; ${(errorLines(e)[0] ?? e.stderr.trim().split('\n').at(-1) ?? '').slice(0, 200)}`);
}

// ---------------------------------------------------------------- data files
function idx(dims: number[], data: Uint8Array): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h[2] = 0x08;
  h[3] = dims.length;
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([h, data]);
}
function mnistDir(dir: string, train = 60, test = 20): string {
  mkdirSync(dir, { recursive: true });
  for (const [split, n] of [
    ['train', train],
    ['t10k', test],
  ] as const) {
    writeFileSync(
      join(dir, `${split}-images-idx3-ubyte`),
      idx(
        [n, 28, 28],
        Uint8Array.from({ length: n * 784 }, () => r.int(256)),
      ),
    );
    writeFileSync(
      join(dir, `${split}-labels-idx1-ubyte`),
      idx(
        [n],
        Uint8Array.from({ length: n }, (_, i) => i % 10),
      ),
    );
  }
  return dir;
}

// ---------------------------------------------------------------- records
/** Finished records of a results directory: file → content, and summaries per trial. */
function finished(out: string): { files: Map<string, string>; perTrial: Map<string, number>; torn: number } {
  const dir = join(out, 'records');
  const files = new Map<string, string>();
  const perTrial = new Map<string, number>();
  let torn = 0;
  if (!existsSync(dir)) return { files, perTrial, torn };
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.jsonl'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    if (text && !text.endsWith('\n')) torn++;
    for (const line of text.split('\n').filter(Boolean)) {
      try {
        const rec = JSON.parse(line) as { type: string; trial: string };
        if (rec.type === 'summary' && !f.includes('partial')) perTrial.set(rec.trial, (perTrial.get(rec.trial) ?? 0) + 1);
      } catch {
        torn++;
      }
    }
    if (!f.includes('partial')) files.set(f, text);
  }
  return { files, perTrial, torn };
}
const withoutHost = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.stringify({ ...JSON.parse(l), host: null }))
    .join('\n');
/** Finished files of `before` missing or changed in `after`, and trials with more than one summary. */
function compare(t: Tally, before: Map<string, string>, after: ReturnType<typeof finished>, reference?: ReturnType<typeof finished>): void {
  for (const [f, text] of before) if (after.files.get(f) !== text) t.lost++;
  for (const n of after.perTrial.values()) if (n > 1) t.duplicated += n - 1;
  if (reference) {
    for (const [f, text] of reference.files) {
      if (!after.files.has(f) || withoutHost(after.files.get(f)!) !== withoutHost(text)) {
        t.lost++;
        t.notes.push(`${f}: missing or different from the uninterrupted run`);
      }
    }
  }
}

// ================================================================ 1. bad specs
async function badSpecs(): Promise<void> {
  const t = tally('bad specs');
  const base = {
    name: 'probe',
    data: { name: 'blobs', train: 64, test: 16, classes: 3, features: 4 },
    model: { sizes: [4, 8, 3] },
    optimizer: { name: 'sgd', lr: 0.1 },
    rules: ['backprop'],
    seeds: [0],
    epochs: 1,
    batchSize: 8,
  } as Record<string, unknown>;
  const data = base.data as Record<string, unknown>;
  const mnist = mnistDir(join(work, 'spec-mnist'), 50, 10);
  const json: Array<[string, Record<string, unknown>]> = [
    ['unknown top-level key', { ...base, epoch: 2 }],
    ['epochs a string', { ...base, epochs: '3' }],
    ['epochs 0', { ...base, epochs: 0 }],
    ['epochs 1e12', { ...base, epochs: 1e12 }],
    ['batchSize negative', { ...base, batchSize: -1 }],
    ['batchSize > training set', { ...base, batchSize: 65 }],
    ['batchSize > set after validation', { ...base, batchSize: 60, data: { ...data, validation: 8 } }],
    ['no model', { ...base, model: undefined }],
    ['model.sizes one entry', { ...base, model: { sizes: [4] } }],
    ['model.sizes zero width', { ...base, model: { sizes: [4, 0, 3] } }],
    ['model.sizes[0] ≠ features', { ...base, model: { sizes: [5, 8, 3] } }],
    ['last size ≠ classes', { ...base, model: { sizes: [4, 8, 2] } }],
    ['model too large for memory', { ...base, model: { sizes: [4, 100000, 100000, 3] } }],
    ['unknown activation', { ...base, model: { sizes: [4, 8, 3], activation: 'swoosh(' } }],
    ['unknown init', { ...base, model: { sizes: [4, 8, 3], init: 'orthogonal' } }],
    ['dropout 1', { ...base, model: { sizes: [4, 8, 3], dropout: 1 } }],
    ['unknown model key', { ...base, model: { sizes: [4, 8, 3], width: 3 } }],
    ['unknown dataset', { ...base, data: { name: 'cifar' } }],
    ['unknown data key', { ...base, data: { ...data, trian: 5 } }],
    ['data.noise on blobs', { ...base, data: { ...data, noise: 0.1 } }],
    ['data.noise on mnist', { ...base, data: { name: 'mnist', dir: mnist, noise: 0.2 }, model: { sizes: [784, 8, 10] } }],
    ['data.train > the set', { ...base, data: { name: 'mnist', dir: mnist, train: 51 }, model: { sizes: [784, 8, 10] } }],
    ['data.test > the set', { ...base, data: { name: 'mnist', dir: mnist, test: 11 }, model: { sizes: [784, 8, 10] } }],
    ['real MNIST train 70000', { ...base, data: { name: 'mnist', train: 70000 }, model: { sizes: [784, 8, 10] } }],
    ['data.dir missing', { ...base, data: { name: 'mnist', dir: './no-such-dir' }, model: { sizes: [784, 8, 10] } }],
    ['plain xor with train', { ...base, data: { name: 'xor', train: 10 }, model: { sizes: [2, 4, 2] } }],
    ['validation ≥ train', { ...base, data: { ...data, validation: 64 } }],
    ['validation 1.5', { ...base, data: { ...data, validation: 1.5 } }],
    ['unknown optimizer', { ...base, optimizer: { name: 'rmsprop', lr: 0.1 } }],
    ['lr NaN', { ...base, optimizer: { name: 'sgd', lr: null } }],
    ['negative lr', { ...base, optimizer: { name: 'sgd', lr: -1 } }],
    ['empty rules', { ...base, rules: [] }],
    ['unknown rule id', { ...base, rules: ['backprob'] }],
    ['unknown rule option', { ...base, rules: [{ rule: 'feedback-alignment', options: { varient: 'fa' } }] }],
    ['bad option choice', { ...base, rules: [{ rule: 'feedback-alignment', grid: { variant: ['fa', 'xx'] } }] }],
    ['empty grid', { ...base, rules: [{ rule: 'feedback-alignment', grid: { variant: [] } }] }],
    ['rule file missing', { ...base, rules: ['./no-such-rule.ts'] }],
    ['empty seeds', { ...base, seeds: [] }],
    ['duplicate seeds', { ...base, seeds: [1, 1] }],
    ['negative seed', { ...base, seeds: [-1] }],
    ['bad divergence', { ...base, divergence: { factor: 0.5 } }],
    ['name with a slash', { ...base, name: 'a/b' }],
    ['references not an array', { ...base, references: 'x' }],
  ];
  const ts: Array<[string, string]> = [
    [
      'rule with a built-in id',
      `import { defineRule } from 'rulebench';\nexport default ${JSON.stringify(base).replace('["backprop"]', `[{ rule: defineRule({ id: 'backprop', description: 'x', defaults: {}, init: () => null, step: () => { throw new Error('x'); } }) }]`)};\n`,
    ],
    ['syntax error in the file', `export default { name: 'x', epochs: };\n`],
    ['no default export', `export const other = 1;\n`],
    ['throws while loading', `throw new Error('config server unreachable');\n`],
  ];
  const cases = [...json.map(([name, spec]) => [name, `export default ${JSON.stringify(spec)};\n`] as const), ...ts];
  const results = await inPool(cases, 3, async ([name, src]) => {
    const dir = mkdtempSync(join(work, 'spec-'));
    writeFileSync(join(dir, 'exp.ts'), src);
    const e = await cli(['run', 'exp.ts', '--out', 'out', '--workers', '1', '--no-report'], { cwd: dir });
    return { name, e, wrote: existsSync(join(dir, 'out')) };
  });
  for (const { name, e, wrote } of results) {
    count(t, name, e, 1);
    if (wrote) t.notes.push(`${name}: wrote to --out before refusing`);
  }
}

// ================================================================ 2. bad command lines
async function badFlags(): Promise<void> {
  const t = tally('bad command lines');
  const missing = join(work, 'no-such-results');
  const cases: Array<[string[], number]> = [
    [['run', TINY, '--epoch', '1'], 2],
    [['run', TINY, '--epochs'], 2],
    [['run', TINY, '--epochs', 'two'], 2],
    [['run', TINY, '--workers', '0'], 2],
    [['run', TINY, '--seeds', '0,x'], 2],
    [['run', TINY, '--shard', '3/3'], 2],
    [['run', TINY, '--shard', 'half'], 2],
    [['run', TINY, '--subset', '-5'], 2],
    [['run', TINY, '--resume=yes'], 2],
    [['run', TINY, '--out'], 2],
    [['run'], 2],
    [['run', TINY, TINY], 2],
    [['run', 'no-such-experiment.ts'], 1],
    [['run', TINY, '--rules', 'backprob'], 1],
    [['run', TINY, '--quick'], 1],
    [['report'], 2],
    [['report', missing], 1],
    [['lsit'], 2],
    [['list', '--verbose'], 2],
  ];
  const results = await inPool(cases, 3, async ([args, code]) => ({
    args,
    code,
    e: await cli([...args, ...(args[0] === 'run' ? ['--out', join(work, 'flags-out'), '--no-report'] : [])]),
  }));
  for (const { args, code, e } of results) count(t, args.join(' '), e, code);
  for (const args of [['run', '--help'], ['--help']]) {
    const e = await cli(args);
    t.cases++;
    if (e.code === 0) t.rightExit++;
    if (/^usage:/.test(e.stdout) && !STACK.test(e.stderr)) t.clear++;
    else t.notes.push(`${args.join(' ')}: no usage printed`);
  }
  if (existsSync(missing)) t.notes.push('report <missing-dir> created the directory');
}

// ================================================================ 3. corrupt data files
async function corruptData(): Promise<void> {
  const t = tally('corrupt data files');
  const img = 'train-images-idx3-ubyte';
  const lab = 'train-labels-idx1-ubyte';
  const damage: Array<[string, (dir: string) => void]> = [
    ['images missing', (d) => rmSync(join(d, img))],
    ['labels empty', (d) => writeFileSync(join(d, lab), '')],
    ['images truncated', (d) => truncateSync(join(d, img), 1000)],
    ['trailing bytes', (d) => writeFileSync(join(d, lab), Buffer.concat([readFileSync(join(d, lab)), Buffer.from([1, 2, 3])]))],
    [
      'bad magic',
      (d) => {
        const b = readFileSync(join(d, img));
        b[0] = 0x42;
        writeFileSync(join(d, img), b);
      },
    ],
    [
      'float32 type code',
      (d) => {
        const b = readFileSync(join(d, img));
        b[2] = 0x0d;
        writeFileSync(join(d, img), b);
      },
    ],
    [
      'zero dimension',
      (d) => {
        const b = readFileSync(join(d, lab));
        b.writeUInt32BE(0, 4);
        writeFileSync(join(d, lab), b);
      },
    ],
    [
      'image/label count mismatch',
      (d) =>
        writeFileSync(
          join(d, lab),
          idx(
            [59],
            Uint8Array.from({ length: 59 }, (_, i) => i % 10),
          ),
        ),
    ],
    [
      'label 12 of 10 classes',
      (d) =>
        writeFileSync(
          join(d, lab),
          idx(
            [60],
            Uint8Array.from({ length: 60 }, (_, i) => (i === 7 ? 12 : i % 10)),
          ),
        ),
    ],
    [
      'corrupt gzip',
      (d) => {
        rmSync(join(d, img));
        const gz = gzipSync(readFileSync(join(d, 't10k-images-idx3-ubyte')));
        writeFileSync(join(d, `${img}.gz`), gz.subarray(0, gz.length >> 1));
      },
    ],
  ];
  const results = await inPool(damage, 3, async ([name, hurt]) => {
    const dir = mkdtempSync(join(work, 'data-'));
    const data = mnistDir(join(dir, 'mnist'));
    hurt(data);
    writeFileSync(
      join(dir, 'exp.ts'),
      `export default ${JSON.stringify({
        name: 'corrupt',
        data: { name: 'mnist', dir: './mnist', train: 40, test: 10 },
        model: { sizes: [784, 8, 10] },
        optimizer: { name: 'sgd', lr: 0.1 },
        rules: ['backprop'],
        seeds: [0, 1],
        epochs: 1,
        batchSize: 10,
      })};\n`,
    );
    const e = await cli(['run', 'exp.ts', '--out', 'out', '--workers', '2', '--no-report'], { cwd: dir });
    return { name, e, trained: existsSync(join(dir, 'out', 'records')) };
  });
  for (const { name, e, trained } of results) {
    count(t, name, e, 1);
    if (!/DataError: .*\//.test(errorLines(e)[0] ?? '')) t.notes.push(`${name}: the error does not name the data file`);
    if (trained) t.notes.push(`${name}: training started`);
  }
}

// ================================================================ 3b. issue 31's inputs
async function issue31(): Promise<void> {
  const t = tally("issue 31's inputs");
  const base = {
    name: 'probe31',
    data: { name: 'blobs', train: 64, test: 16, classes: 3, features: 4 },
    model: { sizes: [4, 8, 3] },
    optimizer: { name: 'sgd', lr: 0.1 },
    rules: ['backprop'],
    seeds: [0],
    epochs: 1,
    batchSize: 8,
  };
  const mnist = mnistDir(join(work, 'i31-mnist'), 50, 10);
  const residual = (layer: object, shortcut = 'identity') => ({
    ...base,
    data: { name: 'mnist', dir: mnist, validation: 10 },
    model: { layers: [{ type: 'residual', shortcut, layers: [layer] }, { type: 'flatten' }, { type: 'dense', units: 10 }] },
  });
  // MNIST-like files whose training labels begin as MNIST's own, under a fashion-mnist directory.
  const fashion = mnistDir(join(work, 'i31', 'fashion-mnist'), 50, 10);
  const labels = readFileSync(join(fashion, 'train-labels-idx1-ubyte'));
  [5, 0, 4, 1, 9, 2, 1, 3, 1, 4, 3, 5].forEach((l, i) => (labels[8 + i] = l));
  writeFileSync(join(fashion, 'train-labels-idx1-ubyte'), labels);
  // Plain and .gz label files that differ.
  const pair = mnistDir(join(work, 'i31-pair'), 50, 10);
  const other = readFileSync(join(pair, 'train-labels-idx1-ubyte'));
  other[8] = (other[8] + 1) % 10;
  writeFileSync(join(pair, 'train-labels-idx1-ubyte.gz'), gzipSync(other));
  // CIFAR-10 batch files of 3 records each.
  const cifar = join(work, 'i31-cifar');
  mkdirSync(cifar, { recursive: true });
  for (const f of [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat('test_batch.bin'))
    writeFileSync(join(cifar, f), Buffer.alloc(3 * 3073));
  const onMnist = (data: object) => ({ ...base, data, model: { sizes: [784, 8, 10] } });
  const rule = (id: string, extra: string, metrics: string) =>
    `import { defineRule, taskGradient } from 'rulebench';\nexport default { ...${JSON.stringify(base)}, rules: [{ rule: defineRule({ id: '${id}', description: 'x', defaults: {}, cost: () => 3, init: () => null, step(ctx, state, batch) { const { loss, grads } = taskGradient(ctx, batch); ${extra} return { updates: grads, state, loss, metrics: ${metrics} }; } }) }] };\n`;
  // A pretraining stage (saves its parameters) and a directory that holds another run of it.
  const stage = join(work, 'i31-stage');
  mkdirSync(join(stage, 'taken'), { recursive: true });
  const pre = join(stage, 'pre.ts');
  writeFileSync(
    pre,
    `export default ${JSON.stringify({ ...base, name: 'probe31-pre', saveParams: join(stage, 'params-{seed}.json') })};\n`,
  );
  const foreign = { id: '0000000000000000', rule: 'backprop', options: {}, seed: 0 };
  writeFileSync(
    join(stage, 'taken', 'experiment.json'),
    JSON.stringify({ name: 'probe31-pre', spec: { ...base, epochs: 5 }, trials: [foreign], overrides: {}, references: [] }),
  );
  const needing = (need: object, init = '/no/such/params.json') => JSON.stringify({ ...base, needs: [need], init });
  const predictNoPredicts = rule('unsaid-predict', '', '{}').replace(
    'init: () => null,',
    'init: () => null, predict: (ctx, s, x) => ctx.model.forward(ctx.params, x, ctx.infer),',
  );
  // [name, spec module, extra flags, refused before anything is written]
  const cases: Array<[string, string, string[], boolean]> = [
    ['--threads 1000', JSON.stringify(base), ['--threads', '1000'], true],
    ['--resume --fresh', JSON.stringify(base), ['--resume', '--fresh'], true],
    ['lr 0', JSON.stringify({ ...base, optimizer: { name: 'sgd', lr: 0 } }), [], true],
    ['init file missing', JSON.stringify({ ...base, init: './no-such-params-{seed}.json' }), [], true],
    ['residual body grows 28→30', JSON.stringify(residual({ type: 'conv2d', channels: 1, kernel: 3, padding: 2 })), [], true],
    ['residual body shrinks 28→13', JSON.stringify(residual({ type: 'conv2d', channels: 2, kernel: 3, stride: 2 })), [], true],
    ['projection to 28→13', JSON.stringify(residual({ type: 'conv2d', channels: 2, kernel: 3, stride: 2 }, 'projection')), [], true],
    ['MNIST under fashion-mnist', JSON.stringify(onMnist({ name: 'fashion-mnist', dir: fashion })), [], true],
    ['plain and .gz disagree', JSON.stringify(onMnist({ name: 'mnist', dir: pair })), [], true],
    [
      '3-record CIFAR-10 files',
      JSON.stringify({ ...base, data: { name: 'cifar10', dir: cifar }, model: { sizes: [3072, 8, 10] } }),
      [],
      true,
    ],
    ['rule writes ctx.params', rule('writes-params', 'ctx.params[0].data[0] += 0.01;', '{}'), [], false],
    ['NaN metric', rule('nan-metric', '', '{ ratio: 0 / 0 }'), [], false],
    ['string metric', rule('string-metric', '', "{ phase: 'free' }"), [], false],
    ['needs: stage directory holds another run', needing({ experiment: pre, out: join(stage, 'taken') }), [], true],
    ['needs: init no stage writes', needing({ experiment: pre, out: join(stage, 'unused') }), [], true],
    ['needs: stage file missing', needing({ experiment: './no-such-stage.ts', out: 'pre' }, join(stage, 'params-0.json')), [], true],
    ['needs: the experiment itself', needing({ experiment: './exp.ts', out: 'pre' }, join(stage, 'params-0.json')), [], true],
    ['predict without predicts', predictNoPredicts, [], true],
  ];
  const results = await inPool(cases, 3, async ([name, src, flags, before]) => {
    const dir = mkdtempSync(join(work, 'i31-'));
    writeFileSync(join(dir, 'exp.ts'), src.startsWith('{') ? `export default ${src};\n` : src);
    const e = await cli(['run', 'exp.ts', '--out', 'out', '--workers', '1', '--no-report', ...flags], { cwd: dir });
    return { name, e, before, wrote: existsSync(join(dir, 'out')), failedTrial: /failed: /.test(e.stdout) };
  });
  for (const { name, e, before, wrote, failedTrial } of results) {
    count(t, name, e, 1);
    if (before && wrote) t.notes.push(`${name}: wrote to --out before refusing`);
    if (!before && !failedTrial) t.notes.push(`${name}: the trial did not fail`);
  }
  if (existsSync(join(stage, 'unused'))) t.notes.push('needs: init no stage writes: the stage ran before refusing');
  const noSpec = join(work, 'i31-no-spec');
  mkdirSync(join(noSpec, 'records'), { recursive: true });
  const rep = await cli(['report', noSpec]);
  count(t, 'report without experiment.json', rep, 1);
  if (existsSync(join(noSpec, 'report.html'))) t.notes.push('report without experiment.json: wrote report.html');
}

// ================================================================ 4. kill -9
async function reference(): Promise<{ out: string; rec: ReturnType<typeof finished>; bytes: number; ms: number }> {
  const out = join(work, 'reference');
  // Training time: from the first trial's partial file to the end (start-up is not part of it).
  let t0 = 0;
  const e = await cli(['run', SLOW, '--out', out, '--workers', '2', '--no-report'], {
    onStart: () => whenTraining(out, () => (t0 = performance.now())),
  });
  const ms = performance.now() - t0;
  if (e.code !== 0) throw new Error(`reference run failed: ${e.stderr}`);
  const rec = finished(out);
  let bytes = 0;
  for (const text of rec.files.values()) bytes += Buffer.byteLength(text);
  return { out, rec, bytes, ms };
}

/** Call `f` once the run writing to `out` has started its first trial. */
function whenTraining(out: string, f: () => void): void {
  const poll = setInterval(() => {
    const dir = join(out, 'records');
    if (existsSync(dir) && readdirSync(dir).some((n) => n.endsWith('.jsonl'))) {
      clearInterval(poll);
      f();
    }
  }, 10);
}

/** Whether any process of the group is still running (not a zombie). */
function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
  } catch {
    return false;
  }
  const ps = spawnSync('ps', ['-eo', 'pgid=,stat='], { encoding: 'utf8' });
  return ps.stdout.split('\n').some((line) => {
    const [g, st] = line.trim().split(/\s+/);
    return Number(g) === group && !st.startsWith('Z');
  });
}

async function kills(ref: Awaited<ReturnType<typeof reference>>): Promise<void> {
  const t = tally('kill -9, then --resume');
  for (let k = 0; k < 5; k++) {
    const out = join(work, `killed-${k}`);
    // Kill at a seeded random point of training, 10% to 95% into the reference run's training time
    // (so it lands mid-trial whatever the machine's speed; some trials are then past a checkpoint).
    const delay = ref.ms * (0.1 + 0.85 * r.uniform());
    let killedAt = '';
    let pid = 0;
    const e = await cli(['run', SLOW, '--out', out, '--workers', '2', '--no-report'], {
      onStart: (group) => {
        pid = group;
        whenTraining(out, () =>
          setTimeout(() => {
            const files = existsSync(join(out, 'records')) ? readdirSync(join(out, 'records')) : [];
            killedAt = `${finished(out).files.size} of ${ref.rec.files.size} finished, ${files.filter((f) => f.endsWith('.ckpt')).length} checkpoint(s)`;
            // The whole job: killing only tsx's wrapper leaves the node process writing (and,
            // rightly, holding the lock).
            try {
              process.kill(-group, 'SIGKILL');
            } catch {
              killedAt = 'after it had ended';
            }
          }, delay),
        );
      },
    });
    // As a user would: rerun once the killed job is gone (its node process can take a moment to die).
    for (let i = 0; i < 200 && groupAlive(pid); i++) await new Promise((w) => setTimeout(w, 50));
    const before = finished(out);
    const resumed = await cli(['run', SLOW, '--out', out, '--workers', '2', '--no-report', '--resume']);
    t.cases++;
    // A kill that came after the job had ended leaves a clean exit 0: right as well.
    const firstRight = killedAt === 'after it had ended' || killedAt === '' ? e.code === 0 : e.signal === 'SIGKILL';
    if (firstRight && resumed.code === 0) t.rightExit++;
    else t.notes.push(`kill ${k}: first ${e.code ?? e.signal}, resume ${resumed.code}: ${resumed.stderr.trim().split('\n').at(-1)}`);
    if (!STACK.test(resumed.stderr)) t.clear++;
    else t.stacks++;
    compare(t, before.files, finished(out), ref.rec);
    const continued = /(\d+) interrupted trial\(s\) continue from their last checkpoint/.exec(resumed.stderr)?.[1] ?? '0';
    t.notes.push(
      `kill ${k}: at ${killedAt || 'the end'}; resume ran ${ref.rec.files.size - before.files.size} trial(s), ${continued} of them from a checkpoint`,
    );
  }
}

// ================================================================ 5. full disk, read-only directory
function mount(dir: string, options: string): string | null {
  mkdirSync(dir, { recursive: true });
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  return m.status === 0 ? null : m.stderr.trim() || `mount exited ${m.status}`;
}
const umount = (dir: string) => spawnSync('umount', [dir]);

async function fullDisk(ref: Awaited<ReturnType<typeof reference>>): Promise<void> {
  const t = tally('full disk (tmpfs)');
  const mnt = join(work, 'small-disk');
  // Room for about half of the run's records.
  const size = Math.max(64 * 1024, Math.round(ref.bytes / 2 / 4096) * 4096);
  const refused = mount(mnt, `size=${size}`);
  if (refused) {
    t.notes.push(`skipped: cannot mount a tmpfs (${refused}); run as root`);
    return;
  }
  try {
    const out = join(mnt, 'results');
    const e = await cli(['run', SLOW, '--out', out, '--workers', '2', '--no-report']);
    count(t, 'records on a full disk', e, 1);
    if (!/ENOSPC/.test(errorLines(e)[0] ?? '')) t.notes.push(`records: the error does not say the disk is full: ${errorLines(e)[0]}`);
    const before = finished(out);
    if (before.torn) t.notes.push(`${before.torn} torn line(s) on the full disk`);
    t.lost += before.torn;
    // Free space, then resume: the finished trials stay, the rest complete as in the reference.
    spawnSync('mount', ['-o', `remount,size=${ref.bytes * 4}`, mnt]);
    const resumed = await cli(['run', SLOW, '--out', out, '--workers', '2', '--no-report', '--resume']);
    count(t, 'resume after freeing space', resumed, 0, false);
    compare(t, before.files, finished(out), ref.rec);
    // The report step on a full disk.
    spawnSync('sh', ['-c', `head -c ${ref.bytes * 8} /dev/zero > ${join(mnt, 'filler')}`]);
    const rep = await cli(['report', out]);
    count(t, 'report on a full disk', rep, 1);
  } finally {
    umount(mnt);
  }
  const ro = join(work, 'read-only');
  const failed = mount(ro, 'ro,size=1m');
  if (failed) t.notes.push(`read-only probe skipped: ${failed}`);
  else {
    try {
      count(t, 'read-only --out', await cli(['run', TINY, '--out', join(ro, 'results'), '--workers', '1', '--no-report']), 1);
    } finally {
      umount(ro);
    }
  }
  const blocked = join(work, 'records-is-a-file');
  mkdirSync(blocked, { recursive: true });
  writeFileSync(join(blocked, 'records'), 'not a directory');
  count(t, 'records/ is a file', await cli(['run', TINY, '--out', blocked, '--workers', '1', '--no-report']), 1);
}

// ================================================================ 6. two writers
async function twoWriters(): Promise<void> {
  const t = tally('two writers on one --out');
  for (let k = 0; k < 4; k++) {
    const out = join(work, `writers-${k}`);
    const [a, b] = await Promise.all([
      cli(['run', TINY, '--out', out, '--workers', '1', '--no-report']),
      new Promise<Exit>((done) =>
        setTimeout(() => void cli(['run', TINY, '--out', out, '--workers', '1', '--no-report', '--resume']).then(done), 200 + r.int(3000)),
      ),
    ]);
    // Exactly one of them holds the directory; the other stops at once naming the holder.
    const [winner, loser] = a.code === 0 ? [a, b] : [b, a];
    t.cases++;
    const refusedClearly = loser.code === 1 && /in use by process \d+/.test(errorLines(loser)[0] ?? '') && clear(loser);
    // (If the second started only after the first had finished, it just resumes: also right.)
    if (winner.code === 0 && (refusedClearly || loser.code === 0)) t.rightExit++;
    if (refusedClearly || loser.code === 0) t.clear++;
    if (STACK.test(a.stderr + b.stderr)) t.stacks++;
    t.notes.push(
      `try ${k}: second writer ${refusedClearly ? `stopped in ${Math.round(loser.ms)} ms: ${errorLines(loser)[0].slice(0, 90)}…` : `exit ${loser.code}`}`,
    );
    const f = finished(out);
    for (const n of f.perTrial.values()) if (n > 1) t.duplicated += n - 1;
    if (f.perTrial.size !== 6) {
      t.lost += 6 - f.perTrial.size;
      t.notes.push(`try ${k}: ${f.perTrial.size} of 6 trials finished`);
    }
  }
}

const started = performance.now();
const only = process.argv.slice(2).find((a) => !a.startsWith('-'));
const run = (name: string) => !only || only === name;
if (run('specs')) await badSpecs();
if (run('flags')) await badFlags();
if (run('data')) await corruptData();
if (run('issue31')) await issue31();
if (run('kill') || run('disk')) {
  const ref = await reference();
  if (run('kill')) await kills(ref);
  if (run('disk')) await fullDisk(ref);
}
if (run('writers')) await twoWriters();

const pad = (s: string | number, n: number) => String(s).padEnd(n);
console.log(`\nrulebench integrity probes (${Math.round((performance.now() - started) / 1000)} s; ${work})\n`);
console.log(
  `${pad('group', 28)}${pad('cases', 7)}${pad('clear', 7)}${pad('right exit', 12)}${pad('stack traces', 14)}${pad('lost', 6)}duplicated`,
);
const sum = { cases: 0, clear: 0, rightExit: 0, stacks: 0, lost: 0, duplicated: 0 };
for (const t of tallies) {
  console.log(
    `${pad(t.group, 28)}${pad(t.cases, 7)}${pad(t.clear, 7)}${pad(t.rightExit, 12)}${pad(t.stacks, 14)}${pad(t.lost, 6)}${t.duplicated}`,
  );
  for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += t[k];
}
console.log(
  `${pad('total', 28)}${pad(sum.cases, 7)}${pad(sum.clear, 7)}${pad(sum.rightExit, 12)}${pad(sum.stacks, 14)}${pad(sum.lost, 6)}${sum.duplicated}`,
);
for (const t of tallies) for (const n of t.notes) console.log(`  ${t.group}: ${n}`);
rmSync(work, { recursive: true, force: true });
process.exitCode = sum.cases === sum.clear && sum.cases === sum.rightExit && sum.stacks + sum.lost + sum.duplicated === 0 ? 0 : 1;
