// Saying what went wrong in one line: the kind of a trial's failure (data, rule, memory, ...)
// and a message for any error, including the file-system errors of a full or read-only disk.
import { DataError, NumericsError, ShapeError, SpecError } from '../errors.ts';
import type { Failure, FailureKind } from './record-types.ts';

const AT = Symbol('at-step');

/** Remember where in training an error was thrown (the error itself is rethrown unchanged). */
export function atStep<E>(e: E, step: number, epoch: number): E {
  if (typeof e === 'object' && e !== null && !(AT in e)) Object.defineProperty(e, AT, { value: { step, epoch } });
  return e;
}

/** A Node file-system error (ENOSPC, EACCES, EROFS, ...): never a trial's fault, it stops the run. */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  return (
    e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string'
  );
}

const SYSTEM_HINTS: Record<string, string> = {
  ENOSPC: 'no space left on the device; free some space',
  EDQUOT: 'disk quota exceeded; free some space',
  EROFS: 'the file system is read-only; choose another --out',
  EACCES: 'permission denied; choose another --out or fix the permissions',
  EPERM: 'operation not permitted; choose another --out or fix the permissions',
  ENOTDIR: 'a path component is a file, not a directory; choose another --out',
  EISDIR: 'a directory is in the way of a file; remove it or choose another --out',
  EEXIST: 'a file is in the way of a directory; remove it or choose another --out',
  EIO: 'input/output error on the device',
  EMFILE: 'too many open files',
};

/** Collapse a message to one line (code frames and wrapped text become one line). */
export function oneLine(text: string, max = 400): string {
  const s = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const isMemoryError = (e: unknown) =>
  e instanceof RangeError && /memory|allocation|array buffer|typed array length|Invalid array length/i.test(e.message);

/** One line for any error: its kind and message, a file-system error as its path, code and cure. */
export function describeError(e: unknown): string {
  if (isSystemError(e)) {
    const where = e.path ? `${e.path}: ` : '';
    // Node's message repeats code, syscall and path ("ENOENT: no such file or directory, mkdir '…'"): keep its middle.
    const plain = /^[A-Z]+: ([^,]+)/.exec(e.message)?.[1] ?? oneLine(e.message);
    return `${where}${SYSTEM_HINTS[e.code] ?? plain} (${e.code}${e.syscall ? `, ${e.syscall}` : ''})`;
  }
  if (isMemoryError(e)) return `out of memory: ${oneLine((e as Error).message)}`;
  if (e instanceof Error) return `${e.name}: ${oneLine(e.message)}`;
  return oneLine(String(e));
}

/** Classify a failed trial's error for its summary: the kind, where, and one line. */
export function classifyFailure(e: unknown, ruleId: string): { failure: Failure; error: string } {
  const at = (typeof e === 'object' && e !== null ? (e as Record<symbol, unknown>)[AT] : undefined) as
    { step: number; epoch: number } | undefined;
  let kind: FailureKind;
  if (e instanceof DataError) kind = 'data';
  else if (e instanceof SpecError) kind = 'spec';
  else if (e instanceof NumericsError) kind = 'non-finite';
  else if (isMemoryError(e)) kind = 'memory';
  // During training anything else came from the rule's code or its updates (ShapeErrors name the rule).
  else if (at || e instanceof ShapeError) kind = 'rule';
  else kind = 'internal';
  const line = describeError(e);
  const named = kind === 'rule' && !line.includes(`"${ruleId}"`) ? `rule "${ruleId}": ${line}` : line;
  return {
    failure: { kind, step: at?.step ?? null, epoch: at?.epoch ?? null },
    error: at ? `${named} (step ${at.step}, epoch ${at.epoch})` : named,
  };
}

/** A plain object that crosses a worker boundary and becomes an equivalent error again. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  syscall?: string;
  path?: string;
}

export function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const { code, syscall, path } = e as NodeJS.ErrnoException;
  return { name: e.name, message: e.message, code, syscall, path };
}

export function deserializeError(s: SerializedError): Error {
  const Kind = { SpecError, DataError, ShapeError, NumericsError, RangeError }[s.name as 'SpecError'] ?? Error;
  const e = new Kind(s.message);
  if (Kind === Error) e.name = s.name;
  return Object.assign(e, s.code ? { code: s.code } : {}, s.syscall ? { syscall: s.syscall } : {}, s.path ? { path: s.path } : {});
}
