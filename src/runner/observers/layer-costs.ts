// The per-layer cost of a rule's real step: every kernel call the step makes is timed and charged
// to a layer (the top-level module whose ops made it, from the tape's layer labels) and a phase —
// forward, backward (a VJP running in a backward pass: a true gradient, a feedback projection, a
// local loss's gradient, whatever the rule's own signal is) or update (the optimizer applying the
// rule's directions). Kernels outside every layer (the loss, a rule's own bookkeeping) are charged
// to OUTSIDE_LAYERS. The update runs over all parameters at once, so its time is shared out by
// parameter size (the optimizer's work is elementwise). The pipeline simulator reads these costs.
import { currentLayer, inBackwardPass } from '../../autograd/tape.ts';
import { backend, withBackend, type Backend } from '../../kernels/index.ts';
import type { Model } from '../../nn/model.ts';
import { inUpdatePhase } from '../apply.ts';
import type { Observer } from '../observer.ts';
import { median } from './timing.ts';

/** Where kernels that ran outside every layer are charged. */
export const OUTSIDE_LAYERS = '(outside layers)';

export interface LayerCost {
  /** A top-level module's path, in forward order, or OUTSIDE_LAYERS last. */
  layer: string;
  /** Per step, the median over the measured steps of each phase's kernel time (the clock's unit, ms by default). */
  forward: number;
  backward: number;
  update: number;
}

export interface LayerCostOptions {
  /** Steps left out at the start (warm-up: first-call compilation, allocator growth). Default 1. */
  skip?: number;
  /** The clock (default performance.now(); a test may count kernel calls instead). */
  now?: () => number;
}

type Phase = 'forward' | 'backward' | 'update';
const PHASES: readonly Phase[] = ['forward', 'backward', 'update'];

/** The model's top-level modules in forward order: the units a pipeline splits into stages. */
export function pipelineLayers(model: Model): string[] {
  const kids = model.root.children.map((c) => c.path).filter((p) => p);
  return kids.length ? kids : [model.root.path || 'model'];
}

/** Time every call of `inner`'s kernels and hand each duration to `charge`. */
function timedBackend(inner: Backend, now: () => number, charge: (ms: number) => void): Backend {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(inner, {
    get(target, key) {
      const v = Reflect.get(target, key, target) as unknown;
      if (typeof v !== 'function') return v;
      let w = wrapped.get(key);
      if (!w) {
        const f = v as (...a: unknown[]) => unknown;
        w = (...args: unknown[]) => {
          const t = now();
          try {
            return f.apply(target, args);
          } finally {
            charge(now() - t);
          }
        };
        wrapped.set(key, w);
      }
      return w;
    },
  });
}

/**
 * An observer timing each layer's forward, backward and update inside every step it wraps; it adds
 * nothing to the records: read `costs()` after training. Put it innermost (after the standard
 * observers) so that only the rule's step and the optimizer are timed.
 */
export function layerCostObserver(model: Model, o: LayerCostOptions = {}): Observer & { costs(): LayerCost[] } {
  const now = o.now ?? (() => performance.now());
  const skip = o.skip ?? 1;
  const layers = [...pipelineLayers(model), OUTSIDE_LAYERS];
  const index = new Map(layers.map((l, i) => [l, i]));
  // A label is '/'-joined when labels nest: the outermost part naming one of the model's layers
  // wins (a rule's helper network run under a layer's label — a synthesizer — is that layer's work,
  // whatever its own module paths are).
  const unitOf = new Map<string, number>();
  const unit = (label: string | null): number => {
    if (label === null) return layers.length - 1;
    let u = unitOf.get(label);
    if (u === undefined) {
      u = layers.length - 1;
      for (const path of label.split('/')) {
        const top = layers.find((l) => path === l || path.startsWith(`${l}.`));
        if (top !== undefined) {
          u = index.get(top)!;
          break;
        }
      }
      unitOf.set(label, u);
    }
    return u;
  };
  // The update's share of each layer: its parameters' elements over all of them.
  const sizes = new Array<number>(layers.length).fill(0);
  model.params.forEach((p, i) => (sizes[unit(model.paramOwner[i])] += p.shape.reduce((a, b) => a * b, 1)));
  const total = sizes.reduce((a, b) => a + b, 0);
  const steps: Array<Record<Phase, number[]>> = [];
  let seen = 0;
  return {
    name: 'layer-costs',
    around(_s, next) {
      const step: Record<Phase, number[]> = { forward: layers.map(() => 0), backward: layers.map(() => 0), update: layers.map(() => 0) };
      let updateTime = 0;
      const charge = (ms: number) => {
        if (inUpdatePhase()) updateTime += ms;
        else step[inBackwardPass() ? 'backward' : 'forward'][unit(currentLayer())] += ms;
      };
      const res = withBackend(timedBackend(backend(), now, charge), next);
      step.update = sizes.map((n) => (total > 0 ? (updateTime * n) / total : 0));
      if (seen++ >= skip) steps.push(step);
      return res;
    },
    costs() {
      if (!steps.length) throw new Error(`layer costs: no step measured (${seen} run, the first ${skip} left out as warm-up)`);
      return layers.map((layer, i) => {
        const c = { layer, forward: 0, backward: 0, update: 0 };
        for (const p of PHASES) c[p] = median(steps.map((s) => s[p][i]));
        return c;
      });
    },
  };
}
