// MeZO fine-tuning at the paper's step ratio to backprop: mezo-finetune's setting, but MeZO takes
// 32 times backprop's steps. Read in princeton-nlp/MeZO, large_models/: mezo.sh runs MeZO for
// 20,000 steps at batch 16 (STEPS, BS), finetune.sh runs backprop + Adam for 5 epochs of its 1,000
// training examples at batch 8 (EPOCH, TRAIN, BS), 625 steps: 20,000 / 625 = 32. Both keep their
// best-validation model. Here both rules take batch 16 (the paper's MeZO batch; its backprop
// batch was 8) and the ratio is kept in steps: backprop stops at its forward-pass budget (3 per
// step), MeZO at maxSteps. Its rate and ε are mezo-finetune's (SGD 1e-3, ε = 1e-3; the paper's
// OPT runs use 1e-6 or 1e-7 with ε = 1e-3 on models thousands of times larger).
//   npx tsx src/cli.ts run experiments/mezo-finetune-ratio.ts [--quick]    (runs mezo-pretrain first through `needs`)
import { defineExperiment } from '../src/index.ts';
import base from './mezo-finetune.ts';

/** Steps of MeZO per step of backprop, as the paper's scripts set them. */
const RATIO = 32;
const BACKPROP_STEP_COST = 3;
const bp = (steps: number) => ({ rule: 'backprop', budget: { forwardPasses: BACKPROP_STEP_COST * steps } });
const mezo = { rule: 'mezo', options: { eps: 1e-3 }, optimizer: { name: 'sgd' as const, lr: 1e-3 } };

// Backprop's steps; quick settings cannot change a spec's rules, so --quick keeps these step counts on the small model.
const STEPS = 300;

export default defineExperiment({
  ...base,
  name: 'mezo-finetune-ratio',
  description:
    `mezo-finetune at the paper's step ratio: backprop + Adam 1e-3 for ${STEPS} steps, MeZO (SGD 1e-3, ε = 1e-3) for ${RATIO}× as many ` +
    `(${RATIO * STEPS}); context 64, batch 16, 3 seeds.`,
  rules: [mezo, bp(STEPS)],
  maxSteps: RATIO * STEPS,
  evalEvery: 300,
  alignEvery: 0,
  quick: {
    ...base.quick,
    description: `--quick: the mezo-pretrain --quick model (1 block, width 32), context 32, the same steps (backprop ${STEPS}, MeZO ${RATIO * STEPS}), 1 seed.`,
    maxSteps: RATIO * STEPS,
    evalEvery: 300,
    alignEvery: 0,
  },
});
