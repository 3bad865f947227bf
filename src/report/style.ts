// The report page's stylesheet: plain, readable, print-friendly; no web fonts (offline page).
export const PAGE_CSS = `
:root { --fg: #1f2328; --muted: #59636e; --border: #d8dee4; --alt: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 28px 36px 56px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 40px 0 8px; padding-bottom: 6px; border-bottom: 1px solid var(--border); }
h3 { font-size: 16px; margin: 28px 0 2px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.meta, .muted, .files { color: var(--muted); }
.meta { margin: 0 0 6px; }
p.lead { margin: 4px 0 8px; font-size: 16px; max-width: 860px; }
nav { font-size: 14px; }
p.explain { color: var(--muted); margin: 2px 0 10px; font-size: 14px; max-width: 860px; }
.files { font-size: 12px; margin: 0 0 8px; }
.table-wrap { overflow-x: auto; margin: 8px 0 4px; }
table { border-collapse: collapse; font-size: 13.5px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--border); text-align: left; vertical-align: top; }
thead th { background: var(--alt); font-weight: 600; border-bottom: 2px solid var(--border); vertical-align: bottom; line-height: 1.25; }
tbody tr:nth-child(even) { background: #fbfcfd; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td.rule { font-weight: 600; white-space: nowrap; }
td.rule .expect { font-weight: normal; white-space: normal; color: var(--muted); font-size: 12.5px; max-width: 26em; }
td.warn, span.warn { color: #9a6700; }
td.ok, span.ok { color: #1a7f37; font-weight: 600; }
td.protocol { min-width: 280px; }
td.rule-wrap { font-weight: 600; min-width: 140px; }
td.protocol ul { margin: 2px 0 0; padding-left: 18px; }
td.source { min-width: 170px; max-width: 260px; }
.small { font-size: 12px; }
td.nowrap { white-space: nowrap; }
p.run { margin: 4px 0 6px; font-size: 15px; }
.chart-block { margin: 0 0 18px; }
.chart { min-height: 40px; }
.chart.failed { color: #b3261e; font-weight: 600; }
.warning { background: #fff8c5; border: 1px solid #d4a72c66; border-radius: 6px; padding: 10px 14px; margin: 16px 0; font-size: 14px; }
.warning ul { margin: 4px 0 0; padding-left: 20px; }
pre { background: var(--alt); border: 1px solid var(--border); border-radius: 6px; padding: 12px 14px;
  overflow: auto; max-height: 520px; font-size: 12.5px; line-height: 1.45; }
.sample pre { white-space: pre-wrap; max-height: 260px; }
.sample h4 { margin: 14px 0 4px; font-size: 14px; }
footer { margin-top: 40px; font-size: 12px; }
#vg-tooltip-element { font-size: 12px; }
@media print { .files, nav { display: none; } }
`;
