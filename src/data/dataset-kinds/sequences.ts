// The sequence datasets: character windows of a text (Moby-Dick by default, or a UTF-8 file) for
// next-character prediction, and the copy task (recall symbols after a delay).
import { SpecError } from '../../errors.ts';
import { copyLength, copyTask } from '../copy.ts';
import { defineDataset, needRng, pickOptions, splitGenerated } from '../dataset-kind.ts';
import { loadText } from '../text.ts';

export const textDataset = defineDataset({
  name: 'text',
  options: pickOptions('source', 'sections', 'context', 'split', 'stride', 'vocabulary', 'evalWindows', 'train'),
  check(d) {
    if (d.context === undefined) throw new SpecError('data.context: the text dataset needs the characters per sample (e.g. 64)');
    if (d.validation !== undefined)
      throw new SpecError(
        'data.validation: text is cut into contiguous parts by data.split ([train, validation, test] fractions), not by a random hold-out',
      );
  },
  load(opts) {
    if (opts.context === undefined) throw new SpecError('data.context: the text dataset needs the characters per sample (e.g. 64)');
    const t = loadText({
      source: opts.source,
      sections: opts.sections,
      split: opts.split,
      context: opts.context,
      stride: opts.stride,
      vocabulary: opts.vocabulary,
      train: opts.train,
      evalWindows: opts.evalWindows,
    });
    return { train: t.train, validation: t.validation, test: t.test };
  },
});

export const copyDataset = defineDataset({
  name: 'copy',
  options: pickOptions('train', 'test', 'length', 'delay', 'symbols'),
  load(opts) {
    const nTrain = opts.train ?? 2000;
    const o = { length: opts.length, delay: opts.delay, symbols: opts.symbols };
    copyLength(o);
    return splitGenerated(copyTask(nTrain + (opts.test ?? 500), o, needRng('copy', opts)), nTrain);
  },
});
