// Every rule of `npm start`'s comparison (experiments/mnist-compare.ts) at low precision, on its
// MNIST MLP and on LeNet-5: float32, bf16 (float32 masters), fp16 with dynamic loss scaling, and
// fp8 (E4M3 forward, E5M2 backward, as the FP8 training recipes split them, with dynamic loss
// scaling). Each record is a trial's evaluation record with its model and format beside it:
// accuracy, alignment with backprop's float32 gradient, per-layer flush and saturation shares,
// the loss-scale trajectory, and the ledger's bytes at each format's width.
//   npx tsx experiments/precision.ts [--quick] [--model mlp|lenet5] [--out DIR]
// One results directory per model (default results/precision[-quick]-<model>), rewritten after
// each rule so a long run leaves what it finished.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import '../algorithms/index.ts';
import {
  getRule,
  runSingleTrial,
  SpecError,
  writeScriptRecords,
  type DataConfig,
  type EvalRecord,
  type PrecisionSpec,
  type RuleOptions,
  type TrialConfig,
  type TrialRecord,
} from '../src/index.ts';
import { useBackendFromEnv } from '../src/kernels-api.ts';
import mnistCompare from './mnist-compare.ts';

export const FORMATS: Array<{ name: string; precision: PrecisionSpec | null }> = [
  { name: 'fp32', precision: null },
  { name: 'bf16', precision: { compute: 'bf16' } },
  { name: 'fp16+dynamic', precision: { compute: 'fp16', lossScale: 'dynamic' } },
  { name: 'fp8 e4m3/e5m2', precision: { compute: { forward: 'fp8-e4m3', backward: 'fp8-e5m2' }, lossScale: 'dynamic' } },
];

/** The models, each with what it needs of the images (LeNet-5 takes them at 32×32, as BioTorch's LeNet does: experiments/biotorch-lenet.ts). */
export const MODELS: Array<{ name: string; model: TrialConfig['model']; data?: Partial<DataConfig> }> = [
  { name: 'mlp', model: mnistCompare.model },
  { name: 'lenet5', model: { preset: 'lenet5', c5: 'conv', init: 'xavierUniform' } as TrialConfig['model'], data: { resize: 32 } },
];

/** mnist-compare's rule entries, one per grid point (feedback alignment's four variants). */
export function ruleVariants(): Array<{ label: string; rule: string; options: RuleOptions }> {
  return mnistCompare.rules.flatMap((e) => {
    const entry = typeof e === 'string' ? { rule: e } : e;
    const id = typeof entry.rule === 'string' ? entry.rule : entry.rule.id;
    const grid = Object.entries(entry.grid ?? {});
    if (grid.length === 0) return [{ label: id, rule: id, options: entry.options ?? {} }];
    const [[k, vs]] = grid;
    return vs.map((v) => ({ label: `${id} ${k}=${String(v)}`, rule: id, options: { ...entry.options, [k]: v } }));
  });
}

interface Protocol {
  data: DataConfig;
  seeds: number[];
  epochs: number;
  alignEvery: number;
}

export const FULL: Protocol = { data: mnistCompare.data, seeds: [0, 1, 2], epochs: 2, alignEvery: 25 };
export const QUICK: Protocol = { data: { name: 'mnist', train: 1000, test: 500, validation: 100 }, seeds: [0], epochs: 1, alignEvery: 5 };

/**
 * The rows of every trial on model `m`: its evaluation records with model and format, or why a
 * rule is not defined for the model; `done` gets the rows so far after each rule.
 */
export function precisionStudy(
  p: Protocol,
  m: (typeof MODELS)[number],
  log: (s: string) => void = () => {},
  done: (rows: object[]) => void = () => {},
): object[] {
  const rows: object[] = [];
  {
    for (const v of ruleVariants()) {
      for (const f of FORMATS) {
        for (const seed of p.seeds) {
          const config: TrialConfig = {
            experiment: 'precision',
            rule: v.rule,
            options: v.options,
            seed,
            data: { ...p.data, ...m.data },
            model: m.model,
            optimizer: mnistCompare.optimizer,
            batchSize: mnistCompare.batchSize,
            epochs: p.epochs,
            maxSteps: 0,
            evalEvery: 0,
            alignEvery: p.alignEvery,
            alignSamples: mnistCompare.alignSamples ?? 32,
            memory: true,
            debug: false,
            ...(f.precision ? { precision: f.precision } : {}),
          };
          const records: TrialRecord[] = [];
          try {
            const s = runSingleTrial(config, getRule(v.rule), {
              id: `${m.name}-${v.label}-${f.name}-${seed}`,
              onRecord: (r) => records.push(r),
            });
            const last = records.filter((r): r is EvalRecord => r.type === 'eval').pop();
            log(`${m.name} ${v.label} ${f.name} seed ${seed}: ${s.status}, test ${last ? (100 * last.testAcc).toFixed(1) : '-'}%`);
          } catch (e) {
            // A rule not defined for the model (its check) says so before training; anything else is a fault.
            if (!(e instanceof SpecError)) throw e;
            log(`${m.name} ${v.label} ${f.name}: not run (${(e as Error).message})`);
            rows.push({ type: 'not-run', model: m.name, series: v.label, format: f.name, seed, reason: (e as Error).message });
            continue;
          }
          for (const r of records) rows.push({ ...r, model: m.name, series: v.label, format: f.name });
        }
      }
      done(rows);
    }
  }
  return rows;
}

async function main(): Promise<void> {
  let values: { out?: string; quick?: boolean; model?: string };
  try {
    ({ values } = parseArgs({ options: { out: { type: 'string' }, quick: { type: 'boolean' }, model: { type: 'string' } } }));
  } catch (e) {
    console.error(`precision: ${(e as Error).message}`);
    process.exit(2);
  }
  const models = values.model === undefined ? MODELS : MODELS.filter((m) => m.name === values.model);
  if (models.length === 0) {
    console.error(`precision: --model: unknown model "${values.model}"; accepted: ${MODELS.map((m) => m.name).join(', ')}`);
    process.exit(2);
  }
  if (values.out !== undefined && models.length > 1) {
    console.error('precision: --out names one directory: give --model too');
    process.exit(2);
  }
  const protocol = values.quick ? QUICK : FULL;
  await useBackendFromEnv();
  for (const m of models) {
    const name = `precision${values.quick ? '-quick' : ''}-${m.name}`;
    const out = values.out ?? `results/${name}`;
    const write = (rows: object[]) =>
      writeScriptRecords(out, rows, {
        name,
        description:
          `mnist-compare's rules at ${FORMATS.map((f) => f.name).join(', ')} on ${m.name === 'mlp' ? 'its MNIST MLP' : 'LeNet-5'} ` +
          `(${protocol.epochs} epoch(s), seeds ${protocol.seeds.join(', ')}, Adam 1e-3, batch ${mnistCompare.batchSize}).`,
        spec: { protocol, formats: FORMATS, model: m, rules: ruleVariants() },
      });
    const rows = precisionStudy(protocol, m, (s) => console.log(s), write);
    console.log(`wrote ${rows.length} records to ${write(rows)}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
