// A trial's precision in its records: per interval, the loss scale and its range, the steps
// skipped for overflow, and per layer the shares of cotangents, updates and activations that
// rounding flushed to zero or saturated. Its loss-scale state rides in checkpoints.
import type { Observer } from '../observer.ts';
import type { PrecisionRun } from '../precision.ts';

export function precisionObserver(run: PrecisionRun): Observer {
  return {
    name: 'precision',
    evalFields: () => ({ precision: run.record() }),
    snapshot: () => run.snapshot(),
    restore: (saved) => run.restore(saved as ReturnType<PrecisionRun['snapshot']>),
  };
}
