// Stopping a sweep on request (SIGINT): a flag in shared memory, so worker threads busy in a
// training loop see it too. The trial in progress stops after its current step; its partial
// records are left to be redone by --resume, and finished trials are untouched.
import { install, slot } from '../engine.ts';

const FLAG = slot('stop flag', new Int32Array(new SharedArrayBuffer(4)));

export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

export const interruptFlag = (): Int32Array => FLAG.get();
/** A worker thread's entry point: share the main thread's flag. */
export const useInterruptFlag = (shared: Int32Array): void => install(FLAG, shared);
export const requestStop = (): void => {
  Atomics.store(FLAG.get(), 0, 1);
};
export const stopRequested = (): boolean => Atomics.load(FLAG.get(), 0) === 1;
