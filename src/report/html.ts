// HTML building blocks with the escaping an inlined page needs: text, attributes, JSON inside
// <script>, and whole JS bundles inside <script>.

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * JSON safe inside <script type="application/json">: no `<` at all, so neither `</script` nor
 * `<!--` can end or confuse the element. U+2028/9 are escaped for older JS parsers.
 */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * A JS bundle safe inside <script>: source-map comments removed (they would make the browser
 * request a .map file) and `</script` / `<!--` broken up. `<\/` means the same as `</` in JS
 * strings, regexes and template literals, which is where such text occurs in minified bundles.
 */
export function inlineScript(js: string): string {
  return js
    .replace(/^[ \t]*\/\/[#@] sourceMappingURL=.*$/gm, '')
    .replace(/\/\*[#@] sourceMappingURL=[^*]*\*\//g, '')
    .replace(/<\/(script)/gi, '<\\/$1')
    .replace(/<!--/g, '<\\!--');
}

export type Cell = string | { html: string; className?: string } | { text: string; className?: string; title?: string };

function cell(c: Cell, numeric: boolean): string {
  const classes = [numeric ? 'num' : '', typeof c === 'object' ? (c.className ?? '') : ''].filter(Boolean);
  const cls = classes.length ? ` class="${escapeHtml(classes.join(' '))}"` : '';
  if (typeof c === 'string') return `<td${cls}>${escapeHtml(c)}</td>`;
  if ('html' in c) return `<td${cls}>${c.html}</td>`;
  const title = c.title ? ` title="${escapeHtml(c.title)}"` : '';
  return `<td${cls}${title}>${escapeHtml(c.text)}</td>`;
}

/** A table; columns listed in `numeric` are right-aligned with tabular figures. */
export function table(head: readonly string[], rows: readonly (readonly Cell[])[], numeric: readonly number[] = []): string {
  const th = head.map((h, i) => `<th${numeric.includes(i) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => '<tr>' + r.map((c, i) => cell(c, numeric.includes(i))).join('') + '</tr>').join('\n');
  return `<div class="table-wrap"><table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`;
}
