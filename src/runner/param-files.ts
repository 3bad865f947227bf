// Parameter files around a trial: its starting parameters (a fresh draw, or the file an earlier
// trial wrote, as a fine-tuning run starts from a pretrained model) and its final ones saved.
import type { Dataset } from '../data/dataset.ts';
import { SpecError } from '../errors.ts';
import { buildModel, type Model } from '../nn/model.ts';
import { ledger } from '../tensor/ledger.ts';
import type { DistillSpec, Teacher } from '../rules/distill.ts';
import type { Task } from '../rules/task.ts';
import { paramPath, readParamFile, writeParamFile, type ParamFileMeta } from '../nn/param-file.ts';
import type { Rng } from '../random.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Observer } from './observer.ts';

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
export function startingParams(
  files: ParamFiles,
  fill: { seed: number; rule: string },
  model: Model,
  data: Dataset,
  initRng: Rng,
): { params: Tensor[]; buffers: Tensor[] } {
  if (!files.init) return { params: model.init(initRng), buffers: model.initBuffers() };
  return readParamFile(paramPath(files.init, fill), model, meta(data));
}

/** A distillation teacher built for the trial's data, its parameters read from its file and counted as frozen. */
export function readTeacher(spec: DistillSpec, data: { train: Dataset; task: Task }): Teacher {
  let model: Model;
  try {
    model = buildModel(spec.teacher.model, {
      sampleShape: data.train.shape,
      outputs: data.task.classes,
      outputShape: data.task.outputShape,
    });
  } catch (e) {
    throw e instanceof SpecError ? new SpecError(`distill.teacher.${e.message}`) : e;
  }
  const { params, buffers } = readParamFile(spec.teacher.params, model, meta(data.train), {
    field: 'distill.teacher.params',
    category: 'frozen',
  });
  for (const b of buffers) ledger().recategorize(b.entry, 'frozen');
  return { forward: (x) => model.forward(params, x, { training: false, buffers }), tensors: [...params, ...buffers] };
}

/** Saves a finished trial's parameters (a diverged trial's are not worth saving). */
export function saveParamsObserver(
  path: string,
  fill: { seed: number; rule: string; trial: string },
  model: Model,
  params: readonly Tensor[],
  buffers: readonly Tensor[],
  data: Dataset,
): Observer {
  return {
    name: 'param-file',
    onFinish(status) {
      if (status === 'done') writeParamFile(paramPath(path, fill), model, params, buffers, meta(data, fill.trial));
    },
  };
}
