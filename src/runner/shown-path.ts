// A path as the user would type it here: relative below the current directory, else absolute.
// Messages and records use it, so a committed experiment.json holds no machine's absolute path
// for files inside the project.
import { isAbsolute, relative } from 'node:path';

export function shownPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}
