#!/usr/bin/env node
// Compiles the AssemblyScript kernels (src/kernels/wasm/assembly/) twice: kernels.wasm with WASM
// SIMD, and kernels-relaxed.wasm with relaxed SIMD too (FMA micro-kernels; the loader picks it
// when the runtime has relaxed SIMD). Offline and fast (~3 s); outputs are written to temp files
// and renamed, so concurrent builds (parallel test workers) never see a half-written module.
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src/kernels/wasm/assembly/kernels.ts');
const outDir = join(root, 'src/kernels/wasm');
/** The two builds: file name and extra asc features. */
export const VARIANTS = [
  { file: 'kernels.wasm', features: [] },
  { file: 'kernels-relaxed.wasm', features: ['relaxed-simd'] },
];

// Shared imported memory: views handed out by the host stay valid when the memory grows
// (a SharedArrayBuffer is never detached). 65536 pages = 4 GiB, the wasm32 limit; the host may
// create its memory with a smaller maximum.
export const MAX_PAGES = 65536;

export async function buildWasm({ textFile = false, quiet = false } = {}) {
  const out = [];
  for (const v of VARIANTS) out.push(await buildOne(join(outDir, v.file), v.features, { textFile, quiet }));
  return out;
}

async function buildOne(outFile, features, { textFile, quiet }) {
  const { default: asc } = await import('assemblyscript/asc');
  const tmp = `${outFile}.${process.pid}.${Date.now()}.tmp`;
  const args = [
    entry,
    '--outFile',
    tmp,
    '-O3',
    '--noAssert',
    '--runtime',
    'stub',
    '--enable',
    'simd',
    '--enable',
    'threads',
    ...features.flatMap((f) => ['--enable', f]),
    '--importMemory',
    '--sharedMemory',
    '--noExportMemory',
    '--initialMemory',
    '2',
    '--maximumMemory',
    String(MAX_PAGES),
    ...(textFile ? ['--textFile', outFile.replace(/\.wasm$/, '.wat')] : []),
  ];
  mkdirSync(dirname(outFile), { recursive: true });
  const { error, stderr } = await asc.main(args, {});
  if (error) {
    rmSync(tmp, { force: true });
    throw new Error(`asc failed to compile ${entry}:\n${stderr.toString()}\n${error.message}`);
  }
  const warnings = stderr.toString().trim();
  if (warnings && !quiet) console.warn(warnings);
  renameSync(tmp, outFile);
  if (!quiet) console.log(`built ${outFile}`);
  return outFile;
}

// CLI: node scripts/build-wasm.mjs [--wat] [--optional]
// --wat also writes kernels.wat next to the module (for reading the generated code);
// --optional exits 0 when assemblyscript is not installed (postinstall with --omit=dev).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const optional = process.argv.includes('--optional');
  buildWasm({ textFile: process.argv.includes('--wat') }).catch((err) => {
    if (optional && err?.code === 'ERR_MODULE_NOT_FOUND') {
      console.warn('assemblyscript is not installed; skipping the WASM kernel build (the reference backend still works)');
      return;
    }
    console.error(err.message);
    process.exit(1);
  });
}
