// Synthetic gradients (Jaderberg et al. 2017, "Decoupled Neural Interfaces"): at chosen module
// outputs (boundaries) a small synthesizer predicts ∂L/∂h from the activity h (cDNI: and the
// label). The layers below a boundary update at once from the synthetic gradient instead of
// waiting for the backward pass; the synthesizer then regresses (MSE) on the gradient that
// does arrive from above — the true one at the top boundary, a bootstrapped one (the next
// synthetic gradient carried down one segment) below.
//
// One backward pass does it all: each boundary is an identity op (customVjp) whose backward
// records the cotangent arriving from above and sends the synthetic gradient below instead.
// Synthesizers predict per-example gradients (n·∂L/∂h for a batch mean over n examples), so
// their targets keep unit scale whatever the batch size. For feature maps they are small
// convolutional nets (3×3 convs, the last zero-initialized, as Jaderberg §3); for vectors a
// linear map or an MLP, also ending at zero. Their parameters and Adam state live in the rule
// state and are updated in place inside `step`.
//
// On recurrent nets (option truncate = k > 0) the boundaries are in time (Jaderberg §3.2): the
// unrolled sequence is cut every k steps; at each cut the hidden state h_t goes on forward, but
// backward the segment before it receives, in place of the gradient from beyond the cut (which
// truncated BPTT drops), a synthesizer's prediction δ̂(h_t) — added to the gradient of the losses
// inside the segment. One synthesizer per recurrent module, shared by its cuts, regresses on the
// bootstrapped target: what does arrive at the cut from the next segment, whose own end carried
// δ̂ of the next cut. With zero synthesizers this is truncated BPTT at the same k.
import {
  adam,
  broadcastTo,
  buildNetwork,
  cosineAndNormRatio,
  concat,
  costContext,
  customVjp,
  defineRule,
  fromArray,
  isRecurrent,
  ledger,
  mse,
  noGrad,
  reshape,
  SpecError,
  stopGradient,
  taskGradient,
  valueAndGrad,
  vjp,
  wrap,
  zeros,
  type Batch,
  type CostContext,
  type LayerSpec,
  type Model,
  type OptState,
  type RecurrentModule,
  type RuleContext,
  type StepResult,
  type Tensor,
  withLayer,
} from '../src/core.ts';

const SYNTHESIZERS = ['linear', 'mlp', 'conv'] as const;
const TARGETS = ['bootstrap', 'backprop'] as const;

export const syntheticGradientsDefaults = {
  /** cDNI: the synthesizer also sees the one-hot label (as extra channels for feature maps). */
  conditioned: false,
  /** For vector boundaries: linear, or mlp (one ReLU hidden layer of `synthHidden` units). Feature maps always get a conv synthesizer. */
  synthesizer: 'linear' as string,
  synthHidden: 256,
  /** Conv synthesizers: channels of their two hidden 3×3 layers. */
  synthChannels: 32,
  /** Module paths whose output is a boundary: "all" (every activation but the output's), or paths such as "act1,act2". */
  boundaries: 'all' as string,
  /** Adam learning rate of the synthesizers. */
  synthLr: 3e-3,
  /**
   * Synthesizer regression target: bootstrap (the gradient arriving from above, itself
   * synthetic below the top boundary) or backprop (the true gradient; costs a full backward).
   */
  target: 'bootstrap' as string,
  /** Test mode: pass the gradient arriving from above through instead of the synthetic one. */
  oracle: false,
  /**
   * Recurrent nets: cut the unrolled sequence every `truncate` steps and put the synthesizers at
   * the cuts (temporal DNI) instead of at activations (0: feedforward boundaries).
   */
  truncate: 0,
};
export type SyntheticGradientsOptions = typeof syntheticGradientsDefaults;

export interface Synthesizer {
  /** Path of the module whose output it reads. */
  boundary: string;
  net: Model;
  params: Tensor[];
  opt: OptState;
}

export interface SyntheticGradientsState {
  synths: Synthesizer[];
}

/** The boundary module paths: every activation but those after the last weight layer, or the named modules. */
export function boundariesOf(model: Model, spec: string): string[] {
  const mods = model.modules();
  const lastWeight = mods.lastIndexOf(model.weightLayers().at(-1)!);
  const defaults = mods.filter((m, i) => m.kind === 'activation' && i < lastWeight).map((m) => m.path);
  if (spec === 'all') return defaults;
  const picked = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const p of picked) {
    if (!mods.some((m) => m.path === p && p !== '')) {
      throw new SpecError(
        `synthetic-gradients: option boundaries names "${p}", which is not a module path; the activations are: ${defaults.join(', ')}`,
      );
    }
  }
  return [...new Set(picked)];
}

function conditionWidth(ctx: RuleContext<SyntheticGradientsOptions>): number {
  if (!ctx.options.conditioned) return 0;
  if (ctx.task.kind !== 'classification') throw new SpecError('synthetic-gradients: conditioned (cDNI) needs a classification task');
  return ctx.task.classes;
}

/** The synthesizer's layers for a boundary of shape `shape` (its input has `cw` label features / channels more). */
function synthesizerLayers(shape: readonly number[], o: SyntheticGradientsOptions): LayerSpec[] {
  if (shape.length === 3) {
    const conv = (channels: number, init?: string): LayerSpec => ({
      type: 'conv2d',
      channels,
      kernel: 3,
      padding: 1,
      ...(init ? { init } : {}),
    });
    return [conv(o.synthChannels), 'relu', conv(o.synthChannels), 'relu', conv(shape[0], 'zeros')];
  }
  const units = shape.reduce((a, b) => a * b, 1);
  if (o.synthesizer === 'mlp') return [{ type: 'dense', units: o.synthHidden }, 'relu', { type: 'dense', units, init: 'zeros' }];
  return [{ type: 'dense', units, init: 'zeros' }];
}

/** The synthesizer's input: h, with the label one-hot appended (vectors) or as constant channels (maps). */
function synthInput(h: Tensor, labels: ArrayLike<number> | null, classes: number): Tensor {
  if (!labels) return h;
  const n = h.shape[0];
  const y = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) y[i * classes + labels[i]] = 1;
  if (h.rank === 2) return concat([h, fromArray(y, [n, classes])], 1);
  const maps = broadcastTo(reshape(fromArray(y, [n, classes]), [n, classes, 1, 1]), [n, classes, h.shape[2], h.shape[3]]);
  return concat([h, maps], 1);
}

/** Per-example gradient predicted at h. */
export function synthesize(
  s: Synthesizer,
  params: readonly Tensor[],
  h: Tensor,
  labels: ArrayLike<number> | null,
  classes: number,
): Tensor {
  return s.net.forward(params, synthInput(h, labels, classes));
}

/**
 * The synthesizers' work per step in forward passes of the model (`c.macs` multiply-adds an
 * example): each runs a forward on its boundary's activity (a temporal one at each of its
 * ⌊(T − 1)/k⌋ cuts) and a backward for its regression, its own backprop step (cost.ts) on its
 * layers' shapes, the first layer's input gradient left out.
 */
export function synthesizerCost(c: CostContext<SyntheticGradientsOptions>): number {
  const o = c.options;
  if (!c.model)
    throw new SpecError(
      "synthetic-gradients: its cost model reads the boundaries' shapes; give it a cost context built on the model (costContext)",
    );
  const own = (shape: readonly number[], inShape: readonly number[], uses: number): number => {
    const net = costContext(buildNetwork(synthesizerLayers(shape, o), inShape, 'xavierUniform'), {}, c.batchSize);
    return c.macs > 0 ? (uses * net.macs * net.backpropStep) / c.macs : 0;
  };
  if (o.truncate > 0)
    return c.model
      .modules()
      .filter(isRecurrent)
      .reduce((a, m) => a + own([m.hidden], [m.hidden], Math.floor((m.inShape[0] - 1) / o.truncate)), 0);
  // cDNI's label one-hot: as wide as the classifier's output.
  const cw = o.conditioned ? c.model.outputShape.reduce((a, b) => a * b, 1) : 0;
  return boundariesOf(c.model, o.boundaries).reduce((a, p) => {
    const shape = c.model!.find(p)!.outShape;
    const inShape = shape.length === 3 ? [shape[0] + cw, shape[1], shape[2]] : [shape.reduce((x, y) => x * y, 1) + cw];
    return a + own(shape, inShape, 1);
  }, 0);
}

/** Scale a tensor's values into a new tensor (outside any tape). */
function scaled(t: Tensor, k: number): Tensor {
  const out = t.clone();
  const d = out.data;
  for (let i = 0; i < out.size; i++) d[i] *= k;
  return out;
}

const optimizerFor = (o: SyntheticGradientsOptions) => adam({ lr: o.synthLr });

export const syntheticGradients = defineRule({
  id: 'synthetic-gradients',
  updateWaitsFor: 'nothing', // cut at its boundaries, each segment updates from its synthesizer at once
  description:
    'Layers update at once from gradients predicted by small synthesizers (DNI; cDNI also feeds the label), trained on the gradient that arrives later.',
  defaults: syntheticGradientsDefaults,
  choices: { synthesizer: SYNTHESIZERS, target: TARGETS },
  // A forward and one backward (synthetic gradients sent below each boundary); target 'backprop'
  // reruns both for the true gradient. Then each synthesizer's own work, in the model's units: its
  // forward at every boundary (or cut) it serves and, for its regression, its backward without the
  // gradient of its input (a constant): its backprop step (synthesizerCost).
  cost: (c) => c.backpropStep * (c.options.target === 'backprop' ? 2 : 1) + synthesizerCost(c),
  search: { synthLr: { float: [1e-4, 1e-2], log: true }, synthesizer: { choice: SYNTHESIZERS }, conditioned: { choice: [false, true] } },
  check(ctx) {
    const k = ctx.options.truncate;
    if (!Number.isInteger(k) || k < 0)
      throw new SpecError(`synthetic-gradients: option truncate must be 0 (feedforward boundaries) or a segment length ≥ 1, got ${k}`);
    if (k > 0) {
      if (!ctx.model.modules().some(isRecurrent))
        throw new SpecError(
          `synthetic-gradients: option truncate = ${k} puts synthesizers between segments of a recurrent net, but the model has no recurrent module (rnn layer)`,
        );
      if (ctx.options.conditioned)
        throw new SpecError(
          'synthetic-gradients: conditioned (cDNI) is defined for feedforward boundaries; with truncate > 0 leave it false',
        );
      if (ctx.options.boundaries !== 'all')
        throw new SpecError(
          'synthetic-gradients: option boundaries names feedforward boundaries; with truncate > 0 the boundaries are the cuts in time (leave boundaries at "all")',
        );
      return;
    }
    if (ctx.model.modules().some(isRecurrent)) {
      throw new SpecError(
        `synthetic-gradients: module "${ctx.model.modules().find(isRecurrent)!.path}" is recurrent; set option truncate (segment length) to put synthesizers at cuts in time`,
      );
    }
    const boundaries = boundariesOf(ctx.model, ctx.options.boundaries);
    if (!boundaries.length) throw new SpecError('synthetic-gradients: the model has no hidden activation to put a synthesizer at');
    for (const p of boundaries) {
      const shape = ctx.model.find(p)!.outShape;
      if (shape.length === 2) {
        throw new SpecError(
          `synthetic-gradients: boundary "${p}" carries a sequence [${shape.join(', ')}] per sample; feedforward synthesizers are defined for vectors and feature maps ` +
            '(on a recurrent net, option truncate puts them at cuts in time)',
        );
      }
    }
    conditionWidth(ctx);
  },
  init(ctx): SyntheticGradientsState {
    const o = ctx.options;
    if (o.truncate > 0) return temporalInit(ctx);
    const cw = conditionWidth(ctx);
    const rng = ctx.rng.child('synthesizers');
    const synths = boundariesOf(ctx.model, o.boundaries).map((boundary): Synthesizer => {
      const shape = ctx.model.find(boundary)!.outShape;
      const inShape = shape.length === 3 ? [shape[0] + cw, shape[1], shape[2]] : [shape.reduce((a, b) => a * b, 1) + cw];
      const net = buildNetwork(synthesizerLayers(shape, o), inShape, 'xavierUniform');
      const params = net.init(rng.child(boundary));
      return { boundary, net, params, opt: optimizerFor(o).init(params) };
    });
    return { synths };
  },
  step(ctx, state, batch) {
    const o = ctx.options;
    if (o.truncate > 0) return temporalStep(ctx, state, batch);
    const n = batch.size;
    const cw = conditionWidth(ctx);
    if (cw && !batch.labels) throw new SpecError('synthetic-gradients: conditioned needs labels in the batch');
    const labels = cw ? batch.labels! : null;
    const K = state.synths.length;
    const hs: Tensor[] = new Array(K);
    const synthetic: Tensor[] = new Array(K);
    // Each synthesizer's forward is taped once, where it predicts; its regression pulls back through that tape.
    const pullbacks: Array<(cotangent: Tensor) => Tensor[]> = new Array(K);
    const predictions: Tensor[] = new Array(K);
    const byPath = new Map(state.synths.map((s, k) => [s.boundary, k]));

    // mode 'dni': send the synthetic gradient below; 'pass': send what arrived (the true
    // gradient, for the 'backprop' target; it reruns the forward with the same dropout masks).
    const run = (mode: 'dni' | 'pass') => {
      const got: Array<Tensor | undefined> = new Array(K);
      const model = ctx.model.map((m) => {
        const k = byPath.get(m.path);
        if (k === undefined) return m;
        const s = state.synths[k];
        const tap = customVjp(
          `syntheticGradient.${m.path}`,
          (h: Tensor) => {
            if (mode === 'dni') {
              hs[k] = h;
              const flat = h.rank === 2 || h.rank === 4 ? h : reshape(h, [h.shape[0], h.size / h.shape[0]]);
              // Labelled with the boundary's path: a synthesizer's work is its layer's (per-layer costs).
              synthetic[k] = withLayer(m.path, () => {
                const { out, vjpFn } = vjp((p: Tensor[]) => synthesize(s, p, flat, labels, cw), [...s.params]);
                predictions[k] = out;
                pullbacks[k] = vjpFn;
                return reshape(scaled(out, 1 / n), h.shape);
              });
            }
            return { out: h };
          },
          (_saved, g) => {
            got[k] = g;
            return [mode === 'pass' || o.oracle ? g : synthetic[k]];
          },
        );
        return wrap(m, { after: (y) => tap(y) });
      });
      const res = taskGradient(ctx, batch, { model });
      return { ...res, got };
    };

    const main = run('dni');
    const truth = o.target === 'backprop' && K > 0 ? run('pass').got : null;

    const metrics: Record<string, number> = {};
    const opt = optimizerFor(o);
    state.synths.forEach((s, k) =>
      withLayer(s.boundary, () => {
        // A boundary whose activity never reaches the loss receives no cotangent: its target is zero.
        const arrived = (truth ? truth[k] : main.got[k]) ?? zeros(hs[k].shape);
        const target = scaled(arrived, n);
        const fit = valueAndGrad((pred: Tensor) => mse(reshape(pred, target.shape), target))(predictions[k]);
        const value = fit.value;
        const grads = pullbacks[k](fit.grads);
        for (const g of grads) ledger().recategorize(g.entry, 'grad');
        noGrad(() => opt.update(s.params, grads, s.opt, Math.max(0, ctx.step)));
        metrics[`${s.boundary}.synthLoss`] = value.item();
        const c = cosineAndNormRatio(synthetic[k], arrived);
        metrics[`${s.boundary}.cosTarget`] = c.cosine;
        metrics[`${s.boundary}.normRatio`] = c.normRatio;
      }),
    );
    return { updates: main.grads, state, loss: main.loss, metrics };
  },
});

/** One synthesizer per recurrent module, from its hidden state [H] to the predicted gradient there. */
function temporalInit(ctx: RuleContext<SyntheticGradientsOptions>): SyntheticGradientsState {
  const o = ctx.options;
  const rng = ctx.rng.child('synthesizers');
  const synths = ctx.model
    .modules()
    .filter(isRecurrent)
    .map((m): Synthesizer => {
      const net = buildNetwork(synthesizerLayers([m.hidden], o), [m.hidden], 'xavierUniform');
      const params = net.init(rng.child(m.path));
      return { boundary: m.path, net, params, opt: optimizerFor(o).init(params) };
    });
  return { synths };
}

/** Terms the task loss averages over (scored positions, or samples): synthesizers predict per term. */
function lossTerms(batch: Batch): number {
  if (!batch.labels || batch.labels.length === batch.size) return batch.size;
  let n = 0;
  for (let i = 0; i < batch.labels.length; i++) if (batch.labels[i] >= 0) n++;
  return Math.max(1, n);
}

function temporalStep(
  ctx: RuleContext<SyntheticGradientsOptions>,
  state: SyntheticGradientsState,
  batch: Batch,
): StepResult<SyntheticGradientsState> {
  const o = ctx.options;
  const k = o.truncate;
  const terms = lossTerms(batch);
  const byPath = new Map(state.synths.map((s, i) => [s.boundary, i]));
  // Per synthesizer: the hidden states at its cuts, what it predicted there, what arrived there.
  const hs: Tensor[][] = state.synths.map(() => []);
  const predicted: Tensor[][] = state.synths.map(() => []);
  const arrived: Array<Array<Tensor | undefined>> = state.synths.map(() => []);

  // mode 'dni': send δ̂ (the synthesizer's prediction) back across each cut; 'pass': the true gradient (full BPTT).
  const run = (mode: 'dni' | 'pass') => {
    const got: Array<Array<Tensor | undefined>> = state.synths.map(() => []);
    const cuts = state.synths.map(() => 0);
    const model = ctx.model.map((m) => {
      const i = byPath.get(m.path);
      if (i === undefined || !isRecurrent(m)) return m;
      const s = state.synths[i];
      return (m as RecurrentModule).withBoundary(k, (h) => {
        const j = cuts[i]++;
        const cut = customVjp(
          `syntheticGradient.${m.path}@${j}`,
          (x: Tensor) => {
            if (mode === 'dni') {
              hs[i].push(x);
              predicted[i].push(
                scaled(
                  noGrad(() => s.net.forward(s.params, x)),
                  1 / terms,
                ),
              );
            }
            return { out: x };
          },
          (_saved, g) => {
            got[i][j] = g;
            return [mode === 'pass' || o.oracle ? g : predicted[i][j]];
          },
        );
        return cut(h);
      });
    });
    const res = taskGradient(ctx, batch, { model });
    return { ...res, got };
  };

  const main = run('dni');
  const targets = o.target === 'backprop' ? run('pass').got : main.got;
  state.synths.forEach((_, i) => (arrived[i] = targets[i]));

  const metrics: Record<string, number> = {};
  const opt = optimizerFor(o);
  state.synths.forEach((s, i) => {
    if (!hs[i].length) return;
    // A cut nothing beyond depends on gets no cotangent: its target is zero.
    const target = scaled(
      concat(
        hs[i].map((h, j) => arrived[i][j] ?? zeros(h.shape)),
        0,
      ),
      terms,
    );
    const h = stopGradient(concat(hs[i], 0));
    const { value, grads } = valueAndGrad((p: Tensor[]) => mse(s.net.forward(p, h), target))([...s.params]);
    noGrad(() => opt.update(s.params, grads, s.opt, Math.max(0, ctx.step)));
    metrics[`${s.boundary}.synthLoss`] = value.item();
    const c = cosineAndNormRatio(concat(predicted[i], 0), scaled(target, 1 / terms));
    metrics[`${s.boundary}.cosTarget`] = c.cosine;
    metrics[`${s.boundary}.normRatio`] = c.normRatio;
  });
  return { updates: main.grads, state, loss: main.loss, metrics };
}
