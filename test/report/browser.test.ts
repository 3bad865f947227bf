// The report in a real browser (Debian Chromium, headless): every chart renders SVG marks, with
// no console or page errors and no network request beyond the file itself; the new views (the
// headline, alignment blocks named by reference, error signals, own metrics) draw, own-objective
// rules read n/a, and a dozen series stay distinguishable on screen.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openReport } from '../../src/report/browser.ts';
import { writeReport } from '../../src/report/page.ts';
import { cleanupTempDirs, makeFixtureDir, manySeries } from './fixtures.ts';
import { makeRealRunDir } from './real-run.ts';

/** Per chart container: does it hold an <svg>, and how many drawn mark elements. */
async function chartMarks(page: Page) {
  return page.$$eval('.chart', (els) =>
    els.map((el) => ({
      name: el.getAttribute('data-chart'),
      svg: el.querySelector('svg') !== null,
      marks: el.querySelectorAll('svg .role-mark path, svg .role-mark rect, svg .role-mark line, svg .role-mark circle').length,
      failed: el.classList.contains('failed'),
    })),
  );
}

function expectAllDrawn(charts: Awaited<ReturnType<typeof chartMarks>>) {
  for (const c of charts) {
    expect(c.failed, c.name!).toBe(false);
    expect(c.svg, c.name!).toBe(true);
    expect(c.marks, c.name!).toBeGreaterThan(0);
  }
}

describe('report in a browser', () => {
  let browser: Browser;
  let realReport: string;
  let fixtureReport: string;
  let manyReport: string;
  beforeAll(async () => {
    const [real, fixture, many] = await Promise.all([
      makeRealRunDir(),
      makeFixtureDir(),
      makeFixtureDir({ experiment: true, series: manySeries(), seeds: [0] }),
    ]);
    [realReport, fixtureReport, manyReport] = await Promise.all([writeReport(real), writeReport(fixture), writeReport(many)]);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await cleanupTempDirs();
  });

  it('renders every chart of a real run, offline and without errors', async () => {
    const o = await openReport(browser, realReport);
    const charts = await chartMarks(o.page);
    expect(charts.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'headline',
        'test-accuracy',
        'train-loss',
        'alignment',
        'feedback-angle',
        'memory-breakdown',
        'dead-units',
        'metrics-forward-forward',
      ]),
    );
    expectAllDrawn(charts);
    expect(o.consoleErrors).toEqual([]);
    expect(o.pageErrors).toEqual([]);
    expect(o.requests).toEqual([o.url]);
    // Forward-forward has an objective of its own: n/a with its name, and no alignment curve.
    const ff = await o.page.locator('#alignment-table tr', { hasText: 'forward-forward' }).innerText();
    expect(ff).toMatch(/n\/a — own objective: \S/);
    expect(await o.page.locator('#chart-alignment svg').textContent()).not.toContain('forward-forward');
    expect(await o.page.locator('#chart-alignment svg').textContent()).toContain('Reference: task-gradient');
    // The published figure whose protocol is this run's sits in the same-protocol table.
    expect(await o.page.locator('#reproduction').innerText()).toMatch(/Same protocol[^]*This test 2025[^]*matches/);

    // Interactive: hovering a point shows its tooltip.
    const point = o.page.locator('#chart-test-accuracy .mark-symbol.role-mark path').first();
    await point.hover({ force: true });
    await o.page.waitForSelector('#vg-tooltip-element.visible', { timeout: 5000 });
    expect(await o.page.textContent('#vg-tooltip-element')).toMatch(/seeds/);
    await o.page.close();
  });

  it('draws the alignment blocks per reference, error signals and every optional chart (fabricated records)', async () => {
    const o = await openReport(browser, fixtureReport);
    const charts = await chartMarks(o.page);
    expect(charts.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'headline',
        'alignment',
        'error-signals',
        'estimators',
        'memory-vs-width',
        'gradient-norms',
        'metrics-forward-forward',
      ]),
    );
    expectAllDrawn(charts);
    const alignment = await o.page.locator('#chart-alignment svg').textContent();
    expect(alignment).toContain('Reference: task-gradient');
    expect(alignment).toContain('Reference: expected-gradient');
    expect(alignment).toContain('mean over layers');
    expect(await o.page.locator('#chart-error-signals svg').textContent()).toContain('layers.1');
    expect(await o.page.locator('#summary').innerText()).toContain('2 of 3 (1 failed)');
    expect([...o.consoleErrors, ...o.pageErrors]).toEqual([]);
    expect(o.requests).toEqual([o.url]);
    await o.page.close();
  });

  it('keeps twelve configurations apart: twelve distinct colour-and-shape pairs on screen', async () => {
    const o = await openReport(browser, manyReport);
    expectAllDrawn(await chartMarks(o.page));
    // The headline's points as drawn: fill colour plus the symbol's outline (its shape).
    const drawn = await o.page.$$eval('#chart-headline .mark-symbol.role-mark path', (ps) =>
      ps.map((p) => `${p.getAttribute('fill')} ${p.getAttribute('d')}`),
    );
    // One point per configuration in each panel: forward passes, peak memory and time (the records carry all three).
    expect(drawn.length).toBe(3 * 12);
    expect(new Set(drawn).size).toBe(12);
    expect([...o.consoleErrors, ...o.pageErrors]).toEqual([]);
    await o.page.close();
  });
});
