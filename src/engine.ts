// The core's process-wide state in one object, as tfjs keeps its tape, scopes and backend in one
// Engine. Each floor declares the slots it owns where it uses them (the backend in kernels/, the
// ledger and arenas in tensor/, the traces in autograd/, the signal probe in nn/); every change
// of a slot's value is scoped, so no caller has a setter to undo and two trials in one process
// never see each other's state.

// One engine per process (per thread: a worker thread has its own globals). A second copy of the
// core — the same files loaded again as CommonJS, or from another place — would keep a second
// engine and registry of its own: rules built on it would train against state nobody set (no
// backend, no rules registered) and fail silently. The first copy marks the process; a second
// refuses to load, naming both.
const LOADED = Symbol.for('rulebench: the core loaded from');
const marks = globalThis as { [LOADED]?: string };
if (marks[LOADED] !== undefined) {
  throw new Error(
    `a second copy of rulebench's core is loading (${import.meta.url}; the first came from ${marks[LOADED]}): ` +
      `import 'rulebench' and its subpaths only, never a path into its src/ (a tsconfig "paths" entry ` +
      `loads one for CommonJS files); for editor types see docs/writing-rules.md#types-in-your-editor`,
  );
}
marks[LOADED] = import.meta.url;

/** One named field of the engine, with its typed accessor. */
export interface Slot<T> {
  readonly name: string;
  /** The value in effect now. */
  get(): T;
}

const names: string[] = [];
const values: unknown[] = [];
/** How many scopes of each slot are open (install needs none). */
const depth: number[] = [];

/** Declare a slot with its process-wide starting value. A name is declared once. */
export function slot<T>(name: string, initial: T): Slot<T> {
  if (names.includes(name)) throw new Error(`engine: slot "${name}" is declared twice (is a second copy of the core loaded?)`);
  const index = names.length;
  names.push(name);
  values.push(initial);
  depth.push(0);
  return { name, get: () => values[index] as T, [INDEX]: index } as Slot<T>;
}

const INDEX = Symbol('engine slot index');
const indexOf = (s: Slot<unknown>): number => (s as unknown as { [INDEX]: number })[INDEX];

/** Run fn with `s` set to `value`; the previous value is back when fn returns or throws. */
export function scoped<T, R>(s: Slot<T>, value: T, fn: () => R): R {
  const i = indexOf(s as Slot<unknown>);
  const prev = values[i];
  values[i] = value;
  depth[i]++;
  try {
    return fn();
  } finally {
    depth[i]--;
    values[i] = prev;
  }
}

/**
 * Set the value every scope of `s` starts from, for a program's entry point (the CLI choosing
 * its backend, a test setup file). Refused inside a scope of `s`, whose end would undo it.
 */
export function install<T>(s: Slot<T>, value: T): void {
  const i = indexOf(s as Slot<unknown>);
  if (depth[i] > 0) throw new Error(`engine: cannot install "${s.name}" inside a scope that sets it`);
  values[i] = value;
}

/** Every slot's value now, by name (for debugging and tests). */
export function engineState(): Record<string, unknown> {
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}
