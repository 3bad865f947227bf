// Backpropagation: the true gradient of the task loss through the core autograd, optionally
// with gradient checkpointing (activations kept only at segment boundaries, recomputed in backward).
import { customVjp, defineRule, valueAndGrad, vjp, type ForwardOptions, type Model, type Tensor } from '../src/index.ts';

/**
 * Segments of `k` consecutive blocks ([from, to) pairs); k < 0 picks k = round(√blocks), the
 * classic √n schedule.
 */
export function segments(blocks: number, k: number): Array<[number, number]> {
  const len = k < 0 ? Math.max(1, Math.round(Math.sqrt(blocks))) : k;
  const out: Array<[number, number]> = [];
  for (let from = 0; from < blocks; from += len) out.push([from, Math.min(blocks, from + len)]);
  return out;
}

/**
 * The model's forward pass with every segment wrapped in a customVjp: its forward runs
 * without a tape and saves only the segment input; its backward recomputes the segment under
 * `vjp` and pulls the output cotangent back to the input and to the segment's parameters
 * (which are inputs of the customVjp, so they receive their gradients through it). The
 * recomputation runs the same kernels on the same values in the same order, so gradients
 * equal plain backprop's bit for bit.
 */
export function checkpointedForward(model: Model, params: readonly Tensor[], x: Tensor, k: number, opts: ForwardOptions = {}): Tensor {
  let h = x;
  for (const [from, to] of segments(model.blocks.length, k)) {
    const idx: number[] = [];
    for (let i = 0; i < params.length; i++) if (model.paramBlock[i] >= from && model.paramBlock[i] < to) idx.push(i);
    // Run blocks [from, to) on h with the segment's own parameters spliced into the full list.
    const run = (hin: Tensor, seg: readonly Tensor[]): Tensor => {
      const full = [...params];
      idx.forEach((p, j) => (full[p] = seg[j]));
      let cur = hin;
      for (let b = from; b < to; b++) cur = model.block(b, full, cur, opts).post;
      return cur;
    };
    const segment = customVjp(
      `checkpoint[${from}:${to})`,
      (hin: Tensor, ...seg: Tensor[]) => ({ out: run(hin, seg), saved: [hin] }),
      ([hin], g, [, ...seg]) => {
        const { vjpFn } = vjp((ins: Tensor[]) => run(ins[0], ins.slice(1)), [hin, ...seg]);
        return vjpFn(g);
      },
    );
    h = segment(h, ...idx.map((i) => params[i]));
  }
  return h;
}

export const backprop = defineRule({
  id: 'backprop',
  description:
    'True gradients by reverse-mode autograd (the reference every other rule is measured against); ' +
    'option checkpoint = k keeps activations only every k blocks and recomputes the rest in backward (−1: √n segments).',
  defaults: { checkpoint: 0 },
  init: () => null,
  step(ctx, state, batch) {
    const fwd = { training: true, rng: ctx.rng.child(ctx.step) };
    // Callers that build a context by hand (tests, alignment references) may omit the option.
    const k = ctx.options.checkpoint ?? 0;
    if (!Number.isInteger(k) || k < -1) throw new Error(`backprop: option checkpoint must be 0 (off), a segment length ≥ 1, or −1 (√n), got ${k}`);
    const out = (p: Tensor[]) => (k === 0 ? ctx.model.forward(p, batch.x, fwd).out : checkpointedForward(ctx.model, p, batch.x, k, fwd));
    const { value, grads } = valueAndGrad((p: Tensor[]) => ctx.task.loss(out(p), batch))([...ctx.params]);
    return { updates: grads, state, loss: value.item(), metrics: {} };
  },
});
