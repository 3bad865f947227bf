// The playground on WebGPU in a real browser: Debian's headless Chromium runs WebGPU on
// SwiftShader (its CPU Vulkan driver, as Dawn in Node does), so the page's training worker gets
// an adapter, starts the device worker and trains on the WebGPU backend, to the losses the WASM
// kernels give (?backend=wasm) within float32's reach. Without an adapter the page falls back to
// WASM and says why (the other playground tests run there: Chromium with --disable-gpu).
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlayground } from '../../scripts/build-playground.ts';
import { servePlayground, type Served } from '../../scripts/serve-playground.ts';
import { CHROMIUM, CHROMIUM_ARGS, launchChromium } from '../../src/report/browser.ts';

interface Metrics {
  backend: string;
  backendNote: string;
  step: number;
  trainLoss: number;
  testLoss: number;
}
// WebGPU on SwiftShader, headless: Chromium's own flags for a GPU-less machine.
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader'];
// A two-layer MLP on XOR: every kernel it calls on the device (matmul, binary, unary, reduce, softmax).
const STATE = 'data=xor&noise=0.2&hidden=8&lr=0.3&batch=16&rules=backprop';
/** Steps on SwiftShader, where each kernel is a round trip of a few milliseconds. */
const STEPS = 10;

describe('the playground on WebGPU', () => {
  let browser: Browser;
  let served: Served;
  let dir: string;
  const problems: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rulebench-playground-gpu-'));
    await buildPlayground(dir);
    served = await servePlayground(dir, 0);
    await launchChromium().then((b) => b.close()); // installs Chromium where it is missing
    const args = [...CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu'), ...WEBGPU_ARGS];
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir() },
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await served?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function train(query: string): Promise<{ m: Metrics; requested: string[] }> {
    const page: Page = await browser.newPage();
    const requested: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await page.goto(`${served.url}${query}#${STATE}`);
    await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
    await page.evaluate(`window.playground.step(${STEPS})`);
    const m = (await page.evaluate('window.playground.metrics()')) as Metrics;
    await page.close();
    return { m, requested };
  }

  it('trains on the WebGPU backend where navigator.gpu gives an adapter, to the losses of the WASM kernels', async () => {
    const gpu = await train('');
    expect(gpu.m.backend).toMatch(/^webgpu \(.+\), WASM host kernels on \d+ threads?$/);
    expect(gpu.m.backendNote).toBe('');
    // The device worker and the module that hands it navigator.gpu were fetched.
    expect(gpu.requested).toEqual(expect.arrayContaining(['/device-worker.mjs', '/navigator-gpu.js']));
    expect(gpu.m.step).toBe(STEPS);

    const wasm = await train('?backend=wasm');
    expect(wasm.m.backend).toMatch(/^wasm/);
    expect(wasm.m.backendNote).toBe(' (not on WebGPU: left off by ?backend=wasm)');
    expect(wasm.requested).not.toContain('/device-worker.mjs');
    // Other summation orders and another exp: not the same bits, the same losses to float32's reach.
    for (const k of ['trainLoss', 'testLoss'] as const) {
      expect(Math.abs(gpu.m[k] - wasm.m[k]) / wasm.m[k], k).toBeLessThan(1e-5);
    }
    expect(problems).toEqual([]);
  });
});
