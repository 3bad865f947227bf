// Full-page PNG of a results directory's report (for the README's results/example/report.png).
// Usage: npx tsx scripts/screenshot-report.ts <dir> <out.png> [--top PX]   (rewrites report.html first, so it is
// never stale; --top keeps the page's first PX pixels, the headline, where the whole page is too tall to read)
import { launchChromium, openReport } from '../src/report/browser.ts';
import { writeReport } from '../src/report/page.ts';

const [dir, out, flag, px] = process.argv.slice(2);
const top = flag === '--top' ? Number(px) : undefined;
if (flag !== undefined && (flag !== '--top' || !Number.isInteger(top) || top! <= 0)) {
  console.error(`screenshot-report: --top expects a whole number of pixels, got ${flag === '--top' ? String(px) : flag}`);
  process.exit(2);
}
if (!dir || !out) {
  console.error('usage: npx tsx scripts/screenshot-report.ts <results-dir> <out.png>');
  process.exit(2);
}
const html = await writeReport(dir);
const browser = await launchChromium();
try {
  const opened = await openReport(browser, html, { width: 1200, height: 900 });
  const problems = [...opened.consoleErrors, ...opened.pageErrors];
  if (problems.length) console.error(`screenshot-report: the page reported errors:\n${problems.join('\n')}`);
  // Tooltips or hover states must not end up in the picture.
  await opened.page.mouse.move(0, 0);
  await opened.page.screenshot(
    top ? { path: out, fullPage: true, clip: { x: 0, y: 0, width: 1200, height: top } } : { path: out, fullPage: true },
  );
  console.log(out);
} finally {
  await browser.close();
}
