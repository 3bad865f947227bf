// Layer kinds: one definition per layer type carries its spec fields (each checked, errors naming
// the field path, e.g. model.layers[3].kernel) and its builder. build.ts looks a type up in the
// registry; a user's own kind (defineLayer in their spec file, then registerLayer) works the same.
import { field, type Field, type Fields, type Parsed, type SpecOf } from '../fields.ts';
import type { Shape } from '../tensor/tensor.ts';
import type { Builder } from './builder.ts';
import type { Module } from './module.ts';

/** What a kind's builder gets besides its checked fields. */
export interface LayerContext {
  /** The layer's place in the tree: its module path ('' for the root). */
  readonly path: string;
  /** How errors name the layer: its spec path, e.g. "model.layers[3]". */
  readonly field: string;
  /** Per-sample input shape (no batch axis). */
  readonly inShape: Shape;
  /** Allocates parameters and buffers; build order is the model's parameter order. */
  readonly builder: Builder;
  /** Build one layer spec (a part this kind is made of) at module path `path`, named `field` in errors. */
  layer(spec: unknown, field: string, path: string, inShape: Shape): Module;
  /** Build a non-empty list of layer specs as children of `path` (names default to positions). */
  layers(specs: unknown, field: string, path: string, inShape: Shape): Module[];
}

export interface LayerKind<T extends string = string, F extends Fields = Fields> {
  /** The spec's `type`. */
  readonly type: T;
  /** The spec's keys besides type and name, each checked before `build` runs. */
  readonly fields: F;
  /** The module; checks what depends on the input shape or on several fields, throwing SpecErrors naming `ctx.field`. */
  build(spec: Parsed<F>, ctx: LayerContext): Module;
}

/** A layer kind with its spec and field types inferred (register it with registerLayer to use it in specs). */
export function defineLayer<const T extends string, F extends Fields>(kind: LayerKind<T, F>): LayerKind<T, F> {
  return kind;
}

/**
 * Layer kinds by type, for the LayerSpec type: each built-in kind's file adds itself. A user's kind
 * may add itself too, for type-checked specs: declare module 'rulebench' { interface LayerKinds { … } }.
 */
export interface LayerKinds {}

/** The spec a layer kind accepts. */
export type LayerSpecOf<K> = K extends LayerKind<infer T, infer F> ? { type: T; name?: string } & SpecOf<F> : never;

/** One layer of a `layers` spec. A bare string is an activation name or expression (or 'flatten'). */
export type LayerSpec = string | { [T in keyof LayerKinds]: LayerSpecOf<LayerKinds[T]> }[keyof LayerKinds];

/** A list of layer specs (an interface, so a kind that holds layers can name the union it belongs to). */
export interface LayerList extends Array<LayerSpec> {}

/** A field holding nested layers; checked as they are built (LayerContext.layers). */
export const layerList: Field<LayerList, unknown> & { readonly optional: false } = field((v) => v);
