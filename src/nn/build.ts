// Declarative model specs and the builder that turns one into a module tree, validating as it
// goes: every problem is a SpecError naming the layer's field path (model.layers[3].kernel).
import { SpecError } from '../errors.ts';
import type { Shape } from '../tensor/tensor.ts';
import { activationModule, ACTIVATION_NAMES, resolveActivation } from './activations.ts';
import { dropoutModule } from './dropout.ts';
import { initByName } from './init.ts';
import { attentionModule, transformerBlockLayers } from './attention.ts';
import { embedding } from './embedding.ts';
import { conv, dense } from './layers.ts';
import { childPath, type Module, type ParamInit, type Slot } from './module.ts';
import { batchNormModule, layerNormModule } from './norm.ts';
import { CELLS, recurrent, type Cell } from './recurrent.ts';
import { residual, sequential } from './sequential.ts';
import { flatten, globalAvgPool, pool } from './shape-layers.ts';

type Pair = number | [number, number];

/** One layer of a `layers` spec. A bare string is an activation name or expression (or 'flatten'). */
export type LayerSpec =
  | string
  /** positionwise: map the last axis at every position ([T, in] → [T, units]); tie: the path of an embedding whose table is the weight. */
  | { type: 'dense'; units?: number; bias?: boolean; init?: string; positionwise?: boolean; tie?: string; name?: string }
  /** Token ids [T] → vectors [T, dim]; vocab defaults to the task's classes (next-token prediction). */
  | { type: 'embedding'; dim: number; vocab?: number; positions?: boolean; init?: string; name?: string }
  | { type: 'attention'; heads: number; causal?: boolean; bias?: boolean; fused?: boolean; init?: string; name?: string }
  /** Pre-LN: x + attention(LN(x)), then x + MLP(LN(x)) with an MLP of mlp × the width. */
  | { type: 'transformerBlock'; heads: number; mlp?: number; activation?: string; causal?: boolean; fused?: boolean; name?: string }
  /** An Elman RNN or a GRU over [T, features], returning every step's hidden state [T, hidden]. */
  | { type: 'rnn'; cell: Cell; hidden: number; activation?: string; init?: string; name?: string }
  | { type: 'conv2d'; channels: number; kernel: Pair; stride?: Pair; padding?: Pair; bias?: boolean; init?: string; name?: string }
  | { type: 'maxPool2d' | 'avgPool2d'; kernel: Pair; stride?: Pair; padding?: Pair; name?: string }
  | { type: 'globalAvgPool' | 'flatten'; name?: string }
  | { type: 'batchNorm'; eps?: number; momentum?: number; name?: string }
  | { type: 'layerNorm'; eps?: number; name?: string }
  | { type: 'dropout'; p: number; name?: string }
  | { type: 'activation'; fn: string; name?: string }
  | { type: 'sequential'; layers: LayerSpec[]; name?: string }
  /** body(x) + shortcut(x); shortcut: identity (default; option A zero-padding when shapes change) or a projection (1×1 conv + batch norm, option B). */
  | { type: 'residual'; layers: LayerSpec[]; shortcut?: 'identity' | 'projection'; activation?: string; name?: string };

export const LAYER_TYPES = [
  'dense', 'conv2d', 'maxPool2d', 'avgPool2d', 'globalAvgPool', 'flatten', 'batchNorm', 'layerNorm', 'dropout', 'activation', 'sequential', 'residual',
  'embedding', 'attention', 'transformerBlock', 'rnn',
] as const;

/** Allocates parameter and buffer slots in build (= flat list) order. */
export interface Builder {
  /** Default weight scheme. */
  readonly init: string;
  /** Classes of the task the model is built for, when known (an embedding's default vocabulary). */
  readonly classes?: number;
  param(path: string, shape: number[], init: ParamInit): Slot;
  buffer(path: string, shape: number[], value: number): Slot;
  /** Token tables of the embeddings built so far, by module path (weight tying reads them). */
  readonly embeddings?: Map<string, Slot>;
  tieable?(path: string): Slot | undefined;
}

export function slotBuilder(init: string, classes?: number): Builder & { params: Slot[]; buffers: Slot[] } {
  const params: Slot[] = [];
  const buffers: Slot[] = [];
  const embeddings = new Map<string, Slot>();
  return {
    init, classes, params, buffers, embeddings,
    tieable: (path) => embeddings.get(path),
    param(path, shape, pinit) {
      const s = { index: params.length, path, shape, init: pinit };
      params.push(s);
      return s;
    },
    buffer(path, shape, value) {
      const s = { index: buffers.length, path, shape, init: { kind: 'constant', value } as ParamInit };
      buffers.push(s);
      return s;
    },
  };
}

const show = (v: unknown) => JSON.stringify(v) ?? String(v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const KEYS: Record<string, string[]> = {
  dense: ['units', 'bias', 'init', 'positionwise', 'tie'],
  conv2d: ['channels', 'kernel', 'stride', 'padding', 'bias', 'init'],
  maxPool2d: ['kernel', 'stride', 'padding'],
  avgPool2d: ['kernel', 'stride', 'padding'],
  globalAvgPool: [],
  flatten: [],
  batchNorm: ['eps', 'momentum'],
  layerNorm: ['eps'],
  dropout: ['p'],
  activation: ['fn'],
  sequential: ['layers'],
  residual: ['layers', 'shortcut', 'activation'],
  embedding: ['dim', 'vocab', 'positions', 'init'],
  attention: ['heads', 'causal', 'bias', 'fused', 'init'],
  transformerBlock: ['heads', 'mlp', 'activation', 'causal', 'fused'],
  rnn: ['cell', 'hidden', 'activation', 'init'],
};

function int(field: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 1e6) throw new SpecError(`${field}: expected an integer ≥ ${min}, got ${show(v)}`);
  return v;
}

function pairOf(field: string, v: unknown, min: number): [number, number] {
  if (Array.isArray(v)) {
    if (v.length !== 2) throw new SpecError(`${field}: expected a number or [height, width], got ${show(v)}`);
    return [int(`${field}[0]`, v[0], min), int(`${field}[1]`, v[1], min)];
  }
  const n = int(field, v, min);
  return [n, n];
}

function positive(field: string, v: unknown, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v >= max) throw new SpecError(`${field}: expected a number in (0, ${max}), got ${show(v)}`);
  return v;
}

function needImage(field: string, kind: string, inShape: Shape): void {
  if (inShape.length !== 3) {
    throw new SpecError(`${field}: ${kind} needs image input [channels, height, width], but its input is [${inShape.join(', ')}]` +
      ' (image datasets give [1, 28, 28]; a dense layer or flatten loses the image shape)');
  }
}

function windowFits(field: string, inShape: Shape, k: [number, number], s: [number, number], p: [number, number]): void {
  const oh = Math.floor((inShape[1] + 2 * p[0] - k[0]) / s[0]) + 1;
  const ow = Math.floor((inShape[2] + 2 * p[1] - k[1]) / s[1]) + 1;
  if (oh < 1 || ow < 1) throw new SpecError(`${field}: a ${k.join('×')} window (padding ${p.join('×')}) does not fit its input [${inShape.join(', ')}]`);
}

function initName(field: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new SpecError(`${field}: expected an init scheme name, got ${show(v)}`);
  try {
    initByName(v);
  } catch (e) {
    throw new SpecError(`${field}: ${(e as Error).message}`);
  }
  return v;
}

/** Build one layer at `path` (its tree position) from `spec` (named in errors by `field`). */
export function buildLayer(spec: unknown, field: string, path: string, inShape: Shape, b: Builder): Module {
  if (typeof spec === 'string') {
    if (spec === 'flatten') return flatten(path, inShape);
    return buildLayer({ type: 'activation', fn: spec }, field, path, inShape, b);
  }
  if (!isRecord(spec)) throw new SpecError(`${field}: expected a layer ({ type: ... }) or an activation name, got ${show(spec)}`);
  const type = spec.type;
  if (typeof type !== 'string' || !(LAYER_TYPES as readonly string[]).includes(type)) {
    throw new SpecError(`${field}.type: unknown layer type ${show(type)}; accepted: ${LAYER_TYPES.join(', ')}`);
  }
  for (const k of Object.keys(spec)) {
    if (k !== 'type' && k !== 'name' && !KEYS[type].includes(k)) throw new SpecError(`${field}.${k}: unknown key for a ${type} layer; accepted: ${['name', ...KEYS[type]].join(', ')}`);
  }
  const optBool = (k: string) => {
    if (spec[k] !== undefined && typeof spec[k] !== 'boolean') throw new SpecError(`${field}.${k}: expected a boolean, got ${show(spec[k])}`);
    return spec[k] as boolean | undefined;
  };
  switch (type) {
    case 'dense': {
      const positionwise = optBool('positionwise');
      if (spec.tie === undefined) {
        return dense(path, inShape, int(`${field}.units`, spec.units, 1), b, { bias: optBool('bias'), init: initName(`${field}.init`, spec.init), positionwise });
      }
      // Weight tying: the embedding's table [vocab, dim] is this layer's weight [units, in].
      const table = typeof spec.tie === 'string' ? b.tieable?.(spec.tie) : undefined;
      if (!table) throw new SpecError(`${field}.tie: expected the path of an embedding layer built before this one, got ${show(spec.tie)}${b.tieable ? '' : ' (this builder keeps no embeddings)'}`);
      const inWidth = positionwise ? inShape[inShape.length - 1] : inShape.reduce((x, y) => x * y, 1);
      const [vocab, dim] = table.shape;
      if (spec.units !== undefined && int(`${field}.units`, spec.units, 1) !== vocab) throw new SpecError(`${field}.units: a layer tied to "${spec.tie}" has its ${vocab} rows as units, got ${show(spec.units)}`);
      if (inWidth !== dim) throw new SpecError(`${field}.tie: the embedding "${spec.tie}" has width ${dim}, but this layer's input is ${inWidth} wide`);
      if (spec.init !== undefined) throw new SpecError(`${field}.init: a tied layer has no weight of its own to initialize`);
      return dense(path, inShape, vocab, b, { bias: optBool('bias'), positionwise, tiedWeight: table });
    }
    case 'embedding': {
      if (inShape.length !== 1) throw new SpecError(`${field}: an embedding reads token ids [T] per sample, but its input is [${inShape.join(', ')}]`);
      const vocab = spec.vocab === undefined ? b.classes : int(`${field}.vocab`, spec.vocab, 1);
      if (vocab === undefined) throw new SpecError(`${field}.vocab: needed here (no task classes to take it from)`);
      const positions = optBool('positions');
      const e = embedding(path, inShape, b, { vocab, dim: int(`${field}.dim`, spec.dim, 1), positions, init: initName(`${field}.init`, spec.init) });
      b.embeddings?.set(path, e.table);
      return e;
    }
    case 'attention':
    case 'transformerBlock': {
      if (inShape.length !== 2) throw new SpecError(`${field}: ${type} needs a sequence [T, dim] per sample (e.g. after an embedding), but its input is [${inShape.join(', ')}]`);
      const heads = int(`${field}.heads`, spec.heads, 1);
      const dim = inShape[1];
      if (dim % heads !== 0) throw new SpecError(`${field}.heads: ${heads} heads do not divide the width ${dim}`);
      const causal = optBool('causal');
      const fused = optBool('fused');
      if (type === 'attention') return attentionModule(path, inShape, b, { heads, causal, fused, bias: optBool('bias'), init: initName(`${field}.init`, spec.init) });
      const mlp = spec.mlp === undefined ? 4 : positive(`${field}.mlp`, spec.mlp, 1e6);
      if (!Number.isInteger(mlp * dim)) throw new SpecError(`${field}.mlp: ${mlp} × ${dim} is not a whole width`);
      if (spec.activation !== undefined && typeof spec.activation !== 'string') throw new SpecError(`${field}.activation: expected an activation name, got ${show(spec.activation)}`);
      return buildSequence(transformerBlockLayers(dim, { heads, mlp, activation: spec.activation as string | undefined, causal, fused }), `${field}(block)`, path, inShape, b);
    }
    case 'rnn': {
      if (inShape.length !== 2) throw new SpecError(`${field}: an rnn reads a sequence [T, features] per sample (e.g. after an embedding), but its input is [${inShape.join(', ')}]`);
      if (typeof spec.cell !== 'string' || !(CELLS as readonly string[]).includes(spec.cell)) throw new SpecError(`${field}.cell: expected one of ${CELLS.join(', ')}, got ${show(spec.cell)}`);
      if (spec.activation !== undefined && spec.cell !== 'elman') throw new SpecError(`${field}.activation: only an elman cell takes an activation (a GRU's are its gates)`);
      let activation;
      try {
        activation = spec.activation === undefined ? undefined : resolveActivation(String(spec.activation));
      } catch (e) {
        throw new SpecError(`${field}.activation: ${(e as Error).message}`);
      }
      return recurrent(path, inShape, b, { cell: spec.cell as Cell, hidden: int(`${field}.hidden`, spec.hidden, 1), activation, init: initName(`${field}.init`, spec.init) });
    }
    case 'conv2d': {
      needImage(field, type, inShape);
      const kernel = pairOf(`${field}.kernel`, spec.kernel, 1);
      const stride = spec.stride === undefined ? ([1, 1] as [number, number]) : pairOf(`${field}.stride`, spec.stride, 1);
      const padding = spec.padding === undefined ? ([0, 0] as [number, number]) : pairOf(`${field}.padding`, spec.padding, 0);
      windowFits(field, inShape, kernel, stride, padding);
      return conv(path, inShape, int(`${field}.channels`, spec.channels, 1), b, { kernel, stride, padding, bias: optBool('bias'), init: initName(`${field}.init`, spec.init) });
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      needImage(field, type, inShape);
      const kernel = pairOf(`${field}.kernel`, spec.kernel, 1);
      const stride = spec.stride === undefined ? kernel : pairOf(`${field}.stride`, spec.stride, 1);
      const padding = spec.padding === undefined ? ([0, 0] as [number, number]) : pairOf(`${field}.padding`, spec.padding, 0);
      if (2 * padding[0] > kernel[0] || 2 * padding[1] > kernel[1]) throw new SpecError(`${field}.padding: at most half the kernel, got ${padding.join('×')} for ${kernel.join('×')}`);
      windowFits(field, inShape, kernel, stride, padding);
      return pool(type, path, inShape, { kernel, stride, padding });
    }
    case 'globalAvgPool':
      needImage(field, type, inShape);
      return globalAvgPool(path, inShape);
    case 'flatten':
      return flatten(path, inShape);
    case 'batchNorm':
      if (inShape.length !== 1 && inShape.length !== 3) throw new SpecError(`${field}: batchNorm needs [features] or [channels, h, w] input, got [${inShape.join(', ')}]`);
      return batchNormModule(path, inShape, b, {
        eps: spec.eps === undefined ? undefined : positive(`${field}.eps`, spec.eps),
        momentum: spec.momentum === undefined ? undefined : positive(`${field}.momentum`, spec.momentum, 1.0000001),
      });
    case 'layerNorm':
      return layerNormModule(path, inShape, b, spec.eps === undefined ? undefined : positive(`${field}.eps`, spec.eps));
    case 'dropout': {
      const p = spec.p;
      if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new SpecError(`${field}.p: expected a probability in [0, 1), got ${show(p)}`);
      return dropoutModule(path, inShape, p);
    }
    case 'activation': {
      if (typeof spec.fn !== 'string') throw new SpecError(`${field}.fn: expected an activation name or expression in x, got ${show(spec.fn)}`);
      try {
        return activationModule(path, inShape, resolveActivation(spec.fn));
      } catch (e) {
        throw new SpecError(`${field}: ${(e as Error).message} (names: ${ACTIVATION_NAMES.join(', ')})`);
      }
    }
    case 'sequential':
      return buildSequence(spec.layers, `${field}.layers`, path, inShape, b);
    case 'residual': {
      const shortcut = spec.shortcut ?? 'identity';
      if (shortcut !== 'identity' && shortcut !== 'projection') throw new SpecError(`${field}.shortcut: expected "identity" or "projection", got ${show(shortcut)}`);
      const body = buildChildren(spec.layers, `${field}.layers`, path, inShape, b);
      const out = body[body.length - 1].outShape;
      const same = out.length === inShape.length && out.every((d, i) => d === inShape[i]);
      const after = spec.activation === undefined ? null : buildLayer({ type: 'activation', fn: spec.activation }, `${field}.activation`, childPath(path, 'act'), out, b);
      if (shortcut === 'projection' && !same) {
        needImage(field, 'a projection shortcut', inShape);
        const stride: [number, number] = [Math.round(inShape[1] / out[1]), Math.round(inShape[2] / out[2])];
        const sp = childPath(path, 'shortcut');
        const proj = conv(childPath(sp, 'conv'), inShape, out[0], b, { kernel: 1, stride, bias: false });
        return residual(path, body, sequential(sp, [proj, batchNormModule(childPath(sp, 'bn'), proj.outShape, b)], inShape), after);
      }
      if (!same && (inShape.length !== 3 || out.length !== 3 || out[0] < inShape[0])) {
        throw new SpecError(`${field}: the body maps [${inShape.join(', ')}] to [${out.join(', ')}]; an identity shortcut needs equal shapes (or images with at least as many output channels, padded as He et al.'s option A)`);
      }
      return residual(path, body, null, after);
    }
  }
  throw new SpecError(`${field}.type: unknown layer type ${show(type)}`);
}

/** Build a list of layers under `path`; names default to positions. */
function buildChildren(layers: unknown, field: string, path: string, inShape: Shape, b: Builder): Module[] {
  if (!Array.isArray(layers) || layers.length === 0) throw new SpecError(`${field}: expected a non-empty array of layers, got ${show(layers)}`);
  const names = new Set<string>();
  const children: Module[] = [];
  let shape = inShape;
  layers.forEach((l, i) => {
    const name = isRecord(l) && l.name !== undefined ? l.name : String(i);
    if (typeof name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(name)) throw new SpecError(`${field}[${i}].name: expected letters, digits, "_" or "-", got ${show(name)}`);
    if (names.has(name)) throw new SpecError(`${field}[${i}].name: "${name}" is used twice in this sequence`);
    names.add(name);
    const m = buildLayer(l, `${field}[${i}]`, childPath(path, name), shape, b);
    children.push(m);
    shape = m.outShape;
  });
  return children;
}

/** Build a list of layers as a Sequential at `path`. */
export function buildSequence(layers: unknown, field: string, path: string, inShape: Shape, b: Builder): Module {
  return sequential(path, buildChildren(layers, field, path, inShape, b), inShape);
}
