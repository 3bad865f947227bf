// A small real run for the browser test, made by the runner itself (records and experiment.json
// as `rulebench run` writes them): test/report/fixtures/report-experiment.ts.
import { runExperiment } from '../../src/runner/run.ts';
import { tempDir } from './fixtures.ts';

export const REAL_EXPERIMENT = 'test/report/fixtures/report-experiment.ts';

export async function makeRealRunDir(): Promise<string> {
  const out = await tempDir('rulebench-real-');
  await runExperiment(REAL_EXPERIMENT, { out, workers: 1, resume: true, log: () => {}, tty: false });
  return out;
}
