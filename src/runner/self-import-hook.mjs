// Module resolve hooks for user files anywhere: `import … from 'rulebench'` finds this package's
// public API (Node resolves bare names only through node_modules folders above the importing
// file), and a TypeScript file written as an ES module loads as one even without a package.json
// saying "type": "module" (tsx would otherwise compile it to CommonJS, where imports fail).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const api = new URL('../index.ts', import.meta.url).href;
const ESM_SYNTAX = /^\s*(import\s*[\w{*'"]|export\s)/m;

export async function resolve(specifier, context, next) {
  // Resolved by the next hooks as a path, so tsx still sees a TypeScript file it must compile.
  const r = await next(specifier === 'rulebench' ? api : specifier, context);
  if (r.format === 'commonjs' && r.url.startsWith('file:') && /\.ts$/.test(r.url) && !r.url.includes('/node_modules/')) {
    try {
      if (ESM_SYNTAX.test(readFileSync(fileURLToPath(r.url), 'utf8'))) return { ...r, format: 'module' };
    } catch {
      // unreadable: let the loader report it
    }
  }
  return r;
}
