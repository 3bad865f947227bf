// Rule files loaded by path (Node: resolves and imports a file), registered like the built-ins.
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SpecError } from '../errors.ts';
import { registerRulesOf } from './registry.ts';
import type { AnyRule } from './rule.ts';

/**
 * Load every rule a module exports (its default export and named exports that are rules) and
 * register them. Used for the built-in registry and for user rule files alike. A relative path
 * resolves against `from` — the calling module's `import.meta.url`, or a file path — else
 * against the current directory.
 */
export async function loadRulesFrom(path: string, from?: string): Promise<AnyRule[]> {
  const base = from === undefined ? process.cwd() : dirname(from.startsWith('file:') ? fileURLToPath(from) : resolve(from));
  const url = pathToFileURL(resolve(base, path)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    throw new SpecError(`rule file ${path}: could not be loaded: ${String((e as Error).message ?? e).replace(/\s*\n\s*/g, ' ')}`);
  }
  return registerRulesOf(mod, `rule file ${path}`);
}
