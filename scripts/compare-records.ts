// Are two runs' records the same apart from timing? Compares every trial's JSONL records of two
// run directories (e.g. the same experiment run at two commits), leaving out the `host` block
// (wall and CPU times, resident memory), the only fields a rerun may change.
//   npx tsx scripts/compare-records.ts <dirA> <dirB>
// Prints one line per trial that differs (with its first differing field) and a total; exit 1 when
// any trial differs or is missing from one side.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

type Rec = Record<string, unknown>;

function trials(dir: string): Map<string, Rec[]> {
  const recDir = join(dir, 'records');
  if (!existsSync(recDir)) throw new Error(`${dir}: no records/ directory (give the --out directory of a run)`);
  const out = new Map<string, Rec[]>();
  for (const f of readdirSync(recDir).filter((f) => f.endsWith('.jsonl'))) {
    const recs = readFileSync(join(recDir, f), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        const { host: _host, ...rest } = JSON.parse(l) as Rec;
        return rest;
      });
    out.set(f, recs);
  }
  return out;
}

/** The first path at which a and b differ, or null. */
function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (Object.is(a, b)) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path || '(value)';
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys) {
    const d = firstDifference((a as Rec)[k], (b as Rec)[k], path ? `${path}.${k}` : k);
    if (d) return d;
  }
  return null;
}

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: npx tsx scripts/compare-records.ts <dirA> <dirB>');
  process.exit(2);
}
try {
  const ta = trials(a);
  const tb = trials(b);
  let same = 0;
  let differ = 0;
  for (const name of [...new Set([...ta.keys(), ...tb.keys()])].sort()) {
    const ra = ta.get(name);
    const rb = tb.get(name);
    if (!ra || !rb) {
      console.log(`${name}: only in ${ra ? a : b}`);
      differ++;
      continue;
    }
    const at =
      ra.length !== rb.length ? `record count ${ra.length} vs ${rb.length}` : ra.map((r, i) => firstDifference(r, rb[i])).find((d) => d);
    if (at) {
      const rule = String(ra[0]?.rule ?? '?');
      console.log(`${name} (${rule}): differs at ${at}`);
      differ++;
    } else same++;
  }
  console.log(`${same} trial(s) identical apart from timing, ${differ} differ`);
  process.exit(differ ? 1 : 0);
} catch (e) {
  console.error(`compare-records: ${(e as Error).message}`);
  process.exit(2);
}
