// What the one training loop asks of the task and of parameter files, kept out of trial.ts: the
// task's own figures for the records, a trial's starting parameters (fresh, or from a file an
// earlier trial wrote), and its end (the parameters saved, a seeded sample of generated text).
import type { Dataset } from '../data/dataset.ts';
import type { Model } from '../nn/model.ts';
import type { ForwardOptions } from '../nn/module.ts';
import { paramPath, readParamFile, writeParamFile, type ParamFileMeta } from '../nn/param-file.ts';
import type { Rng } from '../random.ts';
import type { Task } from '../rules/task.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { EvalRecord, SummaryRecord } from './record-types.ts';

/** Mean loss of a split as the evaluation reports it (null: the rule predicts by its own scores). */
interface SplitFigures {
  loss: number | null;
}

/** valMetrics / testMetrics for an evaluation record; nothing for tasks without figures of their own. */
export function taskMetricFields(task: Task, val: SplitFigures | null, test: SplitFigures): Pick<EvalRecord, 'valMetrics' | 'testMetrics'> {
  if (test.loss === null || !Object.keys(task.metrics(test.loss)).length) return {};
  return { valMetrics: val && val.loss !== null ? task.metrics(val.loss) : null, testMetrics: task.metrics(test.loss) };
}

/** The final evaluation's task figures for the summary. */
export function summaryMetricFields(last: EvalRecord | null): Pick<SummaryRecord, 'finalTestMetrics' | 'finalValMetrics'> {
  return last?.testMetrics ? { finalTestMetrics: last.testMetrics, finalValMetrics: last.valMetrics ?? null } : {};
}

export interface ParamFiles {
  /** Start from this parameter file ({seed}, {rule} filled in) instead of a fresh draw. */
  init?: string;
  /** Write the final parameters here ({seed}, {rule}, {trial} filled in). */
  saveParams?: string;
}

function meta(ds: Dataset, trial?: string): ParamFileMeta {
  return { vocab: ds.kind === 'classification' ? ds.tokens?.vocab : undefined, trial };
}

/** Parameters and buffers a trial starts from. */
export function startingParams(files: ParamFiles, fill: { seed: number; rule: string }, model: Model, data: Dataset, initRng: Rng): { params: Tensor[]; buffers: Tensor[] } {
  if (!files.init) return { params: model.init(initRng), buffers: model.initBuffers() };
  return readParamFile(paramPath(files.init, fill), model, meta(data));
}

/** The summary's sample of generated text (tasks that draw samples), and the saved parameters. */
export function finishTrial(
  files: ParamFiles, fill: { seed: number; rule: string; trial: string }, task: Task, model: Model,
  params: readonly Tensor[], buffers: readonly Tensor[], infer: ForwardOptions, data: Dataset, sampleRng: Rng,
): Pick<SummaryRecord, 'sample'> {
  if (files.saveParams) writeParamFile(paramPath(files.saveParams, fill), model, params, buffers, meta(data, fill.trial));
  return task.sample ? { sample: task.sample((x) => model.forward(params, x, infer), sampleRng) } : {};
}
