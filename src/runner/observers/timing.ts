// Time in the training steps — wall and, where the host can say, process CPU over the same spans
// (on a shared machine CPU time leaves out time spent preempted) — and the host's memory figures.
// The only figures that differ between identical runs; records keep them under `host`.
import type { Observer } from '../observer.ts';

/** What the host can measure: Node gives both; a browser neither. */
export interface HostProbe {
  /** CPU time of this process (all its threads), ms. */
  cpuMs?(): number;
  /** Resident and heap bytes now. */
  memory?(): { rssBytes: number; heapBytes: number };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** `startedAt`: performance.now() when the trial began (its wall time counts from there). */
export function timingObserver(host: HostProbe, stepsPerEpoch: number, startedAt = performance.now()): Observer {
  let t0 = startedAt;
  let stepMs = 0;
  let stepCpuMs = 0;
  let steps = 0;
  // Each step's wall time in this process, for a median that a preempted step does not move.
  const times: number[] = [];
  return {
    name: 'timing',
    around(_s, next) {
      const cpu = host.cpuMs?.() ?? NaN;
      const started = performance.now();
      const res = next();
      const took = performance.now() - started;
      stepMs += took;
      times.push(took);
      stepCpuMs += (host.cpuMs?.() ?? NaN) - cpu;
      return res;
    },
    afterStep(s) {
      steps = s.step + 1;
    },
    evalFields() {
      const mem = host.memory?.() ?? { rssBytes: NaN, heapBytes: NaN };
      return { host: { wallMs: performance.now() - t0, stepMs, stepCpuMs, rssBytes: mem.rssBytes, heapBytes: mem.heapBytes } };
    },
    summaryFields: () => ({
      host: {
        wallMs: performance.now() - t0,
        stepMs,
        stepCpuMs,
        medianStepMs: times.length ? median(times) : null,
        msPerEpoch: stepMs / Math.max(1, steps / Math.max(1, stepsPerEpoch)),
      },
    }),
    snapshot: () => ({ stepMs, stepCpuMs, wallMs: performance.now() - t0, steps }),
    restore(saved) {
      const v = saved as { stepMs: number; stepCpuMs: number; wallMs: number; steps: number };
      ({ stepMs, steps } = v);
      stepCpuMs = v.stepCpuMs;
      t0 -= v.wallMs;
    },
  };
}
