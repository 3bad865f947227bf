// Memory over one step on a small MLP: the ledger's timeline carries the step's peak, and the
// orderings the rules' structure implies hold in what it measured (none is typed in here).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepMemory, type StepMemorySetup, type StepPeakRecord, type TimelineRecord } from '../../experiments/step-memory.ts';
import { buildCharts } from '../../src/report/charts.ts';
import { readResults } from '../../src/report/records.ts';
import { compileSpec, renderSvg, staticSpec } from '../../src/report/render.ts';
import { STEP_MEMORY_CHARTS } from '../../src/report/step-memory-charts.ts';

const setup: StepMemorySetup = {
  data: { name: 'blobs', train: 64, test: 16, classes: 4, features: 12, spread: 0.6 },
  sizes: [12, 16, 16, 16, 16, 16, 16, 4],
  batchSize: 32,
  bins: 40,
  variants: [
    { label: 'backprop', rule: 'backprop', options: {} },
    { label: 'backprop checkpointed', rule: 'backprop', options: { checkpoint: -1 } },
    { label: 'direct-feedback-alignment', rule: 'direct-feedback-alignment', options: {} },
    { label: 'mezo', rule: 'mezo', options: {} },
  ],
};

const total = (b: Record<string, number>) => Object.values(b).reduce((a, x) => a + x, 0);

describe('memory over one step', () => {
  const rows = stepMemory(setup);
  const peaks = new Map(rows.filter((r): r is StepPeakRecord => r.type === 'step-memory').map((r) => [r.rule, r]));
  const line = (rule: string) => rows.filter((r): r is TimelineRecord => r.type === 'memory-timeline' && r.rule === rule);

  it("each rule's timeline has its bins, in clock order, and its busiest moment is the step's peak", () => {
    for (const v of setup.variants) {
      const points = line(v.label);
      expect(points).toHaveLength(setup.bins);
      for (let i = 1; i < points.length; i++) expect(points[i].at).toBeGreaterThanOrEqual(points[i - 1].at);
      expect(Math.max(...points.map((p) => total(p.bytes)))).toBe(peaks.get(v.label)!.peakBytes);
    }
  });

  it("backprop holds more activations than its checkpointed self, and MeZO (no tape) none; backprop's drain by the step's end", () => {
    const saved = (rule: string) => Math.max(...line(rule).map((p) => p.bytes['saved-activation']));
    expect(saved('backprop')).toBe(peaks.get('backprop')!.peakByCategory['saved-activation']);
    expect(saved('backprop')).toBeGreaterThan(saved('backprop checkpointed'));
    expect(saved('backprop checkpointed')).toBeGreaterThan(0);
    expect(saved('mezo')).toBe(0);
    expect(peaks.get('backprop')!.peakBytes).toBeGreaterThan(peaks.get('mezo')!.peakBytes);
    const bp = line('backprop');
    expect(bp[bp.length - 1].bytes['saved-activation']).toBeLessThan(saved('backprop'));
  });

  it('the same records on a rerun (the ledger counts on a logical clock)', () => {
    expect(JSON.stringify(stepMemory(setup))).toBe(JSON.stringify(rows));
  });

  it('the report draws one stacked panel per rule from the records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rulebench-step-memory-'));
    writeFileSync(join(dir, 'records.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const [chart] = buildCharts(await readResults(dir), STEP_MEMORY_CHARTS);
    expect(chart.name).toBe('step-memory');
    expect(compileSpec(chart.spec).warnings).toEqual([]);
    const warnings: string[] = [];
    const svg = await renderSvg(staticSpec(chart.spec), warnings);
    expect(warnings).toEqual([]);
    expect(svg).toMatch(/class="mark-area[^"]*role-mark/);
  });
});
