// Progress reporting: a redrawn status line on a terminal, plain periodic lines otherwise (CI
// logs), with an ETA from the trials finished so far.
import type { TrialRecord } from './trial.ts';

const fmtTime = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
};

export class Progress {
  private done = 0;
  private readonly started = performance.now();
  private lastPlain = 0;
  private readonly tty: boolean;
  private readonly latest = new Map<string, string>();

  /** `labels`: each trial's series label by trial id (src/runner/series-label.ts), as the report names it. */
  constructor(
    private readonly total: number,
    private readonly write: (s: string) => void = (s) => process.stderr.write(s),
    tty = process.stderr.isTTY === true,
    private readonly labels: ReadonlyMap<string, string> = new Map(),
  ) {
    this.tty = tty;
  }

  private bar(): string {
    const width = 24;
    const filled = this.total ? Math.round((this.done / this.total) * width) : width;
    const elapsed = performance.now() - this.started;
    const eta = this.done > 0 ? fmtTime((elapsed / this.done) * (this.total - this.done)) : '?';
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} trials, ${fmtTime(elapsed)} elapsed, ETA ${eta}`;
  }

  record(id: string, r: TrialRecord): void {
    const label = this.labels.get(id) ?? r.rule;
    if (r.type === 'eval') {
      // A tuning trial reads no test split: it shows its validation accuracy.
      const [split, acc] = Number.isFinite(r.testAcc) || r.valAcc === null ? ['test', r.testAcc] : ['val', r.valAcc];
      this.latest.set(id, `${label} seed ${r.seed} epoch ${r.epoch + 1}: ${split} acc ${acc.toFixed(4)}`);
    } else {
      this.done++;
      this.latest.delete(id);
      const line = `${label} seed ${r.seed}: ${r.status}${Number.isFinite(r.finalTestAcc) ? `, test acc ${r.finalTestAcc.toFixed(4)}` : r.bestValAcc !== null && Number.isFinite(r.bestValAcc) ? `, best val acc ${r.bestValAcc.toFixed(4)}` : ''}${r.error ? ` (${r.error})` : ''}`;
      if (this.tty) this.write(`\r\x1b[K${line}\n`);
      else this.write(`${line}\n`);
    }
    this.show();
  }

  private show(): void {
    const status = `${this.bar()}${this.latest.size ? ` | ${[...this.latest.values()].join(' | ')}` : ''}`;
    if (this.tty) {
      this.write(`\r\x1b[K${status.slice(0, (process.stderr.columns ?? 120) - 1)}`);
    } else if (performance.now() - this.lastPlain > 30_000 || this.done === this.total) {
      this.lastPlain = performance.now();
      this.write(`${status}\n`);
    }
  }

  finish(): void {
    if (this.tty) this.write('\n');
  }
}
