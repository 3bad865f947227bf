// Scores on the validation and test splits at each evaluation point, and the best validation
// accuracy so far (the summary's bestValAcc).
import type { Dataset } from '../../data/dataset.ts';
import type { AnyRule } from '../../rules/rule.ts';
import type { Task } from '../../rules/task.ts';
import { evaluate } from '../evaluate.ts';
import type { Observer } from '../observer.ts';
import type { EvalRecord, SummaryRecord } from '../record-types.ts';

/** valMetrics / testMetrics for an evaluation record; nothing for tasks without figures of their own. */
function taskMetricFields(
  task: Task,
  val: { loss: number | null } | null,
  test: { loss: number | null },
): Pick<EvalRecord, 'valMetrics' | 'testMetrics'> {
  if (test.loss === null || !Object.keys(task.metrics(test.loss)).length) return {};
  return { valMetrics: val && val.loss !== null ? task.metrics(val.loss) : null, testMetrics: task.metrics(test.loss) };
}

/** The final evaluation's task figures for the summary. */
function summaryMetricFields(last: EvalRecord | null): Pick<SummaryRecord, 'finalTestMetrics' | 'finalValMetrics'> {
  return last?.testMetrics ? { finalTestMetrics: last.testMetrics, finalValMetrics: last.valMetrics ?? null } : {};
}

/** `withTest` false: the validation split only (tuning trials), the test figures null. */
export function evaluationObserver(
  rule: AnyRule,
  task: Task,
  splits: { validation: Dataset | null; test: Dataset },
  chunk: number,
  withTest = true,
): Observer {
  let bestVal: number | null = null;
  return {
    name: 'evaluation',
    evalFields({ ctx, state }) {
      // Chunks the size of a training batch: without a tape nothing is freed before a chunk ends,
      // so a deep conv net's chunk holds every intermediate (a 1000-image ResNet-20 chunk: GBs).
      const test = withTest ? evaluate(rule, ctx, state, splits.test, chunk) : { acc: NaN, loss: null };
      const val =
        splits.validation === splits.test ? test : splits.validation ? evaluate(rule, ctx, state, splits.validation, chunk) : null;
      if (val && (bestVal === null || val.acc > bestVal)) bestVal = val.acc;
      return {
        valAcc: val?.acc ?? null,
        valLoss: val?.loss ?? null,
        testAcc: test.acc,
        testLoss: test.loss,
        ...taskMetricFields(task, val, test),
        ...(test.lossNote || val?.lossNote ? { lossNote: test.lossNote ?? val?.lossNote } : {}),
      };
    },
    summaryFields: (last) => ({ finalTestAcc: last?.testAcc ?? NaN, bestValAcc: bestVal, ...summaryMetricFields(last) }),
    snapshot: () => ({ bestVal }),
    restore(saved) {
      ({ bestVal } = saved as { bestVal: number | null });
    },
  };
}
