// Charts of a pipelined step (experiments/pipeline-locking.ts writes their records): time per step
// and bubble against the number of stages, per rule and schedule, and a Gantt chart of each rule's
// simulated step. Rules are named as their records name them; nothing here knows any rule.
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, FACET_WIDTH, HEIGHT, SCHEMA, WIDTH, type ChartDef } from './chart-kit.ts';
import type { ResultSet } from './records.ts';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

export interface PipelineRow {
  rule: string;
  waitsFor: string;
  stages: number;
  schedule: string;
  relative: number;
  bubble: number;
}

/** `type: 'pipeline'` rows with every field the charts read. */
export function pipelineRows(rs: ResultSet): PipelineRow[] {
  const out: PipelineRow[] = [];
  for (const r of rs.others.pipeline ?? []) {
    const rule = str(r.rule);
    const stages = num(r.stages);
    const schedule = str(r.schedule);
    const relative = num(r.relativeToBackprop);
    const bubble = num(r.bubble);
    if (rule === null || stages === null || schedule === null || relative === null || bubble === null) continue;
    out.push({ rule, waitsFor: str(r.waitsFor) ?? '', stages, schedule, relative, bubble });
  }
  return out;
}

function againstStages(rs: ResultSet, field: 'relative' | 'bubble', title: string, format: string): TopLevelSpec | null {
  const rows = pipelineRows(rs);
  if (new Set(rows.map((r) => r.stages)).size < 2) return null;
  return {
    $schema: SCHEMA,
    data: { values: rows },
    facet: { column: { field: 'schedule', type: 'nominal', title: 'schedule' } },
    spec: {
      width: FACET_WIDTH + 100,
      height: HEIGHT,
      mark: { type: 'line', strokeWidth: 2, point: { filled: true, size: 50 } },
      encoding: {
        x: {
          field: 'stages',
          type: 'quantitative',
          title: 'pipeline stages K',
          scale: { type: 'log', base: 2 },
          axis: { values: [1, 2, 4, 8, 16] },
        },
        y: { field, type: 'quantitative', title, axis: { format } },
        color: { field: 'rule', type: 'nominal', title: 'rule (what its update waits for)' },
        shape: { field: 'waitsFor', type: 'nominal', title: 'update waits for' },
        tooltip: [
          { field: 'rule', title: 'rule' },
          { field: 'waitsFor', title: 'waits for' },
          { field: 'stages', title: 'K' },
          { field: 'relative', title: 'time ÷ unpipelined backprop', format: '.3f' },
          { field: 'bubble', title: 'bubble', format: '.1%' },
        ],
      },
    },
    config: CONFIG,
  };
}

export const pipelineTimeChart = (rs: ResultSet) => againstStages(rs, 'relative', 'time per step ÷ unpipelined backprop', '.2f');
export const pipelineBubbleChart = (rs: ResultSet) => againstStages(rs, 'bubble', 'bubble (idle share of device time)', '.0%');

export interface GanttRow {
  rule: string;
  schedule: string;
  stages: number;
  stage: number;
  kind: string;
  micro: number;
  start: number;
  end: number;
}

/** `type: 'pipeline-op'` rows: the operations of each rule's simulated step. */
export function ganttRows(rs: ResultSet): GanttRow[] {
  const out: GanttRow[] = [];
  for (const r of rs.others['pipeline-op'] ?? []) {
    const rule = str(r.rule);
    const schedule = str(r.schedule);
    const kind = str(r.kind);
    const [stages, stage, micro, start, end] = [r.stages, r.stage, r.micro, r.start, r.end].map(num);
    if (rule === null || schedule === null || kind === null || stages === null || stage === null || micro === null) continue;
    if (start === null || end === null) continue;
    out.push({ rule, schedule, stages, stage, kind, micro, start, end });
  }
  return out;
}

export function pipelineGanttChart(rs: ResultSet): TopLevelSpec | null {
  const rows = ganttRows(rs);
  if (!rows.length) return null;
  return {
    $schema: SCHEMA,
    data: { values: rows },
    facet: {
      row: { field: 'rule', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left' } },
      column: { field: 'schedule', type: 'nominal', title: 'schedule' },
    },
    spec: {
      width: WIDTH / 2,
      height: 70,
      mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
      encoding: {
        x: { field: 'start', type: 'quantitative', title: 'time ÷ unpipelined backprop’s step' },
        x2: { field: 'end' },
        y: { field: 'stage', type: 'ordinal', title: 'stage' },
        color: {
          field: 'kind',
          type: 'nominal',
          title: 'operation',
          scale: { domain: ['forward', 'backward', 'update'], range: ['#4c78a8', '#f58518', '#54a24b'] },
        },
        tooltip: [
          { field: 'rule', title: 'rule' },
          { field: 'stages', title: 'K' },
          { field: 'stage', title: 'stage' },
          { field: 'kind', title: 'operation' },
          { field: 'micro', title: 'micro-batch' },
          { field: 'start', title: 'start', format: '.3f' },
          { field: 'end', title: 'end', format: '.3f' },
        ],
      },
    },
    resolve: { scale: { x: 'shared' } },
    config: CONFIG,
  };
}

export const PIPELINE_CHARTS: ChartDef[] = [
  {
    name: 'pipeline-time',
    title: 'Pipelined step: time against stages',
    explain:
      'Each rule’s measured per-layer costs split into K stages with M micro-batches (experiments/pipeline-locking.ts), time per step over unpipelined backprop’s. A rule whose update waits for the layer above (backprop) drains the pipeline twice per step; one that waits for nothing fills it once.',
    build: pipelineTimeChart,
  },
  {
    name: 'pipeline-bubble',
    title: 'Pipelined step: bubble against stages',
    explain: 'The share of device time spent idle; GPipe’s is (K−1)/(M+K−1) with equal stages, less for a rule without backward locking.',
    build: pipelineBubbleChart,
  },
  {
    name: 'pipeline-gantt',
    title: 'Pipelined step: each rule’s schedule',
    explain:
      'One simulated step per rule and schedule (the depth the records keep): forward (blue), backward or the rule’s own signal (orange) and update (green) of each micro-batch on each stage; gaps are the bubble.',
    build: pipelineGanttChart,
  },
];
