// Run options that contradict each other or the machine, refused before anything loads or is
// written (shared by run and tune).
import { availableParallelism } from 'node:os';
import { SpecError } from '../errors.ts';

export interface RunFlags {
  resume?: boolean;
  fresh?: boolean;
  shard?: unknown;
  threads?: number;
}

export function checkRunFlags(opts: RunFlags, max = availableParallelism()): void {
  if (opts.fresh && opts.resume)
    throw new SpecError('--resume and --fresh: choose one (--resume continues the directory, --fresh sets its contents aside)');
  if (opts.fresh && opts.shard)
    throw new SpecError('--fresh: not with --shard (shards share the directory); start it afresh once, without --shard');
  // Each kernel thread is a worker with its own heap: past the cores, more only cost memory.
  if (opts.threads !== undefined && opts.threads > max)
    throw new SpecError(`--threads: at most ${max} (the cores this machine offers, os.availableParallelism()), got ${opts.threads}`);
}
