// Checkpoints: the whole trial's snapshot at each epoch's end, handed to `save` (the CLI writes it
// beside the trial's records; a browser may keep it in memory).
import type { Observer, Snapshot } from '../observer.ts';

export function checkpointObserver(save: (s: Snapshot) => void): Observer {
  return { name: 'checkpointing', onEpochEnd: (_epoch, snapshot) => save(snapshot()) };
}
