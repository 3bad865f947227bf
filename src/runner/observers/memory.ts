// The step's memory by the ledger: each step runs as one measured ledger step (the batch counted
// as made at its start), and each record carries the highest peak since the last one, beside the
// peak of a tape-free forward pass on the first batch (the inference reference).
import { noGrad } from '../../autograd/functional.ts';
import type { Model } from '../../nn/model.ts';
import type { ForwardOptions } from '../../nn/module.ts';
import type { Batch } from '../../rules/task.ts';
import { emptyByCategory, ledger, recordedCategories, type ByCategory, type StepMemory } from '../../tensor/ledger.ts';
import { fromArray, withArena, type Tensor } from '../../tensor/tensor.ts';
import type { StepResult } from '../../rules/rule.ts';
import type { Observer, StepInfo } from '../observer.ts';

/** Peak bytes of a tape-free forward pass on one batch: parameters, input and activations. */
function inferencePeak(model: Model, params: readonly Tensor[], batch: Batch, infer: ForwardOptions, widths?: ByCategory): number {
  const { memory } = ledger().measure(() => noGrad(() => model.forward(params, fromArray(batch.x.data, batch.x.shape), infer)), 0, widths);
  // Inference holds the weights as used, an adapted model's frozen base included, at the width of the activations (the forward
  // format). Optimizer and rule state (and a distillation teacher) are live too but are not part of inference.
  const paramBytes = [...params, ...model.frozen].reduce((s, p) => s + p.bytes, 0) * (widths ? widths.transient : 1);
  return memory.peakBytes - memory.startBytes + paramBytes;
}

function mergePeak(acc: StepMemory | null, m: StepMemory): StepMemory {
  if (!acc || m.peakBytes > acc.peakBytes) {
    const peakByCategory = emptyByCategory();
    for (const k of Object.keys(peakByCategory) as Array<keyof ByCategory>)
      peakByCategory[k] = Math.max(acc?.peakByCategory[k] ?? 0, m.peakByCategory[k]);
    return { ...m, peakByCategory };
  }
  for (const k of Object.keys(acc.peakByCategory) as Array<keyof ByCategory>)
    acc.peakByCategory[k] = Math.max(acc.peakByCategory[k], m.peakByCategory[k]);
  return acc;
}

/** Run the step as one measured ledger step; `measured` gets its memory when it completed. */
function measuredStep(
  s: StepInfo,
  next: () => StepResult<unknown>,
  bins: number,
  measured: (m: StepMemory) => void,
  widths?: ByCategory,
): StepResult<unknown> {
  const l = ledger();
  l.beginStep();
  // The batch was built before the step; its bytes count like the inference reference's input.
  for (const t of [s.batch.x, s.batch.targets]) if (t) l.adopt(t.base ? t.base.entry : t.entry);
  let done = false;
  try {
    const res = next();
    done = true;
    return res;
  } finally {
    const m = l.endStep(bins, widths);
    if (done) measured(m);
  }
}

/** `widths`: each category's bytes per float32 byte when the trial stores it narrower (precision); absent, float32 throughout. */
export function memoryObserver(model: Model, params: readonly Tensor[], infer: ForwardOptions, widths?: ByCategory): Observer {
  let inferenceBytes = 0;
  let peak: StepMemory | null = null;
  return {
    name: 'memory',
    around(s, next) {
      if (s.step === 0) inferenceBytes = withArena(() => inferencePeak(model, params, s.batch, infer, widths));
      return measuredStep(s, next, 0, (m) => (peak = mergePeak(peak, m)), widths);
    },
    evalFields() {
      const peakByCategory = peak ? recordedCategories(peak.peakByCategory) : {};
      const memory = peak && {
        peakBytes: peak.peakBytes,
        atPeak: recordedCategories(peak.atPeak),
        peakByCategory,
        inferenceBytes,
        ratioToInference: peak.peakBytes / inferenceBytes,
        // The widths of the categories recorded ('frozen' only where something was frozen).
        ...(widths ? { widths: 'frozen' in peakByCategory ? widths : recordedCategories({ ...widths, frozen: 0 }) } : {}),
      };
      peak = null;
      return { memory };
    },
    summaryFields: (last) => ({ peakBytes: last?.memory?.peakBytes ?? null, ratioToInference: last?.memory?.ratioToInference ?? null }),
    snapshot: () => ({ inferenceBytes }),
    restore(saved) {
      ({ inferenceBytes } = saved as { inferenceBytes: number });
    },
  };
}

/**
 * The live bytes by category over one step's logical clock (step `step`, `bins` points), for a
 * memory-over-the-step chart; it adds nothing to the records: read `memory()` after training.
 * Use it in place of the standard memory measurement (config.memory off): a ledger measures one
 * step at a time.
 */
export function memoryTimelineObserver(step: number, bins: number): Observer & { memory(): StepMemory } {
  let got: StepMemory | null = null;
  return {
    name: 'memory-timeline',
    around: (s, next) => (s.step === step ? measuredStep(s, next, bins, (m) => (got = m)) : next()),
    memory() {
      if (!got) throw new Error(`memory timeline: step ${step} was not run`);
      return got;
    },
  };
}
