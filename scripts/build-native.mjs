#!/usr/bin/env node
// Builds the optional native backend (src/kernels/native: a Node-API addon linking OpenBLAS) with
// node-gyp, when OpenBLAS's headers and library, a C compiler and Node's headers are present.
// With --optional (postinstall) anything missing is reported and the build skipped: `npm ci`
// never fails for want of it, and the WASM backend stays the default either way.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'src/kernels/native');
export const addonPath = join(dir, 'build/Release/rulebench_native.node');
const optional = process.argv.includes('--optional');

function skip(why) {
  const msg =
    `native backend not built: ${why}. WASM stays the backend; to build it: apt-get install -y libopenblas-dev ` +
    'libopenblas0-pthread build-essential, then node scripts/build-native.mjs';
  if (optional) {
    console.warn(msg);
    process.exit(0);
  }
  console.error(msg);
  process.exit(1);
}

const include = process.env.RULEBENCH_OPENBLAS_INCLUDE ?? '/usr/include/x86_64-linux-gnu/openblas-pthread';
if (!existsSync(join(include, 'cblas.h'))) skip(`no OpenBLAS headers (${include}/cblas.h; package libopenblas-dev)`);
const libs = ['/usr/lib/x86_64-linux-gnu/libopenblas.so', '/usr/lib/libopenblas.so', '/usr/lib64/libopenblas.so'];
if (!libs.some(existsSync)) skip('no libopenblas.so (packages libopenblas-dev, libopenblas0-pthread)');
if (spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0) skip('no C compiler (cc)');

// npm exports the node-gyp it bundles to lifecycle scripts; otherwise look beside this node.
const gyp = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
].find((p) => p && existsSync(p));
if (!gyp) skip('node-gyp not found (it ships with npm)');
// Local Node headers (Debian's nodejs package has them) avoid a download.
const nodedir = ['/usr', dirname(dirname(process.execPath))].find((d) => existsSync(join(d, 'include/node/node_api.h')));
const args = [gyp, 'rebuild', '--directory', dir, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, RULEBENCH_OPENBLAS_INCLUDE: include } });
if (r.status !== 0 || !existsSync(addonPath)) {
  const tail = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-8).join('\n');
  skip(`node-gyp failed:\n${tail}\n`);
}
console.log(`built ${addonPath}`);
