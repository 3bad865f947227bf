#!/usr/bin/env node
// The `rulebench` command (package.json "bin"), in the checkout (`npx rulebench`) and in a project
// that installed rulebench: the CLI is TypeScript, so tsx's loader is registered before it loads.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
