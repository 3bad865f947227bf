// A model: a module tree plus its flat, path-named parameter list (and batch-norm buffers).
// Optimizers, rules, alignment and records all index the same list; rules change the network
// by mapping the tree (swapping or wrapping modules), never through flags on the forward pass.
import { reshape } from '../autograd/ops.ts';
import { noGrad } from '../autograd/functional.ts';
import { ShapeError, SpecError } from '../errors.ts';
import type { Rng } from '../random.ts';
import { ledger } from '../tensor/ledger.ts';
import { full, sizeOf, type Shape, type Tensor } from '../tensor/tensor.ts';
import { isActivation, resolveActivation, type ActivationModule } from './activations.ts';
import { buildSequence, slotBuilder } from './build.ts';
import { initByName } from './init.ts';
import { mapModules, run, walk, type ForwardOptions, type Module, type Slot } from './module.ts';
import { lenet5Layers, mlpLayers, PRESETS, recurrentLayers, resnetLayers, transformerLayers, type LayersSpec, type ModelSpec } from './presets.ts';
import { isWeightLayer, type WeightLayer } from './weight-layer.ts';

/** What the data says the model must accept and produce. */
export interface ModelData {
  /** Per-sample shape: [features], or [channels, height, width] for images. */
  sampleShape: readonly number[];
  /** Classes (classification) or targets (regression) per sample. */
  outputs: number;
  /** The per-sample output the task scores, when not [outputs] (a sequence task: [T, classes]). */
  outputShape?: readonly number[];
}

const show = (v: unknown) => JSON.stringify(v) ?? String(v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Image data [h, w] get their channel axis: [1, h, w]. */
export function modelInputShape(sample: readonly number[]): number[] {
  return sample.length === 2 ? [1, sample[0], sample[1]] : [...sample];
}

const MLP_KEYS = ['sizes', 'activation', 'init', 'layerNorm', 'dropout', 'residual'];

/** Expand any model spec to a layer list and the input it takes (validating the MLP shorthand here). */
function expand(spec: ModelSpec, data: ModelData | null): { layers: LayersSpec['layers']; init: string; input: number[] } {
  if (!isRecord(spec as unknown)) throw new SpecError(`model: expected { sizes }, { layers } or { preset }, got ${show(spec)}`);
  const init = (spec as { init?: unknown }).init ?? 'heUniform';
  if (typeof init !== 'string') throw new SpecError(`model.init: expected a scheme name, got ${show(init)}`);
  try {
    initByName(init);
  } catch (e) {
    throw new SpecError(`model.init: ${(e as Error).message}`);
  }
  const input = data ? modelInputShape(data.sampleShape) : null;
  if ('sizes' in spec) {
    for (const k of Object.keys(spec)) if (!MLP_KEYS.includes(k)) throw new SpecError(`model.${k}: unknown key for the { sizes } shorthand; accepted: ${MLP_KEYS.join(', ')}`);
    const { sizes } = spec;
    if (!Array.isArray(sizes) || sizes.length < 2) throw new SpecError(`model.sizes: expected at least two layer widths (input … output), got ${show(sizes)}`);
    // An index loop: forEach would skip the holes of a sparse array like [4, , 3].
    for (let i = 0; i < sizes.length; i++) {
      if (!Number.isInteger(sizes[i]) || sizes[i] < 1 || sizes[i] > 1e6) throw new SpecError(`model.sizes[${i}]: expected a positive integer, got ${show(sizes[i])}`);
    }
    if (input && sizes[0] !== sizeOf(input)) {
      throw new SpecError(`model.sizes[0]: ${sizes[0]} inputs, but the data has ${sizeOf(input)} features per sample ([${data!.sampleShape.join(', ')}])`);
    }
    if (spec.dropout !== undefined && !(typeof spec.dropout === 'number' && spec.dropout >= 0 && spec.dropout < 1)) {
      throw new SpecError(`model.dropout: expected a probability in [0, 1), got ${show(spec.dropout)}`);
    }
    for (const k of ['layerNorm', 'residual'] as const) if (spec[k] !== undefined && typeof spec[k] !== 'boolean') throw new SpecError(`model.${k}: expected a boolean, got ${show(spec[k])}`);
    if (spec.activation !== undefined && typeof spec.activation !== 'string') throw new SpecError(`model.activation: expected a string, got ${show(spec.activation)}`);
    try {
      resolveActivation(spec.activation ?? 'relu');
    } catch (e) {
      throw new SpecError(`model.activation: ${(e as Error).message}`);
    }
    return { layers: mlpLayers(spec), init, input: input ?? [sizes[0]] };
  }
  if (!input) throw new SpecError('model: a { layers } or { preset } model is built against the data (its sample shape and classes)');
  if ('layers' in spec) {
    for (const k of Object.keys(spec)) if (k !== 'layers' && k !== 'init') throw new SpecError(`model.${k}: unknown key for a { layers } model; accepted: layers, init`);
    return { layers: (spec as LayersSpec).layers, init, input };
  }
  if ('preset' in spec) {
    const outputs = data!.outputs;
    if (spec.preset === 'lenet5') {
      for (const k of Object.keys(spec)) if (!['preset', 'activation', 'pool', 'c5', 'init'].includes(k)) throw new SpecError(`model.${k}: unknown key for preset lenet5; accepted: activation, pool, c5, init`);
      return { layers: lenet5Layers(spec, outputs), init, input };
    }
    if (spec.preset === 'resnet') {
      for (const k of Object.keys(spec)) if (!['preset', 'depth', 'width', 'shortcut', 'init'].includes(k)) throw new SpecError(`model.${k}: unknown key for preset resnet; accepted: depth, width, shortcut, init`);
      return { layers: resnetLayers(spec, outputs), init, input };
    }
    if (spec.preset === 'transformer') {
      for (const k of Object.keys(spec)) if (!['preset', 'blocks', 'dim', 'heads', 'mlp', 'tie', 'fused', 'init'].includes(k)) throw new SpecError(`model.${k}: unknown key for preset transformer; accepted: blocks, dim, heads, mlp, tie, fused, init`);
      return { layers: transformerLayers(spec, outputs), init, input };
    }
    if (spec.preset === 'rnn') {
      for (const k of Object.keys(spec)) if (!['preset', 'cell', 'hidden', 'dim', 'tie', 'init'].includes(k)) throw new SpecError(`model.${k}: unknown key for preset rnn; accepted: cell, hidden, dim, tie, init`);
      return { layers: recurrentLayers(spec, outputs), init, input };
    }
    throw new SpecError(`model.preset: unknown preset ${show((spec as { preset: unknown }).preset)}; accepted: ${PRESETS.join(', ')}`);
  }
  throw new SpecError(`model: expected { sizes }, { layers } or { preset }, got keys ${Object.keys(spec).join(', ')}`);
}

/**
 * Build a model from its spec for data of the given sample shape and output count. The MLP
 * shorthand can be built without data (its sizes say both).
 */
export function buildModel(spec: ModelSpec, data: ModelData | null = null): Model {
  const { layers, init, input } = expand(spec, data);
  const b = slotBuilder(init, data?.outputs);
  const root = buildSequence(layers, 'model.layers', '', input, b);
  const out = root.outShape;
  const outputs = data?.outputs ?? ('sizes' in spec ? spec.sizes[spec.sizes.length - 1] : null);
  const want = data?.outputShape ?? (outputs === null ? null : [outputs]);
  if (want !== null && 'sizes' in spec && want.length === 1 && out[0] !== want[0]) {
    throw new SpecError(`model.sizes[${spec.sizes.length - 1}]: ${out[0]} outputs, but the task needs ${want[0]} per sample (one score per class or target)`);
  }
  if (want !== null && (out.length !== want.length || out.some((d, i) => d !== want[i]))) {
    const what = want.length > 1 ? 'one score per class at every position' : 'one score per class or target';
    throw new SpecError(`model: the last layer outputs [${out.join(', ')}] per sample, but the task needs [${want.join(', ')}] (${what})`);
  }
  return new Model(root, b.params, b.buffers, input);
}

/** A network of `layers` on inputs of `inShape`, whatever its output (synthesizers, inverses, probes). */
export function buildNetwork(layers: LayersSpec['layers'], inShape: readonly number[], init = 'heUniform'): Model {
  const b = slotBuilder(init);
  return new Model(buildSequence(layers, 'layers', '', inShape, b), b.params, b.buffers, inShape);
}

export class Model {
  readonly paramNames: readonly string[];
  /** Path of the module owning each parameter (its "layer" in alignment and health figures). */
  readonly paramOwner: readonly string[];
  /** Owners in parameter order, each once. */
  readonly layers: readonly string[];

  constructor(
    readonly root: Module,
    readonly params: readonly Slot[],
    readonly buffers: readonly Slot[],
    readonly inputShape: Shape,
  ) {
    this.paramNames = params.map((p) => p.path);
    const owner = new Array<string>(params.length);
    for (const m of walk(root)) for (const s of Object.values(m.params)) owner[s.index] ??= m.path;
    this.paramOwner = owner;
    this.layers = [...new Set(owner)];
  }

  get outputShape(): Shape {
    return this.root.outShape;
  }

  get inputSize(): number {
    return sizeOf(this.inputShape);
  }

  get outputSize(): number {
    return sizeOf(this.root.outShape);
  }

  paramShapes(): number[][] {
    return this.params.map((p) => [...p.shape]);
  }

  /** Fresh parameters, each drawn from rng.child(its path); counted as 'param' until released. */
  init(rng: Rng): Tensor[] {
    return ledger().withCategory('param', () => noGrad(() => this.params.map((s) => initSlot(s, rng))));
  }

  /** Fresh buffers (running statistics), counted as 'param' (model state). */
  initBuffers(): Tensor[] {
    return ledger().withCategory('param', () => this.buffers.map((s) => full(s.shape, s.init.kind === 'constant' ? s.init.value : 0)));
  }

  /** The model's output [n, ...outputShape] for x [n, features] or [n, ...inputShape]. */
  forward(params: readonly Tensor[], x: Tensor, opts: ForwardOptions = {}): Tensor {
    if (params.length !== this.params.length) {
      throw new SpecError(`model.forward: got ${params.length} parameters, the model has ${this.params.length}`);
    }
    const n = x.shape[0];
    if (x.rank < 1 || x.size !== n * this.inputSize) {
      throw new ShapeError(`model input: expected [batch, ${this.inputShape.join(', ')}] (or [batch, ${this.inputSize}]), got [${x.shape.join(', ')}]`);
    }
    const same = x.rank === this.inputShape.length + 1 && this.inputShape.every((d, i) => d === x.shape[i + 1]);
    return run(this.root, same ? x : reshape(x, [n, ...this.inputShape]), { ...opts, params });
  }

  /** Every module, parents first, in forward order. */
  modules(): Module[] {
    return walk(this.root);
  }

  find(path: string): Module | undefined {
    return this.modules().find((m) => m.path === path);
  }

  /** Dense and conv layers in forward order. */
  weightLayers(): WeightLayer[] {
    return this.modules().filter(isWeightLayer);
  }

  /** Activation modules in forward order. */
  activations(): ActivationModule[] {
    return this.modules().filter(isActivation);
  }

  /** The same parameters over a tree rebuilt by `fn` (see mapModules): model surgery. */
  map(fn: (m: Module) => Module): Model {
    return new Model(mapModules(this.root, fn), this.params, this.buffers, this.inputShape);
  }
}

function initSlot(s: Slot, rng: Rng): Tensor {
  if (s.init.kind === 'constant') return full(s.shape, s.init.value);
  return initByName(s.init.scheme)(s.shape, rng.child(s.path));
}
