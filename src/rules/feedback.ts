// The feedback-alignment family's shared parts (FA and its sign-symmetric variants, DFA,
// Kolen-Pollack, weight mirroring): which layers send an error below, how their feedback
// tensors are drawn, and the model with those tensors in place of the weights on the way down.
import { vjp } from '../autograd/functional.ts';
import { isTracked } from '../autograd/tape.ts';
import { SpecError } from '../errors.ts';
import { initByName } from '../nn/init.ts';
import type { Model } from '../nn/model.ts';
import { wrap, type Module } from '../nn/module.ts';
import { isRecurrent } from '../nn/recurrent.ts';
import { isWeightLayer, replaceInputVjp, weightSlot, type WeightLayer } from '../nn/weight-layer.ts';
import type { Rng } from '../random.ts';
import { withLedger } from '../tensor/ledger.ts';
import { full, type Tensor } from '../tensor/tensor.ts';
import type { RuleContext } from './rule.ts';

const dataReadersOf = new WeakMap<Module, ReadonlySet<string>>();

/**
 * Paths of the weight layers whose input is computed from the data alone, with no parameter on
 * the way (the first dense or conv layer of an MLP or a CNN; none in a language model, whose
 * layers read an embedding): an error sent below them would reach nothing that learns. Found by
 * dataflow, not by position, so parallel readers of one tensor (attention's q, k and v) are
 * treated alike: one forward pass on a zero sample with the parameters traced, where a layer
 * whose input is untracked reads the data. Its tensors are counted in a throwaway ledger.
 */
export function dataReaders(model: Model): ReadonlySet<string> {
  const cached = dataReadersOf.get(model.root);
  if (cached) return cached;
  const readers = new Set<string>();
  const note = (path: string) => (x: Tensor) => {
    if (!isTracked(x)) readers.add(path);
    return x;
  };
  const probe = model.map((m) => (isWeightLayer(m) ? wrap(m, { before: note(m.path) }) : m));
  withLedger(() => {
    const buffers = model.buffers.map((s) => full(s.shape, s.init.kind === 'constant' ? s.init.value : 0));
    const x = full([1, ...model.inputShape], 0);
    vjp(
      (p: Tensor[]) => probe.forward(p, x, { training: false, buffers }),
      model.params.map((s) => full(s.shape, 0)),
    );
  });
  dataReadersOf.set(model.root, readers);
  return readers;
}

/** The layers that send an error below: every weight layer but those that read the data (see dataReaders). */
export function feedbackLayers(model: Model): WeightLayer[] {
  const readers = dataReaders(model);
  return model.weightLayers().filter((l) => !readers.has(l.path));
}

/** The scheme a feedback tensor is drawn with: the layer's own weight scheme unless `init` names one ('model': its own). */
export function feedbackScheme(layer: WeightLayer, init: string): string {
  const own = weightSlot(layer).init;
  return init === 'model' ? (own.kind === 'weight' ? own.scheme : 'xavierUniform') : init;
}

/** A random feedback tensor for `layer`, drawn like its weight (or with the scheme `init` names). */
export function drawFeedback(layer: WeightLayer, init: string, rng: Rng): Tensor {
  return initByName(feedbackScheme(layer, init))(weightSlot(layer).shape, rng);
}

/** A feedback tensor per feedback layer path, drawn from the rule's stream ctx.rng.child('feedback').child(path). */
export function initialFeedback(ctx: RuleContext, init: string): Record<string, Tensor> {
  const rng = ctx.rng.child('feedback');
  const out: Record<string, Tensor> = {};
  for (const l of feedbackLayers(ctx.model)) out[l.path] = drawFeedback(l, init, rng.child(l.path));
  return out;
}

/** `model` with each layer in `feedback` sending its error below through that tensor instead of W. */
export function withFeedback(model: Model, feedback: ReadonlyMap<string, Tensor>): Model {
  return model.map((m) => {
    const b = feedback.get(m.path);
    return b && isWeightLayer(m) ? replaceInputVjp(m, (g, x) => m.inputVjp(g, b, x.shape)) : m;
  });
}

/**
 * Refuse a recurrent model, or one whose weight layers all read the data (no error travels below
 * them). A recurrent module's weights are not weight layers: its recurrence would carry true
 * gradients (Wᵀ at every step) beside the feedback tensors, which is none of these rules.
 */
export function requireFeedbackLayers(rule: string, model: Model): void {
  const r = model.modules().find(isRecurrent);
  if (r) {
    throw new SpecError(
      `${rule}: module "${r.path}" (${r.kind}) is recurrent; ${rule} is defined here on dense and conv weight layers ` +
        '(attention projections included), and backpropagation through its recurrence would still send errors through its true weights',
    );
  }
  if (!feedbackLayers(model).length) {
    throw new SpecError(
      `${rule}: every weight layer of the model reads the data, so no error travels below one; ${rule} needs at least two dense or conv layers, one reading another's output`,
    );
  }
}
