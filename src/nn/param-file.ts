// Parameter files: a trial's final parameters (and buffers) by path and shape, float32 as base64,
// with what the data's ids meant (a vocabulary), so a later trial can start from them — a
// pretrained language model fine-tuned on another text. Written atomically (temp file + rename).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SpecError } from '../errors.ts';
import { ledger } from '../tensor/ledger.ts';
import { fromArray, type Tensor } from '../tensor/tensor.ts';
import type { Model } from './model.ts';
import type { Slot } from './module.ts';

export const PARAM_FILE_FORMAT = 'rulebench-parameters';

interface Entry {
  path: string;
  shape: number[];
  /** Little-endian float32, base64. */
  data: string;
}

export interface ParamFile {
  format: typeof PARAM_FILE_FORMAT;
  version: 1;
  params: Entry[];
  buffers: Entry[];
  /** What the trial's inputs meant: the vocabulary of token ids, when the data has one. */
  meta: { vocab?: readonly string[]; trial?: string };
}

export interface ParamFileMeta {
  vocab?: readonly string[];
  trial?: string;
}

/** `{seed}`, `{rule}` and `{trial}` in a path template, filled in for one trial. */
export function paramPath(template: string, fill: { seed: number; rule: string; trial?: string }): string {
  return template
    .replaceAll('{seed}', String(fill.seed))
    .replaceAll('{rule}', fill.rule)
    .replaceAll('{trial}', fill.trial ?? 'trial');
}

function entries(slots: readonly Slot[], ts: readonly Tensor[]): Entry[] {
  return slots.map((s, i) => {
    const f32 = Float32Array.from(ts[i].data);
    return { path: s.path, shape: [...s.shape], data: Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString('base64') };
  });
}

export function writeParamFile(
  path: string,
  model: Model,
  params: readonly Tensor[],
  buffers: readonly Tensor[],
  meta: ParamFileMeta = {},
): void {
  const file: ParamFile = {
    format: PARAM_FILE_FORMAT,
    version: 1,
    params: entries(model.params, params),
    buffers: entries(model.buffers, buffers),
    meta,
  };
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(file)}\n`);
  renameSync(tmp, path);
}

function decode(e: Entry): Float32Array {
  const b = Buffer.from(e.data, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** The values of `slots` from the file's entries, checked path by path and shape by shape. */
function read(file: string, what: string, slots: readonly Slot[], got: readonly Entry[], field: string): Tensor[] {
  const byPath = new Map(got.map((e) => [e.path, e]));
  for (const e of got) {
    if (!slots.some((s) => s.path === e.path))
      throw new SpecError(`${field}: ${file} holds ${what} "${e.path}", which the model does not have (a different architecture?)`);
  }
  return slots.map((s) => {
    const e = byPath.get(s.path);
    if (!e) throw new SpecError(`${field}: ${file} has no ${what} "${s.path}"; it holds ${got.map((x) => x.path).join(', ') || 'none'}`);
    if (e.shape.join() !== s.shape.join())
      throw new SpecError(`${field}: ${file}: ${what} "${s.path}" is [${e.shape.join(', ')}], the model's is [${s.shape.join(', ')}]`);
    const v = decode(e);
    if (v.length !== s.shape.reduce((a, b) => a * b, 1))
      throw new SpecError(`${field}: ${file}: ${what} "${s.path}" holds ${v.length} values for shape [${s.shape.join(', ')}]`);
    return fromArray(v, s.shape);
  });
}

/**
 * A model's parameters and buffers from a parameter file, counted as 'param' like a fresh draw.
 * Refuses a file for another architecture, or one whose vocabulary differs from the data's.
 */
export function readParamFile(
  path: string,
  model: Model,
  meta: ParamFileMeta = {},
  /** The spec field that names the file (errors name it), and what its tensors count as. */
  use: { field: string; category: 'param' | 'frozen' } = { field: 'init', category: 'param' },
): { params: Tensor[]; buffers: Tensor[] } {
  const field = use.field;
  if (!existsSync(path))
    throw new SpecError(`${field}: no parameter file at ${path} (written by a trial with saveParams; run that experiment first)`);
  let file: ParamFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as ParamFile;
  } catch (e) {
    throw new SpecError(`${field}: ${path} is not a parameter file (${(e as Error).message})`);
  }
  if (file.format !== PARAM_FILE_FORMAT || file.version !== 1)
    throw new SpecError(`${field}: ${path} is not a ${PARAM_FILE_FORMAT} file of version 1`);
  const a = file.meta?.vocab;
  const b = meta.vocab;
  if (a && b && (a.length !== b.length || a.some((c, i) => c !== b[i]))) {
    throw new SpecError(
      `${field}: ${path} was trained on a vocabulary of ${a.length} symbols that differs from the data's (${b.length}); give the data the pretraining text's vocabulary (data.vocabulary)`,
    );
  }
  return ledger().withCategory(use.category, () => ({
    params: read(path, 'parameter', model.params, file.params, field),
    buffers: read(path, 'buffer', model.buffers, file.buffers ?? [], field),
  }));
}
