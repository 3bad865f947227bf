// The report's distillation section, from hand-made records: each distilled series meets the
// label-trained series of its rule, options and adapters (the one with its optimizer, else the
// only one), never another rule's or another adapter's, and the paired difference is worked out
// on paper. No pairing, no section.
import { afterAll, describe, expect, it } from 'vitest';
import { distillRows, distillTable } from '../../src/report/distill-table.ts';
import { buildPage } from '../../src/report/page.ts';
import { readResults } from '../../src/report/records.ts';
import { cleanupTempDirs } from './fixtures.ts';
import { handDir, type HandEntry } from './paired-fixture.ts';

afterAll(cleanupTempDirs);

const T4 = { temperature: 4, weight: 0.9 };
const trials = (accs: number[]) => accs.map((test, seed) => ({ seed, val: [0.5, 0.8], test }));
const adam = (lr: number) => ({ name: 'adam', lr });

const ENTRIES: HandEntry[] = [
  { rule: 'student', exact: true, optimizer: adam(1e-3), trials: trials([0.9, 0.91, 0.92]) },
  { rule: 'student', exact: true, optimizer: adam(3e-3), trials: trials([0.8, 0.8, 0.8]) },
  { rule: 'student', exact: true, optimizer: adam(3e-3), distill: T4, trials: trials([0.93, 0.92, 0.95]) },
  // Its only label-trained twin runs another rate: still its pair.
  { rule: 'other', trials: trials([0.85, 0.86, 0.87]) },
  { rule: 'other', distill: { temperature: 2, weight: 0.5 }, optimizer: adam(3e-3), trials: trials([0.84, 0.86, 0.88]) },
  // Adapters make another student: no twin trained on labels, no row.
  { rule: 'student', exact: true, adapters: { kind: 'lora', rank: 4 }, distill: T4, trials: trials([0.7, 0.7, 0.7]) },
];

describe('the distillation section', () => {
  it('pairs each distilled series with its label-trained twin, seed by seed', async () => {
    const rows = distillRows(await readResults(await handDir(ENTRIES)));
    expect(rows.map((r) => [r.distilled.rule, r.labels.rule])).toEqual([
      ['student', 'student'],
      ['other', 'other'],
    ]);
    const [student, other] = rows;
    // The twin with the same optimizer (3e-3: 0.8 on every seed), not the first label-trained series.
    expect(student.labelsAcc.mean).toBeCloseTo(0.8, 12);
    expect(student.paired.diffs.map((d) => +d.toFixed(12))).toEqual([0.13, 0.12, 0.15]);
    expect(student.paired.mean).toBeCloseTo(0.4 / 3, 12);
    expect(student.paired.separable).toBe(true);
    expect([student.temperature, student.weight]).toEqual([4, 0.9]);
    // −0.01, 0, +0.01: the interval holds zero.
    expect(other.paired.diffs.map((d) => +d.toFixed(12))).toEqual([-0.01, 0, 0.01]);
    expect(other.paired.separable).toBe(false);
    expect([other.temperature, other.weight]).toEqual([2, 0.5]);
  });

  it('is a section of the page when some series distils, and absent otherwise', async () => {
    const rs = await readResults(await handDir(ENTRIES));
    expect(await buildPage(rs, [])).toContain('id="distillation"');
    expect(distillTable(rs)).toContain('+13.33');
    const plain = await readResults(await handDir(ENTRIES.filter((e) => !e.distill)));
    expect(distillTable(plain)).toBeNull();
    expect(await buildPage(plain, [])).not.toContain('id="distillation"');
  });
});
