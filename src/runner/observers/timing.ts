// Time in the training steps — wall and, where the host can say, process CPU over the same spans
// (on a shared machine CPU time leaves out time spent preempted) — and the host's memory figures.
// The only figures that differ between identical runs; records keep them under `host`.
import type { Budget } from '../budget.ts';
import type { Observer } from '../observer.ts';

/** What the host can measure: Node gives both; a browser neither. */
export interface HostProbe {
  /** CPU time of this process (all its threads), ms. */
  cpuMs?(): number;
  /** Resident and heap bytes now. */
  memory?(): { rssBytes: number; heapBytes: number };
  /** The clock, ms (default performance.now(); a test may pass its own). */
  now?(): number;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * `startedAt`: the host's clock when the trial began (its wall time counts from there). With a
 * wallSeconds budget, training stops before a step that would take the steps' wall time past it,
 * predicting each step to take as long as the one before.
 */
export function timingObserver(host: HostProbe, stepsPerEpoch: number, startedAt?: number, budget?: Budget): Observer {
  const now = () => host.now?.() ?? performance.now();
  let t0 = startedAt ?? now();
  let stepMs = 0;
  let stepCpuMs = 0;
  let steps = 0;
  let lastMs = 0;
  const limitMs = budget && 'wallSeconds' in budget ? budget.wallSeconds * 1000 : Infinity;
  // Each step's wall time in this process, for a median that a preempted step does not move.
  const times: number[] = [];
  return {
    name: 'timing',
    around(_s, next) {
      const cpu = host.cpuMs?.() ?? NaN;
      const started = now();
      const res = next();
      const took = now() - started;
      lastMs = took;
      stepMs += took;
      times.push(took);
      stepCpuMs += (host.cpuMs?.() ?? NaN) - cpu;
      return res;
    },
    afterStep(s) {
      steps = s.step + 1;
    },
    stopBefore: () => (stepMs + lastMs > limitMs ? 'budget.wallSeconds' : null),
    evalFields() {
      const mem = host.memory?.() ?? { rssBytes: NaN, heapBytes: NaN };
      return { host: { wallMs: now() - t0, stepMs, stepCpuMs, rssBytes: mem.rssBytes, heapBytes: mem.heapBytes } };
    },
    summaryFields: () => ({
      host: {
        wallMs: now() - t0,
        stepMs,
        stepCpuMs,
        medianStepMs: times.length ? median(times) : null,
        msPerEpoch: stepMs / Math.max(1, steps / Math.max(1, stepsPerEpoch)),
      },
    }),
    snapshot: () => ({ stepMs, stepCpuMs, wallMs: now() - t0, steps, lastMs }),
    restore(saved) {
      const v = saved as { stepMs: number; stepCpuMs: number; wallMs: number; steps: number; lastMs?: number };
      ({ stepMs, steps } = v);
      lastMs = v.lastMs ?? 0;
      stepCpuMs = v.stepCpuMs;
      t0 -= v.wallMs;
    },
  };
}
