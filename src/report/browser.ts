// Opens a report in Debian's headless Chromium (via playwright-core) and records what went
// wrong: console errors, page errors, network requests. Dev-only: used by tests and scripts.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

// Headless without GPU or sandbox (containers), and with Chromium's own background traffic off,
// so any request seen is one the page made.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    execFileSync('bash', [fileURLToPath(new URL('../../scripts/ensure-chromium.sh', import.meta.url))], { stdio: 'inherit' });
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface OpenedReport {
  page: Page;
  url: string;
  consoleErrors: string[];
  consoleWarnings: string[];
  pageErrors: string[];
  /** Every URL the page requested, the page itself included. */
  requests: string[];
}

/** Load the page and wait until every chart has settled (the page marks <body> when done). */
export async function openReport(browser: Browser, htmlPath: string, viewport = { width: 1200, height: 900 }): Promise<OpenedReport> {
  const page = await browser.newPage({ viewport });
  const url = pathToFileURL(htmlPath).href;
  const opened: OpenedReport = { page, url, consoleErrors: [], consoleWarnings: [], pageErrors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') opened.consoleErrors.push(m.text());
    if (m.type() === 'warning') opened.consoleWarnings.push(m.text());
  });
  page.on('pageerror', (e) => opened.pageErrors.push(String(e)));
  page.on('request', (r) => opened.requests.push(r.url()));
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-charts-rendered]', { timeout: 20_000 });
  return opened;
}
