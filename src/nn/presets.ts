// Model specs: the MLP shorthand ({ sizes }), explicit layer lists ({ layers }) and the presets
// the field publishes on (BioTorch's LeNet-5 for 32×32 inputs, He et al.'s CIFAR ResNet-(6n+2)),
// each expanded to one layer list.
import { SpecError } from '../errors.ts';
import type { LayerSpec } from './build.ts';

export interface MlpSpec {
  /** Layer widths, input first, output last, e.g. [784, 256, 256, 10]. */
  sizes: number[];
  /** Hidden activation: a built-in name or an expression in x such as "x * sigmoid(x)". */
  activation?: string;
  init?: string;
  /** LayerNorm after each hidden linear map. */
  layerNorm?: boolean;
  /** Dropout probability after each hidden activation (training only). */
  dropout?: number;
  /** Hidden blocks whose width is unchanged add their input. */
  residual?: boolean;
}

export interface LayersSpec {
  layers: LayerSpec[];
  /** Default weight scheme (biases start at zero). */
  init?: string;
}

export interface LeNetSpec {
  /** conv 6@5×5, act, pool 2, conv 16@5×5, act, pool 2, dense 120, act, dense 84, act, dense classes. */
  preset: 'lenet5';
  activation?: string;
  pool?: 'max' | 'avg';
  /**
   * The 120-unit layer: 'dense' (default), or 'conv' — a 5×5 convolution over the 16 5×5 maps, as
   * LeCun's C5 and BioTorch's LeNetMNIST build it. Same function; the init fans differ (PyTorch
   * counts a kernel's receptive field), so Xavier draws it, and BioTorch scales uSF's feedback, smaller.
   */
  c5?: 'dense' | 'conv';
  init?: string;
}

export interface ResNetSpec {
  /** He et al. 2016's CIFAR ResNet: a 3×3 stem, three stages of n basic blocks (width, 2·width, 4·width), global pool, dense. */
  preset: 'resnet';
  /** 6n + 2: 20, 32, 44, 56, 110, … */
  depth?: number;
  /** Channels of the first stage (16 in the paper). */
  width?: number;
  /** A: identity shortcuts, zero-padded where shapes change (the paper's CIFAR choice); B: 1×1 projections there. */
  shortcut?: 'A' | 'B';
  init?: string;
}

export interface TransformerSpec {
  /** A GPT-style causal LM over token ids [T]: embedding (+ positions), `blocks` pre-LN blocks, a final LayerNorm, a positionwise head to the vocabulary. */
  preset: 'transformer';
  blocks?: number;
  /** Model width (default 64). */
  dim?: number;
  heads?: number;
  /** MLP width as a multiple of dim (default 4). */
  mlp?: number;
  /** The head reads the embedding table (weight tying, Press & Wolf 2017). */
  tie?: boolean;
  /** The fused attention op (default) or attention composed from primitives. */
  fused?: boolean;
  init?: string;
}

export interface RecurrentSpec {
  /** A recurrent LM over token ids [T]: embedding (no positions), an Elman RNN or GRU, a positionwise head. */
  preset: 'rnn';
  cell?: 'elman' | 'gru';
  hidden?: number;
  /** Embedding width (default 32). */
  dim?: number;
  tie?: boolean;
  init?: string;
}

export type ModelSpec = MlpSpec | LayersSpec | LeNetSpec | ResNetSpec | TransformerSpec | RecurrentSpec;

export const PRESETS = ['lenet5', 'resnet', 'transformer', 'rnn'] as const;

function count(field: string, v: unknown, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 1e6) throw new SpecError(`model.${field}: expected an integer ≥ ${min}, got ${show(v)}`);
  return v;
}

function flag(field: string, v: unknown): boolean | undefined {
  if (v !== undefined && typeof v !== 'boolean') throw new SpecError(`model.${field}: expected a boolean, got ${show(v)}`);
  return v as boolean | undefined;
}

/** The head: a positionwise map to the vocabulary, no bias (the PyTorch reference's), tied to the embedding when asked. */
function lmHead(tie: boolean | undefined): Extract<LayerSpec, { type: 'dense' }> {
  return tie ? { type: 'dense', positionwise: true, bias: false, tie: 'embed', name: 'head' } : { type: 'dense', positionwise: true, bias: false, name: 'head' };
}

export function transformerLayers(spec: TransformerSpec, vocab: number): LayerSpec[] {
  const dim = count('dim', spec.dim, 64);
  const heads = count('heads', spec.heads, 4);
  if (dim % heads !== 0) throw new SpecError(`model.heads: ${heads} heads do not divide dim ${dim}`);
  const blocks = Array.from({ length: count('blocks', spec.blocks, 2) }, (_, i): LayerSpec => ({
    type: 'transformerBlock', heads, mlp: spec.mlp, fused: flag('fused', spec.fused), name: `block${i}`,
  }));
  return [{ type: 'embedding', dim, vocab, name: 'embed' }, ...blocks, { type: 'layerNorm', name: 'norm' }, { ...lmHead(flag('tie', spec.tie)), units: vocab }];
}

export function recurrentLayers(spec: RecurrentSpec, vocab: number): LayerSpec[] {
  const cell = spec.cell ?? 'gru';
  if (cell !== 'elman' && cell !== 'gru') throw new SpecError(`model.cell: expected "elman" or "gru", got ${show(cell)}`);
  const dim = count('dim', spec.dim, 32);
  const hidden = count('hidden', spec.hidden, 128);
  const tie = flag('tie', spec.tie);
  // A tied head maps hidden states back through the table: it needs them as wide as the embedding.
  if (tie && hidden !== dim) throw new SpecError(`model.tie: a tied head needs hidden (${hidden}) equal to dim (${dim})`);
  return [
    { type: 'embedding', dim, vocab, positions: false, name: 'embed' }, { type: 'rnn', cell, hidden, name: 'rnn' },
    tie ? lmHead(true) : { ...lmHead(false), units: vocab },
  ];
}

const show = (v: unknown) => JSON.stringify(v) ?? String(v);

/** The MLP shorthand as layers: fc1, [norm1], act1, [drop1], …, fcL (blocks res<i> when residual). */
export function mlpLayers(spec: MlpSpec): LayerSpec[] {
  const { sizes } = spec;
  const act = spec.activation ?? 'relu';
  const layers: LayerSpec[] = [];
  for (let i = 1; i < sizes.length - 1; i++) {
    const block: LayerSpec[] = [{ type: 'dense', units: sizes[i], name: `fc${i}` }];
    if (spec.layerNorm) block.push({ type: 'layerNorm', name: `norm${i}` });
    block.push({ type: 'activation', fn: act, name: `act${i}` });
    if (spec.dropout) block.push({ type: 'dropout', p: spec.dropout, name: `drop${i}` });
    if (spec.residual && sizes[i] === sizes[i - 1]) layers.push({ type: 'residual', name: `res${i}`, layers: block });
    else layers.push(...block);
  }
  layers.push({ type: 'dense', units: sizes[sizes.length - 1], name: `fc${sizes.length - 1}` });
  return layers;
}

export function lenet5Layers(spec: LeNetSpec, classes: number): LayerSpec[] {
  const act = spec.activation ?? 'relu';
  const pool = spec.pool === 'avg' ? 'avgPool2d' : 'maxPool2d';
  if (spec.pool !== undefined && spec.pool !== 'max' && spec.pool !== 'avg') throw new SpecError(`model.pool: expected "max" or "avg", got ${show(spec.pool)}`);
  if (spec.c5 !== undefined && spec.c5 !== 'dense' && spec.c5 !== 'conv') throw new SpecError(`model.c5: expected "dense" or "conv", got ${show(spec.c5)}`);
  const features: LayerSpec[] = [
    { type: 'conv2d', channels: 6, kernel: 5, name: 'conv1' }, { type: 'activation', fn: act, name: 'act1' }, { type: pool, kernel: 2, name: 'pool1' },
    { type: 'conv2d', channels: 16, kernel: 5, name: 'conv2' }, { type: 'activation', fn: act, name: 'act2' }, { type: pool, kernel: 2, name: 'pool2' },
  ];
  if (spec.c5 === 'conv') {
    return [
      ...features,
      { type: 'conv2d', channels: 120, kernel: 5, name: 'conv3' }, { type: 'activation', fn: act, name: 'act3' }, { type: 'flatten', name: 'flatten' },
      { type: 'dense', units: 84, name: 'fc1' }, { type: 'activation', fn: act, name: 'act4' },
      { type: 'dense', units: classes, name: 'fc2' },
    ];
  }
  return [
    ...features,
    { type: 'flatten', name: 'flatten' },
    { type: 'dense', units: 120, name: 'fc1' }, { type: 'activation', fn: act, name: 'act3' },
    { type: 'dense', units: 84, name: 'fc2' }, { type: 'activation', fn: act, name: 'act4' },
    { type: 'dense', units: classes, name: 'fc3' },
  ];
}

export function resnetLayers(spec: ResNetSpec, classes: number): LayerSpec[] {
  const depth = spec.depth ?? 20;
  const width = spec.width ?? 16;
  const shortcut = spec.shortcut ?? 'A';
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) throw new SpecError(`model.depth: expected 6n + 2 (20, 32, 44, 56, 110, …), got ${show(depth)}`);
  if (!Number.isInteger(width) || width < 1 || width > 4096) throw new SpecError(`model.width: expected a positive integer, got ${show(width)}`);
  if (shortcut !== 'A' && shortcut !== 'B') throw new SpecError(`model.shortcut: expected "A" (zero-padded identity) or "B" (projection), got ${show(shortcut)}`);
  const n = (depth - 2) / 6;
  const conv = (channels: number, stride: number, name: string): LayerSpec => ({ type: 'conv2d', channels, kernel: 3, stride, padding: 1, bias: false, name });
  const layers: LayerSpec[] = [conv(width, 1, 'conv1'), { type: 'batchNorm', name: 'bn1' }, { type: 'activation', fn: 'relu', name: 'act1' }];
  for (let stage = 0; stage < 3; stage++) {
    const c = width * 2 ** stage;
    const blocks: LayerSpec[] = [];
    for (let k = 0; k < n; k++) {
      const stride = stage > 0 && k === 0 ? 2 : 1;
      blocks.push({
        type: 'residual', name: String(k), activation: 'relu', shortcut: shortcut === 'B' ? 'projection' : 'identity',
        layers: [conv(c, stride, 'conv1'), { type: 'batchNorm', name: 'bn1' }, { type: 'activation', fn: 'relu', name: 'act1' }, conv(c, 1, 'conv2'), { type: 'batchNorm', name: 'bn2' }],
      });
    }
    layers.push({ type: 'sequential', name: `layer${stage + 1}`, layers: blocks });
  }
  layers.push({ type: 'globalAvgPool', name: 'pool' }, { type: 'dense', units: classes, name: 'fc' });
  return layers;
}
