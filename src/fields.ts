// Spec fields: one record per key of a declarative spec (a layer, a preset, a dataset's options,
// an optimizer, a schedule) that checks the value written there and, at the type level, says what
// may be written. A definition lists its fields once; the accepted keys and the spec's type follow.

export interface Field<In, Out = In> {
  /** May the key be left out? A required field's parse sees the undefined and names it. */
  readonly optional: boolean;
  /** The value checked (and normalized); `at` names it in errors, in its vocabulary's words. */
  parse(v: unknown, at: string): Out;
  /** Type level only: what a spec writes at this key. */
  readonly spec?: In;
}

export type AnyField = Field<unknown, unknown>;
export type Fields = Readonly<Record<string, AnyField>>;

type InOf<F> = F extends Field<infer I, unknown> ? I : never;
type OutOf<F> = F extends Field<unknown, infer O> ? O : never;
type Flat<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<F> = { [K in keyof F]: F[K] extends { optional: true } ? K : never }[keyof F];

/** What a spec writes for these fields (optional keys optional). */
export type SpecOf<F> = Flat<{ [K in Exclude<keyof F, OptionalKeys<F>>]: InOf<F[K]> } & { [K in OptionalKeys<F>]?: InOf<F[K]> }>;

/** What a builder receives: every field checked (defaults filled in). */
export type Parsed<F> = { [K in keyof F]: OutOf<F[K]> };

/** A required field checked by `parse`. */
export function field<In, Out = In>(parse: (v: unknown, at: string) => Out): Field<In, Out> & { readonly optional: false } {
  return { optional: false, parse };
}

/** `f` made optional: an absent value gives `fallback` (undefined when none). */
export function optional<In, Out>(f: Field<In, Out>): Field<In, Out | undefined> & { readonly optional: true };
export function optional<In, Out>(f: Field<In, Out>, fallback: NoInfer<Out>): Field<In, Out> & { readonly optional: true };
export function optional<In, Out>(f: Field<In, Out>, fallback?: Out): Field<In, Out | undefined> & { readonly optional: true } {
  return { optional: true, parse: (v, at) => (v === undefined ? fallback : f.parse(v, at)) };
}

/** Any value, checked later (by a builder that knows more, or by the code it is handed to). */
export const anything = <T>(): Field<T, T> & { readonly optional: false } => field((v) => v as T);

/** JSON for messages (NaN and Infinity as themselves, undefined as "undefined"). */
export const show = (v: unknown): string => {
  try {
    return typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    return String(v);
  }
};

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Check every field of `spec`; `at(key)` names a key in errors. Keys not in `fields` are not looked at. */
export function parseFields<F extends Fields>(fields: F, spec: Readonly<Record<string, unknown>>, at: (key: string) => string): Parsed<F> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(fields)) out[k] = f.parse(spec[k], at(k));
  return out as Parsed<F>;
}

/** The first key of `spec` outside `accepted`, or undefined. */
export function unknownKey(spec: Readonly<Record<string, unknown>>, accepted: readonly string[]): string | undefined {
  return Object.keys(spec).find((k) => !accepted.includes(k));
}
