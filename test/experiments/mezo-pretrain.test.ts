// mezo-pretrain's description says how long it trains: the steps its committed run reached (its
// one epoch of the text stops it before maxSteps), so what the runs built on it quote is true.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import spec from '../../experiments/mezo-pretrain.ts';

const DIR = join(import.meta.dirname, '..', '..', 'results', 'mezo-pretrain');

describe('experiments/mezo-pretrain.ts', () => {
  it('describes the steps its committed run trained, and its experiment.json says the same', () => {
    const rows = readdirSync(join(DIR, 'records')).flatMap((f) =>
      readFileSync(join(DIR, 'records', f), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { type: string; steps?: number; stoppedBy?: string }),
    );
    const [summary] = rows.filter((r) => r.type === 'summary');
    expect(summary.stoppedBy).toBe('epochs');
    expect(spec.epochs).toBe(1);
    expect(spec.description).toContain(`one epoch of the text: ${summary.steps} steps`);
    const manifest = JSON.parse(readFileSync(join(DIR, 'experiment.json'), 'utf8')) as {
      description: string;
      spec: { description: string };
    };
    expect([manifest.description, manifest.spec.description]).toEqual([spec.description, spec.description]);
  });
});
