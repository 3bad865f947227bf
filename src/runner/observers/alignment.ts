// Alignment with the reference the rule's declaration picks, every `every` steps: the reference is
// taken on the same batch, parameters and dropout masks before the step (outside its time and
// memory), the rule's updates are compared with it as the optimizer receives them, and the
// signals the rule delivers to each hidden layer are recorded by a probe during its step.
import { AlignmentMeter } from '../../metrics/alignment.ts';
import type { Model } from '../../nn/model.ts';
import { withSignalProbe } from '../../nn/module.ts';
import type { Rng } from '../../random.ts';
import type { AnyRule } from '../../rules/rule.ts';
import type { AlignmentPoint, SummaryRecord } from '../record-types.ts';
import type { Observer } from '../observer.ts';
import { alignmentPoint, ruleProbe, stepReference } from '../reference.ts';

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);

export interface AlignmentOptions {
  /** Measure every this many steps (0: never). */
  every: number;
  /** Samples per example of a sampled expected-gradient reference. */
  samples: number;
  /** The trial's reference stream: step s samples from rng.child(s). */
  rng: Rng;
}

export function alignmentObserver(rule: AnyRule, model: Model, o: AlignmentOptions): Observer {
  let meter: AlignmentMeter | null = null;
  let points: AlignmentPoint[] = [];
  let cosines: number[] = [];
  let layerCosines: number[] = [];
  let signalCosines: number[] = [];
  let alignmentReference: SummaryRecord['alignmentReference'] = null;
  return {
    name: 'alignment',
    around(s, next) {
      const reference =
        o.every > 0 && s.step % o.every === 0
          ? stepReference(rule, s.ctx, s.state, s.batch, { samples: o.samples, rng: o.rng.child(s.step) })
          : null;
      if (!reference) return next();
      s.reference = reference;
      meter = new AlignmentMeter(model, reference);
      const probe = ruleProbe(reference);
      const res = withSignalProbe(probe, next);
      const point = alignmentPoint(s.step, reference, meter, probe);
      meter = null;
      points.push(point);
      cosines.push(point.overall.cosine);
      layerCosines.push(point.layerMean.cosine);
      if (point.errorSignalMean !== null) signalCosines.push(point.errorSignalMean);
      alignmentReference = point.reference;
      return res;
    },
    onUpdate(i, update, offset) {
      meter?.add(i, update.data as Float32Array, offset);
    },
    evalFields() {
      const alignment = points;
      points = [];
      return { alignment };
    },
    summaryFields: () => ({
      alignmentReference,
      meanCosine: cosines.length ? mean(cosines) : null,
      meanLayerCosine: layerCosines.length ? mean(layerCosines) : null,
      meanErrorSignalCosine: signalCosines.length ? mean(signalCosines) : null,
    }),
    snapshot: () => ({ rng: o.rng.saveState(), cosines, layerCosines, signalCosines, alignmentReference }),
    restore(saved) {
      const v = saved as {
        rng: ReturnType<Rng['saveState']>;
        cosines: number[];
        layerCosines: number[];
        signalCosines: number[];
        alignmentReference: SummaryRecord['alignmentReference'];
      };
      o.rng.restore(v.rng);
      ({ cosines, layerCosines, signalCosines, alignmentReference } = v);
    },
  };
}
