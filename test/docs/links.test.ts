// The README is the front door and docs/ holds the rest: every relative link between them must
// reach an existing file and heading, and the README must stay short and narrow.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from '../../algorithms/index.ts';

const README_MAX_LINES = 250;
const README_MAX_WIDTH = 100;

/** The markdown files the check covers: README.md and every .md under docs/. */
function pages(): string[] {
  const docs = readdirSync('docs', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f));
  return ['README.md', ...docs.sort()];
}

/** Markdown without fenced code blocks (their `#` lines are comments, their brackets code). */
function prose(md: string): string {
  return md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, text] of prose(md).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const plain = text
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text only
      .replace(/[`*]/g, ''); // code and emphasis marks
    const base = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative link targets in a page: inline links and images, and reference definitions. */
function links(md: string): string[] {
  const text = prose(md).replace(/`[^`\n]*`/g, '``');
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const defs = [...text.matchAll(/^\s{0,3}\[(?!\^)[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]);
  return [...inline, ...defs].filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** One line per broken link in `file` (whose text is `md`): a missing file or heading. */
function brokenLinks(file: string, md: string, read: (path: string) => string | null): string[] {
  const problems: string[] = [];
  for (const target of links(md)) {
    const hash = target.indexOf('#');
    const path = hash < 0 ? target : target.slice(0, hash);
    const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
    const resolved = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
    const body = path === '' ? md : read(resolved);
    if (body === null) {
      problems.push(`${file}: link "${target}": no file ${resolved}`);
    } else if (anchor !== null && anchor !== '' && resolved.endsWith('.md') && !anchors(body).has(anchor)) {
      problems.push(`${file}: link "${target}": ${resolved} has no heading #${anchor}`);
    }
  }
  return problems;
}

const readRepo = (path: string): string | null => {
  if (!existsSync(path)) return null;
  return path.endsWith('.md') ? readFileSync(path, 'utf8') : '';
};

describe('the link check itself', () => {
  const files: Record<string, string> = {
    'docs/a.md': ['# Page A', '## The `npm start` run', "## Nøkland's setting, again", '## Twice', '## Twice'].join('\n\n'),
  };
  const read = (p: string) => files[p] ?? null;

  it('accepts links to existing files and headings, in GitHub slug form', () => {
    const md = '[a](a.md) [b](a.md#the-npm-start-run) [c](a.md#nøklands-setting-again) ' + '[d](a.md#twice-1) [e](#top)\n\n# Top\n';
    expect(brokenLinks('docs/b.md', md, read)).toEqual([]);
  });

  it('reports a missing file, a missing heading and a missing heading in the page itself', () => {
    const md = '[a](gone.md) [b](a.md#nowhere) ![c](../img/x.png) [d](#not-here)\n';
    expect(brokenLinks('docs/b.md', md, read)).toEqual([
      'docs/b.md: link "gone.md": no file docs/gone.md',
      'docs/b.md: link "a.md#nowhere": docs/a.md has no heading #nowhere',
      'docs/b.md: link "../img/x.png": no file img/x.png',
      'docs/b.md: link "#not-here": docs/b.md has no heading #not-here',
    ]);
  });

  it('ignores links in code, external links and footnotes', () => {
    const md = '```md\n[x](gone.md)\n# Heading in code\n```\n' + '`[y](gone.md)` [z](https://example.org/x.md)\n[^n]: a note\n';
    expect(brokenLinks('docs/b.md', md, read)).toEqual([]);
    expect(anchors(md).has('heading-in-code')).toBe(false);
  });
});

describe('README.md and docs/', () => {
  it('every relative link reaches an existing file and heading', () => {
    const problems = pages().flatMap((f) => brokenLinks(f, readFileSync(f, 'utf8'), readRepo));
    expect(problems).toEqual([]);
  });

  it('every docs page is linked from the README or the docs index', () => {
    const linked = new Set(
      ['README.md', 'docs/README.md'].flatMap((f) =>
        links(readFileSync(f, 'utf8')).map((t) => normalize(join(dirname(f), t.split('#')[0]))),
      ),
    );
    const fronts = ['README.md', 'docs/README.md'];
    expect(pages().filter((p) => !fronts.includes(p) && !linked.has(p))).toEqual([]);
  });

  it('the rule catalogue (docs/rules.md) has a row and a section for every built-in rule', () => {
    const catalogue = readFileSync('docs/rules.md', 'utf8');
    const sections = anchors(catalogue);
    const row = (id: string) => `| [\`${id}\`](#${id}) |`;
    const missing = BUILTIN_RULES.map((r) => r.id).filter((id) => !sections.has(id) || !catalogue.includes(row(id)));
    expect(missing).toEqual([]);
  });

  it(`the README stays a front door: ≤ ${README_MAX_LINES} lines of ≤ ${README_MAX_WIDTH} characters`, () => {
    const lines = readFileSync('README.md', 'utf8').replace(/\n$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(README_MAX_LINES);
    const wide = lines.map((l, i) => [i + 1, [...l].length]).filter(([, n]) => n > README_MAX_WIDTH);
    expect(wide).toEqual([]);
  });
});
