// Training steps per epoch of an experiment, from its data's declared size (no data is read
// beyond what describing the dataset reads): presets state schedules in epochs, the tuner budgets.
import { describeDataset } from '../data/index.ts';
import type { DataConfig } from './trial-config.ts';

/** Batches per epoch of the training split left after the validation hold-out (the loader keeps a last partial batch). */
export function stepsPerEpoch(data: DataConfig, batchSize: number): number {
  const { name, validation, ...opts } = data;
  const n = describeDataset(name, opts).train;
  const held = typeof validation === 'number' && validation > 0 ? (validation < 1 ? Math.round(validation * n) : validation) : 0;
  return Math.max(1, Math.ceil(Math.max(1, n - held) / batchSize));
}
