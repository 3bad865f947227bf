// Batches from a dataset's rows, and scoring a rule's model over a whole split in chunks without
// a tape: what the training loop and its evaluation observer share.
import { noGrad } from '../autograd/functional.ts';
import { log, maximum } from '../autograd/ops.ts';
import { targetWidth, type Dataset } from '../data/dataset.ts';
import type { Model } from '../nn/model.ts';
import { rulePredicts, type AnyRule, type RuleContext } from '../rules/rule.ts';
import type { Batch } from '../rules/task.ts';
import { fromArray, scalar, sizeOf, withArena } from '../tensor/tensor.ts';

/** Rows [from, from + size) of a dataset (or of a loader's batch buffers) as a Batch of tensors. */
export function toBatch(ds: Dataset, x: Float32Array, y: Int32Array | Float32Array, size: number, from = 0): Batch {
  const xt = fromArray(x.subarray(from * ds.features, (from + size) * ds.features), [size, ds.features]);
  const w = targetWidth(ds);
  if (ds.kind === 'classification') return { x: xt, labels: (y as Int32Array).subarray(from * w, (from + size) * w), size };
  return { x: xt, targets: fromArray((y as Float32Array).subarray(from * w, (from + size) * w), [size, w]), size };
}

export const EVAL_BYTES = 512 * 2 ** 20;
/** Tensors a layer makes per output in evaluation (batch norm's composed ops make about four). */
const TEMPORARIES_PER_OUTPUT = 4;

/**
 * Rows per evaluation chunk: at most `chunk`, ~16k labels (a sequence sample carries one per
 * position), and about EVAL_BYTES of forward outputs, since a chunk's arena holds them all
 * until it ends (a ResNet-20 makes ~6 MB per 32×32 image: 1000 of them overflowed the 4 GB
 * WASM memory and fell back to the reference kernels).
 */
export function evalRows(model: Model, ds: Dataset, chunk = 1000): number {
  const perSample = model.modules().reduce((s, m) => s + (m.children.length ? 0 : sizeOf(m.outShape)), 0) * 4 * TEMPORARIES_PER_OUTPUT;
  return Math.max(1, Math.min(chunk, Math.floor(16_384 / targetWidth(ds)), Math.floor(EVAL_BYTES / perSample)));
}

/** The smallest positive normal float32: a probability of 0 scores as this (a finite loss). */
const TINY = 1.1754944e-38;

/**
 * Accuracy and mean loss over a dataset, in chunks, without a tape; the task scores the outputs
 * (the model's, or the rule's `predict`, as its `predicts` declares them). Scores that only rank
 * the classes have no loss: `lossNote` says so.
 */
export function evaluate(
  rule: AnyRule,
  ctx: RuleContext,
  state: unknown,
  ds: Dataset,
  chunk = 1000,
): { acc: number; loss: number | null; lossNote?: string } {
  const rows = evalRows(ctx.model, ds, chunk);
  const predicts = rulePredicts(rule, ctx.options);
  return noGrad(() => {
    let correct: number | null = 0;
    let lossSum = 0;
    let count = 0;
    // One arena per chunk: a conv net's im2col columns for 1000 images are tens of MB each.
    for (let from = 0; from < ds.n; from += rows)
      withArena(() => {
        const size = Math.min(rows, ds.n - from);
        const batch = toBatch(ds, ds.x, ds.y, size, from);
        const out = rule.predict ? rule.predict(ctx, state, batch.x) : ctx.model.forward(ctx.params, batch.x, ctx.infer);
        // log p as logits: their log-softmax is log p again, so the task's cross-entropy is −log p[label].
        const s = ctx.task.score(predicts === 'probabilities' ? log(maximum(out, scalar(TINY))) : out, batch);
        lossSum += s.lossSum;
        count += s.count;
        correct = correct === null || s.correct === null ? null : correct + s.correct;
      });
    const acc = correct === null || count === 0 ? NaN : correct / count;
    if (predicts !== 'scores') return { acc, loss: lossSum / count };
    return {
      acc,
      loss: null,
      lossNote: `rule "${rule.id}" predicts class scores that only rank the classes (its predicts: 'scores'): no loss`,
    };
  });
}
