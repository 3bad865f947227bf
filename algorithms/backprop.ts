// Backpropagation: the true gradient of the task loss through the core autograd, optionally
// with gradient checkpointing over segments of the module tree (activations kept only at
// segment boundaries, recomputed in backward), and on recurrent nets optionally truncated
// (truncated BPTT: no gradient crosses a boundary every `truncate` steps).
import {
  customVjp,
  defineRule,
  FORWARD,
  isRecurrent,
  noGrad,
  run,
  SpecError,
  taskGradient,
  truncated,
  vjp,
  walk,
  type ForwardContext,
  type Model,
  type Module,
  type Tensor,
} from '../src/core.ts';

/**
 * Segments of `k` consecutive top-level modules ([from, to) pairs); k < 0 picks
 * k = round(√count), the classic √n schedule.
 */
export function segments(count: number, k: number): Array<[number, number]> {
  const len = k < 0 ? Math.max(1, Math.round(Math.sqrt(count))) : k;
  const out: Array<[number, number]> = [];
  for (let from = 0; from < count; from += len) out.push([from, Math.min(count, from + len)]);
  return out;
}

/**
 * A module running `children` in sequence inside a customVjp: its forward runs without a tape
 * and saves only the segment's input; its backward recomputes the segment under `vjp` and
 * pulls the output cotangent back to the input and to the segment's parameters (inputs of the
 * customVjp, so they receive their gradients through it). The recomputation runs the same
 * kernels on the same values in the same order, so gradients equal plain backprop's bit for bit.
 */
function checkpointSegment(children: readonly Module[], label: string): Module {
  const idx = [...new Set(children.flatMap((c) => walk(c).flatMap((m) => Object.values(m.params).map((s) => s.index))))].sort(
    (a, b) => a - b,
  );
  const seg: Module = {
    kind: 'checkpoint',
    path: '',
    inShape: children[0].inShape,
    outShape: children[children.length - 1].outShape,
    params: {},
    buffers: {},
    children,
    apply(x: Tensor, ctx: ForwardContext) {
      const runWith = (hin: Tensor, own: readonly Tensor[]): Tensor => {
        const params = [...ctx.params];
        idx.forEach((p, j) => (params[p] = own[j]));
        let h = hin;
        for (const c of seg.children) h = run(c, h, { ...ctx, params });
        return h;
      };
      const op = customVjp(
        label,
        (hin: Tensor, ...own: Tensor[]) => ({ out: noGrad(() => runWith(hin, own)), saved: [hin] }),
        ([hin], g, [, ...own]) => vjp((ins: Tensor[]) => runWith(ins[0], ins.slice(1)), [hin, ...own]).vjpFn(g),
      );
      return op(x, ...idx.map((i) => ctx.params[i]));
    },
    withChildren: (kids) => checkpointSegment(kids, label),
  };
  return seg;
}

/** `model` with its top-level modules grouped into checkpointed segments of k. */
export function checkpointed(model: Model, k: number): Model {
  const top = model.root.children;
  const segs = segments(top.length, k).map(([from, to]) => checkpointSegment(top.slice(from, to), `checkpoint[${from}:${to})`));
  return model.map((m) => (m === model.root ? m.withChildren(segs) : m));
}

export const backprop = defineRule({
  id: 'backprop',
  updateWaitsFor: 'layer-above',
  description:
    'True gradients by reverse-mode autograd (the reference every other rule is measured against); ' +
    'option checkpoint = k keeps activations only every k top-level modules and recomputes the rest in backward (−1: √n segments); ' +
    'option truncate = k on recurrent nets: truncated BPTT, no gradient crosses a segment boundary every k steps (0: full BPTT).',
  defaults: { checkpoint: 0, truncate: 0 },
  // A forward and a backward; checkpointing recomputes every segment's forward once more in the backward.
  cost: ({ options, backpropStep }) => backpropStep + (options.checkpoint !== 0 ? FORWARD : 0),
  // Checkpointing recomputes the same gradient bit for bit; truncated BPTT drops part of it.
  exact: (o) => o.truncate === 0,
  check(ctx) {
    const k = ctx.options.checkpoint;
    if (!Number.isInteger(k) || k < -1)
      throw new SpecError(`backprop: option checkpoint must be 0 (off), a segment length ≥ 1, or −1 (√n), got ${k}`);
    const t = ctx.options.truncate ?? 0;
    if (!Number.isInteger(t) || t < 0)
      throw new SpecError(`backprop: option truncate must be 0 (full BPTT) or a segment length ≥ 1, got ${t}`);
    if (t > 0 && !ctx.model.modules().some(isRecurrent))
      throw new SpecError(
        `backprop: option truncate = ${t} truncates backpropagation through time, but the model has no recurrent module (rnn layer)`,
      );
  },
  init: () => null,
  step(ctx, state, batch) {
    // Callers that build a context by hand (tests) may omit the options.
    const k = ctx.options.checkpoint ?? 0;
    const t = ctx.options.truncate ?? 0;
    const cut = t > 0 ? ctx.model.map((m) => (isRecurrent(m) ? truncated(m, t) : m)) : ctx.model;
    const model = k === 0 ? cut : checkpointed(cut, k);
    const { loss, grads } = taskGradient(ctx, batch, { model });
    return { updates: grads, state, loss, metrics: {} };
  },
});
