// The training loss and the rule's own metrics, averaged over each evaluation interval, and with
// clipping configured, the share of steps in which it changed some update.
import type { OptState } from '../../optim/index.ts';
import type { Observer } from '../observer.ts';

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);

export function metricsObserver(optState: OptState, clips: boolean): Observer {
  let losses: number[] = [];
  let sums: Record<string, number[]> = {};
  let clippedBefore = optState.counters.clipped;
  return {
    name: 'metrics',
    afterStep(_s, res) {
      losses.push(res.loss);
      for (const [k, v] of Object.entries(res.metrics)) {
        // A NaN or a string would reach the records as null, unseen: the rule's bug, said at once.
        if (typeof v !== 'number' || !Number.isFinite(v))
          throw new Error(
            `its step returned metrics.${k} = ${typeof v === 'number' ? v : JSON.stringify(v)}; a metric must be a finite number`,
          );
        (sums[k] ??= []).push(v);
      }
      const clipped = optState.counters.clipped - clippedBefore;
      clippedBefore = optState.counters.clipped;
      if (clips) (sums['optimizer.clippedSteps'] ??= []).push(clipped > 0 ? 1 : 0);
    },
    evalFields() {
      const fields = { trainLoss: mean(losses), metrics: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, mean(v)])) };
      losses = [];
      sums = {};
      return fields;
    },
    // An epoch's end is always an evaluation point, so nothing of the interval is left to carry;
    // the clip counter is the optimizer's, restored with it.
    restore() {
      clippedBefore = optState.counters.clipped;
    },
  };
}
