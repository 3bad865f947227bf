// Stopping on request: after the step in progress, the trial ends with Interrupted (its partial
// records are redone from its last checkpoint by --resume).
import { Interrupted } from '../interrupt.ts';
import type { Observer } from '../observer.ts';

export function stopObserver(stopRequested: () => boolean): Observer {
  return {
    name: 'stop',
    afterStep() {
      if (stopRequested()) throw new Interrupted();
    },
  };
}
