// The docs' pictures of the playground: builds it, serves it, trains backprop and feedback
// alignment side by side on the spirals for 300 steps (docs/playground.png), shows the guided
// worked example (docs/playground-worked.png), and the lessons on exploding gradients (two
// steps, unclipped: docs/playground-exploding.png) and on checkpointing (20 steps beside plain
// backprop: docs/playground-checkpoint.png), each opened from its link.
// tsx scripts/screenshot-playground.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../src/report/browser.ts';
import { buildPlayground } from './build-playground.ts';
import { servePlayground } from './serve-playground.ts';

const dir = mkdtempSync(join(tmpdir(), 'rulebench-playground-'));
const out = (name: string) => fileURLToPath(new URL(`../docs/${name}`, import.meta.url));
try {
  await buildPlayground(dir);
  const served = await servePlayground(dir, 0);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    await page.goto(`${served.url}#data=spirals&noise=0.1&hidden=8,8&act=tanh&lr=0.1&batch=16&rules=backprop,feedback-alignment`);
    await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
    await page.evaluate('window.playground.step(300)');
    await page.screenshot({ path: out('playground.png') });
    await page.goto(`${served.url}worked.html`);
    await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
    await page.screenshot({ path: out('playground-worked.png'), fullPage: true });
    for (const [lesson, marker, steps, file] of [
      ['lesson-exploding', 'act=identity', 2, 'playground-exploding.png'],
      ['lesson-checkpoint', 'checkpoint', 20, 'playground-checkpoint.png'],
    ] as const) {
      await page.goto(`${served.url}#rules=backprop`);
      await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
      await page.click(`#${lesson}`);
      await page.waitForFunction(`window.playground.state().includes('${marker}') && window.playground.metrics().step === 0`);
      await page.evaluate(`window.playground.step(${steps})`);
      await page.screenshot({ path: out(file), fullPage: true });
    }
    console.log(`wrote the pictures in ${out('')}`);
  } finally {
    await browser.close();
    await served.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
