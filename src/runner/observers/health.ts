// Health figures for each evaluation record's diagnostics: the rule's own diagnostics, backprop's
// gradient norms per layer at the latest alignment step, and the share of dead units on a fixed
// probe batch.
import { noGrad } from '../../autograd/functional.ts';
import type { Dataset } from '../../data/dataset.ts';
import { deadUnitShare, gradientNorms } from '../../metrics/health.ts';
import type { Model } from '../../nn/model.ts';
import type { ForwardOptions } from '../../nn/module.ts';
import type { AnyRule } from '../../rules/rule.ts';
import { ledger } from '../../tensor/ledger.ts';
import { fromArray, type Tensor } from '../../tensor/tensor.ts';
import type { Observer } from '../observer.ts';

export function healthObserver(
  rule: AnyRule,
  model: Model,
  params: readonly Tensor[],
  infer: ForwardOptions,
  probeSet: Dataset,
  batchSize: number,
): Observer {
  const rows = Math.min(256, batchSize, probeSet.n);
  const probe = ledger().withCategory('other', () =>
    fromArray(probeSet.x.subarray(0, rows * probeSet.features), [rows, probeSet.features]),
  );
  let gradNorms: Record<string, number> = {};
  return {
    name: 'health',
    afterStep(s) {
      if (s.reference) gradNorms = gradientNorms(model, s.reference.grads);
    },
    evalFields: ({ ctx, state }) => ({
      diagnostics: {
        ...(rule.diagnostics ? noGrad(() => rule.diagnostics!(ctx, state)) : {}),
        ...gradNorms,
        ...deadUnitShare(model, params, probe, infer),
      },
    }),
    onFinish: () => probe.dispose(),
    snapshot: () => ({ gradNorms }),
    restore(saved) {
      ({ gradNorms } = saved as { gradNorms: Record<string, number> });
    },
  };
}
