// The headline's Pareto view in a real browser (Debian Chromium, headless), from hand-made records
// that carry cost figures: a panel per cost the records hold (forward passes, peak memory,
// training-step time), one point per configuration in each, interval bars where there are two
// seeds or more; records without forward passes drop that panel. No console or page errors.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openReport } from '../../src/report/browser.ts';
import { writeReport } from '../../src/report/page.ts';
import { cleanupTempDirs } from './fixtures.ts';
import { handDir, type HandEntry } from './paired-fixture.ts';

const cost = (forwardPasses: number | undefined, peakBytes: number, stepMs: number) => (seed: number) => ({
  seed,
  val: [0.5, 0.8, 0.85],
  test: 0.9 + 0.01 * seed + peakBytes / 1e9,
  forwardPasses,
  peakBytes,
  stepMs: stepMs + 10 * seed,
});

const entries = (withPasses: boolean): HandEntry[] => [
  { rule: 'exact-rule', exact: true, trials: [0, 1, 2].map(cost(withPasses ? 3e6 : undefined, 4e6, 9000)) },
  { rule: 'cheap', trials: [0, 1, 2].map(cost(withPasses ? 2e6 : undefined, 2e6, 7000)) },
  // One seed only: a point without an interval bar.
  { rule: 'single', trials: [0].map(cost(withPasses ? 1e5 : undefined, 1e6, 3000)) },
];

describe('the Pareto view in a browser', () => {
  let browser: Browser;
  let withCost: string;
  let withoutPasses: string;
  beforeAll(async () => {
    [withCost, withoutPasses] = await Promise.all([writeReport(await handDir(entries(true))), writeReport(await handDir(entries(false)))]);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await cleanupTempDirs();
  });

  it('draws accuracy against forward passes, peak memory and time: a point per configuration in each, bars for intervals', async () => {
    const o = await openReport(browser, withCost);
    const svg = o.page.locator('#headline #chart-headline svg');
    const text = (await svg.textContent()) ?? '';
    for (const title of ['forward-pass equivalents spent (log scale)', 'peak training memory (MiB)', 'wall time of the training steps (s)'])
      expect(text).toContain(title);
    expect(text).toContain('95% interval');
    expect(await o.page.locator('#chart-headline .mark-symbol.role-mark path').count()).toBe(3 * 3);
    // An interval bar for each of the two series with three seeds, in each of the three panels (none for one seed).
    const bars = await o.page.locator('#chart-headline .mark-rule.role-mark line').count();
    expect(bars).toBe(3 * 2);
    expect([...o.consoleErrors, ...o.pageErrors]).toEqual([]);
    expect(o.requests).toEqual([o.url]);
    await o.page.close();
  });

  it('leaves out the forward-pass panel when the records carry no such figure', async () => {
    const o = await openReport(browser, withoutPasses);
    const text = (await o.page.locator('#chart-headline svg').textContent()) ?? '';
    expect(text).not.toContain('forward-pass');
    expect(text).toContain('peak training memory (MiB)');
    expect(await o.page.locator('#chart-headline .mark-symbol.role-mark path').count()).toBe(2 * 3);
    expect([...o.consoleErrors, ...o.pageErrors]).toEqual([]);
    await o.page.close();
  });
});
