#!/usr/bin/env node
// Writes the public entries' type declarations to types/ (tsconfig.types.json), which package.json
// `exports` names under "types": a project that installed rulebench gets its types from them,
// without compiling this package's sources under its own compiler options.
// node scripts/build-types.mjs [--optional]   (--optional: exit 0 when typescript is not installed)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', '.bin', 'tsc');
if (!existsSync(tsc)) {
  if (process.argv.includes('--optional')) {
    console.warn('typescript is not installed; skipping the type declarations (types/)');
    process.exit(0);
  }
  console.error(`build-types: ${tsc} not found; run npm ci`);
  process.exit(1);
}
const r = spawnSync(tsc, ['-p', join(root, 'tsconfig.types.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
console.log(`built ${join(root, 'types')}`);
