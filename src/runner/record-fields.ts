// The records' field order, and each field's value when no observer sets it: one place, so a
// record's bytes do not depend on which observers ran or in what order they answered. A field
// left undefined is absent from the JSON line (the task-only and language-model fields).
import type { RuleOptions } from '../rules/rule.ts';
import type { Estimate, EvalRecord, SummaryRecord } from './record-types.ts';

/** What every record of a trial starts with. */
export interface RecordHead {
  trial: string;
  rule: string;
  options: RuleOptions;
  seed: number;
  estimates: Estimate;
  objective: string | null;
}

/** An evaluation record: the head, then each part in turn (a later part's field wins). */
export function evalRecord(head: RecordHead, at: { epoch: number; step: number }, parts: Array<Partial<EvalRecord>>): EvalRecord {
  const rec: EvalRecord = {
    type: 'eval',
    trial: head.trial,
    rule: head.rule,
    options: head.options,
    seed: head.seed,
    epoch: at.epoch,
    step: at.step,
    trainLoss: NaN,
    valAcc: null,
    valLoss: null,
    testAcc: NaN,
    testLoss: null,
    valMetrics: undefined,
    testMetrics: undefined,
    memory: null,
    estimates: head.estimates,
    objective: head.objective,
    alignment: [],
    metrics: {},
    diagnostics: {},
    cost: { forwardPasses: 0 },
    host: { wallMs: NaN, stepMs: NaN, stepCpuMs: NaN, rssBytes: NaN, heapBytes: NaN },
  };
  return Object.assign(rec, ...parts);
}

/** A summary record: the head, then each part in turn. */
export function summaryRecord(head: RecordHead, parts: Array<Partial<SummaryRecord>>): SummaryRecord {
  const rec: SummaryRecord = {
    type: 'summary',
    trial: head.trial,
    rule: head.rule,
    options: head.options,
    seed: head.seed,
    status: 'done',
    error: null,
    failure: null,
    epochs: 0,
    steps: 0,
    stoppedBy: null,
    finalTestAcc: NaN,
    bestValAcc: null,
    finalTestMetrics: undefined,
    finalValMetrics: undefined,
    sample: undefined,
    peakBytes: null,
    ratioToInference: null,
    estimates: head.estimates,
    objective: head.objective,
    alignmentReference: null,
    meanCosine: null,
    meanLayerCosine: null,
    meanErrorSignalCosine: null,
    cost: { forwardPasses: 0, forwardPassesPerStep: 0 },
    host: { wallMs: 0, stepMs: 0, stepCpuMs: 0, medianStepMs: null, msPerEpoch: 0 },
  };
  return Object.assign(rec, ...parts);
}
