// Times one first-rung tuning trial (configuration 0) of each rule entry of an experiment, on one
// kernel thread, to size a tuning study: npx tsx scripts/time-tuning-trials.ts [experiment] [budget] [rule,prefixes]
import { useBackendFromEnv } from '../src/kernels/select.ts';
import { stepsPerEpoch } from '../src/runner/epoch-steps.ts';
import { loadExperiment } from '../src/runner/execute.ts';
import { runTrial } from '../src/runner/trial.ts';
import { planTuning, tuneTrial } from '../src/runner/tune/plan.ts';

const [file = 'experiments/mnist-compare.ts', budget = '9', only] = process.argv.slice(2);
await useBackendFromEnv(undefined, 1);
const { spec } = await loadExperiment(file);
const plan = planTuning(spec, stepsPerEpoch(spec.data, spec.batchSize), { budget: Number(budget) });
console.log(
  `${spec.name}: ${plan.stepsPerEpoch} steps per epoch; rungs of ${plan.rungs.map((r) => `${r.configurations} × ${r.steps}`).join(', ')} steps`,
);
for (const u of plan.units) {
  if (only && !only.split(',').some((o) => u.key.startsWith(o))) continue;
  const t = tuneTrial(plan, u, 0, 0, plan.seeds[0]);
  const started = performance.now();
  const s = runTrial(t.config, t.id, t.rule, () => {});
  const wall = (performance.now() - started) / 1000;
  console.log(
    `${u.key.padEnd(48)} ${t.config.maxSteps} steps in ${wall.toFixed(1)} s (median step ${s.host.medianStepMs?.toFixed(1)} ms; ${s.status}); options ${JSON.stringify(u.configs[0].options)}`,
  );
}
