// The builder: turns a declarative layer list into a module tree, looking each layer's type up in
// the registry of layer kinds (the built-ins and any a user registered). Every problem is a
// SpecError naming the layer's field path (model.layers[3].kernel) and what is accepted.
import { SpecError } from '../errors.ts';
import { isRecord, parseFields, show, unknownKey, type Fields } from '../fields.ts';
import { Registry } from '../registry.ts';
import type { Shape } from '../tensor/tensor.ts';
import type { Builder } from './builder.ts';
import { BUILTIN_LAYERS } from './layer-kinds/index.ts';
import type { LayerContext, LayerKind } from './layer-kind.ts';
import { childPath, type Module } from './module.ts';
import { sequential } from './sequential.ts';

const kinds = new Registry<LayerKind>(
  'layer type',
  { name: 'type', fields: 'fields', functions: ['build'], reserved: ['type', 'name'] },
  BUILTIN_LAYERS as unknown as LayerKind[],
);

/**
 * Make a layer kind usable in specs by its type (returns it). Call it from the file that defines
 * the kind: a spec file, or a file it imports, so the CLI's workers register it too.
 */
export function registerLayer<const T extends string, F extends Fields>(kind: LayerKind<T, F>): LayerKind<T, F> {
  kinds.register(kind, 'registerLayer');
  return kind;
}

/** Every registered layer kind, built-ins first. */
export function listLayers(): LayerKind[] {
  return kinds.values();
}

/** Build one layer at `path` (its tree position) from `spec` (named in errors by `field`). */
export function buildLayer(spec: unknown, field: string, path: string, inShape: Shape, b: Builder): Module {
  if (typeof spec === 'string')
    return buildLayer(spec === 'flatten' ? { type: 'flatten' } : { type: 'activation', fn: spec }, field, path, inShape, b);
  if (!isRecord(spec)) throw new SpecError(`${field}: expected a layer ({ type: ... }) or an activation name, got ${show(spec)}`);
  const kind = kinds.get(spec.type);
  if (!kind) throw new SpecError(`${field}.type: unknown layer type ${show(spec.type)}; accepted: ${kinds.names().join(', ')}`);
  const keys = Object.keys(kind.fields);
  const extra = unknownKey(spec, ['type', 'name', ...keys]);
  if (extra !== undefined)
    throw new SpecError(`${field}.${extra}: unknown key for a ${kind.type} layer; accepted: ${['name', ...keys].join(', ')}`);
  const parsed = parseFields(kind.fields, spec, (k) => `${field}.${k}`);
  const ctx: LayerContext = {
    path,
    field,
    inShape,
    builder: b,
    layer: (s, f, p, shape) => buildLayer(s, f, p, shape, b),
    layers: (s, f, p, shape) => buildChildren(s, f, p, shape, b),
  };
  return kind.build(parsed, ctx);
}

/** Build a list of layers under `path`; names default to positions. */
function buildChildren(layers: unknown, field: string, path: string, inShape: Shape, b: Builder): Module[] {
  if (!Array.isArray(layers) || layers.length === 0)
    throw new SpecError(`${field}: expected a non-empty array of layers, got ${show(layers)}`);
  const names = new Set<string>();
  const children: Module[] = [];
  let shape = inShape;
  layers.forEach((l, i) => {
    const name = isRecord(l) && l.name !== undefined ? l.name : String(i);
    if (typeof name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(name))
      throw new SpecError(`${field}[${i}].name: expected letters, digits, "_" or "-", got ${show(name)}`);
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
