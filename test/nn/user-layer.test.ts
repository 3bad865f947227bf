// A layer kind from a user's spec file works like a rule from one: the CLI runs a copy of
// test/fixtures/user-layers/masked-lenet.ts outside the repository (the main process and two
// worker threads each load it, registering its masked dense layer), and LeNet trains with the
// mask applied: masked connections keep their starting values bit for bit, the others learn.
import { copyFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel, rng } from '../../src/index.ts';
import { writeParamFile, type ParamFile } from '../../src/nn/param-file.ts';
import type { EvalRecord } from '../../src/runner/record-types.ts';
import { readRecords } from '../../src/runner/records.ts';
import { hasStackTrace, sh, tmp } from '../runner/helpers.ts';

const TSX = resolve('node_modules/.bin/tsx');
const CLI = resolve('src/cli.ts');

/** A parameter's values in a parameter file. */
function values(file: string, path: string): Float32Array {
  const entry = (JSON.parse(readFileSync(file, 'utf8')) as ParamFile).params.find((e) => e.path === path);
  if (!entry) throw new Error(`${file} has no parameter ${path}`);
  const b = Buffer.from(entry.data, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

describe('a user layer kind from a spec file', () => {
  it('trains LeNet on an MNIST slice through the CLI, with its mask applied', async () => {
    const dir = tmp('user-layer');
    copyFileSync('test/fixtures/user-layers/masked-lenet.ts', join(dir, 'experiment.ts'));
    // The preset's LeNet has the same parameter paths and shapes: its draw is where both trials start.
    const lenet = buildModel({ preset: 'lenet5' }, { sampleShape: [1, 32, 32], outputs: 10 });
    writeParamFile(join(dir, 'init.json'), lenet, lenet.init(rng('user-layer')), lenet.initBuffers());

    const r = await sh(`${TSX} ${CLI} run experiment.ts --out results --workers 2 --threads 1 --no-report`, { cwd: dir });
    expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    const records = readRecords(join(dir, 'results'));
    expect(
      records
        .filter((x) => x.type === 'summary')
        .map((s) => `${s.seed} ${s.status}`)
        .sort(),
    ).toEqual(['0 done', '1 done']);

    const start = join(dir, 'init.json');
    for (const seed of [0, 1]) {
      const evals = records.filter((x): x is EvalRecord => x.type === 'eval' && x.seed === seed).sort((a, b) => a.step - b.step);
      expect(evals.length).toBeGreaterThanOrEqual(2);
      expect(evals[evals.length - 1].trainLoss).toBeLessThan(0.95 * evals[0].trainLoss);
      const end = join(dir, `final-${seed}.json`);
      for (const [path, inputs, units] of [
        ['fc1.weight', 400, 120],
        ['fc2.weight', 120, 84],
      ] as const) {
        const [a, b] = [values(start, path), values(end, path)];
        expect(b.length).toBe(inputs * units);
        let kept = 0;
        let moved = 0;
        for (let k = 0; k < b.length; k++) {
          if ((Math.floor(k / inputs) + (k % inputs)) % 2 === 0) {
            kept++;
            if (b[k] !== a[k]) moved++;
          } else expect(b[k], `${path}[${k}] is masked out`).toBe(a[k]);
        }
        expect(moved / kept, `${path}: share of the kept connections that learned`).toBeGreaterThan(0.5);
      }
      const [a, b] = [values(start, 'fc3.weight'), values(end, 'fc3.weight')];
      expect(b.filter((v, k) => v !== a[k]).length / b.length).toBeGreaterThan(0.5);
    }
  }, 240_000);
});
