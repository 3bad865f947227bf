// A model: a module tree plus its flat, path-named parameter list (and batch-norm buffers).
// Optimizers, rules, alignment and records all index the same list; rules change the network
// by mapping the tree (swapping or wrapping modules), never through flags on the forward pass.
import { reshape } from '../autograd/ops.ts';
import { noGrad } from '../autograd/functional.ts';
import { ShapeError, SpecError } from '../errors.ts';
import { isRecord, parseFields, show, unknownKey } from '../fields.ts';
import type { Rng } from '../random.ts';
import { ledger } from '../tensor/ledger.ts';
import { full, sizeOf, type Shape, type Tensor } from '../tensor/tensor.ts';
import { isActivation, type ActivationModule } from './activations.ts';
import { buildSequence } from './build.ts';
import { slotBuilder } from './builder.ts';
import { initByName } from './init.ts';
import { mapModules, run, walk, type ForwardOptions, type Module, type Slot } from './module.ts';
import { getPreset, LAYERS_FIELDS, listPresets, MLP_FIELDS, mlpLayers, modelInit, type LayersSpec, type ModelSpec } from './presets.ts';
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

/** Image data [h, w] get their channel axis: [1, h, w]. */
export function modelInputShape(sample: readonly number[]): number[] {
  return sample.length === 2 ? [1, sample[0], sample[1]] : [...sample];
}

/** Expand any model spec to a layer list and the input it takes (checking the spec's own fields here). */
function expand(spec: ModelSpec, data: ModelData | null): { layers: unknown; init: string; input: number[] } {
  if (!isRecord(spec)) throw new SpecError(`model: expected { sizes }, { layers } or { preset }, got ${show(spec)}`);
  const init = modelInit.parse(spec.init, 'model.init');
  const input = data ? modelInputShape(data.sampleShape) : null;
  const at = (k: string) => `model.${k}`;
  if ('sizes' in spec) {
    const extra = unknownKey(spec, Object.keys(MLP_FIELDS));
    if (extra !== undefined)
      throw new SpecError(`model.${extra}: unknown key for the { sizes } shorthand; accepted: ${Object.keys(MLP_FIELDS).join(', ')}`);
    const mlp = parseFields(MLP_FIELDS, spec, at);
    if (input && mlp.sizes[0] !== sizeOf(input)) {
      throw new SpecError(
        `model.sizes[0]: ${mlp.sizes[0]} inputs, but the data has ${sizeOf(input)} features per sample ([${data!.sampleShape.join(', ')}])`,
      );
    }
    return { layers: mlpLayers(mlp), init, input: input ?? [mlp.sizes[0]] };
  }
  if (!input) throw new SpecError('model: a { layers } or { preset } model is built against the data (its sample shape and classes)');
  if ('layers' in spec) {
    const extra = unknownKey(spec, Object.keys(LAYERS_FIELDS));
    if (extra !== undefined)
      throw new SpecError(`model.${extra}: unknown key for a { layers } model; accepted: ${Object.keys(LAYERS_FIELDS).join(', ')}`);
    return { layers: spec.layers, init, input };
  }
  if ('preset' in spec) {
    const preset = getPreset(spec.preset);
    if (!preset)
      throw new SpecError(
        `model.preset: unknown preset ${show(spec.preset)}; accepted: ${listPresets()
          .map((p) => p.name)
          .join(', ')}`,
      );
    const keys = [...Object.keys(preset.fields), 'init'];
    const extra = unknownKey(spec, ['preset', ...keys]);
    if (extra !== undefined) throw new SpecError(`model.${extra}: unknown key for preset ${preset.name}; accepted: ${keys.join(', ')}`);
    return { layers: preset.layers(parseFields(preset.fields, spec, at), { outputs: data!.outputs }), init, input };
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
    throw new SpecError(
      `model.sizes[${spec.sizes.length - 1}]: ${out[0]} outputs, but the task needs ${want[0]} per sample (one score per class or target)`,
    );
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
    /** Tensors the modules hold and use but do not train (an adapted model's frozen base): part of inference. */
    readonly frozen: readonly Tensor[] = [],
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
      throw new ShapeError(
        `model input: expected [batch, ${this.inputShape.join(', ')}] (or [batch, ${this.inputSize}]), got [${x.shape.join(', ')}]`,
      );
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
    return new Model(mapModules(this.root, fn), this.params, this.buffers, this.inputShape, this.frozen);
  }
}

function initSlot(s: Slot, rng: Rng): Tensor {
  if (s.init.kind === 'constant') return full(s.shape, s.init.value);
  return initByName(s.init.scheme)(s.shape, rng.child(s.path));
}
