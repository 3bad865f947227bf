// Messages between the page and the training worker. The page sends a state to load, steps
// to take, play and pause; the worker answers with the rules it offers for that network and,
// after each batch of steps, each run's figures and decision boundary; on export, the spec that
// reruns the runs through the CLI and every record they wrote.
import type { PUBLISHED, WorkedExample } from '../../experiments/worked-example.ts';
import type { EvalRecord } from '../../src/core.ts';

export type ToWorker =
  | { type: 'load'; state: string; id: number }
  | { type: 'step'; n: number; id: number }
  | { type: 'export'; id: number }
  | { type: 'worked'; id: number }
  | { type: 'rule-file'; name: string; source: string; id: number }
  | { type: 'play' }
  | { type: 'pause' };

/** A built-in rule as the selector shows it: defined for this network, or greyed with its check's reason. */
export interface RuleChoice {
  id: string;
  description: string;
  reason: string | null;
}

/** One rule's run, as of its last evaluation. */
export interface RunView {
  rule: string;
  step: number;
  trainLoss: number;
  testLoss: number | null;
  testAcc: number;
  /** Per weight layer: cosine between the rule's update and its declared reference (backprop's gradient, mostly). */
  alignment: Record<string, number>;
  /** What the alignment was measured against (null: the rule has its own objective). */
  reference: string | null;
  /** Per hidden weight layer: cosine between the error signal the rule delivered there and backprop's δ. */
  errorSignals: Record<string, number>;
  /** Per layer: the norm of backprop's gradient (vanishing and exploding gradients). */
  gradNorms: Record<string, number>;
  /** The rule's own diagnostics (the feedback-to-forward angles of the feedback-alignment family, …). */
  diagnostics: Record<string, number>;
  /** The ledger's step peak since the last record, by category (bytes), each category's own peak, and the peak as a multiple of a forward pass's. */
  memory: { peakBytes: number; atPeak: Record<string, number>; peakByCategory: Record<string, number>; ratioToInference: number } | null;
  /** Forward-pass equivalents the steps so far cost, by the rule's declared cost (checkpointing recomputes: one forward more a step). */
  forwardPasses: number | null;
  /** Loss curve so far: steps, train loss, test loss. */
  curve: { step: number[]; train: number[]; test: number[] };
  /** P(class 1), or a regression output from −1 to 1 mapped to 0 to 1, on a GRID × GRID grid over `extent`, row-major from the top-left. */
  boundary: Float32Array;
  /** The input features, then per hidden layer its first units' outputs over a NEURON_GRID × NEURON_GRID grid over `extent` (TensorFlow Playground's maps). */
  neurons: NeuronMaps[];
  /** MNIST: the predicted class of each sample image, and the model's probability of it. */
  predictions: { label: number; confidence: number }[];
  status: 'training' | 'diverged';
  error: string | null;
}

/** The first MNIST test images (28×28, pixels 0 to 1, one after the other) and their labels. */
export interface Samples {
  x: Float32Array;
  labels: number[];
}

export interface Points {
  /** The points on the plane, [x1, x2] pairs (before any input features), train first. */
  x: Float32Array;
  /** Each point's class (0 or 1), or its regression target. */
  y: Float32Array;
  train: number;
  regression: boolean;
}

export type FromWorker =
  | {
      type: 'loaded';
      id: number;
      /** The kernels the runs use, in words (webgpu, wasm or reference, and threads). */
      backend: string;
      /** Why the kernels are not on WebGPU (null when they are), for the page to show. */
      backendNote: string | null;
      activations: string[];
      rules: RuleChoice[];
      /** The 2-D sets' points (null on MNIST). */
      points: Points | null;
      /** MNIST's sample images (null on the 2-D sets). */
      samples: Samples | null;
      extent: [number, number, number, number];
    }
  | { type: 'metrics'; id: number | null; runs: RunView[]; playing: boolean }
  | { type: 'exported'; id: number; spec: string; records: EvalRecord[][] }
  | { type: 'rule-file'; id: number; rules: string[] }
  | { type: 'worked'; id: number; example: WorkedExample; published: typeof PUBLISHED }
  | { type: 'error'; id: number | null; message: string };

export const GRID = 48;
/** Side of each unit's map: small, as they are drawn small and sent after every chunk of steps. */
export const NEURON_GRID = 20;
/** Units shown per hidden layer (a layer may have up to 64). */
export const MAX_UNITS_SHOWN = 16;

/** One hidden layer's maps: unit u's output at grid point p is maps[u * NEURON_GRID² + p]. */
export interface NeuronMaps {
  layer: string;
  /** Units in the layer (only the first MAX_UNITS_SHOWN are mapped). */
  units: number;
  maps: Float32Array;
}

/** The n × n grid's point centres over `extent` as [x1, x2] pairs, row-major from the top-left (as the maps are drawn). */
export function gridPoints(extent: readonly [number, number, number, number], n: number): Float32Array {
  const [x0, x1, y0, y1] = extent;
  const xy = new Float32Array(n * n * 2);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const k = (i * n + j) * 2;
      xy[k] = x0 + ((j + 0.5) / n) * (x1 - x0);
      xy[k + 1] = y1 - ((i + 0.5) / n) * (y1 - y0);
    }
  return xy;
}
