// The report in a real browser (Debian Chromium, headless): every chart renders SVG marks, with
// no console or page errors and no network request beyond the file itself.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openReport } from '../../src/report/browser.ts';
import { writeReport } from '../../src/report/page.ts';
import { cleanupTempDirs, makeFixtureDir } from './fixtures.ts';
import { makeRealRunDir } from './real-run.ts';

/** Per chart container: does it hold an <svg>, and how many drawn mark elements. */
async function chartMarks(page: import('playwright-core').Page) {
  return page.$$eval('.chart', (els) =>
    els.map((el) => ({
      name: el.getAttribute('data-chart'),
      svg: el.querySelector('svg') !== null,
      marks: el.querySelectorAll('svg .role-mark path, svg .role-mark rect, svg .role-mark line, svg .role-mark circle').length,
      failed: el.classList.contains('failed'),
    })),
  );
}

describe('report in a browser', () => {
  let browser: Browser;
  let realReport: string;
  let fixtureReport: string;
  beforeAll(async () => {
    const [real, fixture] = await Promise.all([makeRealRunDir(), makeFixtureDir()]);
    realReport = await writeReport(real);
    fixtureReport = await writeReport(fixture);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await cleanupTempDirs();
  });

  it('renders every chart of a real run, offline and without errors', async () => {
    const o = await openReport(browser, realReport);
    const charts = await chartMarks(o.page);
    // Core charts, then the health charts the runner's per-layer diagnostics feed.
    expect(charts.map((c) => c.name)).toEqual(['test-accuracy', 'train-loss', 'accuracy-vs-memory', 'alignment', 'feedback-angle', 'wall-time', 'gradient-norms', 'dead-units']);
    for (const c of charts) {
      expect(c.failed, c.name!).toBe(false);
      expect(c.svg, c.name!).toBe(true);
      expect(c.marks, c.name!).toBeGreaterThan(0);
    }
    expect(o.consoleErrors).toEqual([]);
    expect(o.pageErrors).toEqual([]);
    expect(o.requests).toEqual([o.url]);

    // Interactive: hovering a point shows its tooltip.
    const point = o.page.locator('#chart-test-accuracy .mark-symbol.role-mark path').first();
    await point.hover({ force: true });
    await o.page.waitForSelector('#vg-tooltip-element.visible', { timeout: 5000 });
    expect(await o.page.textContent('#vg-tooltip-element')).toMatch(/seeds/);
    await o.page.close();
  });

  it('renders the optional charts too (fabricated records)', async () => {
    const o = await openReport(browser, fixtureReport);
    const charts = await chartMarks(o.page);
    expect(charts.map((c) => c.name)).toEqual(expect.arrayContaining(['estimators', 'memory-vs-width', 'gradient-norms']));
    for (const c of charts) expect(c.marks, c.name!).toBeGreaterThan(0);
    expect([...o.consoleErrors, ...o.pageErrors]).toEqual([]);
    expect(o.requests).toEqual([o.url]);
    await o.page.close();
  });
});
