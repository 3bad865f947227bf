// The playground's training speed in Chromium beside the same trial in Node: the same state's
// trial config (playground/src/config.ts) — the same network, data, batches and per-step
// evaluation — on the WASM kernels with one kernel thread on both sides (the page opened with
// ?threads=1; Node's backend here has no kernel threads). The browser figure
// is what the page sees: `window.playground.step(n)`, messages and the worker's drawing included.
// Used by `npm run bench` (bench/run.ts); `npx tsx bench/playground.ts [--quick]` runs it alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getRule, Ledger, prepareData, rng, standardObservers, Training, trainSteps, withLedger } from '../src/index.ts';
import { loadDataset } from '../src/data/index.ts';
import { launchChromium } from '../src/report/browser.ts';
import { buildPlayground } from '../scripts/build-playground.ts';
import { servePlayground } from '../scripts/serve-playground.ts';
import { configFor } from '../playground/src/config.ts';
import { parseState } from '../playground/src/state.ts';
import { median } from './profile.ts';

/** The network timed: an MLP on the bundled MNIST subset, evaluated every 10 steps as the page does. */
export const PLAYGROUND_STATE = 'seed=1&data=mnist&hidden=64%2C64&act=relu&lr=0.05&batch=64&rules=backprop';
const WARMUP = 10;

export interface PlaygroundSpeed {
  state: string;
  steps: number;
  /** Per round: steps per second in Chromium's worker and in Node, and their ratio (browser ÷ Node). */
  browserStepsPerSec: number[];
  nodeStepsPerSec: number[];
  ratios: number[];
  /** Median over rounds of browser ÷ Node. */
  ratio: number | null;
  browserKernels: string;
  note: string | null;
}

/** Node: `steps` steps of the state's trial after a warm-up, on whatever backend is installed (wall ms). */
function nodeRun(steps: number): number {
  const s = parseState(PLAYGROUND_STATE);
  const config = configFor(s, s.rules[0]);
  // In a ledger of its own, as the page's worker runs each run (and as the CLI runs each trial).
  return withLedger(() => {
    const data = prepareData(config, rng(config.seed).child('data'), (n, o) => loadDataset(n, o));
    const params = data.model.init(rng(config.seed).child('init'));
    const t = new Training(config, 'bench-playground', getRule(config.rule), data, params, data.model.initBuffers());
    const it = trainSteps(t, standardObservers(t, {}), () => {});
    for (let i = 0; i < WARMUP; i++) it.next();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) it.next();
    const ms = performance.now() - t0;
    t.dispose();
    return ms;
  }, new Ledger());
}

/** Time the playground in Chromium and the same trial in Node, `reps` interleaved rounds of `steps` steps. */
export async function timePlayground(steps: number, reps: number, log: (s: string) => void): Promise<PlaygroundSpeed> {
  const out: PlaygroundSpeed = {
    state: PLAYGROUND_STATE,
    steps,
    browserStepsPerSec: [],
    nodeStepsPerSec: [],
    ratios: [],
    ratio: null,
    browserKernels: '',
    note: null,
  };
  const dir = mkdtempSync(join(tmpdir(), 'rulebench-bench-playground-'));
  try {
    await buildPlayground(dir);
    const served = await servePlayground(dir, 0);
    const browser = await launchChromium().catch((e: Error) => {
      out.note = `Chromium did not start: ${e.message.split('\n')[0]}`;
      return null;
    });
    try {
      if (!browser) return out;
      const page = await browser.newPage();
      await page.goto(`${served.url}?threads=1#${PLAYGROUND_STATE}`);
      await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
      out.browserKernels = String(await page.evaluate('window.playground.metrics().backend'));
      for (let r = 0; r < reps; r++) {
        const ms = (await page.evaluate(`(async () => {
          await window.playground.load(${JSON.stringify(PLAYGROUND_STATE)});
          await window.playground.step(${WARMUP});
          const t0 = performance.now();
          await window.playground.step(${steps});
          return performance.now() - t0;
        })()`)) as number;
        const node = nodeRun(steps);
        out.browserStepsPerSec.push((1000 * steps) / ms);
        out.nodeStepsPerSec.push((1000 * steps) / node);
        out.ratios.push(node / ms);
        log(`  round ${r + 1}: browser ${((1000 * steps) / ms).toFixed(1)} steps/s, node ${((1000 * steps) / node).toFixed(1)} steps/s`);
      }
      out.ratio = median(out.ratios);
    } finally {
      await browser?.close();
      await served.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { installBackend } = await import('../src/kernels-api.ts');
  const { loadWasmBackend } = await import('../src/kernels/wasm/index.ts');
  await import('../algorithms/index.ts');
  const wasm = loadWasmBackend();
  installBackend(wasm);
  const quick = process.argv.includes('--quick');
  const r = await timePlayground(quick ? 30 : 100, quick ? 1 : 3, console.log);
  console.log(
    `playground (${r.browserKernels}) ÷ node (${wasm.name}, ${wasm.threads} thread): ${r.ratio?.toFixed(2) ?? '—'} ${r.note ?? ''}`,
  );
}
