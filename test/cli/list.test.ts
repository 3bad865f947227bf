// `rulebench list` names the rules and each vocabulary as its registry holds it (a kind
// registered in this process is listed with the built-ins).
import { expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import {
  defineDataset,
  defineLayer,
  definePreset,
  defineSchedule,
  registerDataset,
  registerLayer,
  registerPreset,
  registerSchedule,
} from '../../src/index.ts';
import { identity } from '../../src/nn/activations.ts';
import { leaf } from '../../src/nn/module.ts';

it('lists datasets, layer types, presets, optimizers and schedules from their registries', async () => {
  registerLayer(
    defineLayer({
      type: 'noop',
      fields: {},
      build: (_s, c) => leaf({ kind: 'noop', path: c.path, inShape: c.inShape, outShape: c.inShape, apply: identity }),
    }),
  );
  registerPreset(definePreset({ name: 'tiny', fields: {}, layers: () => [] }));
  registerDataset(
    defineDataset({
      name: 'nothing',
      options: {},
      load: () => {
        throw new Error('never loaded');
      },
    }),
  );
  registerSchedule(defineSchedule({ kind: 'flat', fields: {}, build: (_s, lr) => () => lr }));
  let stdout = '';
  const code = await main(['list'], { stdout: (s) => (stdout += s), stderr: () => {} });
  expect(code).toBe(0);
  expect(stdout).toMatch(/^rules:\n {2}backprop /);
  expect(stdout).toMatch(
    /^datasets: mnist, fashion-mnist, cifar10, xor, spirals, circle, blobs, teacher-student, plane, bumps, text, copy, nothing$/m,
  );
  expect(stdout).toMatch(/^layer types: dense, conv2d, .*, transformerBlock, rnn, noop$/m);
  expect(stdout).toMatch(/^presets: lenet5, resnet, transformer, rnn, tiny$/m);
  expect(stdout).toMatch(/^optimizers: sgd, momentum, rmsprop, adam, adamw$/m);
  expect(stdout).toMatch(/^schedules: constant, step, multistep, cosine, flat$/m);
});
