// Memory over one training step (experiments/step-memory.ts writes its records): the ledger's live
// bytes by category along the step's logical clock, stacked, one panel per rule as records name it.
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, SCHEMA, WIDTH, type ChartDef } from './chart-kit.ts';
import type { ResultSet } from './records.ts';

// The ledger's categories, bottom of the stack first (persistent ones under the step's own).
const ORDER = ['param', 'optimizer', 'rule-state', 'grad', 'saved-activation', 'transient', 'other', 'frozen'];

export interface TimelineRow {
  rule: string;
  at: number;
  category: string;
  MiB: number;
  order: number;
}

/** `type: 'memory-timeline'` rows in long form (one per category with bytes at any moment of its rule's step). */
export function timelineRows(rs: ResultSet): TimelineRow[] {
  const recs = rs.others['memory-timeline'] ?? [];
  const used = new Set<string>();
  for (const r of recs)
    for (const [c, b] of Object.entries((r.bytes ?? {}) as Record<string, unknown>)) if (typeof b === 'number' && b > 0) used.add(c);
  const out: TimelineRow[] = [];
  for (const r of recs) {
    const bytes = (r.bytes ?? {}) as Record<string, unknown>;
    if (typeof r.rule !== 'string' || typeof r.at !== 'number') continue;
    for (const c of ORDER) {
      if (!used.has(c)) continue;
      const b = bytes[c];
      out.push({ rule: r.rule, at: r.at, category: c, MiB: typeof b === 'number' ? b / 2 ** 20 : 0, order: ORDER.indexOf(c) });
    }
  }
  return out;
}

export function stepMemoryChart(rs: ResultSet): TopLevelSpec | null {
  const rows = timelineRows(rs);
  if (!rows.length) return null;
  return {
    $schema: SCHEMA,
    data: { values: rows },
    facet: { row: { field: 'rule', type: 'nominal', title: null, sort: null, header: { labelAngle: 0, labelAlign: 'left' } } },
    spec: {
      width: WIDTH - 160,
      height: 90,
      mark: { type: 'area', interpolate: 'step-after' },
      encoding: {
        x: { field: 'at', type: 'quantitative', title: 'share of the step’s logical clock', axis: { format: '.0%' } },
        y: { field: 'MiB', type: 'quantitative', stack: 'zero', title: 'live MiB' },
        color: { field: 'category', type: 'nominal', title: 'ledger category', sort: ORDER },
        order: { field: 'order', type: 'quantitative' },
        tooltip: [
          { field: 'rule', title: 'rule' },
          { field: 'category', title: 'category' },
          { field: 'at', title: 'at', format: '.1%' },
          { field: 'MiB', title: 'MiB', format: '.3f' },
        ],
      },
    },
    resolve: { scale: { y: 'shared' } },
    config: CONFIG,
  };
}

export const STEP_MEMORY_CHARTS: ChartDef[] = [
  {
    name: 'step-memory',
    title: 'Memory over one training step',
    explain:
      'Live bytes by the ledger’s categories along one step’s logical clock (every tensor’s birth and last use are stamped on it), per rule; each point is the busiest moment of its stretch, so every peak is drawn. Saved activations pile up through the forward pass and drain as the backward pass uses them.',
    build: stepMemoryChart,
  },
];
