// Static chart files: each spec compiled to Vega and rendered to SVG in Node (renderer 'none',
// toSVG — no canvas needed), written beside its Vega-Lite spec as <dir>/charts/<name>.*
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logger, parse, View, Warn, type LoggerInterface, type Spec } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BuiltChart } from './chart-kit.ts';

/** A logger that keeps warnings (a spec problem worth a test failure) instead of printing them. */
function collecting(into: string[]): LoggerInterface {
  return logger(Warn, undefined, (_method, _level, args) => {
    into.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  });
}

/** Vega-Lite → Vega, with the compiler's warnings returned rather than printed. */
export function compileSpec(spec: TopLevelSpec): { vega: Spec; warnings: string[] } {
  const warnings: string[] = [];
  const vega = compile(spec, { logger: collecting(warnings) }).spec;
  return { vega, warnings };
}

export async function renderSvg(spec: TopLevelSpec, warnings: string[] = []): Promise<string> {
  const compiled = compileSpec(spec);
  warnings.push(...compiled.warnings);
  const view = new View(parse(compiled.vega), { renderer: 'none', logger: collecting(warnings) });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Vega titles do not wrap; break the one-line explanation into lines that fit the chart. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** A static image cannot zoom: drop selection params, whose window events do not exist in Node. */
export function staticSpec<T>(spec: T): T {
  if (Array.isArray(spec)) return spec.map(staticSpec) as T;
  if (typeof spec !== 'object' || spec === null) return spec;
  return Object.fromEntries(
    Object.entries(spec)
      .filter(([k]) => k !== 'params')
      .map(([k, v]) => [k, staticSpec(v)]),
  ) as T;
}

/**
 * Write `<name>.svg` and `<name>.vl.json` per chart into `<dir>/charts`; returns the SVG paths.
 * A standalone file has no page heading around it, so the chart's title goes into the spec.
 */
export async function writeCharts(dir: string, charts: readonly BuiltChart[], warnings: string[] = []): Promise<string[]> {
  const out = join(dir, 'charts');
  await mkdir(out, { recursive: true });
  const paths: string[] = [];
  for (const c of charts) {
    const spec = {
      ...c.spec,
      title: { text: c.title, subtitle: wrap(c.explain, 110), anchor: 'start' as const, subtitleColor: '#555' },
    } as TopLevelSpec;
    await writeFile(join(out, `${c.name}.vl.json`), JSON.stringify(spec, null, 2) + '\n');
    const svg = join(out, `${c.name}.svg`);
    const own: string[] = [];
    await writeFile(svg, await renderSvg(staticSpec(spec), own));
    warnings.push(...own.map((w) => `chart ${c.name}: ${w}`));
    paths.push(svg);
  }
  return paths;
}
