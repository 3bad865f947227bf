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
  /** The ledger's step peak since the last record, by category (bytes), and as a multiple of a forward pass's. */
  memory: { peakBytes: number; atPeak: Record<string, number>; ratioToInference: number } | null;
  /** Loss curve so far: steps, train loss, test loss. */
  curve: { step: number[]; train: number[]; test: number[] };
  /** P(class 1) on a GRID × GRID grid over `extent`, row-major from the top-left. */
  boundary: Float32Array;
  status: 'training' | 'diverged';
  error: string | null;
}

export interface Points {
  x: Float32Array;
  y: Int32Array;
  train: number;
}

export type FromWorker =
  | {
      type: 'loaded';
      id: number;
      backend: string;
      activations: string[];
      rules: RuleChoice[];
      points: Points;
      extent: [number, number, number, number];
    }
  | { type: 'metrics'; id: number | null; runs: RunView[]; playing: boolean }
  | { type: 'exported'; id: number; spec: string; records: EvalRecord[][] }
  | { type: 'worked'; id: number; example: WorkedExample; published: typeof PUBLISHED }
  | { type: 'error'; id: number | null; message: string };

export const GRID = 48;
