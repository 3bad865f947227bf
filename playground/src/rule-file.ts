// A user's own rule file, loaded into the worker: the file imports the API as 'rulebench/core'
// (or 'rulebench'), which a browser cannot resolve, so those imports are pointed at a module
// that hands over the worker's own core (the same objects the built-in rules use), and the file
// is imported from a blob URL. Its rules register as Node's loadRulesFrom registers them.
import * as core from '../../src/core.ts';
import type { AnyRule } from '../../src/core.ts';

/** The specifiers a rule file may import the API by; any other import is the file's own affair. */
const API = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])rulebench(?:\/core)?\2/g;

let coreUrl: string | null = null;

/** A module re-exporting the worker's core, by name. */
function coreModule(): string {
  if (!coreUrl) {
    (globalThis as { __rulebenchCore?: unknown }).__rulebenchCore = core;
    const names = Object.keys(core).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k));
    const source = `const c = globalThis.__rulebenchCore;\nexport const { ${names.join(', ')} } = c;\n`;
    coreUrl = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  }
  return coreUrl;
}

/** Import a rule file's source (JavaScript: a browser runs no TypeScript) and register its rules. */
export async function loadRuleFile(name: string, source: string): Promise<AnyRule[]> {
  const where = `rule file ${name}`;
  if (!/\.m?js$/.test(name)) throw new Error(`${where}: the page loads JavaScript rule files (.js, .mjs); compile a .ts file first`);
  const url = URL.createObjectURL(
    new Blob([source.replace(API, (_, lead: string, q: string) => `${lead}${q}${coreModule()}${q}`)], { type: 'text/javascript' }),
  );
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${where}: could not be loaded: ${String((e as Error).message ?? e)}`);
  } finally {
    URL.revokeObjectURL(url);
  }
  return core.registerRulesOf(mod, where);
}
