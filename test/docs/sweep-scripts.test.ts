// The array-job files the docs show are the committed ones the Slurm test runs: each fenced block
// of docs/experiments.md's shards section is its script file, byte for byte.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const docs = readFileSync('docs/experiments.md', 'utf8');
const block = (lang: string) => [...docs.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1]);

describe('the sweep scripts in docs/experiments.md', () => {
  it.each([
    ['sh', 'scripts/slurm-sweep.sh'],
    ['yaml', 'scripts/k8s-sweep.yaml'],
  ])('its %s block is %s', (lang, file) => {
    expect(block(lang)).toContain(readFileSync(file, 'utf8'));
  });

  it('the Slurm and Kubernetes shard arithmetic: task i of n runs shard i/n', () => {
    expect(readFileSync('scripts/slurm-sweep.sh', 'utf8')).toContain('--shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}"');
    const k8s = readFileSync('scripts/k8s-sweep.yaml', 'utf8');
    expect(k8s).toContain('--shard $JOB_COMPLETION_INDEX/$SHARDS');
    expect(k8s).toMatch(/completions: (\d+)[\s\S]*name: SHARDS, value: '\1'/);
  });
});
