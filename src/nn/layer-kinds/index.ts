// The built-in layer kinds, in the order errors and `rulebench list` name them.
import { activationLayer } from './activation.ts';
import { attentionLayer, transformerBlockLayer } from './attention.ts';
import { residualLayer, sequentialLayer } from './containers.ts';
import { conv2dLayer } from './conv2d.ts';
import { denseLayer } from './dense.ts';
import { dropoutLayer } from './dropout.ts';
import { embeddingLayer } from './embedding.ts';
import { batchNormLayer, layerNormLayer } from './norm.ts';
import { avgPool2dLayer, flattenLayer, globalAvgPoolLayer, maxPool2dLayer } from './pooling.ts';
import { rnnLayer } from './rnn.ts';

export const BUILTIN_LAYERS = [
  denseLayer,
  conv2dLayer,
  maxPool2dLayer,
  avgPool2dLayer,
  globalAvgPoolLayer,
  flattenLayer,
  batchNormLayer,
  layerNormLayer,
  dropoutLayer,
  activationLayer,
  sequentialLayer,
  residualLayer,
  embeddingLayer,
  attentionLayer,
  transformerBlockLayer,
  rnnLayer,
] as const;
