// The playground in a real browser (Debian Chromium, headless): built by esbuild, served with
// COOP/COEP by the project's server, it loads with no console errors and no request beyond its
// own origin, runs the WASM kernels in its worker, trains (loss falls), round-trips its state
// through the URL, greys the rules not defined for the network with their check's reason, and
// trains two rules side by side from the same seed with per-layer alignment; the spec it
// exports reruns through `rulebench run` to the same records.
import type { Browser, Page } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlayground } from '../../scripts/build-playground.ts';
import { servePlayground, type Served } from '../../scripts/serve-playground.ts';
import { PUBLISHED, workedExample } from '../../experiments/worked-example.ts';
import { launchChromium } from '../../src/report/browser.ts';
import { fromArray, prepareData, rng } from '../../src/core.ts';
import { configFor, loadPoints } from '../../playground/src/config.ts';
import { gridPoints } from '../../playground/src/protocol.ts';
import { parseState } from '../../playground/src/state.ts';
import { decodeMnistSubset, MNIST_TEST, MNIST_TRAIN } from '../../playground/src/mnist-subset.ts';
import { loadDataset } from '../../src/data/index.ts';

interface RunMetrics {
  rule: string;
  step: number;
  trainLoss: number;
  testLoss: number | null;
  testAcc: number;
  alignment: Record<string, number>;
  errorSignals: Record<string, number>;
  gradNorms: Record<string, number>;
  diagnostics: Record<string, number>;
  memory: { peakBytes: number; atPeak: Record<string, number>; peakByCategory: Record<string, number>; ratioToInference: number } | null;
  forwardPasses: number | null;
  status: string;
}
interface Metrics extends RunMetrics {
  backend: string;
  backendNote: string;
  rules: { id: string; reason: string | null }[];
  runs: RunMetrics[];
}
/** The page's test interface: load(state), step(n), metrics(), state(). */
const API = 'window.playground';

describe('the playground in a browser', () => {
  let browser: Browser;
  let served: Served;
  let dir: string;
  let built: Awaited<ReturnType<typeof buildPlayground>>;
  const problems: string[] = [];
  const outside: string[] = [];

  async function open(hash: string): Promise<Page> {
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('request', (r) => {
      if (!r.url().startsWith(served.url) && !r.url().startsWith('data:')) outside.push(r.url());
    });
    await page.goto(`${served.url}#${hash}`);
    await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
    return page;
  }
  const metrics = (page: Page) => page.evaluate(`${API}.metrics()`) as Promise<Metrics>;
  const step = (page: Page, n: number) => page.evaluate(`${API}.step(${n})`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rulebench-playground-'));
    built = await buildPlayground(dir);
    served = await servePlayground(dir, 0);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await served?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads on the WASM kernels, trains until the loss falls, with no errors and nothing fetched from elsewhere', async () => {
    const page = await open('data=xor&noise=0.2&hidden=8&lr=0.3&batch=16&rules=backprop');
    const first = await metrics(page);
    expect(first.backend).toMatch(/^wasm/);
    // Chromium here runs with --disable-gpu: no WebGPU adapter, and the page says so (test/playground/webgpu.test.ts has one).
    expect(first.backendNote).toBe(' (not on WebGPU: navigator.gpu found no adapter (no usable GPU))');
    await step(page, 5);
    const early = await metrics(page);
    expect(early.step).toBe(5);
    await step(page, 295);
    const late = await metrics(page);
    expect(late.step).toBe(300);
    expect(late.testLoss!).toBeLessThan(0.5 * early.testLoss!);
    expect(late.testAcc).toBeGreaterThan(0.9);
    // Backprop's update is the task gradient itself: cosine 1 in every layer.
    expect(Object.keys(late.alignment)).toEqual(['fc1', 'fc2']);
    for (const c of Object.values(late.alignment)) expect(c).toBeCloseTo(1, 5);
    expect(problems).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  });

  it('bundles its worker without mathjs (which only expression activations need): small, and says so when one is asked for', async () => {
    // About 300 KiB with the WebGPU backend's WGSL sources (about 32 KB of shaders and their
    // host side, optimizer and noise kernels included); mathjs alone would add about 700 KiB.
    expect(built.bytes['worker.js']).toBeLessThan(360 * 1024);
    expect(readFileSync(join(dir, 'worker.js'), 'utf8')).not.toMatch(/mathjs\.org|typed-function/);
    const page = await open('rules=backprop');
    await expect(
      page.evaluate(
        `${API}.loadRuleFile('e.mjs', "import { activation } from 'rulebench/core'; activation('x * x'); export const a = 1;")`,
      ),
    ).rejects.toThrow('activations written as expressions in x need mathjs, which the playground leaves out; use a named activation');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('splits kernels over threads where the page is cross-origin isolated, to the same figures as one thread', async () => {
    const hash = 'seed=4&data=spirals&points=1000&hidden=64%2C64&act=tanh&lr=0.05&batch=256&rules=backprop';
    const run = async (threads: number) => {
      const page = await browser.newPage();
      const started: string[] = [];
      page.on('request', (r) => {
        if (r.url().endsWith('/kernel-thread.js')) started.push(r.url());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      await page.goto(`${served.url}?threads=${threads}#${hash}`);
      await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
      await step(page, 20);
      const m = await metrics(page);
      await page.close();
      return { m, started: started.length };
    };
    const [one, three] = [await run(1), await run(3)];
    expect(one.m.backend).toMatch(/^wasm.*, 1 thread$/);
    expect(three.m.backend).toMatch(/^wasm.*, 3 threads$/);
    // Two kernel threads beside the worker's own, and not one where one thread is asked for.
    expect([one.started, three.started]).toEqual([0, 2]);
    expect({ ...three.m, backend: '' }).toEqual({ ...one.m, backend: '' });
    expect(problems).toEqual([]);
  });

  it('works served without COOP/COEP, as a plain static host serves it: the reference kernels on one thread', async () => {
    const plain = await servePlayground(dir, 0, { isolate: false });
    try {
      const page = await browser.newPage();
      page.on('pageerror', (e) => problems.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      await page.goto(`${plain.url}#data=xor&noise=0.2&hidden=8&lr=0.3&rules=backprop`);
      await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
      expect(await page.evaluate('crossOriginIsolated')).toBe(false);
      await step(page, 5);
      const early = await metrics(page);
      await step(page, 95);
      const late = await metrics(page);
      expect(late.backend).toBe('reference (the page is not cross-origin isolated), 1 thread');
      expect(late.testLoss!).toBeLessThan(early.testLoss!);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await plain.close();
    }
  });

  it("maps each hidden unit's output over the input plane: at step 0 the first layer's are tanh(w·x + b) of the seed's weights", async () => {
    const hash = 'seed=3&data=xor&hidden=3%2C20&act=tanh&rules=backprop';
    const page = await open(hash);
    interface Maps {
      grid: number;
      extent: [number, number, number, number];
      layers: { layer: string; units: number; maps: number[] }[];
    }
    const maps = () => page.evaluate(`${API}.neuronMaps()`) as Promise<Maps>;
    const at0 = await maps();
    const n = at0.grid * at0.grid;
    expect(at0.layers.map((l) => [l.layer, l.units, l.maps.length / n])).toEqual([
      ['input', 2, 2],
      ['fc1', 3, 3],
      ['fc2', 20, 16],
    ]);
    // The same weights drawn here from the seed's init stream, and the first layer computed by hand on the same grid.
    const config = configFor(parseState(hash), 'backprop');
    const { model } = prepareData(config, rng(config.seed).child('data'), loadPoints);
    const params = model.init(rng(config.seed).child('init'));
    const [w, b] = [params[0].data, params[1].data];
    const xy = gridPoints(at0.extent, at0.grid);
    const expected = Array.from({ length: 3 * n }, (_, k) => {
      const [u, p] = [Math.floor(k / n), k % n];
      return Math.tanh(w[2 * u] * xy[2 * p] + w[2 * u + 1] * xy[2 * p + 1] + b[u]);
    });
    at0.layers[1].maps.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 5));
    // The inputs' maps are the features themselves: x1 grows left to right, x2 bottom to top.
    at0.layers[0].maps.forEach((v, k) => expect(v).toBeCloseTo(xy[2 * (k % n) + Math.floor(k / n)], 6));
    // Drawn: one small canvas per unit shown, and the maps move as the run trains.
    expect(await page.locator('.run .neurons canvas').count()).toBe(2 + 3 + 16);
    await step(page, 30);
    expect((await maps()).layers[1].maps).not.toEqual(at0.layers[1].maps);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("feeds the model the input features chosen, and learns TensorFlow Playground's regression sets", async () => {
    // No hidden layer: a straight line cannot part the disc from the ring, a line in (x1², x2²) can.
    const page = await open('data=circle&noise=0&hidden=&lr=0.5&batch=16&rules=backprop');
    await step(page, 300);
    const linear = (await metrics(page)).testAcc;
    await page.click('#c-inputs input[value="x1^2"]');
    await page.click('#c-inputs input[value="x2^2"]');
    await page.click('#c-inputs input[value="x1"]');
    await page.click('#c-inputs input[value="x2"]');
    await page.waitForFunction(`${API}.state().includes('inputs=x1%5E2%2Cx2%5E2&')`);
    await step(page, 300);
    const squared = await metrics(page);
    expect(linear).toBeLessThan(0.75);
    expect(squared.testAcc).toBeGreaterThan(0.95);
    expect(Object.keys(squared.alignment)).toEqual(['fc1']);
    // A regression set: one output, a squared error that falls, the outputs drawn from −1 to 1.
    await page.evaluate(`${API}.load('data=bumps&noise=0.05&inputs=x1%2Cx2%2Csin(x1)&hidden=8%2C8&act=tanh&lr=0.1&rules=backprop')`);
    await step(page, 5);
    const early = await metrics(page);
    await step(page, 395);
    const late = await metrics(page);
    expect(late.testLoss!).toBeLessThan(0.5 * early.testLoss!);
    expect(await page.inputValue('#c-data')).toBe('bumps');
    expect(await page.$$eval('#c-inputs input:checked', (bs) => bs.map((b) => b.getAttribute('value')))).toEqual(['x1', 'x2', 'sin(x1)']);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("trains an MLP and LeNet-5 on the bundled MNIST subset, the CLI's first samples, and shows sample predictions", async () => {
    // The bundle is small, and holds exactly the samples `rulebench run` takes for the same data spec.
    const bytes = new Uint8Array(await (await fetch(`${served.url}mnist-subset.bin`)).arrayBuffer());
    expect(bytes.length).toBeLessThan(1024 * 1024);
    const bundle = decodeMnistSubset(bytes);
    const cli = loadDataset('mnist', { train: MNIST_TRAIN, test: MNIST_TEST });
    for (const k of ['train', 'test'] as const) {
      expect(bundle[k].x).toEqual(cli[k].x);
      expect(bundle[k].y).toEqual(cli[k].y);
    }
    type Predicted = { runs: { predictions: { label: number; confidence: number }[] }[] };
    const hash = 'seed=2&data=mnist&hidden=32&act=relu&lr=0.1&batch=32&rules=backprop';
    const page = await open(hash);
    // Before a step: the seed's weights on the first test images, as the CLI's data and model give them.
    const config = configFor(parseState(hash), 'backprop');
    const { model, test } = prepareData(config, rng(config.seed).child('data'), (n, o) => loadDataset(n, o));
    const out = model.forward(model.init(rng(config.seed).child('init')), fromArray(test.x.slice(0, 16 * 784), [16, 784])).data;
    const at0 = ((await metrics(page)) as unknown as Predicted).runs[0].predictions;
    expect(at0).toHaveLength(16);
    at0.forEach((p, i) => {
      const z = Array.from(out.subarray(10 * i, 10 * i + 10));
      expect(p.label).toBe(z.indexOf(Math.max(...z)));
      expect(p.confidence).toBeCloseTo(1 / z.reduce((a, v) => a + Math.exp(v - Math.max(...z)), 0), 4);
    });
    await step(page, 100);
    const m = await metrics(page);
    expect(m.step).toBe(100);
    expect(m.testAcc).toBeGreaterThan(0.7);
    // Drawn: each sample with its predicted class, green where it is the label.
    const predicted = ((await metrics(page)) as unknown as Predicted).runs[0].predictions;
    const labels = Array.from(cli.test.y.subarray(0, 16));
    expect(await page.locator('.samples figure').count()).toBe(16);
    expect(await page.locator('.samples figcaption.right').count()).toBe(predicted.filter((p, i) => p.label === labels[i]).length);
    // LeNet-5 (MNIST padded to 32×32) trains in the page too.
    await page.evaluate(`${API}.load('seed=2&data=mnist&net=lenet5&act=relu&lr=0.05&batch=16&rules=backprop')`);
    await step(page, 10);
    const early = await metrics(page);
    await step(page, 10);
    const late = await metrics(page);
    expect(Object.keys(late.alignment)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    expect(late.testLoss!).toBeLessThan(early.testLoss!);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the URL carries the whole state: a page opened on its link shows the same state and trains the same', async () => {
    const hash =
      'seed=7&data=spirals&noise=0.05&inputs=x1%2Cx2%2Cx1*x2&points=300&train=0.6&net=mlp&hidden=6%2C5&act=relu&lr=0.05&l2=0.001&clip=0&batch=8&rules=backprop';
    const a = await open(hash);
    expect(await a.evaluate('location.hash.slice(1)')).toBe(hash);
    expect(await a.evaluate(`${API}.state()`)).toBe(hash);
    await step(a, 40);
    const ma = await metrics(a);
    const b = await open(await a.evaluate('location.hash.slice(1)'));
    await step(b, 40);
    expect(await metrics(b)).toEqual(ma);
    // The controls show the state too.
    expect(await b.inputValue('#c-hidden')).toBe('6,5');
    expect(await b.inputValue('#c-activation')).toBe('relu');
    expect(await b.inputValue('#c-l2')).toBe('0.001');
    // A bad value is named, and the state stays as it was.
    await expect(b.evaluate(`${API}.load('lr=-1')`)).rejects.toThrow(/lr: expected a number in/);
    await expect(b.evaluate(`${API}.load('act=bogus')`)).rejects.toThrow(/act: expected one of identity, sigmoid, tanh, relu/);
    // A rule refusing the network (its check) leaves the runs as they were.
    await expect(b.evaluate(`${API}.load('hidden=&rules=equilibrium-propagation')`)).rejects.toThrow(/needs at least two dense layers/);
    expect(await b.evaluate(`${API}.state()`)).toBe(hash);
    expect(await b.evaluate('location.hash.slice(1)')).toBe(hash);
    expect((await metrics(b)).step).toBe(40);
    expect(problems).toEqual([]);
    await a.close();
    await b.close();
    problems.length = 0;
  });

  it('the rule selector lists every built-in rule, greying those not defined for the network with their check', async () => {
    const page = await open('hidden=&rules=backprop');
    const { rules } = await metrics(page);
    expect(rules.length).toBeGreaterThanOrEqual(18);
    expect(rules.find((r) => r.id === 'backprop')!.reason).toBeNull();
    // No hidden layer: equilibrium propagation has no hidden state to relax, and says so.
    expect(rules.find((r) => r.id === 'equilibrium-propagation')!.reason).toMatch(/needs at least two dense layers/);
    const greyed = rules.filter((r) => r.reason !== null);
    const disabled = await page.$$eval('#rule-a option:disabled', (os) =>
      os.map((o) => [o.getAttribute('value'), o.getAttribute('title')]),
    );
    expect(disabled).toEqual(greyed.map((r) => [r.id, r.reason]));
    await page.close();
  });

  it('switches rule from the selector and trains two, then three rules side by side from one seed', async () => {
    const page = await open('data=xor&noise=0.2&hidden=8&lr=0.3&rules=backprop');
    await page.selectOption('#rule-b', 'feedback-alignment');
    await page.waitForFunction(`${API}.metrics().runs.length === 2`);
    expect(await page.evaluate('location.hash')).toMatch(/rules=backprop%2Cfeedback-alignment$/);
    // Same seed: the same initial weights, so the same decision boundary before any step.
    const boundaries = () =>
      page.$$eval('.run canvas.boundary', (cs) => cs.map((c) => (c as unknown as { toDataURL(): string }).toDataURL()));
    const [a0, b0] = await boundaries();
    expect(b0).toBe(a0);
    await step(page, 1);
    const before = await metrics(page);
    expect((await boundaries())[1]).not.toBe(a0);
    await step(page, 99);
    const after = await metrics(page);
    expect(after.runs.map((r) => r.rule)).toEqual(['backprop', 'feedback-alignment']);
    expect(after.runs.map((r) => r.step)).toEqual([100, 100]);
    const fa = after.runs[1];
    expect(fa.testLoss!).toBeLessThan(before.runs[1].testLoss!);
    // Feedback alignment: the top layer gets the true error, the one below a random feedback's.
    expect(fa.alignment.fc2).toBeCloseTo(1, 5);
    expect(fa.alignment.fc1).toBeLessThan(0.99);
    expect(Number.isFinite(fa.alignment.fc1)).toBe(true);
    // Its error signal at the hidden layer against backprop's δ, backprop's own exactly 1; the feedback-to-forward angle; gradient norms.
    expect(after.runs[0].errorSignals.fc1).toBeCloseTo(1, 5);
    expect(fa.errorSignals.fc1).toBeLessThan(0.99);
    expect(fa.diagnostics['fc2.feedbackAngleDeg']).toBeGreaterThan(0);
    expect(fa.diagnostics['fc2.feedbackAngleDeg']).toBeLessThan(180);
    for (const r of after.runs) expect(Object.keys(r.gradNorms)).toEqual(['fc1', 'fc2']);
    expect(fa.gradNorms.fc1).toBeGreaterThan(0);
    // The memory ledger by category, each run in its own: the same network, so the same parameter bytes.
    const [bp, fam] = after.runs.map((r) => r.memory!);
    expect(bp.atPeak.param).toBeGreaterThan(0);
    expect(fam.atPeak.param).toBe(bp.atPeak.param);
    expect(bp.peakBytes).toBeGreaterThanOrEqual(Object.values(bp.atPeak).reduce((a, b) => a + b, 0));
    // A third beside them: every run restarts from the seed, so all three are at the same step.
    await page.selectOption('#rule-c', 'direct-feedback-alignment');
    await page.waitForFunction(`${API}.metrics().runs.length === 3`);
    await step(page, 3);
    expect((await metrics(page)).runs.map((r) => [r.rule, r.step])).toEqual([
      ['backprop', 3],
      ['feedback-alignment', 3],
      ['direct-feedback-alignment', 3],
    ]);
    // The rule switch: feedback alignment alone.
    await page.selectOption('#rule-c', '');
    await page.selectOption('#rule-b', '');
    await page.selectOption('#rule-a', 'feedback-alignment');
    await page.waitForFunction(`${API}.metrics().runs.map((r) => r.rule).join() === 'feedback-alignment'`);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("loads a user's own rule file: its rule trains beside backprop, and the exported spec names the file", async () => {
    const page = await open('data=xor&noise=0.2&hidden=8&lr=0.02&rules=backprop');
    await page.setInputFiles('#rule-file', fileURLToPath(new URL('../fixtures/user-rules/sign-gradient.mjs', import.meta.url)));
    await page.waitForFunction(`document.getElementById('rule-file-status').textContent.includes('sign-gradient')`);
    expect((await metrics(page)).rules.find((r) => r.id === 'sign-gradient')).toMatchObject({ reason: null });
    await page.selectOption('#rule-b', 'sign-gradient');
    await page.waitForFunction(`${API}.metrics().runs.length === 2`);
    await step(page, 1);
    const first = (await metrics(page)).runs[1];
    await step(page, 99);
    const sg = (await metrics(page)).runs[1];
    expect(sg.rule).toBe('sign-gradient');
    expect(sg.testLoss!).toBeLessThan(first.testLoss!);
    // The sign of the gradient points near it, never along it.
    for (const c of Object.values(sg.alignment)) {
      expect(c).toBeGreaterThan(0.3);
      expect(c).toBeLessThan(0.99);
    }
    const { spec } = (await page.evaluate(`${API}.exportRun()`)) as { spec: string };
    expect(spec).toContain('"./sign-gradient.mjs#sign-gradient"');
    // A file with no rule, or one the browser cannot run, is named and refused.
    await expect(page.evaluate(`${API}.loadRuleFile('x.mjs', 'export const a = 1;')`)).rejects.toThrow(
      'rule file x.mjs: exports no learning rule (an object with id, defaults, init and step)',
    );
    await expect(page.evaluate(`${API}.loadRuleFile('r.ts', '')`)).rejects.toThrow(/r\.ts: the page loads JavaScript rule files/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('its exported spec reruns through rulebench run to the same records, apart from timing and trial ids', async () => {
    // A regression set and input features too: the CLI loads them as the page does.
    const page = await open(
      'data=bumps&noise=0.1&inputs=x1,x2,x1^2,sin(x2)&points=120&hidden=6&lr=0.2&batch=10&rules=backprop,feedback-alignment',
    );
    await step(page, 25);
    const { spec, records } = (await page.evaluate(`${API}.exportRun()`)) as { spec: string; records: Record<string, unknown>[][] };
    await page.close();
    const file = join(dir, 'exported.mjs');
    writeFileSync(file, spec);
    const out = join(dir, 'rerun');
    // The CLI as a user runs it, in its own process (its exit awaited before the records are read).
    const { code, said } = await new Promise<{ code: number | null; said: string }>((done) => {
      const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', file, '--out', out, '--no-report', '--workers', '1']);
      let text = '';
      p.stdout.on('data', (d) => (text += d));
      p.stderr.on('data', (d) => (text += d));
      p.on('exit', (c) => done({ code: c, said: text }));
    });
    expect(code, said).toBe(0);
    // What differs between identical runs: wall and CPU times; and the CLI names a trial by its config's hash.
    const comparable = (r: Record<string, unknown>) => {
      const { host: _h, trial: _t, ...rest } = r;
      return JSON.parse(JSON.stringify(rest)) as unknown;
    };
    const cli = new Map<string, unknown[]>();
    for (const f of readdirSync(join(out, 'records')).filter((n) => n.endsWith('.jsonl'))) {
      const lines = readFileSync(join(out, 'records', f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const evals = lines.filter((r) => r.type === 'eval');
      cli.set(String(evals[0].rule), evals.map(comparable));
    }
    expect([...cli.keys()].sort()).toEqual(['backprop', 'feedback-alignment']);
    for (const run of records) {
      expect(run).toHaveLength(25);
      expect(cli.get(String(run[0].rule))).toEqual(run.map(comparable));
    }
  });

  it("the guided worked example shows the core's figures beside the published ones", async () => {
    const page = await browser.newPage();
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(`${served.url}worked.html`);
    await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
    const rows = await page.$$eval('#figures tr[data-key]', (trs) =>
      trs.map((tr) => [
        tr.getAttribute('data-key'),
        ...Array.from(tr.querySelectorAll('td'), (td) => (td as unknown as { textContent: string }).textContent),
      ]),
    );
    const ours = workedExample();
    // The issue's figures: L = 0.150, ∂L/∂w2 = −0.0840, ∂L/∂w1 = +0.00952, w2 → −0.216, w1 → 0.490.
    expect(rows.map((r) => r[3])).toEqual(['0.150', '-0.0840', '0.00952', '-0.216', '0.490']);
    expect(rows.map((r) => r[2])).toEqual(PUBLISHED.map((p) => ours[p.key].toPrecision(3)));
    expect(await page.locator('#forward tr').count()).toBe(8);
    expect(await page.locator('#backward tr').count()).toBe(4);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the guided lessons are states one click away: XOR learned from scratch, vanishing gradients under sigmoid against ReLU', async () => {
    const page = await open('rules=backprop');
    const lesson = async (id: string, has: string) => {
      await page.click(`#${id}`);
      await page.waitForFunction(
        `${API}.state().includes(${JSON.stringify(has.includes('=') ? has : `act=${has}`)}) && ${API}.metrics().step === 0`,
      );
    };
    await lesson('lesson-xor', 'tanh');
    await step(page, 200);
    expect((await metrics(page)).testAcc).toBeGreaterThan(0.9);
    // Six layers deep: backprop's gradient at the first layer against the last, at the first step.
    const firstOverLast = async () => {
      await step(page, 1);
      const { gradNorms } = await metrics(page);
      expect(Object.keys(gradNorms)).toEqual(['fc1', 'fc2', 'fc3', 'fc4', 'fc5', 'fc6', 'fc7']);
      return gradNorms.fc1 / gradNorms.fc7;
    };
    await lesson('lesson-sigmoid', 'sigmoid');
    const sigmoid = await firstOverLast();
    await lesson('lesson-relu', 'relu');
    const relu = await firstOverLast();
    expect(sigmoid).toBeLessThan(1);
    expect(sigmoid).toBeLessThan(relu / 10);
    // Exploding gradients: seven linear layers, ‖∇‖ large and growing toward the output; a step and the loss is past the bound.
    await lesson('lesson-exploding', 'act=identity&lr=0.3&l2=0&clip=0&');
    expect(await page.textContent('#lesson')).toMatch(/Seven linear layers/);
    await step(page, 2);
    const exploded = await metrics(page);
    expect(exploded.gradNorms.fc1).toBeGreaterThan(10);
    expect(exploded.gradNorms.fc7).toBeGreaterThan(exploded.gradNorms.fc1);
    expect(exploded.runs[0].status).toBe('diverged');
    // Clipped to norm 1, the same run trains.
    await lesson('lesson-clipped', 'act=identity&lr=0.3&l2=0&clip=1&');
    await step(page, 100);
    const clipped = await metrics(page);
    expect(clipped.runs[0].status).toBe('training');
    expect(clipped.trainLoss).toBeLessThan(0.05);
    // Checkpointing: the same updates, less activation memory at the step's peak, one forward pass more a step.
    await lesson('lesson-checkpoint', 'rules=backprop%2Cbackprop%3Acheckpoint%3D-1');
    await step(page, 5);
    const [plain, ckpt] = (await metrics(page)).runs;
    expect(ckpt.rule).toBe('backprop:checkpoint=-1');
    expect([ckpt.trainLoss, ckpt.testLoss, ckpt.gradNorms]).toEqual([plain.trainLoss, plain.testLoss, plain.gradNorms]);
    expect(ckpt.memory!.peakByCategory['saved-activation']).toBeLessThan(0.7 * plain.memory!.peakByCategory['saved-activation']);
    // Backprop's step is 2 + the forward's share above the first layer (cost.ts); checkpointing adds one forward pass.
    expect(plain.forwardPasses! / 5).toBeGreaterThan(2);
    expect(plain.forwardPasses! / 5).toBeLessThan(3);
    expect(ckpt.forwardPasses! / 5 - plain.forwardPasses! / 5).toBeCloseTo(1, 12);
    expect(problems).toEqual([]);
    await page.close();
  });
});
