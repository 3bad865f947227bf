// A registry: the definitions of one vocabulary (layer types, presets, datasets, optimizers,
// schedules) by name. Built-ins and a user's own register alike; a name is taken once, and a
// malformed definition is refused saying what is wrong.
import { SpecError } from './errors.ts';
import { isRecord, show } from './fields.ts';

/** Where a definition keeps its name, its fields and its functions, and the keys its fields must leave to the spec. */
export interface DefinitionShape {
  readonly name: string;
  readonly fields: string;
  readonly functions: readonly string[];
  readonly reserved: readonly string[];
}

export class Registry<T extends object> {
  private readonly items = new Map<string, T>();

  private readonly a: string;

  /** `what` names a definition in errors ("layer type", "dataset"). */
  constructor(
    private readonly what: string,
    private readonly shape: DefinitionShape,
    builtins: readonly T[],
  ) {
    this.a = /^[aeiou]/.test(what) ? 'an' : 'a';
    for (const b of builtins) this.register(b, `built-in ${what}s`);
  }

  /** Add `item`; the same definition again is a no-op, another one under a taken name an error. */
  register(item: unknown, where: string): T {
    const { name: nameKey, fields: fieldsKey, functions, reserved } = this.shape;
    if (!isRecord(item)) throw new SpecError(`${where}: expected ${this.a} ${this.what} definition, got ${show(item)}`);
    const problems: string[] = [];
    if (typeof item[nameKey] !== 'string' || !/^[A-Za-z][A-Za-z0-9_.-]*$/.test(item[nameKey]))
      problems.push(`${nameKey} must be a name of letters, digits, ".", "_" or "-"`);
    const fields = item[fieldsKey];
    if (!isRecord(fields) || !Object.values(fields).every((f) => isRecord(f) && typeof f.parse === 'function')) {
      problems.push(`${fieldsKey} must map keys to fields (field(...), optional(...))`);
    } else {
      const clash = reserved.find((k) => Object.hasOwn(fields, k));
      if (clash !== undefined) problems.push(`${fieldsKey} must not redefine "${clash}"`);
    }
    for (const f of functions) if (typeof item[f] !== 'function') problems.push(`${f} must be a function`);
    if (problems.length) throw new SpecError(`${where}: not ${this.a} ${this.what} definition (${problems.join('; ')})`);
    const name = item[nameKey] as string;
    const known = this.items.get(name);
    if (known !== undefined && known !== item) {
      throw new SpecError(`${where}: ${this.a} ${this.what} named "${name}" is already registered (a built-in?); give yours its own name`);
    }
    this.items.set(name, item as T);
    return item as T;
  }

  get(name: unknown): T | undefined {
    return typeof name === 'string' ? this.items.get(name) : undefined;
  }

  names(): string[] {
    return [...this.items.keys()];
  }

  values(): T[] {
    return [...this.items.values()];
  }
}
