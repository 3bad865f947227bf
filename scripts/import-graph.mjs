// The import graph of src/: prints every import circle (type-only imports count: they tie
// files together as much as value imports) and every import that climbs the floors
// kernels → tensor → autograd / optim → nn → rules → metrics → runner → report → cli.
//   node scripts/import-graph.mjs [--under src/nn] [--root dir]   (exit 1 when it finds any)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const ROOT = resolve(arg('--root') ?? 'src');
const under = arg('--under') ? resolve(arg('--under')) : ROOT;
// Files at src/ itself (errors, random, engine, …) sit below every floor; the entries (the public
// API's files and the CLI) above them all.
const FLOORS = ['kernels', 'tensor', 'autograd|optim|data', 'nn', 'rules', 'metrics', 'runner', 'report'];
const ENTRIES = ['cli.ts', 'index.ts', 'core.ts', 'testing.ts', 'kernels-api.ts', 'kernels-browser.ts'];
const floorOf = (file) => {
  const rel = relative(ROOT, file).split('/');
  if (rel.length === 1) return ENTRIES.includes(rel[0]) ? FLOORS.length : -1;
  return FLOORS.findIndex((f) => f.split('|').includes(rel[0]));
};

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'assembly' ? [] : files(p);
    return /\.(ts|mjs)$/.test(f) ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const graph = new Map();
for (const f of files(ROOT)) {
  const deps = [];
  for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith('.')) deps.push(resolve(dirname(f), spec));
  }
  graph.set(
    f,
    deps.filter((d) => d.startsWith(ROOT)),
  );
}

// Tarjan's strongly connected components: each with more than one file holds a circle.
let index = 0;
const stack = [];
const info = new Map();
const circles = [];
function visit(v) {
  info.set(v, { index, low: index, on: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!info.has(w)) {
      visit(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).on) info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
  }
  if (info.get(v).low === info.get(v).index) {
    const scc = [];
    let w;
    do {
      w = stack.pop();
      info.get(w).on = false;
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) circles.push(scc);
  }
}
for (const v of graph.keys()) if (!info.has(v)) visit(v);

const show = (f) => relative(process.cwd(), f);
const inScope = (f) => f.startsWith(under);
let found = 0;
for (const scc of circles.filter((c) => c.some(inScope))) {
  found++;
  console.log(`circle (${scc.length} files): ${scc.map(show).sort().join(', ')}`);
}
for (const [f, deps] of graph) {
  if (!inScope(f)) continue;
  for (const d of deps) {
    const [a, b] = [floorOf(f), floorOf(d)];
    if (b > a && relative(ROOT, f).split('/')[0] !== relative(ROOT, d).split('/')[0]) {
      found++;
      console.log(`upward: ${show(f)} → ${show(d)}`);
    }
  }
}
if (!found) console.log(`no circles and no upward imports under ${show(under) || '.'}`);
process.exitCode = found ? 1 : 0;
