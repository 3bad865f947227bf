// The pipeline-locking experiment on a tiny MLP, with a clock that ticks once per reading (every
// kernel call costs one tick): its records are then exact and the same on every run.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCharts } from '../../src/report/charts.ts';
import { PIPELINE_CHARTS } from '../../src/report/pipeline-charts.ts';
import { readResults } from '../../src/report/records.ts';
import { compileSpec, renderSvg, staticSpec } from '../../src/report/render.ts';
import { pipelineLocking, type LockingSetup, type PipelineOpRecord, type PipelineRecord } from '../../experiments/pipeline-locking.ts';

const setup: LockingSetup = {
  data: { name: 'blobs', train: 64, test: 16, classes: 4, features: 12, spread: 0.6 },
  sizes: [12, 8, 8, 8, 8, 4],
  microBatch: 8,
  microBatches: 4,
  steps: 3,
  stages: [1, 2, 4],
  ganttStages: [2],
  schedules: ['gpipe', '1f1b'],
  rules: ['backprop', 'direct-feedback-alignment', 'synthetic-gradients', 'forward-forward', 'pepita'],
};

function run() {
  let ticks = 0;
  const log: string[] = [];
  const rows = pipelineLocking(setup, (s) => log.push(s), { now: () => ticks++, clock: 'ticks' });
  return { rows, log };
}

describe('pipeline-locking experiment', () => {
  const { rows, log } = run();
  const pipeline = rows.filter((r): r is PipelineRecord => r.type === 'pipeline');
  const ops = rows.filter((r): r is PipelineOpRecord => r.type === 'pipeline-op');

  it('measures every rule that declares what its updates wait for, and says which it left out', () => {
    expect([...new Set(pipeline.map((r) => r.rule))]).toEqual([
      'backprop',
      'direct-feedback-alignment',
      'synthetic-gradients',
      'forward-forward',
    ]);
    expect(log.some((l) => /^skip pepita: it declares no updateWaitsFor/.test(l))).toBe(true);
    for (const r of pipeline) expect(r.waitsFor).toBeTruthy();
  });

  it('one row per rule, depth and schedule; one stage is unpipelined (no bubble) and backprop there is the unit', () => {
    expect(pipeline).toHaveLength(4 * 3 * 2);
    for (const r of pipeline.filter((p) => p.stages === 1)) expect(r.bubble).toBe(0);
    expect(pipeline.find((r) => r.rule === 'backprop' && r.stages === 1 && r.schedule === 'gpipe')!.relativeToBackprop).toBe(1);
    for (const r of pipeline) expect(r.firstLayers).toHaveLength(r.stages);
  });

  it("the Gantt rows are each simulated step's operations, ending when its step ends", () => {
    for (const r of pipeline.filter((p) => p.stages === 2)) {
      const mine = ops.filter((o) => o.rule === r.rule && o.stages === 2 && o.schedule === r.schedule);
      expect(mine).toHaveLength(2 * (2 * setup.microBatches + 1));
      expect(Math.max(...mine.map((o) => o.end))).toBeCloseTo(r.relativeToBackprop, 12);
    }
    expect(ops.every((o) => o.stages === 2)).toBe(true);
  });

  it('the same records on a rerun (with the counting clock)', () => {
    expect(JSON.stringify(run().rows)).toBe(JSON.stringify(rows));
  });

  it('refuses a network with fewer layers than stages', () => {
    expect(() => pipelineLocking({ ...setup, stages: [8] })).toThrow(/sizes: 5 dense layers cannot fill 8 stages/);
  });

  it("the report draws its charts from the records: time and bubble against K, and each rule's Gantt chart", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rulebench-pipeline-'));
    writeFileSync(join(dir, 'records.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const charts = buildCharts(await readResults(dir), PIPELINE_CHARTS);
    expect(charts.map((c) => c.name)).toEqual(['pipeline-time', 'pipeline-bubble', 'pipeline-gantt']);
    for (const c of charts) {
      expect(compileSpec(c.spec).warnings, c.name).toEqual([]);
      const warnings: string[] = [];
      const svg = await renderSvg(staticSpec(c.spec), warnings);
      expect(warnings, c.name).toEqual([]);
      expect(svg, c.name).toMatch(/class="mark-(line|symbol|rect)[^"]*role-mark/);
    }
    // The Gantt chart's bars are the records' operations, every one of them.
    const gantt = charts[2].spec as { data: { values: unknown[] } };
    expect(gantt.data.values).toHaveLength(ops.length);
  });
});
