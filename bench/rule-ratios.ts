// The rule-ratio part of `npm run bench` alone: each rule's step ÷ backprop's beside its cost
// model's ratio, printed, nothing written. Run: npx tsx --expose-gc bench/rule-ratios.ts [--quick] [--rule-steps N] [--reps N] [--rule ID]...
import { cpus, loadavg } from 'node:os';
import { installBackend } from '../src/kernels-api.ts';
import { loadWasmBackend } from '../src/kernels/wasm/index.ts';
import { timeRules, untimed } from './rules.ts';

const argv = process.argv.slice(2);
const num = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const quick = argv.includes('--quick');
const only = argv.flatMap((a, i) => (argv[i - 1] === '--rule' ? [a] : []));
const steps = num('rule-steps', quick ? 15 : 60);
const rounds = Math.max(1, num('reps', quick ? 1 : 3));
const load = () => `load average ${loadavg()[0].toFixed(2)} (1 min) on ${cpus().length} cores`;
const wasm = loadWasmBackend();
installBackend(wasm);
await import('../algorithms/index.ts');
console.log(`${steps} steps of each rule beside a BP run, ${rounds} round(s) (${wasm.name}, 1 thread); ${load()}`);
const failed = untimed(timeRules(steps, rounds, (s) => console.log(s), only));
console.log(load());
if (failed) console.error(failed);
process.exit(failed ? 1 : 0);
