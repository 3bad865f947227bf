// Module resolve hooks for user files anywhere: `import … from 'rulebench'` (or a subpath such as
// 'rulebench/testing') finds this package's public entries as its package.json `exports` lists them
// (Node resolves bare names only through node_modules folders above the importing file; inside
// this repository it resolves them itself), and a TypeScript file written as an ES module loads
// as one even without a package.json saying "type": "module" (tsx would otherwise compile it to
// CommonJS, where imports fail).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../../', import.meta.url);
const { name, exports } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const ESM_SYNTAX = /^\s*(import\s*[\w{*'"]|export\s)/m;

/** The file a public entry names ('rulebench' → exports['.'], 'rulebench/x' → exports['./x']), else the specifier. */
function entry(specifier) {
  if (specifier !== name && !specifier.startsWith(`${name}/`)) return specifier;
  const target = exports[`.${specifier.slice(name.length)}`];
  return typeof target === 'string' ? new URL(target, root).href : specifier;
}

export async function resolve(specifier, context, next) {
  // Resolved by the next hooks as a path, so tsx still sees a TypeScript file it must compile.
  const r = await next(entry(specifier), context);
  if (r.format === 'commonjs' && r.url.startsWith('file:') && /\.ts$/.test(r.url) && !r.url.includes('/node_modules/')) {
    try {
      if (ESM_SYNTAX.test(readFileSync(fileURLToPath(r.url), 'utf8'))) return { ...r, format: 'module' };
    } catch {
      // unreadable: let the loader report it
    }
  }
  return r;
}
