// Module resolve hooks for user files anywhere: `import … from 'rulebench'` (or a subpath such as
// 'rulebench/testing') finds this package's public entries as its package.json `exports` lists them
// (Node resolves bare names only through node_modules folders above the importing file; inside
// this repository it resolves them itself), and a TypeScript file written as an ES module loads
// as one even without a package.json saying "type": "module" (tsx would otherwise compile it to
// CommonJS, where imports fail).
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = new URL('../../', import.meta.url);
const { name, exports } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const ESM_SYNTAX = /^\s*(import\s*[\w{*'"]|export\s)/m;

/**
 * The file a public entry names ('rulebench' → exports['.'], 'rulebench/x' → exports['./x']; its
 * "default": "types" serves the compiler only), else the specifier.
 */
function entry(specifier) {
  if (specifier !== name && !specifier.startsWith(`${name}/`)) return specifier;
  const target = exports[`.${specifier.slice(name.length)}`]?.default;
  return typeof target === 'string' ? new URL(target, root).href : specifier;
}

export async function resolve(specifier, context, next) {
  // Resolved by the next hooks as a path, so tsx still sees a TypeScript file it must compile.
  const r = await next(entry(specifier), context);
  if (r.format !== 'commonjs' || !r.url.startsWith('file:')) return r;
  // Imported from an ES module, tsx marks a CommonJS file's URL with a query, once encoded into
  // the path and once as the query proper (to preparse its exports): the file is judged by its
  // path, and loads as a module without the marks.
  const file = fileURLToPath(r.url.split('?')[0]).split('?')[0];
  if (!file.endsWith('.ts') || file.includes('/node_modules/')) return r;
  try {
    if (ESM_SYNTAX.test(readFileSync(file, 'utf8'))) return { ...r, url: pathToFileURL(file).href, format: 'module' };
  } catch {
    // unreadable: let the loader report it
  }
  return r;
}
