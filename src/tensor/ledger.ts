// The memory ledger: logical, deterministic accounting of tensor bytes by category.
//
// How tensors leave the ledger (no GC involved):
// - Persistent tensors (params, optimizer state, rule state, or anything `keep`-ed) are live
//   from creation until `release()`.
// - Inside a measured step (`beginStep`/`endStep`) every other tensor lives from its creation to
//   its last use by an op (forward or backward) — the lifetime an eager refcounting runtime
//   such as PyTorch gives it. Uses are stamped on a logical clock, so the peak is computed
//   after the step by a sweep over those intervals, identically on every run.
// - Outside a step, non-persistent tensors are not counted (evaluation passes, scratch work).
// Views (reshape) own no bytes; using a view counts as a use of its base.
// Each trial keeps its own ledger (withLedger): an entry belongs to the ledger it was made in,
// so a trial never counts another's bytes.
import { scoped, slot } from '../engine.ts';

// 'frozen': parameters held but not trained (an adapted model's base weights, a distillation teacher's).
export const CATEGORIES = ['param', 'grad', 'optimizer', 'rule-state', 'saved-activation', 'transient', 'other', 'frozen'] as const;
export type Category = (typeof CATEGORIES)[number];
export type ByCategory = Record<Category, number>;

/** The ledger's view of one tensor. */
export interface LedgerEntry {
  /** The ledger that counts it. */
  readonly ledger: Ledger;
  bytes: number;
  category: Category;
  born: number;
  lastUse: number;
  died: number; // -1 while alive
  persistent: boolean;
  inStep: boolean;
}

export interface StepMemory {
  /** Persistent live bytes when the step began (params, optimizer and rule state). */
  startBytes: number;
  /** Peak of total live bytes during the step. */
  peakBytes: number;
  /** Live bytes by category at the moment of the peak. */
  atPeak: ByCategory;
  /** Each category's own peak during the step. */
  peakByCategory: ByCategory;
  /** Live bytes by category over the step's logical clock, when asked for (see endStep). */
  timeline?: TimelinePoint[];
}

/** Live bytes by category at one moment of a step; `at` is the moment's share of the step's logical clock (0 to 1). */
export interface TimelinePoint {
  at: number;
  bytes: ByCategory;
}

const PERSISTENT: ReadonlySet<Category> = new Set(['param', 'optimizer', 'rule-state', 'frozen']);

export function emptyByCategory(): ByCategory {
  return { param: 0, grad: 0, optimizer: 0, 'rule-state': 0, 'saved-activation': 0, transient: 0, other: 0, frozen: 0 };
}

/** Bytes by category as a record lists them: 'frozen' only when something was frozen, so runs without adapters or a teacher record what they did before. */
export function recordedCategories(b: ByCategory): Partial<ByCategory> {
  if (b.frozen !== 0) return b;
  const { frozen: _, ...rest } = b;
  return rest;
}

export class Ledger {
  private clock = 0;
  private live = emptyByCategory(); // persistent live bytes
  private categoryStack: Category[] = [];
  private step: { entries: LedgerEntry[]; startLive: ByCategory; released: LedgerEntry[]; startClock: number } | null = null;

  /** The category new tensors get now. */
  currentCategory(): Category {
    const top = this.categoryStack[this.categoryStack.length - 1];
    return top ?? (this.step ? 'transient' : 'other');
  }

  /** Run `fn` with tensors it creates counted under `category`. */
  withCategory<T>(category: Category, fn: () => T): T {
    this.categoryStack.push(category);
    try {
      return fn();
    } finally {
      this.categoryStack.pop();
    }
  }

  register(bytes: number): LedgerEntry {
    const category = this.currentCategory();
    const t = ++this.clock;
    const e: LedgerEntry = {
      ledger: this,
      bytes,
      category,
      born: t,
      lastUse: t,
      died: -1,
      persistent: PERSISTENT.has(category),
      inStep: this.step !== null,
    };
    if (e.persistent) this.live[category] += bytes;
    if (this.step) this.step.entries.push(e);
    return e;
  }

  use(e: LedgerEntry): void {
    if (e.ledger !== this) return e.ledger.use(e);
    e.lastUse = ++this.clock;
  }

  /**
   * Count a tensor made before the measured step (the batch the runner built) as if made at
   * the step's start, as transient: it lives until its last use in the step — the same
   * lifetime it has in the inference reference, where the input is made inside the measure.
   */
  adopt(e: LedgerEntry): void {
    if (e.ledger !== this || !this.step || e.persistent || e.inStep || e.died >= 0 || e.bytes === 0) return;
    e.category = 'transient';
    e.inStep = true;
    e.born = e.lastUse = ++this.clock;
    this.step.entries.push(e);
  }

  /** Make a tensor persistent: it stays live until released. */
  keep(e: LedgerEntry, category?: Category): void {
    if (e.ledger !== this) return e.ledger.keep(e, category);
    if (e.died >= 0) return;
    if (category) this.recategorize(e, category);
    if (e.persistent) return;
    e.persistent = true;
    this.live[e.category] += e.bytes;
  }

  recategorize(e: LedgerEntry, category: Category): void {
    if (e.ledger !== this) return e.ledger.recategorize(e, category);
    if (e.persistent && e.died < 0) {
      this.live[e.category] -= e.bytes;
      this.live[category] += e.bytes;
    }
    e.category = category;
  }

  release(e: LedgerEntry): void {
    if (e.ledger !== this) return e.ledger.release(e);
    if (e.died >= 0) return;
    e.died = ++this.clock;
    if (e.persistent) {
      this.live[e.category] -= e.bytes;
      if (this.step && !e.inStep) this.step.released.push(e);
    }
  }

  /** Persistent live bytes now, by category. */
  liveBytes(): ByCategory {
    return { ...this.live };
  }

  totalLiveBytes(): number {
    return sum(this.live);
  }

  inStep(): boolean {
    return this.step !== null;
  }

  beginStep(): void {
    if (this.step) throw new Error('ledger.beginStep: a step is already being measured (missing endStep)');
    this.step = { entries: [], startLive: this.liveBytes(), released: [], startClock: this.clock };
  }

  /**
   * Close the step and compute its peak by a sweep over the tensors' lifetimes. With `bins` > 0,
   * also its timeline: the step's logical clock cut into `bins` equal spans, each shown by its
   * busiest moment (the most live bytes in total), so the peak is always one of the points.
   */
  endStep(bins = 0, widths?: ByCategory): StepMemory {
    const step = this.step;
    if (!step) throw new Error('ledger.endStep: no step is being measured (missing beginStep)');
    this.step = null;
    // With `widths`, each category's float32 bytes count at its storage format's width (a factor per category: precision).
    const w = (e: LedgerEntry) => (widths ? e.bytes * widths[e.category] : e.bytes);
    // Events: +bytes at birth, -bytes just after death (persistent) or just after last use.
    const events: Array<[number, number, Category]> = [];
    for (const e of step.entries) {
      if (e.bytes === 0) continue;
      events.push([e.born, w(e), e.category]);
      if (e.persistent) {
        if (e.died >= 0) events.push([e.died + 0.5, -w(e), e.category]);
      } else {
        events.push([(e.died >= 0 ? Math.min(e.died, e.lastUse) : e.lastUse) + 0.5, -w(e), e.category]);
      }
    }
    for (const e of step.released) events.push([e.died + 0.5, -w(e), e.category]);
    events.sort((a, b) => a[0] - b[0]);
    const cur = { ...step.startLive };
    if (widths) for (const c of CATEGORIES) cur[c] *= widths[c];
    let total = sum(cur);
    let peakBytes = total;
    let atPeak = { ...cur };
    const peakByCategory = { ...cur };
    const span = Math.max(1, this.clock + 1 - step.startClock);
    const busiest: Array<{ total: number; point: TimelinePoint } | undefined> = new Array(Math.max(0, bins));
    if (bins > 0) busiest[0] = { total, point: { at: 0, bytes: { ...cur } } };
    for (let i = 0; i < events.length; i++) {
      const [t, delta, cat] = events[i];
      cur[cat] += delta;
      total += delta;
      if (cur[cat] > peakByCategory[cat]) peakByCategory[cat] = cur[cat];
      if (total > peakBytes) {
        peakBytes = total;
        atPeak = { ...cur };
      }
      // A moment is the state after every event at its time.
      if (bins > 0 && (i + 1 === events.length || events[i + 1][0] !== t)) {
        const at = Math.min(1, (t - step.startClock) / span);
        const b = Math.min(bins - 1, Math.floor(at * bins));
        if (!busiest[b] || total > busiest[b]!.total) busiest[b] = { total, point: { at, bytes: { ...cur } } };
      }
    }
    const start = { ...step.startLive };
    if (widths) for (const c of CATEGORIES) start[c] *= widths[c];
    const memory: StepMemory = { startBytes: sum(start), peakBytes, atPeak, peakByCategory };
    if (bins > 0) {
      // A span with no event shows what was live through it: the last moment before.
      const timeline: TimelinePoint[] = [];
      let last = busiest[0]!.point;
      for (let b = 0; b < bins; b++) {
        const here = busiest[b]?.point ?? { at: b / bins, bytes: last.bytes };
        timeline.push(here);
        last = here;
      }
      memory.timeline = timeline;
    }
    return memory;
  }

  /** Measure one step: run fn between beginStep and endStep (with a timeline of `bins` points when > 0). */
  measure<T>(fn: () => T, bins = 0, widths?: ByCategory): { result: T; memory: StepMemory } {
    this.beginStep();
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.step = null;
      throw err;
    }
    return { result, memory: this.endStep(bins, widths) };
  }
}

function sum(b: ByCategory): number {
  let s = 0;
  for (const c of CATEGORIES) s += b[c];
  return s;
}

const LEDGER = slot('ledger', new Ledger());

/** The ledger new tensors are counted in now. */
export function ledger(): Ledger {
  return LEDGER.get();
}

/** Run fn with its tensors counted in a ledger of their own (a trial's). */
export function withLedger<T>(fn: (l: Ledger) => T, l = new Ledger()): T {
  return scoped(LEDGER, l, () => fn(l));
}
